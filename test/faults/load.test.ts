// Load during a backup (quick: 10 s, full: 60 s): a real `pillarsd serve` on loopback answers 500
// requests a second from another process (status, jobs, runs, health: what trays and panes poll)
// while 50 SSE clients hold the event stream open and restic backs up new data back to back.
// Pass: every request answered 200 with JSON, no SSE stream dropped, every client got every
// backup's run.finished, every backup succeeded, the repository checks clean, and the server's
// RSS does not climb over the window.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FULL, registerSecrets, writeReliability } from './support/run';
import { makeMotoko, randomData } from './support/motoko';
import { run, sleep } from '../support/proc';
import { openDb, stateDbPath } from '../../server/src/store/db';
import { TokenStore } from '../../server/src/store/tokens';
import { sse } from '../../bench/lib/sse';
import type { SseClient } from '../../bench/lib/sse';
import { rssOf } from '../../bench/lib/measure';

const SECONDS = FULL ? 60 : 10;
const RATE = 500;
const CLIENTS = 50;
/** growth allowed between the early and the late part of the window (MB): the heap settles, a leak climbs */
const RSS_GROWTH_MB = 32;

interface LoadSummary {
  sent: number;
  ok: number;
  unfinished: number;
  errors: string[];
  seconds: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const finishedIds = (c: SseClient) => new Set(c.events.filter((e) => e.event === 'run.finished').map((e) => (JSON.parse(e.data) as { event: { run: { id: string } } }).event.run.id));

describe(`${RATE} requests a second and ${CLIENTS} SSE clients for ${SECONDS} s during backups`, () => {
  it('answers every request, keeps every stream, finishes every backup, and holds its memory', async () => {
    const m = makeMotoko('load');
    randomData(path.join(m.flux, 'base'), 'base', 16);
    const db = openDb(stateDbPath(m.state));
    const token = new TokenStore(db).create({ role: 'admin', name: 'load fault' }).token;
    db.close();
    registerSecrets(token);
    const auth = { authorization: `Bearer ${token}` };

    const server = m.spawn(['serve']);
    const clients: SseClient[] = [];
    try {
      const url = (await server.waitForLine(/serving (http:\/\/[^\s"]+)/, 60_000))[1]!;
      // loopback only: nothing of this leaves the machine
      expect(new URL(url).hostname).toBe('127.0.0.1');

      /** POST a backup and wait for its run.finished on the first SSE client */
      const backup = async () => {
        const res = await fetch(`${url}/api/v1/jobs/flux-backup/run`, { method: 'POST', headers: auth });
        expect(res.status, await res.clone().text()).toBe(202);
        const { runId } = (await res.json()) as { runId: string };
        const t0 = Date.now();
        while (!finishedIds(clients[0]!).has(runId)) {
          if (Date.now() - t0 > 300_000) throw new Error(`backup ${runId} did not finish within 5 min`);
          await sleep(50);
        }
        const r = (await (await fetch(`${url}/api/v1/runs/${runId}`, { headers: auth })).json()) as { status: string; error: string | null };
        return { runId, status: r.status, error: r.error };
      };

      for (let i = 0; i < CLIENTS; i++) clients.push(sse(`${url}/api/v1/events`, token));
      await Promise.all(clients.map((c) => c.open));
      // restic init and the first snapshot before the load: the window measures steady work
      expect((await backup()).status).toBe('succeeded');

      const rss: Array<{ at: number; mb: number }> = [];
      const t0 = Date.now();
      const sampler = setInterval(() => {
        const b = rssOf(server.pid);
        if (b !== null) rss.push({ at: Date.now() - t0, mb: b / 2 ** 20 });
      }, 250);

      const gen = spawn(process.execPath, [path.join(import.meta.dirname, 'support/load-gen.mjs'), url, String(RATE), String(SECONDS)], { stdio: ['pipe', 'pipe', 'inherit'] });
      gen.stdin.end(token);
      let genOut = '';
      gen.stdout.on('data', (b: Buffer) => (genOut += b.toString()));
      const genDone = new Promise<number | null>((resolve) => gen.on('close', resolve));
      let loadOver = false;
      void genDone.then(() => (loadOver = true));

      // backups back to back for the whole window, each with new data so restic has real work
      const runs: Array<{ runId: string; status: string; error: string | null }> = [];
      let n = 0;
      while (!loadOver) {
        randomData(path.join(m.flux, `load-${n}`), `load${n}`, 24);
        runs.push(await backup());
        n++;
      }
      clearInterval(sampler);
      expect(await genDone).toBe(0);
      const load = JSON.parse(genOut.trim().split('\n').pop()!) as LoadSummary;

      // every client has every backup's end (the last one may still be on its way to the slow ones)
      const want = runs.map((r) => r.runId);
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !clients.every((c) => want.every((id) => finishedIds(c).has(id)))) await sleep(50);
      const complete = clients.filter((c) => want.every((id) => finishedIds(c).has(id))).length;
      const dropped = clients.filter((c) => c.ended !== null);
      const progress = clients.map((c) => c.events.filter((e) => e.event === 'run.progress').length);

      const during = rss.filter((s) => s.at <= SECONDS * 1000);
      const early = during.filter((s) => s.at >= SECONDS * 200 && s.at < SECONDS * 400).map((s) => s.mb);
      const late = during.filter((s) => s.at >= SECONDS * 800).map((s) => s.mb);
      const growth = median(late) - median(early);
      const peak = Math.max(...during.map((s) => s.mb));

      const check = await run('restic', ['check'], { env: { ...process.env, ...m.resticEnv }, timeoutMs: 300_000 });

      const offered = Math.round(RATE * SECONDS);
      const failedRuns = runs.filter((r) => r.status !== 'succeeded');
      writeReliability(
        'load',
        `## Load during backups (\`test/faults/load.test.ts\`)

Method: \`pillarsd serve\` (the shipped bundle, \`tls: off\`, listening on 127.0.0.1 only) with an
admin token. A separate process offers ${RATE} requests a second for ${SECONDS} s in an open loop
(keep-alive, up to 64 sockets), cycling \`GET /api/v1/status\` (twice), \`/jobs\`, \`/runs?limit=20\` and
\`/health\`; latency runs from the scheduled send to the last byte. ${CLIENTS} SSE clients in the test
process hold \`/api/v1/events\` open throughout. Meanwhile \`flux-backup\` (real restic 0.14) runs back
to back, each time on 24 MiB of new random data, started by \`POST /api/v1/jobs/flux-backup/run\`.
The server's RSS is read from /proc every 250 ms; "growth" is the median of the last fifth of the
window minus the median of its second fifth (after start-up settles). Then \`restic check\`.

| measure | result | target | verdict |
|---|---|---|---|
| requests answered 200 with JSON | ${load.ok} of ${load.sent} (offered ${offered}); ${load.errors.length} errors, ${load.unfinished} unfinished | all, none failed | ${load.ok === load.sent && load.sent >= offered * 0.98 && load.errors.length === 0 ? 'met' : 'MISSED'} |
| request latency p50 / p99 / worst | ${load.p50?.toFixed(1)} / ${load.p99?.toFixed(1)} / ${load.max?.toFixed(1)} ms | | |
| SSE streams dropped | ${dropped.length} of ${CLIENTS} | 0 | ${dropped.length === 0 ? 'met' : 'MISSED'} |
| clients that received every backup's \`run.finished\` | ${complete} of ${CLIENTS} (progress events per client: ${Math.min(...progress)}–${Math.max(...progress)}) | all | ${complete === CLIENTS ? 'met' : 'MISSED'} |
| backups during the window that succeeded | ${runs.length - failedRuns.length} of ${runs.length} | all | ${failedRuns.length === 0 && runs.length > 0 ? 'met' : 'MISSED'} |
| server RSS: start of window / peak / growth | ${during[0]?.mb.toFixed(0)} / ${peak.toFixed(0)} MB / ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB | growth ≤ ${RSS_GROWTH_MB} MB | ${growth <= RSS_GROWTH_MB ? 'met' : 'MISSED'} |
| \`restic check\` afterwards | exit ${check.code} | clean | ${check.code === 0 ? 'met' : 'MISSED'} |`,
      );

      expect(load.errors, 'requests that failed').toEqual([]);
      expect(load.unfinished).toBe(0);
      expect(load.ok).toBe(load.sent);
      expect(load.sent).toBeGreaterThanOrEqual(offered * 0.98);
      expect(dropped.map((c) => c.ended)).toEqual([]);
      expect(complete).toBe(CLIENTS);
      expect(Math.min(...progress), 'every client saw the backups progress').toBeGreaterThan(0);
      expect(runs.length).toBeGreaterThan(0);
      expect(failedRuns).toEqual([]);
      expect(growth, `RSS samples (s, MB): ${during.map((s) => `${(s.at / 1000).toFixed(1)}:${s.mb.toFixed(0)}`).join(' ')}`).toBeLessThanOrEqual(RSS_GROWTH_MB);
      expect(check.code, check.stdout + check.stderr).toBe(0);
    } finally {
      for (const c of clients) c.close();
      await server.stop();
    }
  });
});
