// The audit log of admin actions: who (token name and id), what, when. Append-only.
import type Database from 'better-sqlite3';
import type { AuditEntry } from '../contract/api';

export interface AuditPage {
  entries: AuditEntry[];
  /** Cursor for the next (older) page, or null. */
  next: string | null;
}

export class AuditLog {
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  record(e: { actor: string; action: string; target?: string | null; detail?: string | null }): AuditEntry {
    const at = this.now().toISOString();
    const r = this.db.prepare('INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)').run(at, e.actor, e.action, e.target ?? null, e.detail ?? null);
    return { id: Number(r.lastInsertRowid), at, actor: e.actor, action: e.action, target: e.target ?? null, detail: e.detail ?? null };
  }

  /** Newest first. `before` is an entry id from a previous page's `next`. */
  list(opts: { limit: number; before?: number }): AuditPage {
    const limit = Math.max(1, Math.min(1000, opts.limit));
    const rows = this.db.prepare<[number, number], AuditEntry>('SELECT id, at, actor, action, target, detail FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?').all(opts.before ?? Number.MAX_SAFE_INTEGER, limit + 1);
    const more = rows.length > limit;
    const entries = rows.slice(0, limit);
    return { entries, next: more ? String(entries[entries.length - 1]!.id) : null };
  }
}
