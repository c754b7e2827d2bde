// The macOS adapter end to end against a stand-in Mac (test/client/mac/fakeMac.ts: macOS cannot run
// here). Every command is checked: argv, stdin, env, deadlines, and that the password is in no argv.
import { describe, expect, it, vi } from 'vitest';
import { BusyError } from '../../../src/platform/common/errors';
import { createMacPlatform } from '../../../src/platform/mac/macPlatform';
import type { PillarSpec, SmbServer } from '../../../src/platform/types';
import { MemoryFs, SECRET, argvOf, expectSecretInNoArgv, fixture } from './fakes';
import { FakeMac } from './fakeMac';

const HOME = '/Users/alice';
const FLUX: PillarSpec = { id: 'flux', share: 'flux', label: 'Flux' };
const SERVER: SmbServer = { host: 'motoko', username: 'alice' };

function setup(opts: { links?: boolean } = {}) {
  const mac = new FakeMac();
  const fs = new MemoryFs(['/Users', HOME]);
  fs.locked = mac.immutable; // the stand-in enforces the flags it is given
  const platform = createMacPlatform({ exec: mac.rec.exec, fs, home: HOME, user: 'alice', runtimeDir: `${HOME}/Library/Caches/pillars`, ...opts });
  return { mac, fs, platform };
}

