// A motoko in a temp folder for engine tests: flux/space/time as plain folders with sentinels, a
// local folder as the "cloud" remote, a restic password in a 0600 file, and pillarsd.yaml.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseConfig } from '../../../server/src/config/load';
import type { LoadedConfig } from '../../../server/src/config/load';
import { openRuntime } from '../../../server/src/jobs/runtime';
import type { Runtime } from '../../../server/src/jobs/runtime';
import type { CleanupRegistry } from '../../support/tmp';

export interface Sandbox {
  dir: string;
  flux: string;
  space: string;
  cloud: string;
  state: string;
  repo: string;
  password: string;
  passwordFile: string;
  configFile: string;
  /** the config text; `extraJobs` is YAML indented under jobs: */
  yaml: string;
  loaded(): LoadedConfig;
  resticEnv: Record<string, string>;
}

export function makeSandbox(
  reg: CleanupRegistry,
  opts: {
    /** YAML under jobs:, or a function of the sandbox folder that returns it */
    extraJobs?: string | ((dir: string) => string);
    /** YAML replacing the jobs (or a function of the sandbox folder that returns it) */
    jobs?: string | ((dir: string) => string);
    /** YAML lines under remotes: besides `cloud` (indented two spaces) */
    remotes?: string;
    passwordRef?: string;
    sentinels?: boolean;
  } = {},
): Sandbox {
  const dir = reg.tempDir('pillars-engine-').path;
  const flux = path.join(dir, 'flux');
  const space = path.join(dir, 'space');
  const cloud = path.join(dir, 'cloud');
  const state = path.join(dir, 'state');
  for (const d of [flux, space, cloud, path.join(dir, 'time')]) mkdirSync(d, { recursive: true });
  if (opts.sentinels !== false) {
    writeFileSync(path.join(flux, '.pillar'), 'flux\n');
    writeFileSync(path.join(space, '.pillar'), 'space\n');
  }
  writeFileSync(path.join(dir, 'time', '.pillar'), 'time\n');
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const passwordFile = path.join(dir, 'restic.pw');
  writeFileSync(passwordFile, password, { mode: 0o600 });
  const repo = path.join(space, 'backups/restic/flux');
  const jobs =
    (typeof opts.jobs === 'function' ? opts.jobs(dir) : opts.jobs) ??
    `  flux-backup:
    type: restic-backup
    source: flux:/
    repository: space:/backups/restic/flux
    password: restic
    exclude: ["**/node_modules"]
    retries: { count: 0 }
  flux-retention:
    type: restic-forget
    repository: space:/backups/restic/flux
    password: restic
    keep: { last: 1 }
    prune: true
    retries: { count: 0 }
  flux-verify:
    type: restic-check
    repository: space:/backups/restic/flux
    password: restic
    retries: { count: 0 }
  space-offsite:
    type: rclone-sync
    source: space:/
    destination: cloud:${cloud}
    guard: { maxDeletePercent: 5, maxDeleteCount: 1000 }
    retries: { count: 0 }
${typeof opts.extraJobs === 'function' ? opts.extraJobs(dir) : (opts.extraJobs ?? '')}`;
  const yaml = `stateDir: ${state}
server: { listen: "127.0.0.1:0", tls: "off" }
pillars:
  flux: { path: ${flux}, requireMount: false }
  space: { path: ${space}, requireMount: false }
  time: { path: ${path.join(dir, 'time')}, requireMount: false }
secrets:
  restic: ${opts.passwordRef ?? `file:${passwordFile}`}
remotes:
  cloud: { type: local }
${opts.remotes ?? ''}
jobs:
${jobs}`;
  const configFile = path.join(dir, 'pillarsd.yaml');
  writeFileSync(configFile, yaml);
  return {
    dir,
    flux,
    space,
    cloud,
    state,
    repo,
    password,
    passwordFile,
    configFile,
    yaml,
    loaded: () => ({ file: configFile, config: parseConfig(yaml, configFile) }),
    resticEnv: { RESTIC_REPOSITORY: repo, RESTIC_PASSWORD_FILE: passwordFile, RESTIC_CACHE_DIR: path.join(dir, 'restic-cache') },
  };
}

/** An in-process engine over the sandbox, stopped and closed by the registry. */
export function sandboxRuntime(reg: CleanupRegistry, sb: Sandbox, o: Parameters<typeof openRuntime>[1] = {}): Runtime {
  const rt = openRuntime(sb.loaded(), o);
  reg.add(async () => {
    await rt.engine.stop();
    rt.close();
  });
  return rt;
}

/** Runs a job now and waits until it ends (or blocks). */
export async function runJob(rt: Runtime, job: string) {
  const r = rt.engine.enqueue(job, 'manual')!;
  return rt.engine.waitFor(r.id);
}
