// Notifications in SQLite (migration 60): the cursor over the event hub, the open incidents, the
// outbox and each channel's last delivery. What an event changes (incidents, new outbox rows, the
// cursor) is written in one transaction, so a process killed at any point either did all of it or
// none, and the next start takes up where the cursor stands.
import type { ServerEvent, StoredEvent } from '../contract/api';
import type { Db } from './db';
import type { Incident } from '../notify/incidents';

interface IncidentRow {
  key: string;
  kind: Incident['kind'];
  severity: Incident['severity'];
  title: string;
  text: string;
  job_id: string | null;
  run_id: string | null;
  subject: string | null;
  opened_at: string;
  last_at: string;
  count: number;
  waiting_since: string | null;
  reminders: number;
  seq: number;
  sent_to: string;
}

export interface OutboxRow {
  id: number;
  channel: string;
  itemId: string;
  payload: string;
  createdAt: string;
  batch: string | null;
  state: 'pending' | 'sent' | 'dropped';
  attempts: number;
  nextAt: string | null;
  lastError: string | null;
  sentAt: string | null;
}

export interface ChannelRow {
  name: string;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

const toIncident = (r: IncidentRow): Incident => ({
  key: r.key,
  kind: r.kind,
  severity: r.severity,
  title: r.title,
  text: r.text,
  jobId: r.job_id,
  runId: r.run_id,
  subject: r.subject,
  openedAt: r.opened_at,
  lastAt: r.last_at,
  count: r.count,
  waitingSince: r.waiting_since,
  reminders: r.reminders,
  seq: r.seq,
  sentTo: JSON.parse(r.sent_to) as string[],
});

const OUTBOX_COLS = 'id, channel, item_id AS itemId, payload, created_at AS createdAt, batch, state, attempts, next_at AS nextAt, last_error AS lastError, sent_at AS sentAt';

export class NotifyStore {
  constructor(private readonly db: Db) {}

  /** Runs `fn` in one IMMEDIATE transaction (all or nothing, one writer at a time). */
  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  cursor(): number {
    const r = this.db.prepare("SELECT value FROM notify_state WHERE key = 'cursor'").get() as { value: string } | undefined;
    return r ? Number(r.value) : 0;
  }

  setCursor(id: number): void {
    this.db.prepare("INSERT INTO notify_state (key, value) VALUES ('cursor', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(String(id));
  }

  /**
   * The run events after `cursor` that notifications act on, and the id they cover up to (progress
   * and log lines in between are skipped, not re-read). Call inside `atomically`.
   */
  eventsAfter(cursor: number, limit: number): { events: StoredEvent[]; upTo: number } {
    const rows = this.db.prepare("SELECT id, at, data_json FROM events WHERE id > ? AND type IN ('run.queued', 'run.started', 'run.finished', 'run.blocked') ORDER BY id LIMIT ?").all(cursor, limit) as Array<{
      id: number;
      at: string;
      data_json: string;
    }>;
    const events = rows.map((r) => ({ id: r.id, at: r.at, event: JSON.parse(r.data_json) as ServerEvent }));
    if (rows.length === limit) return { events, upTo: rows[rows.length - 1]!.id };
    const max = (this.db.prepare('SELECT MAX(id) AS id FROM events').get() as { id: number | null }).id ?? cursor;
    return { events, upTo: Math.max(cursor, max) };
  }

  incident(key: string): Incident | undefined {
    const r = this.db.prepare('SELECT * FROM notify_incidents WHERE key = ?').get(key) as IncidentRow | undefined;
    return r ? toIncident(r) : undefined;
  }

  incidents(): Incident[] {
    return (this.db.prepare('SELECT * FROM notify_incidents ORDER BY opened_at').all() as IncidentRow[]).map(toIncident);
  }

  /** Writes the incident (null deletes it: the incident ended). */
  putIncident(key: string, inc: Incident | null): void {
    if (!inc) {
      this.db.prepare('DELETE FROM notify_incidents WHERE key = ?').run(key);
      return;
    }
    this.db
      .prepare(
        `INSERT INTO notify_incidents (key, kind, severity, title, text, job_id, run_id, subject, opened_at, last_at, count, waiting_since, reminders, seq, sent_to)
         VALUES (@key, @kind, @severity, @title, @text, @jobId, @runId, @subject, @openedAt, @lastAt, @count, @waitingSince, @reminders, @seq, @sentTo)
         ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, severity = excluded.severity, title = excluded.title, text = excluded.text, job_id = excluded.job_id,
           run_id = excluded.run_id, subject = excluded.subject, opened_at = excluded.opened_at, last_at = excluded.last_at, count = excluded.count,
           waiting_since = excluded.waiting_since, reminders = excluded.reminders, seq = excluded.seq, sent_to = excluded.sent_to`,
      )
      .run({ ...inc, sentTo: JSON.stringify(inc.sentTo) });
  }

  /** Queues an item for a channel; an item already queued there (same id) is left as it is. */
  enqueue(channel: string, itemId: string, payload: unknown, createdAt: string): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO notify_outbox (channel, item_id, payload, created_at) VALUES (?, ?, ?, ?)').run(channel, itemId, JSON.stringify(payload), createdAt).changes > 0;
  }

