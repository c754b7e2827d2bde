// The one way server code starts a process: argv (never a shell string), explicit env, stdin as
// data, a timeout and an abort signal. Every child leads its own process group so that a cancel or
// a timeout ends the whole tree (restic's and rclone's helpers included) — rule 5 of docs/architecture.md.
import { spawn } from 'node:child_process';

export interface ExecRequest {
  cmd: string;
  args: readonly string[];
  /** The child's whole environment. Secrets go here or on stdin, never into args. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  stdin?: string | Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called per complete line; keeps memory bounded for chatty tools. */
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** How much of each stream to keep in the result (bytes, from the end). Default 1 MiB. */
  keepBytes?: number;
  onSpawn?: (pid: number) => void;
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
}

export type Exec = (req: ExecRequest) => Promise<ExecResult>;

export class ExecError extends Error {
  constructor(
    message: string,
    readonly cmd: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'ExecError';
  }
}

/** Keeps the last `limit` bytes of a stream and splits complete lines for a callback. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  private partial = '';
  constructor(
    private readonly limit: number,
    private readonly onLine?: (line: string) => void,
  ) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > this.limit && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
    if (this.onLine) {
      const text = this.partial + b.toString('utf8');
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      for (const l of lines) this.onLine(l.endsWith('\r') ? l.slice(0, -1) : l);
    }
  }
  end(): string {
    if (this.onLine && this.partial) this.onLine(this.partial);
    this.partial = '';
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }
}

export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

const GRACE_MS = 5000;

export const nodeExec: Exec = (req) =>
  new Promise<ExecResult>((resolve, reject) => {
    if (req.signal?.aborted) {
      resolve({ code: null, signal: null, stdout: '', stderr: '', timedOut: false, aborted: true });
      return;
    }
    const keep = req.keepBytes ?? 1 << 20;
    const out = new Tail(keep, req.onStdoutLine);
    const err = new Tail(keep, req.onStderrLine);
    const child = spawn(req.cmd, [...req.args], {
      env: (req.env ?? { PATH: process.env.PATH }) as NodeJS.ProcessEnv,
      cwd: req.cwd,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let timedOut = false;
    let aborted = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      if (child.pid === undefined) return;
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => child.pid !== undefined && killGroup(child.pid, 'SIGKILL'), GRACE_MS);
      killTimer.unref();
    };
    const timer = req.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          stop();
        }, req.timeoutMs)
      : undefined;
    const onAbort = () => {
      aborted = true;
      stop();
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('spawn', () => child.pid !== undefined && req.onSpawn?.(child.pid));
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {
      /* the child may exit before reading stdin */
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      reject(new ExecError(e.code === 'ENOENT' ? `${req.cmd}: not found on PATH` : `${req.cmd}: ${e.message}`, req.cmd, e.code));
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      req.signal?.removeEventListener('abort', onAbort);
      resolve({ code, signal, stdout: out.end(), stderr: err.end(), timedOut, aborted });
    });
    if (req.stdin !== undefined) child.stdin.end(req.stdin);
    else child.stdin.end();
  });
