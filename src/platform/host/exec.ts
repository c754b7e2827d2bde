// The real Exec on node:child_process. Every child runs in its own process group (so one signal
// reaches whatever it forks) and the promise settles at the deadline whatever the child does: a
// process stuck in D state on a hung network mount ignores even SIGKILL, so we kill, detach and
// stop waiting instead of awaiting its exit (rule 8 of docs/architecture.md).
import { spawn } from 'node:child_process';
import type { Exec, ExecRequest, ExecResult } from '../types';

/** Variables a child may inherit; anything else (tokens, secrets in our own env) stays out. */
const INHERITED = [
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TMPDIR', 'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME',
  'XDG_CURRENT_DESKTOP', 'DBUS_SESSION_BUS_ADDRESS', 'DISPLAY', 'WAYLAND_DISPLAY',
  // Windows needs these for PowerShell and net.exe to start at all
  'SystemRoot', 'windir', 'ComSpec', 'PATHEXT', 'TEMP', 'TMP', 'USERPROFILE', 'APPDATA', 'LOCALAPPDATA', 'ProgramData',
];

const MAX_OUTPUT = 4 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 60_000;

export function baseEnv(from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = { LC_ALL: 'C', LANG: 'C' }; // messages we parse stay in English
  for (const k of INHERITED) {
    const v = from[k];
    if (v !== undefined) env[k] = v;
  }
  return env;
}

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

export function createExec(opts: { env?: NodeJS.ProcessEnv } = {}): Exec {
  const base = baseEnv(opts.env);
  return (req: ExecRequest) => runChild(req, base);
}

function runChild(req: ExecRequest, base: Record<string, string>): Promise<ExecResult> {
  return new Promise<ExecResult>((resolve) => {
    let settled = false;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    const isWin = process.platform === 'win32';
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(req.cmd, [...req.args], {
        env: { ...base, ...req.env },
        cwd: req.cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: !isWin, // own process group on POSIX
        windowsHide: true,
      });
    } catch (e) {
      resolve({ code: null, stdout: '', stderr: `cannot start ${req.cmd}: ${(e as Error).message}`, timedOut: false });
      return;
    }
    const finish = (r: ExecResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const abandon = (why: string) => {
      // kill the group, then stop caring: pipes destroyed and the child unref'd so neither this
      // promise nor the process's exit waits on a child the kernel cannot kill yet
      killGroup(child.pid);
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.stdin?.destroy();
      child.unref();
      finish({ code: null, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') + why, timedOut: true });
    };
    const onAbort = () => abandon('');
    const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(() => abandon(''), timeoutMs);
    if (req.signal) {
      if (req.signal.aborted) {
        abandon('');
        return;
      }
      req.signal.addEventListener('abort', onAbort, { once: true });
    }
    child.stdout?.on('data', (b: Buffer) => {
      if (outLen < MAX_OUTPUT) out.push(b);
      outLen += b.length;
    });
    child.stderr?.on('data', (b: Buffer) => {
      if (errLen < MAX_OUTPUT) err.push(b);
      errLen += b.length;
    });
    child.stdin?.on('error', () => {}); // EPIPE when the child exits without reading stdin
    child.on('error', (e) => finish({ code: null, stdout: '', stderr: `cannot start ${req.cmd}: ${e.message}`, timedOut: false }));
    child.on('close', (code) => finish({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut: false }));
    child.stdin?.end(req.stdin ?? '');
  });
}
