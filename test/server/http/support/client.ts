// Test clients for a listening pillarsd: a tiny HTTPS client that pins the server's certificate
// by SHA-256 fingerprint (the tray's real one lives in src/main/core; server/ tests can't share it)
// and an SSE reader over the same connection logic.
import http from 'node:http';
import tls from 'node:tls';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export class PinMismatch extends Error {}

export interface Target {
  url: string; // http(s)://host:port
  /** required for https: the SHA-256 fingerprint the client pinned */
  fingerprint?: string | null;
}

export interface Req {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | object;
  signal?: AbortSignal;
}

const norm = (fp: string) => fp.replace(/:/g, '').toUpperCase();

/** Opens a TLS socket and accepts it only when the certificate's fingerprint is the pinned one. */
function pinnedSocket(u: URL, fingerprint: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    // Chain validation is replaced by the pin: the certificate is self-signed on purpose.
    const s = tls.connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port), rejectUnauthorized: false, servername: undefined });
    s.once('error', reject);
    s.once('secureConnect', () => {
      const got = s.getPeerCertificate().fingerprint256 ?? '';
      if (norm(got) !== norm(fingerprint)) {
        s.destroy();
        reject(new PinMismatch(`certificate fingerprint ${got} is not the pinned ${fingerprint}`));
        return;
      }
      s.off('error', reject);
      resolve(s);
    });
  });
}

export async function open(t: Target, r: Req): Promise<http.IncomingMessage> {
  const u = new URL(r.path, t.url);
  const body = r.body === undefined ? undefined : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  const headers: Record<string, string> = { ...(body !== undefined && typeof r.body === 'object' ? { 'content-type': 'application/json' } : {}), ...r.headers };
  let socket: tls.TLSSocket | undefined;
  if (u.protocol === 'https:') {
    if (!t.fingerprint) throw new Error('https needs a pinned fingerprint');
    socket = await pinnedSocket(u, t.fingerprint);
  }
  return new Promise((resolve, reject) => {
    const opts: http.RequestOptions = { method: r.method ?? 'GET', host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port, path: u.pathname + u.search, headers, signal: r.signal };
    // createConnection is used only without an agent; plain http gets a fresh socket per request.
    if (socket) opts.createConnection = () => socket;
    else opts.agent = false;
    // Plain http.request over the already verified TLS socket: https.request would validate the chain again.
    const req = http.request(opts, resolve);
    req.once('error', reject);
    req.end(body);
  });
}

export async function readAll(res: http.IncomingMessage): Promise<string> {
  let s = '';
  res.setEncoding('utf8');
  for await (const c of res) s += c as string;
  return s;
}

export async function request(t: Target, r: Req): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string; json: () => unknown }> {
  const res = await open(t, r);
  const text = await readAll(res);
  return { status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) };
}

export interface SseClient {
  status: number;
  messages: EventSourceMessage[];
  comments: string[];
  ended: Promise<void>;
  /** resolves when `n` messages arrived (or rejects after `ms`) */
  waitFor(pred: (m: EventSourceMessage[]) => boolean, ms?: number): Promise<void>;
  close(): void;
  /** starts reading a stream opened with `pause` */
  resume(): void;
  res: http.IncomingMessage;
}

export async function sse(t: Target, path: string, headers: Record<string, string> = {}, opts: { pause?: boolean } = {}): Promise<SseClient> {
  const ac = new AbortController();
  const res = await open(t, { path, headers: { accept: 'text/event-stream', ...headers }, signal: ac.signal });
  const messages: EventSourceMessage[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  const parser = createParser({
    onEvent: (m) => {
      messages.push(m);
      for (const w of [...waiters]) w();
    },
    onComment: (c) => {
      comments.push(c);
      for (const w of [...waiters]) w();
    },
  });
  res.setEncoding('utf8');
  const read = () => res.on('data', (c: string) => parser.feed(c));
  if (opts.pause) res.pause();
  else read();
  const ended = new Promise<void>((resolve) => {
    res.once('end', () => resolve());
    res.once('close', () => resolve());
    res.once('error', () => resolve());
    // A paused response emits neither 'end' nor 'close' when the server drops it; the socket does.
    res.socket?.once('close', () => resolve());
  });
  return {
    status: res.statusCode ?? 0,
    messages,
    comments,
    ended,
    res,
    waitFor(pred, ms = 5_000) {
      if (pred(messages)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`SSE: condition not met within ${ms} ms; got ${messages.map((m) => m.event).join(',')}`));
        }, ms);
        const check = () => {
          if (pred(messages)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
        void ended.then(check);
      });
    },
    resume() {
      read();
      res.resume();
    },
    close() {
      ac.abort();
      res.destroy();
    },
  };
}
