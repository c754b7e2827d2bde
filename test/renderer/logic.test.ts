// The pane's pure parts in plain Node: formatting, alerts, the live model, schedules and routes.
import { describe, expect, test } from 'vitest';
import type { StatusResponse } from '../../server/src/contract/api';
import { formatAge, formatBytes, formatDuration, formatRate, formatShare, parseBytes } from '../../src/shared/format';
import { byUrgency, deriveAlerts, overviewAlerts, sambaAlerts } from '../../src/renderer/alerts';
import { seedLine } from '../../src/renderer/seed';
import { activeRunOf, applyEvent, withStatus, type LiveModel } from '../../src/renderer/model';
import { describeSchedule, previewSchedule } from '../../src/renderer/schedule';
import { parseRoute, runsHref, snapshotHref } from '../../src/renderer/route';
import { repositories } from '../../src/renderer/pages/Snapshots';
import { crumbs } from '../../src/renderer/pages/SnapshotBrowser';
import { restoreRequest } from '../../src/renderer/pages/RestorePanel';
import { runDuration, summaryText } from '../../src/renderer/pages/Runs';
import { labelOf, setAt, settingsEdits, widgetFor } from '../../src/renderer/settings';
import { FIRST_PAGE, HistoryLoader, PAGE, type HistoryProgress } from '../../src/renderer/history';
import type { DrillSummary, JobInfo, PillarStatus, RecoverPlan, Run, RunsPage, SambaState } from '../../server/src/contract/api';
import { drillChecks, drillFindings, drillVerdict } from '../../src/renderer/drills';
import { planTotals, recoverChoices } from '../../src/renderer/recovery';

const TiB = 1024 ** 4;

/** A run as the API sends it, finished an hour ago unless still active. */
function makeRun(p: Partial<Run> & Pick<Run, 'id' | 'jobId' | 'status'>): Run {
  const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
  const active = p.status === 'running' || p.status === 'queued' || p.status === 'blocked';
  return {
    trigger: 'schedule',
    attempt: 1,
    queuedAt: ago(3600_000),
    startedAt: ago(3590_000),
    finishedAt: active ? null : ago(3000_000),
    exitCode: p.status === 'succeeded' ? 0 : null,
    error: null,
    progress: null,
    summary: null,
    block: null,
    approvedBy: null,
    logTail: '',
    ...p,
  };
}

describe('format', () => {
  test.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [42 * 1024 ** 3, '42.0 GiB'],
    [512 * 1024 ** 2, '512 MiB'],
    [11.1 * TiB, '11.1 TiB'],
    [-2048, '-2.0 KiB'],
    [null, '—'],
    [Number.NaN, '—'],
  ])('formatBytes(%s) = %s', (n, s) => expect(formatBytes(n)).toBe(s));

  test('durations, rates, ages and shares', () => {
    expect(formatDuration(12)).toBe('12 s');
    expect(formatDuration(250)).toBe('4 min 10 s');
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe('3 h 05 min');
    expect(formatDuration(28 * 86400)).toBe('28 d 0 h');
    expect(formatDuration(-1)).toBe('—');
    expect(formatRate(210 * 1024 ** 2)).toBe('210 MiB/s');
    const now = Date.parse('2026-11-25T12:00:00Z');
    expect(formatAge('2026-11-25T11:59:50Z', now)).toBe('just now');
    expect(formatAge('2026-11-25T11:55:00Z', now)).toBe('5 min ago');
    expect(formatAge('2026-11-25T09:00:00Z', now)).toBe('3 h ago');
    expect(formatAge('2026-11-20T12:00:00Z', now)).toBe('5 d ago');
    expect(formatAge('2026-11-25T12:30:00Z', now)).toBe('in 30 min');
    expect(formatAge('2026-11-25T12:01:00Z', now)).toBe('just now');
    expect(formatAge(null, now)).toBe('never');
    expect(formatShare(0.0456)).toBe('4.6 %');
    expect(formatShare(0.55)).toBe('55 %');
  });

  test('parseBytes reads config sizes and refuses the rest', () => {
    expect(parseBytes('4T')).toBe(4 * TiB);
    expect(parseBytes('500 GiB')).toBe(500 * 1024 ** 3);
    expect(parseBytes('1024')).toBe(1024);
    expect(parseBytes('4 tera')).toBeNull();
    expect(parseBytes('')).toBeNull();
  });
});

function status(p: Partial<StatusResponse> = {}): StatusResponse {
  return { version: '1', time: '2026-11-25T12:00:00Z', pillars: [], jobs: [], timeMachine: [], hotSets: [], b2: null, samba: { drift: null, reloadFailed: null }, warnings: [], ...p };
}

