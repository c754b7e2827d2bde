// The event hub (docs/architecture.md, "Seams"): every change is stored first, then published, so a
// subscriber that reconnects resumes from its last id (SSE Last-Event-ID) and misses nothing.
import type { ServerEvent, StoredEvent } from '../contract/api';
import type { EventHub } from '../ports/services';
import type { Db } from './db';

export class EventStore implements EventHub {
  private readonly subs = new Set<(e: StoredEvent) => void>();
  /** ids this process published (already delivered to its subscribers) */
  private readonly own = new Set<number>();
  private cursor = 0;
  private following = false;
  private readonly insert;
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.insert = db.prepare('INSERT INTO events (at, type, run_id, data_json) VALUES (?, ?, ?, ?)');
  }

  publish(event: ServerEvent): StoredEvent {
    const at = this.now().toISOString();
    const runId = 'run' in event ? event.run.id : 'runId' in event ? event.runId : null;
    const info = this.insert.run(at, event.type, runId, JSON.stringify(event));
    const stored: StoredEvent = { id: Number(info.lastInsertRowid), at, event };
    if (this.following) this.own.add(stored.id);
    this.deliver(stored);
    return stored;
  }

  private deliver(stored: StoredEvent): void {
    for (const fn of [...this.subs]) {
      try {
        fn(stored);
      } catch {
        // one broken subscriber (a closed SSE socket) must not stop the others or the engine
      }
    }
  }

  /**
   * Delivers events other processes stored (a `pillarsd run` next to `serve`) to this process's
   * subscribers: polled, since SQLite has no cross-process notification. Returns the stop function.
   */
  followOtherProcesses(setTimer: (fn: () => void, ms: number) => { cancel(): void }, intervalMs = 1000): () => void {
    this.cursor = this.lastId();
    this.following = true;
    let timer: { cancel(): void } | null = null;
    let stopped = false;
    const poll = () => {
      try {
        for (const e of this.since(this.cursor, 500)) {
          this.cursor = e.id;
          if (this.own.delete(e.id)) continue;
          this.deliver(e);
        }
        // own ids below the cursor can never come back from since(): forget them
        for (const id of this.own) if (id <= this.cursor) this.own.delete(id);
      } catch {
        // the database is busy or closing: try again at the next tick
      }
      if (!stopped) timer = setTimer(poll, intervalMs);
    };
    timer = setTimer(poll, intervalMs);
    return () => {
      stopped = true;
      this.following = false;
      this.own.clear();
      timer?.cancel();
    };
  }

  subscribe(fn: (e: StoredEvent) => void): () => void {
    this.subs.add(fn);
    return () => this.subs.delete(fn);
  }

  since(id: number, limit = 1000): StoredEvent[] {
    const rows = this.db.prepare('SELECT id, at, data_json FROM events WHERE id > ? ORDER BY id LIMIT ?').all(id, limit) as Array<{ id: number; at: string; data_json: string }>;
    return rows.map((r) => ({ id: r.id, at: r.at, event: JSON.parse(r.data_json) as ServerEvent }));
  }

  lastId(): number {
    const r = this.db.prepare('SELECT MAX(id) AS id FROM events').get() as { id: number | null };
    return r.id ?? 0;
  }

  /** Drops progress events older than a day and every event older than `keepDays`. */
  prune(opts: { keepDays: number; now: Date }): number {
    const day = new Date(opts.now.getTime() - 86_400_000).toISOString();
    const cutoff = new Date(opts.now.getTime() - opts.keepDays * 86_400_000).toISOString();
    const a = this.db.prepare("DELETE FROM events WHERE type IN ('run.progress','run.log') AND at < ?").run(day).changes;
    const b = this.db.prepare('DELETE FROM events WHERE at < ?').run(cutoff).changes;
    return a + b;
  }
}
