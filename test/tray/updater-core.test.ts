// The tray's update decisions (src/main/core/updates/updater.ts) on a manual clock, through the
// tray controller's subsystem seam: when it checks (start, daily, wake after a missed day, on
// demand), that it downloads in the background and offers "Update ready – restart", that a failed
// download is retried later with growing waits, and that it never restarts while a pillar has open
// files. electron-updater behind UpdateEngine is driven for real in test/tray/updater.test.ts.
import { describe, expect, it } from 'vitest';
import { createUpdater } from '../../src/main/core/updates/updater';
import type { UpdateEngine } from '../../src/main/core/updates/updater';
import type { SubsystemContext } from '../../src/main/core/tray/controller';
import type { NotificationSpec } from '../../src/main/core/notify/policy';
import type { MenuItemSpec } from '../../src/main/core/tray/types';
import { manualTimers } from './fixtures';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

/** An engine whose every call waits for the test to settle it. */
function scriptedEngine() {
  const calls: string[] = [];
  let pending: { resolve: (v: unknown) => void; reject: (e: Error) => void } | null = null;
  const wait = <T>(name: string) =>
    new Promise<T>((resolve, reject) => {
      calls.push(name);
      pending = { resolve: resolve as (v: unknown) => void, reject };
    });
  const engine: UpdateEngine = {
    check: () => wait('check'),
    download: (onProgress) => {
      onProgress(40);
      return wait('download');
    },
    restartAndInstall: () => void calls.push('restart'),
  };
  const settle = async (v: unknown) => {
    const p = pending!;
    pending = null;
    p.resolve(v);
    await flush();
  };
  const fail = async (e: Error) => {
    const p = pending!;
    pending = null;
    p.reject(e);
    await flush();
  };
  return { engine, calls, settle, fail, busy: () => pending !== null };
}

const flush = () => new Promise((r) => setImmediate(r));

function setup(o: { paired?: boolean; openFiles?: number | null } = {}) {
  const manual = manualTimers(Date.parse('2026-12-04T08:00:00Z'));
  // a sleeping machine's wall clock moves while its timers stand still
  let slept = 0;
  const timers = { ...manual, now: () => manual.now() + slept };
  const e = scriptedEngine();
  const notes: NotificationSpec[] = [];
  let open: number | null = o.openFiles ?? 0;
  let paired = o.paired ?? true;
  const updater = createUpdater({ engine: e.engine, timers, version: '1.2.0', startDelayMs: 15_000 });
  let renders = 0;
  const ctx: SubsystemContext = {
    requestRender: () => void renders++,
    notify: (n) => void notes.push(n),
    log: { info: () => undefined, warn: () => undefined },
    settings: null as never,
    target: () => (paired ? { url: 'https://motoko:8443', fingerprint: 'AA:'.repeat(31) + 'AA', token: 'pil_x' } : null),
    openFiles: async () => open,
  };
  void updater.start(ctx);
  const labels = () => updater.view!().menu.map((m: MenuItemSpec) => ('label' in m ? m.label : m.type));
  return { updater, timers, e, notes, labels, sleep: (ms: number) => void (slept += ms), setOpen: (n: number | null) => void (open = n), setPaired: (p: boolean) => void (paired = p), renders: () => renders };
}

