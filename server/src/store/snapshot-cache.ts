// `restic snapshots --json` of each repository as last read, shared by every pillarsd process on
// the database (serve and the CLI): the snapshot list comes from the repository, read again when a
// run that may have changed it ended since (jobs/snapshots.ts decides when).
import type { Db } from './db';

export interface CachedSnapshots<T> {
  refreshedAt: string;
  snapshots: T[];
}

export class SnapshotCache {
  constructor(private readonly db: Db) {}

  get<T>(repository: string): CachedSnapshots<T> | null {
    const r = this.db.prepare('SELECT refreshed_at, snapshots_json FROM snapshot_cache WHERE repository = ?').get(repository) as { refreshed_at: string; snapshots_json: string } | undefined;
    return r ? { refreshedAt: r.refreshed_at, snapshots: JSON.parse(r.snapshots_json) as T[] } : null;
  }

  put<T>(repository: string, refreshedAt: string, snapshots: readonly T[]): void {
    this.db
      .prepare(
        'INSERT INTO snapshot_cache (repository, refreshed_at, snapshots_json) VALUES (?, ?, ?) ON CONFLICT(repository) DO UPDATE SET refreshed_at = excluded.refreshed_at, snapshots_json = excluded.snapshots_json',
      )
      .run(repository, refreshedAt, JSON.stringify(snapshots));
  }
}
