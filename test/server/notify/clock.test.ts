// The notifier on a manual clock, over the real engine, status and store: a job overdue from its
// schedule or from an explicit maxAge is told once and "on time again" after its next success;
// a real blocked run gets its reminders on the back-off (1 h, 6 h, 24 h) and no more.
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../../../server/src/jobs/runtime';
import { Notifier } from '../../../server/src/notify/service';
import { maxAgeContributor } from '../../../server/src/notify/max-age';
import { NotifyStore } from '../../../server/src/store/notify';
import { nodeNotifyTransport } from '../../../server/src/infra/notify-transport';
import { realBackends } from '../../../server/src/secrets/sources';
import { nodeExec } from '../../../server/src/infra/exec';
import { newRunId } from '../../../server/src/store/runs';
import type { Notice } from '../../../server/src/contract/api';
import { manualClock, type ManualClock } from '../../support/clock';
import { useCleanup } from '../../support/tmp';
import { notifySandbox } from './support';

const reg = useCleanup();
const H = 3_600_000;

function compose(mc: ManualClock, o: Parameters<typeof notifySandbox>[1] & { sentinels?: boolean }): { rt: Runtime; notifier: Notifier; store: NotifyStore; notices: () => Notice[] } {
  const sb = notifySandbox(reg, o);
  if (o.sentinels === false) {
    rmSync(`${sb.space}/.pillar`);
  }
  const loaded = sb.load();
  const rt = openRuntime(loaded, { clock: mc.clock });
  const notifier = new Notifier({
    config: loaded.config,
    store: new NotifyStore(rt.db),
    hub: rt.hub,
    status: rt.status,
    clock: mc.clock,
    secretBackends: realBackends({ env: {}, exec: nodeExec }),
    transport: nodeNotifyTransport,
    hostname: 'motoko-test',
    log: () => undefined,
  });
  rt.status.contributors.push(maxAgeContributor(() => notifier.settings()));
  reg.add(async () => {
    await notifier.stop();
    await rt.engine.stop();
    rt.close();
  });
  const store = new NotifyStore(rt.db);
  // the webhook is never reached here: what was queued for it is what would be said
  return { rt, notifier, store, notices: () => store.rows('hook').map((r) => JSON.parse(r.payload) as Notice) };
}

const CHANNEL = `  groupSeconds: 0
  channels:
    hook: { type: webhook, url: "http://127.0.0.1:9/hook" }
`;

describe('overdue', () => {
  it('from the schedule: told once after the due time and its grace, "on time again" after a success', async () => {
    const mc = manualClock('2026-11-24T12:00:00Z');
    const { rt, notifier, notices } = compose(mc, {
      notifications: () => CHANNEL,
      jobs: `  nightly:
    type: restic-check
    repository: space:/backups/restic/flux
    password: restic
    schedule: "0 2 * * *"
    timezone: UTC
`,
    });
    // the scheduler has been in charge since yesterday noon
    rt.state.set('scheduler.since', '2026-11-24T12:00:00.000Z');
    await notifier.poll();
    mc.advanceTo('2026-11-25T02:30:00Z');
    await notifier.poll();
    expect(notices()).toEqual([]); // within the hour of grace
    mc.advanceTo('2026-11-25T03:05:00Z');
    await notifier.poll();
    mc.advanceTo('2026-11-25T05:00:00Z');
    await notifier.poll();
    expect(notices().map((n) => [n.phase, n.kind, n.title])).toEqual([['opened', 'overdue', 'nightly is overdue']]);
    expect(notices()[0]!.text).toContain('it has never succeeded');
    // a run succeeds (recorded as the engine records it): the next poll ends the incident
    const id = newRunId(mc.clock.now());
    rt.runs.create({ id, jobId: 'nightly', trigger: 'manual', queuedAt: mc.clock.now().toISOString(), resources: [], ownerPid: null, ownerStart: null });
    rt.runs.update(id, { status: 'succeeded', startedAt: mc.clock.now().toISOString(), finishedAt: mc.clock.now().toISOString() });
    mc.advance(60_000);
    await notifier.poll();
    expect(notices().map((n) => [n.phase, n.title])).toEqual([
      ['opened', 'nightly is overdue'],
      ['resolved', 'nightly is on time again'],
    ]);
  });

  it('from an explicit maxAge, for a job without a schedule', async () => {
    const mc = manualClock('2026-11-25T00:00:00Z');
    const { rt, notifier, notices } = compose(mc, {
      notifications: () => `${CHANNEL}  jobs:
    nightly: { maxAge: 36h }
`,
      jobs: `  nightly:
    type: restic-check
    repository: space:/backups/restic/flux
    password: restic
`,
    });
    const id = newRunId(mc.clock.now());
    rt.runs.create({ id, jobId: 'nightly', trigger: 'manual', queuedAt: mc.clock.now().toISOString(), resources: [], ownerPid: null, ownerStart: null });
    rt.runs.update(id, { status: 'succeeded', startedAt: mc.clock.now().toISOString(), finishedAt: mc.clock.now().toISOString() });
    mc.advance(35 * H);
    await notifier.poll();
    expect(notices()).toEqual([]);
    expect((await rt.status.status()).jobs[0]!.overdue).toBe(false);
    mc.advance(2 * H);
    await notifier.poll();
    expect(notices().map((n) => n.title)).toEqual(['nightly is overdue']);
    // the pane and the tray see the same flag, with the reason
    const st = await rt.status.status();
    expect(st.jobs[0]!.overdue).toBe(true);
    expect(st.warnings.join('\n')).toContain('no success for more than 36h');
  });
});

describe('reminders while a block waits', () => {
  it('a real blocked run: one notice, then reminders after 1 h, 6 h and 24 h', async () => {
    const mc = manualClock('2026-11-25T03:30:00Z');
    const { rt, notifier, notices } = compose(mc, { notifications: () => CHANNEL, sentinels: false });
    const run = rt.engine.runNow('nightly', 'test');
    const done = await rt.engine.waitFor(run.id);
    expect(done.status).toBe('blocked');
    notifier.drain();
    expect(notices().map((n) => [n.phase, n.kind])).toEqual([['opened', 'blocked']]);
    expect(notices()[0]!.text).toMatch(/\.pillar|sentinel/);
    const at: number[] = [];
    for (let m = 10; m <= 30 * 60; m += 10) {
      mc.advance(10 * 60_000);
      const before = notices().length;
      await notifier.poll();
      if (notices().length > before) at.push(m / 60);
    }
    expect(at).toEqual([1, 6, 24]);
    expect(
      notices()
        .slice(1)
        .every((n) => n.phase === 'reminder' && n.runId === run.id),
    ).toBe(true);
  });
});
