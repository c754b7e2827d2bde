// The real Exec on node:child_process. Every child runs in its own process group (so one signal
// reaches whatever it forks) and the promise settles at the deadline whatever the child does: a
// process stuck in D state on a hung network mount ignores even SIGKILL, so we kill, detach and
// stop waiting instead of awaiting its exit (rule 8 of docs/architecture.md).
//
// The spawning itself happens away from the main thread. libuv's uv_spawn forks and then blocks its
// caller until the child has exec'd; under load that wait is however long the scheduler takes to
// run the child (a --cpu-prof of `pillars watch` in the fault suite showed 150-200 ms stretches
// in spawn()), which on the main thread is an event-loop stall. On macOS (posix_spawn) and Windows
// (CreateProcess) a worker thread is enough: only the worker waits. On Linux libuv fork()s, and a
// fork write-locks the whole address space of the process until the copy of its page tables is
// done: every page fault, mmap or mprotect of the main thread (allocation, GC, JIT code) waits for
// the worker's fork, and on a loaded machine the forking thread is preempted while it holds the
// lock. The fault suite's profile showed exactly that: the main thread stuck for 200-480 ms in
// postMessage and the garbage collector while the worker sat in ChildProcess.spawn. So on Linux
// the spawner is a small Node process of its own (about 7 MB private memory): its forks copy its
// own address space, never the core's. The core forks once, to start it, and keeps it for its
// life (unref'd, it never holds the process open; it ends when the core's IPC channel closes).
// The worker starts with the first command and ends after a few idle seconds, so a core that
// spawns nothing in its steady state pays no memory for it (a Node worker is about 10 MB).
import { Worker } from 'node:worker_threads';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Exec, ExecRequest, ExecResult } from '../types';

/** Variables a child may inherit; anything else (tokens, secrets in our own env) stays out. */
const INHERITED = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TMPDIR',
  'XDG_RUNTIME_DIR',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'XDG_CURRENT_DESKTOP',
  'DBUS_SESSION_BUS_ADDRESS',
  'DISPLAY',
  'WAYLAND_DISPLAY',
  // Windows: PowerShell, net.exe and the SMB cmdlets need these to start and to find their modules
  // (without SystemDrive and ProgramFiles PowerShell cannot build PSModulePath's defaults, and
  // without PSModulePath it does not find the SmbShare module)
  'SystemRoot',
  'SystemDrive',
  'windir',
  'ComSpec',
  'PATHEXT',
  'TEMP',
  'TMP',
  'USERPROFILE',
  'USERNAME',
  'USERDOMAIN',
  'APPDATA',
  'LOCALAPPDATA',
  'ProgramData',
  'ProgramFiles',
  'ProgramFiles(x86)',
  'ProgramW6432',
  'CommonProgramFiles',
  'PSModulePath',
  'NUMBER_OF_PROCESSORS',
  'PROCESSOR_ARCHITECTURE',
  'OS',
];

const DEFAULT_TIMEOUT_MS = 60_000;
const IDLE_MS = 5_000;

export function baseEnv(from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = { LC_ALL: 'C', LANG: 'C' }; // messages we parse stay in English
  // Windows environment names are case-insensitive (Path, SystemRoot…): match them that way there
  const keys = Object.keys(from);
  for (const k of INHERITED) {
    const found = from[k] !== undefined ? k : process.platform === 'win32' ? keys.find((x) => x.toLowerCase() === k.toLowerCase()) : undefined;
    const v = found === undefined ? undefined : from[found];
    if (v !== undefined) env[k] = v;
  }
  return env;
}

