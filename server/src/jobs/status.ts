// The pillars + jobs part of StatusResponse. Watchers (capacity, Time Machine, hot-sets, B2) add
// theirs through `contributors`, each filling its own fields of the same response.
import path from 'node:path';
import type { PillarStatus, StatusResponse } from '../contract/api';
import type { StatusApi } from '../ports/services';
import { pillarGuard } from '../domain/guards';
import { RECOVER_MARKER } from '../domain/recover-plan';
import { diskSpace, isDirectory, isMountPoint, mountPoints, readSmallFile } from '../infra/fs';
import type { Clock } from '../ports/clock';
import type { Engine } from './engine';
import { VERSION } from '../version';

export type StatusContributor = (s: StatusResponse) => void | Promise<void>;

export function pillarStatus(id: string, p: { path: string; requireMount: boolean }, mounts: Set<string> | null = mountPoints()): PillarStatus {
  const existsDir = isDirectory(p.path);
  const mounted = existsDir && isMountPoint(p.path, mounts);
  const sentinelText = existsDir ? readSmallFile(path.join(p.path, '.pillar')) : null;
  const block = pillarGuard({ id, path: p.path, requireMount: p.requireMount, exists: existsDir, mounted, sentinel: sentinelText });
  const space = existsDir ? diskSpace(p.path) : null;
  const recovery = existsDir ? recoveryState(readSmallFile(path.join(p.path, RECOVER_MARKER))) : null;
  // a recovery is told by its own field (`recovery`), not repeated as a warning string
  const warnings = block ? [block.message] : [];
  return {
    id,
    path: p.path,
    online: block === null,
    sentinel: block?.guard !== 'pillar-sentinel' && sentinelText !== null,
    mounted,
    totalBytes: space?.totalBytes ?? null,
    freeBytes: space?.freeBytes ?? null,
    usedBytes: space ? space.totalBytes - space.freeBytes : null,
    warnings,
    recovery,
  };
}

/** A recovery marker as the status tells it (rclone-recover writes it; unreadable: both null). */
function recoveryState(text: string | null): PillarStatus['recovery'] {
  if (text === null) return null;
  try {
    const m = JSON.parse(text) as { remote?: unknown; startedAt?: unknown };
    return { remote: typeof m.remote === 'string' ? m.remote : null, startedAt: typeof m.startedAt === 'string' ? m.startedAt : null };
  } catch {
    return { remote: null, startedAt: null };
  }
}

export class EngineStatus implements StatusApi {
  readonly contributors: StatusContributor[] = [];
  constructor(
    private readonly engine: Engine,
    private readonly clock: Clock,
  ) {}

  async status(): Promise<StatusResponse> {
    const c = this.engine.config;
    const mounts = mountPoints();
    const pillars = Object.entries(c.pillars).map(([id, p]) => pillarStatus(id, p, mounts));
    const jobs = this.engine.listJobs();
    const warnings = [
      ...pillars.flatMap((p) => p.warnings),
      ...jobs.filter((j) => j.overdue).map((j) => `job ${j.id} is overdue: its last scheduled run did not succeed`),
      ...jobs.filter((j) => j.state === 'blocked').map((j) => `job ${j.id} is blocked: ${j.lastRun?.error ?? 'a guard refused it'}`),
    ];
    const s: StatusResponse = { version: VERSION, time: this.clock.now().toISOString(), pillars, jobs, timeMachine: [], hotSets: [], b2: null, samba: { drift: null, reloadFailed: null }, warnings };
    for (const fn of this.contributors) {
      try {
        await fn(s);
      } catch (e) {
        s.warnings.push(`status: ${(e as Error).message}`);
      }
    }
    return s;
  }
}
