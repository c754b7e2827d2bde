// Addresses and ports for test daemons. Every daemon gets its own loopback address or an
// OS-assigned port, so test files running in parallel (and a host smbd on 127.0.0.1) never clash.
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { sleep } from './proc';

/** Tries to bind `host:port` and releases it at once; true when it was free. */
export function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * A random loopback address 127.x.y.z (x, y, z in 1..254, never 127.0.0.1 or 127.0.1.1) whose
 * `port` is free right now. Linux routes all of 127/8 to `lo`, so no interface setup is needed.
 */
export async function randomLoopback(port: number): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const addr = `127.${randomInt(1, 255)}.${randomInt(1, 255)}.${randomInt(1, 255)}`;
    if (await canBind(addr, port)) return addr;
  }
  throw new Error(`no free loopback address for port ${port} after 50 tries`);
}

/** A TCP port the OS reports free on `host` (there is a small race until the caller binds it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ host, port: 0 }, () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** One TCP connect attempt with a deadline: true when the port accepted the connection. */
export function tryConnect(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * Waits until `host:port` accepts TCP connections. `alive` is polled too, so a daemon that died on
 * start fails fast with `what` in the message instead of waiting out the deadline.
 */
export async function waitForPort(host: string, port: number, opts: { timeoutMs?: number; what?: string; alive?: () => boolean } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  const what = opts.what ?? `${host}:${port}`;
  while (Date.now() < deadline) {
    if (opts.alive && !opts.alive()) throw new Error(`${what} exited before listening on ${host}:${port}`);
    if (await tryConnect(host, port, 500)) return;
    await sleep(50);
  }
  throw new Error(`${what} did not listen on ${host}:${port} within ${opts.timeoutMs ?? 20_000} ms`);
}
