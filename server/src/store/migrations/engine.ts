// Migrations 1–9: runs and events (the engine's range).
import type { Migration } from './index';

export const engineMigrations: Migration[] = [
  {
    id: 1,
    name: 'runs',
    sql: `
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  status TEXT NOT NULL,
  trigger TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 1,
  queued_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  exit_code INTEGER,
  error TEXT,
  progress_json TEXT,
  summary_json TEXT,
  block_json TEXT,
  approved_by TEXT,
  approved_count REAL,
  log_tail TEXT NOT NULL DEFAULT '',
  log_file TEXT,
  owner_pid INTEGER,
  owner_start TEXT,
  child_pid INTEGER,
  resources_json TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX runs_job ON runs(job_id, id);
CREATE INDEX runs_status ON runs(status);
`,
  },
  {
    id: 2,
    name: 'events',
    sql: `
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  type TEXT NOT NULL,
  run_id TEXT,
  data_json TEXT NOT NULL
);
CREATE INDEX events_at ON events(at);
`,
  },
  {
    id: 3,
    name: 'engine key-value state',
    sql: `CREATE TABLE engine_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  },
];
