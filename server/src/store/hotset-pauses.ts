// The hot-set pause journal in SQLite (watch/hotsets.ts PauseJournal): one row per Syncthing
// folder pillarsd paused and has not resumed. Each change is one statement, so `serve` and a
// `pillarsd run` next to it never overwrite each other's pauses.
import type { Db } from './db';

export interface PauseRow {
  folderId: string;
  runId: string | null;
  pausedAt: string;
}

export class HotSetPauseStore {
  constructor(private readonly db: Db) {}

  list(): PauseRow[] {
    return (this.db.prepare('SELECT folder_id, run_id, paused_at FROM hotset_pauses ORDER BY paused_at, folder_id').all() as Array<{ folder_id: string; run_id: string | null; paused_at: string }>).map((r) => ({
      folderId: r.folder_id,
      runId: r.run_id,
      pausedAt: r.paused_at,
    }));
  }

  add(folderIds: readonly string[], runId: string | null, at: string): void {
    // a folder already on record keeps the time it was first paused; the new run owns it now
    const put = this.db.prepare('INSERT INTO hotset_pauses (folder_id, run_id, paused_at) VALUES (?, ?, ?) ON CONFLICT(folder_id) DO UPDATE SET run_id = excluded.run_id');
    this.db.transaction(() => folderIds.forEach((id) => put.run(id, runId, at)))();
  }

  remove(folderIds: readonly string[]): void {
    const del = this.db.prepare('DELETE FROM hotset_pauses WHERE folder_id = ?');
    this.db.transaction(() => folderIds.forEach((id) => del.run(id)))();
  }
}
