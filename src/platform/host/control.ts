// The local channel between a running core (the tray, `pillars watch`) and the `pillars` CLI: a
// Unix socket in the user's private runtime folder (0700), or on Windows a named pipe whose name
// derives from that folder. Either way only this user should reach it, and both ends prove it:
// each holds the token the core wrote, 0600, into the same private folder, and each shows the
// other an HMAC of a fresh nonce under it before anything else is said (a pipe squatted by another
// user learns nothing, and answers nothing it could have forged). The token never travels.
//
// One request per connection, JSON lines:
//   client → {"hello":1,"nonce":C}           server → {"nonce":S,"proof":HMAC(token,"server:"+C)}
//   client → {"proof":HMAC(token,"client:"+S),"cmd":…,"args":…}
//   server → {"ok":true,"result":…} | {"ok":false,"error":"…"}
import net from 'node:net';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

export interface ControlPaths {
  socket: string;
  token: string;
}

export function controlPaths(runtimeDir: string, platform: NodeJS.Platform = process.platform): ControlPaths {
  const socket = platform === 'win32' ? `\\\\.\\pipe\\pillars-${createHash('sha256').update(runtimeDir.toLowerCase()).digest('hex').slice(0, 24)}` : path.join(runtimeDir, 'control.sock');
  return { socket, token: path.join(runtimeDir, 'control.token') };
}

const hmac = (token: string, what: string) => createHmac('sha256', token).update(what).digest('hex');
const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
const MAX_LINE = 1024 * 1024;

/** Reads JSON lines from a socket, one at a time. */
function lineReader(sock: net.Socket): () => Promise<Record<string, unknown>> {
  let buf = '';
  const waiting: Array<(v: Record<string, unknown> | Error) => void> = [];
  const queue: Array<Record<string, unknown> | Error> = [];
  const push = (v: Record<string, unknown> | Error) => {
    const w = waiting.shift();
    if (w) w(v);
    else queue.push(v);
  };
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    if (buf.length > MAX_LINE) return void sock.destroy(new Error('message too long'));
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        const v = JSON.parse(line) as unknown;
        push(v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : new Error('not an object'));
      } catch {
        push(new Error('not JSON'));
      }
    }
  });
  sock.on('close', () => push(new Error('connection closed')));
  sock.on('error', () => undefined);
  return () =>
    new Promise((resolve, reject) => {
      const v = queue.shift();
      const take = (x: Record<string, unknown> | Error) => (x instanceof Error ? reject(x) : resolve(x));
      if (v) take(v);
      else waiting.push(take);
    });
}

const send = (sock: net.Socket, v: unknown) => sock.write(`${JSON.stringify(v)}\n`);

export type ControlHandler = (cmd: string, args: Record<string, unknown>) => Promise<unknown>;

export interface ControlServer {
  readonly paths: ControlPaths;
  close(): Promise<void>;
}

/** Is a core answering there? (Used before taking a socket over: a dead core leaves its file behind.) */
async function answering(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    const t = setTimeout(() => (s.destroy(), resolve(false)), 500);
    s.once('connect', () => (clearTimeout(t), s.destroy(), resolve(true)));
    s.once('error', () => (clearTimeout(t), resolve(false)));
  });
}

export class CoreRunningError extends Error {}

/** The runtime folder must be ours and private before a token goes into it (a /tmp fallback can be pre-created by someone else). */
async function ensurePrivate(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32') return; // %TEMP% and %LOCALAPPDATA% are per-user folders
  const st = await fsp.lstat(dir);
  if (!st.isDirectory() || st.isSymbolicLink()) throw new Error(`${dir} must be a folder`);
  if (st.uid !== process.getuid?.()) throw new Error(`${dir} belongs to another user (uid ${st.uid}): not putting the control socket there`);
  if ((st.mode & 0o077) !== 0) await fsp.chmod(dir, 0o700);
}