describe('seed progress', () => {
  test('how far a seed is over its nights, and how long to go; no rate yet is said; a finished seed says so', () => {
    const seed = { bytesTotal: 12 * 2 ** 40, bytesDone: 3 * 2 ** 40, filesTotal: 400_000, filesDone: 100_000, complete: false, updatedAt: '2026-11-25T06:00:00Z', etaSeconds: 9 * 86400 + 3 * 3600, history: [] };
    expect(seedLine(seed)).toBe('seed 25 %: 3.0 TiB of 12.0 TiB (100000 of 400000 files), about 9 d 3 h to go');
    expect(seedLine({ ...seed, etaSeconds: null })).toMatch(/, no estimate yet$/);
    expect(seedLine({ ...seed, bytesDone: seed.bytesTotal, filesDone: seed.filesTotal, complete: true })).toBe('seed complete: 12.0 TiB in 400000 files offsite');
  });
});

describe('alerts', () => {
  test('Samba: an invalid config is an error, a hand-edited live file a warning, an unreadable state is said; all linked to the Samba page', () => {
    const samba = (p: Partial<SambaState>): SambaState => ({ rendered: '[global]\n', live: '[global]\n', diff: '', drift: false, valid: true, messages: [], versions: [], ...p });
    expect(sambaAlerts(samba({}), null)).toEqual([]);
    expect(sambaAlerts(null, null)).toEqual([]);
    const drift = sambaAlerts(samba({ drift: true, messages: ['/etc/samba/smb.conf was edited outside pillarsd (drift): apply refuses to overwrite it without --force'] }), null);
    expect(drift).toEqual([
      {
        id: 'samba:drift',
        severity: 'warning',
        title: 'Samba: the live smb.conf is not the one pillarsd applied',
        detail: '/etc/samba/smb.conf was edited outside pillarsd (drift): apply refuses to overwrite it without --force.',
        href: '#/samba',
      },
    ]);
    const invalid = sambaAlerts(samba({ valid: false, messages: ['share "Time": unknown parameter "fruit:time machine size"'] }), null);
    expect(invalid.map((a) => [a.severity, a.detail])).toEqual([['error', 'share "Time": unknown parameter "fruit:time machine size".']]);
    const unread = sambaAlerts(samba({}), 'GET /api/v1/samba failed with HTTP 500');
    expect(unread.map((a) => [a.id, a.severity, a.href])).toEqual([['samba:unread', 'warning', '#/samba']]);
    // merged with the status's alerts, errors come first
    expect(byUrgency([...drift, ...invalid]).map((a) => a.id)).toEqual(['samba:invalid', 'samba:drift']);
  });

  test("Samba incidents in the status reach a viewer (no Samba state to read); an admin's own drift alert stands for the status's", () => {
    const st = status({
      samba: {
        drift: { title: 'the Samba config was edited outside pillarsd', text: '/etc/samba/smb.conf was edited outside pillarsd (drift)' },
        reloadFailed: { title: 'smbd did not reload the Samba config', text: 'smbcontrol: no smbd running' },
      },
      // a server warning that merely mentions Samba is no Samba incident
      warnings: ['samba: the Samba config was edited outside pillarsd (by hand)'],
    });
    const t = Date.parse('2026-11-25T12:00:00Z');
    const viewer = overviewAlerts(st, t, null, null);
    expect(viewer.map((a) => [a.id, a.title, a.href])).toEqual([
      ['w:samba: the Samba config was edited outside pillarsd (by hand)', 'pillarsd', '#/'],
      ['samba:status-drift', 'Samba', '#/samba'],
      ['samba:status-reload', 'Samba', '#/samba'],
    ]);
    expect(viewer[1]!.detail).toBe('the Samba config was edited outside pillarsd (/etc/samba/smb.conf was edited outside pillarsd (drift)).');
    expect(viewer[2]!.detail).toBe('smbd did not reload the Samba config (smbcontrol: no smbd running).');
    const live: SambaState = { rendered: '', live: '', diff: '', drift: true, valid: true, messages: ['/etc/samba/smb.conf was edited outside pillarsd (drift)'], versions: [] };
    expect(overviewAlerts(st, t, live, null).map((a) => a.id)).toEqual(['w:samba: the Samba config was edited outside pillarsd (by hand)', 'samba:status-reload', 'samba:drift']);
    // no open incident, no Samba alert
    expect(overviewAlerts(status({}), t, null, null)).toEqual([]);
  });

  const now = Date.parse('2026-11-25T12:00:00Z');
  test('nothing to say about a healthy server', () => {
    expect(deriveAlerts(status({ pillars: [{ id: 'flux', path: '/flux', online: true, sentinel: true, mounted: true, totalBytes: 100, freeBytes: 50, usedBytes: 50, warnings: [] }] }), now)).toEqual([]);
  });

  test('a success with warnings is a warning naming what to look at, linked to its run', () => {
    const partial = makeRun({ id: 'w', jobId: 'flux-backup', status: 'succeeded-with-warnings', error: 'snapshot 1a2b3c4d saved, but 1 file could not be read', finishedAt: '2026-11-25T10:00:00Z' });
    const job = { schedule: '0 2 * * *', timezone: null, enabled: true, after: [] as string[], repository: null, source: null, destination: null, nextRunAt: null, lastSuccessAt: null, overdue: false } as const;
    expect(deriveAlerts(status({ jobs: [{ ...job, id: 'flux-backup', type: 'restic-backup', state: 'idle', lastRun: partial }] }), now)).toEqual([
      { id: 'warnings:flux-backup', severity: 'warning', title: 'flux-backup succeeded with warnings', detail: 'snapshot 1a2b3c4d saved, but 1 file could not be read (2 h ago)', href: '#/runs/w' },
    ]);
  });

  test('failed, blocked, overdue, offline, low space, stale Time Machine, hot-set errors, B2; errors first', () => {
    const failed = makeRun({ id: 'a', jobId: 'flux-backup', status: 'failed', error: 'restic exited 1', finishedAt: '2026-11-25T10:00:00Z' });
    const blocked = makeRun({ id: 'b', jobId: 'space-offsite', status: 'blocked', block: { guard: 'delete-threshold', message: 'would delete 2000 files', needsApproval: true } });
    const job = { schedule: '0 2 * * *', timezone: null, enabled: true, after: [] as string[], repository: null, source: null, destination: null, nextRunAt: null, lastSuccessAt: null, overdue: false } as const;
    const alerts = deriveAlerts(
      status({
        jobs: [
          { ...job, id: 'flux-backup', type: 'restic-backup', state: 'idle', lastRun: failed },
          { ...job, id: 'space-offsite', type: 'rclone-sync', state: 'blocked', lastRun: blocked },
          { ...job, id: 'flux-verify', type: 'restic-check', state: 'idle', lastRun: null, overdue: true },
          { ...job, id: 'off', type: 'restic-check', state: 'idle', lastRun: null, overdue: true, enabled: false },
        ],
        pillars: [
          { id: 'space', path: '/space', online: true, sentinel: true, mounted: true, totalBytes: 100, freeBytes: 5, usedBytes: 95, warnings: [] },
          { id: 'time', path: '/time', online: false, sentinel: false, mounted: false, totalBytes: null, freeBytes: null, usedBytes: null, warnings: [] },
        ],
        timeMachine: [{ name: 'count-zero.sparsebundle', mac: 'count-zero', sizeBytes: 95, capBytes: 100, capShare: 0.95, lastBackupAt: '2026-11-01T00:00:00Z', stale: true, staleAfterDays: 7, warning: 'stale' }],
        hotSets: [{ id: 'm', label: 'Models', path: '/flux/models', state: 'idle', completion: 100, errors: 0, conflicts: ['x.sync-conflict'] }],
        warnings: ['job space-offsite is blocked: would delete 2000 files', 'flux: the disk /dev/sda reports a SMART failure: replace it'],
        b2: {
          spaceBytes: 12 * TiB,
          uplinkMbps: 100,
          seedEtaSeconds: 11 * 86400,
          fullRateEtaSeconds: 11 * 86400,
          seedJob: null,
          seedRemainingBytes: null,
          keepVersionsDays: 30,
          versionBytes: null,
          monthlyCost: 72,
          currency: 'USD',
          pricePerTbMonth: 6,
          priceDate: '2026-01',
        },
      }),
      now,
    );
    const ids = alerts.map((a) => a.id);
    expect(ids).toEqual([
      'failed:flux-backup',
      'blocked:space-offsite',
      'pillar:time',
      'overdue:flux-verify',
      'space:space',
      'tm:count-zero.sparsebundle',
      'tmcap:count-zero.sparsebundle',
      'hot:m',
      'w:flux: the disk /dev/sda reports a SMART failure: replace it',
      'b2',
    ]);
    expect(alerts[0]!.detail).toBe('restic exited 1 (2 h ago)');
    expect(alerts[1]!.detail).toBe('would delete 2000 files. Needs approval.');
    expect(alerts[1]!.href).toBe('#/runs/b');
    expect(alerts.at(-1)!.detail).toBe('Seeding 12.0 TiB takes about 11 d 0 h at 100 Mbit/s; about 72.00 USD a month (6.00 USD/TB, prices of 2026-01).');
  });
  test('an unavailable pillar is one alert that says why in plain words, not three', () => {
    const pillar = (id: string, exists: boolean, why: string) => ({
      id,
      path: `/${id}`,
      online: false,
      sentinel: false,
      mounted: false,
      totalBytes: exists ? 100 : null,
      freeBytes: exists ? 50 : null,
      usedBytes: exists ? 50 : null,
      warnings: [why],
    });
    const whys = {
      time: 'pillar time: /time/.pillar is missing, so /time may not be the time pillar (write "time" into /time/.pillar once it is)',
      flux: 'pillar flux: /flux does not exist',
      space: 'pillar space: /space is not a mount point (mount it, or set pillars.space.requireMount: false for a plain folder)',
      other: 'pillar other: /other/.pillar names "space", not "other": a different disk is mounted there',
    };
    const alerts = deriveAlerts(
      status({ pillars: [pillar('time', true, whys.time), pillar('flux', false, whys.flux), pillar('space', true, whys.space), pillar('other', true, whys.other)], warnings: Object.values(whys) }),
      now,
    );
    expect(alerts.map((a) => a.title)).toEqual(['time is missing its .pillar sentinel', 'flux is offline', 'space is not mounted', 'other holds a different disk']);
    expect(alerts[0]!.detail).toBe('/time/.pillar is missing, so /time may not be the time pillar (write "time" into /time/.pillar once it is). Jobs touching it are refused until it is back.');
  });
  test("a recovery in progress is one alert from the pillar's recovery field, linking to the Recover page", () => {
    const pillar = (id: string, recovery: PillarStatus['recovery']): PillarStatus => ({
      id,
      path: `/${id}`,
      online: true,
      sentinel: true,
      mounted: true,
      totalBytes: 100,
      freeBytes: 50,
      usedBytes: 50,
      warnings: [],
      recovery,
    });
    const alerts = deriveAlerts(status({ pillars: [pillar('space', { remote: 'cloud', startedAt: '2026-12-05T01:00:00.000Z' }), pillar('flux', null), pillar('time', { remote: null, startedAt: null })] }), now);
    expect(alerts.map((a) => [a.id, a.severity, a.title, a.href])).toEqual([
      ['recovery:space', 'warning', 'space is being recovered from cloud', '#/recover'],
      ['recovery:time', 'warning', 'time is being recovered', '#/recover'],
    ]);
    expect(alerts[0]!.detail).toMatch(/^Started .+: backups and syncs reading space are blocked until the recovery has been verified\.$/);
    expect(alerts[1]!.detail).toBe('Its .pillars-recover marker cannot be read: backups and syncs reading time are blocked until the recovery has been verified.');
  });
});