// The spawner's whole program, CommonJS evaluated from a string: nothing to resolve from a bundle
// or an asar archive; the same program runs as a worker (parentPort) or as a process (its IPC
// channel). It spawns, collects output (capped), and on 'abandon' kills the process group and
// stops caring about the child (pipes destroyed, child unref'd). Output travels to the core as it
// arrives, so a deadline there settles with what the child said so far. As a process it outlives
// nothing: it ends when the core's channel closes, and a Ctrl-C meant for the core is the core's.
const WORKER = String.raw`
const { spawn } = require('node:child_process');
const parentPort = require('node:worker_threads').parentPort || {
  on: (e, f) => process.on(e, f),
  postMessage: (m) => process.send(m),
};
if (!require('node:worker_threads').parentPort) {
  process.on('disconnect', () => process.exit(0));
  process.on('SIGINT', () => {});
}
const MAX_OUTPUT = 4 * 1024 * 1024;
const isWin = process.platform === 'win32';
const live = new Map();
function killGroup(pid) {
  if (!pid) return;
  try { process.kill(isWin ? pid : -pid, 'SIGKILL'); } catch { try { process.kill(pid, 'SIGKILL'); } catch {} }
}
parentPort.on('message', (m) => {
  if (m.type === 'abandon') {
    const c = live.get(m.id);
    if (!c) return;
    live.delete(m.id);
    killGroup(c.pid);
    c.stdout && c.stdout.destroy();
    c.stderr && c.stderr.destroy();
    c.stdin && c.stdin.destroy();
    c.unref();
    return;
  }
  const done = (r) => { if (live.delete(m.id) || r.started === false) parentPort.postMessage({ id: m.id, r: r.result }); };
  let outLen = 0; let errLen = 0;
  const chunk = (which, b) => {
    const len = which === 'o' ? (outLen += b.length) : (errLen += b.length);
    if (len - b.length < MAX_OUTPUT && live.has(m.id)) parentPort.postMessage({ id: m.id, [which]: b });
  };
  let child;
  try {
    child = spawn(m.cmd, m.args, { env: m.env, cwd: m.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: !isWin, windowsHide: true });
  } catch (e) {
    done({ started: false, result: { code: null, stdout: '', stderr: 'cannot start ' + m.cmd + ': ' + e.message, timedOut: false } });
    return;
  }
  live.set(m.id, child);
  child.stdout.on('data', (b) => chunk('o', b));
  child.stderr.on('data', (b) => chunk('e', b));
  child.stdin.on('error', () => {});
  child.on('error', (e) => done({ result: { code: null, stdout: '', stderr: 'cannot start ' + m.cmd + ': ' + e.message, timedOut: false } }));
  child.on('close', (code) => done({ result: { code, timedOut: false } }));
  child.stdin.end(m.stdin || '');
});
`;

interface Pending {
  resolve: (r: ExecResult) => void;
  out: Uint8Array[];
  err: Uint8Array[];
}

type WorkerMessage = { id: number; o?: Uint8Array; e?: Uint8Array; r?: { code: number | null; stdout?: string; stderr?: string; timedOut: boolean } };

const text = (parts: Uint8Array[]) => Buffer.concat(parts).toString('utf8');

/** The spawner as the core sees it: a worker thread, or on Linux a process of its own (see the top). */
interface SpawnerHost {
  /** the spawner process (Linux); null for a worker thread */
  readonly pid: number | null;
  post(m: object): void;
  ref(): void;
  unref(): void;
  end(): void;
  /** kept for the life of the core (the process); a worker ends after an idle spell */
  readonly keep: boolean;
}

