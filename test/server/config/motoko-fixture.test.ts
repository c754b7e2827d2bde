// The shared motoko of the tests and benches (test/support/motoko.ts) writes configurations the
// product's loader accepts, with exactly the jobs and options asked for: when the schema moves,
// this fails here rather than in every engine test, fault test and bench at once.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { parseConfig } from '../../../server/src/config/load';
import { FLUX_REPOSITORY, makeMotokoFolders, motokoConfig } from '../../support/motoko';
import { useCleanup } from '../../support/tmp';

const cleanup = useCleanup();

it('the standard jobs parse into the jobs they name, over the folders it made', () => {
  const root = cleanup.tempDir('pillars-motoko-').path;
  const f = makeMotokoFolders(root);
  for (const p of ['flux', 'space', 'time'] as const) expect(readFileSync(path.join(f[p], '.pillar'), 'utf8')).toBe(`${p}\n`);
  expect(existsSync(f.cloud)).toBe(true);
  const c = parseConfig(
    motokoConfig({
      root,
      requireMount: { space: true },
      resticSecret: 'env:PW',
      remotes: { more: '  other: { type: local }' },
      jobs: { backup: { exclude: ['**/node_modules', '*.tmp'] }, retention: { keep: { last: 2, daily: 7 } }, verify: {}, offsite: { guard: '{ maxDeletePercent: 5, maxDeleteCount: 10 }' } },
      extraJobs: '  late:\n    type: restic-check\n    repository: space:/r\n    password: restic\n',
    }),
    path.join(root, 'pillarsd.yaml'),
  );
  expect(c.stateDir).toBe(f.state);
  expect(c.pillars).toMatchObject({ flux: { path: f.flux, requireMount: false }, space: { path: f.space, requireMount: true }, time: { path: f.time, requireMount: false } });
  expect(Object.keys(c.remotes ?? {})).toEqual(['cloud', 'other']);
  expect(Object.keys(c.jobs)).toEqual(['flux-backup', 'flux-retention', 'flux-verify', 'space-offsite', 'late']);
  expect(c.jobs['flux-backup']).toMatchObject({ type: 'restic-backup', source: 'flux:/', repository: FLUX_REPOSITORY, exclude: ['**/node_modules', '*.tmp'], retries: { count: 0 } });
  expect(c.jobs['flux-retention']).toMatchObject({ type: 'restic-forget', keep: { last: 2, daily: 7 }, prune: true });
  expect(c.jobs['space-offsite']).toMatchObject({ type: 'rclone-sync', source: 'space:/', destination: `cloud:${f.cloud}`, guard: { maxDeletePercent: 5, maxDeleteCount: 10 } });
});

it('leaves out what is not asked for; without sentinels only Time is marked', () => {
  const root = cleanup.tempDir('pillars-motoko-').path;
  const f = makeMotokoFolders(root, { sentinels: false });
  expect([f.flux, f.space, f.time].map((d) => existsSync(path.join(d, '.pillar')))).toEqual([false, false, true]);
  expect(motokoConfig({ root, jobs: '' })).not.toMatch(/^(secrets|remotes):/m);
  const text = motokoConfig({ root, server: '{ listen: "127.0.0.1:0", tls: auto }', resticSecret: 'env:PW', jobs: { backup: {} } });
  expect(text).not.toMatch(/^remotes:/m);
  const c = parseConfig(text, path.join(root, 'pillarsd.yaml'));
  expect(c.server).toMatchObject({ tls: 'auto' });
  expect(Object.keys(c.jobs)).toEqual(['flux-backup']);
});
