// The tray's state and decisions, without Electron: the pillarsd token and connection, the mounts,
// sleep, Time Machine, the login item, the notification memory and the runs not yet told. The
// Electron glue (src/main/electron/app.ts) only renders what this hands it (model, notification,
// window to open) and forwards what the OS says (sleep, wake, network, menu clicks, IPC).
// Subsystems (a self-updater, say) plug in through TraySubsystem: their own lifecycle, menu lines
// and problems in the one model, and the actions they name.
import type { Run } from '../../../../server/src/contract/api';
import type { OsName, PillarState } from '../../../platform/types';
import type { ClientSettings, SettingsStore } from '../../../shared/settings';
import { buildTrayModel } from './model';
import { createThrottle, realTimers } from './throttle';
import type { Timers } from './throttle';
import type { MenuItemSpec, PillarView, Problem, TrayAction, TrayInput, TrayModel } from './types';
import { decide, initialState, toMemory } from '../notify/policy';
import type { NotificationSpec, PolicyState } from '../notify/policy';
import type { MemoryStore } from '../notify/memory';
import { createServerConnection } from '../server/connection';
import type { ServerConnection } from '../server/connection';
import type { ServerTarget } from '../server/http';
import { pair as pairWithServer } from '../server/pairing';

/** What the tray needs from the client core's mounts (the MountManager plus the platform's open/Time Machine). */
export interface MountsPort {
  status(): Array<{ id: string; label: string; state: PillarState; reason: string; freeBytes: number | null }>;
  onChange(fn: () => void): () => void;
  start(): void;
  stop(): Promise<void>;
  /** Without force, a pillar with files open on it stays mounted and says how many (openFiles). */
  remount(ids?: string[], opts?: { force?: boolean }): Promise<Array<{ id: string; label: string; openFiles?: number }>>;
  open(id: string): Promise<void>;
  nudge(why: 'wake' | 'network-change' | 'user'): void;
  /** New settings: the mounts follow them without a restart. */
  reconfigure?(s: ClientSettings): Promise<void>;
  timeMachine?(): Promise<{ latestBackupAt: string | null } | null>;
  /** Calls fn when Time Machine itself records something (a backup finished, a destination changed). */
  watchTimeMachine?(fn: () => void): () => void;
  /** Files open on the mounted pillars, null when the platform cannot tell. */
  countOpenFiles?(): Promise<number | null>;
}

/** The pillarsd token lives in the OS keychain (never in the settings file). */
export interface TokenStore {
  get(serverUrl: string): Promise<string | null>;
  set(serverUrl: string, token: string): Promise<void>;
}

export interface LoginState {
  enabled: boolean;
  /** macOS 13+: registered, but the user must allow it in System Settings. */
  needsApproval: boolean;
}

export interface LoginItem {
  get(): LoginState;
  set(enabled: boolean): LoginState;
}

export interface TrayLog {
  info(msg: string): void;
  warn(msg: string): void;
}

/** What the glue does for the controller: render, show, open, quit. */
export interface TrayUi {
  render(model: TrayModel): void;
  notify(n: NotificationSpec): void;
  openAdmin(route?: string): void;
  openPreferences(): void;
  quit(): void;
}

/** One more part of the tray with a life of its own (the self-updater): menu lines, problems, actions. */
export interface TraySubsystem {
  readonly name: string;
  start(ctx: SubsystemContext): void | Promise<void>;
  stop(): void | Promise<void>;
  /** Lines shown above "Open admin pane", and problems that colour the icon. */
  view?(): { menu: MenuItemSpec[]; problems: Problem[] };
  /** A menu or notification action `{ kind: 'subsystem', name, action }` addressed to it. */
  act?(action: string): void;
  /** After sleep or a network change. */
  recheck?(why: 'wake' | 'network-change'): void;
}

export interface SubsystemContext {
  requestRender(): void;
  notify(n: NotificationSpec): void;
  log: TrayLog;
  settings: SettingsStore;
  /** The paired server with its token, null before pairing. */
  target(): ServerTarget | null;
  /** Files open on the mounted pillars: null when unknown or before the mounts are attached. */
  openFiles(): Promise<number | null>;
}

