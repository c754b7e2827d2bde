// The Linux adapter on real parts: smbd on its own loopback address, smbnetfs FUSE mounts, the
// guard on an ext4 folder as root, links next to real folders and foreign links.
import { mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync, lstatSync, readlinkSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmbd } from '../../support/smbd';
import type { Smbd } from '../../support/smbd';
import { run } from '../../support/proc';
import { useCleanup } from '../../support/tmp';
import { createExec, createFs } from '../../../src/platform/host';
import { createLinuxPlatform } from '../../../src/platform/linux/adapter';
import { renderAuth } from '../../../src/platform/linux/smbnetfs';
import { parseMountinfo } from '../../../src/platform/linux/mountinfo';
import { fuseMountsUnder, isImmutable, releaseMounts } from '../../support/guarded';

const USER = 'pillarsl6';
const PW = 'linux "adapter" \\ pw';
const FLUX = { id: 'flux', share: 'flux', label: 'Flux' };
const SPACE = { id: 'space', share: 'space', label: 'Space' };

describe('Linux adapter (smbnetfs)', () => {
  const cleanup = useCleanup();
  let smbd: Smbd;
  let home: string;
  let runtime: string;
  let srv: string;
  let platform: ReturnType<typeof createLinuxPlatform>;
  let server: { host: string; username: string };

  beforeAll(async () => {
    const dir = cleanup.tempDir('pillars-linux-').path;
    home = path.join(dir, 'home');
    runtime = path.join(dir, 'run', 'pillars');
    srv = path.join(dir, 'srv');
    mkdirSync(home, { recursive: true });
    cleanup.add(() => releaseMounts(path.join(home, '.mkt')));
    smbd = cleanup.track(
      await startSmbd({
        users: [{ name: USER, password: PW }],
        shares: [
          { name: 'flux', path: path.join(srv, 'flux') },
          { name: 'space', path: path.join(srv, 'space') },
        ],
      }),
    );
    server = { host: smbd.address, username: USER };
    platform = createLinuxPlatform({ exec: createExec(), fs: createFs(), home, uid: 0, mountRoot: path.join(home, '.mkt'), runtimeDir: runtime, links: true, verifyTimeoutMs: 8_000 });
  });
  afterAll(() => cleanup.run());

  it('mounts the share root at ~/.mkt/<pillar>; the password only in a 0600 file of a 0700 folder', async () => {
    writeFileSync(path.join(srv, 'flux', '.pillar'), 'flux\n');
    const r = await platform.mount(server, FLUX, PW);
    expect(r).toEqual({ ok: true, path: path.join(home, '.mkt', 'flux') });
    expect(await platform.list()).toEqual([{ host: smbd.address, share: 'flux', path: path.join(home, '.mkt', 'flux'), healthy: null }]);
    const auth = path.join(runtime, 'smbnetfs', 'flux', '.smb', 'smbnetfs.auth');
    expect(statSync(auth).mode & 0o777).toBe(0o600);
    expect(statSync(runtime).mode & 0o777).toBe(0o700);
    expect(readFileSync(auth, 'utf8')).toBe(renderAuth(server, PW));
    for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      const cmd = (() => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          return '';
        }
      })();
      expect(cmd).not.toContain(PW);
    }
    expect(await platform.probe(FLUX, 3_000)).toEqual({ kind: 'ok', freeBytes: null, totalBytes: null });
    const ls = await run('ls', ['-A', path.join(home, '.mkt', 'flux')], { timeoutMs: 5_000 });
    expect(ls.stdout.trim()).toBe('.pillar');
  });

  it('links ~/<pillar> but never replaces a real folder or a link that is not ours', async () => {
    expect(await platform.decorate(server, FLUX)).toEqual({ ok: true });
    expect(readlinkSync(path.join(home, 'flux'))).toBe(path.join(home, '.mkt', 'flux'));
    expect(await platform.decorate(server, FLUX)).toEqual({ ok: true }); // idempotent

    mkdirSync(path.join(home, 'space'));
    writeFileSync(path.join(home, 'space', 'mine.txt'), 'local');
    const real = await platform.decorate(server, SPACE);
    expect(real.ok).toBe(false);
    expect(real.note).toMatch(/is a real folder: left alone/);
    expect(readFileSync(path.join(home, 'space', 'mine.txt'), 'utf8')).toBe('local');

    symlinkSync('/somewhere/else', path.join(home, 'time'));
    const foreign = await platform.decorate(server, { id: 'time', share: 'time', label: 'Time' });
    expect(foreign).toEqual({ ok: false, note: `${path.join(home, 'time')} is a link to /somewhere/else, not ours: left alone` });
    expect(readlinkSync(path.join(home, 'time'))).toBe('/somewhere/else');
  });

  it('a rejected password is an auth failure; the folder is left guarded and the auth file removed', async () => {
    const r = await platform.mount(server, SPACE, 'wrong password');
    expect(r).toEqual({ ok: false, kind: 'auth', reason: `${smbd.address} rejected the login of ${USER} for share space` });
    const folder = path.join(home, '.mkt', 'space');
    expect(fuseMountsUnder(folder)).toEqual([]);
    expect(statSync(folder).mode & 0o777).toBe(0o555);
    expect(isImmutable(folder)).toBe(true);
    expect(existsSync(path.join(runtime, 'smbnetfs', 'space', '.smb', 'smbnetfs.auth'))).toBe(false);
    const w = await run('sh', ['-c', 'echo x > "$1"', 'sh', path.join(folder, 'x')], { timeoutMs: 5_000 });
    expect(w.code).not.toBe(0);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('a missing share and a folder holding local files are clear errors', async () => {
    const nope = await platform.mount(server, { id: 'nope', share: 'nope', label: 'Nope' }, PW);
    expect(nope).toEqual({ ok: false, kind: 'error', reason: `share nope does not exist on ${smbd.address}` });
    const dir = path.join(home, '.mkt', 'busy');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'a.txt'), 'local work');
    const busy = await platform.mount(server, { id: 'busy', share: 'flux', label: 'Busy' }, PW);
    expect(busy.ok).toBe(false);
    expect(busy).toMatchObject({ kind: 'error' });
    expect((busy as { reason: string }).reason).toMatch(/busy holds local files \(a\.txt\): move them away/);
    expect(readFileSync(path.join(dir, 'a.txt'), 'utf8')).toBe('local work');
  });

  it('a hung server: the probe answers stale by its deadline; a forced unmount breaks the mount loose at once', async () => {
    await smbd.pause();
    try {
      const t0 = Date.now();
      const p = await platform.probe(FLUX, 1_500);
      const took = Date.now() - t0;
      expect(p).toEqual({ kind: 'stale', reason: 'the share did not answer within 1.5 s' });
      expect(took).toBeLessThan(2_500);
      expect(await platform.fuseWaiting(FLUX)).toBeGreaterThan(0);
      const t1 = Date.now();
      await platform.unmount(FLUX, { force: true });
      expect(Date.now() - t1).toBeLessThan(3_000);
      expect(parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')).some((e) => e.mountPoint === path.join(home, '.mkt', 'flux'))).toBe(false);
      expect(await platform.probe(FLUX, 1_000)).toEqual({ kind: 'missing', reason: 'not mounted' });
      expect(isImmutable(path.join(home, '.mkt', 'flux'))).toBe(true);
      expect(lstatSync(path.join(home, 'flux')).isSymbolicLink()).toBe(true);
    } finally {
      await smbd.resume();
    }
    expect(await platform.mount(server, FLUX, PW)).toMatchObject({ ok: true });
    await platform.unmount(FLUX);
  });
});
