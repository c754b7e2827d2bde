// Runs the two CLIs from their TypeScript sources through tsx, exactly as a user's shell would
// start them (a separate Node process: its own argv, env, stdin, exit code), so CLI tests need no
// build step. Long-running commands (`pillarsd serve`, `pillarsd demo`) get a handle that waits
// for a line of output and is always stopped, even when the test fails.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { killGroup, run, stopGroup } from './proc';
import type { RunResult } from './proc';
import { onProcessExit, once } from './tmp';

/** The repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PILLARSD_MAIN = path.join(REPO_ROOT, 'server/src/cli/main.ts');
export const PILLARS_MAIN = path.join(REPO_ROOT, 'src/cli/main.ts');
/** tsx's ESM loader by absolute URL, so a test's `cwd` elsewhere does not break `--import` */
const TSX_LOADER = pathToFileURL(path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

export interface CliOptions {
  /** merged over process.env (which carries NODE_EXTRA_CA_CERTS from global-setup) */
  env?: Record<string, string | undefined>;
  /** working directory (default the repository root; prefer a temp folder for commands that write) */
  cwd?: string;
  /** written to stdin, then stdin is closed (e.g. a password: never put one in args) */
  input?: string;
  /** kill after this long (default 60 s) */
  timeoutMs?: number;
  /** run as this user and group (the test runs as root; e.g. so that some file is really unreadable) */
  uid?: number;
  gid?: number;
}

/** `{ code, stdout, stderr, signal, timedOut }` */
export type CliResult = RunResult;

function nodeArgs(main: string, args: readonly string[]): string[] {
  return ['--import', TSX_LOADER, main, ...args];
}

function cliEnv(env: CliOptions['env']): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  for (const [k, v] of Object.entries(env ?? {})) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  return merged;
}

function runCli(main: string, args: readonly string[], opts: CliOptions): Promise<CliResult> {
  return run(process.execPath, nodeArgs(main, args), { env: cliEnv(opts.env), cwd: opts.cwd ?? REPO_ROOT, input: opts.input, timeoutMs: opts.timeoutMs, uid: opts.uid, gid: opts.gid });
}

/** Runs `pillarsd ARGS` from source to completion. */
export function runPillarsd(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  return runCli(PILLARSD_MAIN, args, opts);
}

/** Runs `pillars ARGS` (the client CLI) from source to completion. */
export function runPillars(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  return runCli(PILLARS_MAIN, args, opts);
}

export interface SpawnedCli {
  readonly child: ChildProcess;
  readonly pid: number;
  /** everything printed so far */
  stdout(): string;
  stderr(): string;
  /**
   * Resolves with the match of the first line (stdout or stderr, already printed or still to
   * come) matching `re`; rejects when the process exits first or after `timeoutMs` (default 30 s),
   * with the output so far in the message.
   */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** resolves when the process exits */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** sends a signal to the process itself (default SIGTERM) and waits for it to exit (up to 10 s) */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL, to the whole process group (children such as restic too). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts any command in its own process group with line-oriented output capture. The building
 * block of spawnPillarsd/spawnPillars; also handy for other long-running tools.
 */
export function spawnProcess(cmd: string, args: readonly string[], opts: CliOptions = {}): SpawnedCli {
  const child = spawn(cmd, args, { env: cliEnv(opts.env), cwd: opts.cwd ?? REPO_ROOT, detached: true, stdio: ['pipe', 'pipe', 'pipe'], uid: opts.uid, gid: opts.gid });
  let out = '';
  let err = '';
  const lines: string[] = [];
  const partial = { out: '', err: '' };
  const waiters = new Set<() => void>();
  const feed = (which: 'out' | 'err', b: Buffer) => {
    const s = b.toString('utf8');
    if (which === 'out') out += s;
    else err += s;
    const parts = (partial[which] + s).split('\n');
    partial[which] = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of waiters) w();
  };
  child.stdout?.on('data', (b: Buffer) => feed('out', b));
  child.stderr?.on('data', (b: Buffer) => feed('err', b));
  child.stdin?.on('error', () => {});
  if (opts.input !== undefined) child.stdin?.end(opts.input);
  const pid = child.pid ?? -1;
  const unregister = onProcessExit(() => {
    if (pid > 0) killGroup(pid, 'SIGKILL');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      for (const w of waiters) w();
      resolve({ code, signal });
    });
    child.once('error', (e) => {
      err += `spawn error: ${e.message}\n`;
      resolve({ code: null, signal: null });
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
    for (const w of waiters) w();
  });
  const timer = opts.timeoutMs ? setTimeout(() => killGroup(pid, 'SIGKILL'), opts.timeoutMs) : undefined;
  void exited.then(() => clearTimeout(timer));

  return {
    child,
    pid,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLine(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        let checked = 0;
        const check = () => {
          const all = [...lines, partial.out, partial.err];
          for (; checked < lines.length; checked++) {
            const m = (lines[checked] ?? '').match(re);
            if (m) return finish(() => resolve(m));
          }
          // a final line without a newline counts once the process has exited
          if (done) {
            for (const l of all.slice(lines.length)) {
              const m = l.match(re);
              if (m) return finish(() => resolve(m));
            }
            return finish(() => reject(new Error(`${cmd} exited before printing a line matching ${re}\n--- stdout ---\n${out}\n--- stderr ---\n${err}`)));
          }
        };
        const t = setTimeout(() => finish(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms\n--- stdout ---\n${out}\n--- stderr ---\n${err}`))), timeoutMs);
        const finish = (f: () => void) => {
          clearTimeout(t);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    },
    async kill(signal = 'SIGTERM') {
      if (!done) {
        try {
          child.kill(signal);
        } catch {
          // already gone
        }
      }
      const t = new Promise<'late'>((r) => setTimeout(() => r('late'), 10_000));
      const r = await Promise.race([exited, t]);
      if (r === 'late') throw new Error(`${cmd} did not exit within 10 s of ${signal}`);
      return r;
    },
    stop: once(async () => {
      await stopGroup(child);
      unregister();
    }),
  };
}

/** Starts `pillarsd ARGS` from source in the background (serve, demo…). Stop it with `stop()`. */
export function spawnPillarsd(args: readonly string[], opts: CliOptions = {}): SpawnedCli {
  return spawnProcess(process.execPath, nodeArgs(PILLARSD_MAIN, args), opts);
}

/** Starts `pillars ARGS` (the client CLI) from source in the background. */
export function spawnPillars(args: readonly string[], opts: CliOptions = {}): SpawnedCli {
  return spawnProcess(process.execPath, nodeArgs(PILLARS_MAIN, args), opts);
}
