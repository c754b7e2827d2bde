// What is worth a message, on the pure functions: one notice per incident, a change of trouble,
// reminders on the back-off while a block waits, one "back to normal", and a condition that
// cannot be read never ending an incident.
import { describe, expect, it } from 'vitest';
import type { BlockInfo, JobInfo, Run, RunStatus, StatusResponse } from '../../../server/src/contract/api';
import { onCondition, onRun, onTick, type Incident, type Transition } from '../../../server/src/notify/incidents';
import { capacityCondition, conditionsFromStatus, daysUntilFull, overdueCondition, timeMachineCondition } from '../../../server/src/notify/conditions';
import { channelsFor } from '../../../server/src/notify/messages';
import { notificationsSchema } from '../../../server/src/config/notify-schema';

const H = 3_600_000;
const T0 = Date.parse('2026-11-25T03:30:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function run(id: string, status: RunStatus, o: Partial<Run> = {}): Run {
  return {
    id,
    jobId: 'space-offsite',
    status,
    trigger: 'schedule',
    attempt: 1,
    queuedAt: iso(T0),
    startedAt: iso(T0),
    finishedAt: status === 'blocked' ? null : iso(T0),
    exitCode: status === 'failed' ? 1 : 0,
    error: status === 'failed' ? 'rclone exited 7' : null,
    progress: null,
    summary: null,
    block: null,
    approvedBy: null,
    logTail: '',
    ...o,
  };
}

const BLOCK: BlockInfo = { guard: 'delete-threshold', message: 'would delete 9 files (1.8%)', needsApproval: true, deletes: { count: 9, bytes: 4096, percent: 1.8, sample: ['a'] } };

/** Applies transitions in order, collecting notices. */
function replay(steps: Array<(inc: Incident | undefined) => Transition>): { inc: Incident | undefined; notices: NonNullable<Transition['notice']>[] } {
  let inc: Incident | undefined;
  const notices: NonNullable<Transition['notice']>[] = [];
  for (const step of steps) {
    const t = step(inc);
    inc = t.next ?? undefined;
    if (t.notice) notices.push(t.notice);
  }
  return { inc, notices };
}

