// The API with everything behind it real except the job runner: SQLite store (all migrations),
// token, audit and pairing stores, the event store as hub, and a listening server when asked.
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '../../../../server/src/http/app';
import { startHttpServer } from '../../../../server/src/cli/http';
import type { RunningHttpServer } from '../../../../server/src/http/server';
import type { HttpServerSettings } from '../../../../server/src/http/listen';
import type { StatusResponse } from '../../../../server/src/contract/api';
import { openDb, type Db } from '../../../../server/src/store/db';
import { TokenStore } from '../../../../server/src/store/tokens';
import { AuditLog } from '../../../../server/src/store/audit';
import { PairingStore, pairingKeyFile } from '../../../../server/src/store/pairing';
import { secretFile } from '../../../../server/src/infra/fs';
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

export interface Parts {
  dir: TempDir;
  db: Db;
  deps: Omit<AppDeps, 'config'>;
  engine: MiniEngine;
  hub: EventStore;
  tokens: TokenStore;
  audit: AuditLog;
  pairing: PairingStore;
  admin: string;
  viewer: string;
}

function parts(over: Partial<AppDeps>): Parts {
  const dir = tempDir('pillars-http-');
  const db = openDb(path.join(dir.path, 'pillarsd.db'));
  const tokens = new TokenStore(db);
  const audit = new AuditLog(db);
  const pairing = new PairingStore(db, tokens, secretFile(pairingKeyFile(dir.path)));
  const hub = new EventStore(db);
  const engine = new MiniEngine(new RunStore(db), hub, [job('flux-backup'), job('space-offsite', { type: 'rclone-sync', repository: null, source: 'space:/', destination: 'b2:miket-space' })]);
  const status = {
    async status(): Promise<StatusResponse> {
      return { version: 'test', time: new Date().toISOString(), pillars: [], jobs: engine.listJobs(), timeMachine: [], hotSets: [], b2: null, samba: { drift: null, reloadFailed: null }, warnings: [] };
    },
  };
  const admin = tokens.create({ role: 'admin', name: 'test admin' }).token;
  const viewer = tokens.create({ role: 'viewer', name: 'test viewer' }).token;
  const deps = { engine, events: hub, status, auth: tokens, audit, pairing, log: () => {}, ...over };
  return { dir, db, deps, engine, hub, tokens, audit, pairing, admin, viewer };
}

export async function makeStack(over: Partial<AppDeps> = {}): Promise<Stack> {
  const p = parts(over);
  const app = await buildApp({ ...p.deps, config: { allowedHosts: ['motoko', 'motoko.local'], version: 'test', fingerprint: 'AA:BB', ...over.config } });
  return {
    ...p,
    app,
    async close() {
      await app.close();
      p.db.close();
      await p.dir.cleanup();
    },
  };
}

export interface LiveStack extends Parts {
  srv: RunningHttpServer;
  close(): Promise<void>;
}

/** The stack behind a real listening server on 127.0.0.1 (port 0), TLS auto unless told. */
export async function startStack(opts: { server?: Partial<HttpServerSettings>; over?: Partial<AppDeps>; adminDir?: string } = {}): Promise<LiveStack> {
  const p = parts(opts.over ?? {});
  try {
    const srv = await startHttpServer({
      server: { listen: '127.0.0.1:0', tls: 'auto', allowedHosts: ['motoko', 'motoko.local'], ...opts.server },
      stateDir: p.dir.path,
      deps: { ...p.deps, config: { version: 'test', ...(opts.adminDir ? { adminDir: opts.adminDir } : {}) } },
      warn: () => {},
    });
    return {
      ...p,
      srv,
      async close() {
        await srv.close();
        p.db.close();
        await p.dir.cleanup();
      },
    };
  } catch (e) {
    p.db.close();
    await p.dir.cleanup();
    throw e;
  }
}

export const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
