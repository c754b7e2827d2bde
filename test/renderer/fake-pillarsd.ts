// A stand-in for pillarsd's HTTP API, used only until (and alongside) the real `pillarsd demo`:
// it serves the built pane under the same strict CSP and answers with canned data shaped by the
// API contract types, so the pane's behaviour is tested in a real browser without the engine.
// The acceptance tests against the real server live in demo.test.ts.
import http from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { JobInfo, Progress, Run, RunsPage, SambaState, ServerEvent, StatusResponse } from '../../server/src/contract/api';
import { PANE_CSP } from './browser';

const GiB = 1024 ** 3;
const TiB = 1024 ** 4;

export interface FakeOptions {
  staticDir: string;
  token: string;
  /** A second token with the viewer role (read-only). */
  viewerToken?: string;
  /** Extra runs in history (for the 10,000-row checks). */
  historySize?: number;
  /** Time between progress ticks of a simulated run. */
  tickMs?: number;
}

export interface RunsPageProblem {
  status: number;
  title: string;
  detail?: string;
}

/** pillarsd's page size bounds for `GET /api/v1/runs` (server/src/http/routes/runs.ts). */
const RUNS_LIMIT_MAX = 500;
const RUNS_LIMIT_DEFAULT = 50;

export interface FakePillarsd {
  url: string;
  requests: string[];
  /** Pushes an event to every open stream. */
  emit(e: ServerEvent): void;
  /** Closes every open event stream (the pane must reconnect and resync). */
  dropStreams(): void;
  streams(): number;
  samba: SambaState;
  sambaApplied: number;
  status: StatusResponse;
  runs: Map<string, Run>;
  /** Stores a run without an event (one that happened while the pane's stream was down). */
  putRun(run: Run): void;
  /**
   * Called before each `GET /api/v1/runs` is answered: may delay it (a slow page) or return a
   * problem to answer with instead (a failing page). Tests set it to hold or fail older pages.
   */
  onRunsPage: ((query: URLSearchParams) => Promise<RunsPageProblem | void> | RunsPageProblem | void) | null;
  stop(): Promise<void>;
}

function iso(msAgo: number, now = Date.now()): string {
  return new Date(now - msAgo).toISOString();
}

export function makeRun(p: Partial<Run> & Pick<Run, 'id' | 'jobId' | 'status'>): Run {
  return {
    trigger: 'schedule',
    attempt: 1,
    queuedAt: iso(3600_000),
    startedAt: iso(3590_000),
    finishedAt: p.status === 'running' || p.status === 'queued' || p.status === 'blocked' ? null : iso(3000_000),
    exitCode: p.status === 'succeeded' ? 0 : null,
    error: null,
    progress: null,
    summary: null,
    block: null,
    approvedBy: null,
    logTail: '',
    ...p,
  };
}

function history(n: number): Run[] {
  const now = Date.now();
  const jobs = ['flux-backup', 'space-offsite', 'flux-retention', 'flux-verify'];
  const out: Run[] = [];
  for (let i = 0; i < n; i++) {
    const jobId = jobs[i % jobs.length]!;
    const t = now - (i + 1) * 6 * 3600_000;
    const failed = i % 97 === 13;
    const r = makeRun({
      id: `r${String(100000 - i).padStart(6, '0')}`,
      jobId,
      status: failed ? 'failed' : 'succeeded',
      queuedAt: new Date(t).toISOString(),
      startedAt: new Date(t + 1000).toISOString(),
      finishedAt: new Date(t + 600_000).toISOString(),
      error: failed ? 'restic exited 1: unable to open config file' : null,
    });
    if (!failed && jobId === 'flux-backup') {
      r.summary = { kind: 'restic-backup', snapshotId: `${(i * 2654435761 % 0xffffffff).toString(16).padStart(8, '0')}abcdef`, filesNew: 120 + (i % 50), filesChanged: 30, filesUnmodified: 90000, bytesAdded: (0.4 + ((i * 37) % 10) / 5) * GiB, totalBytesProcessed: 1.2 * TiB - i * 2 * GiB, totalFilesProcessed: 91000, durationSeconds: 580 };
    } else if (!failed && jobId === 'space-offsite') {
      r.summary = { kind: 'rclone-sync', bytesTransferred: 3 * GiB, filesTransferred: 200, filesDeleted: 4, errors: 0, durationSeconds: 900 };
    }
    out.push(r);
  }
  return out;
}