describe('a run in one line', () => {
  test("a failure shows the server's reason, not what a summary says of it", () => {
    const wrongPassword = makeRun({
      id: 'c',
      jobId: 'flux-verify',
      status: 'failed',
      error: 'restic check: wrong password for the repository (check the secret the job names)',
      summary: { kind: 'restic-check', ok: false, readDataSubset: null },
    });
    expect(summaryText(wrongPassword)).toBe('restic check: wrong password for the repository (check the secret the job names)');
    expect(summaryText({ ...wrongPassword, status: 'succeeded', error: null, summary: { kind: 'restic-check', ok: true, readDataSubset: null } })).toBe('repository OK');
  });

  test('a blocked run has no running clock; a running one counts to now', () => {
    const startedAt = new Date(Date.now() - 90_000).toISOString();
    expect(runDuration(makeRun({ id: 'b', jobId: 'space-offsite', status: 'blocked', startedAt }))).toBe('stopped: waiting for a decision');
    expect(runDuration(makeRun({ id: 'r', jobId: 'space-offsite', status: 'running', startedAt }))).toMatch(/^1 min 3\d s$/);
  });
});

describe('job settings form', () => {
  const written = { type: 'rclone-sync', source: 'space:/', exclude: ['*.tmp'], guard: { maxDeletePercent: 1 }, pre: [{ argv: ['dump'], env: { TOKEN: '(set)' } }, { argv: ['x'] }] };

  test('only what changed is sent: a leaf, a removed key, a whole list of strings', () => {
    const draft = { ...written, exclude: ['*.tmp', 'cache/'], guard: { maxDeletePercent: 2.5 }, bwlimit: '4M' } as Record<string, unknown>;
    delete draft.source;
    expect(settingsEdits(written, draft)).toEqual([
      { path: ['source'], value: null },
      { path: ['exclude'], value: ['*.tmp', 'cache/'] },
      { path: ['guard', 'maxDeletePercent'], value: 2.5 },
      { path: ['bwlimit'], value: '4M' },
    ]);
    expect(settingsEdits(written, written)).toEqual([]);
  });

  test('hooks change item by item: a hidden environment value is never sent back', () => {
    const changed = { ...written, pre: [{ argv: ['dump', '--all'], env: { TOKEN: '(set)' } }] };
    expect(settingsEdits(written, changed)).toEqual([
      { path: ['pre', 0, 'argv'], value: ['dump', '--all'] },
      { path: ['pre', 1], value: null },
    ]);
    const added = { ...written, pre: [...written.pre, { argv: ['notify'] }] };
    expect(settingsEdits(written, added)).toEqual([{ path: ['pre', 2], value: { argv: ['notify'] } }]);
    expect(JSON.stringify(settingsEdits(written, changed))).not.toContain('(set)');
  });

  test('setAt copies; a value removed leaves no empty mapping behind', () => {
    const d = setAt(written, ['guard', 'maxDeletePercent'], undefined);
    expect(d.guard).toBeUndefined();
    expect(written.guard).toEqual({ maxDeletePercent: 1 });
    expect(setAt({}, ['keep', 'daily'], 7)).toEqual({ keep: { daily: 7 } });
  });

  test('widgets from the JSON Schema pillarsd sends', () => {
    expect(widgetFor({ type: 'boolean', default: true })).toEqual({ kind: 'boolean' });
    expect(widgetFor({ type: 'array', items: { type: 'string' } })).toEqual({ kind: 'lines' });
    expect(
      widgetFor({
        anyOf: [
          { type: 'integer', minimum: 0 },
          { type: 'string', pattern: '^\\d+' },
        ],
      }),
    ).toMatchObject({ kind: 'text' });
    expect(widgetFor({ type: 'object', properties: { daily: { type: 'integer' } } })).toMatchObject({ kind: 'group' });
    expect(widgetFor({ type: 'array', items: { type: 'object', properties: { argv: {} } } })).toMatchObject({ kind: 'list' });
    expect(widgetFor({ type: 'string', enum: ['run', 'skip'] })).toEqual({ kind: 'choice', options: ['run', 'skip'] });
    expect(labelOf('maxDeletePercent')).toBe('Max delete percent');
  });
});

