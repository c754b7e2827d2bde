// Process plumbing shared by the helpers: run a command to completion (argv + env + stdin, never a
// shell string, so a password never lands in argv) and keep a long-running daemon in its own
// process group so one signal reaches it and every child it forked.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { onProcessExit } from './tmp';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** true when the deadline passed and the process (group) was killed */
  timedOut: boolean;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** written to stdin, which is then closed (stdin is closed empty when absent) */
  input?: string | Buffer;
  /** kill the process group with SIGKILL after this long (default 60 s) */
  timeoutMs?: number;
  /** run as this user and group (root only; supplementary groups are dropped) */
  uid?: number;
  gid?: number;
}

/** Runs `cmd args` to completion in its own process group and collects its output. Never rejects for a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      uid: opts.uid,
      gid: opts.gid,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const pid = child.pid;
    const unregister = pid ? onProcessExit(() => killGroup(pid, 'SIGKILL')) : () => {};
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid) killGroup(pid, 'SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // EPIPE when the command exits without reading its stdin
    child.on('error', (e) => {
      clearTimeout(timer);
      unregister();
      reject(new Error(`cannot start ${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      unregister();
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Like `run`, but throws (with the command's stderr) unless it exits 0. */
export async function runOk(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''}: ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  }
  return r;
}

/** A Unix user's uid and primary gid, as `id` reports them (through NSS, not /etc/passwd alone). */
export async function idsOf(user: string): Promise<{ uid: number; gid: number }> {
  const uid = Number((await runOk('id', ['-u', user])).stdout.trim());
  const gid = Number((await runOk('id', ['-g', user])).stdout.trim());
  return { uid, gid };
}

/** Sends a signal to a whole process group; a group that is already gone is not an error. */
export function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/** The state letter of /proc/PID/stat (R, S, D, T, Z…), or undefined when the process is gone. */
export function procState(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
  } catch {
    return undefined;
  }
}

/**
 * Pids of processes (other than this one) with an argument equal to `arg` or ending in `=arg`,
 * e.g. a daemon's unique temp config path. Finds what a daemon started outside its own process
 * group (samba-dcerpcd calls setsid) without matching anything by name.
 */
export function pidsWithArg(arg: string): number[] {
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a === arg || a.endsWith(`=${arg}`))) found.push(Number(e));
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/**
 * Whether a process with this pid is alive. A zombie (exited, not yet reaped: orphans wait for
 * PID 1 to reap them) counts as dead.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return procState(pid) !== 'Z';
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * True once `pid` has died (a zombie counts as dead), polling up to `withinMs`. A kill is not
 * instant on a loaded runner, so a test that checks a death right after a fixed sleep is a race.
 */
export async function diesWithin(pid: number, withinMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
  return true;
}

/** Resolves when the child has exited (immediately if it already has), or after `timeoutMs` with false. */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/**
 * Stops a daemon started with `detached: true`: SIGTERM to its group, SIGKILL after `graceMs`.
 * SIGCONT first, in case a test paused it (a stopped process never handles SIGTERM).
 */
export async function stopGroup(child: ChildProcess, graceMs = 5_000): Promise<void> {
  const pid = child.pid;
  if (!pid) return;
  if (child.exitCode === null && child.signalCode === null) {
    killGroup(pid, 'SIGTERM');
    killGroup(pid, 'SIGCONT');
    if (!(await waitForExit(child, graceMs))) {
      killGroup(pid, 'SIGKILL');
      await waitForExit(child, graceMs);
    }
  }
  // forked children (smbd per-connection processes) may outlive the leader
  killGroup(pid, 'SIGKILL');
}

/** Keeps the last `max` characters written to a stream, for error messages. */
export function tail(max = 8_000): { push(b: Buffer | string): void; text(): string } {
  let s = '';
  return {
    push(b) {
      s = (s + b.toString()).slice(-max);
    },
    text: () => s,
  };
}
