// The API with everything behind it real except the job runner: SQLite store (all migrations),
// token, audit and pairing stores, the event store as hub, and a listening server when asked.
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '../../../../server/src/http/app';
import type { StatusResponse } from '../../../../server/src/contract/api';
import { openDb, type Db } from '../../../../server/src/store/db';
import { TokenStore } from '../../../../server/src/store/tokens';
import { AuditLog } from '../../../../server/src/store/audit';
import { PairingStore } from '../../../../server/src/store/pairing';
import { EventStore } from '../../../../server/src/store/events';
import { RunStore } from '../../../../server/src/store/runs';
import { tempDir, type TempDir } from '../../../support/tmp';
import { MiniEngine, job } from './mini-engine';

export interface Stack {
  dir: TempDir;
  db: Db;
  app: FastifyInstance;
  engine: MiniEngine;
  hub: EventStore;
  tokens: TokenStore;
  audit: AuditLog;
  pairing: PairingStore;
  admin: string;
  viewer: string;
  close(): Promise<void>;
}

export async function makeStack(over: Partial<AppDeps> = {}): Promise<Stack> {
  const dir = tempDir('pillars-http-');
  const db = openDb(path.join(dir.path, 'pillarsd.db'));
  const tokens = new TokenStore(db);
  const audit = new AuditLog(db);
  const pairing = new PairingStore(db, tokens);
  const hub = new EventStore(db);
  const engine = new MiniEngine(new RunStore(db), hub, [job('flux-backup'), job('space-offsite', { type: 'rclone-sync', repository: null, source: 'space:/', destination: 'b2:miket-space' })]);
  const status = {
    async status(): Promise<StatusResponse> {
      return { version: 'test', time: new Date().toISOString(), pillars: [], jobs: engine.listJobs(), timeMachine: [], hotSets: [], b2: null, warnings: [] };
    },
  };
  const app = await buildApp({
    engine,
    events: hub,
    status,
    auth: tokens,
    audit,
    pairing,
    config: { allowedHosts: ['motoko', 'motoko.local'], version: 'test', fingerprint: 'AA:BB' },
    log: () => {},
    ...over,
  });
  const admin = tokens.create({ role: 'admin', name: 'test admin' }).token;
  const viewer = tokens.create({ role: 'viewer', name: 'test viewer' }).token;
  return {
    dir,
    db,
    app,
    engine,
    hub,
    tokens,
    audit,
    pairing,
    admin,
    viewer,
    async close() {
      await app.close();
      db.close();
      await dir.cleanup();
    },
  };
}

export const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