describe('live model', () => {
  const job = {
    id: 'flux-backup',
    type: 'restic-backup',
    schedule: null,
    timezone: null,
    enabled: true,
    after: [] as string[],
    repository: null,
    source: null,
    destination: null,
    state: 'idle',
    nextRunAt: null,
    lastRun: null,
    lastSuccessAt: null,
    overdue: true,
  } as const;
  const base = (): LiveModel => withStatus({ status: null, runs: new Map() }, status({ jobs: [{ ...job }] }));

  test('queued → progress → finished moves the job and the run along', () => {
    const q = makeRun({ id: 'r1', jobId: 'flux-backup', status: 'queued', queuedAt: '2026-11-25T12:00:00Z' });
    let m = applyEvent(base(), { type: 'run.queued', run: q });
    expect(m.status!.jobs[0]!.state).toBe('queued');
    expect(activeRunOf(m, 'flux-backup')?.id).toBe('r1');
    const progress = { percent: 40, bytesDone: 4, bytesTotal: 10, filesDone: 1, filesTotal: 2, rate: 1, etaSeconds: 6, current: ['a'] };
    m = applyEvent(m, { type: 'run.progress', runId: 'r1', jobId: 'flux-backup', progress });
    expect(m.runs.get('r1')!.status).toBe('running');
    expect(m.runs.get('r1')!.progress!.percent).toBe(40);
    expect(m.status!.jobs[0]!.state).toBe('running');
    const done = { ...q, status: 'succeeded' as const, finishedAt: '2026-11-25T12:05:00Z' };
    m = applyEvent(m, { type: 'run.finished', run: done });
    expect(m.status!.jobs[0]).toMatchObject({ state: 'idle', lastSuccessAt: '2026-11-25T12:05:00Z', overdue: false });
    expect(activeRunOf(m, 'flux-backup')).toBeNull();
  });

  test('an older run never replaces a newer last run; unknown progress is ignored', () => {
    const newer = makeRun({ id: 'r2', jobId: 'flux-backup', status: 'running', queuedAt: '2026-11-25T12:00:00Z' });
    const older = makeRun({ id: 'r1', jobId: 'flux-backup', status: 'failed', queuedAt: '2026-11-24T12:00:00Z' });
    let m = applyEvent(base(), { type: 'run.started', run: newer });
    m = applyEvent(m, { type: 'run.finished', run: older });
    expect(m.status!.jobs[0]!.lastRun!.id).toBe('r2');
    expect(m.runs.size).toBe(2);
    const same = applyEvent(m, {
      type: 'run.progress',
      runId: 'nope',
      jobId: 'flux-backup',
      progress: { percent: 1, bytesDone: 0, bytesTotal: null, filesDone: 0, filesTotal: null, rate: null, etaSeconds: null, current: [] },
    });
    expect(same).toBe(m);
  });
});

