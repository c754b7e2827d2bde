// From what happened to a run to the status and error it ends with. Pure: the execution records
// the attempt's outcome and every abort the run received, and this decides.
import type { RunStatus } from '../contract/api';
import type { Outcome } from './job-type';

/** Why a run was aborted. */
export type AbortCause =
  | { kind: 'cancelled'; by: string }
  | { kind: 'timed-out'; minutes: number }
  /** pillarsd is stopping (SIGTERM): the run ends `interrupted`, not cancelled by anyone */
  | { kind: 'stopping' };

/** The words the run's log and error use for an abort (the signal's reason). */
export function abortMessage(c: AbortCause): string {
  switch (c.kind) {
    case 'cancelled':
      return `cancelled by ${c.by}`;
    case 'timed-out':
      return `timed out after ${c.minutes} minutes`;
    case 'stopping':
      return 'pillarsd is stopping';
  }
}

const INTERRUPTED_WHILE_RUNNING = 'pillarsd stopped while this run was running';

/**
 * The final status: a run its timeout aborted first failed; one that ended cancelled while pillarsd
 * was stopping was interrupted (even if someone cancelled it just before); otherwise the outcome
 * stands, a success with warnings too (its error is the warning). `aborts` lists every abort the
 * run received, in order.
 */
export function finalStatus(outcome: Outcome, aborts: readonly AbortCause[]): { status: RunStatus; error: string | null } {
  const timedOut = aborts[0]?.kind === 'timed-out';
  const stopping = aborts.some((c) => c.kind === 'stopping');
  const status: RunStatus = outcome.status === 'cancelled' && timedOut ? 'failed' : outcome.status === 'cancelled' && stopping ? 'interrupted' : outcome.status;
  const error = status === 'succeeded' ? null : status === 'interrupted' ? INTERRUPTED_WHILE_RUNNING : (outcome.error ?? null);
  return { status, error };
}