describe("a job's runs", () => {
  it('100 failures are one notice; the success after them is one "back to normal"', () => {
    const steps = Array.from({ length: 100 }, (_, i) => (inc: Incident | undefined) => onRun(inc, run(`r${i}`, 'failed'), iso(T0 + i * 500)));
    const { inc, notices } = replay([...steps, (i) => onRun(i, run('ok', 'succeeded'), iso(T0 + 60_000))]);
    expect(inc).toBeUndefined();
    expect(notices.map((n) => [n.phase, n.kind, n.title])).toEqual([
      ['opened', 'failed', 'space-offsite failed'],
      ['resolved', 'failed', 'space-offsite is back to normal'],
    ]);
    expect(notices[1]!.text).toContain('after 100 failures');
    expect(new Set(notices.map((n) => n.id)).size).toBe(2);
  });

  it('a block reminds after 1 h, 6 h and 24 h, then daily, and stops once approved', () => {
    const reminders = [1 * H, 6 * H, 24 * H];
    let { inc, notices } = replay([(i) => onRun(i, run('b1', 'blocked', { block: BLOCK }), iso(T0))]);
    expect(notices).toMatchObject([{ phase: 'opened', kind: 'blocked', title: 'space-offsite is blocked and waits for approval', deletes: { count: 9, bytes: 4096, percent: 1.8 } }]);
    const sent: number[] = [];
    // a poll every 10 minutes for three days
    for (let t = T0; t <= T0 + 72 * H; t += H / 6) {
      const r = onTick(inc!, new Date(t), reminders);
      inc = r.next!;
      if (r.notice) sent.push((t - T0) / H);
    }
    expect(sent).toEqual([1, 6, 24, 48, 72]);
    // the nightly run is blocked again while the first block still waits: counted, not told
    ({ inc, notices } = replay([() => onRun(inc, run('b2', 'blocked', { block: BLOCK }), iso(T0 + 73 * H))]));
    expect(notices).toEqual([]);
    expect(inc).toMatchObject({ count: 2, runId: 'b2', waitingSince: iso(T0) });
    // approved: it runs again, nobody is reminded any more
    ({ inc } = replay([() => onRun(inc, run('b2', 'queued', { trigger: 'approval' }), iso(T0 + 74 * H))]));
    expect(inc!.waitingSince).toBeNull();
    expect(onTick(inc!, new Date(T0 + 200 * H), reminders).notice).toBeNull();
    // and it succeeded: one "back to normal", naming who approved
    const end = onRun(inc, run('b2', 'succeeded', { approvedBy: 'mike (t1)' }), iso(T0 + 75 * H));
    expect(end.next).toBeNull();
    expect(end.notice).toMatchObject({ phase: 'resolved', title: 'space-offsite is back to normal' });
    expect(end.notice!.text).toContain('approved by mike (t1)');
  });

  it('a different trouble is told as a change; an approved run blocked again is news again', () => {
    const { notices } = replay([
      (i) => onRun(i, run('r1', 'failed'), iso(T0)),
      (i) => onRun(i, run('r2', 'blocked', { block: BLOCK }), iso(T0 + H)),
      (i) => onRun(i, run('r2', 'queued', { trigger: 'approval' }), iso(T0 + 2 * H)),
      (i) => onRun(i, run('r2', 'blocked', { block: BLOCK }), iso(T0 + 3 * H)),
      (i) => onRun(i, run('r3', 'succeeded-with-warnings', { error: '2 files could not be read' }), iso(T0 + 4 * H)),
      (i) => onRun(i, run('r4', 'succeeded'), iso(T0 + 5 * H)),
    ]);
    expect(notices.map((n) => `${n.phase}:${n.kind}`)).toEqual(['opened:failed', 'changed:blocked', 'changed:blocked', 'changed:warnings', 'resolved:warnings']);
    expect(notices[1]!.text).toContain('(before: space-offsite failed)');
  });

  it('a blocked run rejected ends the incident; one superseded by a newer run does not', () => {
    const blocked = onRun(undefined, run('b1', 'blocked', { block: BLOCK }), iso(T0)).next!;
    expect(onRun(blocked, run('b1', 'cancelled', { error: 'superseded by run b2' }), iso(T0 + H))).toEqual({ next: blocked, notice: null });
    const rejected = onRun(blocked, run('b1', 'cancelled', { error: 'rejected by mike (t1)' }), iso(T0 + H));
    expect(rejected.next).toBeNull();
    expect(rejected.notice).toMatchObject({ phase: 'resolved', title: 'space-offsite is no longer blocked' });
    // a success with no incident open, or a cancel of an unrelated run, tells nobody
    expect(onRun(undefined, run('x', 'succeeded'), iso(T0))).toEqual({ next: null, notice: null });
    expect(onRun(undefined, run('x', 'cancelled'), iso(T0))).toEqual({ next: null, notice: null });
  });

  it('an interrupted run (pillarsd stopped or killed) is worth a message', () => {
    const t = onRun(undefined, run('i1', 'interrupted', { error: 'pillarsd stopped while this run was running' }), iso(T0));
    expect(t.notice).toMatchObject({ kind: 'interrupted', severity: 'warning', text: 'pillarsd stopped while this run was running' });
  });
});

