// status.changed goes out when what an alert is made of changes (a sentinel written back, a
// warning gone, a recovery's marker), and not on every check: a manual clock drives the checks.
import { describe, expect, test } from 'vitest';
import type { PillarStatus, StatusResponse } from '../../../server/src/contract/api';
import type { Clock } from '../../../server/src/ports/clock';
import { watchStatusChanges } from '../../../server/src/watch/changes';

const pillar = (sentinel: boolean): PillarStatus => ({
  id: 'time',
  path: '/time',
  online: sentinel,
  sentinel,
  mounted: true,
  totalBytes: 100,
  freeBytes: 50,
  usedBytes: 50,
  warnings: sentinel ? [] : ['pillar time: /time/.pillar is missing'],
});
const status = (sentinel: boolean, freeBytes = 50): StatusResponse => ({
  version: 't',
  time: new Date().toISOString(),
  pillars: [{ ...pillar(sentinel), freeBytes }],
  jobs: [],
  timeMachine: [],
  hotSets: [],
  b2: null,
  samba: { drift: null, reloadFailed: null },
  warnings: sentinel ? [] : ['pillar time: /time/.pillar is missing'],
});

function timers() {
  const due: Array<() => void> = [];
  const clock: Clock = {
    now: () => new Date(),
    setTimeout(fn) {
      due.push(fn);
      return { cancel: () => due.splice(due.indexOf(fn), 1) };
    },
  };
  /** Fires the pending check and lets its status promise settle. */
  const tick = async () => {
    due.shift()?.();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { clock, tick, pending: () => due.length };
}

describe('watchStatusChanges', () => {
  test('publishes when a pillar comes back and its warning goes, and only then', async () => {
    const t = timers();
    let current = status(false);
    const published: string[] = [];
    const stop = watchStatusChanges({ status: async () => current, publish: (r) => published.push(r), clock: t.clock, intervalMs: 1000 });
    await t.tick(); // the first check has run (the baseline); the second is armed
    expect(published).toEqual([]);
    await t.tick();
    expect(published).toEqual([]);
    current = status(true, 40); // the sentinel is back (and free space moved, which no alert is made of)
    await t.tick();
    expect(published).toEqual(['alerts changed']);
    current = status(true, 30);
    await t.tick();
    expect(published).toEqual(['alerts changed']);
    stop();
    expect(t.pending()).toBe(0);
  });

  test('publishes when a recovery marker appears or goes (no warning string tells it)', async () => {
    const t = timers();
    let current = status(true);
    const published: string[] = [];
    const stop = watchStatusChanges({ status: async () => current, publish: (r) => published.push(r), clock: t.clock, intervalMs: 1000 });
    await t.tick();
    current = { ...current, pillars: [{ ...current.pillars[0]!, recovery: { remote: 'cloud', startedAt: '2026-12-05T01:00:00.000Z' } }] };
    await t.tick();
    expect(published).toEqual(['alerts changed']);
    current = status(true);
    await t.tick();
    expect(published).toEqual(['alerts changed', 'alerts changed']);
    stop();
  });

  test('a failing status is logged and the checks go on', async () => {
    const t = timers();
    const logged: string[] = [];
    let fail = true;
    const published: string[] = [];
    watchStatusChanges({
      status: async () => {
        if (fail) throw new Error('statfs hung');
        return status(true);
      },
      publish: (r) => published.push(r),
      clock: t.clock,
      intervalMs: 1000,
      log: (m) => logged.push(m),
    });
    await t.tick();
    expect(logged).toEqual(['status check failed: statfs hung']);
    fail = false;
    await t.tick();
    expect(t.pending()).toBe(1);
  });
});