export interface PairedServer {
  url: string;
  fingerprint: string | null;
  role: 'viewer' | 'admin';
}

export interface TrayControllerDeps {
  os: OsName;
  settings: SettingsStore;
  tokens: TokenStore;
  /** Builds the mounts once the settings allow mounting; null while they don't. */
  createMounts: (s: ClientSettings) => MountsPort | null | Promise<MountsPort | null>;
  memory: MemoryStore;
  loginItem: LoginItem;
  ui: TrayUi;
  log: TrayLog;
  /** An installed app honours settings.startAtLogin from the first start; a development run never registers itself. */
  packaged: boolean;
  timers?: Timers;
  /** Test knobs for the server connection (reconnect backoff, status coalescing). */
  connection?: { backoffMs?: readonly number[]; coalesceMs?: number; refreshMs?: number };
  tickMs?: number;
  /** How often Time Machine's status is read even when it says nothing (default 30 min). */
  timeMachineRefreshMs?: number;
  /** The token's name on the server ("Pillars tray on count-zero"), so it can be told apart and revoked. */
  deviceName?: string;
  subsystems?: readonly TraySubsystem[];
  /** What this client is, sent to pillarsd as X-Pillars-Client ("1.2.0 darwin"). */
  client?: string;
}

export interface TrayController {
  /** Reads the token, connects, registers the login item, attaches the mounts; opens the preferences on first run. */
  start(): Promise<void>;
  dispatch(a: TrayAction): void;
  model(): TrayModel | null;
  /** Forces a render now (tests; the throttle still guards the regular path). */
  renderNow(): void;
  readonly connection: ServerConnection;
  token(): string | null;
  /** The paired server with its token, null before pairing. */
  target(): ServerTarget | null;
  pair(url: string, fingerprint: string | null, code: string): Promise<PairedServer>;
  sleep(): void;
  wake(): void;
  networkChanged(): void;
  dispose(): Promise<void>;
}

