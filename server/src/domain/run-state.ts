// The run state machine. A run is created `queued`; `blocked` waits for an admin (approve → queued
// again, reject → cancelled); the four terminal states never change again.
import type { RunStatus } from '../contract/api';

const NEXT: Record<RunStatus, readonly RunStatus[]> = {
  queued: ['running', 'cancelled', 'interrupted', 'blocked'],
  running: ['succeeded', 'succeeded-with-warnings', 'failed', 'cancelled', 'interrupted', 'blocked'],
  blocked: ['queued', 'cancelled', 'interrupted'],
  succeeded: [],
  'succeeded-with-warnings': [],
  failed: [],
  cancelled: [],
  interrupted: [],
};

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return NEXT[from].includes(to);
}

export class TransitionError extends Error {
  constructor(
    readonly from: RunStatus,
    readonly to: RunStatus,
  ) {
    super(`${/^[aeiou]/.test(from) ? 'an' : 'a'} ${from} run cannot become ${to}`);
  }
}

export function assertTransition(from: RunStatus, to: RunStatus): void {
  if (!canTransition(from, to)) throw new TransitionError(from, to);
}

/**
 * `after:`: a job runs after one it follows ended in success; after a success with warnings too,
 * unless it says `afterWarnings: skip` (a sync that should not carry a partial snapshot offsite).
 */
export function followsAfter(s: RunStatus, afterWarnings: 'run' | 'skip'): boolean {
  return s === 'succeeded' || (s === 'succeeded-with-warnings' && afterWarnings === 'run');
}

/**
 * Exit code of `pillarsd run` for a run's final status (server/README.md: 0 ok, 1 failed, 3 guard). A
 * success with warnings is a success (0): the snapshot exists; the command prints the warnings.
 */
export function exitCodeFor(s: RunStatus): 0 | 1 | 3 {
  if (s === 'succeeded' || s === 'succeeded-with-warnings') return 0;
  if (s === 'blocked') return 3;
  return 1;
}

/** Exponential backoff for retries of transient failures, capped at an hour. */
export function backoffSeconds(attempt: number, base: number): number {
  return Math.min(3600, base * 2 ** Math.max(0, attempt - 1));
}
