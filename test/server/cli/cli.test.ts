// `pillarsd` as a user runs it: exit codes and messages (server/README.md: 0 ok, 1 failed, 2 usage/config,
// 3 guard), a kill -9 in the middle of a backup, and demo/serve stopping cleanly on SIGTERM.
import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runPillarsd, spawnPillarsd } from '../../support/cli';
import { isAlive, runOk, sleep } from '../../support/proc';
import { hashTree, makeTree } from '../../support/trees';
import { useCleanup } from '../../support/tmp';
import { makeSandbox } from '../jobs/sandbox';

const reg = useCleanup();

describe('exit codes and messages', () => {
  it('unknown job, bad cron, invalid YAML → 2; missing restic, unreadable secret → 1; blocked → 3', { timeout: 180_000 }, async () => {
    const sb = makeSandbox(reg);
    writeFileSync(path.join(sb.flux, 'f.txt'), 'f');
    const badCron = path.join(sb.dir, 'bad-cron.yaml');
    writeFileSync(badCron, sb.yaml.replace('    exclude: ["**/node_modules"]\n', '    exclude: ["**/node_modules"]\n    schedule: "61 * * * *"\n'));
    const badYaml = path.join(sb.dir, 'bad.yaml');
    writeFileSync(badYaml, 'stateDir: /x\njobs:\n  a: [unclosed\n');
    const noSentinel = makeSandbox(reg);
    writeFileSync(path.join(noSentinel.flux, 'f.txt'), 'f');
    rmSync(path.join(noSentinel.space, '.pillar'));
    const loose = makeSandbox(reg);
    writeFileSync(path.join(loose.flux, 'f.txt'), 'f');
    chmodSync(loose.passwordFile, 0o644);

    const [unknown, cron, yaml, noRestic, secret, blocked, checkOk, checkBad] = await Promise.all([
      runPillarsd(['run', 'nope', '--config', sb.configFile]),
      runPillarsd(['check', '--config', badCron]),
      runPillarsd(['jobs'], { env: { PILLARS_CONFIG: badYaml } }),
      runPillarsd(['run', 'flux-backup', '--config', sb.configFile], { env: { PATH: '/nonexistent' } }),
      runPillarsd(['run', 'flux-backup', '--config', loose.configFile]),
      runPillarsd(['run', 'space-offsite', '--json', '--config', noSentinel.configFile]),
      runPillarsd(['check', '--json', '--config', sb.configFile]),
      runPillarsd(['check', '--config', loose.configFile], { env: { PATH: '/nonexistent' } }),
    ]);
    expect(checkOk.code, checkOk.stdout).toBe(0);
    const items = (JSON.parse(checkOk.stdout) as { ok: boolean; items: Array<{ what: string; ok: boolean }> }).items;
    expect(items.map((i) => i.what)).toEqual(expect.arrayContaining(['config', 'restic', 'rclone', 'pillar flux', 'pillar space', 'stateDir', 'secret restic']));
    expect(checkBad.code).toBe(1);
    expect(checkBad.stdout).toMatch(/FAIL restic +restic is not installed or not on PATH/);
    expect(checkBad.stdout).toMatch(/FAIL secret restic +file:\S+ has mode 0644/);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`unknown job "nope" in ${sb.configFile} (known: flux-backup, flux-retention, flux-verify, space-offsite)`);
    expect(cron.code).toBe(2);
    expect(cron.stderr).toMatch(new RegExp(`${badCron.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: jobs\\.flux-backup\\.schedule: invalid cron expression "61 \\* \\* \\* \\*"`));
    expect(yaml.code).toBe(2);
    expect(yaml.stderr).toMatch(new RegExp(`${badYaml.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: \\(top level\\): invalid YAML`));
    expect(noRestic.code, noRestic.stderr).toBe(1);
    expect(noRestic.stdout).toContain('flux-backup: failed — restic is not installed or not on PATH (PATH=/nonexistent)');
    expect(secret.code).toBe(1);
    expect(secret.stdout).toContain(`secret "restic" (file:${loose.passwordFile}): ${loose.passwordFile} has mode 0644; a secret file must be 0600 or stricter`);
    expect(secret.stdout + secret.stderr).not.toContain(loose.password);
    expect(blocked.code).toBe(3);
    const run = JSON.parse(blocked.stdout) as { status: string; block: { guard: string } };
    expect(run).toMatchObject({ status: 'blocked', block: { guard: 'pillar-sentinel' } });
    // the failures are in the history too, with the same reasons
    const hist = await runPillarsd(['runs', '--json', '--config', loose.configFile]);
    expect(JSON.parse(hist.stdout).runs[0]).toMatchObject({ jobId: 'flux-backup', status: 'failed', error: expect.stringContaining('mode 0644') });
  });
});

