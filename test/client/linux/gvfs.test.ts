// The GVfs backend's commands. GVfs is not installed on these machines, so `gio` is a recording
// stand-in (the injected Exec); the file side (links, replacing an empty guarded folder) is real.
import { mkdirSync, readlinkSync, writeFileSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../../support/tmp';
import { createFs } from '../../../src/platform/host';
import { classifyGioError, createGvfsPlatform, gvfsPath } from '../../../src/platform/linux/gvfs';
import { useGvfs } from '../../../src/platform';
import type { ExecRequest, ExecResult } from '../../../src/platform/types';

const PW = 'gio-secret-pw';
const server = { host: 'motoko', username: 'mike' };
const flux = { id: 'flux', share: 'flux', label: 'Flux' };

describe('Linux GVfs backend', () => {
  const cleanup = useCleanup();
  const setup = (answer: (r: ExecRequest) => Partial<ExecResult>) => {
    const dir = cleanup.tempDir('pillars-gvfs-').path;
    const calls: ExecRequest[] = [];
    const exec = async (r: ExecRequest): Promise<ExecResult> => {
      calls.push(r);
      return { code: 0, stdout: '', stderr: '', timedOut: false, ...answer(r) };
    };
    const home = path.join(dir, 'home');
    mkdirSync(home);
    const p = createGvfsPlatform({ exec, fs: createFs(), home, mountRoot: path.join(home, '.mkt'), gvfsRoot: path.join(dir, 'run', 'gvfs'), links: true, uid: 1000 });
    return { p, calls, home, dir };
  };

  it('gio mount gets the URI in argv and user, domain, password on stdin; the folder becomes our link', async () => {
    const { p, calls, home, dir } = setup(() => ({}));
    mkdirSync(path.join(home, '.mkt', 'flux'), { recursive: true }); // the smbnetfs backend's empty folder
    expect(await p.mount(server, flux, PW)).toEqual({ ok: true, path: path.join(home, '.mkt', 'flux') });
    const gio = calls.find((c) => c.cmd === 'gio')!;
    expect(gio.args).toEqual(['mount', 'smb://motoko/flux']);
    expect(gio.stdin).toBe(`mike\nWORKGROUP\n${PW}\n`);
    for (const c of calls) expect(c.args.join(' ')).not.toContain(PW);
    expect(readlinkSync(path.join(home, '.mkt', 'flux'))).toBe(gvfsPath(path.join(dir, 'run', 'gvfs'), server, flux));
    expect(await p.decorate(server, flux)).toEqual({ ok: true });
    expect(lstatSync(path.join(home, 'flux')).isSymbolicLink()).toBe(true);
  });

  it('maps gio failures to auth, network and local errors; refuses a folder with local files', async () => {
    const auth = setup(() => ({ code: 2, stderr: 'gio: smb://motoko/flux/: Failed to mount Windows share: Permission denied\n' }));
    expect(await auth.p.mount(server, flux, PW)).toEqual({ ok: false, kind: 'auth', reason: 'motoko rejected the login of mike for share flux' });
    expect(classifyGioError('gio: Failed to mount Windows share: Connection timed out')).toMatchObject({ kind: 'network' });
    const busy = setup(() => ({}));
    mkdirSync(path.join(busy.home, '.mkt', 'flux'), { recursive: true });
    writeFileSync(path.join(busy.home, '.mkt', 'flux', 'work.txt'), 'local');
    expect(await busy.p.mount(server, flux, PW)).toMatchObject({ ok: false, kind: 'error' });
    expect(busy.calls.filter((c) => c.cmd === 'gio')).toEqual([]);
  });

  it('unmounts by URI (forced when asked), lists from gio mount --list, probes in a child', async () => {
    const { p, calls } = setup((r) => (r.args[0] === 'mount' && r.args[1] === '--list' ? { stdout: 'Mount(0): flux on motoko -> smb://motoko/flux/\n' } : r.cmd === 'ls' ? { timedOut: true, code: null } : {}));
    await p.mount(server, flux, PW);
    await p.unmount(flux, { force: true });
    expect(calls.at(-1)!.args).toEqual(['mount', '--force', '--unmount', 'smb://motoko/flux']);
    expect((await p.list()).map((m) => [m.host, m.share])).toEqual([['motoko', 'flux']]);
    expect(await p.probe(flux, 500)).toEqual({ kind: 'stale', reason: 'the share did not answer within 0.5 s' });
    expect(calls.at(-1)).toMatchObject({ cmd: 'ls', timeoutMs: 500 });
  });

  it('is chosen in a desktop session running GVfs, or when the settings say so', () => {
    expect(useGvfs('auto', {})).toBe(false);
    expect(useGvfs('gvfs', {})).toBe(true);
    expect(useGvfs('smbnetfs', { XDG_CURRENT_DESKTOP: 'GNOME', DBUS_SESSION_BUS_ADDRESS: 'x', XDG_RUNTIME_DIR: '/run/user/1000' })).toBe(false);
  });
});
