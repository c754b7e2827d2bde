// Migrations 50–59: snapshots, restores and recovery (issue 16). Never edit a released one.
import type { Migration } from './index';

export const restoreMigrations: Migration[] = [
  {
    id: 50,
    name: 'run tasks and the snapshot cache',
    // task_json: what a run that is not a configured job was asked to do (a restore, a recovery).
    // snapshot_cache: `restic snapshots --json` of a repository as last read, by repository key
    // (the absolute path, or remote:path), shared by serve and the CLI.
    sql: `ALTER TABLE runs ADD COLUMN task_json TEXT;
CREATE TABLE snapshot_cache (repository TEXT PRIMARY KEY, refreshed_at TEXT NOT NULL, snapshots_json TEXT NOT NULL);`,
  },
];