describe('schedules', () => {
  test('words, the next five runs, and clear errors', () => {
    expect(describeSchedule('0 2 * * *')).toBe('At 02:00');
    expect(describeSchedule(null)).toBe('manual only');
    const p = previewSchedule('30 3 * * *', new Date('2026-11-25T12:00:00'), 5);
    expect(p.ok).toBe(true);
    expect(p.next.map((d) => [d.getDate(), d.getHours(), d.getMinutes()])).toEqual([
      [26, 3, 30],
      [27, 3, 30],
      [28, 3, 30],
      [29, 3, 30],
      [30, 3, 30],
    ]);
    expect(previewSchedule('61 * * * *', new Date()).error).toMatch(/not a valid schedule.*minute/);
    expect(previewSchedule('0 2 * *', new Date()).error).toBe('A schedule has 5 fields (minute hour day-of-month month day-of-week); "0 2 * *" has 4.');
    expect(previewSchedule('', new Date()).ok).toBe(false);
  });
});

describe('routes', () => {
  test('hash routes round-trip, unknown ones land on the overview', () => {
    expect(parseRoute('')).toEqual({ page: 'overview' });
    expect(parseRoute('#/nowhere')).toEqual({ page: 'overview' });
    expect(parseRoute('#/runs/r%2F1')).toEqual({ page: 'run', id: 'r/1' });
    expect(parseRoute(runsHref('flux-backup', 'failed'))).toEqual({ page: 'runs', job: 'flux-backup', status: 'failed' });
    expect(parseRoute('#/samba')).toEqual({ page: 'samba' });
    expect(parseRoute('#/snapshots')).toEqual({ page: 'snapshots' });
    expect(parseRoute(snapshotHref('flux-backup', 'abc12345'))).toEqual({ page: 'snapshot', job: 'flux-backup', id: 'abc12345', path: '' });
    // a folder name with the characters a hash and a query use
    expect(parseRoute(snapshotHref('flux-backup', 'abc12345', '/flux/a b?#&=%/c'))).toEqual({ page: 'snapshot', job: 'flux-backup', id: 'abc12345', path: '/flux/a b?#&=%/c' });
  });
});

