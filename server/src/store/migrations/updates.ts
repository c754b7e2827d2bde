// Migrations 70–79: tray updates (issue 21). Never edit a released one.
import type { Migration } from './index';

export const updatesMigrations: Migration[] = [
  {
    id: 70,
    name: 'client version and update channel per token',
    // What the tray said of itself on its last contact (so the owner sees who is behind), and
    // which feed it gets. A pairing token is one client, so the token is where both belong.
    sql: `ALTER TABLE api_tokens ADD COLUMN client_version TEXT;
      ALTER TABLE api_tokens ADD COLUMN client_os TEXT;
      ALTER TABLE api_tokens ADD COLUMN update_channel TEXT NOT NULL DEFAULT 'stable' CHECK (update_channel IN ('stable', 'beta'));`,
  },
];