describe('kill -9 during a backup (rule 5)', () => {
  it('the run becomes interrupted, the orphaned restic dies, and backup, check and prune then succeed', { timeout: 240_000 }, async () => {
    const sb = makeSandbox(reg);
    await makeTree(path.join(sb.flux, 'w'), { bigFileBytes: 200 << 20, newlineName: false });
    const p = reg.track(spawnPillarsd(['run', 'flux-backup', '--config', sb.configFile]));
    const { openDb } = await import('../../../server/src/store/db');
    const runRow = () => {
      const db = openDb(path.join(sb.state, 'pillarsd.db'));
      try {
        return db.prepare("SELECT id, status, child_pid FROM runs WHERE job_id = 'flux-backup'").get() as { id: string; status: string; child_pid: number | null } | undefined;
      } finally {
        db.close();
      }
    };
    // the run's `restic backup` child, as pillarsd recorded it when it started it: the first child
    // is `restic init`, and stopping that one would leave a half-made repository instead
    const isBackup = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('backup');
      } catch {
        return false;
      }
    };
    let child: number | null = null;
    for (let i = 0; i < 2400 && !child; i++) {
      await sleep(50);
      const pid = existsSync(path.join(sb.state, 'pillarsd.db')) ? runRow()?.child_pid : null;
      if (pid && isBackup(pid)) child = pid;
    }
    expect(child, `pillarsd never started restic backup (run: ${JSON.stringify(runRow())})`).toBeTruthy();
    const restic = child!;
    // The orphan is held in its state instead of hoping a timer is long enough: stopped, it can
    // neither finish the backup nor die of SIGPIPE at its next status line (4 a second) once
    // pillarsd's end of its stdout is gone, so the kill -9 meets it mid-backup every time.
    process.kill(restic, 'SIGSTOP');
    reg.add(() => {
      if (isAlive(restic)) process.kill(restic, 'SIGKILL');
    });
    process.kill(p.pid, 'SIGKILL');
    await p.exited;
    const row = runRow()!;
    expect(row.status).toBe('running'); // the lie a crash leaves, until the next start
    expect(row.child_pid).toBe(restic);
    expect(isAlive(restic)).toBe(true); // restic outlives pillarsd in its own group
    // let it go on as it would have: it dies at its next write, its lock left behind
    process.kill(restic, 'SIGCONT');
    // the password file of the killed process is still there (no finally ran)…
    expect(readdirSync(path.join(sb.state, 'runtime'))).toHaveLength(1);

    const again = await runPillarsd(['run', 'flux-backup', '--json', '--config', sb.configFile], { timeoutMs: 120_000 });
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(isAlive(restic)).toBe(false);
    // …until the next start removes it
    expect(readdirSync(path.join(sb.state, 'runtime'))).toEqual([]);
    const hist = JSON.parse((await runPillarsd(['runs', '--json', '--config', sb.configFile])).stdout) as { runs: Array<{ id: string; status: string; error: string | null }> };
    expect(hist.runs.find((r) => r.id === row.id)).toMatchObject({ status: 'interrupted', error: 'pillarsd stopped while this run was running' });
    const second = await runPillarsd(['run', 'flux-verify', '--config', sb.configFile], { timeoutMs: 120_000 });
    expect(second.code, second.stdout).toBe(0);
    const prune = await runPillarsd(['run', 'flux-retention', '--config', sb.configFile], { timeoutMs: 120_000 });
    expect(prune.code, prune.stdout).toBe(0);
    expect(prune.stdout).toMatch(/kept 1, removed \d+ snapshots, pruned/);
    await runOk('restic', ['check'], { env: { ...process.env, ...sb.resticEnv } });
  });
});

