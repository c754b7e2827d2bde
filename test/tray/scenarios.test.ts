// The tray model and the notification policy over the scenarios of issue 7. Each scenario is a
// sequence of moments; at each one the icon, the tooltip, menu lines and the notifications told are
// asserted. The policy state is carried from step to step (and through a restart where noted).
import { describe, expect, it } from 'vitest';
import { buildTrayModel } from '../../src/main/core/tray/model';
import { decide, initialState, toMemory } from '../../src/main/core/notify/policy';
import type { NotifySeverity, PolicyState } from '../../src/main/core/notify/policy';
import type { MenuItemSpec, TrayAction, TrayIcon, TrayInput } from '../../src/main/core/tray/types';
import type { Run } from '../../server/src/contract/api';
import { NOW, healthyJobs, hoursAgo, input, job, pillars, run, status } from './fixtures';

/** Every label in the menu, submenus as "Parent > Child". */
export function labels(items: MenuItemSpec[], prefix = ''): string[] {
  return items.flatMap((i) => {
    if (i.type === 'separator') return [];
    if (i.type === 'submenu') return [prefix + i.label, ...labels(i.items, `${prefix}${i.label} > `)];
    return [prefix + i.label];
  });
}

export function actionOf(items: MenuItemSpec[], label: string): TrayAction | undefined {
  for (const i of items) {
    if ((i.type === 'action' || i.type === 'checkbox') && i.label === label) return i.action;
    if (i.type === 'submenu') {
      const a = actionOf(i.items, label);
      if (a) return a;
    }
  }
  return undefined;
}

interface Step {
  at: number; // ms after NOW
  input?: Partial<TrayInput>;
  asleep?: boolean;
  runs?: Run[];
  restart?: boolean; // the app restarts before this step: only the persisted memory survives
  icon: TrayIcon;
  tooltip: string;
  menuHas?: string[];
  menuLacks?: string[];
  told: Array<[NotifySeverity, string]>;
}

const failedFlux = run('flux-backup', 'failed', { finishedAt: hoursAgo(1) });
const failedStatus = status([job('flux-backup', 'restic-backup', failedFlux), ...healthyJobs().slice(1)]);
const okAgain = run('flux-backup', 'succeeded', { finishedAt: new Date(NOW + 3600_000).toISOString() });
const blockedSync = run('space-offsite', 'blocked', {
  finishedAt: null,
  block: { guard: 'delete-threshold', message: 'would delete 1234 files (3.2 %), above the 1 % guard', needsApproval: true, deletes: { count: 1234, bytes: 5e9, percent: 3.2, sample: ['a', 'b'] } },
});
const sentinelBlocked = run('flux-backup', 'blocked', { block: { guard: 'pillar-sentinel', message: '/flux has no .pillar sentinel: not mounted?', needsApproval: false } });
const stale = { space: { state: 'stale' as const, reason: 'no answer from motoko within 3 s' } };
const awayPillars = pillars({ flux: { state: 'away' }, space: { state: 'away' }, time: { state: 'away' } });

