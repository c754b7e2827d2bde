// A private, real smbd for tests (Samba 4.17 from Debian), per FIELD-NOTES "Samba":
// every state folder under its own temp dir, bound only to its own random loopback address on
// port 445, no NetBIOS, no printers. Unix users are created on the host (idempotently; they stay,
// as other test files may use the same names at the same time); SMB passwords live in the
// instance's private tdbsam passdb and go to smbpasswd on stdin, never in argv.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { killGroup, pidsWithArg, procState, run, runOk, sleep, stopGroup, tail, waitForExit } from './proc';
import type { RunResult } from './proc';
import { onProcessExit, once, tempDir } from './tmp';
import { randomLoopback, waitForPort } from './net';

export { procState };

export const SMB_PORT = 445;

export interface SmbUser {
  name: string;
  password: string;
}

export interface SmbShare {
  /** share name as clients see it */
  name: string;
  /** folder served; created when missing and made writable (0777, owned by `owner`) */
  path: string;
  /** extra `key = value` lines for the share section (override the defaults `read only = no`, `browseable = yes`) */
  params?: Record<string, string>;
  /** Unix user that owns the folder; default the first of `users` */
  owner?: string;
}

export interface SmbdOptions {
  users?: SmbUser[];
  shares?: SmbShare[];
  /** extra or overriding `[global]` parameters (the private-dir ones are best left alone) */
  globalParams?: Record<string, string>;
  /** appended verbatim after the shares, e.g. `include = /path/you/render.conf` or whole share sections */
  extraConfig?: string;
  /** loopback address to bind; default a random free 127.x.y.z (or the namespace's address) */
  address?: string;
  /** run smbd inside this network namespace (see netns.ts), bound to its address by default */
  netns?: { name: string; address: string };
  /** Samba `log level` (default 1); the log is at `<dir>/log/smbd.log` */
  logLevel?: number;
  /** how long to wait for port 445 to accept connections (default 20 s) */
  startTimeoutMs?: number;
}

export interface SmbclientOptions {
  /** kill smbclient after this long (default 30 s); the result then has timedOut = true */
  timeoutMs?: number;
  /** extra smbclient argv (never put a password here) */
  args?: string[];
}

export interface Smbd {
  /** the loopback address smbd is bound to, e.g. 127.34.7.201 (port 445) */
  readonly address: string;
  readonly port: number;
  /** the smb.conf smbd runs with; rewrite it (keeping `globalConfig` at the top) and call reload() */
  readonly confPath: string;
  /** the instance's temp dir: conf, state, private, logs (shares you name elsewhere are not inside) */
  readonly dir: string;
  /** pid of the main smbd (leader of its process group); changes on restart() */
  readonly pid: number;
  /** users created so far, with their current SMB password */
  readonly users: readonly SmbUser[];
  /** the private `[global]` section: start any config you render yourself with it */
  readonly globalConfig: string;
  /** `//address/share` */
  unc(share: string): string;
  /** rewrites confPath atomically as `globalConfig + body` (call reload() afterwards) */
  writeConfig(body: string): void;
  /** adds a share section to the config this helper renders, creates its folder, and reloads */
  addShare(share: SmbShare): Promise<void>;
  /** creates the Unix user if needed and sets its SMB password */
  addUser(user: SmbUser): Promise<void>;
  /** `smbcontrol reload-config`, returning once the main smbd has processed it */
  reload(): Promise<void>;
  /** SIGTERM then SIGKILL the process group and remove the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL the process group (a crash); restart() brings it back */
  kill(): Promise<void>;
  /** SIGSTOP the group (a hung server: TCP still connects, nothing answers); resolves once the main smbd is stopped */
  pause(): Promise<void>;
  /** SIGCONT the group; resolves once the main smbd runs again */
  resume(): Promise<void>;
  /** stops (if running) and starts again with the same address and config */
  restart(): Promise<void>;
  setPassword(user: string, password: string): Promise<void>;
  /** runs `smbclient //address/share -U user -c commands`; the password goes in the PASSWD env var */
  smbclient(share: string, user: string, password: string, commands: string, opts?: SmbclientOptions): Promise<RunResult>;
  /** `smbclient -L` as `user`: the disk shares the server announces (goes through samba-dcerpcd) */
  listShares(user: string, password: string): Promise<string[]>;
  /** pids of every process running with this instance's config: smbd, its children, samba-dcerpcd, rpcd_* */
  processes(): number[];
  /** the smbd log so far (for failure messages) */
  log(): string;
}