describe('approve from the CLI (issue 14)', () => {
  it('1,500 of 2,006 files moved out: run --approve is a usage error that leaves the cloud alone; approve RUN shows the set and approves exactly it', { timeout: 300_000 }, async () => {
    const sb = makeSandbox(reg);
    for (let d = 0; d < 20; d++) {
      mkdirSync(path.join(sb.space, `album ${d}`));
      for (let i = 0; i < 100; i++) writeFileSync(path.join(sb.space, `album ${d}`, `img-${i}.jpg`), `i${d}-${i}`);
    }
    for (let i = 0; i < 6; i++) writeFileSync(path.join(sb.space, `doc ${i}.txt`), `d${i}`);
    expect((await runPillarsd(['run', 'space-offsite', '--config', sb.configFile], { timeoutMs: 120_000 })).code).toBe(0);
    const moved = path.join(sb.dir, 'moved');
    mkdirSync(moved);
    for (let d = 0; d < 15; d++) renameSync(path.join(sb.space, `album ${d}`), path.join(moved, `album ${d}`));
    const before = await hashTree(sb.cloud);

    // no run is blocked: --approve cannot approve ahead of time
    const blanket = await runPillarsd(['run', 'space-offsite', '--approve', '--config', sb.configFile]);
    expect(blanket.code).toBe(2);
    expect(blanket.stderr).toMatch(/--approve does not approve ahead of time: no run of space-offsite is waiting for approval/);
    expect(await hashTree(sb.cloud)).toEqual(before);

    const blocked = await runPillarsd(['run', 'space-offsite', '--config', sb.configFile], { timeoutMs: 120_000 });
    expect(blocked.code).toBe(3);
    const runId = /pillarsd approve (\S+)/.exec(blocked.stdout)?.[1];
    expect(blocked.stdout).toMatch(/space-offsite: blocked — the run would delete 1500 files/);
    expect(blocked.stdout).not.toContain('--approve');
    expect(runId).toBeTruthy();
    // with a blocked run, --approve points at it instead of approving anything
    const pointed = await runPillarsd(['run', 'space-offsite', '--approve', '--config', sb.configFile]);
    expect(pointed.code).toBe(2);
    expect(pointed.stderr).toContain(`pillarsd approve ${runId}`);
    // a count that is not the set's approves nothing, with or without a terminal
    const wrong = await runPillarsd(['approve', runId!, '--yes', '1499', '--config', sb.configFile]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--yes 1499 is not the 1500 file\(s\) run \S+ listed: nothing approved/);
    const typo = await runPillarsd(['approve', runId!, '--config', sb.configFile], { input: 'y\n' });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/Type the number of files \(1500\) to approve/);
    expect(await hashTree(sb.cloud)).toEqual(before);
    // the set first: totals, per-folder totals and files with sizes; then the count typed back
    const ok = await runPillarsd(['approve', runId!, '--config', sb.configFile], { input: '1500\n', timeoutMs: 120_000 });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/to delete at the destination: 1500 file\(s\)/);
    expect(ok.stdout).toMatch(/\s+100\s+\S+ B\s+album 0\//);
    expect(ok.stdout).toMatch(/… and 1450 more/);
    expect(ok.stdout).toMatch(/space-offsite: succeeded/);
    expect(ok.stdout).toMatch(/0 files \(0 B\) transferred, 1500 deleted, 0 errors/);
    expect(await hashTree(sb.cloud)).toEqual(Object.fromEntries(Object.entries(await hashTree(sb.space)).filter(([k]) => k !== '.pillar')));
    expect(readdirSync(sb.cloud).filter((f) => f.startsWith('album')).length).toBeGreaterThanOrEqual(5);
    // the run is done: approving it again is nothing to approve
    expect((await runPillarsd(['approve', runId!, '--yes', '1500', '--config', sb.configFile])).code).toBe(2);
  });
});

describe('demo and serve', () => {
  it('demo builds the sandbox, prints the admin URL and a token that works, and stops on SIGTERM', { timeout: 180_000 }, async () => {
    const dir = path.join(reg.tempDir('pillars-demo-').path, 'demo');
    const d = reg.track(spawnPillarsd(['demo', '--dir', dir, '--port', '0']));
    const url = (await d.waitForLine(/admin URL:\s+(\S+)/, 60_000))[1]!.replace(/\/$/, '');
    const demoLink = (await d.waitForLine(/login link:\s+(\S+)/))[1]!;
    const token = (await d.waitForLine(/admin token:\s+(\S+)/))[1]!;
    for (const f of ['flux/.pillar', 'space/.pillar', 'time/.pillar', 'pillarsd.yaml']) expect(existsSync(path.join(dir, f)), f).toBe(true);
    expect((await fetch(`${url}/api/v1/health`)).status).toBe(200);
    expect((await fetch(`${url}/api/v1/status`)).status).toBe(401);
    const status = await fetch(`${url}/api/v1/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(status.status).toBe(200);
    const body = (await status.json()) as { pillars: Array<{ id: string; online: boolean }>; jobs: Array<{ id: string }> };
    expect(body.pillars.map((p) => [p.id, p.online])).toEqual([
      ['flux', true],
      ['space', true],
      ['time', true],
    ]);
    expect(body.jobs.map((j) => j.id)).toEqual(['flux-backup', 'flux-retention', 'flux-verify', 'space-offsite', 'repo-offsite', 'media-seed']);
    // login links: the demo's own, and one from `pillarsd login-link` for the running demo (its port
    // was chosen at start: the CLI finds the URL the server recorded). Each code works once.
    const ll = await runPillarsd(['login-link', '--config', path.join(dir, 'pillarsd.yaml')]);
    expect(ll.code, ll.stderr).toBe(0);
    const cliLink = /login link: (\S+)/.exec(ll.stdout)![1]!;
    for (const link of [demoLink, cliLink]) {
      expect(link.startsWith(`${url}/#login=`), link).toBe(true);
      const code = link.split('#login=')[1]!;
      const pair = () => fetch(`${url}/api/v1/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
      const first = await pair();
      expect(first.status).toBe(200);
      const got = (await first.json()) as { token: string; role: string };
      expect(got.role).toBe('admin');
      expect((await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${got.token}` } })).status).toBe(200);
      expect((await pair()).status).toBe(401);
    }
    const bad = await runPillarsd(['login-link', '--config', path.join(dir, 'pillarsd.yaml'), '--role', 'owner']);
    expect([bad.code, bad.stderr]).toEqual([2, 'pillarsd: --role must be viewer or admin, not "owner"\n']);
    // the scenario switch works without the API
    const sc = await runPillarsd(['demo', '--dir', dir, '--scenario', 'blocked-sync']);
    expect(sc.stdout).toMatch(/moved \d+ of \d+ Space files/);
    const { code, signal } = await d.kill('SIGTERM');
    expect([code, signal]).toEqual([0, null]);
  });
});