export async function startFake(opts: FakeOptions): Promise<FakePillarsd> {
  const now = Date.now();
  const runs = new Map<string, Run>();
  for (const r of history(opts.historySize ?? 40)) runs.set(r.id, r);
  const lastOf = (jobId: string) => [...runs.values()].filter((r) => r.jobId === jobId).sort((a, b) => (a.queuedAt < b.queuedAt ? 1 : -1))[0] ?? null;

  const blocked = makeRun({
    id: 'r200001',
    jobId: 'space-offsite',
    status: 'blocked',
    queuedAt: iso(600_000),
    startedAt: iso(590_000),
    block: {
      guard: 'delete-threshold',
      message: 'The dry run would delete 1,523 files (3.1 % of the destination), above the guard of 1 % / 1000 files.',
      needsApproval: true,
      deletes: { count: 1523, bytes: 42 * GiB, percent: 3.1, sample: ['projects/old-site/index.html', 'media/2019/IMG_0001.jpg', 'datasets/mnist/train.bin'] },
    },
    logTail: 'dry run: 1523 deletions\nblocked by guard delete-threshold',
  });
  runs.set(blocked.id, blocked);

  const job = (p: Partial<JobInfo> & Pick<JobInfo, 'id' | 'type'>): JobInfo => ({
    schedule: null,
    timezone: null,
    enabled: true,
    after: [],
    repository: null,
    source: null,
    destination: null,
    state: 'idle',
    nextRunAt: iso(-6 * 3600_000),
    lastRun: lastOf(p.id),
    lastSuccessAt: lastOf(p.id)?.finishedAt ?? null,
    overdue: false,
    ...p,
  });

  const status: StatusResponse = {
    version: '0.1.0-fake',
    time: new Date(now).toISOString(),
    pillars: [
      { id: 'flux', path: '/flux', online: true, sentinel: true, mounted: true, totalBytes: 2 * TiB, freeBytes: 0.7 * TiB, usedBytes: 1.3 * TiB, warnings: [] },
      { id: 'space', path: '/space', online: true, sentinel: true, mounted: true, totalBytes: 12 * TiB, freeBytes: 0.9 * TiB, usedBytes: 11.1 * TiB, warnings: [] },
      { id: 'time', path: '/time', online: true, sentinel: true, mounted: true, totalBytes: 4 * TiB, freeBytes: 2.5 * TiB, usedBytes: 1.5 * TiB, warnings: [] },
    ],
    jobs: [
      job({ id: 'flux-backup', type: 'restic-backup', schedule: '0 2 * * *', source: 'flux:/', repository: 'space:/backups/restic/flux' }),
      job({ id: 'flux-retention', type: 'restic-forget', schedule: '0 4 * * 0', repository: 'space:/backups/restic/flux' }),
      job({ id: 'flux-verify', type: 'restic-check', schedule: '0 5 1 * *', repository: 'space:/backups/restic/flux', overdue: true }),
      job({ id: 'space-offsite', type: 'rclone-sync', schedule: '30 3 * * *', source: 'space:/', destination: 'b2:miket-space', after: ['flux-backup'], state: 'blocked', lastRun: blocked }),
    ],
    timeMachine: [
      { name: 'count-zero.sparsebundle', mac: 'count-zero', sizeBytes: 1.1 * TiB, lastBackupAt: iso(2 * 3600_000), capBytes: 2 * TiB, capShare: 0.55, stale: false, staleAfterDays: 7, warning: null },
      {
        name: 'wintermute.sparsebundle',
        mac: 'wintermute',
        sizeBytes: 0.4 * TiB,
        lastBackupAt: iso(12 * 86400_000),
        capBytes: 2 * TiB,
        capShare: 0.2,
        stale: true,
        staleAfterDays: 7,
        warning: 'Time Machine: wintermute.sparsebundle last backed up 12 days ago (more than 7)',
      },
    ],
    hotSets: [
      { id: 'notes', label: 'Notes', path: '/flux/notes', state: 'idle', completion: 100, errors: 0, conflicts: [] },
      { id: 'models', label: 'Models', path: '/flux/models', state: 'syncing', completion: 62, errors: 1, conflicts: ['weights.sync-conflict-20261120-101010-ABCDEF.bin'] },
    ],
    b2: { spaceBytes: 11.1 * TiB, uplinkMbps: 40, seedEtaSeconds: 28 * 86400, monthlyCost: 66.6, currency: 'USD', pricePerTbMonth: 6, priceDate: '2026-01' },
    warnings: [],
  };

  const liveConf = '[global]\n   vfs objects = fruit streams_xattr\n\n[flux]\n   path = /flux\n   valid users = mike\n';
  const samba: SambaState = {
    rendered: liveConf.replace('valid users = mike', 'valid users = mike ada'),
    live: liveConf,
    diff: '--- live\n+++ rendered\n@@ -5,2 +5,2 @@\n [flux]\n    path = /flux\n-   valid users = mike\n+   valid users = mike ada\n',
    drift: true,
    valid: true,
    messages: [],
    versions: [{ id: 'v1', at: iso(86400_000) }],
  };

  const requests: string[] = [];
  const tickets = new Set<string>();
  const streams = new Set<http.ServerResponse>();
  let seq = 0;
  let nextRun = 300000;
  const fake: FakePillarsd = {
    url: '',
    requests,
    samba,
    sambaApplied: 0,
    status,
    runs,
    onRunsPage: null,
    emit(e) {
      seq++;
      for (const s of streams) s.write(`id: ${seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    },
    dropStreams() {
      for (const s of streams) s.destroy();
      streams.clear();
    },
    streams: () => streams.size,
    putRun: (run) => put(run),
    async stop() {
      fake.dropStreams();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  const updateJob = (run: Run) => {
    status.jobs = status.jobs.map((j) => (j.id === run.jobId ? { ...j, lastRun: run, state: run.status === 'queued' || run.status === 'running' || run.status === 'blocked' ? run.status : 'idle' } : j));
  };
  // Serialized history pages, so the benchmark measures the pane rather than this stand-in.
  const pageCache = new Map<string, string>();
  const put = (run: Run) => {
    pageCache.clear();
    runs.set(run.id, run);
    updateJob(run);
  };

  /** A run as the engine would drive it: queued, started, progress ticks with log lines, finished. */
  const simulate = (run: Run) => {
    const tick = opts.tickMs ?? 300;
    const total = 8;
    let i = 0;
    setTimeout(() => {
      const started = { ...runs.get(run.id)!, status: 'running' as const, startedAt: new Date().toISOString() };
      put(started);
      fake.emit({ type: 'run.started', run: started });
      const timer = setInterval(() => {
        i++;
        const cur = runs.get(run.id)!;
        if (cur.status !== 'running') return clearInterval(timer);
        const progress: Progress = { percent: (i / total) * 100, bytesDone: i * 64 * 1024 ** 2, bytesTotal: total * 64 * 1024 ** 2, filesDone: i * 100, filesTotal: total * 100, rate: 210 * 1024 ** 2, etaSeconds: (total - i) * 2, current: [`projects/site/file-${i}.bin`] };
        const line = `processed ${i * 100} files`;
        // The log file grows as the events go out, as the engine's run log does.
        put({ ...cur, progress, logTail: cur.logTail ? `${cur.logTail}\n${line}` : line });
        fake.emit({ type: 'run.progress', runId: run.id, jobId: run.jobId, progress });
        fake.emit({ type: 'run.log', runId: run.id, lines: [line] });
        if (i >= total) {
          clearInterval(timer);
          const done: Run = { ...runs.get(run.id)!, status: 'succeeded', finishedAt: new Date().toISOString(), exitCode: 0, summary: run.jobId === 'space-offsite' ? { kind: 'rclone-sync', bytesTransferred: 512 * 1024 ** 2, filesTransferred: 800, filesDeleted: 1523, errors: 0, durationSeconds: 3 } : { kind: 'restic-backup', snapshotId: 'feedc0de12345678', filesNew: 800, filesChanged: 0, filesUnmodified: 0, bytesAdded: 512 * 1024 ** 2, totalBytesProcessed: 1.31 * TiB, totalFilesProcessed: 91800, durationSeconds: 3 } };
          put(done);
          fake.emit({ type: 'run.finished', run: done });
        }
      }, tick);
    }, tick);
  };

  const json = (res: http.ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { 'content-type': code >= 400 ? 'application/problem+json' : 'application/json' });
    res.end(JSON.stringify(body));
  };
  const problem = (res: http.ServerResponse, code: number, title: string, detail?: string) => json(res, code, { status: code, title, detail });

  /**
   * The history paged exactly as pillarsd pages it (server/src/store/runs.ts): newest id first,
   * `limit` an integer from 1 to 500 (default 50; anything else is a 400 problem with Fastify's
   * wording), `before` an id (runs with a smaller id), `next` the last id of a full page.
   */
  const answerRunsPage = async (res: http.ServerResponse, q: URLSearchParams) => {
    const hooked = await fake.onRunsPage?.(q);
    if (hooked) return problem(res, hooked.status, hooked.title, hooked.detail);
    const key = q.toString();
    const cached = pageCache.get(key);
    if (cached) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(cached);
    }
    const rawLimit = q.get('limit');
    const limit = rawLimit === null ? RUNS_LIMIT_DEFAULT : Number(rawLimit);
    if (!Number.isInteger(limit)) return problem(res, 400, 'Bad Request', 'querystring.limit must be integer');
    if (limit < 1) return problem(res, 400, 'Bad Request', 'querystring.limit must be >= 1');
    if (limit > RUNS_LIMIT_MAX) return problem(res, 400, 'Bad Request', `querystring.limit must be <= ${RUNS_LIMIT_MAX}`);
    const job = q.get('job');
    const st = q.get('status');
    const before = q.get('before');
    const list = [...runs.values()].filter((x) => (!job || x.jobId === job) && (!st || x.status === st) && (!before || x.id < before)).sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const page = list.slice(0, limit);
    const out: RunsPage = { runs: page, next: list.length > limit ? page.at(-1)!.id : null };
    const body = JSON.stringify(out);
    pageCache.set(key, body);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    requests.push(`${req.method} ${p}${url.search}`);
    if (!p.startsWith('/api/')) {
      const file = path.join(opts.staticDir, p === '/' ? 'index.html' : path.normalize(p).replace(/^(\.\.[/\\])+/, ''));
      if (!file.startsWith(opts.staticDir) || !existsSync(file)) return problem(res, 404, 'Not found');
      const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'text/html; charset=utf-8';
      res.writeHead(200, { 'content-type': type, 'content-security-policy': PANE_CSP, 'x-content-type-options': 'nosniff' });
      return res.end(readFileSync(file));
    }
    if (p === '/api/v1/events') {
      const t = url.searchParams.get('ticket') ?? '';
      if (!tickets.delete(t)) return problem(res, 401, 'Unauthorized', 'unknown or used ticket');
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': hello\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    const viewer = opts.viewerToken !== undefined && req.headers.authorization === `Bearer ${opts.viewerToken}`;
    if (req.headers.authorization !== `Bearer ${opts.token}` && !viewer) return problem(res, 401, 'Unauthorized', 'a valid bearer token is required');
    if (viewer && req.method !== 'GET' && p !== '/api/v1/events/ticket') return problem(res, 403, 'Forbidden', 'this needs an admin token');
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const m = (re: RegExp) => re.exec(p);
      let r: RegExpExecArray | null;
      if (req.method === 'GET' && p === '/api/v1/audit') {
        const entries = requests
          .filter((r) => r.startsWith('POST ') && !r.includes('/events/ticket'))
          .map((r, i) => ({ id: i + 1, at: new Date().toISOString(), actor: 'admin (t1)', action: r.slice(5), target: null, detail: null }))
          .reverse();
        return json(res, 200, { entries, next: null });
      }
      if (req.method === 'GET' && p === '/api/v1/me') return json(res, 200, { tokenId: viewer ? 'v1' : 't1', name: viewer ? 'viewer' : 'admin', role: viewer ? 'viewer' : 'admin' });
      if (req.method === 'GET' && p === '/api/v1/status') return json(res, 200, { ...status, time: new Date().toISOString() });
      if (req.method === 'POST' && p === '/api/v1/events/ticket') {
        const t = randomBytes(16).toString('hex');
        tickets.add(t);
        return json(res, 200, { ticket: t });
      }
      if (req.method === 'GET' && p === '/api/v1/runs') {
        void answerRunsPage(res, url.searchParams);
        return;
      }
      if ((r = m(/^\/api\/v1\/runs\/([^/]+)$/)) && req.method === 'GET') {
        const run = runs.get(decodeURIComponent(r[1]!));
        return run ? json(res, 200, run) : problem(res, 404, 'Not found', `no run ${r[1]}`);
      }
      if ((r = m(/^\/api\/v1\/runs\/([^/]+)\/log$/))) {
        const run = runs.get(decodeURIComponent(r[1]!));
        if (!run) return problem(res, 404, 'Not found');
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        return res.end(run.logTail + (run.logTail ? '\n' : ''));
      }
      if ((r = m(/^\/api\/v1\/runs\/([^/]+)\/(approve|reject|cancel)$/)) && req.method === 'POST') {
        const run = runs.get(decodeURIComponent(r[1]!));
        if (!run) return problem(res, 404, 'Not found');
        if (r[2] === 'approve') {
          if (run.status !== 'blocked') return problem(res, 409, 'Conflict', 'the run is not blocked');
          const next = { ...run, status: 'running' as const, approvedBy: 'admin (t1)', trigger: 'approval' as const };
          put(next);
          fake.emit({ type: 'run.started', run: next });
          simulate({ ...next, status: 'queued' });
          return json(res, 200, next);
        }
        const next = { ...run, status: 'cancelled' as const, finishedAt: new Date().toISOString() };
        put(next);
        fake.emit({ type: 'run.finished', run: next });
        return json(res, 200, next);
      }
      if ((r = m(/^\/api\/v1\/jobs\/([^/]+)\/run$/)) && req.method === 'POST') {
        const id = decodeURIComponent(r[1]!);
        if (!status.jobs.some((j) => j.id === id)) return problem(res, 404, 'Not found', `no job ${id}`);
        const run = makeRun({ id: `r${nextRun++}`, jobId: id, status: 'queued', trigger: 'manual', queuedAt: new Date().toISOString(), startedAt: null, finishedAt: null, logTail: 'queued by admin' });
        put(run);
        fake.emit({ type: 'run.queued', run });
        simulate(run);
        return json(res, 202, { runId: run.id });
      }
      if ((r = m(/^\/api\/v1\/jobs\/([^/]+)\/(enable|disable)$/)) && req.method === 'POST') {
        const id = decodeURIComponent(r[1]!);
        status.jobs = status.jobs.map((j) => (j.id === id ? { ...j, enabled: r![2] === 'enable' } : j));
        return json(res, 200, status.jobs.find((j) => j.id === id));
      }
      if (req.method === 'GET' && p === '/api/v1/samba') return json(res, 200, samba);
      if (req.method === 'POST' && p === '/api/v1/samba/apply') {
        if (!samba.valid) return problem(res, 400, 'Invalid Samba configuration', samba.messages.join('; '));
        fake.sambaApplied++;
        samba.versions = [{ id: `v${samba.versions.length + 1}`, at: new Date().toISOString() }, ...samba.versions];
        samba.live = samba.rendered;
        samba.diff = '';
        samba.drift = false;
        return json(res, 200, { changed: true, reloaded: true, answered: true, backup: samba.versions[0]!.id, messages: ['smbd accepted the reload request', 'shares answer: flux, space, time'], state: samba });
      }
      if (req.method === 'POST' && p === '/api/v1/samba/rollback') return json(res, 200, { changed: true, reloaded: true, answered: true, backup: null, messages: ['restored version v1'], state: samba });
      return problem(res, 404, 'Not found', `${req.method} ${p}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
