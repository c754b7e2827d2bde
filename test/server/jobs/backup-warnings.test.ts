// A backup that could not read some files (restic exit 3) ends `succeeded-with-warnings`, naming
// each file and why, and the offsite sync that runs `after:` it still runs (a job that says
// `afterWarnings: skip` does not). Root reads every file, so pillarsd (and with it restic) runs
// here as an unprivileged user over a Flux with a file and a folder that user cannot read: the
// real restic 0.14 reports them as it would on motoko.
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Run, RunsPage } from '../../../server/src/contract/api';
import { runPillarsd, spawnPillarsd } from '../../support/cli';
import { idsOf, runOk } from '../../support/proc';
import { ensureUnixUser } from '../../support/smbd';
import { useCleanup } from '../../support/tmp';
import { request, type Target } from '../http/support/client';
import { makeSandbox } from './sandbox';

const USER = 'pillarsbk1';

describe('a backup that could not read some files', () => {
  const cleanup = useCleanup();

  it('ends succeeded-with-warnings naming the files; the offsite sync after it still runs, one with afterWarnings: skip does not', { timeout: 180_000 }, async () => {
    await ensureUnixUser(USER);
    const who = await idsOf(USER);
    const sb = makeSandbox(cleanup, {
      jobs: `  flux-backup:
    type: restic-backup
    source: flux:/
    repository: space:/backups/restic/flux
    password: restic
    retries: { count: 0 }
  space-offsite:
    type: rclone-sync
    source: space:/
    destination: cloud:CLOUD
    after: [flux-backup]
    retries: { count: 0 }
  space-strict:
    type: rclone-copy
    source: space:/
    destination: cloud:CLOUD/strict
    after: [flux-backup]
    afterWarnings: skip
    retries: { count: 0 }
`,
    });
    writeFileSync(sb.configFile, sb.yaml.replaceAll('CLOUD', sb.cloud));
    mkdirSync(path.join(sb.flux, 'proj/keys'), { recursive: true });
    mkdirSync(path.join(sb.flux, 'closed'));
    writeFileSync(path.join(sb.flux, 'proj/readme.md'), 'hello\n');
    writeFileSync(path.join(sb.flux, 'proj/keys/id_ed25519'), 'not for this user\n');
    writeFileSync(path.join(sb.flux, 'closed/inside.txt'), 'hidden\n');
    await runOk('chown', ['-R', `${who.uid}:${who.gid}`, sb.dir]);
    // what the backup's user cannot read: a root-owned 0600 file and a root-owned 0700 folder
    chownSync(path.join(sb.flux, 'proj/keys/id_ed25519'), 0, 0);
    chmodSync(path.join(sb.flux, 'proj/keys/id_ed25519'), 0o600);
    chownSync(path.join(sb.flux, 'closed'), 0, 0);
    chmodSync(path.join(sb.flux, 'closed'), 0o700);
    chmodSync(sb.dir, 0o755);

    const as = { ...who, cwd: sb.dir, env: { HOME: sb.dir, PILLARS_CONFIG: sb.configFile } };
    const tok = await runPillarsd(['token', 'create', '--role', 'admin', '--name', 'test', '--json'], as);
    expect(tok.code, tok.stderr).toBe(0);
    const token = (JSON.parse(tok.stdout) as { token: string }).token;
    const srv = cleanup.track(spawnPillarsd(['serve'], as));
    const url = (await srv.waitForLine(/serving (http:\/\/[^\s"]+)/, 60_000))[1]!;
    const t: Target = { url };
    const auth = { authorization: `Bearer ${token}` };
    const started = await request(t, { method: 'POST', path: '/api/v1/jobs/flux-backup/run', headers: auth });
    expect(started.status, started.text).toBe(202);

    const lastOf = async (job: string): Promise<Run | undefined> => ((await request(t, { path: `/api/v1/runs?job=${job}&limit=5`, headers: auth })).json() as RunsPage).runs[0];
    let offsite: Run | undefined;
    for (let i = 0; i < 600 && !(offsite && ['succeeded', 'failed', 'blocked', 'interrupted', 'cancelled'].includes(offsite.status)); i++) {
      await new Promise((r) => setTimeout(r, 250));
      offsite = await lastOf('space-offsite');
    }
    const backup = (await lastOf('flux-backup'))!;
    expect(backup.status, backup.error ?? '').toBe('succeeded-with-warnings');
    expect(backup.exitCode).toBe(3);
    const key = path.join(sb.flux, 'proj/keys/id_ed25519');
    const closed = path.join(sb.flux, 'closed');
    expect(backup.error).toMatch(/^snapshot [0-9a-f]{8} saved, but 2 files could not be read: /);
    expect(backup.error).toContain(`${key} (permission denied)`);
    expect(backup.error).toContain(`${closed} (permission denied)`);
    expect(backup.summary).toMatchObject({ kind: 'restic-backup', unreadableFiles: 2 });
    const listed = backup.summary?.kind === 'restic-backup' ? backup.summary.unreadable : undefined;
    expect(listed?.slice().sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: closed, reason: 'permission denied' },
      { path: key, reason: 'permission denied' },
    ]);
    const log = (await request(t, { path: `/api/v1/runs/${backup.id}/log`, headers: auth })).json() as { log: string };
    expect(log.log).toContain(`not read: ${key}: permission denied (during archival)`);

    // the dependent sync ran after it and carried the repository (with the new snapshot) offsite
    expect(offsite?.status, offsite?.error ?? '').toBe('succeeded');
    expect(offsite?.trigger).toBe('dependency');
    expect(existsSync(path.join(sb.cloud, 'backups/restic/flux/config'))).toBe(true);
    // the one that asks to skip after warnings did not run at all
    expect(await lastOf('space-strict')).toBeUndefined();

    // the snapshot is real: restic lists the readable file in it and not the unreadable one
    const snap = /^snapshot ([0-9a-f]{8})/.exec(backup.error!)![1]!;
    const ls = await runOk('restic', ['ls', snap], { env: { ...process.env, ...sb.resticEnv } });
    expect(ls.stdout).toContain(path.join(sb.flux, 'proj/readme.md'));
    expect(ls.stdout).not.toContain('id_ed25519');
    await srv.stop();
  });
});