describe('snapshots', () => {
  test('one job per repository lists its snapshots', () => {
    const job = (id: string, type: string, repository?: string) => ({ id, type, repository }) as unknown as StatusResponse['jobs'][number];
    const status = {
      jobs: [job('a', 'restic-backup', 'space:/r1'), job('f', 'restic-forget', 'space:/r1'), job('b', 'restic-backup', 'space:/r1'), job('c', 'restic-backup', 'space:/r2'), job('s', 'rclone-sync')],
    } as unknown as StatusResponse;
    expect(repositories(status)).toEqual([
      { repository: 'space:/r1', job: 'a' },
      { repository: 'space:/r2', job: 'c' },
    ]);
  });

  test('breadcrumbs lead from the snapshot root down to the folder', () => {
    expect(crumbs('/srv/flux', '/srv/flux')).toEqual([{ name: '/srv/flux', path: '/srv/flux' }]);
    expect(crumbs('/srv/flux', '/srv/flux/a b/c')).toEqual([
      { name: '/srv/flux', path: '/srv/flux' },
      { name: 'a b', path: '/srv/flux/a b' },
      { name: 'c', path: '/srv/flux/a b/c' },
    ]);
    expect(crumbs('/', '/etc/x')).toEqual([
      { name: '/', path: '/' },
      { name: 'etc', path: '/etc' },
      { name: 'x', path: '/etc/x' },
    ]);
  });

  test('a restore to the original place needs an explicit choice for existing files', () => {
    expect(restoreRequest('/flux/a', 'new', null)).toEqual({ paths: ['/flux/a'], to: 'new' });
    expect(restoreRequest('/flux/a', 'new', 'overwrite')).toEqual({ paths: ['/flux/a'], to: 'new' });
    expect(restoreRequest('/flux/a', 'original', null)).toBeNull();
    expect(restoreRequest('/flux/a', 'original', 'keep-both')).toEqual({ paths: ['/flux/a'], to: 'original', existing: 'keep-both' });
  });
});