  /** The pending rows of a channel, oldest first (a formed batch first: it is retried as it was). */
  pending(channel: string, limit: number): OutboxRow[] {
    return this.db.prepare(`SELECT ${OUTBOX_COLS} FROM notify_outbox WHERE channel = ? AND state = 'pending' ORDER BY (batch IS NULL), id LIMIT ?`).all(channel, limit) as OutboxRow[];
  }

  pendingCounts(): Map<string, number> {
    const rows = this.db.prepare("SELECT channel, COUNT(*) AS n FROM notify_outbox WHERE state = 'pending' GROUP BY channel").all() as Array<{ channel: string; n: number }>;
    return new Map(rows.map((r) => [r.channel, r.n]));
  }

  channelsWithPending(): string[] {
    return (this.db.prepare("SELECT DISTINCT channel FROM notify_outbox WHERE state = 'pending'").all() as Array<{ channel: string }>).map((r) => r.channel);
  }

  /** Fixes which rows one delivery carries and its key, before anything is sent. */
  formBatch(ids: readonly number[], key: string): void {
    const st = this.db.prepare('UPDATE notify_outbox SET batch = ? WHERE id = ? AND batch IS NULL');
    for (const id of ids) st.run(key, id);
  }

  batchSent(channel: string, key: string, at: string): void {
    this.atomically(() => {
      this.db.prepare("UPDATE notify_outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE channel = ? AND batch = ? AND state = 'pending'").run(at, channel, key);
      this.touchChannel(channel, { lastAttemptAt: at, lastSuccessAt: at });
    });
  }

  batchFailed(channel: string, key: string, at: string, error: string, nextAt: string | null): void {
    this.atomically(() => {
      if (nextAt === null) this.db.prepare("UPDATE notify_outbox SET state = 'dropped', attempts = attempts + 1, last_error = ? WHERE channel = ? AND batch = ? AND state = 'pending'").run(error, channel, key);
      else this.db.prepare("UPDATE notify_outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE channel = ? AND batch = ? AND state = 'pending'").run(nextAt, error, channel, key);
      this.touchChannel(channel, { lastAttemptAt: at, lastError: error, lastErrorAt: at });
    });
  }

  touchChannel(name: string, c: Partial<Omit<ChannelRow, 'name'>>): void {
    this.db.prepare('INSERT OR IGNORE INTO notify_channels (name) VALUES (?)').run(name);
    for (const [k, col] of [
      ['lastAttemptAt', 'last_attempt_at'],
      ['lastSuccessAt', 'last_success_at'],
      ['lastError', 'last_error'],
      ['lastErrorAt', 'last_error_at'],
    ] as const) {
      if (c[k] !== undefined) this.db.prepare(`UPDATE notify_channels SET ${col} = ? WHERE name = ?`).run(c[k], name);
    }
  }

  channel(name: string): ChannelRow | undefined {
    return this.db.prepare('SELECT name, last_attempt_at AS lastAttemptAt, last_success_at AS lastSuccessAt, last_error AS lastError, last_error_at AS lastErrorAt FROM notify_channels WHERE name = ?').get(name) as
      ChannelRow | undefined;
  }

  /** Delivered and dropped rows older than the cut-off go. */
  prune(beforeIso: string): number {
    return this.db.prepare("DELETE FROM notify_outbox WHERE state != 'pending' AND created_at < ?").run(beforeIso).changes;
  }

  rows(channel?: string): OutboxRow[] {
    return (
      channel ? this.db.prepare(`SELECT ${OUTBOX_COLS} FROM notify_outbox WHERE channel = ? ORDER BY id`).all(channel) : this.db.prepare(`SELECT ${OUTBOX_COLS} FROM notify_outbox ORDER BY id`).all()
    ) as OutboxRow[];
  }
}
