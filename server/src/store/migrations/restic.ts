// Migrations 40–49 belong to the restic side of the lifecycle (backups, retention, hot-sets).
import type { Migration } from './index';

export const resticMigrations: Migration[] = [
  {
    id: 40,
    name: 'hot-set pauses',
    // one row per Syncthing folder pillarsd paused around a backup and has not resumed yet; rows
    // are added and removed one by one (never the whole list rewritten), so a second process or a
    // crash between pause and resume leaves every pause on record
    sql: `CREATE TABLE hotset_pauses (
      folder_id TEXT PRIMARY KEY,
      run_id TEXT,
      paused_at TEXT NOT NULL
    );`,
  },
];