describe('history loader', () => {
  /** A history of `n` runs paged as pillarsd pages it: newest id first, `before` an id. */
  function server(n: number) {
    const ids = Array.from({ length: n }, (_, i) => `r${String(n - i).padStart(6, '0')}`);
    const asked: Array<{ before: string | null; limit: number }> = [];
    /** Older pages (with a cursor) fail with this message while it is set. */
    let fail: string | null = null;
    const fetchPage = async (before: string | null, limit: number): Promise<RunsPage> => {
      asked.push({ before, limit });
      await new Promise((r) => setTimeout(r, 1));
      if (fail && before !== null) throw new Error(fail);
      const from = before === null ? 0 : ids.findIndex((id) => id < before);
      const page = (from < 0 ? [] : ids.slice(from, from + limit)).map((id) => makeRun({ id, jobId: 'flux-backup', status: 'succeeded' }));
      return { runs: page, next: from >= 0 && from + limit < ids.length ? page.at(-1)!.id : null };
    };
    return { asked, fetchPage, failWith: (m: string | null) => (fail = m) };
  }
  async function settle(l: HistoryLoader) {
    for (let i = 0; i < 500 && l.state.loading; i++) await new Promise((r) => setTimeout(r, 2));
  }
  /** Polls `cond` (every 2 ms, up to 10 s) instead of hoping a fixed wait is long enough. */
  async function until(cond: () => boolean) {
    const deadline = Date.now() + 10_000;
    while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
  }

  test('a small first page, then pages of 500 to the oldest run', async () => {
    const s = server(2_345);
    const got: Run[][] = [];
    const firsts: boolean[] = [];
    const l = new HistoryLoader({ key: 'k', fetchPage: s.fetchPage, onRuns: (r, first) => (got.push([...r]), firsts.push(first)), onProgress: () => {} });
    l.start();
    await settle(l);
    expect(s.asked.map((a) => a.limit)).toEqual([FIRST_PAGE, PAGE, PAGE, PAGE, PAGE, PAGE]);
    expect(got[0]!.length).toBe(FIRST_PAGE);
    expect(firsts).toEqual([true, false, false, false, false, false]);
    const all = got.flat().map((r) => r.id);
    expect(new Set(all).size).toBe(2_345);
    expect(all.at(-1)).toBe('r000001');
    expect(l.state).toMatchObject({ loaded: 2_345, next: null, complete: true, loading: false, error: null });
  });

  test('an error keeps what arrived; more() resumes from the same cursor', async () => {
    const s = server(1_200);
    const states: HistoryProgress[] = [];
    const l = new HistoryLoader({ key: 'k', fetchPage: s.fetchPage, onRuns: () => {}, onProgress: (p) => states.push(p) });
    s.failWith('pillarsd is unreachable (Failed to fetch)');
    l.start();
    await settle(l);
    expect(l.state).toMatchObject({ loaded: FIRST_PAGE, loading: false, complete: false, error: 'pillarsd is unreachable (Failed to fetch)' });
    const cursor = l.state.next;
    s.failWith(null);
    l.more();
    await settle(l);
    expect(s.asked.filter((a) => a.before === cursor).length).toBe(2);
    expect(l.state).toMatchObject({ loaded: 1_200, complete: true, error: null });
  });

  test('the background stops at the cap; more() loads one page past it', async () => {
    const s = server(3_000);
    const l = new HistoryLoader({ key: 'k', fetchPage: s.fetchPage, onRuns: () => {}, onProgress: () => {}, cap: 1_000 });
    l.start();
    await settle(l);
    expect(l.state).toMatchObject({ loaded: 1_100, complete: false, loading: false });
    l.more();
    await settle(l);
    expect(l.state.loaded).toBe(1_600);
  });

  test('held, it stops after the first page until released', async () => {
    const s = server(1_000);
    const l = new HistoryLoader({ key: 'k', fetchPage: s.fetchPage, onRuns: () => {}, onProgress: () => {} }, { holdBackground: true });
    l.start();
    for (let i = 0; i < 50 && l.state.loaded === 0; i++) await new Promise((r) => setTimeout(r, 2));
    await new Promise((r) => setTimeout(r, 20));
    expect(s.asked).toEqual([{ before: null, limit: FIRST_PAGE }]);
    expect(l.state).toMatchObject({ loaded: FIRST_PAGE, loading: true, complete: false });
    l.releaseBackground();
    await settle(l);
    expect(l.state).toMatchObject({ loaded: 1_000, complete: true });
  });

  test('catching up after a reconnect fetches only the newest pages, down to the first run known and settled', async () => {
    let n = 1_200;
    const idOf = (i: number) => `r${String(i).padStart(6, '0')}`;
    const asked: Array<{ before: string | null; limit: number }> = [];
    const fetchPage = async (before: string | null, limit: number): Promise<RunsPage> => {
      asked.push({ before, limit });
      await new Promise((r) => setTimeout(r, 1));
      const top = before === null ? n : Number(before.slice(1)) - 1;
      const ids = Array.from({ length: Math.max(0, Math.min(limit, top)) }, (_, i) => idOf(top - i));
      return { runs: ids.map((id) => makeRun({ id, jobId: 'flux-backup', status: 'succeeded' })), next: top - ids.length > 0 ? ids.at(-1)! : null };
    };
    const published = new Map<string, Run>();
    const l = new HistoryLoader({ key: 'k', fetchPage, onRuns: (r) => r.forEach((x) => published.set(x.id, x)), onProgress: () => {} });
    l.start();
    await settle(l);
    expect(l.state).toMatchObject({ loaded: 1_200, complete: true });
    const known = new Set(published.keys());

    // 30 runs while the stream was down: one request of the first page's size brings them
    n += 30;
    asked.length = 0;
    l.catchUp((r) => known.has(r.id));
    // the loader says nothing when a catch-up ends: wait for what it must publish, then give a
    // page it must not ask for the time to show up (a slow machine only makes that wait longer)
    await until(() => published.size >= 1_230);
    await new Promise((r) => setTimeout(r, 20));
    expect(asked).toEqual([{ before: null, limit: FIRST_PAGE }]);
    expect(published.size).toBe(1_230);

    // 700 new runs: pages go down until one holds a known run, and no further
    n += 700;
    asked.length = 0;
    l.catchUp((r) => known.has(r.id));
    await until(() => published.size >= 1_930);
    await new Promise((r) => setTimeout(r, 20));
    expect(asked.map((a) => a.limit)).toEqual([FIRST_PAGE, PAGE, PAGE]);
    expect(published.size).toBe(1_930);
  });

  test('a catch-up resumes a background that an outage stopped', async () => {
    const s = server(1_500);
    const l = new HistoryLoader({ key: 'k', fetchPage: s.fetchPage, onRuns: () => {}, onProgress: () => {} });
    s.failWith('pillarsd is unreachable (Failed to fetch)');
    l.start();
    await settle(l);
    expect(l.state).toMatchObject({ loaded: FIRST_PAGE, complete: false, error: 'pillarsd is unreachable (Failed to fetch)' });
    s.failWith(null);
    l.catchUp(() => true);
    for (let i = 0; i < 500 && !l.state.complete; i++) await new Promise((r) => setTimeout(r, 2));
    expect(l.state).toMatchObject({ loaded: 1_500, complete: true, error: null });
  });

  test('after cancel nothing more is published', async () => {
    const s = server(5_000);
    let published = 0;
    const l = new HistoryLoader({ key: 'k', fetchPage: s.fetchPage, onRuns: (r) => (published += r.length), onProgress: () => {} });
    l.start();
    l.cancel();
    await new Promise((r) => setTimeout(r, 20));
    expect(published).toBe(0);
    expect(s.asked.length).toBe(1);
  });
});