describe('conditions from the watchers', () => {
  const settings = { usedPercent: 90, fullWithinDays: 14, timeMachineDays: null, jobsInTrouble: new Set<string>() };
  const pillar = (used: number | null, total: number | null = 100): StatusResponse['pillars'][number] => ({
    id: 'space',
    path: '/space',
    online: true,
    sentinel: true,
    mounted: true,
    totalBytes: total,
    usedBytes: used,
    freeBytes: total !== null && used !== null ? total - used : null,
    warnings: used === null ? ['space: cannot read capacity of /space: EIO'] : [],
  });

  it('a pillar over its threshold or full within N days; unreadable never reads as "fine"', () => {
    expect(capacityCondition(pillar(93), null, settings)).toMatchObject({ state: 'active', title: 'space is 93% full', severity: 'warning' });
    expect(capacityCondition(pillar(96), null, settings)).toMatchObject({ state: 'active', severity: 'critical' });
    expect(capacityCondition(pillar(50), 9, settings)).toMatchObject({ state: 'active', title: 'space will be full in about 9 days' });
    expect(capacityCondition(pillar(50), 30, settings)).toMatchObject({ state: 'clear' });
    // just under the line: not clear yet (no message at every poll while it hovers)
    expect(capacityCondition(pillar(89), null, settings)).toMatchObject({ state: 'unknown' });
    const open = onCondition(undefined, capacityCondition(pillar(93), null, settings), iso(T0)).next!;
    expect(onCondition(open, capacityCondition(pillar(null, null), null, settings), iso(T0 + H))).toEqual({ next: open, notice: null });
    expect(onCondition(open, capacityCondition(pillar(89), null, settings), iso(T0 + H)).notice).toBeNull();
    const worse = onCondition(open, capacityCondition(pillar(97), null, settings), iso(T0 + H));
    expect(worse.notice).toMatchObject({ phase: 'changed', severity: 'critical' });
    expect(onCondition(worse.next!, capacityCondition(pillar(70), null, settings), iso(T0 + 2 * H)).notice).toMatchObject({ phase: 'resolved', title: 'space has room again' });
  });

  it("a Mac's Time Machine backup older than N days", () => {
    const bundle = (daysAgo: number | null) => ({
      name: 'count-zero.sparsebundle',
      mac: 'count-zero',
      staleAfterDays: 7,
      warning: null,
      folder: 'mike',
      sizeBytes: 1,
      capBytes: null,
      capShare: null,
      stale: daysAgo === null || daysAgo > 7,
      lastBackupAt: daysAgo === null ? null : iso(T0 - daysAgo * 24 * H),
    });
    const now = new Date(T0);
    expect(timeMachineCondition(bundle(9), now, settings)).toMatchObject({ state: 'active', key: 'time-machine:mike/count-zero.sparsebundle', title: "mike/count-zero's last Time Machine backup is 9 days old" });
    expect(timeMachineCondition(bundle(2), now, settings)).toMatchObject({ state: 'clear' });
    expect(timeMachineCondition(bundle(4), now, { ...settings, timeMachineDays: 3 })).toMatchObject({ state: 'active' });
    expect(timeMachineCondition(bundle(null), now, settings)).toMatchObject({ state: 'unknown' });
  });

  it('an overdue job, unless its failure or block was already told', () => {
    const job = { id: 'flux-backup', overdue: true, lastSuccessAt: iso(T0 - 30 * H) } as JobInfo;
    expect(overdueCondition(job, settings)).toMatchObject({ state: 'active', key: 'overdue:flux-backup', title: 'flux-backup is overdue' });
    expect(overdueCondition(job, { ...settings, jobsInTrouble: new Set(['flux-backup']) })).toMatchObject({ state: 'unknown' });
    expect(overdueCondition({ ...job, overdue: false }, settings)).toMatchObject({ state: 'clear' });
    const st = {
      time: iso(T0),
      jobs: [job],
      pillars: [],
      timeMachine: [],
      hotSets: [{ id: 'notes', label: 'notes', path: '/flux/hot/notes', state: 'idle', completion: 100, errors: 0, conflicts: ['a.sync-conflict-1.md'] }],
    } as unknown as StatusResponse;
    expect(conditionsFromStatus(st, new Map(), settings).map((c) => `${c.key}=${c.state}`)).toEqual(['overdue:flux-backup=active', 'conflicts:notes=active']);
  });
});

describe('routing', () => {
  const cfg = notificationsSchema.parse({
    channels: {
      phone: { type: 'ntfy', url: 'https://ntfy.example/motoko', events: ['blocked', 'failed'] },
      mail: { type: 'email', host: 'smtp.example', from: 'p@example', to: ['o@example'] },
      off: { type: 'webhook', url: 'https://hooks.example/x', enabled: false },
    },
    jobs: { 'space-offsite': { send: { mail: ['blocked'], phone: [] } } },
  });
  const n = (kind: 'failed' | 'blocked' | 'capacity', jobId: string | null) => ({ ...onRun(undefined, run('r', 'failed'), iso(T0)).notice!, kind, jobId });

  it("each channel's events, a job's own choices over them, never a disabled channel", () => {
    expect(channelsFor(n('failed', 'flux-backup'), null, cfg)).toEqual(['phone', 'mail']);
    expect(channelsFor(n('capacity', null), null, cfg)).toEqual(['mail']);
    expect(channelsFor(n('blocked', 'space-offsite'), null, cfg)).toEqual(['mail']);
    expect(channelsFor(n('failed', 'space-offsite'), null, cfg)).toEqual([]);
  });

  it('"back to normal" goes where the incident was told, and nowhere else', () => {
    const inc = { sentTo: ['phone', 'off'] } as Incident;
    expect(channelsFor({ ...n('failed', 'flux-backup'), phase: 'resolved' }, inc, cfg)).toEqual(['phone']);
  });
});

describe('the capacity trend', () => {
  const sample = (hoursAgo: number, used: number) => ({ pillar: 'space', at: iso(T0 - hoursAgo * H), totalBytes: 1000, freeBytes: 1000 - used, usedBytes: used });
  it('projects only from samples two days apart or more', () => {
    // a burst of writes between two starts seconds apart is no trend
    expect(daysUntilFull([sample(0.002, 100), sample(0.001, 110), sample(0, 120)])).toBeNull();
    // 10 bytes a day with 700 free: 70 days
    expect(daysUntilFull([sample(72, 270), sample(48, 280), sample(24, 290), sample(0, 300)])).toBe(70);
    expect(daysUntilFull([sample(72, 300), sample(0, 300)])).toBeNull();
  });
});
