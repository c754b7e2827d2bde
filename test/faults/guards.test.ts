// Unmounted and empty Space and Flux, and mass deletion at 5, 30 and 100 % of Space: every run ends
// `blocked` (exit 3) before anything is deleted at the destination (the cloud's hashes are equal
// before and after) and no snapshot, let alone an empty one, is added. Through `pillarsd run` on
// real restic and rclone.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeReliability } from './support/run';
import { makeMotoko } from './support/motoko';
import type { Motoko } from './support/motoko';
import { hashTree, makeTree } from '../support/trees';
import { run } from '../support/proc';

interface Row {
  scenario: string;
  job: string;
  exit: number | null;
  guard: string;
  destinationEqual: boolean;
  newSnapshots: number;
}

/** the repository's snapshots; none while the repository is moved away (the "empty Space" faults) */
async function snapshots(m: Motoko): Promise<Array<{ id: string }>> {
  if (!existsSync(path.join(m.repo, 'config'))) return [];
  const r = await run('restic', ['snapshots', '--json', '--no-lock'], { env: { ...process.env, ...m.resticEnv }, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`restic snapshots: ${r.stderr}`);
  return JSON.parse(r.stdout) as Array<{ id: string }>;
}

/** Moves everything but the sentinel aside; returns the undo. */
function emptyOut(dir: string, aside: string): () => void {
  mkdirSync(aside, { recursive: true });
  const moved = readdirSync(dir).filter((n) => n !== '.pillar');
  for (const n of moved) renameSync(path.join(dir, n), path.join(aside, n));
  return () => {
    for (const n of moved) renameSync(path.join(aside, n), path.join(dir, n));
  };
}

describe('guards under unmounted, empty and mass-deleted pillars', () => {
  it('blocks before any deletion at the destination and adds no snapshot', async () => {
    const m = makeMotoko('guards');
    await makeTree(path.join(m.flux, 'work'), { newlineName: false });
    const photos = path.join(m.space, 'photos');
    mkdirSync(photos);
    const N = 200;
    for (let i = 0; i < N; i++) writeFileSync(path.join(photos, `p${String(i).padStart(3, '0')}.jpg`), `photo ${i}\n`.repeat(50));
    for (const job of ['flux-backup', 'space-offsite']) {
      const r = await m.pillarsd(['run', job, '--json']);
      expect(r.code, `${job}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    const rows: Row[] = [];
    const variant = (name: string, yamlEdit: (y: string) => string) => {
      const f = path.join(m.dir, `${name}.yaml`);
      writeFileSync(f, yamlEdit(readFileSync(m.configFile, 'utf8')));
      return f;
    };
    const attempt = async (scenario: string, job: string, configFile?: string) => {
      const cloudBefore = await hashTree(m.cloud);
      const snapsBefore = (await snapshots(m)).length;
      const r = configFile
        ? await run(process.execPath, [process.env.PILLARS_FAULTS_PILLARSD!, 'run', job, '--json', '--config', configFile], { env: { ...process.env, HOME: m.dir }, cwd: m.dir, timeoutMs: 120_000 })
        : await m.pillarsd(['run', job, '--json']);
      writeFileSync(path.join(m.dir, `${rows.length}-${job}.out`), r.stdout + r.stderr);
      let guard: string;
      try {
        const j = JSON.parse(r.stdout) as { block?: { guard?: string } | null; error?: string };
        guard = j.block?.guard ?? j.error ?? '?';
      } catch {
        guard = r.stderr.trim().split('\n').pop() ?? '?';
      }
      const row = { scenario, job, exit: r.code, guard, destinationEqual: JSON.stringify(await hashTree(m.cloud)) === JSON.stringify(cloudBefore), newSnapshots: (await snapshots(m)).length - snapsBefore };
      rows.push(row);
      return row;
    };

    // unmounted: the pillar is a plain folder where a mount point is required
    const spaceUnmounted = variant('space-unmounted', (y) => y.replace(/space: \{ path: (\S+), requireMount: false \}/, 'space: { path: $1, requireMount: true }'));
    await attempt('Space not a mount point', 'flux-backup', spaceUnmounted);
    await attempt('Space not a mount point', 'space-offsite', spaceUnmounted);
    const fluxUnmounted = variant('flux-unmounted', (y) => y.replace(/flux: \{ path: (\S+), requireMount: false \}/, 'flux: { path: $1, requireMount: true }'));
    await attempt('Flux not a mount point', 'flux-backup', fluxUnmounted);
    // unmounted as it looks from the server: the mount folder without its sentinel
    rmSync(path.join(m.space, '.pillar'));
    await attempt('Space without its sentinel', 'flux-backup');
    await attempt('Space without its sentinel', 'space-offsite');
    writeFileSync(path.join(m.space, '.pillar'), 'space\n');
    rmSync(path.join(m.flux, '.pillar'));
    await attempt('Flux without its sentinel', 'flux-backup');
    writeFileSync(path.join(m.flux, '.pillar'), 'flux\n');
    // empty (mounted, sentinel present, nothing else)
    let undo = emptyOut(m.space, path.join(m.dir, 'aside-space'));
    await attempt('Space empty', 'space-offsite');
    undo();
    undo = emptyOut(m.flux, path.join(m.dir, 'aside-flux'));
    await attempt('Flux empty', 'flux-backup');
    undo();
    // mass deletion in Space, the guard at 1 %
    const files = readdirSync(photos).sort();
    const total = Object.keys(await hashTree(m.cloud)).filter((k) => !k.endsWith('/') && k.includes('.')).length;
    for (const pct of [5, 30, 100]) {
      const aside = path.join(m.dir, `aside-${pct}`);
      mkdirSync(aside);
      let restore: () => void;
      if (pct === 100) restore = emptyOut(m.space, aside);
      else {
        const gone = files.slice(0, Math.round((files.length * pct) / 100));
        for (const f of gone) renameSync(path.join(photos, f), path.join(aside, f));
        restore = () => gone.forEach((f) => renameSync(path.join(aside, f), path.join(photos, f)));
      }
      await attempt(`${pct} % of Space deleted`, 'space-offsite');
      restore();
    }

    writeReliability(
      'guards',
      `## Unmounted and empty pillars, mass deletion (\`test/faults/guards.test.ts\`)

Method: a motoko with Flux (a sample tree of awkward names) backed up by real restic into Space, and
Space (${N} photos plus the restic repository, ${total} files in the cloud copy) synced by real rclone to a
local "cloud"; the offsite guard allows 1 % of deletions. Each row is one \`pillarsd run JOB --json\`
after the fault; the cloud is hashed (every file's SHA-256) and the repository's snapshots counted
before and after. "Not a mount point": the pillar requires a mount and is a plain folder. "Without its
sentinel": the mount folder as it looks when nothing is mounted on it. "Empty": mounted with its
sentinel and nothing else. Deletions: the first 5 % or 30 % of the photos, or everything, moved away.

| fault | job | exit | stopped by | destination unchanged | new snapshots | verdict |
|---|---|---|---|---|---|---|
${rows.map((r) => `| ${r.scenario} | ${r.job} | ${r.exit} | ${r.guard} | ${r.destinationEqual ? 'yes' : 'NO'} | ${r.newSnapshots} | ${r.exit === 3 && r.destinationEqual && r.newSnapshots === 0 ? 'met' : 'MISSED'} |`).join('\n')}`,
    );
    for (const r of rows) {
      expect(r, `${r.scenario}: ${r.job}`).toMatchObject({ exit: 3, destinationEqual: true, newSnapshots: 0 });
    }
    // and the guards never cost the real work: with everything back, both jobs run
    for (const job of ['flux-backup', 'space-offsite']) expect((await m.pillarsd(['run', job])).code).toBe(0);
  });
});
