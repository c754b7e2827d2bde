// electron-updater's own code (DebUpdater, its generic provider, its download and sha512 check)
// against a real pillarsd (serve in-process, TLS auto: a self-signed certificate), in Node under
// the Electron stand-in: the Electron binary cannot run here, so Electron reaches electron-updater
// only through the AppAdapter src/main/electron/updater.ts builds from the ElectronPort. Every
// request goes through the tray's pinned TLS (PinnedHttpExecutor): a newer build is found,
// downloaded and verified; a tampered build is refused and nothing of it kept, then fetched whole
// on the retry; an older build is ignored; a wrong pin or another host gets no request at all.
// The Windows (Authenticode) and macOS (Squirrel.Mac) signature checks need those systems.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/src/config/load';
import { startServe, type Served } from '../../server/src/cli/commands/serve';
import { serverLog } from '../../server/src/infra/log';
import { UpdateService } from '../../server/src/updates/service';
import { PinMismatchError } from '../../src/main/core/server/http';
import type { ServerTarget } from '../../src/main/core/server/http';
import { NotPairedServerError } from '../../src/main/core/updates/pinned-executor';
import { createElectronUpdateEngine } from '../../src/main/electron/updater';
import { createElectronStandin } from '../support/electron-standin';
import { useCleanup } from '../support/tmp';
import { sha512b64, writeTrayRelease } from '../support/tray-release';
import type { TrayRelease } from '../support/tray-release';
import { makeSandbox } from '../server/jobs/sandbox';
import { startHarness, waitFor } from './harness';

const reg = useCleanup();
const sb = makeSandbox(reg);
const work = reg.tempDir('pillars-updater-').path;
let s: Served;
let token: string;
let r110: TrayRelease;
const DEB = 'latest-linux.yml';

beforeAll(async () => {
  s = await startServe({ file: sb.configFile, config: parseConfig(sb.yaml, sb.configFile), text: sb.yaml }, { host: '127.0.0.1', port: 0, tls: 'auto', logger: serverLog({ level: 'error' }) });
  reg.add(() => s.stop());
  token = s.tokens.create({ role: 'viewer', name: 'Pillars tray on wintermute' }).token;
  r110 = writeTrayRelease(work, '1.1.0', 256 * 1024);
  await new UpdateService(sb.state).add([path.join(r110.dir, DEB)], 'stable');
  // what electron-builder writes into the app's resources with the generic publish config
  writeFileSync(path.join(work, 'app-update.yml'), 'provider: generic\nurl: https://motoko.invalid/api/v1/updates/\nupdaterCacheDirName: pillars-updater\n');
  // and, in a deb's resources, the marker that picks the deb updater
  writeFileSync(path.join(work, 'package-type'), 'deb\n');
}, 120_000);
afterAll(() => reg.run());

let n = 0;
/** An installed tray of `version` (isPackaged) with its own cache folder. */
function tray(version: string, target: Partial<ServerTarget> = {}) {
  const { electron, control } = createElectronStandin({ platform: 'linux', userData: path.join(work, `user-${++n}`) });
  control.ready();
  electron.app.isPackaged = true;
  electron.app.version = version;
  const cacheDir = path.join(work, `cache-${n}`);
  const logged: string[] = [];
  const log = { info: (m: string) => void logged.push(m), warn: (m: string) => void logged.push(m), error: (m: string) => void logged.push(m) };
  const t: ServerTarget = { url: s.url, fingerprint: s.fingerprint, token, client: `${version} linux`, ...target };
  const { engine, updater } = createElectronUpdateEngine(electron, { os: 'linux', target: () => t, log: log as never, resourcesPath: work, cacheDir });
  const pending = () => {
    const dir = path.join(cacheDir, 'pillars-updater', 'pending');
    return existsSync(dir) ? readdirSync(dir).filter((f) => !f.endsWith('.json')) : [];
  };
  return { engine, updater, pending, dir: path.join(cacheDir, 'pillars-updater', 'pending'), logged };
}

