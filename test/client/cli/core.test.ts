// Issue 19 acceptance on real parts (a private smbd, smbnetfs FUSE mounts, the shipped CLI bundle):
// one running core (`pillars watch` with the password from a 0600 file and no D-Bus session, as on
// an SSH host) that the CLI talks to over its private socket, so `unmount` sticks until `mount`;
// settings applied live; and the write guard, as root and as a normal user (run with setpriv):
// a write into the mount folder fails within one round after smbd is killed and after the mount is
// taken away behind the core's back, and the folder can be neither removed nor replaced.
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureUnixUser, startSmbd } from '../../support/smbd';
import type { Smbd } from '../../support/smbd';
import { run, sleep } from '../../support/proc';
import { spawnProcess } from '../../support/cli';
import type { SpawnedCli } from '../../support/cli';
import { useCleanup } from '../../support/tmp';
import { buildCliBundle } from './bundle';
import { fuseMountsUnder, isImmutable, releaseMounts } from '../../support/guarded';

const SMB_USER = 'pillarsk1';
const LOCAL_USER = 'pillarsu1'; // the client runs as this one in the normal-user part
const PW = 'core-test-pw-41';
const IDS = ['flux', 'space', 'time'] as const;
/** the core's round (checkIntervalMs, 2 s) plus what a loaded machine adds to one SMB check */
const ROUND_MS = 3_500;

interface Client {
  home: string;
  run: string;
  settings: string;
  pwFile: string;
  mkt: string;
  as?: string; // local user name, when not root
}

