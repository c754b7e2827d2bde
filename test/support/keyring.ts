// A private D-Bus session bus with an unlocked gnome-keyring (Secret Service), per FIELD-NOTES
// "Keychain": keytar and secret-tool talk to it through DBUS_SESSION_BUS_ADDRESS. Both daemons run
// in the foreground in their own process groups (not --fork/--daemonize) so stop() reaches them,
// and every file they write (keyrings, sockets) lives in the temp folder.
//
// One caveat for the test process itself: libsecret (inside keytar) connects to the session bus
// on first use and keeps that connection, so call applyToProcess() before keytar's first call, and
// use one keyring per test file (each file runs in its own forked worker).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { killGroup, run, sleep, stopGroup, tail } from './proc';
import { onProcessExit, once, tempDir } from './tmp';

export interface KeyringEnv {
  DBUS_SESSION_BUS_ADDRESS: string;
  [k: string]: string;
}

export interface Keyring {
  /** env to merge into a child's environment (secret-tool, smbnetfs, the CLIs) */
  readonly env: KeyringEnv;
  /** the login keyring's password (it is unlocked already) */
  readonly password: string;
  /** temp folder holding the bus socket and the keyrings (XDG_DATA_HOME/keyrings) */
  readonly dir: string;
  /**
   * Points this process's env at the private bus (before the first keytar call). Returns a
   * function restoring the previous values; stop() restores them too.
   */
  applyToProcess(): () => void;
  /** runs `secret-tool ARGS` against this keyring (stdin for `store`) */
  secretTool(args: readonly string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** stops gnome-keyring-daemon and dbus-daemon, restores env, removes the folder. Idempotent. */
  stop(): Promise<void>;
}

function readFirstLine(child: ChildProcess, timeoutMs: number, what: string, errTail: { text(): string }): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`${what} printed no address within ${timeoutMs} ms: ${errTail.text()}`)), timeoutMs);
    const onData = (b: Buffer) => {
      buf += b.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(t);
        child.stdout?.off('data', onData);
        resolve(buf.slice(0, nl).trim());
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${what} exited (${code}) before printing its address: ${errTail.text()}`));
    });
  });
}

export async function startKeyring(opts: { password?: string; startTimeoutMs?: number } = {}): Promise<Keyring> {
  const tmp = tempDir('pillars-keyring-');
  const dir = tmp.path;
  const password = opts.password ?? randomBytes(12).toString('base64url');
  const children: ChildProcess[] = [];
  const unregisters: Array<() => void> = [];
  const track = (c: ChildProcess) => {
    children.push(c);
    const pid = c.pid;
    if (pid) unregisters.push(onProcessExit(() => killGroup(pid, 'SIGKILL')));
  };
  const restorers: Array<() => void> = [];
  const timeoutMs = opts.startTimeoutMs ?? 15_000;

  const stopAll = async () => {
    for (const r of restorers.splice(0).reverse()) r();
    for (const c of children.reverse()) await stopGroup(c, 2_000);
    for (const u of unregisters) u();
    await tmp.cleanup();
  };

  try {
    const runtime = path.join(dir, 'run');
    const data = path.join(dir, 'data');
    const home = path.join(dir, 'home');
    for (const d of [runtime, data, home, path.join(dir, 'config'), path.join(dir, 'cache')]) mkdirSync(d, { recursive: true, mode: 0o700 });
    const address = `unix:path=${path.join(runtime, 'bus')}`;
    const daemonEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      XDG_RUNTIME_DIR: runtime,
      XDG_DATA_HOME: data,
      XDG_CONFIG_HOME: path.join(dir, 'config'),
      XDG_CACHE_HOME: path.join(dir, 'cache'),
      DBUS_SESSION_BUS_ADDRESS: address,
      GSETTINGS_BACKEND: 'memory',
      LANG: 'C.UTF-8',
    };

    const busErr = tail();
    const bus = spawn('dbus-daemon', ['--session', '--nofork', '--nopidfile', `--address=${address}`, '--print-address=1'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: daemonEnv });
    track(bus);
    bus.stderr?.on('data', (b: Buffer) => busErr.push(b));
    const printed = await readFirstLine(bus, timeoutMs, 'dbus-daemon', busErr);
    const env: KeyringEnv = { DBUS_SESSION_BUS_ADDRESS: printed || address };

    const krErr = tail();
    const kr = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets', `--control-directory=${path.join(runtime, 'keyring')}`], {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...daemonEnv, DBUS_SESSION_BUS_ADDRESS: env.DBUS_SESSION_BUS_ADDRESS },
    });
    track(kr);
    kr.stdout?.on('data', (b: Buffer) => krErr.push(b));
    kr.stderr?.on('data', (b: Buffer) => krErr.push(b));
    kr.stdin?.on('error', () => {});
    kr.stdin?.end(password); // --unlock reads the login keyring password from stdin, never argv

    // Ready when the Secret Service name is owned on our bus (by our daemon, not by activation).
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (kr.exitCode !== null) throw new Error(`gnome-keyring-daemon exited (${kr.exitCode}): ${krErr.text()}`);
      const r = await run('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets'], {
        env: { ...daemonEnv, ...env },
        timeoutMs: 5_000,
      });
      if (r.stdout.includes('boolean true')) break;
      if (Date.now() > deadline) throw new Error(`gnome-keyring-daemon did not claim org.freedesktop.secrets within ${timeoutMs} ms: ${krErr.text()}`);
      await sleep(50);
    }

    const handle: Keyring = {
      env,
      password,
      dir,
      applyToProcess() {
        const saved = Object.keys(env).map((k) => [k, process.env[k]] as const);
        Object.assign(process.env, env);
        let done = false;
        const restore = () => {
          if (done) return;
          done = true;
          for (const [k, v] of saved) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
          }
        };
        restorers.push(restore);
        return restore;
      },
      secretTool: (args, input) => run('secret-tool', args, { env: { ...daemonEnv, ...env }, input, timeoutMs: 15_000 }),
      stop: once(stopAll),
    };
    return handle;
  } catch (e) {
    await stopAll();
    throw e;
  }
}
