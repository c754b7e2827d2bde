// Does the SMB server answer? The cheapest check that tells a dead server (connection refused), a
// hung one (the kernel accepts the connection, smbd never answers), a black hole (no answer to the
// handshake) and an unknown host apart, without a child process and without touching a mount. A
// TCP connect alone cannot see a hung smbd.
//
// smbProbe: one SMB2 NEGOTIATE over a fresh TCP connection (one-shot checks: status, doctor).
// createServerProbe: what a running core asks every round: the connection of the first NEGOTIATE
// is kept, and each later check is one SMB2 ECHO on it (no new connection, so no new smbd process
// forked on the server every round, and a few microseconds of our CPU). A connection that breaks is
// replaced at once; one that says nothing by the deadline is checked against a fresh connection,
// which tells a hung server from a gone one.
//
// The requests follow MS-SMB2 2.2.3 (NEGOTIATE) and 2.2.28 (ECHO) inside a Direct TCP transport
// header (MS-SMB2 2.1: a zero byte and a 24-bit length); any SMB2 answer means the server is alive.
// Dialects 2.0.2 to 3.0.2: no negotiate contexts needed, and every server Pillars talks to speaks
// one of them. ECHO needs no session (Samba's dispatch table: SMB2_OP_KEEPALIVE, need_session false).
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type { ServerProbe, ServerProbeResult } from '../types';

const DIALECTS = [0x0202, 0x0210, 0x0300, 0x0302];
/** One client GUID for the life of the process (MS-SMB2: the client's identity across connections). */
const CLIENT_GUID = randomBytes(16);

/** An SMB2 request header (MS-SMB2 2.2.1.2). */
function requestHeader(command: number, messageId: bigint, creditCharge: number): Buffer {
  const header = Buffer.alloc(64);
  header.write('\xfeSMB', 0, 'latin1');
  header.writeUInt16LE(64, 4); // StructureSize
  header.writeUInt16LE(creditCharge, 6);
  header.writeUInt16LE(command, 12);
  header.writeUInt16LE(1, 14); // CreditRequest: one more, so the window keeps sliding
  header.writeBigUInt64LE(messageId, 24);
  return header;
}

const frame = (parts: Buffer[]) => {
  const len = parts.reduce((n, b) => n + b.length, 0);
  return Buffer.concat([Buffer.from([0, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff]), ...parts]);
};

/** ECHO (MS-SMB2 2.2.28): StructureSize 4, Reserved. */
export function echoRequest(messageId: bigint, creditCharge: number): Buffer {
  const body = Buffer.alloc(4);
  body.writeUInt16LE(4, 0);
  return frame([requestHeader(0x000d, messageId, creditCharge), body]);
}

export function negotiateRequest(): Buffer {
  const header = requestHeader(0, 0n, 0);
  const body = Buffer.alloc(36 + DIALECTS.length * 2);
  body.writeUInt16LE(36, 0); // StructureSize
  body.writeUInt16LE(DIALECTS.length, 2);
  body.writeUInt16LE(1, 4); // SecurityMode: signing enabled
  CLIENT_GUID.copy(body, 12);
  DIALECTS.forEach((d, i) => body.writeUInt16LE(d, 36 + i * 2));
  return frame([header, body]);
}

/** True when `b` holds the start of an SMB2 NEGOTIATE answer (after the 4-byte transport header). */
export function isNegotiateAnswer(b: Buffer): boolean {
  return b.length >= 4 + 16 && b[0] === 0 && b.toString('latin1', 4, 8) === '\xfeSMB' && b.readUInt16LE(4 + 12) === 0;
}

/** A connection that answered NEGOTIATE, kept for ECHOs. */
interface Kept {
  sock: net.Socket;
  next: bigint;
  creditCharge: number;
  buf: Buffer;
  waiting: Map<bigint, (answered: boolean) => void>;
  dead: boolean;
}