const SAFE_VALUE = /^[^\n\r\0]*$/;
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_ .$-]*$/;
const SAFE_USER = /^[a-z_][a-z0-9_-]{0,31}$/;

function checkShare(share: SmbShare): void {
  if (!SAFE_NAME.test(share.name)) throw new Error(`smbd helper: invalid share name ${JSON.stringify(share.name)}`);
  if (!path.isAbsolute(share.path) || !SAFE_VALUE.test(share.path)) throw new Error(`smbd helper: share ${share.name}: path must be absolute and on one line`);
  checkParams(`share ${share.name}`, share.params ?? {});
}

function checkParams(where: string, params: Record<string, string>): void {
  for (const [k, v] of Object.entries(params)) {
    if (!/^[a-z0-9:_ ]+$/i.test(k)) throw new Error(`smbd helper: ${where}: bad parameter name ${JSON.stringify(k)}`);
    if (!SAFE_VALUE.test(v)) throw new Error(`smbd helper: ${where}: value of '${k}' contains a line break`);
  }
}

function section(name: string, params: Record<string, string>): string {
  return `[${name}]\n${Object.entries(params)
    .map(([k, v]) => `   ${k} = ${v}\n`)
    .join('')}`;
}

function privateGlobals(dir: string, address: string, logLevel: number): Record<string, string> {
  return {
    'server role': 'standalone server',
    workgroup: 'WORKGROUP',
    'netbios name': `PT${randomBytes(4).toString('hex').toUpperCase()}`,
    'server string': 'pillars test smbd',
    interfaces: `${address}/8`,
    'bind interfaces only': 'yes',
    'smb ports': String(SMB_PORT),
    'disable netbios': 'yes',
    'load printers': 'no',
    printing: 'bsd',
    'printcap name': '/dev/null',
    'disable spoolss': 'yes',
    'pid directory': `${dir}/run`,
    'lock directory': `${dir}/lock`,
    'state directory': `${dir}/state`,
    'cache directory': `${dir}/cache`,
    'private dir': `${dir}/private`,
    'ncalrpc dir': `${dir}/ncalrpc`,
    'binddns dir': `${dir}/bind-dns`,
    'usershare path': `${dir}/usershares`,
    'log file': `${dir}/log/smbd.log`,
    'max log size': '0',
    'log level': String(logLevel),
    'passdb backend': `tdbsam:${dir}/private/passdb.tdb`,
    'map to guest': 'never',
    'restrict anonymous': '2',
    'server min protocol': 'SMB2',
  };
}

/** The client-side config smbclient uses: its own state dirs, port 445 only, no NetBIOS. */
function clientConfig(dir: string): string {
  return section('global', {
    'smb ports': String(SMB_PORT),
    'disable netbios': 'yes',
    'lock directory': `${dir}/client/lock`,
    'state directory': `${dir}/client/state`,
    'cache directory': `${dir}/client/cache`,
    'private dir': `${dir}/client/private`,
    'ncalrpc dir': `${dir}/client/ncalrpc`,
    'log file': `${dir}/client/log`,
    'client min protocol': 'SMB2',
  });
}

/**
 * Creates a Unix user without home or shell if it does not exist yet. useradd locks /etc/passwd,
 * and test files run in parallel, so calls are serialised with flock and retried.
 */
export async function ensureUnixUser(name: string): Promise<void> {
  if (!SAFE_USER.test(name)) throw new Error(`smbd helper: invalid Unix user name ${JSON.stringify(name)}`);
  for (let attempt = 0; attempt < 10; attempt++) {
    if ((await run('id', ['-u', name])).code === 0) return;
    const r = await run('flock', ['/tmp/pillars-test-useradd.lock', 'useradd', '-M', '-s', '/usr/sbin/nologin', name]);
    if (r.code === 0 || r.code === 9 /* already exists */) return;
    await new Promise((res) => setTimeout(res, 100 + attempt * 100));
  }
  throw new Error(`smbd helper: could not create Unix user ${name}`);
}