const SCENARIOS: Array<{ name: string; steps: Step[] }> = [
  {
    name: 'all fine',
    steps: [
      {
        at: 0,
        icon: 'ok',
        tooltip: 'Pillars: all good',
        menuHas: [
          'Flux: mounted · 1.5 TiB free',
          'Flux: mounted · 1.5 TiB free > Open',
          'Flux: mounted · 1.5 TiB free > Remount',
          'Space: mounted · 4.0 TiB free',
          'Time: mounted · 2.0 TiB free',
          'Remount all',
          'Flux snapshot: 3 h ago, succeeded',
          'Space → B2: 2 h ago, succeeded',
          'Time Machine: this Mac 2 h ago',
          'Open admin pane',
          'Preferences…',
          'Start at login',
          'Quit Pillars',
        ],
        menuLacks: ['Approvals waiting: 1'],
        told: [],
      },
    ],
  },
  {
    name: 'one pillar stale (told once, after the debounce, then its recovery)',
    steps: [
      { at: 0, icon: 'ok', tooltip: 'Pillars: all good', told: [] },
      {
        at: 1_000,
        input: { pillars: pillars(stale) },
        icon: 'warning',
        tooltip: 'Pillars: Space not responding',
        menuHas: ['Space: not responding', 'Space: not responding > no answer from motoko within 3 s'],
        told: [],
      },
      { at: 30_000, input: { pillars: pillars(stale) }, icon: 'warning', tooltip: 'Pillars: Space not responding', told: [] },
      { at: 61_000, input: { pillars: pillars(stale) }, icon: 'warning', tooltip: 'Pillars: Space not responding', told: [['warning', 'Space lost']] },
      { at: 120_000, input: { pillars: pillars(stale) }, icon: 'warning', tooltip: 'Pillars: Space not responding', told: [] },
      { at: 130_000, icon: 'ok', tooltip: 'Pillars: all good', told: [['info', 'Space is back']] },
    ],
  },
  {
    name: 'a pillar that drops while the laptop sleeps is not told',
    steps: [
      { at: 0, icon: 'ok', tooltip: 'Pillars: all good', told: [] },
      { at: 1_000, asleep: true, input: { pillars: pillars(stale) }, icon: 'warning', tooltip: 'Pillars: Space not responding', told: [] },
      { at: 600_000, asleep: true, input: { pillars: pillars(stale) }, icon: 'warning', tooltip: 'Pillars: Space not responding', told: [] },
      // awake again: the debounce starts over, and the remount in time means nothing is told
      { at: 610_000, input: { pillars: pillars(stale) }, icon: 'warning', tooltip: 'Pillars: Space not responding', told: [] },
      { at: 640_000, icon: 'ok', tooltip: 'Pillars: all good', told: [] },
    ],
  },
  {
    name: 'backup failed (red icon, one notification per run, also across a restart, then recovery)',
    steps: [
      {
        at: 0,
        input: { server: { connection: 'connected', status: failedStatus, host: 'motoko' } },
        icon: 'error',
        tooltip: 'Pillars: Flux snapshot failed',
        menuHas: ['Flux snapshot: FAILED 1 h ago', 'Space → B2: 2 h ago, succeeded'],
        told: [['critical', 'Flux snapshot failed']],
      },
      { at: 5_000, input: { server: { connection: 'connected', status: failedStatus, host: 'motoko' } }, runs: [failedFlux], icon: 'error', tooltip: 'Pillars: Flux snapshot failed', told: [] },
      { at: 10_000, restart: true, input: { server: { connection: 'connected', status: failedStatus, host: 'motoko' } }, icon: 'error', tooltip: 'Pillars: Flux snapshot failed', told: [] },
      {
        at: 3_600_000,
        restart: true,
        runs: [okAgain],
        input: { server: { connection: 'connected', status: status([job('flux-backup', 'restic-backup', okAgain), ...healthyJobs().slice(1)]), host: 'motoko' } },
        icon: 'ok',
        tooltip: 'Pillars: all good',
        menuHas: ['Flux snapshot: just now, succeeded'],
        told: [['info', 'Flux snapshot succeeded again']],
      },
    ],
  },
  {
    name: 'a missed run (overdue schedule) turns the icon red',
    steps: [
      {
        at: 0,
        input: {
          server: {
            connection: 'connected',
            status: status([job('flux-backup', 'restic-backup', run('flux-backup', 'succeeded', { finishedAt: hoursAgo(50) }), { overdue: true, lastSuccessAt: hoursAgo(50) }), ...healthyJobs().slice(1)]),
            host: 'motoko',
          },
        },
        icon: 'error',
        tooltip: 'Pillars: Flux snapshot overdue',
        menuHas: ['Flux snapshot: OVERDUE, last ok 2 d ago'],
        told: [['warning', 'Flux snapshot is overdue']],
      },
    ],
  },
  {
    name: 'sync blocked awaiting approval',
    steps: [
      {
        at: 0,
        input: { server: { connection: 'connected', status: status([healthyJobs()[0]!, job('space-offsite', 'rclone-sync', blockedSync)]), host: 'motoko' } },
        icon: 'error',
        tooltip: 'Pillars: Space → B2 awaits approval',
        menuHas: ['Space → B2: waiting for approval', 'Approvals waiting: 1', 'Review Space → B2 would delete 1234 files (3.2 %)…'],
        told: [['warning', 'Space → B2 needs your approval']],
      },
    ],
  },
  {
    name: 'backup blocked by a safety guard',
    steps: [
      {
        at: 0,
        input: { server: { connection: 'connected', status: status([job('flux-backup', 'restic-backup', sentinelBlocked)]), host: 'motoko' } },
        icon: 'error',
        tooltip: 'Pillars: Flux snapshot blocked',
        menuHas: ['Flux snapshot: BLOCKED: /flux has no .pillar sentinel: not mounted?'],
        menuLacks: ['Approvals waiting: 1'],
        told: [['critical', 'Flux snapshot blocked by a safety guard']],
      },
    ],
  },
  {
    name: 'away from home (information, not an error)',
    steps: [
      { at: 0, icon: 'ok', tooltip: 'Pillars: all good', told: [] },
      {
        at: 1_000,
        input: { location: 'away', pillars: awayPillars, server: { connection: 'unreachable', status: status(healthyJobs()), host: 'motoko' } },
        icon: 'offline',
        tooltip: 'Pillars: away from home, pillars unmounted',
        menuHas: ['Flux: away from home', 'Remount all', 'Flux snapshot: 3 h ago, succeeded'],
        told: [],
      },
      {
        at: 3_600_000,
        input: { location: 'away', pillars: awayPillars, server: { connection: 'unreachable', status: status(healthyJobs()), host: 'motoko' } },
        icon: 'offline',
        tooltip: 'Pillars: away from home, pillars unmounted',
        told: [],
      },
      { at: 3_700_000, icon: 'ok', tooltip: 'Pillars: all good', told: [] },
    ],
  },
  {
    name: 'server down at home (debounced, then its recovery)',
    steps: [
      { at: 0, icon: 'ok', tooltip: 'Pillars: all good', told: [] },
      { at: 1_000, input: { server: { connection: 'unreachable', status: status(healthyJobs()), host: 'motoko' } }, icon: 'warning', tooltip: 'Pillars: motoko unreachable', told: [] },
      { at: 122_000, input: { server: { connection: 'unreachable', status: status(healthyJobs()), host: 'motoko' } }, icon: 'warning', tooltip: 'Pillars: motoko unreachable', told: [['warning', 'motoko unreachable']] },
      {
        at: 200_000,
        input: { server: { connection: 'unreachable', status: null, host: 'motoko' } },
        icon: 'warning',
        tooltip: 'Pillars: motoko unreachable',
        menuHas: ['Backups: no status from the server yet'],
        told: [],
      },
      { at: 300_000, icon: 'ok', tooltip: 'Pillars: all good', told: [['info', 'motoko is back']] },
    ],
  },
  {
    name: 'a revoked token is told at once and stays red',
    steps: [
      {
        at: 0,
        input: { server: { connection: 'unauthorized', status: null, host: 'motoko' } },
        icon: 'error',
        tooltip: 'Pillars: motoko refused this device: pair again',
        told: [['critical', 'motoko refused the connection']],
      },
    ],
  },
  {
    name: 'connected, but no status yet: working, not green',
    steps: [{ at: 0, input: { server: { connection: 'connected', status: null, host: 'motoko' } }, icon: 'working', tooltip: 'Pillars: connecting…', menuHas: ['Backups: no status from the server yet'], told: [] }],
  },
  {
    name: 'first run (not paired)',
    steps: [
      {
        at: 0,
        input: { server: { connection: 'unpaired', status: null, host: null }, pillars: [] },
        icon: 'warning',
        tooltip: 'Pillars: not set up: open Preferences',
        menuHas: ['Set up Pillars…', 'Quit Pillars'],
        menuLacks: ['Remount all', 'Backups: no status from the server yet'],
        told: [],
      },
    ],
  },
  {
    name: 'several problems: the worst leads the tooltip',
    steps: [
      {
        at: 0,
        input: { pillars: pillars(stale), server: { connection: 'connected', status: failedStatus, host: 'motoko' } },
        icon: 'error',
        tooltip: 'Pillars: 2 problems: Flux snapshot failed',
        told: [['critical', 'Flux snapshot failed']],
      },
    ],
  },
];

