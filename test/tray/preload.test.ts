// The preload as Electron would load it, with `electron` replaced by the recording stand-in
// through vi.mock (the Electron binary can't run here). It must expose exactly the typed bridge,
// and every call must go through the main process's sender-checked handlers.
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { ElectronStandin } from '../support/electron-standin';
import { registerIpc } from '../../src/main/electron/ipc';
import { openSettings } from '../../src/main/core/settings/store';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const holder = vi.hoisted(() => ({ standin: null as ElectronStandin | null }));
vi.mock('electron', async () => {
  const { createElectronStandin } = await import('../support/electron-standin');
  holder.standin = createElectronStandin();
  return holder.standin.electron;
});

const dir = mkdtempSync(path.join(os.tmpdir(), 'pillars-preload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('preload', () => {
  it('exposes only window.pillars with the typed members, forwarding to checked handlers', async () => {
    process.argv.push('--pillars-server=https://motoko:8443');
    await import('../../src/preload/index');
    const { electron, control } = holder.standin!;
    expect(control.calls.filter((c) => c.api === 'contextBridge.exposeInMainWorld').map((c) => c.args[0])).toEqual(['pillars']);
    const api = control.exposed.get('pillars') as Record<string, unknown> & { settings: { get(): Promise<unknown>; set(p: unknown): Promise<unknown> }; setup: Record<string, unknown>; adminToken(): Promise<unknown> };
    expect(Object.keys(api).sort()).toEqual(['adminToken', 'serverUrl', 'settings', 'setup']);
    expect(Object.keys(api.settings).sort()).toEqual(['get', 'set']);
    expect(Object.keys(api.setup).sort()).toEqual(['pair', 'probe']);
    expect(api.serverUrl).toBe('https://motoko:8443');
    // nothing Node-ish leaks through the bridge
    expect(Object.values(api).some((v) => typeof v === 'object' && v !== null && ('require' in v || 'process' in v))).toBe(false);

    const file = path.join(dir, 'config.json');
    writeFileSync(file, '{}');
    registerIpc(electron, {
      settings: await openSettings({ file }),
      token: async () => 'tok',
      probe: async () => ({ url: 'u', fingerprint: null, version: 'v' }),
      pair: async () => ({ url: 'u', fingerprint: null, role: 'admin' }),
      serverUrl: () => 'https://motoko:8443',
      log: () => {},
    });
    control.setPreloadSender('pillars://app/index.html#/preferences');
    expect(((await api.settings.get()) as { links: boolean }).links).toBe(true);
    expect(await api.adminToken()).toBe('tok');
    control.setPreloadSender('https://evil.example/');
    await expect(api.adminToken()).rejects.toThrow(/not available to this page/);
    await expect(api.settings.set({ notifications: false })).rejects.toThrow(/not available/);
  });
});