describe('macOS mount', () => {
  it('mounts into ~/.mkt/<pillar> through NetFS on osascript stdin, the password in no argv', async () => {
    const { mac, fs, platform } = setup();
    const outcome = await platform.mount(SERVER, FLUX, SECRET);
    expect(outcome).toEqual({ ok: true, path: `${HOME}/.mkt/flux` });
    // the folder is created in ~/.mkt, which is opened for that moment and flagged again
    expect(argvOf(mac.rec.calls)).toEqual([
      ['/sbin/mount'],
      ['/usr/bin/chflags', 'nouchg', `${HOME}/.mkt`],
      ['/usr/bin/chflags', 'uchg', `${HOME}/.mkt`],
      ['/usr/bin/chflags', 'nouchg', `${HOME}/.mkt/flux`],
      ['/usr/bin/osascript', '-l', 'JavaScript', '-'],
    ]);
    const osa = mac.rec.calls[4]!;
    expect(osa.env).toBeUndefined();
    expect(osa.timeoutMs).toBeGreaterThan(0);
    expect(mac.netfsCalls).toEqual([
      {
        url: 'smb://alice@motoko/flux',
        mountPath: `${HOME}/.mkt/flux`,
        user: 'alice',
        password: SECRET,
        openOptions: { UIOption: 'NoUI' },
        mountOptions: { MountAtMountDir: true, SoftMount: true },
      },
    ]);
    expectSecretInNoArgv(mac.rec.calls);
    expect((await fs.lstat(`${HOME}/.mkt`))?.mode).toBe(0o555);
    expect(mac.immutable.has(`${HOME}/.mkt`)).toBe(true);
    expect(mac.immutable.has(`${HOME}/.mkt/flux`)).toBe(false);
  });

  it('mounts the three pillars in parallel', async () => {
    const { mac, platform } = setup();
    const pillars = ['flux', 'space', 'time'].map((id) => ({ id, share: id, label: id }));
    const outcomes = await Promise.all(pillars.map((p) => platform.mount(SERVER, p, SECRET)));
    expect(outcomes).toEqual(pillars.map((p) => ({ ok: true, path: `${HOME}/.mkt/${p.id}` })));
    expect(mac.netfsCalls.map((c) => c.url).sort()).toEqual(['smb://alice@motoko/flux', 'smb://alice@motoko/space', 'smb://alice@motoko/time']);
  });

  it('reports an existing mount of the same share at our path as mounted without mounting again', async () => {
    const { mac, platform } = setup();
    mac.table.push(`//alice@motoko/flux on ${HOME}/.mkt/flux (smbfs, nodev, nosuid, mounted by alice)`);
    expect(await platform.mount(SERVER, FLUX, SECRET)).toEqual({ ok: true, path: `${HOME}/.mkt/flux` });
    expect(mac.rec.calls.map((c) => c.cmd)).toEqual(['/sbin/mount']);
  });

  it('refuses when another share occupies our mount point', async () => {
    const { mac, platform } = setup();
    mac.table.push(`//alice@other/stuff on ${HOME}/.mkt/flux (smbfs, nodev, nosuid, mounted by alice)`);
    expect(await platform.mount(SERVER, FLUX, SECRET)).toEqual({ ok: false, kind: 'busy', reason: `${HOME}/.mkt/flux already holds //other/stuff` });
  });

  it('maps NetFS failures, restores the guard, and never echoes the password', async () => {
    for (const [status, kind] of [
      [80, 'auth'],
      [13, 'auth'],
      [65, 'network'],
      [60, 'network'],
      [2, 'error'],
    ] as const) {
      const { mac, platform } = setup();
      mac.netfsStatus = status;
      const outcome = await platform.mount(SERVER, FLUX, SECRET);
      expect(outcome.ok).toBe(false);
      expect(!outcome.ok && outcome.kind, `NetFS ${status}`).toBe(kind);
      expect(JSON.stringify(outcome)).not.toContain('ss$(whoami)');
      expect(mac.immutable.has(`${HOME}/.mkt/flux`), 'guard restored').toBe(true);
      expectSecretInNoArgv(mac.rec.calls);
    }
  });

  it('refuses a NetFS mount that landed somewhere else', async () => {
    const mac = new FakeMac();
    const platform = createMacPlatform({
      exec: async (req) => (req.cmd === '/usr/bin/osascript' ? { code: 0, stdout: '{"status":0,"mountpoints":["/Volumes/flux"]}\n', stderr: '', timedOut: false } : mac.rec.exec(req)),
      fs: new MemoryFs(['/Users', HOME]),
      home: HOME,
      user: 'alice',
      runtimeDir: '/tmp',
    });
    expect(await platform.mount(SERVER, FLUX, SECRET)).toMatchObject({ ok: false, kind: 'busy', reason: expect.stringContaining('/Volumes/flux') });
  });

  it('on EEXIST (17) tells where the share is already mounted', async () => {
    const { mac, platform } = setup();
    mac.netfsStatus = 17;
    mac.table.push('//alice@motoko/flux on /Volumes/flux (smbfs, nodev, nosuid, mounted by alice)');
    const outcome = await platform.mount(SERVER, FLUX, SECRET);
    expect(outcome).toMatchObject({ ok: false, kind: 'busy', reason: expect.stringContaining('/Volumes/flux') });
  });

  it('a hung osascript ends as a network failure at the deadline', async () => {
    const mac = new FakeMac();
    const fs = new MemoryFs(['/Users', HOME]);
    const base = mac.rec.exec;
    const platform = createMacPlatform({
      exec: (req) => (req.cmd === '/usr/bin/osascript' ? new Promise(() => {}) : base(req)),
      fs,
      home: HOME,
      user: 'alice',
      runtimeDir: '/tmp',
      timeouts: { mountMs: 50 },
    });
    const t0 = Date.now();
    const outcome = await platform.mount(SERVER, FLUX, SECRET);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(outcome).toMatchObject({ ok: false, kind: 'network', reason: expect.stringContaining('no answer') });
  });

  it('redacts the password from an osascript error', async () => {
    const { fs } = setup();
    const mac = new FakeMac();
    const platform = createMacPlatform({
      exec: async (req) => (req.cmd === '/usr/bin/osascript' ? { code: 1, stdout: '', stderr: `execution error: ${SECRET} (-2700)`, timedOut: false } : mac.rec.exec(req)),
      fs,
      home: HOME,
      user: 'alice',
      runtimeDir: '/tmp',
    });
    const outcome = await platform.mount(SERVER, FLUX, SECRET);
    expect(outcome).toMatchObject({ ok: false, kind: 'error' });
    expect(JSON.stringify(outcome)).not.toContain('whoami');
  });

  it('refuses to mount over local files written while unmounted, and over a symlinked mount point', async () => {
    const { fs, platform } = setup();
    await fs.mkdir(`${HOME}/.mkt`, 0o700);
    await fs.mkdir(`${HOME}/.mkt/flux`, 0o700);
    await fs.writeFile(`${HOME}/.mkt/flux/report.docx`, 'x');
    expect(await platform.mount(SERVER, FLUX, SECRET)).toMatchObject({ ok: false, kind: 'error', reason: expect.stringContaining('not empty') });
    const b = setup();
    await b.fs.mkdir(`${HOME}/.mkt`, 0o700);
    await b.fs.symlink('/tmp/elsewhere', `${HOME}/.mkt/flux`);
    expect(await b.platform.mount(SERVER, FLUX, SECRET)).toMatchObject({ ok: false, kind: 'error', reason: expect.stringContaining('symbolic link') });
  });

  it('rejects hostile ids, hosts and shares before running anything', async () => {
    const bad: Array<[SmbServer, PillarSpec]> = [
      [SERVER, { ...FLUX, id: '../etc' }],
      [{ ...SERVER, host: 'motoko/evil' }, FLUX],
      [{ ...SERVER, host: '-oProxyCommand=x' }, FLUX],
      [SERVER, { ...FLUX, share: 'a/b' }],
      [SERVER, { ...FLUX, share: 'x\n' }],
      [{ ...SERVER, username: 'al\nice' }, FLUX],
    ];
    for (const [server, p] of bad) {
      const { mac, platform } = setup();
      expect(await platform.mount(server, p, SECRET)).toMatchObject({ ok: false, kind: 'error' });
      expect(mac.rec.calls).toEqual([]);
    }
  });

  it('passes hostile share and user names to NetFS as data, %-encoded in the URL', async () => {
    const { mac, platform } = setup();
    const share = `fl'ux $(rm) \`x\` é & ;`;
    const outcome = await platform.mount({ host: 'motoko', username: `o'neil "$HOME"` }, { ...FLUX, share }, SECRET);
    expect(outcome.ok).toBe(true);
    expect(mac.netfsCalls[0]!.url).toBe(`smb://o'neil%20%22%24HOME%22@motoko/${encodeURIComponent(share)}`);
    expect(mac.netfsCalls[0]!.user).toBe(`o'neil "$HOME"`);
    expect((await platform.list()).find((m) => m.path === `${HOME}/.mkt/flux`)?.share).toBe(share);
  });
});

