// Numbered migrations, applied in order once each. Ranges keep parallel work apart:
// 1–9 runs and events (engine), 10–19 tokens, pairing and audit (API), 20–29 Samba, capacity and
// watchers, 40–49 the restic side (hot-set pauses), 50–59 snapshots, restores and recovery, 60–69
// notifications. Never edit a released migration: add the next number.
export interface Migration {
  id: number;
  name: string;
  sql: string;
}

import { engineMigrations } from './engine';
import { capacityMigrations } from './capacity';
import { apiMigrations } from './api';
import { restoreMigrations } from './restore';
import { notifyMigrations } from './notify';
import { resticMigrations } from './restic';

export const migrations: Migration[] = [...engineMigrations, ...apiMigrations, ...capacityMigrations, ...resticMigrations, ...restoreMigrations, ...notifyMigrations];
