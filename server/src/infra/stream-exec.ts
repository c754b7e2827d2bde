// A child whose stdout is a stream, not lines (issue 16): `restic dump` sends a file or an archive
// straight to an HTTP answer or the terminal, `restic find --json` prints its matches as one long
// line. Backpressure holds: when the reader stops reading, the pipe fills and the child waits, so
// memory stays flat whatever the size. Like exec.ts: argv only, explicit env, own process group.
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import { ExecError, killGroup } from './exec';

export interface StreamRequest {
  cmd: string;
  args: readonly string[];
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
}

export interface StreamedChild {
  stdout: Readable;
  /** resolves when the child has exited and its stdout ended; stderr's last 64 KiB */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** ends the child and its group (the reader gave up) */
  kill(): void;
}

export type StreamSpawn = (req: StreamRequest) => StreamedChild;

const KEEP = 64 << 10;

export const nodeStreamSpawn: StreamSpawn = (req) => {
  const child = spawn(req.cmd, [...req.args], { env: req.env as NodeJS.ProcessEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    err = (err + s).slice(-KEEP);
  });
  const kill = () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      killGroup(child.pid, 'SIGTERM');
      const t = setTimeout(() => child.pid !== undefined && child.exitCode === null && killGroup(child.pid, 'SIGKILL'), 5000);
      t.unref();
    }
  };
  req.signal?.addEventListener('abort', kill, { once: true });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve, reject) => {
    child.on('error', (e: NodeJS.ErrnoException) => reject(new ExecError(e.code === 'ENOENT' ? `${req.cmd}: not found on PATH` : `${req.cmd}: ${e.message}`, req.cmd, e.code)));
    child.on('close', (code, signal) => {
      req.signal?.removeEventListener('abort', kill);
      resolve({ code, signal, stderr: err });
    });
  });
  // a rejected `done` nobody awaited yet must not crash the process
  done.catch(() => {});
  return { stdout: child.stdout, done, kill };
};

export type OpenedStream = { ok: true; stream: Readable; kill(): void } | { ok: false; code: number | null; stderr: string };

/**
 * Starts the child and waits for its first bytes (or its end), so a failure that comes before any
 * output (a path not in the snapshot, a locked repository) is told as an error, not as an empty
 * download. After that the stream carries the rest; if the child then fails, the stream ends with
 * an error instead of ending normally, so the reader never takes a cut-off file for a whole one.
 */
export async function openStream(spawnFn: StreamSpawn, req: StreamRequest): Promise<OpenedStream> {
  const c = spawnFn(req);
  const first = await new Promise<Buffer | null>((resolve, reject) => {
    const onData = (b: Buffer) => {
      c.stdout.pause();
      c.stdout.off('end', onEnd);
      resolve(b);
    };
    const onEnd = () => {
      c.stdout.off('data', onData);
      resolve(null);
    };
    c.stdout.once('data', onData);
    c.stdout.once('end', onEnd);
    c.done.catch(reject);
  });
  if (first === null) {
    const r = await c.done;
    if (r.code !== 0) return { ok: false, code: r.code, stderr: r.stderr };
  }
  const out = new PassThrough({ highWaterMark: 256 << 10 });
  if (first) out.write(first);
  if (first) c.stdout.pipe(out, { end: false });
  void c.done.then(
    (r) => {
      if (r.code === 0) out.end();
      else out.destroy(new Error(`${req.cmd} exited ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').at(-1) ?? ''}`));
    },
    (e: unknown) => out.destroy(e as Error),
  );
  // the reader went away: the child stops
  out.on('close', () => c.kill());
  return { ok: true, stream: out, kill: c.kill };
}