describe('restore drills and recovery', () => {
  const drill = (p: Partial<DrillSummary>): DrillSummary => ({
    kind: 'restic-drill',
    snapshotId: 'abcdef0123456789',
    sampled: 20,
    restored: 20,
    compared: 19,
    changedSinceSnapshot: 1,
    mismatches: [],
    unreadable: [],
    checkOk: true,
    readDataSubset: '2%',
    damaged: [],
    ...p,
  });

  test('what a drill checked and, on a failure, what failed: a lost file in a damaged pack first, a changed file, the other damaged files', () => {
    expect(drillChecks(drill({}))).toEqual([
      '20 files picked at random from the snapshot, 20 restored, 19 compared byte for byte with their source, 1 changed since the snapshot (checked by size)',
      'restic check read 2% of the pack data: no damage found',
    ]);
    const ok = makeRun({ id: 'r1', jobId: 'flux-drill', status: 'succeeded', summary: drill({}) });
    expect(drillFindings(ok)).toEqual([]);
    expect(drillVerdict(ok)).toBe('passed');
    expect(drillVerdict(null)).toBe('never run');
    const s = drill({ restored: 18, unreadable: ['/flux/media/big.bin'], mismatches: ['/flux/docs/a.txt'], checkOk: false, damaged: ['/flux/media/big.bin', '/flux/media/other.bin'] });
    const bad = makeRun({ id: 'r2', jobId: 'flux-drill', status: 'failed', error: '…', summary: s });
    expect(drillVerdict(bad)).toBe('failed');
    expect(drillFindings(bad)).toEqual([
      { text: 'Could not be restored: the data of this file lies in a damaged pack of the repository', paths: ['/flux/media/big.bin'] },
      { text: 'Restored, but different from the file, which has not changed since the snapshot (the backup holds other bytes than the disk)', paths: ['/flux/docs/a.txt'] },
      { text: 'restic check found damaged pack data; these files have data in the damaged packs too', paths: ['/flux/media/other.bin'] },
    ]);
    expect(drillChecks(s)[1]).toBe('restic check read 2% of the pack data: damage found');
    // a failure the summary does not explain is told by the run's error
    const refused = makeRun({ id: 'r3', jobId: 'flux-drill', status: 'failed', error: 'the repository holds no snapshot: nothing to drill' });
    expect(drillFindings(refused)).toEqual([{ text: 'the repository holds no snapshot: nothing to drill', paths: [] }]);
  });

  test('a pillar can come back from each remote its rclone jobs copy it to; a plan adds up its folders', () => {
    const job = (id: string, type: JobInfo['type'], source: string, destination: string) => ({ id, type, source, destination }) as JobInfo;
    const st = status({
      pillars: [{ id: 'space' }, { id: 'flux' }] as StatusResponse['pillars'],
      jobs: [
        job('space-offsite', 'rclone-sync', 'space:/', 'b2:bucket/space'),
        job('repo-offsite', 'rclone-sync', 'space:/backups/restic/flux', 'b2:bucket/space/backups/restic/flux'),
        job('flux-to-space', 'rclone-copy', 'flux:/x', 'space:/y'),
        job('flux-backup', 'restic-backup', 'flux:/', ''),
      ],
    });
    expect(recoverChoices(st)).toEqual([{ pillar: 'space', remote: 'b2', jobs: ['space-offsite', 'repo-offsite'] }]);
    const plan: RecoverPlan = {
      task: { kind: 'recover', pillar: 'space', remote: 'b2', bwlimit: null, pairs: [{ job: 'space-offsite', from: 'b2:bucket/space', to: 'space:/', exclude: [], repositories: [] }] },
      remoteHolds: [{ from: 'b2:bucket/space', files: 10, bytes: 1000 }],
      notOnRemote: [],
      pillarState: { path: '/space', mounted: true, sentinel: 'space', empty: true },
      resumes: null,
      refusal: null,
      digest: '0'.repeat(64),
    };
    expect(planTotals(plan)).toEqual({ files: 10, bytes: 1000 });
  });

  test('the recovery page has its route', () => {
    expect(parseRoute('#/recover')).toEqual({ page: 'recover' });
  });
});
