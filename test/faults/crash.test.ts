// kill -9 of pillarsd at random points of backups and prunes (quick: 5 points, full: 20). Each
// time: the next `pillarsd run` recovers (the killed run becomes `interrupted`, the orphaned restic
// is ended), succeeds (no stale-lock failure: it unlocks first), and plain `restic check` of the
// repository is clean.
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FULL, writeReliability } from './support/run';
import { makeMotoko, randomData } from './support/motoko';
import { isAlive, run, sleep } from '../support/proc';
import { openDb, stateDbPath } from '../../server/src/store/db';
import { RunStore } from '../../server/src/store/runs';

const POINTS = FULL ? 20 : 5;

/** pids of the direct children of `pid` whose command is `comm` */
function children(pid: number, comm: string): number[] {
  const out: number[] = [];
  for (const p of readdirProc()) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && name === comm) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

function readdirProc(): string[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n));
}

interface Point {
  i: number;
  job: string;
  delayMs: number;
  resticAlive: boolean;
  recovered: string;
  nextRun: number | null;
  check: number | null;
  orphanEnded: boolean;
}

describe(`kill -9 of pillarsd at ${POINTS} random points of backups and prunes`, () => {
  it('recovers every time: run → interrupted, restic check clean, no stale-lock failure', async () => {
    const m = makeMotoko('crash');
    const log = path.join(m.dir, 'points.log');
    randomData(path.join(m.flux, 'base'), 'base', 24);
    expect((await m.pillarsd(['run', 'flux-backup'])).code).toBe(0); // restic init + first snapshot

    /** `pillarsd run JOB` in the background; resolves with the run id once it is queued */
    const start = async (job: string) => {
      const p = m.spawn(['run', job]);
      const id = (await p.waitForLine(/^run (\S+) of \S+ queued/, 60_000))[1]!;
      return { p, id, at: Date.now() };
    };
    // the usual length of each operation (queued → exit), which the random points are drawn over
    const lengthOf = async (job: string) => {
      if (job === 'flux-retention') expect((await m.pillarsd(['run', 'flux-backup'])).code).toBe(0);
      else randomData(path.join(m.flux, 'warm'), `warm${Date.now()}`, 16);
      const s = await start(job);
      const e = await s.p.exited;
      expect(e.code, s.p.stderr()).toBe(0);
      return Date.now() - s.at;
    };
    const durations: Record<string, number> = { 'flux-backup': await lengthOf('flux-backup'), 'flux-retention': await lengthOf('flux-retention') };
    const backupMs = durations['flux-backup']!;
    const pruneMs = durations['flux-retention']!;

    const points: Point[] = [];
    let redrawn = 0;
    for (let i = 0; i < POINTS; i++) {
      const job = i % 2 === 0 ? 'flux-backup' : 'flux-retention';
      let killedRunId: string;
      let resticPid = 0;
      let delayMs: number;
      let resticAlive: boolean;
      let maxDelay = Math.round(0.9 * durations[job]!);
      for (let attempt = 0; ; attempt++) {
        // new data each time: the backup writes packs, the prune has snapshots to drop
        randomData(path.join(m.flux, `p${i}-${attempt}`), `p${i}`, 16);
        if (job === 'flux-retention') expect((await m.pillarsd(['run', 'flux-backup'])).code).toBe(0);
        const s = await start(job);
        killedRunId = s.id;
        delayMs = randomInt(0, Math.max(1, maxDelay));
        let killed = false;
        try {
          while (Date.now() - s.at < delayMs) {
            resticPid = children(s.p.pid, 'restic')[0] ?? resticPid;
            await sleep(5);
          }
          resticAlive = children(s.p.pid, 'restic').length > 0;
          resticPid = children(s.p.pid, 'restic')[0] ?? resticPid;
          try {
            process.kill(s.p.pid, 'SIGKILL');
            killed = true;
          } catch {
            /* it finished first */
          }
          const e = await s.p.exited;
          killed &&= e.signal === 'SIGKILL';
        } finally {
          await s.p.stop();
        }
        if (killed) {
          // the kill can land after the run was recorded as ended, while pillarsd exits: that run
          // finished first too (its record is final and true), not a crash in the middle
          const db = openDb(stateDbPath(m.state));
          try {
            const st = new RunStore(db).get(s.id)?.status;
            if (st === 'succeeded' || st === 'succeeded-with-warnings') killed = false;
          } finally {
            db.close();
          }
        }
        if (killed) break;
        // the operation ended before the drawn point: draw again over a shorter span
        redrawn++;
        maxDelay = Math.round(maxDelay / 2);
        if (attempt >= 4) throw new Error(`point ${i}: ${job} always finished before the kill`);
      }
      // the next run of the same job: recovery, then a clean run
      const next = await m.pillarsd(['run', job, '--json']);
      const db = openDb(stateDbPath(m.state));
      let recovered: string;
      try {
        recovered = new RunStore(db).get(killedRunId)?.status ?? 'missing';
      } finally {
        db.close();
      }
      const orphanEnded = resticPid === 0 || !isAlive(resticPid);
      const check = await run('restic', ['check', '--no-lock'], { env: { ...process.env, ...m.resticEnv }, timeoutMs: 120_000 });
      const point: Point = { i, job, delayMs, resticAlive, recovered, nextRun: next.code, check: check.code, orphanEnded };
      points.push(point);
      appendFileSync(log, `${JSON.stringify(point)}\n${next.stdout}${next.stderr}\n${check.stdout}${check.stderr}\n`);
      expect(next.code, `point ${i} (${job}): the run after the crash failed:\n${next.stdout}${next.stderr}`).toBe(0);
      // a kill before the run was marked running leaves it queued, which recovery also ends
      expect(recovered, `point ${i}`).toBe('interrupted');
      expect(check.code, `point ${i}: restic check:\n${check.stdout}${check.stderr}`).toBe(0);
      expect(check.stdout).toMatch(/no errors were found/);
      expect(orphanEnded, `point ${i}: restic ${resticPid} still runs after recovery`).toBe(true);
    }
    // and with every lock gone, a plain exclusive check (locks the repository) passes too
    const locked = await run('restic', ['check'], { env: { ...process.env, ...m.resticEnv }, timeoutMs: 120_000 });
    expect(locked.code, locked.stdout + locked.stderr).toBe(0);

    const mid = points.filter((p) => p.resticAlive).length;
    const ok = points.filter((p) => p.recovered === 'interrupted' && p.nextRun === 0 && p.check === 0 && p.orphanEnded).length;
    writeReliability(
      'crash',
      `## kill -9 of pillarsd during backups and prunes (\`test/faults/crash.test.ts\`)

Method: \`pillarsd run flux-backup\` and \`pillarsd run flux-retention\` (forget --keep-last 2 --prune)
alternate against a real restic 0.14 repository (16 MiB of new random data before each point). Once
the run is queued, the test waits a random 0 to ${Math.round(0.9 * backupMs)} ms (backups) or 0 to
${Math.round(0.9 * pruneMs)} ms (prunes): 90 % of each operation's measured length (a point the
operation had already passed is drawn again over half the span: ${redrawn} redraws), then sends
SIGKILL to pillarsd only (restic, in its own process group, is orphaned as in a real crash). Then:
the next \`pillarsd run\` of the same job, the killed run's status in the database, the orphan's fate,
and plain \`restic check\`; at the end an exclusive \`restic check\` (it takes the lock).

| measure | result | target | verdict |
|---|---|---|---|
| points (backups / prunes) | ${points.length} (${points.filter((p) => p.job === 'flux-backup').length} / ${points.filter((p) => p.job === 'flux-retention').length}); ${mid} with restic mid-operation at the kill | ${POINTS} | ${points.length === POINTS ? 'met' : 'MISSED'} |
| recovered: killed run \`interrupted\`, orphaned restic ended, next run succeeded, \`restic check\` clean | ${ok} of ${points.length} | all | ${ok === POINTS ? 'met' : 'MISSED'} |
| stale-lock failures afterwards (exclusive \`restic check\` at the end) | ${locked.code === 0 ? 0 : 1} | 0 | ${locked.code === 0 ? 'met' : 'MISSED'} |

Kill delays (ms): ${points.map((p) => `${p.job === 'flux-backup' ? 'b' : 'p'}${p.delayMs}`).join(', ')}.`,
    );
    expect(ok).toBe(POINTS);
  });
});
