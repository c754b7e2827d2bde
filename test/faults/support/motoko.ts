// A motoko for fault tests, under the run's root (kept until the final secret scan): flux, space,
// time as folders with sentinels (or real-mount checks, `requireMount`), a local folder as the
// "cloud", a restic password in a 0600 file, pillarsd.yaml (test/support/motoko.ts). Also the `pillarsd` runners with their
// output captured to files the secret scan reads.
import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { faultDir, registerSecrets } from './run';
import { spawnProcess } from '../../support/cli';
import { makeMotokoFolders, motokoConfig } from '../../support/motoko';
import type { CliResult, SpawnedCli } from '../../support/cli';
import { run } from '../../support/proc';

/** The pillarsd bundle the global setup built (the shipped artifact, fast to start). */
export function pillarsdJs(): string {
  const js = process.env.PILLARS_FAULTS_PILLARSD;
  if (!js) throw new Error('PILLARS_FAULTS_PILLARSD is not set: run the fault suite with `npm run faults`');
  return js;
}

export interface Motoko {
  dir: string;
  flux: string;
  space: string;
  cloud: string;
  state: string;
  repo: string;
  password: string;
  passwordFile: string;
  configFile: string;
  resticEnv: Record<string, string>;
  /** `pillarsd ARGS --config F`, output appended to DIR/pillarsd.out */
  pillarsd(args: string[], timeoutMs?: number): Promise<CliResult>;
  spawn(args: string[]): SpawnedCli;
}

export interface MotokoOptions {
  /** the pillars are plain folders unless these say a mount is required */
  requireMount?: { flux?: boolean; space?: boolean };
  /** space-offsite's guard (a YAML flow map) */
  guard?: string;
  /** no sentinels written */
  sentinels?: boolean;
}

export function makeMotoko(name: string, o: MotokoOptions = {}): Motoko {
  const dir = faultDir(name);
  const { flux, space, cloud, state, repo } = makeMotokoFolders(dir, { sentinels: o.sentinels });
  const password = `restic-${randomBytes(12).toString('hex')}`;
  registerSecrets(password);
  const secretsDir = path.join(dir, 'secrets');
  mkdirSync(secretsDir, { mode: 0o700 });
  const passwordFile = path.join(secretsDir, 'restic.pw');
  writeFileSync(passwordFile, password, { mode: 0o600 });
  const yaml = motokoConfig({
    root: dir,
    requireMount: o.requireMount,
    resticSecret: `file:${passwordFile}`,
    remotes: {},
    jobs: { backup: {}, retention: { keep: { last: 2 } }, offsite: { guard: o.guard ?? '{ maxDeletePercent: 1, maxDeleteCount: 1000 }' } },
  });
  const configFile = path.join(dir, 'pillarsd.yaml');
  writeFileSync(configFile, yaml);
  const env = { HOME: dir };
  const out = path.join(dir, 'pillarsd.out');
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
    resticEnv: { RESTIC_REPOSITORY: repo, RESTIC_PASSWORD_FILE: passwordFile, RESTIC_CACHE_DIR: path.join(dir, 'restic-cache') },
    async pillarsd(args, timeoutMs = 120_000) {
      const r = await run(process.execPath, [pillarsdJs(), ...args, '--config', configFile], { env: { ...process.env, ...env }, cwd: dir, timeoutMs });
      appendFileSync(out, `$ pillarsd ${args.join(' ')} → ${r.code}\n${r.stdout}${r.stderr}\n`);
      return r;
    },
    spawn(args) {
      return spawnProcess(process.execPath, [pillarsdJs(), ...args, '--config', configFile], { env, cwd: dir });
    },
  };
}

/** Writes `mb` MiB of random data into `dir` in 4 MiB files named with `tag`. */
export function randomData(dir: string, tag: string, mb: number): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < mb / 4; i++) writeFileSync(path.join(dir, `${tag}-${i}.bin`), randomBytes(4 << 20));
}
