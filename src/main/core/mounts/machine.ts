// The per-pillar state machine, pure: observations in, next state and the action to take out.
// The manager (manager.ts) runs the effects; this file decides. States as in docs/architecture.md:
// unmounted | mounting | mounted | stale | failed-auth | failed-network | away.
import type { PillarState, ProbeResult, ServerDown } from '../../../platform/types';

export interface PillarRuntime {
  state: PillarState;
  reason: string;
  since: number;
  /** consecutive failed attempts (drives the backoff) */
  failures: number;
  /** no automatic mount attempt before this time */
  nextAttemptAt: number;
  wanted: boolean;
  freeBytes: number | null;
}

export interface Backoff {
  initialMs: number;
  maxMs: number;
  /** after a rejected password: wait this long before asking the vault again by ourselves */
  authRetryMs: number;
  /** a share stale this long, with a cheap check confirming the mount (not the server) is at fault, is broken loose and mounted again */
  staleGraceMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 60_000, authRetryMs: 15 * 60_000, staleGraceMs: 4_000 };

export type Observation =
  /** the server did not answer (kind and reason from the SMB check; none: a bare TCP failure) */
  | { type: 'unreachable'; away: boolean; host: string; kind?: ServerDown; reason?: string }
  /** the server answers again after it did not: every backoff starts over */
  | { type: 'server-back' }
  | { type: 'probe'; result: ProbeResult }
  | { type: 'mount-started' }
  | { type: 'mounted'; freeBytes?: number | null }
  | { type: 'mount-failed'; kind: 'auth' | 'network' | 'error'; reason: string }
  | { type: 'unmounted'; wanted: boolean }
  | { type: 'nudge' }; // wake or network change: try again now

export type Action = 'none' | 'mount' | 'recover';

export function initial(now: number, wanted: boolean): PillarRuntime {
  return { state: 'unmounted', reason: wanted ? 'not mounted yet' : 'not mounted', since: now, failures: 0, nextAttemptAt: now, wanted, freeBytes: null };
}

export function backoffMs(failures: number, b: Backoff): number {
  if (failures <= 0) return 0;
  return Math.min(b.maxMs, b.initialMs * 2 ** Math.min(20, failures - 1));
}

const UNHEALTHY: readonly PillarState[] = ['stale', 'failed-network', 'failed-auth', 'away'];

function set(rt: PillarRuntime, now: number, patch: Partial<PillarRuntime>): PillarRuntime {
  const next = { ...rt, ...patch };
  if (next.state !== rt.state) next.since = now;
  return next;
}

/** Applies one observation. */
export function step(rt: PillarRuntime, obs: Observation, now: number, b: Backoff = DEFAULT_BACKOFF): PillarRuntime {
  switch (obs.type) {
    case 'unreachable': {
      if (!rt.wanted) return rt;
      // calm while away: no attempts until the network changes or the server answers again
      if (obs.away) return set(rt, now, { state: 'away', reason: `away from home: ${obs.host} is not reachable from this network` });
      const reason = obs.reason ?? `${obs.host} does not answer on port 445`;
      // a hung server under a live mount: the mount is fine and waits for it (never broken loose for it)
      if (obs.kind === 'hung' && (rt.state === 'mounted' || rt.state === 'stale')) return set(rt, now, { state: 'stale', reason, freeBytes: null });
      return set(rt, now, { state: 'failed-network', reason });
    }
    case 'server-back':
      // a password known to be wrong keeps its long wait: the server answering changes nothing there
      return rt.state === 'failed-auth' ? rt : set(rt, now, { failures: 0, nextAttemptAt: now });
    case 'probe': {
      const r = obs.result;
      if (r.kind === 'ok') return set(rt, now, { state: 'mounted', reason: '', failures: 0, freeBytes: r.freeBytes });
      if (r.kind === 'stale') return set(rt, now, { state: 'stale', reason: r.reason, freeBytes: null });
      if (r.kind === 'auth') return set(rt, now, { state: 'failed-auth', reason: r.reason, nextAttemptAt: now, freeBytes: null });
      // missing: the mount went away (or never was)
      if (!rt.wanted) return set(rt, now, { state: 'unmounted', reason: 'not mounted', freeBytes: null });
      if (rt.state === 'mounted' || rt.state === 'stale' || rt.state === 'mounting') return set(rt, now, { state: 'unmounted', reason: `mount lost: ${r.reason}`, nextAttemptAt: now, freeBytes: null });
      return rt.state === 'away' || rt.state === 'failed-network' ? set(rt, now, {}) : set(rt, now, { freeBytes: null });
    }
    case 'mount-started':
      // a retry after a failure keeps showing the failure: the pillar is not usable meanwhile
      return UNHEALTHY.includes(rt.state) ? set(rt, now, { wanted: true }) : set(rt, now, { state: 'mounting', reason: 'mounting', wanted: true });
    case 'mounted':
      return set(rt, now, { state: 'mounted', reason: '', failures: 0, nextAttemptAt: now, freeBytes: obs.freeBytes ?? null });
    case 'mount-failed': {
      const failures = rt.failures + 1;
      if (obs.kind === 'auth') return set(rt, now, { state: 'failed-auth', reason: obs.reason, failures, nextAttemptAt: now + b.authRetryMs });
      if (obs.kind === 'network') return set(rt, now, { state: 'failed-network', reason: obs.reason, failures, nextAttemptAt: now + backoffMs(failures, b) });
      // local problems (a folder full of files, a missing share): retrying soon would not help
      return set(rt, now, { state: 'unmounted', reason: obs.reason, failures, nextAttemptAt: now + Math.max(b.maxMs, backoffMs(failures, b)) });
    }
    case 'unmounted':
      return set(rt, now, { state: 'unmounted', reason: obs.wanted ? 'remounting' : 'unmounted by request', wanted: obs.wanted, failures: 0, nextAttemptAt: now, freeBytes: null });
    case 'nudge':
      return rt.state === 'failed-auth' ? rt : set(rt, now, { nextAttemptAt: now, failures: Math.min(rt.failures, 1) });
  }
}

/** What to do after the latest observation of a reachable server. */
export function decide(rt: PillarRuntime, now: number, b: Backoff = DEFAULT_BACKOFF): Action {
  if (!rt.wanted) return 'none';
  if (rt.state === 'stale') return now - rt.since >= b.staleGraceMs ? 'recover' : 'none';
  if (rt.state === 'mounted' || rt.state === 'mounting') return 'none';
  return now >= rt.nextAttemptAt ? 'mount' : 'none';
}
