// What the watchers add to GET /api/v1/status: capacity and health per pillar, Time Machine
// bundles, hot-sets and the B2 plan, with their warnings. The engine calls the contributor when
// it builds a status; slow parts (walking bundles) are cached for `cacheMs`.
import type { StatusResponse, TimeMachineBundle, HotSetStatus, B2Plan } from '../contract/api';
import type { Clock } from '../ports/clock';
import { capacityWarnings, trend, type CapacityStore, type CapacityThresholds, type FsUsage, type StatfsPort } from './capacity';
import { evaluateBundles, type TimeMachineScanPort } from './timemachine';
import { hotSetStatus, type ConflictFinder, type LeftoverPauses } from './hotsets';
import type { SyncthingClient } from './syncthing';
import { planB2, type B2PlanInput } from './b2plan';

export interface DiskHealthInfo {
  device: string | null;
  smart: 'ok' | 'failing' | 'unknown';
}

export interface WatchDeps {
  clock: Clock;
  pillars: Array<{ id: string; path: string }>;
  statfs: StatfsPort;
  thresholds: CapacityThresholds;
  store?: CapacityStore;
  diskHealth?: (path: string) => Promise<DiskHealthInfo>;
  timeMachine?: { pillar: string; capBytes: number | null; staleDays: number; perUser?: boolean; scanner: TimeMachineScanPort };
  /** `leftovers`: pauses pillarsd made for runs that are over, warned about at every status */
  hotSets?: { client: SyncthingClient; hotRoot: string; conflicts: ConflictFinder; leftovers?: Pick<LeftoverPauses, 'warnings'> };
  b2?: { pillar: string; plan: B2PlanInput };
  cacheMs?: number;
}

export interface PillarCapacity extends FsUsage {
  id: string;
  warnings: string[];
  trend: ReturnType<typeof trend> | null;
  health: DiskHealthInfo | null;
}

export interface WatchStatus {
  capacity: PillarCapacity[];
  timeMachine: TimeMachineBundle[];
  hotSets: HotSetStatus[];
  b2: B2Plan | null;
  warnings: string[];
}

export async function collectWatchStatus(d: WatchDeps): Promise<WatchStatus> {
  const warnings: string[] = [];
  const capacity: PillarCapacity[] = [];
  const since = new Date(d.clock.now().getTime() - 30 * 86_400_000).toISOString();
  for (const p of d.pillars) {
    try {
      const u = await d.statfs.statfs(p.path);
      const w = capacityWarnings(p.id, u, d.thresholds);
      const health = d.diskHealth ? await d.diskHealth(p.path) : null;
      if (health?.smart === 'failing') w.push(`${p.id}: the disk ${health.device ?? ''} reports a SMART failure: replace it`);
      capacity.push({ id: p.id, ...u, warnings: w, trend: d.store ? trend(d.store.since(p.id, since)) : null, health });
      warnings.push(...w);
    } catch (e) {
      warnings.push(`${p.id}: cannot read capacity of ${p.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  let timeMachine: TimeMachineBundle[] = [];
  if (d.timeMachine) {
    const root = d.pillars.find((p) => p.id === d.timeMachine!.pillar)?.path;
    if (root) {
      const ev = evaluateBundles(await d.timeMachine.scanner.scan(root), { capBytes: d.timeMachine.capBytes, staleDays: d.timeMachine.staleDays, perUser: d.timeMachine.perUser, now: d.clock.now() });
      timeMachine = ev.bundles;
      warnings.push(...ev.warnings);
    }
  }
  let hotSets: HotSetStatus[] = [];
  if (d.hotSets) {
    try {
      const r = await hotSetStatus(d.hotSets.client, d.hotSets.hotRoot, d.hotSets.conflicts);
      hotSets = r.hotSets;
      warnings.push(...r.warnings);
    } catch (e) {
      warnings.push(`hot-sets: ${(e as Error).message}`);
    }
  }
  let b2: B2Plan | null = null;
  if (d.b2) {
    const space = capacity.find((c) => c.id === d.b2!.pillar);
    if (space) b2 = planB2(space.usedBytes, d.b2.plan);
  }
  return { capacity, timeMachine, hotSets, b2, warnings };
}

/** Stores one capacity sample per pillar (the engine or serve calls it every sampleMinutes). */
export async function sampleCapacity(d: Pick<WatchDeps, 'pillars' | 'statfs' | 'clock'> & { store: CapacityStore; keepDays?: number }): Promise<number> {
  let n = 0;
  const at = d.clock.now().toISOString();
  for (const p of d.pillars) {
    const u = await d.statfs.statfs(p.path).catch(() => null);
    if (!u) continue;
    d.store.insert({ pillar: p.id, at, ...u });
    n++;
  }
  d.store.prune(new Date(d.clock.now().getTime() - (d.keepDays ?? 400) * 86_400_000).toISOString());
  return n;
}

/** A status contributor: merges the watchers' findings into the engine's StatusResponse. */
export function watchStatusContributor(d: WatchDeps): (s: StatusResponse) => Promise<void> {
  let cached: { at: number; value: WatchStatus } | null = null;
  return async (s) => {
    const now = d.clock.now().getTime();
    if (!cached || now - cached.at > (d.cacheMs ?? 60_000)) cached = { at: now, value: await collectWatchStatus(d) };
    const w = cached.value;
    for (const c of w.capacity) {
      const p = s.pillars.find((x) => x.id === c.id);
      if (!p) continue;
      p.totalBytes = c.totalBytes;
      p.freeBytes = c.freeBytes;
      p.usedBytes = c.usedBytes;
      p.warnings.push(...c.warnings);
    }
    s.timeMachine = w.timeMachine;
    s.hotSets = w.hotSets;
    s.b2 = w.b2;
    s.warnings.push(...w.warnings);
    // not cached: a leftover pause resumed a moment ago no longer warns
    s.warnings.push(...(d.hotSets?.leftovers?.warnings() ?? []));
  };
}
