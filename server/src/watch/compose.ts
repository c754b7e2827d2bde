// Builds the watchers from pillarsd.yaml for `serve`: the status contributor (capacity, disk
// health, Time Machine, hot-sets, B2 plan), the capacity sampler, the hot-sets around the backups
// of their pillar (hotset-wiring.ts), and hot-set creation for the API.
import type { Config } from '../config/schema';
import type { Db } from '../store/db';
import type { Exec } from '../infra/exec';
import { systemClock } from '../infra/clock';
import type { Clock } from '../ports/clock';
import { conflictFinder, diskHealth, statfsPort, timeMachineScanner } from '../infra/watch-host';
import { parseSize } from '../domain/size';
import { CapacityStore, DEFAULT_THRESHOLDS } from './capacity';
import { createHotSet, type CreateHotSetInput } from './hotsets';
import type { HotSetWiring } from './hotset-wiring';
import { sampleCapacity, watchStatusContributor, type WatchDeps } from './status';
import type { StatusResponse } from '../contract/api';

export interface WatchWiring {
  contributor: (s: StatusResponse) => Promise<void>;
  /** Starts sampling capacity every capacity.sampleMinutes (default 60); returns the stop function. */
  startSampler(): () => void;
  createHotSet: ((input: CreateHotSetInput) => Promise<{ id: string; label: string; path: string }>) | null;
  /** the hot-sets (pause around backups, leftover pauses, conflicts), when syncthing: is configured */
  hotSets: HotSetWiring | null;
}

export interface WatchFromConfigDeps {
  db?: Db;
  clock?: Clock;
  exec?: Exec;
  env?: NodeJS.ProcessEnv;
  log?: (m: string) => void;
  /** the hot-sets, built by the composition root (hotSetsFromConfig) for this process */
  hotSets?: HotSetWiring | null;
}

export function watchFromConfig(config: Config, deps: WatchFromConfigDeps = {}): WatchWiring {
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
  const hotSets = deps.hotSets ?? null;
  const watch: WatchDeps = {
    clock,
    pillars,
    statfs: statfsPort,
    thresholds: { ...DEFAULT_THRESHOLDS, ...(config.capacity ?? {}) },
    store,
    diskHealth: (p) => diskHealth(p),
    timeMachine: tmEntry ? { pillar: tmEntry[0], capBytes, staleDays: tmEntry[1].timeMachine?.staleDays ?? 7, perUser: tmEntry[1].timeMachine?.perUser !== false, scanner: timeMachineScanner } : undefined,
    hotSets: hotSets ? { client: hotSets.client, hotRoot: hotSets.hotRoot, conflicts: conflictFinder, leftovers: hotSets.leftovers } : undefined,
    b2: config.pillars.space ? { pillar: 'space', plan: config.b2plan ?? {} } : undefined,
  };
  return {
    contributor: watchStatusContributor(watch),
    hotSets,
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
    createHotSet: hotSets ? (input) => createHotSet(hotSets.client, hotSets.hotRoot, input) : null,
  };
}
