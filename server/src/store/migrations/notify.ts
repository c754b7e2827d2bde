// Migrations 60–69: notifications (issue 17). Never edit a released one.
import type { Migration } from './index';

export const notifyMigrations: Migration[] = [
  {
    id: 60,
    name: 'notifications: cursor, incidents, outbox, channel state',
    // The cursor starts at the newest stored event: history from before notifications existed is
    // never sent, and every event stored from now on is (whichever process stored it).
    sql: `CREATE TABLE notify_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO notify_state (key, value) SELECT 'cursor', CAST(COALESCE(MAX(id), 0) AS TEXT) FROM events;
    CREATE TABLE notify_incidents (
      key TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      severity TEXT NOT NULL,
      title TEXT NOT NULL,
      text TEXT NOT NULL,
      job_id TEXT,
      run_id TEXT,
      subject TEXT,
      opened_at TEXT NOT NULL,
      last_at TEXT NOT NULL,
      count INTEGER NOT NULL,
      waiting_since TEXT,
      reminders INTEGER NOT NULL DEFAULT 0,
      seq INTEGER NOT NULL DEFAULT 0,
      sent_to TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE notify_outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      channel TEXT NOT NULL,
      item_id TEXT NOT NULL,
      payload TEXT NOT NULL,
      created_at TEXT NOT NULL,
      batch TEXT,
      state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dropped')),
      attempts INTEGER NOT NULL DEFAULT 0,
      next_at TEXT,
      last_error TEXT,
      sent_at TEXT,
      UNIQUE (channel, item_id)
    );
    CREATE INDEX notify_outbox_pending ON notify_outbox (channel, state, id);
    CREATE TABLE notify_channels (
      name TEXT PRIMARY KEY,
      last_attempt_at TEXT,
      last_success_at TEXT,
      last_error TEXT,
      last_error_at TEXT
    );`,
  },
];
