// Builds the watchers from pillarsd.yaml for `serve`: the status contributor (capacity, disk
// health, Time Machine, hot-sets, B2 plan), the capacity sampler, the aroundRun hook that pauses
// the hot-sets during the Flux backup, and hot-set creation for the API.
import { posix } from 'node:path';
import type { Config } from '../config/schema';
import type { Db } from '../store/db';
import { nodeExec, type Exec } from '../infra/exec';
import { systemClock } from '../infra/clock';
import type { Clock } from '../ports/clock';
import { conflictFinder, diskHealth, fileJournal, statfsPort, timeMachineScanner } from '../infra/watch-host';
import { realBackends } from '../secrets/sources';
import { runSecrets } from '../secrets/resolver';
import { parseSize } from '../domain/size';
import { CapacityStore, DEFAULT_THRESHOLDS } from './capacity';
import { SyncthingClient } from './syncthing';
import { createHotSet, pauseHotSetsAround, resumeLeftovers, type AroundRun, type CreateHotSetInput } from './hotsets';
import { sampleCapacity, watchStatusContributor, type WatchDeps } from './status';
import type { StatusResponse } from '../contract/api';
import type { AroundRun as EngineAroundRun } from '../jobs/execution';

export interface WatchWiring {
  contributor: (s: StatusResponse) => Promise<void>;
  /** Present when syncthing.pauseDuringBackup is on; in the engine's hook shape. */
  aroundRun: EngineAroundRun | null;
  /** Starts sampling capacity every capacity.sampleMinutes (default 60); returns the stop function. */
  startSampler(): () => void;
  createHotSet: ((input: CreateHotSetInput) => Promise<{ id: string; label: string; path: string }>) | null;
  /** Call once at start: resumes hot-sets a crashed process left paused. */
  resumeLeftovers(): Promise<string[]>;
}

function toEngineHook(around: AroundRun): EngineAroundRun {
  return async (job, run) => {
    await around({ jobId: job.id }, run);
  };
}

/** `flux:/hot` → the absolute folder inside the flux pillar. */
export function resolvePillarPath(config: Config, ref: string): string | null {
  const m = /^([A-Za-z][A-Za-z0-9_-]*):(.*)$/.exec(ref);
  if (!m) return null;
  const p = config.pillars[m[1]!];
  return p ? posix.join(p.path, m[2] || '/').replace(/\/+$/, '') : null;
}

export function watchFromConfig(config: Config, deps: { db?: Db; clock?: Clock; exec?: Exec; env?: NodeJS.ProcessEnv; log?: (m: string) => void } = {}): WatchWiring {
  const clock = deps.clock ?? systemClock;
  const pillars = Object.entries(config.pillars).map(([id, p]) => ({ id, path: p.path }));
  const store = deps.db ? new CapacityStore(deps.db) : undefined;
  const tmEntry = Object.entries(config.pillars).find(([, p]) => p.timeMachine);
  let capBytes: number | null = null;
  if (tmEntry?.[1].timeMachine?.maxSize !== undefined) {
    // The config schema refused a bad size already; this is the cap Samba reports to the Macs.
    const r = parseSize(tmEntry[1].timeMachine.maxSize);
    capBytes = r.ok ? r.size.bytes : null;
  }
  let client: SyncthingClient | null = null;
  let hotRoot: string | null = null;
  if (config.syncthing) {
    const secrets = runSecrets({ syncthing: config.syncthing.apiKey }, realBackends({ env: deps.env ?? process.env, exec: deps.exec ?? nodeExec, akv: config.akv }));
    client = new SyncthingClient({ url: config.syncthing.url, apiKey: () => secrets.get('syncthing') });
    hotRoot = resolvePillarPath(config, config.syncthing.hotRoot);
  }
  const watch: WatchDeps = {
    clock,
    pillars,
    statfs: statfsPort,
    thresholds: { ...DEFAULT_THRESHOLDS, ...(config.capacity ?? {}) },
    store,
    diskHealth: (p) => diskHealth(p),
    timeMachine: tmEntry ? { pillar: tmEntry[0], capBytes, staleDays: tmEntry[1].timeMachine?.staleDays ?? 7, perUser: tmEntry[1].timeMachine?.perUser !== false, scanner: timeMachineScanner } : undefined,
    hotSets: client && hotRoot ? { client, hotRoot, conflicts: conflictFinder } : undefined,
    b2: config.pillars.space ? { pillar: 'space', plan: config.b2plan ?? {} } : undefined,
  };
  const journal = fileJournal(posix.join(config.stateDir, 'hotsets-paused.json'));
  const hotPillar = config.syncthing?.hotRoot.split(':')[0];
  const backupJobs = Object.entries(config.jobs)
    .filter(([, j]) => j.type === 'restic-backup' && j.source.split(':')[0] === hotPillar)
    .map(([id]) => id);
  return {
    contributor: watchStatusContributor(watch),
    aroundRun: client && hotRoot && config.syncthing?.pauseDuringBackup ? toEngineHook(pauseHotSetsAround(client, { hotRoot, jobIds: backupJobs, log: deps.log, journal })) : null,
    resumeLeftovers: async () => (client ? resumeLeftovers(client, journal) : []),
    startSampler() {
      if (!store) return () => {};
      const everyMs = (config.capacity?.sampleMinutes ?? 60) * 60_000;
      let timer: { cancel(): void } | null = null;
      let stopped = false;
      const tick = () => {
        sampleCapacity({ pillars, statfs: statfsPort, clock, store })
          .catch((e: unknown) => deps.log?.(`capacity sample failed: ${(e as Error).message}`))
          .finally(() => {
            if (!stopped) timer = clock.setTimeout(tick, everyMs);
          });
      };
      tick();
      return () => {
        stopped = true;
        timer?.cancel();
      };
    },
    createHotSet: client && hotRoot ? (input) => createHotSet(client!, hotRoot!, input) : null,
  };
}
