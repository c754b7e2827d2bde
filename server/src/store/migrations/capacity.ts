// Migrations 20–29 belong to Samba, capacity and the watchers.
import type { Migration } from './index';

export const capacityMigrations: Migration[] = [
  {
    id: 20,
    name: 'capacity samples',
    sql: `CREATE TABLE capacity_samples (
      pillar TEXT NOT NULL,
      at TEXT NOT NULL,
      total_bytes INTEGER NOT NULL,
      free_bytes INTEGER NOT NULL,
      used_bytes INTEGER NOT NULL
    );
    CREATE INDEX capacity_samples_pillar_at ON capacity_samples (pillar, at);`,
  },
];
