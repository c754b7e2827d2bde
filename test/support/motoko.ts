// The motoko the engine tests, fault tests and benches run pillarsd against: Flux, Space and Time as
// plain folders under one root, a `cloud/` folder standing in for B2 behind a local rclone remote,
// and the pillarsd.yaml that names them with the standard jobs (a restic backup of Flux into
// Space, its retention and check, an rclone sync of Space to the cloud). Text only: the callers
// parse or load it with the product's own loader (test/support never imports product code).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Where the standard jobs' repository lives, as a pillar location and under Space. */
export const FLUX_REPOSITORY = 'space:/backups/restic/flux';

export interface MotokoFolders {
  root: string;
  flux: string;
  space: string;
  time: string;
  /** the folder the `cloud` remote (type local) stands for */
  cloud: string;
  state: string;
  /** the standard jobs' restic repository (FLUX_REPOSITORY on disk) */
  repo: string;
}

export function motokoFolders(root: string): MotokoFolders {
  const space = path.join(root, 'space');
  return {
    root,
    flux: path.join(root, 'flux'),
    space,
    time: path.join(root, 'time'),
    cloud: path.join(root, 'cloud'),
    state: path.join(root, 'state'),
    repo: path.join(space, 'backups/restic/flux'),
  };
}

/**
 * Creates the pillars and the cloud folder under `root`, each pillar with its `.pillar` sentinel
 * (rule 1); `sentinels: false` leaves Flux and Space without one (Time always has it).
 */
export function makeMotokoFolders(root: string, o: { sentinels?: boolean } = {}): MotokoFolders {
  const f = motokoFolders(root);
  for (const d of [f.flux, f.space, f.cloud, f.time]) mkdirSync(d, { recursive: true });
  const marked = o.sentinels === false ? [f.time] : [f.flux, f.space, f.time];
  for (const d of marked) writeFileSync(path.join(d, '.pillar'), `${path.basename(d)}\n`);
  return f;
}

/** The standard jobs; each one named is written, in this order. */
export interface MotokoJobs {
  /** `flux-backup`: restic-backup of flux:/ into FLUX_REPOSITORY */
  backup?: { exclude?: string[] };
  /** `flux-retention`: restic-forget with prune */
  retention?: { keep: Record<string, number> };
  /** `flux-verify`: restic-check */
  verify?: Record<string, never>;
  /** `space-offsite`: rclone-sync of space:/ to the cloud folder; `guard` is its YAML flow map; `maxDuration` a window */
  offsite?: { guard: string; maxDuration?: string };
}

export interface MotokoConfigOptions {
  root: string;
  /** default root/state */
  stateDir?: string;
  /** the YAML after `server:` */
  server?: string;
  requireMount?: { flux?: boolean; space?: boolean };
  /** the secret reference of `restic` (file:…, env:…); none: no `secrets:` */
  resticSecret?: string;
  /** the `cloud: { type: local }` remote, then these YAML lines under `remotes:` (indented two spaces) */
  remotes?: { cloud?: boolean; more?: string };
  /** the standard jobs, or the YAML under `jobs:` (indented two spaces) */
  jobs: MotokoJobs | string;
  /** YAML lines appended under `jobs:` */
  extraJobs?: string;
}

const line = (s: string) => (s === '' || s.endsWith('\n') ? s : `${s}\n`);

function standardJobs(j: MotokoJobs, cloud: string): string {
  const noRetries = '    retries: { count: 0 }\n';
  let y = '';
  if (j.backup) {
    y += `  flux-backup:\n    type: restic-backup\n    source: flux:/\n    repository: ${FLUX_REPOSITORY}\n    password: restic\n`;
    if (j.backup.exclude) y += `    exclude: [${j.backup.exclude.map((e) => JSON.stringify(e)).join(', ')}]\n`;
    y += noRetries;
  }
  if (j.retention) {
    const keep = Object.entries(j.retention.keep).map(([k, v]) => `${k}: ${v}`);
    y += `  flux-retention:\n    type: restic-forget\n    repository: ${FLUX_REPOSITORY}\n    password: restic\n    keep: { ${keep.join(', ')} }\n    prune: true\n${noRetries}`;
  }
  if (j.verify) y += `  flux-verify:\n    type: restic-check\n    repository: ${FLUX_REPOSITORY}\n    password: restic\n${noRetries}`;
  if (j.offsite)
    y += `  space-offsite:\n    type: rclone-sync\n    source: space:/\n    destination: cloud:${cloud}\n    guard: ${j.offsite.guard}\n${j.offsite.maxDuration ? `    maxDuration: ${j.offsite.maxDuration}\n` : ''}${noRetries}`;
  return y;
}

/** The pillarsd.yaml text of a motoko under `root` (see motokoFolders for the paths). */
export function motokoConfig(o: MotokoConfigOptions): string {
  const f = motokoFolders(o.root);
  const mount = (p: 'flux' | 'space') => o.requireMount?.[p] ?? false;
  let y = `stateDir: ${o.stateDir ?? f.state}
server: ${o.server ?? '{ listen: "127.0.0.1:0", tls: "off" }'}
pillars:
  flux: { path: ${f.flux}, requireMount: ${mount('flux')} }
  space: { path: ${f.space}, requireMount: ${mount('space')} }
  time: { path: ${f.time}, requireMount: false }
`;
  if (o.resticSecret) y += `secrets:\n  restic: ${o.resticSecret}\n`;
  if (o.remotes) y += `remotes:\n${o.remotes.cloud === false ? '' : '  cloud: { type: local }\n'}${line(o.remotes.more ?? '')}`;
  const jobs = typeof o.jobs === 'string' ? o.jobs : standardJobs(o.jobs, f.cloud);
  return `${y}jobs:\n${jobs}${o.extraJobs ?? ''}`;
}