function startHost(onMessage: (m: WorkerMessage) => void, onGone: (why: string) => void): SpawnerHost {
  if (process.platform === 'linux') {
    // the one fork of the core's address space; ELECTRON_RUN_AS_NODE: the tray's binary as Node
    const c: ChildProcess = spawn(process.execPath, ['-e', WORKER], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced', env: { ELECTRON_RUN_AS_NODE: '1' } });
    c.on('message', onMessage);
    c.on('error', (e) => onGone(`the spawning process failed: ${e.message}`));
    c.on('exit', (code, signal) => onGone(`the spawning process exited (${signal ?? code})`));
    return {
      pid: c.pid ?? null,
      post: (m) => void c.send(m),
      ref: () => {
        c.ref();
        c.channel?.ref();
      },
      unref: () => {
        c.unref();
        c.channel?.unref();
      },
      end: () => void c.kill(),
      keep: true,
    };
  }
  const w = new Worker(WORKER, { eval: true, stdout: false, stderr: false });
  w.on('message', onMessage);
  w.on('error', (e) => onGone(`the spawning thread failed: ${e.message}`));
  w.on('exit', (code) => onGone(`the spawning thread exited (${code})`));
  return { pid: null, post: (m) => w.postMessage(m), ref: () => w.ref(), unref: () => w.unref(), end: () => void w.terminate(), keep: false };
}

/** One spawner per process, shared by every Exec. */
const spawner = {
  worker: null as SpawnerHost | null,
  seq: 0,
  pending: new Map<number, Pending>(),
  idle: null as ReturnType<typeof setTimeout> | null,

  ensure(): SpawnerHost {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    if (this.worker) return this.worker;
    const fail = (why: string) => {
      if (this.worker !== w) return;
      this.worker = null;
      for (const id of [...this.pending.keys()]) this.settle(id, { code: null, stdout: '', stderr: why, timedOut: false });
    };
    const w: SpawnerHost = startHost((m) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.o) p.out.push(m.o);
      else if (m.e) p.err.push(m.e);
      else if (m.r) this.settle(m.id, m.r);
    }, fail);
    this.worker = w;
    return w;
  },

  /** Settles with the output gathered so far unless r carries its own (a start failure's message). */
  settle(id: number, r: { code: number | null; stdout?: string; stderr?: string; timedOut: boolean }): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.resolve({ code: r.code, stdout: r.stdout ?? text(p.out), stderr: r.stderr ?? text(p.err), timedOut: r.timedOut });
    if (this.pending.size === 0 && this.worker) {
      // nothing in flight: the spawner may not keep the process alive; a worker goes after a quiet spell
      this.worker.unref();
      const w = this.worker;
      if (w.keep) return;
      this.idle = setTimeout(() => {
        if (this.worker === w && this.pending.size === 0) {
          this.worker = null;
          w.end();
        }
      }, IDLE_MS);
      this.idle.unref();
    }
  },

  run(req: ExecRequest, env: Record<string, string>): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve) => {
      const id = ++this.seq;
      let timer: ReturnType<typeof setTimeout> | null = null;
      const onAbort = () => abandon();
      const finish = (r: ExecResult) => {
        if (timer) clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const abandon = () => {
        if (!this.pending.has(id)) return;
        this.worker?.post({ type: 'abandon', id });
        this.settle(id, { code: null, timedOut: true });
      };
      this.pending.set(id, { resolve: finish, out: [], err: [] });
      if (req.signal?.aborted) {
        this.pending.delete(id);
        finish({ code: null, stdout: '', stderr: '', timedOut: true });
        return;
      }
      let w: SpawnerHost;
      try {
        w = this.ensure();
      } catch (e) {
        this.settle(id, { code: null, stdout: '', stderr: `cannot start ${req.cmd}: ${(e as Error).message}`, timedOut: false });
        return;
      }
      w.ref();
      timer = setTimeout(abandon, req.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      req.signal?.addEventListener('abort', onAbort, { once: true });
      w.post({ type: 'spawn', id, cmd: req.cmd, args: [...req.args], env: { ...env, ...req.env }, cwd: req.cwd, stdin: req.stdin ?? '' });
    });
  },
};

/** The live spawner process's pid (Linux), for measuring what the children it starts cost. */
export function spawnerPid(): number | null {
  return spawner.worker?.pid ?? null;
}

export function createExec(opts: { env?: NodeJS.ProcessEnv } = {}): Exec {
  const base = baseEnv(opts.env);
  return (req: ExecRequest) => spawner.run(req, base);
}
