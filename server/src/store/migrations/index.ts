// Numbered migrations, applied in order once each. Ranges keep parallel work apart:
// 1–9 runs and events (engine), 10–19 tokens, pairing and audit (API), 20–29 Samba, capacity and
// watchers, 30–39 the sync guards (approval digests, expected deletions), 40–49 the restic side
// (hot-set pauses), 50–59 snapshots, restores and recovery, 60–69 notifications, 70–79 tray
// updates. Never edit a released migration: add the next number.
export interface Migration {
  id: number;
  name: string;
  sql: string;
}

import { engineMigrations } from './engine';
import { capacityMigrations } from './capacity';
import { apiMigrations } from './api';
import { syncMigrations } from './sync';
import { restoreMigrations } from './restore';
import { notifyMigrations } from './notify';
import { resticMigrations } from './restic';
import { updatesMigrations } from './updates';

export const migrations: Migration[] = [...engineMigrations, ...apiMigrations, ...capacityMigrations, ...syncMigrations, ...resticMigrations, ...restoreMigrations, ...notifyMigrations, ...updatesMigrations];