describe('electron-updater against a real pillarsd through the pinned TLS', { timeout: 60_000 }, () => {
  it('finds a newer build, downloads it in the background and verifies its sha512', async () => {
    const t = tray('1.0.0');
    const downloaded: string[] = [];
    t.updater.on('update-downloaded', (info: { version: string }) => void downloaded.push(info.version));
    expect(await t.engine.check()).toEqual({ version: '1.1.0' });
    const progress: number[] = [];
    await t.engine.download((p) => progress.push(p));
    expect(downloaded).toEqual(['1.1.0']);
    expect(t.pending()).toEqual([r110.builds[DEB]]);
    expect(sha512b64(readFileSync(path.join(t.dir, r110.builds[DEB])))).toBe(sha512b64(r110.bytes[r110.builds[DEB]]!));
    // the server now knows this client's version, from the same requests
    expect(s.tokens.list().find((x) => x.name === 'Pillars tray on wintermute')).toMatchObject({ clientVersion: '1.0.0', clientOs: 'linux' });
  });

  it('refuses a tampered build and keeps nothing of it; the retry, once the file is whole again, installs', async () => {
    const r120 = writeTrayRelease(work, '1.2.0', 256 * 1024);
    await new UpdateService(sb.state).add([path.join(r120.dir, DEB)], 'stable');
    const stored = path.join(sb.state, 'updates', 'files', r120.builds[DEB]);
    const good = readFileSync(stored);
    const bad = Buffer.from(good);
    bad[4096] ^= 0x01; // one bit, same size: only the sha512 can tell
    writeFileSync(stored, bad);
    const t = tray('1.1.0');
    expect(await t.engine.check()).toEqual({ version: '1.2.0' });
    const err = await t.engine.download(() => undefined).catch((e: unknown) => e as Error & { code?: string });
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/sha512 checksum mismatch/);
    expect(t.pending()).toEqual([]); // no broken build waits to be installed
    writeFileSync(stored, good);
    expect(await t.engine.check()).toEqual({ version: '1.2.0' });
    await t.engine.download(() => undefined);
    expect(t.pending()).toEqual([r120.builds[DEB]]);
  });

  it('picks the updater of the install: a deb by its marker, else the AppImage', async () => {
    expect(tray('1.0.0').updater.constructor.name).toBe('DebUpdater');
    const bare = reg.tempDir('pillars-resources-').path;
    writeFileSync(path.join(bare, 'app-update.yml'), 'provider: generic\nurl: https://motoko.invalid/api/v1/updates/\nupdaterCacheDirName: pillars-updater\n');
    const { electron, control } = createElectronStandin({ platform: 'linux', userData: bare });
    control.ready();
    electron.app.isPackaged = true;
    electron.app.version = '1.0.0';
    const { updater } = createElectronUpdateEngine(electron, { os: 'linux', target: () => null, log: { info: () => undefined, warn: () => undefined } as never, resourcesPath: bare });
    expect(updater.constructor.name).toBe('AppImageUpdater');
  });

  it('ignores an older build than the one running', async () => {
    const t = tray('1.5.0');
    expect(await t.engine.check()).toBeNull();
    expect(t.pending()).toEqual([]);
  });

  it('enforces the certificate pin, and talks to the paired server only', async () => {
    const before = s.tokens.list().find((x) => x.name === 'Pillars tray on wintermute')!.clientVersion;
    const wrong = tray('0.9.0', { fingerprint: 'AB:'.repeat(31) + 'AB' });
    await expect(wrong.engine.check()).rejects.toBeInstanceOf(PinMismatchError);
    // the request never reached pillarsd: the version it would have reported was not recorded
    expect(s.tokens.list().find((x) => x.name === 'Pillars tray on wintermute')!.clientVersion).toBe(before);
    const elsewhere = tray('0.9.0');
    // a feed naming another host (or a redirect there) is refused before any connection
    elsewhere.updater.setFeedURL({ provider: 'generic', url: 'https://127.0.0.2:1/api/v1/updates/' });
    await expect(elsewhere.updater.checkForUpdates()).rejects.toBeInstanceOf(NotPairedServerError);
    const noToken = tray('0.9.0', { token: null });
    await expect(noToken.engine.check()).rejects.toThrow(/401/);
  });
});

describe('the tray with its updater, booted under the stand-in', { timeout: 60_000 }, () => {
  it('checks at start, downloads in the background, offers "Update ready – restart", and does not restart over open files', async () => {
    const h = await startHarness({
      installed: '1.1.5',
      settings: { server: { url: s.url, fingerprint: s.fingerprint } },
      tokens: { [s.url]: token },
      overrides: { updates: { resourcesPath: work, cacheDir: path.join(work, 'cache-tray'), startDelayMs: 0 } },
    });
    reg.add(() => h.cleanup());
    await waitFor(() => h.control.menuLabels().includes('Update ready – restart'), 'the update to be ready');
    expect(existsSync(path.join(work, 'cache-tray', 'pillars-updater', 'pending', 'pillars_1.2.0_amd64.deb'))).toBe(true);
    expect(h.control.notifications.map((x) => x.options.title)).toContain('Pillars 1.2.0 is ready');
    h.mounts.openFiles = { flux: 2 };
    h.control.clickMenu('Update ready – restart');
    await waitFor(() => h.control.notifications.some((x) => x.options.title === 'Pillars did not restart'), 'the refusal');
    expect(h.control.notifications.find((x) => x.options.title === 'Pillars did not restart')!.options.body).toBe('2 files are open on your pillars. Close them, then choose “Update ready – restart” again.');
    expect(h.control.calls.map((c) => c.api)).not.toContain('app.quit');
    // (with no file open it would quitAndInstall: on Linux that runs dpkg through pkexec, not here)
  });
});