describe('tray model and notification policy over the scenarios', () => {
  for (const sc of SCENARIOS) {
    it(sc.name, () => {
      let state: PolicyState = initialState();
      for (const [i, step] of sc.steps.entries()) {
        const at = `${sc.name}, step ${i} (+${step.at} ms)`;
        if (step.restart) state = initialState(JSON.parse(JSON.stringify(toMemory(state))));
        const inp = input({ ...step.input, now: NOW + step.at });
        const model = buildTrayModel(inp);
        expect(model.icon, at).toBe(step.icon);
        expect(model.tooltip, at).toBe(step.tooltip);
        expect(model.tooltip.length).toBeLessThanOrEqual(127);
        expect(model.tooltip).not.toContain('\n');
        const ls = labels(model.menu);
        for (const l of step.menuHas ?? []) expect(ls, `${at}: menu has '${l}'`).toContain(l);
        for (const l of step.menuLacks ?? []) expect(ls, `${at}: menu lacks '${l}'`).not.toContain(l);
        const r = decide(state, {
          now: inp.now,
          asleep: step.asleep ?? false,
          location: inp.location,
          pillars: inp.pillars,
          connection: inp.server.connection,
          host: inp.server.host,
          status: inp.server.status,
          runs: step.runs ?? [],
        });
        state = r.state;
        expect(
          r.notifications.map((n) => [n.severity, n.title]),
          at,
        ).toEqual(step.told);
      }
    });
  }

  it('every menu always ends with Open admin pane, Preferences, Start at login and Quit', () => {
    for (const sc of SCENARIOS) {
      const m = buildTrayModel(input({ ...sc.steps[0]!.input }));
      const tail = labels(m.menu).slice(-4);
      expect(tail.slice(1)).toEqual([expect.stringMatching(/^(Preferences…|Set up Pillars…)$/), 'Start at login', 'Quit Pillars']);
    }
  });

  it('menu lines carry the actions the glue performs (a run line opens that run in the admin pane)', () => {
    const m = buildTrayModel(input({ server: { connection: 'connected', status: failedStatus, host: 'motoko' } }));
    expect(actionOf(m.menu, 'Flux snapshot: FAILED 1 h ago')).toEqual({ kind: 'open-run', runId: failedFlux.id });
    expect(actionOf(m.menu, 'Open')).toEqual({ kind: 'open-pillar', id: 'flux' });
    expect(actionOf(m.menu, 'Remount all')).toEqual({ kind: 'remount-all' });
    expect(actionOf(m.menu, 'Start at login')).toEqual({ kind: 'toggle-start-at-login' });
    const n = decide(initialState(), { now: NOW, asleep: false, location: 'home', pillars: pillars(), connection: 'connected', host: 'motoko', status: failedStatus, runs: [] }).notifications;
    expect(n[0]!.action).toEqual({ kind: 'open-run', runId: failedFlux.id });
  });

  it('Time Machine is shown on macOS only, and an old backup warns', () => {
    expect(labels(buildTrayModel(input({ os: 'linux' })).menu).some((l) => l.startsWith('Time Machine'))).toBe(false);
    const old = buildTrayModel(input({ timeMachine: { latestBackupAt: hoursAgo(24 * 9) } }));
    expect(old.icon).toBe('warning');
    expect(labels(old.menu)).toContain('Time Machine: this Mac 9 d ago');
  });

  it('a retention failure is as loud as a backup failure (icon red, its own line, notified)', () => {
    const bad = run('flux-retention', 'failed', { error: 'unable to create lock in backend: repository is already locked' });
    const st = status([...healthyJobs().slice(0, 2), job('flux-retention', 'restic-forget', bad)]);
    const m = buildTrayModel(input({ server: { connection: 'connected', status: st, host: 'motoko' } }));
    expect(m.icon).toBe('error');
    expect(labels(m.menu)).toContain('flux-retention (retention): FAILED 3 h ago');
    const n = decide(initialState(), { now: NOW, asleep: false, location: 'home', pillars: pillars(), connection: 'connected', host: 'motoko', status: st, runs: [] }).notifications;
    expect(n.map((x) => [x.severity, x.title, x.body])).toEqual([['critical', 'flux-retention (retention) failed', 'unable to create lock in backend: repository is already locked']]);
  });

  it('a backup that succeeded with warnings is a success in the warning colour, never red', () => {
    const partial = run('flux-backup', 'succeeded-with-warnings', { finishedAt: hoursAgo(2), error: 'snapshot 1a2b3c4d saved, but 1 file could not be read: /flux/a/secret.txt (permission denied)' });
    const st = status([job('flux-backup', 'restic-backup', partial), ...healthyJobs().slice(1)]);
    const m = buildTrayModel(input({ server: { connection: 'connected', status: st, host: 'motoko' } }));
    expect(m.icon).toBe('warning');
    expect(m.problems).toEqual([{ severity: 'warning', text: 'Flux snapshot succeeded with warnings' }]);
    expect(labels(m.menu)).toContain('Flux snapshot: 2 h ago, with warnings');
    expect(actionOf(m.menu, 'Flux snapshot: 2 h ago, with warnings')).toEqual({ kind: 'open-run', runId: partial.id });
  });

  it('sync conflicts in a hot-set reach the tray as a warning', () => {
    const st = {
      ...status(healthyJobs()),
      hotSets: [{ id: 'hot-notes', label: 'notes', path: '/flux/hot/notes', state: 'idle', completion: 100, errors: 0, conflicts: ['todo.sync-conflict-20261204-120000-ABCDEFG.txt'] }],
    };
    const m = buildTrayModel(input({ server: { connection: 'connected', status: st, host: 'motoko' } }));
    expect(m.icon).toBe('warning');
    expect(m.problems).toEqual([{ severity: 'warning', text: 'hot-set notes: 1 sync conflict' }]);
  });

  it('a long problem text is clipped to one tooltip line of at most 127 characters', () => {
    const long = pillars({ flux: { label: 'F'.repeat(200), state: 'stale' } });
    const m = buildTrayModel(input({ pillars: long }));
    expect(m.tooltip.length).toBe(127);
    expect(m.tooltip.endsWith('…')).toBe(true);
  });
});
