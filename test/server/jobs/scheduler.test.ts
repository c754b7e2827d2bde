// The scheduler and the progress throttle on a manual clock: what gets queued when, catch-up once,
// and at most 4 progress events a second with the last one always delivered.
import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../../server/src/jobs/scheduler';
import type { Engine } from '../../../server/src/jobs/engine';
import { throttle } from '../../../server/src/jobs/throttle';
import { parseConfig } from '../../../server/src/config/load';
import { openDb } from '../../../server/src/store/db';
import { RunStore, StateStore, newRunId } from '../../../server/src/store/runs';
import { EventStore } from '../../../server/src/store/events';
import { manualClock } from '../../support/clock';

const config = parseConfig(
  `stateDir: /tmp/unused
pillars: { flux: { path: /flux }, space: { path: /space } }
secrets: { restic: "env:X" }
jobs:
  nightly: { type: restic-check, repository: "space:/r", password: restic, schedule: "0 2 * * *", timezone: Europe/Paris }
  weekly: { type: restic-check, repository: "space:/r2", password: restic, schedule: "0 4 * * 0", catchUp: false }
  manual-only: { type: restic-check, repository: "space:/r3", password: restic }
`,
  'x.yaml',
);

function setup(start: string) {
  const mc = manualClock(start);
  const db = openDb(':memory:');
  const runs = new RunStore(db);
  const state = new StateStore(db);
  const hub = new EventStore(db, mc.clock.now);
  const queued: Array<{ job: string; trigger: string; at: string }> = [];
  // the scheduler's view of the engine: config, enabled state, enqueue (recorded, as a real run row)
  const engine = {
    config,
    logsDir: '/nonexistent',
    getJob: (id: string) => ({ enabled: config.jobs[id]!.enabled }),
    enqueue: (job: string, trigger: string) => {
      const now = mc.clock.now();
      queued.push({ job, trigger, at: now.toISOString() });
      return runs.create({ id: newRunId(now), jobId: job, trigger: trigger as 'schedule', queuedAt: now.toISOString(), resources: [], ownerPid: null, ownerStart: null });
    },
  } as unknown as Engine;
  return { mc, runs, state, hub, engine, queued, scheduler: () => new Scheduler({ engine, runs, state, hub, clock: mc.clock }) };
}

describe('scheduler', () => {
  it('queues each job at its cron time in its time zone', () => {
    const s = setup('2026-11-25T12:00:00Z');
    const sch = s.scheduler();
    expect(sch.start()).toEqual([]);
    s.mc.advanceTo('2026-11-26T00:59:00Z');
    expect(s.queued).toEqual([]);
    s.mc.advanceTo('2026-11-26T01:00:30Z'); // 02:00 in Paris
    expect(s.queued).toEqual([{ job: 'nightly', trigger: 'schedule', at: '2026-11-26T01:00:00.000Z' }]);
    s.mc.advanceTo('2026-11-29T05:00:00Z');
    expect(s.queued.map((q) => `${q.job}@${q.at}`)).toEqual([
      'nightly@2026-11-26T01:00:00.000Z',
      'nightly@2026-11-27T01:00:00.000Z',
      'nightly@2026-11-28T01:00:00.000Z',
      'nightly@2026-11-29T01:00:00.000Z',
      'weekly@2026-11-29T04:00:00.000Z',
    ]);
    expect(sch.nextRunAt('nightly')?.toISOString()).toBe('2026-11-30T01:00:00.000Z');
    expect(sch.nextRunAt('manual-only')).toBeNull();
    sch.stop();
  });

  it('catches up once for runs missed while down, and not for jobs that opted out', () => {
    const s = setup('2026-11-20T12:00:00Z');
    s.scheduler().start(); // first start: records since, nothing to catch up
    expect(s.queued).toEqual([]);
    // the server is down for nine days, missing nine nightly and one weekly run
    const later = setup('2026-11-29T12:00:00Z');
    later.state.set('scheduler.since', '2026-11-20T12:00:00.000Z');
    const caught = later.scheduler().start();
    expect(caught).toEqual(['nightly']);
    expect(later.queued).toEqual([{ job: 'nightly', trigger: 'catch-up', at: '2026-11-29T12:00:00.000Z' }]);
    // a second start right after does not queue it again
    const again = later.scheduler();
    expect(again.start()).toEqual([]);
  });
});

describe('schedule changes while running', () => {
  it('a new schedule counts from the change: a time it passed a moment ago starts nothing, and the next one comes', () => {
    const s = setup('2026-11-25T12:00:00Z');
    // the engine's configuration is replaced by the change, as Engine.updateJob does
    const e = s.engine as unknown as { config: typeof config };
    const sch = s.scheduler();
    sch.start();
    s.mc.advanceTo('2026-11-25T12:40:00Z');
    // at 12:40 the weekly job is set to 12:30 daily: 12:30 passed since the last tick (12:00)
    sch.reschedule(() => {
      e.config = { ...e.config, jobs: { ...e.config.jobs, weekly: { ...e.config.jobs.weekly!, schedule: '30 12 * * *' } } };
    });
    s.mc.advanceTo('2026-11-25T13:00:00Z');
    expect(s.queued).toEqual([]);
    expect(sch.nextRunAt('weekly')?.toISOString()).toBe('2026-11-26T12:30:00.000Z');
    s.mc.advanceTo('2026-11-26T12:31:00Z');
    expect(s.queued.map((q) => `${q.job}@${q.at}`)).toEqual(['nightly@2026-11-26T01:00:00.000Z', 'weekly@2026-11-26T12:30:00.000Z']);
    sch.stop();
  });
});

describe('progress throttle', () => {
  it('emits at most 4 a second and always the last value', () => {
    const mc = manualClock('2026-11-25T00:00:00Z');
    const out: number[] = [];
    const t = throttle<number>(mc.clock, 250, (v) => out.push(v));
    for (let i = 1; i <= 100; i++) {
      t.push(i);
      mc.advance(10); // 100 values a second, like a chatty restic
    }
    mc.advance(1000);
    expect(out.length).toBeLessThanOrEqual(6);
    expect(out.length).toBeGreaterThanOrEqual(4);
    expect(out[0]).toBe(1);
    expect(out.at(-1)).toBe(100);
    for (let i = 1; i < out.length; i++) expect(out[i]!).toBeGreaterThan(out[i - 1]!);
  });
});
