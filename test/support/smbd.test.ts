// The smbd helper really serves SMB: smbclient lists and writes a share, a reload picks up a new
// share (rendered by us or included from a file the caller rewrites), and kill/pause/resume act on
// the real process group.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { procState, startSmbd } from './smbd';
import type { Smbd } from './smbd';
import { tryConnect } from './net';
import { isAlive, run, sleep } from './proc';
import { spawnProcess } from './cli';
import { useCleanup } from './tmp';

const USER = 'pillarst1';
const PW = 'correct horse 1';

describe('startSmbd', () => {
  const cleanup = useCleanup();
  let smbd: Smbd;
  let flux: string;

  beforeAll(async () => {
    flux = path.join(cleanup.tempDir('pillars-flux-').path, 'flux');
    smbd = cleanup.track(await startSmbd({ users: [{ name: USER, password: PW }], shares: [{ name: 'flux', path: flux }] }));
  });
  afterAll(() => cleanup.run());

  it('binds its own loopback address, not 127.0.0.1', () => {
    expect(smbd.address).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expect(['127.0.0.1', '127.0.1.1']).not.toContain(smbd.address);
    expect(readFileSync(smbd.confPath, 'utf8')).toContain(`interfaces = ${smbd.address}/8`);
    expect(isAlive(smbd.pid)).toBe(true);
  });

  it('lists and writes a share through smbclient; the file lands in the folder', async () => {
    const src = path.join(smbd.dir, 'hello.txt');
    writeFileSync(src, 'hello over smb\n');
    const put = await smbd.smbclient('flux', USER, PW, `put ${src} hello.txt`);
    expect(put.code, put.stderr + put.stdout).toBe(0);
    expect(readFileSync(path.join(flux, 'hello.txt'), 'utf8')).toBe('hello over smb\n');
    const ls = await smbd.smbclient('flux', USER, PW, 'ls');
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/hello\.txt/);
  });

  it('smbnetfs (the Linux client path) mounts the share through FUSE', async () => {
    const home = cleanup.tempDir('pillars-smbnetfs-').path;
    mkdirSync(path.join(home, '.smb'));
    mkdirSync(path.join(home, 'mnt'));
    writeFileSync(path.join(home, '.smb', 'smbnetfs.conf'), 'smb_query_browsers "false"\ninclude "smbnetfs.auth"\n');
    writeFileSync(path.join(home, '.smb', 'smbnetfs.auth'), `auth "${smbd.address}" "${USER}" "${PW}"\n`, { mode: 0o600 });
    const mnt = path.join(home, 'mnt');
    const fuse = spawnProcess('smbnetfs', [mnt, '-f', '-o', 'smb_timeout=3000,reply_timeout=10,max_retry_count=1'], { env: { HOME: home } });
    try {
      for (let i = 0; i < 100 && !readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${mnt} `); i++) await sleep(50);
      // read through the mount in a child with a deadline: a hung FUSE call must never pin this worker
      const cat = await run('cat', [path.join(mnt, smbd.address, 'flux', 'hello.txt')], { timeoutMs: 15_000 });
      expect(cat.stdout, cat.stderr).toBe('hello over smb\n');
    } finally {
      await run('fusermount', ['-u', '-z', mnt], { timeoutMs: 10_000 });
      await fuse.stop();
    }
  });

  it('rejects a wrong password', async () => {
    const r = await smbd.smbclient('flux', USER, 'wrong', 'ls');
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/NT_STATUS_LOGON_FAILURE/);
  });

  it('setPassword changes the SMB password', async () => {
    await smbd.setPassword(USER, 'second pw');
    expect((await smbd.smbclient('flux', USER, PW, 'ls')).code).not.toBe(0);
    expect((await smbd.smbclient('flux', USER, 'second pw', 'ls')).code).toBe(0);
    await smbd.setPassword(USER, PW);
  });

  it('reload picks up a new share, also one included from a file the caller rewrites', async () => {
    const space = path.join(smbd.dir, 'space-data');
    expect((await smbd.smbclient('space', USER, PW, 'ls')).stdout).toMatch(/NT_STATUS_BAD_NETWORK_NAME/);
    await smbd.addShare({ name: 'space', path: space });
    const ls = await smbd.smbclient('space', USER, PW, 'ls');
    expect(ls.code, ls.stdout + ls.stderr).toBe(0);

    // the Samba engineer's way: render a file of their own, include it, rewrite, reload
    const own = path.join(smbd.dir, 'rendered.conf');
    writeFileSync(own, '');
    smbd.writeConfig(`include = ${own}\n`);
    await smbd.reload();
    expect((await smbd.smbclient('flux', USER, PW, 'ls')).stdout).toMatch(/NT_STATUS_BAD_NETWORK_NAME/);
    writeFileSync(own, `[time]\n   path = ${flux}\n   read only = yes\n`);
    await smbd.reload();
    const time = await smbd.smbclient('time', USER, PW, 'ls');
    expect(time.code, time.stdout + time.stderr).toBe(0);
    expect(time.stdout).toMatch(/hello\.txt/);
  });

  it('pause hangs the server, resume brings it back; kill stops it, restart revives it', async () => {
    await smbd.pause();
    expect(procState(smbd.pid)).toBe('T');
    const hung = await smbd.smbclient('time', USER, PW, 'ls', { timeoutMs: 1_500 });
    expect(hung.timedOut).toBe(true);
    await smbd.resume();
    expect((await smbd.smbclient('time', USER, PW, 'ls')).code).toBe(0);

    const oldPid = smbd.pid;
    await smbd.kill();
    expect(isAlive(oldPid)).toBe(false);
    expect(await tryConnect(smbd.address, 445)).toBe(false);
    const down = await smbd.smbclient('time', USER, PW, 'ls', { timeoutMs: 10_000 });
    expect(down.code).not.toBe(0);

    await smbd.restart();
    expect(smbd.pid).not.toBe(oldPid);
    expect((await smbd.smbclient('time', USER, PW, 'ls')).code).toBe(0);
  });

  it('refuses a value that would inject config lines, naming what was wrong', async () => {
    await expect(startSmbd({ shares: [{ name: 'x', path: '/tmp/x', params: { comment: 'a\n[evil]' } }] })).rejects.toThrow(/share x: value of 'comment' contains a line break/);
    await expect(smbd.addShare({ name: 'y', path: 'relative' })).rejects.toThrow(/share y: path must be absolute/);
  });

  it('stop() ends smbd and the samba-dcerpcd it started, removes the temp dir, and is idempotent', async () => {
    const share = cleanup.tempDir().path;
    const other = await startSmbd({ users: [{ name: USER, password: PW }], shares: [{ name: 'listed', path: share }] });
    const { pid, dir } = other;
    // share listing goes through RPC: smbd spawns samba-dcerpcd, which leaves smbd's process group
    expect(await other.listShares(USER, PW)).toContain('listed');
    const procs = other.processes();
    expect(procs.length).toBeGreaterThan(1);
    const cmdlines = procs.map((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8'));
    expect(cmdlines.some((c) => c.includes('samba-dcerpcd'))).toBe(true);
    await other.stop();
    await other.stop();
    expect(isAlive(pid)).toBe(false);
    expect(procs.filter((p) => isAlive(p))).toEqual([]);
    expect(other.processes()).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });
});
