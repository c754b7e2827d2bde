// Migrations 30–39: the rclone side of the guards (issues 14 and 22). Never edit a released one.
import type { Migration } from './index';

export const syncMigrations: Migration[] = [
  {
    id: 30,
    name: 'approval digest and expected deletions',
    // approved_digest: the digest of the change set an approval named (the run may delete only
    // files of that set). expected_deletions: files a prune pillarsd ran removed under a local
    // repository, by absolute path, so a sync mirroring it does not take them for a mass deletion.
    sql: `ALTER TABLE runs ADD COLUMN approved_digest TEXT;
CREATE TABLE expected_deletions (path TEXT PRIMARY KEY, run_id TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX expected_deletions_at ON expected_deletions(at);`,
  },
];