describe('macOS guard (rule 9)', () => {
  it('makes the empty mount point and ~/.mkt read-only and immutable while unmounted: the folder can be neither written, removed nor replaced', async () => {
    const { mac, fs, platform } = setup();
    await platform.guard(FLUX);
    expect(argvOf(mac.rec.calls)).toEqual([['/sbin/mount'], ['/usr/bin/chflags', 'nouchg', `${HOME}/.mkt`], ['/usr/bin/chflags', 'uchg', `${HOME}/.mkt`], ['/usr/bin/chflags', 'uchg', `${HOME}/.mkt/flux`]]);
    expect((await fs.lstat(`${HOME}/.mkt/flux`))?.mode).toBe(0o555);
    expect((await fs.lstat(`${HOME}/.mkt`))?.mode).toBe(0o555);
    expect([...mac.immutable].sort()).toEqual([`${HOME}/.mkt`, `${HOME}/.mkt/flux`]);
    await expect(fs.writeFile(`${HOME}/.mkt/flux/lost.txt`, 'x')).rejects.toThrow(/EPERM/);
    await expect(fs.rmdir(`${HOME}/.mkt/flux`)).rejects.toThrow(/EPERM/);
    await expect(fs.mkdir(`${HOME}/.mkt/other`)).rejects.toThrow(/EPERM/);
    // Every round the core calls it again: with the guard in place, that costs no command at all
    // (the round's own look has just read the table).
    mac.rec.calls.length = 0;
    await platform.guard(FLUX);
    expect(argvOf(mac.rec.calls)).toEqual([]);
  });

  it('a mount that vanished by itself (Finder eject, server gone) is guarded again by the next round', async () => {
    const { mac, platform } = setup();
    await platform.mount(SERVER, FLUX, SECRET);
    expect(mac.immutable.has(`${HOME}/.mkt/flux`)).toBe(false); // lifted for the mount
    mac.table = mac.table.filter((l) => !l.includes('/.mkt/flux')); // ejected behind our back
    expect(await platform.look([FLUX])).toEqual([{ mounted: false, broken: null, waiting: null }]);
    await platform.guard(FLUX);
    expect(mac.immutable.has(`${HOME}/.mkt/flux`)).toBe(true);
  });

  it('never touches a mounted share (the flag would land on the server folder)', async () => {
    const { mac, platform } = setup();
    await platform.mount(SERVER, FLUX, SECRET);
    mac.rec.calls.length = 0;
    await platform.guard(FLUX);
    expect(argvOf(mac.rec.calls)).toEqual([['/sbin/mount']]);
  });

  it('is lifted to mount and back after unmount', async () => {
    const { mac, platform } = setup();
    await platform.guard(FLUX);
    await platform.mount(SERVER, FLUX, SECRET);
    expect(mac.immutable.has(`${HOME}/.mkt/flux`)).toBe(false);
    await platform.unmount(FLUX);
    expect(mac.immutable.has(`${HOME}/.mkt/flux`)).toBe(true);
  });
});

