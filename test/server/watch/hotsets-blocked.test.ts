// A run the pillar guards block before anything ran leaves Syncthing alone: the hot-set pause wraps
// the hooks and the tool, not the preflight (mounted, sentinel, recovery marker), so a Flux backup
// refused there neither pauses nor resumes a hot-set. Real Syncthing 1.19 and a real `pillarsd run`;
// the same backup once Flux is whole pauses and resumes them (the control: the pause is wired).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Run } from '../../../server/src/contract/api';
import { runPillarsd } from '../../support/cli';
import { startSyncthing } from '../../support/syncthing';
import { useCleanup } from '../../support/tmp';
import { makeSandbox } from '../jobs/sandbox';

const reg = useCleanup();

describe('hot-sets and a run blocked before any hook', () => {
  it('a Flux backup its pillar guard blocks never touches Syncthing; once Flux is whole the backup pauses and resumes the hot-sets', { timeout: 300_000 }, async () => {
    const st = reg.track(await startSyncthing({ name: 'motoko' }));
    const sb = makeSandbox(reg);
    writeFileSync(sb.configFile, `${sb.yaml}syncthing: { url: "${st.url}", apiKey: "env:ST_KEY", hotRoot: "flux:/hot", pauseDuringBackup: true, pollSeconds: 1 }\n`);
    mkdirSync(path.join(sb.flux, 'hot', 'notes'), { recursive: true });
    writeFileSync(path.join(sb.flux, 'hot', 'notes', 'a.md'), 'notes\n');
    await st.addFolder('hot-notes', path.join(sb.flux, 'hot', 'notes'));
    const env = { PILLARS_CONFIG: sb.configFile, HOME: sb.dir, ST_KEY: st.apiKey };
    const paused = async () => (await st.api<Array<{ id: string; paused: boolean }>>('GET', '/rest/config/folders')).find((f) => f.id === 'hot-notes')?.paused;
    const runLog = (r: Run) => readFileSync(path.join(sb.state, 'logs', `${r.id}.log`), 'utf8');

    // Flux without its sentinel: blocked by rule 1 before any hook, and Syncthing never asked
    const sentinel = readFileSync(path.join(sb.flux, '.pillar'), 'utf8');
    rmSync(path.join(sb.flux, '.pillar'));
    const blocked = await runPillarsd(['run', 'flux-backup', '--json'], { env, timeoutMs: 120_000 });
    expect(blocked.code, blocked.stderr).toBe(3);
    const b = JSON.parse(blocked.stdout) as Run;
    expect(b.block?.guard).toBe('pillar-sentinel');
    expect(runLog(b)).not.toMatch(/hot-sets/);
    expect(await paused()).toBe(false);

    // Flux whole again: the same backup pauses the hot-set around restic and resumes it
    writeFileSync(path.join(sb.flux, '.pillar'), sentinel);
    const ok = await runPillarsd(['run', 'flux-backup', '--json'], { env, timeoutMs: 120_000 });
    expect(ok.code, ok.stderr).toBe(0);
    const log = runLog(JSON.parse(ok.stdout) as Run);
    expect(log).toContain('hot-sets: paused hot-notes for flux-backup');
    expect(log).toContain('hot-sets: resumed hot-notes');
    expect(await paused()).toBe(false);
  });
});
