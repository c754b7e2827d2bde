// Receivers for what pillarsd sends out: an HTTP server that records every request (webhooks, ntfy,
// heartbeat pings) and a real SMTP server (the smtp-server package) with STARTTLS or implicit TLS
// and AUTH, whose mails are parsed by mailparser. Both can be taken down and brought back on the
// same port, which is what a channel that is down for a while looks like to its sender.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { ensureTestCa } from './tls';
import { onProcessExit } from './tmp';
import { sleep } from './proc';

export interface ReceivedRequest {
  method: string;
  /** path and query */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
  /** what the receiver answered (0: nothing, it hung) */
  status: number;
}

export interface HttpReceiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** the status answered from now on (default 200), or 'hang': read the request, never answer */
  answer(status: number | 'hang'): void;
  /** stops listening (connections are refused) / listens again on the same port */
  down(): Promise<void>;
  up(): Promise<void>;
  /** resolves once `n` requests (matching `filter`) have arrived */
  waitFor(n: number, filter?: (r: ReceivedRequest) => boolean, timeoutMs?: number): Promise<ReceivedRequest[]>;
  stop(): Promise<void>;
}

async function waitUntil<T>(get: () => T | null, what: () => string, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(25);
  }
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  let status: number | 'hang' = 200;
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answered = status;
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now(), status: answered === 'hang' ? 0 : answered });
      if (answered === 'hang') return;
      res.writeHead(answered, { 'content-type': 'text/plain', connection: 'close' });
      res.end(answered < 300 ? 'ok' : 'unavailable');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const unregister = onProcessExit(() => server.close());
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    answer: (s) => {
      status = s;
    },
    down: close,
    up: () => listen(port),
    waitFor: (n, filter = () => true, timeoutMs = 30_000) =>
      waitUntil(
        () => {
          const got = requests.filter(filter);
          return got.length >= n ? got : null;
        },
        () => `${n} requests (have ${requests.filter(filter).length} of ${requests.length})`,
        timeoutMs,
      ),
    stop: async () => {
      unregister();
      await close();
    },
  };
}

export interface ReceivedMail {
  from: string;
  to: string[];
  /** the AUTH user of the session that sent it */
  user: string | null;
  /** whether the session was encrypted (STARTTLS or implicit TLS) when the mail was sent */
  secure: boolean;
  raw: string;
  parsed: ParsedMail;
}

export interface SmtpReceiver {
  host: string;
  port: number;
  mails: ReceivedMail[];
  /** failed AUTH attempts (user names only) */
  authFailures: string[];
  down(): Promise<void>;
  up(): Promise<void>;
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  stop(): Promise<void>;
}

/**
 * A real SMTP server on 127.0.0.1: `starttls` (plain port that must be upgraded before AUTH) or
 * `tls` (implicit TLS), with the test CA's certificate (trusted through NODE_EXTRA_CA_CERTS).
 */
export async function startSmtpReceiver(o: { security: 'starttls' | 'tls'; user: string; password: string }): Promise<SmtpReceiver> {
  const ca = ensureTestCa();
  const mails: ReceivedMail[] = [];
  const authFailures: string[] = [];
  const make = () =>
    new SMTPServer({
      secure: o.security === 'tls',
      key: ca.key,
      cert: ca.cert,
      authMethods: ['PLAIN', 'LOGIN'],
      // AUTH only over TLS: a client that skips STARTTLS cannot log in
      allowInsecureAuth: false,
      disabledCommands: [],
      logger: false,
      onAuth(auth, _session, cb) {
        if (auth.username === o.user && auth.password === o.password) return cb(null, { user: auth.username });
        authFailures.push(auth.username ?? '');
        cb(new Error('535 authentication failed'));
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          simpleParser(raw)
            .then((parsed) => {
              mails.push({
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((r) => r.address),
                user: typeof session.user === 'string' ? session.user : null,
                secure: Boolean(session.secure),
                raw,
                parsed,
              });
              cb();
            })
            .catch((e: Error) => cb(e));
        });
      },
    });
  let server = make();
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.server.off('error', reject);
        port = (server.server.address() as AddressInfo).port;
        resolve();
      });
    });
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  await listen();
  const unregister = onProcessExit(() => server.close(() => undefined));
  return {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    mails,
    authFailures,
    down: close,
    up: async () => {
      server = make();
      await listen();
    },
    waitFor: (n, timeoutMs = 30_000) =>
      waitUntil(
        () => (mails.length >= n ? mails : null),
        () => `${n} mails (have ${mails.length})`,
        timeoutMs,
      ),
    stop: async () => {
      unregister();
      await close();
    },
  };
}