describe('macOS open files and Time Machine events', () => {
  it('refuses to unmount while files are open on the share (lsof -b: no call that could block), unless forced', async () => {
    const { mac, platform } = setup();
    await platform.mount(SERVER, FLUX, SECRET);
    mac.lsof = `p123\nn${HOME}/.mkt/flux/report.pages\nn${HOME}/.mkt/flux\nn${HOME}/.mkt/fluxion/other\nn/dev/null\n`;
    mac.rec.calls.length = 0;
    const e = await platform.unmount(FLUX).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BusyError);
    expect(e).toMatchObject({ openFiles: 2 });
    expect(argvOf(mac.rec.calls)).toEqual([['/sbin/mount'], ['/usr/sbin/lsof', '-w', '-b', '-n', '-P', '-F', 'n', '-u', 'alice']]);
    expect(mac.mounted(`${HOME}/.mkt/flux`)).toBe(true);
    expect(await platform.openFiles(FLUX)).toBe(2);
    await platform.unmount(FLUX, { force: true });
    expect(mac.mounted(`${HOME}/.mkt/flux`)).toBe(false);
    expect(mac.immutable.has(`${HOME}/.mkt/flux`)).toBe(true);
  });

  it("watches Time Machine's own state file and calls once per burst of writes", async () => {
    vi.useFakeTimers();
    try {
      const { fs, platform } = setup();
      const watched: Array<{ dir: string; fn: (name: string | null) => void }> = [];
      fs.watch = (dir, fn) => {
        watched.push({ dir, fn });
        return () => void watched.splice(0);
      };
      let calls = 0;
      const stop = platform.watchTimeMachine!(() => calls++);
      expect(watched.map((w) => w.dir)).toEqual(['/Library/Preferences']);
      watched[0]!.fn('com.apple.TimeMachine.plist');
      watched[0]!.fn('com.apple.TimeMachine.plist');
      watched[0]!.fn('com.apple.finder.plist');
      vi.advanceTimersByTime(2_500);
      expect(calls).toBe(1);
      stop();
      expect(watched).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('macOS unmount, list, probe, open', () => {
  it('unmounts with diskutil unmount force, falling back to umount -f', async () => {
    const { mac, platform } = setup();
    await platform.mount(SERVER, FLUX, SECRET);
    mac.diskutilReply = () => ({ code: 1, stderr: 'Unmount of disk failed: at least one volume could not be unmounted' });
    mac.rec.calls.length = 0;
    await platform.unmount(FLUX);
    const argv = argvOf(mac.rec.calls);
    expect(argv).toContainEqual(['/usr/sbin/diskutil', 'unmount', 'force', `${HOME}/.mkt/flux`]);
    expect(argv).toContainEqual(['/sbin/umount', '-f', `${HOME}/.mkt/flux`]);
    expect(mac.mounted(`${HOME}/.mkt/flux`)).toBe(false);
  });

  it('says why when the share cannot be unmounted', async () => {
    const { mac, platform } = setup();
    await platform.mount(SERVER, FLUX, SECRET);
    mac.diskutilReply = () => ({ code: 1, stderr: 'Unmount of disk failed: busy' });
    const umount = mac.rec.exec;
    const p2 = createMacPlatform({
      exec: (req) => (req.cmd === '/sbin/umount' ? Promise.resolve({ code: 1, stdout: '', stderr: 'umount: busy', timedOut: false }) : umount(req)),
      fs: new MemoryFs(['/Users', HOME]),
      home: HOME,
      user: 'alice',
      runtimeDir: '/tmp',
    });
    await expect(p2.unmount(FLUX)).rejects.toThrow(/could not unmount .*busy/);
  });

  it('lists smbfs mounts from the mount table', async () => {
    const { platform } = setup();
    const list = await platform.list();
    expect(list).toContainEqual({ host: 'printer.local', share: 'public', path: '/Volumes/public', healthy: null });
    expect(list.map((m) => m.path)).not.toContain('/');
  });

  it('probe: missing when not mounted, ok with sizes, stale when df does not answer in time', async () => {
    const { mac, platform } = setup();
    expect(await platform.probe(FLUX, 1000)).toMatchObject({ kind: 'missing' });
    await platform.mount(SERVER, FLUX, SECRET);
    expect(await platform.probe(FLUX, 1000)).toEqual({ kind: 'ok', freeBytes: 1219443712 * 1024, totalBytes: 1951908864 * 1024 });
    const df = mac.rec.calls.filter((c) => c.cmd === '/bin/df');
    expect(df.at(-1)!.args).toEqual(['-P', '-k', `${HOME}/.mkt/flux`]);
    expect(df.at(-1)!.timeoutMs).toBeLessThanOrEqual(1000);
    mac.dfReply = 'hang';
    const t0 = Date.now();
    expect(await platform.probe(FLUX, 150)).toMatchObject({ kind: 'stale', reason: expect.stringContaining('150 ms') });
    expect(Date.now() - t0).toBeLessThan(1000);
    mac.dfReply = { code: 1, stderr: 'df: /Users/alice/.mkt/flux: Host is down' };
    expect(await platform.probe(FLUX, 500)).toMatchObject({ kind: 'stale', reason: expect.stringContaining('Host is down') });
    mac.dfReply = { code: 1, stderr: 'df: /Users/alice/.mkt/flux: Authentication error' };
    expect(await platform.probe(FLUX, 500)).toMatchObject({ kind: 'auth', reason: expect.stringContaining('Authentication error') });
  });

  it('opens the mount point in Finder', async () => {
    const { mac, platform } = setup();
    await platform.open(FLUX);
    expect(argvOf(mac.rec.calls)).toEqual([['/usr/bin/open', `${HOME}/.mkt/flux`]]);
  });
});

describe('macOS links and exclusions', () => {
  it('creates ~/<pillar> → ~/.mkt/<pillar>, excludes ~/.mkt from Spotlight and Time Machine', async () => {
    const { mac, fs, platform } = setup();
    expect(await platform.decorate(SERVER, FLUX)).toEqual({ ok: true });
    expect(await fs.readlink(`${HOME}/flux`)).toBe(`${HOME}/.mkt/flux`);
    expect(await fs.readFile(`${HOME}/.mkt/.metadata_never_index`)).toBe('');
    expect(argvOf(mac.rec.calls)).toEqual([
      ['/usr/bin/chflags', 'nouchg', `${HOME}/.mkt`],
      ['/usr/bin/tmutil', 'addexclusion', `${HOME}/.mkt`],
      ['/usr/bin/chflags', 'uchg', `${HOME}/.mkt`],
    ]);
    // Second time: nothing new.
    mac.rec.calls.length = 0;
    expect(await platform.decorate(SERVER, FLUX)).toEqual({ ok: true });
    expect(mac.rec.calls).toEqual([]);
  });

  it('never replaces a real folder, a file or a foreign link', async () => {
    const { fs, platform } = setup();
    await fs.mkdir(`${HOME}/flux`);
    await fs.writeFile(`${HOME}/flux/thesis.tex`, 'mine');
    await fs.symlink('/Volumes/space', `${HOME}/space`);
    await fs.writeFile(`${HOME}/time`, 'a file');
    const r1 = await platform.decorate(SERVER, FLUX);
    const r2 = await platform.decorate(SERVER, { id: 'space', share: 'space', label: 'Space' });
    const r3 = await platform.decorate(SERVER, { id: 'time', share: 'time', label: 'Time' });
    expect(r1).toMatchObject({ ok: false, note: expect.stringContaining('real folder') });
    expect(r2).toMatchObject({ ok: false, note: expect.stringContaining('/Volumes/space') });
    expect(r3).toMatchObject({ ok: false, note: expect.stringContaining('a file') });
    expect((await fs.lstat(`${HOME}/flux`))?.isDirectory).toBe(true);
    expect(await fs.readFile(`${HOME}/flux/thesis.tex`)).toBe('mine');
    expect(await fs.readlink(`${HOME}/space`)).toBe('/Volumes/space');
    expect(await fs.readFile(`${HOME}/time`)).toBe('a file');
  });

  it('accepts our link written relative or with a trailing slash', async () => {
    const { fs, platform } = setup();
    await fs.symlink('.mkt/flux', `${HOME}/flux`);
    await fs.symlink(`${HOME}/.mkt/space/`, `${HOME}/space`);
    expect(await platform.decorate(SERVER, FLUX)).toEqual({ ok: true });
    expect(await platform.decorate(SERVER, { id: 'space', share: 'space', label: 'Space' })).toEqual({ ok: true });
    expect(await fs.readlink(`${HOME}/flux`)).toBe('.mkt/flux');
  });

  it('with links off, only excludes', async () => {
    const { fs, platform } = setup({ links: false });
    expect(await platform.decorate(SERVER, FLUX)).toEqual({ ok: true });
    expect(await fs.lstat(`${HOME}/flux`)).toBeNull();
  });

  it('reports a Time Machine exclusion refused for Full Disk Access', async () => {
    const { mac, platform } = setup();
    mac.tmutil[`addexclusion ${HOME}/.mkt`] = { code: 80, stderr: 'tmutil: addexclusion requires Full Disk Access privileges.' };
    expect(await platform.decorate(SERVER, FLUX)).toEqual({ ok: true, note: `Time Machine exclusion of ${HOME}/.mkt needs Full Disk Access` });
  });
});

describe('macOS Time Machine', () => {
  it('reads the destination and latest backup through tmutil', async () => {
    const { mac, platform } = setup();
    mac.tmutil['destinationinfo -X'] = { stdout: fixture('mac/tmutil-destinationinfo.plist') };
    mac.tmutil['latestbackup'] = { stdout: fixture('mac/tmutil-latestbackup-apfs.txt') };
    expect(await platform.timeMachine()).toEqual({ destination: 'smb://motoko._smb._tcp.local./time', latestBackupAt: new Date(2026, 10, 24, 18, 4, 55).toISOString() });
    expect(argvOf(mac.rec.calls)).toEqual([
      ['/usr/bin/tmutil', 'destinationinfo', '-X'],
      ['/usr/bin/tmutil', 'latestbackup'],
    ]);
  });

  it('null without a destination; a clear problem without Full Disk Access', async () => {
    const { mac, platform } = setup();
    mac.tmutil['destinationinfo -X'] = { stdout: fixture('mac/tmutil-destinationinfo-empty.plist') };
    expect(await platform.timeMachine()).toBeNull();
    mac.tmutil['destinationinfo -X'] = { stdout: fixture('mac/tmutil-destinationinfo.plist') };
    mac.tmutil['latestbackup'] = { code: 80, stderr: fixture('mac/tmutil-latestbackup-fda.txt') };
    expect(await platform.timeMachine()).toMatchObject({ destination: 'smb://motoko._smb._tcp.local./time', latestBackupAt: null, problem: expect.stringContaining('Full Disk Access') });
    mac.tmutil['latestbackup'] = { code: 1, stderr: fixture('mac/tmutil-latestbackup-unmounted.txt') };
    expect(await platform.timeMachine()).toEqual({ destination: 'smb://motoko._smb._tcp.local./time', latestBackupAt: null });
  });
});

describe('every macOS command', () => {
  it('has a deadline, an absolute path, no env, and stdin only for the NetFS script', async () => {
    const { mac, platform } = setup();
    mac.tmutil['destinationinfo -X'] = { stdout: fixture('mac/tmutil-destinationinfo.plist') };
    mac.tmutil['latestbackup'] = { stdout: fixture('mac/tmutil-latestbackup-apfs.txt') };
    await platform.guard(FLUX);
    await platform.decorate(SERVER, FLUX);
    await platform.mount(SERVER, FLUX, SECRET);
    await platform.probe(FLUX, 2000);
    await platform.list();
    await platform.open(FLUX);
    await platform.timeMachine();
    await platform.unmount(FLUX, { force: true });
    const cmds = new Set(mac.rec.calls.map((c) => c.cmd));
    expect([...cmds].sort()).toEqual(['/bin/df', '/sbin/mount', '/usr/bin/chflags', '/usr/bin/open', '/usr/bin/osascript', '/usr/bin/tmutil', '/usr/sbin/diskutil']);
    for (const c of mac.rec.calls) {
      expect(c.timeoutMs, c.cmd).toBeGreaterThan(0);
      expect(c.cmd.startsWith('/'), c.cmd).toBe(true);
      expect(c.env, c.cmd).toBeUndefined();
      if (c.cmd !== '/usr/bin/osascript') expect(c.stdin, c.cmd).toBeUndefined();
    }
    expect(mac.rec.calls.find((c) => c.cmd === '/usr/sbin/diskutil')!.timeoutMs).toBeLessThanOrEqual(5000);
    expectSecretInNoArgv(mac.rec.calls);
  });
});