/** NEGOTIATE over a fresh connection; with keep, the connection stays open when the server answered. */
function negotiate(host: string, port: number, timeoutMs: number, keep: boolean): Promise<{ result: ServerProbeResult; kept?: Kept }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let connected = false;
    let got = Buffer.alloc(0);
    let done = false;
    const sock = net.connect({ host, port });
    const finish = (r: ServerProbeResult, kept?: Kept) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (kept) {
        sock.removeAllListeners('data');
        sock.removeAllListeners('end');
        sock.removeAllListeners('error');
        follow(kept); // at once: an 'error' with no listener would throw
      } else sock.destroy();
      resolve(kept ? { result: r, kept } : { result: r });
    };
    const timer = setTimeout(() => {
      const s = (timeoutMs / 1000).toFixed(1);
      finish(
        connected
          ? { ok: false, kind: 'hung', reason: `${host} accepts connections on port ${port} but does not answer SMB within ${s} s (hung)` }
          : { ok: false, kind: 'timeout', reason: `no answer from ${host} on port ${port} within ${s} s` },
      );
    }, timeoutMs);
    sock.once('connect', () => {
      connected = true;
      sock.write(negotiateRequest());
    });
    sock.on('data', (b: Buffer) => {
      got = Buffer.concat([got, b]);
      if (got.length < 20) return;
      if (!isNegotiateAnswer(got)) return finish({ ok: false, kind: 'not-smb', reason: `${host}:${port} answers, but not as an SMB server` });
      const ok = { ok: true as const, ms: Date.now() - started };
      const whole = got.length >= 4 + got.readUIntBE(1, 3);
      if (!keep || !whole) return finish(ok);
      // the negotiated dialect decides CreditCharge: 2.0.2 reserves the field (0), later ones count
      const dialect = got.length >= 4 + 64 + 6 ? got.readUInt16LE(4 + 64 + 4) : 0x0202;
      finish(ok, { sock, next: 1n, creditCharge: dialect === 0x0202 ? 0 : 1, buf: Buffer.alloc(0), waiting: new Map(), dead: false });
    });
    sock.once('end', () => finish({ ok: false, kind: connected ? 'hung' : 'refused', reason: `${host} closed the connection on port ${port} without an SMB answer` }));
    sock.once('error', (e: NodeJS.ErrnoException) => {
      switch (e.code) {
        case 'ENOTFOUND':
        case 'EAI_AGAIN':
        case 'EAI_FAIL':
        case 'EAI_NONAME':
          return finish({ ok: false, kind: 'not-found', reason: `host ${host} not found (the name does not resolve${e.code === 'EAI_AGAIN' ? ' now: no DNS answer' : ''})` });
        case 'ECONNREFUSED':
          return finish({ ok: false, kind: 'refused', reason: `${host} refuses connections on port ${port} (SMB server not running)` });
        case 'EHOSTUNREACH':
        case 'ENETUNREACH':
        case 'ENETDOWN':
          return finish({ ok: false, kind: 'unreachable', reason: `${host} is not reachable from this network (${e.code})` });
        default:
          return finish({ ok: false, kind: connected ? 'hung' : 'unreachable', reason: `${host}:${port}: ${e.message}` });
      }
    });
  });
}

export const smbProbe: ServerProbe = async (host, port, timeoutMs) => (await negotiate(host, port, timeoutMs, false)).result;

/** Reads the kept connection's answers and settles the ECHO each one answers. */
function follow(k: Kept): void {
  const fail = () => {
    k.dead = true;
    for (const w of k.waiting.values()) w(false);
    k.waiting.clear();
  };
  k.sock.on('data', (b: Buffer) => {
    k.buf = Buffer.concat([k.buf, b]);
    while (k.buf.length >= 4) {
      const len = k.buf.readUIntBE(1, 3);
      if (k.buf.length < 4 + len) break;
      const msg = k.buf.subarray(4, 4 + len);
      k.buf = k.buf.subarray(4 + len);
      if (msg.length >= 32 && msg.toString('latin1', 0, 4) === '\xfeSMB') {
        const id = msg.readBigUInt64LE(24);
        // any answer, even an error status, is the server answering
        k.waiting.get(id)?.(true);
        k.waiting.delete(id);
      }
    }
  });
  k.sock.on('error', fail);
  k.sock.on('close', fail);
  k.sock.setNoDelay(true);
  k.sock.unref(); // a kept connection never keeps the process alive
}

/** 'answered', 'silent' (nothing by the deadline) or 'broken' (the connection went). */
function echo(k: Kept, timeoutMs: number): Promise<'answered' | 'silent' | 'broken'> {
  return new Promise((resolve) => {
    if (k.dead) return resolve('broken');
    const id = k.next++;
    const timer = setTimeout(() => {
      k.waiting.delete(id);
      resolve('silent');
    }, timeoutMs);
    k.waiting.set(id, (answered) => {
      clearTimeout(timer);
      resolve(answered ? 'answered' : 'broken');
    });
    k.sock.write(echoRequest(id, k.creditCharge));
  });
}

/** The server check of a running core: one kept connection, an ECHO a round (see the header). */
export function createServerProbe(): ServerProbe & { close(): void } {
  let kept: Kept | null = null;
  let keptFor = '';
  const drop = () => {
    kept?.sock.destroy();
    kept = null;
  };
  const fresh = async (host: string, port: number, timeoutMs: number): Promise<ServerProbeResult> => {
    const r = await negotiate(host, port, timeoutMs, true);
    if (r.kept) {
      drop(); // two checks at once: the later connection is kept
      kept = r.kept;
      keptFor = `${host}:${port}`;
    }
    return r.result;
  };
  const probe = async (host: string, port: number, timeoutMs: number): Promise<ServerProbeResult> => {
    if (kept && (kept.dead || keptFor !== `${host}:${port}`)) drop();
    if (!kept) return fresh(host, port, timeoutMs);
    const started = Date.now();
    const used = kept;
    const e = await echo(used, timeoutMs);
    if (e === 'answered') return { ok: true, ms: Date.now() - started };
    if (kept === used) drop();
    // broken: the server restarted or the network changed; silent: hung, or the connection died
    // without a word (a black hole, a NAT that forgot it). A fresh connection tells them apart.
    return fresh(host, port, e === 'broken' ? timeoutMs : Math.max(500, Math.floor(timeoutMs / 2)));
  };
  return Object.assign(probe, { close: drop });
}
