// The tray's self-update, as decisions without Electron: when to look for a new build (at start,
// once a day, after a wake that missed the day, on demand), that it downloads in the background,
// what the menu says, that a failed or cut-off download is tried again later, and that the app is
// restarted into the new build only when the user asks and no pillar has a file open. The effects
// (electron-updater: fetch the feed, download and verify, install) come through UpdateEngine; the
// Electron glue (src/main/electron/updater.ts) provides it.
import type { Timers } from '../tray/throttle';
import type { MenuItemSpec, Problem } from '../tray/types';
import type { SubsystemContext, TraySubsystem } from '../tray/controller';

/** What electron-updater does for us (one instance; calls are never overlapped by this module). */
export interface UpdateEngine {
  /** The newer version the server offers, or null when this build is current. */
  check(): Promise<{ version: string } | null>;
  /** Downloads and verifies (sha512; the code signature on Windows and macOS) the build check() found. */
  download(onProgress: (percent: number) => void): Promise<void>;
  /** Quits and starts the new build. */
  restartAndInstall(): void;
}

export type UpdaterState =
  | { kind: 'idle' }
  | { kind: 'checking'; manual: boolean }
  | { kind: 'current'; checkedAt: number }
  | { kind: 'downloading'; version: string; percent: number }
  | { kind: 'ready'; version: string }
  | { kind: 'failed'; what: 'check' | 'download'; error: string; retryAt: number };

export interface UpdaterOptions {
  engine: UpdateEngine;
  timers: Timers;
  /** The running version ("1.2.0"). */
  version: string;
  /** First check after start (default 15 s: the tray's own start comes first). */
  startDelayMs?: number;
  /** Default one day. */
  everyMs?: number;
  /** Waits before retrying a failed check or download, the last repeated (default 5 min, 30 min, 2 h). */
  retryMs?: readonly number[];
}

export const UPDATER_NAME = 'updates';

export interface Updater extends TraySubsystem {
  state(): UpdaterState;
}

const DAY = 24 * 60 * 60_000;

