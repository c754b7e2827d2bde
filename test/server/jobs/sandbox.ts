// A motoko in a temp folder for engine tests (test/support/motoko.ts): flux/space/time as plain
// folders with sentinels, a local folder as the "cloud" remote, a restic password in a 0600 file,
// and pillarsd.yaml with the four standard jobs unless the test names its own.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseConfig } from '../../../server/src/config/load';
import type { LoadedConfig } from '../../../server/src/config/load';
import { openRuntime } from '../../../server/src/jobs/runtime';
import type { Runtime } from '../../../server/src/jobs/runtime';
import type { CleanupRegistry } from '../../support/tmp';
import { makeMotokoFolders, motokoConfig } from '../../support/motoko';

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
    /** YAML under jobs: after the standard ones (ignored with `jobs`), or a function of the sandbox folder that returns it */
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
  const { flux, space, cloud, state, repo } = makeMotokoFolders(dir, { sentinels: opts.sentinels });
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const passwordFile = path.join(dir, 'restic.pw');
  writeFileSync(passwordFile, password, { mode: 0o600 });
  const jobs = typeof opts.jobs === 'function' ? opts.jobs(dir) : opts.jobs;
  const yaml = motokoConfig({
    root: dir,
    resticSecret: opts.passwordRef ?? `file:${passwordFile}`,
    remotes: { more: opts.remotes },
    jobs: jobs ?? { backup: { exclude: ['**/node_modules'] }, retention: { keep: { last: 1 } }, verify: {}, offsite: { guard: '{ maxDeletePercent: 5, maxDeleteCount: 1000 }' } },
    extraJobs: jobs === undefined ? (typeof opts.extraJobs === 'function' ? opts.extraJobs(dir) : opts.extraJobs) : undefined,
  });
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
