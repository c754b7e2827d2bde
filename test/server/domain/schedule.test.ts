import { describe, expect, it } from 'vitest';
import { isOverdue, lastDue, needsCatchUp, nextRun, nextRuns } from '../../../server/src/domain/schedule';

const at = (s: string) => new Date(s);

describe('schedules', () => {
  it('computes next runs in a time zone', () => {
    // 02:00 in Paris is 01:00 UTC in winter
    expect(nextRun('0 2 * * *', 'Europe/Paris', at('2026-11-25T12:00:00Z'))?.toISOString()).toBe('2026-11-26T01:00:00.000Z');
    expect(nextRun('0 2 * * *', 'UTC', at('2026-11-25T12:00:00Z'))?.toISOString()).toBe('2026-11-26T02:00:00.000Z');
    expect(nextRuns('30 3 * * *', 'UTC', at('2026-11-25T12:00:00Z'), 2).map((d) => d.toISOString())).toEqual(['2026-11-26T03:30:00.000Z', '2026-11-27T03:30:00.000Z']);
  });

  it('finds the last due time, including one due exactly now', () => {
    expect(lastDue('0 2 * * *', 'UTC', at('2026-11-25T12:00:00Z'))?.toISOString()).toBe('2026-11-25T02:00:00.000Z');
    expect(lastDue('0 2 * * *', 'UTC', at('2026-11-25T02:00:00Z'))?.toISOString()).toBe('2026-11-25T02:00:00.000Z');
    expect(lastDue('0 5 1 * *', 'UTC', at('2026-11-25T12:00:00Z'))?.toISOString()).toBe('2026-11-01T05:00:00.000Z');
  });

  it('calls a job overdue when its last due time passed without a success', () => {
    const f = { schedule: '0 2 * * *', timezone: 'UTC', enabled: true, active: false, graceMinutes: 60, since: at('2026-01-01T00:00:00Z'), now: at('2026-11-25T12:00:00Z') };
    expect(isOverdue({ ...f, lastSuccessAt: at('2026-11-24T02:10:00Z') })).toBe(true);
    expect(isOverdue({ ...f, lastSuccessAt: at('2026-11-25T02:10:00Z') })).toBe(false);
    expect(isOverdue({ ...f, lastSuccessAt: null, active: true })).toBe(false);
    expect(isOverdue({ ...f, lastSuccessAt: null, now: at('2026-11-25T02:30:00Z') })).toBe(false); // within grace
    expect(isOverdue({ ...f, lastSuccessAt: null, since: at('2026-11-25T03:00:00Z') })).toBe(false); // not ours yet
    expect(isOverdue({ ...f, lastSuccessAt: null, schedule: null })).toBe(false);
  });

  it('catches up once for a run missed while down, never twice and never for the time before install', () => {
    const f = { schedule: '0 2 * * *', timezone: 'UTC', enabled: true, catchUp: true, since: at('2026-11-01T00:00:00Z'), now: at('2026-11-25T12:00:00Z') };
    expect(needsCatchUp({ ...f, lastQueuedAt: at('2026-11-22T02:00:00Z') })?.toISOString()).toBe('2026-11-25T02:00:00.000Z');
    expect(needsCatchUp({ ...f, lastQueuedAt: at('2026-11-25T02:00:01Z') })).toBeNull();
    expect(needsCatchUp({ ...f, lastQueuedAt: null, since: at('2026-11-25T11:00:00Z') })).toBeNull();
    expect(needsCatchUp({ ...f, lastQueuedAt: null, catchUp: false })).toBeNull();
  });
});