describe('one running core, headless, and the guard', () => {
  const cleanup = useCleanup();
  let smbd: Smbd;
  let js: string;
  let base: string;

  const argv = (c: Client, args: string[]) =>
    (c.as ? ['setpriv', ['--reuid', c.as, '--regid', c.as, '--init-groups', '--', process.execPath, js, '--config', c.settings, ...args]] : [process.execPath, [js, '--config', c.settings, ...args]]) as [
      string,
      string[],
    ];
  // no D-Bus session, no keyring: what an SSH host has
  const envOf = (c: Client) => ({ HOME: c.home, XDG_RUNTIME_DIR: c.run, PATH: process.env.PATH ?? '/usr/bin:/bin', DBUS_SESSION_BUS_ADDRESS: undefined as unknown as string, NO_COLOR: '1' });
  const cli = (c: Client, args: string[], timeoutMs = 60_000) => {
    const [cmd, a] = argv(c, args);
    return run(cmd, a, { env: Object.fromEntries(Object.entries(envOf(c)).filter(([, v]) => v !== undefined)) as Record<string, string>, cwd: c.home, timeoutMs });
  };
  const watchOf = (c: Client, extra: string[] = []) => {
    const [cmd, a] = argv(c, ['--json', 'watch', '--password-file', c.pwFile, ...extra]);
    return cleanup.track(spawnProcess(cmd, a, { env: envOf(c), cwd: c.home }));
  };
  const states = (w: SpawnedCli) => {
    const last = w
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{"pillars"'))
      .pop();
    return last ? Object.fromEntries((JSON.parse(last) as { pillars: Array<{ id: string; state: string }> }).pillars.map((p) => [p.id, p.state])) : {};
  };
  const waitFor = async (pred: () => boolean, ms: number) => {
    const t0 = Date.now();
    while (!pred()) {
      if (Date.now() - t0 > ms) return -1;
      await sleep(50);
    }
    return Date.now() - t0;
  };
  /** a shell command in a child, as the client's user (this test process never touches a mount) */
  const sh = (c: Client, script: string, ...args: string[]) =>
    c.as ? run('setpriv', ['--reuid', c.as, '--regid', c.as, '--init-groups', '--', 'sh', '-c', script, 'sh', ...args], { timeoutMs: 15_000 }) : run('sh', ['-c', script, 'sh', ...args], { timeoutMs: 15_000 });

  const client = (name: string, as?: string): Client => {
    const dir = path.join(base, name);
    const c: Client = {
      home: path.join(dir, 'home'),
      run: path.join(dir, 'run'),
      settings: path.join(dir, 'settings.json'),
      pwFile: path.join(dir, 'smb-password'),
      mkt: path.join(dir, 'home', '.mkt'),
      ...(as ? { as } : {}),
    };
    mkdirSync(c.home, { recursive: true });
    mkdirSync(c.run, { mode: 0o700 });
    writeFileSync(
      c.settings,
      JSON.stringify({
        smb: { host: smbd.address, username: SMB_USER, domain: '' },
        secret: { source: 'keychain' },
        pillars: IDS.map((id) => ({ id, share: id, label: id[0]!.toUpperCase() + id.slice(1) })),
        mountRoot: c.mkt,
        links: false,
      }),
    );
    writeFileSync(c.pwFile, `${PW}\n`, { mode: 0o600 });
    if (as) {
      const uid = Number(execFileSync('id', ['-u', as]).toString());
      const gid = Number(execFileSync('id', ['-g', as]).toString());
      for (const p of [dir, c.home, c.run, c.settings, c.pwFile]) chownSync(p, uid, gid);
    }
    cleanup.add(() => releaseMounts(c.mkt));
    return c;
  };

  beforeAll(async () => {
    base = cleanup.tempDir('pillars-core-').path;
    chmodSync(base, 0o711); // the local user must get through to its own folders
    smbd = cleanup.track(await startSmbd({ users: [{ name: SMB_USER, password: PW }], shares: IDS.map((id) => ({ name: id, path: path.join(base, 'srv', id) })) }));
    for (const id of IDS) writeFileSync(path.join(base, 'srv', id, '.pillar'), `${id}\n`);
    const b = await buildCliBundle('core');
    cleanup.add(b.remove);
    js = b.js;
    await ensureUnixUser(LOCAL_USER);
    // Debian's udev rule makes /dev/fuse 0666 so that users can mount FUSE; this container's device
    // node is 0600. Set it as Debian has it for the normal-user part, and put it back afterwards.
    const mode = statSync('/dev/fuse').mode & 0o777;
    if ((mode & 0o006) !== 0o006) {
      chmodSync('/dev/fuse', 0o666);
      cleanup.add(() => chmodSync('/dev/fuse', mode));
    }
  });
  afterAll(() => cleanup.run());

  it('--password-file is refused unless only its owner can read it', async () => {
    const c = client('refused');
    chmodSync(c.pwFile, 0o644);
    const r = await cli(c, ['watch', '--password-file', c.pwFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--password-file: ${c.pwFile} has mode 0644: other users could read the password; run chmod 600 ${c.pwFile}`);
    expect(fuseMountsUnder(c.mkt)).toEqual([]);
    // no password anywhere on a host without a keychain: failed-auth (not failed-network), saying how to give one
    const m = await cli(c, ['--json', 'mount', 'flux']);
    expect(m.code).toBe(1);
    const flux = (JSON.parse(m.stdout) as { pillars: Array<{ id: string; state: string; reason: string }> }).pillars[0]!;
    expect(flux.state).toBe('failed-auth');
    expect(flux.reason).toMatch(/keychain not reachable .*no other source is configured: give it with `pillars mount --password-stdin` \(or `pillars watch --password-file FILE` on a host without a keychain\)/);
  });

  it('as root: watch mounts without a keychain; the CLI talks to it; unmount sticks until mount; settings apply live; the guard holds', async () => {
    const c = client('root');
    const w = watchOf(c);
    expect(await waitFor(() => IDS.every((id) => states(w)[id] === 'mounted'), 60_000), w.stdout() + w.stderr()).toBeGreaterThanOrEqual(0);

    // status answers from the running core, at once
    const st = await cli(c, ['status', '--json']);
    const sj = JSON.parse(st.stdout) as { pillars: Array<{ id: string; state: string }>; core?: { pid: number } };
    expect(sj.core?.pid).toBe(w.pid);
    expect(sj.pillars.map((p) => p.state)).toEqual(['mounted', 'mounted', 'mounted']);
    // the socket is the user's alone
    expect(statSync(c.run).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(c.run, 'pillars', 'control.sock')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(c.run, 'pillars', 'control.token')).mode & 0o777).toBe(0o600);

    // a second core for the same user is refused and says who keeps the pillars
    const second = await cli(c, ['watch', '--password-file', c.pwFile], 20_000);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/another Pillars core already runs for this user .*pillars status/);

    // unmount through the core: it stays unmounted, round after round, until mount
    const down = await cli(c, ['unmount', 'flux']);
    expect(down.code, down.stdout + down.stderr).toBe(0);
    expect(fuseMountsUnder(path.join(c.mkt, 'flux'))).toEqual([]);
    await sleep(3 * ROUND_MS);
    expect(fuseMountsUnder(path.join(c.mkt, 'flux'))).toEqual([]);
    expect(states(w)['flux']).toBe('unmounted');
    expect(isImmutable(path.join(c.mkt, 'flux'))).toBe(true);
    const up = await cli(c, ['mount', 'flux']);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(fuseMountsUnder(path.join(c.mkt, 'flux'))).toHaveLength(1);

    // settings applied live: Time leaves the settings, its mount goes and its folder is guarded
    const s = JSON.parse((await import('node:fs')).readFileSync(c.settings, 'utf8')) as { pillars: Array<{ id: string }> };
    s.pillars = s.pillars.filter((p) => p.id !== 'time');
    writeFileSync(`${c.settings}.new`, JSON.stringify(s));
    renameSync(`${c.settings}.new`, c.settings);
    // the states are printed as they change, the log line once the whole change is applied
    const applied = () => w.stderr().includes('settings changed (pillars): applied');
    expect(await waitFor(() => fuseMountsUnder(path.join(c.mkt, 'time')).length === 0 && Object.keys(states(w)).join() === 'flux,space' && applied(), 15_000), w.stdout() + w.stderr()).toBeGreaterThanOrEqual(0);
    expect(isImmutable(path.join(c.mkt, 'time'))).toBe(true);

    await guardHolds(c, w);
    await w.stop();
  });

  it('as a normal user: the same, with the guard held by the folder modes', async () => {
    const c = client('user', LOCAL_USER);
    const w = watchOf(c);
    expect(await waitFor(() => IDS.every((id) => states(w)[id] === 'mounted'), 60_000), w.stdout() + w.stderr()).toBeGreaterThanOrEqual(0);
    expect(statSync(c.mkt).mode & 0o777).toBe(0o555);
    const down = await cli(c, ['unmount', 'space']);
    expect(down.code, down.stdout + down.stderr).toBe(0);
    await sleep(2 * ROUND_MS);
    expect(fuseMountsUnder(path.join(c.mkt, 'space'))).toEqual([]);
    expect(statSync(path.join(c.mkt, 'space')).mode & 0o777).toBe(0o555);
    // another user cannot reach this core: its token is in the user's private folder
    await ensureUnixUser('pillarsu2');
    const other = await run('setpriv', ['--reuid', 'pillarsu2', '--regid', 'pillarsu2', '--init-groups', '--', process.execPath, js, '--config', c.settings, 'status', '--json'], {
      env: { HOME: '/tmp', XDG_RUNTIME_DIR: c.run, PATH: process.env.PATH ?? '' },
      timeoutMs: 30_000,
    });
    expect(other.stdout + other.stderr).not.toContain(`"core"`);
    await guardHolds(c, w);
    await w.stop();
  });

  /** smbd killed, then the mount taken away behind the core's back: no write ever lands locally. */
  async function guardHolds(c: Client, w: SpawnedCli): Promise<void> {
    const folder = path.join(c.mkt, 'flux');
    await smbd.kill();
    try {
      // within one round: a write through the (still mounted, server-less) share fails
      const t0 = Date.now();
      let w1 = await sh(c, 'printf lost > "$1"', path.join(folder, 'while-killed.txt'));
      while (w1.code === 0 && Date.now() - t0 < ROUND_MS) w1 = await sh(c, 'printf lost > "$1"', path.join(folder, 'while-killed.txt'));
      expect(w1.code, 'a write after smbd was killed').not.toBe(0);
      // now the mount goes away by itself (another tool, a crash): the folder underneath is guarded
      const um = c.as ? await sh(c, 'fusermount -u -z -- "$1"', folder) : await run('fusermount', ['-u', '-z', '--', folder], { timeoutMs: 10_000 });
      expect(um.code, um.stderr).toBe(0);
      expect(fuseMountsUnder(folder)).toEqual([]);
      const inode = statSync(folder).ino;
      for (const attempt of [
        ['printf lost > "$1/lost.txt"', folder],
        ['mkdir -p "$1/a/b"', folder],
        ['rmdir "$1"', folder],
        ['mv "$1" "$1.old"', folder],
        ['mkdir "$1.new" && mv "$1.new" "$1"', folder],
      ]) {
        const r = await sh(c, attempt[0]!, attempt[1]!);
        expect(r.code, `${attempt[0]} succeeded`).not.toBe(0);
      }
      expect(readdirSync(folder)).toEqual([]);
      expect(existsSync(`${folder}.old`)).toBe(false);
      expect(statSync(folder).ino, 'the folder is still the guarded one, not a replacement').toBe(inode);
      await sleep(ROUND_MS);
      expect(states(w)['flux']).not.toBe('mounted');
      expect(readdirSync(folder)).toEqual([]);
    } finally {
      await smbd.restart();
    }
    // the server back: the core mounts flux again by itself
    expect(await waitFor(() => states(w)['flux'] === 'mounted' && fuseMountsUnder(folder).length === 1, 30_000), w.stdout() + w.stderr()).toBeGreaterThanOrEqual(0);
  }
});
