// The tray controller without Electron: its state (token, sleep, login item, Time Machine), its
// notification memory across a restart, settings that apply live, and the subsystem seam, with a
// manual clock, the real settings store (conf) and memory file in a temp folder, a recording UI
// and a recording mounts port. The Electron glue around it is glue.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTrayController } from '../../src/main/core/tray/controller';
import type { LoginState, TrayController, TrayControllerDeps, TraySubsystem } from '../../src/main/core/tray/controller';
import type { NotificationSpec } from '../../src/main/core/notify/policy';
import type { TrayModel } from '../../src/main/core/tray/types';
import type { ClientSettings } from '../../src/shared/settings';
import { fileMemoryStore } from '../../src/main/core/notify/memory';
import { openSettings } from '../../src/main/core/settings/store';
import { PILLAR_DEBOUNCE_MS } from '../../src/main/core/notify/policy';
import { RecordingMounts, manualTimers } from './fixtures';

const dirs: string[] = [];
const controllers: TrayController[] = [];
afterEach(async () => {
  for (const c of controllers.splice(0)) await c.dispose();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

class ReconfigurableMounts extends RecordingMounts {
  applied: ClientSettings[] = [];
  tm: { latestBackupAt: string | null } = { latestBackupAt: '2026-11-25T10:00:00.000Z' };
  tmReads = 0;
  tmListener: (() => void) | null = null;
  async reconfigure(s: ClientSettings) {
    this.applied.push(s);
  }
  async timeMachine() {
    this.tmReads++;
    return this.tm;
  }
  watchTimeMachine(fn: () => void) {
    this.tmListener = fn;
    return () => (this.tmListener = null);
  }
}

async function setup(o: { dir?: string; settings?: Record<string, unknown>; tokens?: Record<string, string>; os?: TrayControllerDeps['os']; subsystems?: TraySubsystem[]; packaged?: boolean } = {}) {
  const dir = o.dir ?? mkdtempSync(path.join(os.tmpdir(), 'pillars-ctl-'));
  if (!o.dir) {
    dirs.push(dir);
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(o.settings ?? {}), { mode: 0o600 });
  }
  const t = manualTimers(Date.parse('2026-11-25T12:00:00Z'));
  const ui = { renders: [] as TrayModel[], notes: [] as NotificationSpec[], opened: [] as string[], quit: 0 };
  const logs: string[] = [];
  const mounts = new ReconfigurableMounts();
  let login: LoginState = { enabled: false, needsApproval: false };
  const loginCalls: boolean[] = [];
  const settings = openSettings({ file: path.join(dir, 'config.json') });
  const tokens = new Map(Object.entries(o.tokens ?? {}));
  const c = createTrayController({
    os: o.os ?? 'linux',
    settings,
    tokens: { get: async (u) => tokens.get(u) ?? null, set: async (u, v) => void tokens.set(u, v) },
    createMounts: () => mounts,
    memory: fileMemoryStore(path.join(dir, 'notifications.json')),
    loginItem: {
      get: () => login,
      set: (enabled) => {
        loginCalls.push(enabled);
        login = { enabled, needsApproval: false };
        return login;
      },
    },
    ui: {
      render: (m) => ui.renders.push(m),
      notify: (n) => ui.notes.push(n),
      openAdmin: (route) => ui.opened.push(`admin ${route ?? '#/'}`),
      openPreferences: () => ui.opened.push('preferences'),
      quit: () => void ui.quit++,
    },
    log: { info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`) },
    packaged: o.packaged ?? false,
    timers: t,
    tickMs: 15_000,
    timeMachineRefreshMs: 600_000,
    ...(o.subsystems ? { subsystems: o.subsystems } : {}),
  });
  controllers.push(c);
  await c.start();
  return { c, t, ui, logs, mounts, settings, dir, loginCalls, tokens };
}

const labels = (m: TrayModel | null) => (m?.menu ?? []).map((i) => ('label' in i ? i.label : '—'));

describe('tray controller', () => {
  it('first run: no token, so the preferences open; pairing stores the token and points the settings at the server', async () => {
    const s = await setup();
    expect(s.ui.opened).toEqual(['preferences']);
    expect(s.c.token()).toBeNull();
    expect(s.c.connection.snapshot().connection).toBe('unpaired');
    expect(s.mounts.calls).toEqual([['start']]);
    await expect(s.c.pair('http://127.0.0.1:9', null, 'ABCD-EFGH')).rejects.toThrow();
    expect(s.c.token()).toBeNull(); // nothing stored for a failed pairing
    expect(s.tokens.size).toBe(0);
  });

  it('a known token is read from the keychain at start, and nothing opens by itself', async () => {
    const s = await setup({ settings: { server: { url: 'http://127.0.0.1:9', fingerprint: '' } }, tokens: { 'http://127.0.0.1:9': 'tok' } });
    expect(s.c.token()).toBe('tok');
    expect(s.ui.opened).toEqual([]);
    for (let i = 0; i < 100 && s.c.connection.snapshot().connection === 'unpaired'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(s.c.connection.snapshot().connection).not.toBe('unpaired');
  });

  it('a rejected password is told once; nothing is told while asleep; with notifications off it is logged only', async () => {
    const s = await setup();
    s.t.advance(1_000);
    s.mounts.set('flux', 'failed-auth', 'motoko rejected the password');
    s.t.advance(1_000);
    expect(s.ui.notes.map((n) => n.title)).toEqual(['Flux: password rejected']);
    expect(s.ui.notes[0]!.action).toEqual({ kind: 'preferences' });
    s.t.advance(60_000);
    expect(s.ui.notes).toHaveLength(1);

    s.c.sleep();
    s.mounts.set('space', 'unmounted', 'lost');
    s.t.advance(PILLAR_DEBOUNCE_MS + 20_000);
    expect(s.ui.notes).toHaveLength(1); // asleep: the lost pillar is not told
    s.c.wake();
    expect(s.mounts.calls).toContainEqual(['nudge', 'wake']);

    s.settings.set('notifications', false);
    const shown = s.ui.notes.length;
    s.mounts.set('space', 'failed-auth', 'rejected');
    s.t.advance(2_000);
    expect(s.logs.some((l) => l.includes('notify [critical] Space: password rejected'))).toBe(true);
    expect(s.ui.notes).toHaveLength(shown); // logged, not shown
  });

  it('settings changes reach the mounts at once and the login item follows startAtLogin', async () => {
    const s = await setup();
    s.settings.set('smb', { host: 'motoko', username: 'mike', domain: '' });
    expect(s.mounts.applied.at(-1)!.smb.host).toBe('motoko');
    s.settings.set('startAtLogin', true);
    expect(s.loginCalls).toEqual([true]);
    s.c.dispatch({ kind: 'toggle-start-at-login' });
    expect(s.loginCalls).toEqual([true, false]);
    expect(s.settings.get().startAtLogin).toBe(false);
    s.c.dispatch({ kind: 'quit' });
    expect(s.ui.quit).toBe(1);
  });

  it('a remount that would close open files asks first; the answer remounts with force', async () => {
    const s = await setup();
    s.mounts.openFiles['flux'] = 3;
    s.c.dispatch({ kind: 'remount', id: 'flux' });
    await new Promise((r) => setTimeout(r, 10));
    expect(s.mounts.calls).toContainEqual(['remount', ['flux']]);
    const ask = s.ui.notes.find((n) => n.title === 'Flux: not remounted')!;
    expect(ask.body).toMatch(/^3 files or folders are open on it\. Click to remount anyway/);
    expect(ask.action).toEqual({ kind: 'remount', id: 'flux', force: true });
    s.c.dispatch(ask.action!);
    await new Promise((r) => setTimeout(r, 10));
    expect(s.mounts.calls).toContainEqual(['remount', ['flux'], 'force']);
    expect(s.ui.notes.filter((n) => n.title === 'Flux: not remounted')).toHaveLength(1);
  });

  it('an installed app registers the login item from the first start; a development run does not', async () => {
    expect((await setup({ packaged: true })).loginCalls).toEqual([true]);
    expect((await setup({ packaged: false })).loginCalls).toEqual([]);
  });

  it("macOS: Time Machine is read at start, on Time Machine's own events and on a timer", async () => {
    const s = await setup({ os: 'darwin' });
    await Promise.resolve();
    expect(s.mounts.tmReads).toBe(1);
    s.mounts.tmListener!();
    await Promise.resolve();
    expect(s.mounts.tmReads).toBe(2);
    s.t.advance(600_000);
    await Promise.resolve();
    expect(s.mounts.tmReads).toBe(3);
    s.t.advance(1_000);
    expect(labels(s.c.model()).some((l) => l.startsWith('Time Machine: this Mac'))).toBe(true);
    const linux = await setup({ os: 'linux' });
    linux.t.advance(600_000);
    expect(linux.mounts.tmReads).toBe(0);
    expect(linux.mounts.tmListener).toBeNull();
  });

  it('a subsystem adds menu lines and problems, receives its actions, hears wake-ups and is stopped', async () => {
    const events: string[] = [];
    let ready = false;
    const updater: TraySubsystem = {
      name: 'updates',
      start: (ctx) => {
        events.push('start');
        ready = true;
        ctx.requestRender();
      },
      stop: () => void events.push('stop'),
      view: () => ({
        menu: ready ? [{ type: 'action', label: 'Restart to update', action: { kind: 'subsystem', name: 'updates', action: 'install' } }] : [],
        problems: ready ? [{ severity: 'info', text: 'an update is ready' }] : [],
      }),
      act: (a) => void events.push(`act ${a}`),
      recheck: (why) => void events.push(`recheck ${why}`),
    };
    const s = await setup({ subsystems: [updater] });
    s.t.advance(1_000);
    const menu = labels(s.c.model());
    expect(menu.indexOf('Restart to update')).toBeLessThan(menu.indexOf('Open admin pane'));
    expect(s.c.model()!.problems).toContainEqual({ severity: 'info', text: 'an update is ready' });
    s.c.dispatch({ kind: 'subsystem', name: 'updates', action: 'install' });
    s.c.networkChanged();
    s.c.dispatch({ kind: 'subsystem', name: 'nope', action: 'x' });
    expect(s.logs).toContain('warn no subsystem nope to x');
    await s.c.dispose();
    controllers.splice(controllers.indexOf(s.c), 1);
    expect(events).toEqual(['start', 'act install', 'recheck network-change', 'stop']);
  });
});
