// Files a prune pillarsd ran removed under a local restic repository (issue 22): a sync that
// mirrors the repository deletes them at the destination too, and its guard must not take those
// deletions for a disk gone wrong. Only unexpected deletions block. Absolute paths, kept 90 days.
import type { Db } from './db';

export const EXPECTED_DELETIONS_KEEP_DAYS = 90;

export class ExpectedDeletions {
  constructor(private readonly db: Db) {}

  record(paths: readonly string[], runId: string, at: Date): void {
    const put = this.db.prepare('INSERT INTO expected_deletions (path, run_id, at) VALUES (?, ?, ?) ON CONFLICT(path) DO UPDATE SET run_id = excluded.run_id, at = excluded.at');
    const when = at.toISOString();
    this.db.transaction(() => {
      for (const p of paths) put.run(p, runId, when);
    })();
  }

  /** The run whose prune removed this file, or null when no prune of ours explains its absence. */
  runOf(path: string): string | null {
    const r = this.db.prepare('SELECT run_id FROM expected_deletions WHERE path = ?').get(path) as { run_id: string } | undefined;
    return r ? r.run_id : null;
  }

  expire(now: Date, keepDays = EXPECTED_DELETIONS_KEEP_DAYS): number {
    return this.db.prepare('DELETE FROM expected_deletions WHERE at < ?').run(new Date(now.getTime() - keepDays * 86_400_000).toISOString()).changes;
  }
}