function uidOf(name: string): number {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`smbd helper: no Unix user ${name}`);
  return Number(line.split(':')[2]);
}

/** Makes every folder between the temp root and `p` traversable, so smbd acting as the user can reach it. */
function makeReachable(p: string): void {
  const root = os.tmpdir();
  let cur = path.dirname(path.resolve(p));
  while (cur.startsWith(root + path.sep)) {
    const mode = statSync(cur).mode;
    if ((mode & 0o001) === 0) chmodSync(cur, (mode & 0o7777) | 0o011);
    cur = path.dirname(cur);
  }
}

function prepareShareFolder(share: SmbShare, users: readonly SmbUser[]): void {
  mkdirSync(share.path, { recursive: true });
  const owner = share.owner ?? users[0]?.name;
  if (owner) chownSync(share.path, uidOf(owner), statSync(share.path).gid);
  chmodSync(share.path, 0o777);
  makeReachable(share.path);
}

async function waitForState(pid: number, ok: (state: string | undefined) => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(procState(pid)); i++) await sleep(10);
}

/** Starts a private smbd; resolves once port 445 on its address accepts connections. */
export async function startSmbd(opts: SmbdOptions = {}): Promise<Smbd> {
  const users: SmbUser[] = [];
  const shares: SmbShare[] = [...(opts.shares ?? [])];
  for (const s of shares) checkShare(s);
  checkParams('globalParams', opts.globalParams ?? {});

  const tmp = tempDir('pillars-smbd-');
  const dir = tmp.path;
  let child: ChildProcess | undefined;
  let stderr = tail();
  let unregisterExit = () => {};

  try {
    const address = opts.address ?? opts.netns?.address ?? (await randomLoopback(SMB_PORT));
    for (const sub of ['run', 'lock', 'state', 'cache', 'private', 'ncalrpc', 'bind-dns', 'usershares', 'log', 'client']) mkdirSync(path.join(dir, sub), { recursive: true });
    chmodSync(path.join(dir, 'private'), 0o700);
    const globals = { ...privateGlobals(dir, address, opts.logLevel ?? 1), ...(opts.globalParams ?? {}) };
    const globalConfig = section('global', globals);
    const confPath = path.join(dir, 'smb.conf');
    const clientConfPath = path.join(dir, 'client.conf');
    writeFileSync(clientConfPath, clientConfig(dir));

    const writeConfig = (body: string) => {
      const tmpPath = `${confPath}.tmp`;
      writeFileSync(tmpPath, `${globalConfig}\n${body}`);
      renameSync(tmpPath, confPath);
    };
    const renderOwn = () => {
      const body = shares.map((s) => section(s.name, { path: s.path, 'read only': 'no', browseable: 'yes', ...(s.params ?? {}) })).join('\n');
      writeConfig(`${body}\n${opts.extraConfig ?? ''}\n`);
    };

    const setPassword = async (name: string, password: string) => {
      if (!SAFE_VALUE.test(password)) throw new Error(`smbd helper: password for ${name} contains a line break`);
      await runOk('smbpasswd', ['-c', confPath, '-s', '-a', name], { input: `${password}\n${password}\n` });
      const u = users.find((x) => x.name === name);
      if (u) u.password = password;
      else users.push({ name, password });
    };
    const addUser = async (u: SmbUser) => {
      await ensureUnixUser(u.name);
      await setPassword(u.name, u.password);
    };

    renderOwn();
    for (const u of opts.users ?? []) await addUser(u);
    for (const s of shares) prepareShareFolder(s, users);

    const start = async () => {
      stderr = tail();
      const argv = ['smbd', '-F', '--no-process-group', '-s', confPath];
      // `ip netns exec` execs smbd in place, so the pid and process group stay smbd's own
      const [cmd, ...args] = opts.netns ? ['ip', 'netns', 'exec', opts.netns.name, ...argv] : argv;
      const c = spawn(cmd as string, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      c.stdout?.on('data', (b: Buffer) => stderr.push(b));
      c.stderr?.on('data', (b: Buffer) => stderr.push(b));
      c.on('error', (e) => stderr.push(`spawn error: ${e.message}\n`));
      const pid = c.pid;
      unregisterExit();
      unregisterExit = onProcessExit(() => {
        if (pid) killGroup(pid, 'SIGKILL');
        killHelpers('SIGKILL');
      });
      try {
        await waitForPort(address, SMB_PORT, { timeoutMs: opts.startTimeoutMs ?? 20_000, what: 'smbd', alive: () => c.exitCode === null && c.signalCode === null });
      } catch (e) {
        await stopGroup(c, 1_000);
        killHelpers('SIGKILL');
        throw new Error(`${(e as Error).message}\n--- smbd output ---\n${stderr.text()}\n--- smbd log ---\n${readLog()}`, { cause: e });
      }
    };
    const readLog = () => {
      try {
        return readFileSync(path.join(dir, 'log', 'smbd.log'), 'utf8').slice(-8_000);
      } catch {
        return '';
      }
    };
    // smbd starts samba-dcerpcd (and its rpcd_* workers) on demand for RPC such as share
    // listing; it calls setsid, so the group signal misses it. Our unique conf path finds it.
    const killHelpers = (sig: NodeJS.Signals) => {
      for (const p of pidsWithArg(confPath)) {
        try {
          process.kill(p, sig);
        } catch {
          // already gone
        }
      }
    };
    const halt = async () => {
      if (child) await stopGroup(child);
      killHelpers('SIGTERM');
      for (let i = 0; i < 50 && pidsWithArg(confPath).length > 0; i++) await sleep(20);
      killHelpers('SIGKILL');
    };
    const smbctl = (...args: string[]) => runOk('smbcontrol', [`--configfile=${confPath}`, 'smbd', ...args], { timeoutMs: 15_000 });

    await start();

    const handle: Smbd = {
      address,
      port: SMB_PORT,
      confPath,
      dir,
      get pid() {
        return child?.pid ?? -1;
      },
      users,
      globalConfig,
      unc: (share) => `//${address}/${share}`,
      writeConfig,
      async addShare(share) {
        checkShare(share);
        prepareShareFolder(share, users);
        shares.push(share);
        renderOwn();
        await handle.reload();
      },
      addUser,
      async reload() {
        await smbctl('reload-config');
        // Messages to the main smbd are handled in order: once it answers a ping, the reload ran.
        await smbctl('ping');
      },
      stop: once(async () => {
        await halt();
        unregisterExit();
        await tmp.cleanup();
      }),
      async kill() {
        if (!child?.pid) return;
        killGroup(child.pid, 'SIGKILL');
        await waitForExit(child, 5_000);
      },
      async pause() {
        if (!child?.pid) return;
        killGroup(child.pid, 'SIGSTOP');
        await waitForState(child.pid, (st) => st === 'T');
      },
      async resume() {
        if (!child?.pid) return;
        killGroup(child.pid, 'SIGCONT');
        await waitForState(child.pid, (st) => st !== 'T');
      },
      async restart() {
        await halt();
        await start();
      },
      setPassword,
      smbclient(share, user, password, commands, o = {}) {
        if (!existsSync(confPath)) throw new Error('smbd helper: smbclient after stop()');
        return run('smbclient', [`//${address}/${share}`, '-s', clientConfPath, '-U', user, ...(o.args ?? []), '-c', commands], {
          env: { ...process.env, PASSWD: password },
          timeoutMs: o.timeoutMs ?? 30_000,
        });
      },
      async listShares(user, password) {
        const r = await run('smbclient', ['-L', `//${address}`, '-s', clientConfPath, '-U', user, '-g'], { env: { ...process.env, PASSWD: password }, timeoutMs: 30_000 });
        if (r.code !== 0) throw new Error(`smbclient -L //${address} as ${user} exited ${r.code}: ${(r.stdout + r.stderr).trim().slice(-1000)}`);
        return r.stdout
          .split('\n')
          .filter((l) => l.startsWith('Disk|'))
          .map((l) => l.split('|')[1] ?? '');
      },
      processes: () => pidsWithArg(confPath),
      log: readLog,
    };
    return handle;
  } catch (e) {
    if (child) await stopGroup(child, 1_000);
    unregisterExit();
    await tmp.cleanup();
    throw e;
  }
}
