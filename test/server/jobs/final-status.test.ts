// The final status of a run from what happened to it, on a table: the pure decision the
// execution takes after its last attempt.
import { describe, expect, it } from 'vitest';
import { abortMessage, finalStatus, type AbortCause } from '../../../server/src/jobs/final-status';
import type { Outcome } from '../../../server/src/jobs/job-type';

const cancel: AbortCause = { kind: 'cancelled', by: 'admin (t1)' };
const timeout: AbortCause = { kind: 'timed-out', minutes: 5 };
const stopping: AbortCause = { kind: 'stopping' };
const ended = (status: Outcome['status'], error?: string): Outcome => ({ status, ...(error ? { error } : {}) });

const table: Array<[string, Outcome, AbortCause[], { status: string; error: string | null }]> = [
  ['a success stands, with no error', ended('succeeded'), [], { status: 'succeeded', error: null }],
  ['a success is not spoilt by a late abort', ended('succeeded'), [cancel], { status: 'succeeded', error: null }],
  ['a success with warnings stands, its error saying what to look at', ended('succeeded-with-warnings', '1 file not read'), [], { status: 'succeeded-with-warnings', error: '1 file not read' }],
  ['a success with warnings is not spoilt by a late shutdown', ended('succeeded-with-warnings', '1 file not read'), [stopping], { status: 'succeeded-with-warnings', error: '1 file not read' }],
  ['a failure keeps its error', ended('failed', 'restic backup exited 1'), [], { status: 'failed', error: 'restic backup exited 1' }],
  ['a failure without words has no error text', ended('failed'), [], { status: 'failed', error: null }],
  ['a blocked run stays blocked with the guard message', ended('blocked', '42 deletions'), [], { status: 'blocked', error: '42 deletions' }],
  ['a cancel by someone is cancelled, saying by whom', ended('cancelled', abortMessage(cancel)), [cancel], { status: 'cancelled', error: 'cancelled by admin (t1)' }],
  ['a timeout is a failure, saying so', ended('cancelled', abortMessage(timeout)), [timeout], { status: 'failed', error: 'timed out after 5 minutes' }],
  ['a timeout stays a failure when pillarsd stops after it', ended('cancelled', abortMessage(timeout)), [timeout, stopping], { status: 'failed', error: 'timed out after 5 minutes' }],
  ['a cancel that came first is not a timeout', ended('cancelled', abortMessage(cancel)), [cancel, timeout], { status: 'cancelled', error: 'cancelled by admin (t1)' }],
  ['a shutdown interrupts', ended('cancelled', abortMessage(stopping)), [stopping], { status: 'interrupted', error: 'pillarsd stopped while this run was running' }],
  ['a cancel still ending when pillarsd stops is interrupted', ended('cancelled', abortMessage(cancel)), [cancel, stopping], { status: 'interrupted', error: 'pillarsd stopped while this run was running' }],
  ['a failure during a shutdown stays a failure', ended('failed', 'rclone exited 1'), [stopping], { status: 'failed', error: 'rclone exited 1' }],
];

describe('finalStatus', () => {
  it.each(table)('%s', (_name, outcome, aborts, expected) => {
    expect(finalStatus(outcome, aborts)).toEqual(expected);
  });

  it('words each abort the way the run log and API show it', () => {
    expect([cancel, timeout, stopping].map(abortMessage)).toEqual(['cancelled by admin (t1)', 'timed out after 5 minutes', 'pillarsd is stopping']);
  });
});