export function createUpdater(o: UpdaterOptions): Updater {
  const every = o.everyMs ?? DAY;
  const retries = o.retryMs ?? [5 * 60_000, 30 * 60_000, 2 * 60 * 60_000];
  let ctx: SubsystemContext | null = null;
  let state: UpdaterState = { kind: 'idle' };
  let timer: unknown = null;
  let failures = 0;
  let lastCheck = 0;
  let busy = false;
  let stopped = false;

  const set = (s: UpdaterState) => {
    state = s;
    ctx?.requestRender();
  };

  const schedule = (ms: number) => {
    if (timer !== null) o.timers.clearTimeout(timer);
    timer = stopped
      ? null
      : o.timers.setTimeout(() => {
          timer = null;
          void run(false);
        }, ms);
  };

  const failed = (what: 'check' | 'download', e: unknown) => {
    const wait = retries[Math.min(failures, retries.length - 1)]!;
    failures++;
    const error = e instanceof Error ? e.message : String(e);
    ctx?.log.warn(`update ${what} failed (again in ${Math.round(wait / 60_000)} min): ${error}`);
    set({ kind: 'failed', what, error, retryAt: o.timers.now() + wait });
    schedule(wait);
  };

  /** One round: ask the server, and download what it offers. */
  const run = async (manual: boolean): Promise<void> => {
    if (busy || stopped) return;
    if (state.kind === 'ready') {
      // the build is downloaded and verified: nothing to ask until it is installed
      if (manual) ctx?.notify({ key: 'update:ready', severity: 'info', title: `Pillars ${state.version} is ready`, body: 'Choose “Update ready – restart” in the menu, or it installs when you quit.', action: null });
      return;
    }
    if (!ctx?.target()) {
      set({ kind: 'idle' });
      schedule(every);
      return;
    }
    busy = true;
    set({ kind: 'checking', manual });
    let found: { version: string } | null;
    try {
      found = await o.engine.check();
      lastCheck = o.timers.now();
    } catch (e) {
      busy = false;
      if (manual) ctx?.notify({ key: 'update:check-failed', severity: 'warning', title: 'Could not check for updates', body: e instanceof Error ? e.message : String(e), action: null });
      return failed('check', e);
    }
    if (stopped) return void (busy = false);
    if (!found) {
      busy = false;
      failures = 0;
      set({ kind: 'current', checkedAt: lastCheck });
      if (manual) ctx?.notify({ key: 'update:current', severity: 'info', title: 'Pillars is up to date', body: `You have ${o.version}, the newest build your server offers.`, action: null });
      return schedule(every);
    }
    set({ kind: 'downloading', version: found.version, percent: 0 });
    try {
      await o.engine.download((percent) => {
        if (state.kind === 'downloading' && Math.floor(percent) !== Math.floor(state.percent)) set({ ...state, percent });
      });
    } catch (e) {
      busy = false;
      // electron-updater keeps nothing it could not verify: the next round downloads again
      return failed('download', e);
    }
    busy = false;
    if (stopped) return;
    failures = 0;
    set({ kind: 'ready', version: found.version });
    ctx?.notify({
      key: `update:ready:${found.version}`,
      severity: 'info',
      title: `Pillars ${found.version} is ready`,
      body: 'It installs when you quit Pillars, or choose “Update ready – restart” in the menu.',
      action: { kind: 'subsystem', name: UPDATER_NAME, action: 'restart' },
    });
  };

  const restart = async () => {
    if (state.kind !== 'ready') return;
    // unknown counts as open: nothing restarts while it cannot be told
    const open = ctx ? await ctx.openFiles().catch(() => null) : null;
    if (open !== 0) {
      ctx?.notify({
        key: 'update:files-open',
        severity: 'warning',
        title: 'Pillars did not restart',
        body:
          open === null
            ? 'It could not tell whether files are open on your pillars. Close them and quit Pillars: the update installs then.'
            : `${open} file${open === 1 ? ' is' : 's are'} open on your pillars. Close ${open === 1 ? 'it' : 'them'}, then choose “Update ready – restart” again.`,
        action: null,
      });
      return;
    }
    ctx?.log.info(`restarting into Pillars ${state.version}`);
    o.engine.restartAndInstall();
  };

  const view = (): { menu: MenuItemSpec[]; problems: Problem[] } => {
    const check: MenuItemSpec = { type: 'action', label: 'Check for updates', action: { kind: 'subsystem', name: UPDATER_NAME, action: 'check' } };
    switch (state.kind) {
      case 'idle':
        return { menu: ctx?.target() ? [check] : [], problems: [] };
      case 'checking':
        return { menu: [{ type: 'text', label: 'Checking for updates…' }], problems: [] };
      case 'current':
        return { menu: [check], problems: [] };
      case 'downloading':
        return { menu: [{ type: 'text', label: `Downloading Pillars ${state.version}… ${Math.floor(state.percent)} %` }], problems: [] };
      case 'ready':
        return { menu: [{ type: 'action', label: 'Update ready – restart', action: { kind: 'subsystem', name: UPDATER_NAME, action: 'restart' } }], problems: [] };
      case 'failed':
        return { menu: [{ type: 'text', label: `Update ${state.what} failed; trying again at ${clock(state.retryAt)}` }, check], problems: [] };
    }
  };

  return {
    name: UPDATER_NAME,
    state: () => state,
    start(c) {
      ctx = c;
      stopped = false;
      schedule(o.startDelayMs ?? 15_000);
    },
    stop() {
      stopped = true;
      if (timer !== null) o.timers.clearTimeout(timer);
      timer = null;
    },
    view,
    act(action) {
      if (action === 'check') void run(true);
      else if (action === 'restart') void restart();
      else ctx?.log.warn(`updates: no action ${action}`);
    },
    recheck(why) {
      // a machine asleep through the daily timer checks when it wakes (its timer may be late)
      if (why === 'wake' && !busy && state.kind !== 'ready' && state.kind !== 'failed' && o.timers.now() - lastCheck >= every) schedule(0);
    },
  };
}

const clock = (t: number) => new Date(t).toTimeString().slice(0, 5);
