// The real pillarsd for the pane's browser tests and benchmark, built the way fastify/demo's
// test helper builds its real app: the demo sandbox (sample pillars, a local restic repository
// and "cloud", a whole smb.conf of its own) composed and served in this process by `startServe`,
// the same composition `pillarsd serve` and `pillarsd demo` use, with the pane built from the
// sources. In-process, so a test can reach what a browser cannot: the run store (a history of
// 10,000 runs, or a run that finished while the pane was away), the sandbox on disk (a sentinel
// removed), and the listening server (every connection dropped, as a network blip does).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunSummary } from '../../server/src/contract/api';
import { loadConfigFile } from '../../server/src/config/load';
import { applyScenario, buildDemo, type DemoLayout } from '../../server/src/infra/demo-tree';
import { startServe, type Served } from '../../server/src/cli/commands/serve';
import { newRunId, type RunStore } from '../../server/src/store/runs';
import type { Db } from '../../server/src/store/db';

export interface PaneServerOptions {
  /** an empty folder the sandbox is built in */
  dir: string;
  /** the built pane (paneBuild() in browser.ts) */
  paneDir: string;
  /** a change to the demo's pillarsd.yaml before it is loaded (extra sections, other schedules) */
  config?: (text: string) => string;
  /** queue the demo's first Flux backup (and the offsite sync after it), as `pillarsd demo` does */
  firstBackup?: boolean;
}

export interface PaneServer {
  url: string;
  /** an admin token and a viewer token */
  token: string;
  viewerToken: string;
  layout: DemoLayout;
  served: Served;
  /** Closes every open connection: the pane's event stream drops and it must reconnect and resync. */
  dropConnections(): void;
  stop(): Promise<void>;
}

/** Jobs of the demo's history, in the proportions a real motoko sees them. */
const HISTORY_JOBS = ['flux-backup', 'space-offsite', 'flux-retention', 'flux-verify'] as const;

/**
 * Writes `n` finished runs into the store, the newest `spacingMs` before `now` and each older one
 * `spacingMs` before the next: mostly successes with summaries, one in 97 failed with restic's
 * words. Nothing is announced on the event hub, as for runs that happened before a pane opened.
 */
export function seedHistory(db: Db, runs: RunStore, n: number, { now = Date.now(), spacingMs = 15 * 60_000 } = {}): void {
  db.transaction(() => {
    for (let i = n - 1; i >= 0; i--) {
      const at = new Date(now - (i + 1) * spacingMs);
      const jobId = HISTORY_JOBS[i % HISTORY_JOBS.length]!;
      const failed = i % 97 === 13;
      const r = runs.create({ id: newRunId(at), jobId, trigger: 'schedule', queuedAt: at.toISOString(), resources: [], ownerPid: null, ownerStart: null });
      let summary: RunSummary | null = null;
      if (!failed && jobId === 'flux-backup')
        summary = {
          kind: 'restic-backup',
          snapshotId: `${i.toString(16).padStart(8, '0')}abcdef`,
          filesNew: 120 + (i % 50),
          filesChanged: 30,
          filesUnmodified: 90_000,
          bytesAdded: 4e8 + (i % 10) * 1e8,
          totalBytesProcessed: 1.2e12,
          totalFilesProcessed: 91_000,
          durationSeconds: 580,
        };
      else if (!failed && jobId === 'space-offsite') summary = { kind: 'rclone-sync', bytesTransferred: 3.2e9, filesTransferred: 200, filesDeleted: 4, errors: 0, durationSeconds: 900 };
      runs.update(r.id, {
        status: failed ? 'failed' : 'succeeded',
        startedAt: new Date(at.getTime() + 1000).toISOString(),
        finishedAt: new Date(at.getTime() + 600_000).toISOString(),
        exitCode: failed ? 1 : 0,
        error: failed ? 'restic exited 1: unable to open config file' : null,
        summary,
        logTail: failed ? 'Fatal: unable to open config file' : 'done',
      });
    }
  })();
}

export async function startPaneServer(o: PaneServerOptions): Promise<PaneServer> {
  const { layout } = buildDemo(path.join(o.dir, 'demo'));
  // a history of 10,000 runs is kept (the default keeps 5,000)
  let text = `${readFileSync(layout.configFile, 'utf8')}history: { keepDays: 3650, keepRuns: 20000 }\n`;
  if (o.config) text = o.config(text);
  writeFileSync(layout.configFile, text);
  const served = await startServe(loadConfigFile(layout.configFile), { host: '127.0.0.1', port: 0, tls: 'off', adminDir: o.paneDir, statusWatchMs: 500 });
  const token = served.tokens.create({ role: 'admin', name: 'pane test admin' }).token;
  const viewerToken = served.tokens.create({ role: 'viewer', name: 'pane test viewer' }).token;
  if (o.firstBackup) served.rt.engine.enqueue('flux-backup', 'manual');
  return {
    url: served.url,
    token,
    viewerToken,
    layout,
    served,
    dropConnections: () => served.http.server.closeAllConnections(),
    stop: () => served.stop(),
  };
}

/** Resolves once `ok()` holds, polling every 100 ms; rejects with `what` after `timeoutMs`. */
export async function waitUntil(ok: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A real blocked sync: 30 % of Space moved aside (the demo's `blocked-sync` scenario), so the
 * offsite sync's dry run would delete them in the "cloud" and the deletion guard stops it for
 * approval; then the files are put back. Returns the blocked run's id.
 */
export async function blockedSync(server: PaneServer): Promise<string> {
  const engine = server.served.rt.engine;
  applyScenario(server.layout.dir, 'blocked-sync');
  try {
    const id = engine.enqueue('space-offsite', 'manual')!.id;
    await waitUntil(() => engine.getRun(id)?.status === 'blocked', `space-offsite run ${id} is blocked (it is ${engine.getRun(id)?.status})`);
    return id;
  } finally {
    applyScenario(server.layout.dir, 'restore');
  }
}