describe('tray updater core', () => {
  it('checks shortly after start and then once a day, quietly when nothing is new', async () => {
    const t = setup();
    t.timers.advance(14_999);
    expect(t.e.calls).toEqual([]);
    t.timers.advance(1);
    expect(t.e.calls).toEqual(['check']);
    expect(t.labels()).toEqual(['Checking for updates…']);
    await t.e.settle(null);
    expect(t.updater.state().kind).toBe('current');
    expect(t.labels()).toEqual(['Check for updates']);
    expect(t.notes).toEqual([]); // an automatic check that finds nothing says nothing
    t.timers.advance(DAY - 1);
    expect(t.e.calls).toEqual(['check']);
    t.timers.advance(1);
    expect(t.e.calls).toEqual(['check', 'check']);
  });

  it('downloads what it finds in the background, then offers "Update ready – restart" and stops asking', async () => {
    const t = setup();
    t.timers.advance(15_000);
    await t.e.settle({ version: '1.3.0' });
    expect(t.e.calls).toEqual(['check', 'download']);
    expect(t.labels()).toEqual(['Downloading Pillars 1.3.0… 40 %']);
    await t.e.settle(undefined);
    expect(t.updater.state()).toEqual({ kind: 'ready', version: '1.3.0' });
    expect(t.labels()).toEqual(['Update ready – restart']);
    expect(t.notes.map((n) => n.title)).toEqual(['Pillars 1.3.0 is ready']);
    expect(t.notes[0]!.action).toEqual({ kind: 'subsystem', name: 'updates', action: 'restart' });
    t.timers.advance(3 * DAY);
    expect(t.e.calls).toEqual(['check', 'download']); // nothing more to fetch until it is installed
    expect(t.timers.pending()).toBe(0);
  });

  it('retries a failed download later, waiting longer each time, and keeps no half state', async () => {
    const t = setup();
    t.timers.advance(15_000);
    await t.e.settle({ version: '1.3.0' });
    await t.e.fail(new Error('sha512 checksum mismatch, expected AAA, got BBB'));
    const s = t.updater.state();
    expect(s).toMatchObject({ kind: 'failed', what: 'download', error: 'sha512 checksum mismatch, expected AAA, got BBB' });
    expect(t.labels()[0]).toMatch(/^Update download failed; trying again at \d\d:\d\d$/);
    expect(t.labels()).toContain('Check for updates');
    t.timers.advance(5 * MIN - 1);
    expect(t.e.calls).toEqual(['check', 'download']);
    t.timers.advance(1);
    expect(t.e.calls).toEqual(['check', 'download', 'check']);
    await t.e.settle({ version: '1.3.0' });
    await t.e.fail(new Error('socket hang up')); // cut off half way
    t.timers.advance(30 * MIN - 1);
    expect(t.e.calls.length).toBe(4);
    t.timers.advance(1);
    await t.e.settle({ version: '1.3.0' });
    await t.e.settle(undefined);
    expect(t.updater.state()).toEqual({ kind: 'ready', version: '1.3.0' });
  });

  it('never restarts while a pillar has open files (or when it cannot tell); restarts when none are', async () => {
    const t = setup({ openFiles: 3 });
    t.timers.advance(15_000);
    await t.e.settle({ version: '1.3.0' });
    await t.e.settle(undefined);
    t.updater.act!('restart');
    await flush();
    expect(t.e.calls).not.toContain('restart');
    expect(t.notes.at(-1)).toMatchObject({ key: 'update:files-open', title: 'Pillars did not restart', body: '3 files are open on your pillars. Close them, then choose “Update ready – restart” again.' });
    t.setOpen(null);
    t.updater.act!('restart');
    await flush();
    expect(t.e.calls).not.toContain('restart');
    expect(t.notes.at(-1)!.body).toMatch(/could not tell whether files are open/);
    t.setOpen(0);
    t.updater.act!('restart');
    await flush();
    expect(t.e.calls.at(-1)).toBe('restart');
  });

  it('checks on demand and says what it found; a failed manual check says why', async () => {
    const t = setup();
    t.updater.act!('check');
    expect(t.e.calls).toEqual(['check']);
    await t.e.settle(null);
    expect(t.notes.at(-1)).toMatchObject({ title: 'Pillars is up to date', body: 'You have 1.2.0, the newest build your server offers.' });
    t.updater.act!('check');
    await t.e.fail(new Error("the server's certificate fingerprint AA:… is not the paired BB:…"));
    expect(t.notes.at(-1)).toMatchObject({ title: 'Could not check for updates', body: "the server's certificate fingerprint AA:… is not the paired BB:…" });
    expect(t.updater.state()).toMatchObject({ kind: 'failed', what: 'check' });
  });

  it('asks nothing before pairing; after a wake that missed the daily check, checks at once', async () => {
    const t = setup({ paired: false });
    t.timers.advance(15_000);
    expect(t.e.calls).toEqual([]);
    expect(t.labels()).toEqual([]);
    t.setPaired(true);
    t.updater.act!('check');
    await t.e.settle(null);
    t.sleep(10 * 60 * MIN);
    t.updater.recheck!('wake');
    t.timers.advance(0);
    expect(t.e.calls).toEqual(['check']); // checked less than a day ago
    t.sleep(DAY);
    t.updater.recheck!('wake');
    t.timers.advance(0);
    expect(t.e.calls).toEqual(['check', 'check']);
  });
});