export function createTrayController(d: TrayControllerDeps): TrayController {
  const { log, ui } = d;
  const timers = d.timers ?? realTimers;
  const subsystems = d.subsystems ?? [];
  let token: string | null = null;
  let asleep = false;
  let mounts: MountsPort | null = null;
  const mountDisposers: Array<() => void> = [];
  let timeMachine: { latestBackupAt: string | null } | null = null;
  let login: LoginState = safeLogin(() => d.loginItem.get(), log) ?? { enabled: false, needsApproval: false };
  let policy: PolicyState = initialState(d.memory.load());
  let lastModel: TrayModel | null = null;
  const pendingRuns: Run[] = [];
  const disposers: Array<() => void> = [];
  let attaching: Promise<void> | null = null;
  let disposed = false;

  const target = (): ServerTarget | null => {
    const s = d.settings.get();
    if (!s.server.url || !token) return null;
    return { url: s.server.url, fingerprint: s.server.fingerprint || null, token, ...(d.client ? { client: d.client } : {}) };
  };

  const show = (n: NotificationSpec) => {
    log.info(`notify [${n.severity}] ${n.title}`);
    if (d.settings.get().notifications) ui.notify(n);
  };

  const render = () => {
    const pillars: PillarView[] = (mounts?.status() ?? []).map((p) => ({ id: p.id, label: p.label, state: p.state, reason: p.reason || null, freeBytes: p.freeBytes }));
    const snap = connection.snapshot();
    const input: TrayInput = {
      now: timers.now(),
      os: d.os,
      location: pillars.some((p) => p.state === 'away') ? 'away' : 'home',
      pillars,
      server: { connection: snap.connection, status: snap.status, host: snap.host },
      timeMachine: d.os === 'darwin' ? timeMachine : null,
      startAtLogin: login.enabled,
      extras: subsystems.flatMap((s) => (s.view ? [s.view()] : [])),
    };
    lastModel = buildTrayModel(input);
    ui.render(lastModel);
    const before = JSON.stringify(policy.memory);
    const r = decide(policy, { now: input.now, asleep, location: input.location, pillars, connection: snap.connection, host: snap.host, status: snap.status, runs: pendingRuns.splice(0) });
    policy = r.state;
    if (JSON.stringify(policy.memory) !== before) {
      try {
        d.memory.save(toMemory(policy));
      } catch (e) {
        log.warn(`cannot save the notification memory: ${(e as Error).message}`);
      }
    }
    for (const n of r.notifications) show(n);
  };
  const throttle = createThrottle(render, 1_000, timers);

  const connection = createServerConnection({
    target,
    timers,
    onChange: () => throttle.request(),
    onRun: (run) => {
      pendingRuns.push(run);
      throttle.request();
    },
    ...d.connection,
  });

  const refreshTimeMachine = async () => {
    if (d.os !== 'darwin' || !mounts?.timeMachine) return;
    try {
      timeMachine = await mounts.timeMachine();
      throttle.request();
    } catch (e) {
      log.warn(`Time Machine status unavailable: ${(e as Error).message}`);
    }
  };

  const attachMounts = (s: ClientSettings): Promise<void> => {
    if (mounts || attaching) return attaching ?? Promise.resolve();
    attaching = (async () => {
      let m: MountsPort | null;
      try {
        m = await d.createMounts(s);
      } catch (e) {
        log.warn(`mounts not started: ${(e as Error).message}`);
        m = null;
      }
      if (!m) return;
      if (disposed) {
        await m.stop();
        return;
      }
      mounts = m;
      mountDisposers.push(m.onChange(() => throttle.request()));
      if (d.os === 'darwin' && m.watchTimeMachine) mountDisposers.push(m.watchTimeMachine(() => void refreshTimeMachine()));
      m.start();
      throttle.request();
      void refreshTimeMachine();
    })().finally(() => {
      attaching = null;
    });
    return attaching;
  };

  /** The preferences page changes settings.startAtLogin; the OS login item follows it. */
  const syncLoginItem = (s: ClientSettings) => {
    if (s.startAtLogin === login.enabled) return;
    const next = safeLogin(() => d.loginItem.set(s.startAtLogin), log);
    if (next) login = next;
  };

  const recheck = (why: 'wake' | 'network-change') => {
    log.info(`re-checking after ${why}`);
    connection.recheck();
    mounts?.nudge(why);
    for (const s of subsystems) s.recheck?.(why);
    void refreshTimeMachine();
    throttle.request();
  };

  /** A remount that would close open files waits for the user's word: a notification that asks. */
  const askToForce = (ps: Array<{ id: string; label: string; openFiles?: number }>) => {
    for (const p of ps) {
      if (!p.openFiles) continue;
      const n = `${p.openFiles} ${p.openFiles === 1 ? 'file or folder is' : 'files or folders are'}`;
      show({
        key: `remount:${p.id}:busy`,
        severity: 'warning',
        title: `${p.label}: not remounted`,
        body: `${n} open on it. Click to remount anyway (they are closed under the programs using them).`,
        action: { kind: 'remount', id: p.id, force: true },
      });
    }
  };

  function dispatch(a: TrayAction): void {
    const fail = (what: string) => (e: unknown) => log.warn(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    switch (a.kind) {
      case 'open-pillar':
        mounts?.open(a.id).catch(fail(`opening ${a.id}`));
        return;
      case 'remount':
        mounts?.remount([a.id], { force: a.force === true }).then(askToForce, fail(`remounting ${a.id}`));
        return;
      case 'remount-all':
        mounts?.remount().then(askToForce, fail('remounting'));
        return;
      case 'open-admin':
        return ui.openAdmin();
      case 'open-run':
        return ui.openAdmin(`#/runs/${encodeURIComponent(a.runId)}`);
      case 'preferences':
        return ui.openPreferences();
      case 'toggle-start-at-login': {
        const next = safeLogin(() => d.loginItem.set(!login.enabled), log);
        if (next) {
          login = next;
          try {
            d.settings.set('startAtLogin', next.enabled);
          } catch (e) {
            fail('saving startAtLogin')(e);
          }
          if (next.needsApproval) {
            show({ key: 'login-item:approval', severity: 'info', title: 'Allow Pillars to start at login', body: 'macOS asks you to allow it in System Settings › General › Login Items.', action: null });
          }
        }
        throttle.request();
        return;
      }
      case 'subsystem': {
        const s = subsystems.find((x) => x.name === a.name);
        if (!s?.act) return log.warn(`no subsystem ${a.name} to ${a.action}`);
        try {
          s.act(a.action);
        } catch (e) {
          fail(`${a.name} ${a.action}`)(e);
        }
        throttle.request();
        return;
      }
      case 'quit':
        ui.quit();
        return;
    }
  }

  // Ages ("3 h ago") and debounces (a pillar lost for a minute) need time to pass between changes.
  const tick = () => {
    throttle.request();
    tickTimer = timers.setTimeout(tick, d.tickMs ?? 15_000);
  };
  let tickTimer: unknown = null;
  // Time Machine tells us when it writes its state (watchTimeMachine); this timer catches what no
  // event announces (a backup's age crossing the warning line on an always-on Mac).
  const tmTick = () => {
    void refreshTimeMachine();
    tmTimer = timers.setTimeout(tmTick, d.timeMachineRefreshMs ?? 30 * 60_000);
  };
  let tmTimer: unknown = null;

  disposers.push(
    d.settings.onChange((s) => {
      if (mounts?.reconfigure) mounts.reconfigure(s).catch((e: unknown) => log.warn(`new settings not applied to the mounts: ${(e as Error).message}`));
      else void attachMounts(s);
      syncLoginItem(s);
      throttle.request();
    }),
  );

  return {
    async start() {
      tickTimer = timers.setTimeout(tick, d.tickMs ?? 15_000);
      if (d.os === 'darwin') tmTimer = timers.setTimeout(tmTick, d.timeMachineRefreshMs ?? 30 * 60_000);
      const url = d.settings.get().server.url;
      if (url) {
        try {
          token = await d.tokens.get(url);
        } catch (e) {
          log.warn(`cannot read the server token from the keychain: ${(e as Error).message}`);
        }
      }
      connection.start();
      if (d.packaged) syncLoginItem(d.settings.get());
      for (const s of subsystems) {
        try {
          await s.start({ requestRender: () => throttle.request(), notify: show, log, settings: d.settings, target, openFiles: async () => (mounts?.countOpenFiles ? mounts.countOpenFiles() : null) });
        } catch (e) {
          log.warn(`${s.name} not started: ${(e as Error).message}`);
        }
      }
      throttle.request();
      await attachMounts(d.settings.get());
      if (!target()) ui.openPreferences(); // first run: pairing happens in the preferences
    },
    dispatch,
    model: () => lastModel,
    renderNow: render,
    connection,
    token: () => token,
    target,
    async pair(url, fingerprint, code) {
      const paired = await pairWithServer(url, fingerprint, code, { deviceName: d.deviceName });
      await d.tokens.set(paired.url, paired.token);
      token = paired.token;
      const s = d.settings.get();
      d.settings.set('server', { url: paired.url, fingerprint: paired.fingerprint ?? '' });
      if (!s.smb.host) d.settings.set('smb', { ...s.smb, host: new URL(paired.url).hostname });
      log.info(`paired with ${paired.url} as ${paired.role}`);
      connection.recheck();
      return { url: paired.url, fingerprint: paired.fingerprint, role: paired.role };
    },
    sleep() {
      asleep = true;
      throttle.request();
    },
    wake() {
      asleep = false;
      recheck('wake');
    },
    networkChanged() {
      recheck('network-change');
    },
    async dispose() {
      disposed = true;
      await attaching;
      throttle.cancel();
      timers.clearTimeout(tickTimer);
      timers.clearTimeout(tmTimer);
      connection.stop();
      for (const f of disposers.splice(0)) f();
      for (const f of mountDisposers.splice(0)) f();
      for (const s of subsystems) await Promise.resolve(s.stop()).catch((e: unknown) => log.warn(`${s.name} did not stop: ${(e as Error).message}`));
      await mounts?.stop();
    },
  };
}

function safeLogin(f: () => LoginState, log: TrayLog): LoginState | null {
  try {
    return f();
  } catch (e) {
    log.warn(`start at login: ${(e as Error).message}`);
    return null;
  }
}