/** Listens for the CLI. Refuses (CoreRunningError) when another core already answers for this user. */
export async function listenControl(runtimeDir: string, handler: ControlHandler): Promise<ControlServer> {
  const paths = controlPaths(runtimeDir);
  await ensurePrivate(runtimeDir);
  if (process.platform !== 'win32') {
    if (await answering(paths.socket)) throw new CoreRunningError(`another Pillars core already runs for this user (it answers on ${paths.socket})`);
    await fsp.rm(paths.socket, { force: true });
  }
  const token = randomBytes(32).toString('hex');
  const tmp = `${paths.token}.${process.pid}.tmp`;
  await fsp.writeFile(tmp, token, { mode: 0o600 });
  await fsp.rename(tmp, paths.token);
  const server = net.createServer((sock) => {
    sock.setTimeout(300_000, () => sock.destroy());
    const next = lineReader(sock);
    void (async () => {
      try {
        const hello = await next();
        if (hello['hello'] !== 1 || typeof hello['nonce'] !== 'string') return void sock.destroy();
        const nonce = randomBytes(16).toString('hex');
        send(sock, { nonce, proof: hmac(token, `server:${hello['nonce']}`) });
        const req = await next();
        if (typeof req['proof'] !== 'string' || !same(req['proof'], hmac(token, `client:${nonce}`))) {
          send(sock, { ok: false, error: 'not allowed' });
          return void sock.end();
        }
        const args = req['args'] && typeof req['args'] === 'object' ? (req['args'] as Record<string, unknown>) : {};
        try {
          send(sock, { ok: true, result: await handler(String(req['cmd']), args) });
        } catch (e) {
          send(sock, { ok: false, error: e instanceof Error ? e.message : String(e) });
        }
        sock.end();
      } catch {
        sock.destroy();
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE' ? new CoreRunningError(`another Pillars core already runs for this user (${paths.socket} is taken)`) : e));
    server.listen(paths.socket, () => resolve());
  });
  if (process.platform !== 'win32') await fsp.chmod(paths.socket, 0o600);
  server.unref();
  return {
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        void fsp.rm(paths.token, { force: true });
      }),
  };
}

/**
 * Sends one command to the running core; null when no core answers (no token, nothing listening),
 * so the caller does the work itself. Throws when a core answered and refused or failed.
 */
export async function askControl(runtimeDir: string, cmd: string, args: Record<string, unknown>, timeoutMs: number): Promise<{ result: unknown } | null> {
  const paths = controlPaths(runtimeDir);
  const token = await fsp.readFile(paths.token, 'utf8').catch(() => null);
  if (!token) return null;
  return new Promise((resolve, reject) => {
    const sock = net.connect(paths.socket);
    let settled = false;
    const done = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      f();
    };
    // connecting is quick or nothing listens; the command itself (a mount) may take its time
    let timer = setTimeout(() => done(() => resolve(null)), 1_000);
    sock.once('error', () => done(() => resolve(null)));
    sock.once('connect', () => {
      clearTimeout(timer);
      timer = setTimeout(() => done(() => reject(new Error(`the running Pillars core did not answer ${cmd} within ${Math.round(timeoutMs / 1000)} s`))), timeoutMs);
      const next = lineReader(sock);
      const nonce = randomBytes(16).toString('hex');
      send(sock, { hello: 1, nonce });
      void (async () => {
        try {
          const h = await next();
          if (typeof h['proof'] !== 'string' || typeof h['nonce'] !== 'string' || !same(h['proof'], hmac(token, `server:${nonce}`))) {
            return done(() => reject(new Error(`something answers on ${paths.socket} but cannot prove it is this user's Pillars core: not talking to it`)));
          }
          send(sock, { proof: hmac(token, `client:${h['nonce']}`), cmd, args });
          const a = await next();
          done(() => (a['ok'] === true ? resolve({ result: a['result'] }) : reject(new Error(String(a['error'] ?? 'the running core refused')))));
        } catch (e) {
          done(() => reject(new Error(`the running Pillars core closed the connection (${(e as Error).message})`)));
        }
      })();
    });
  });
}
