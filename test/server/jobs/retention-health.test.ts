// Retention gated on health (rule 3), against the real restic 0.14: forget and prune wait, blocked
// with the reason, while the repository's latest check failed or its latest backup saved no
// snapshot; and a `restic ls` that fails is an error, never read as "the snapshot is empty".
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runOk } from '../../support/proc';
import { useCleanup } from '../../support/tmp';
import { makeSandbox, runJob, sandboxRuntime } from './sandbox';

const reg = useCleanup();

/** Every file under the repository's data/ folder, largest first. */
function packs(repo: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync(path.join(repo, 'data'))) for (const f of readdirSync(path.join(repo, 'data', d))) out.push(path.join(repo, 'data', d, f));
  return out.sort((a, b) => statSync(b).size - statSync(a).size);
}

describe('retention gated on health', () => {
  it('after a check failed on a missing pack, retention is blocked with that reason and runs no restic at all', { timeout: 180_000 }, async () => {
    const sb = makeSandbox(reg);
    writeFileSync(path.join(sb.flux, 'a.bin'), randomBytes(6 << 20));
    const rt = sandboxRuntime(reg, sb);
    expect((await runJob(rt, 'flux-backup')).status).toBe('succeeded');
    writeFileSync(path.join(sb.flux, 'b.bin'), randomBytes(6 << 20));
    expect((await runJob(rt, 'flux-backup')).status).toBe('succeeded');
    // the largest pack holds file data (restic keeps trees in packs of their own): checking trees still works
    const lost = packs(sb.repo)[0]!;
    rmSync(lost, { force: true });
    const check = await runJob(rt, 'flux-verify');
    expect(check.status).toBe('failed');
    expect(check.error).toBe(`restic check: the repository at ${sb.repo} has errors: pack ${path.basename(lost)}: does not exist`);
    expect(check.summary).toEqual({ kind: 'restic-check', ok: false, readDataSubset: null });

    const ret = await runJob(rt, 'flux-retention');
    expect(ret.status).toBe('blocked');
    expect(ret.block).toMatchObject({ guard: 'repository-unhealthy', needsApproval: false });
    expect(ret.block!.message).toMatch(
      new RegExp(
        `^retention of space:/backups/restic/flux waits: the latest check \\(flux-verify, run ${check.id} of [0-9-]+ [0-9:]+\\) failed: restic check: the repository at \\S+ has errors: pack ${path.basename(lost)}: does not exist\\. It goes on once a check passes`,
      ),
    );
    expect(await rt.engine.readLog(ret.id)).not.toMatch(/\$ restic/);
    const snaps = JSON.parse((await runOk('restic', ['snapshots', '--json'], { env: { ...process.env, ...sb.resticEnv } })).stdout) as unknown[];
    expect(snaps).toHaveLength(2);
  });

  it('a backup a guard blocked holds retention back until a backup saves its snapshot', { timeout: 180_000 }, async () => {
    const sb = makeSandbox(reg);
    writeFileSync(path.join(sb.flux, 'a.txt'), 'one');
    const rt = sandboxRuntime(reg, sb);
    expect((await runJob(rt, 'flux-backup')).status).toBe('succeeded');
    rmSync(path.join(sb.flux, 'a.txt'));
    const blocked = await runJob(rt, 'flux-backup');
    expect(blocked.status).toBe('blocked');
    const ret = await runJob(rt, 'flux-retention');
    expect(ret.status).toBe('blocked');
    expect(ret.block?.message).toMatch(new RegExp(`the latest backup into it \\(flux-backup, run ${blocked.id} of [^)]+\\) was blocked: source \\S+ is empty.*It goes on once flux-backup saves a snapshot`));
    writeFileSync(path.join(sb.flux, 'a.txt'), 'back');
    expect((await runJob(rt, 'flux-backup')).status).toBe('succeeded');
    expect((await runJob(rt, 'flux-retention')).status).toBe('succeeded');
  });

  it('a restic ls that fails is an error, never "empty" (snapshots pillarsd has no record of, damaged packs)', { timeout: 180_000 }, async () => {
    const sb = makeSandbox(reg, {
      jobs: `  flux-retention:
    type: restic-forget
    repository: space:/backups/restic/flux
    password: restic
    keep: { last: 1 }
    prune: true
    healthGate: { check: false, backup: false }
    retries: { count: 0 }
`,
    });
    // two snapshots made before pillarsd looked after this repository
    const env = { ...process.env, ...sb.resticEnv };
    await runOk('restic', ['init'], { env });
    writeFileSync(path.join(sb.flux, 'a.txt'), 'one');
    await runOk('restic', ['backup', sb.flux], { env });
    writeFileSync(path.join(sb.flux, 'b.txt'), 'two');
    await runOk('restic', ['backup', sb.flux], { env });
    // bit rot in every pack: restic fails to read the trees at once (a missing pack it retries for a minute)
    for (const p of packs(sb.repo)) {
      const size = statSync(p).size;
      rmSync(p, { force: true });
      writeFileSync(p, randomBytes(size));
    }
    rmSync(path.join(sb.dir, 'restic-cache'), { recursive: true, force: true });
    const rt = sandboxRuntime(reg, sb);
    const ret = await runJob(rt, 'flux-retention');
    expect(ret.status).toBe('failed');
    expect(ret.error).toMatch(/^restic ls [0-9a-f]{8}: restic exited 1: /);
    expect(ret.error).not.toMatch(/empty/);
    expect(await rt.engine.readLog(ret.id)).not.toMatch(/\$ restic forget --json --keep-last 1 --prune/);
    const snaps = JSON.parse((await runOk('restic', ['snapshots', '--json'], { env })).stdout) as unknown[];
    expect(snaps).toHaveLength(2);
  });
});
