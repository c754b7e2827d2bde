// Opens everything the engine needs for one process: the database, stores, hub, engine, status.
// The CLI commands (`run`, `jobs`, `runs`, `serve`, `demo`) compose from here.
import type { LoadedConfig } from '../config/load';
import { openDb, stateDbPath } from '../store/db';
import type { Db } from '../store/db';
import { RunStore, StateStore } from '../store/runs';
import { EventStore } from '../store/events';
import { ExpectedDeletions } from '../store/expected-deletions';
import { nodeExec } from '../infra/exec';
import type { Exec } from '../infra/exec';
import { systemClock } from '../infra/clock';
import type { Clock } from '../ports/clock';
import { realBackends } from '../secrets/sources';
import type { SecretBackends } from '../secrets/resolver';
import { Engine } from './engine';
import type { AroundRun } from './execution';
import { EngineStatus } from './status';
import { ensureDir } from '../infra/fs';
import { nodeStreamSpawn } from '../infra/stream-exec';
import { SnapshotCache } from '../store/snapshot-cache';
import { SnapshotService } from './snapshots';
import { RecoverService } from './recover-service';

export interface Runtime {
  file: string;
  db: Db;
  runs: RunStore;
  state: StateStore;
  hub: EventStore;
  engine: Engine;
  status: EngineStatus;
  /** snapshots, browsing, download and restore requests (issue 16) */
  snapshots: SnapshotService;
  /** recoveries from the offsite remote (issue 16) */
  recovery: RecoverService;
  clock: Clock;
  exec: Exec;
  close(): void;
}

export interface RuntimeOptions {
  exec?: Exec;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  secretBackends?: SecretBackends;
  aroundRun?: AroundRun[];
  dependents?: boolean;
}

export function openRuntime(loaded: LoadedConfig, o: RuntimeOptions = {}): Runtime {
  const c = loaded.config;
  ensureDir(c.stateDir, 0o750);
  const db = openDb(stateDbPath(c.stateDir));
  const clock = o.clock ?? systemClock;
  const exec = o.exec ?? nodeExec;
  const env = o.env ?? process.env;
  const runs = new RunStore(db);
  const state = new StateStore(db);
  const hub = new EventStore(db, () => clock.now());
  const akv = c.akv ? { endpoint: c.akv.endpoint, disableChallengeResourceVerification: c.akv.disableChallengeResourceVerification, authorityHost: c.akv.authorityHost } : undefined;
  const secretBackends = o.secretBackends ?? realBackends({ env, exec, akv });
  const engine = new Engine({
    config: c,
    runs,
    state,
    hub,
    exec,
    clock,
    env,
    secretBackends,
    aroundRun: o.aroundRun,
    dependents: o.dependents,
    expected: new ExpectedDeletions(db),
  });
  const status = new EngineStatus(engine, clock);
  const adhoc = { config: () => engine.config, exec, env, tools: engine.tools, secretBackends, runtimeDir: engine.runtimeDir, cacheDir: engine.cacheDir };
  const snapshots = new SnapshotService({
    ...adhoc,
    runs,
    cache: new SnapshotCache(db),
    spawn: nodeStreamSpawn,
    clock,
    enqueueTask: (task) => engine.enqueueTask(task),
  });
  const recovery = new RecoverService({ ...adhoc, runs, enqueueTask: (task) => engine.enqueueTask(task) });
  return {
    file: loaded.file,
    db,
    runs,
    state,
    hub,
    engine,
    status,
    snapshots,
    recovery,
    clock,
    exec,
    close: () => db.close(),
  };
}
