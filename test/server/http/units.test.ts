// The pure parts of the API's security: Host parsing, the Origin rule, the failed-auth bucket,
// tickets, pairing codes (expiry, single use, look-alikes) and token verification.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allowedHostSet, crossOriginWrite, hostAllowed, hostName } from '../../../server/src/http/guards';
import { FailureLimiter } from '../../../server/src/http/limiter';
import { TicketBook } from '../../../server/src/http/tickets';
import { openDb } from '../../../server/src/store/db';
import { TokenStore, parseToken } from '../../../server/src/store/tokens';
import { PairingStore, normalizeCode } from '../../../server/src/store/pairing';
import { AuditLog } from '../../../server/src/store/audit';
import { tempDir } from '../../support/tmp';

const dir = tempDir('pillars-http-units-');
afterAll(() => dir.cleanup());

describe('Host allow-list', () => {
  const allowed = allowedHostSet(['Motoko', 'motoko.local.']);
  it.each([
    ['motoko', true],
    ['MOTOKO:8443', true],
    ['motoko.local', true],
    ['localhost:1', true],
    ['10.0.0.5:8443', true],
    ['[fe80::1]:8443', true],
    ['evil.example', false],
    ['motoko.evil.example', false],
    ['', false],
    [undefined, false],
    ['motoko:99999999', false],
    ['[::1', false],
    ['moto ko', false],
    ['motoko@evil', false],
  ])('%s → %s', (h, ok) => expect(hostAllowed(h, allowed)).toBe(ok));
  it('parses names without port or brackets', () => {
    expect(hostName('[::1]:80')).toBe('::1');
    expect(hostName('Motoko.:8443')).toBe('motoko');
  });
});

describe('Origin rule', () => {
  const req = (method: string, headers: Record<string, string>) => ({ method, protocol: 'https', headers: { host: 'motoko:8443', ...headers } });
  it('passes reads, origin-less clients and same-origin writes; refuses cross-origin writes', () => {
    expect(crossOriginWrite(req('GET', { origin: 'https://evil.example' }))).toBeNull();
    expect(crossOriginWrite(req('POST', {}))).toBeNull();
    expect(crossOriginWrite(req('POST', { origin: 'https://motoko:8443', 'sec-fetch-site': 'same-origin' }))).toBeNull();
    expect(crossOriginWrite(req('POST', { origin: 'http://motoko:8443' }))).toMatch(/Origin http:\/\/motoko:8443 is not https:\/\/motoko:8443/);
    expect(crossOriginWrite(req('DELETE', { origin: 'null' }))).toMatch(/Origin null is not/);
    expect(crossOriginWrite(req('POST', { 'sec-fetch-site': 'same-site' }))).toMatch(/same-site/);
  });
});

describe('failed-auth bucket and tickets', () => {
  it('refuses after max failures until the window ends', () => {
    let now = 0;
    const l = new FailureLimiter({ max: 3, windowMs: 10_000 }, () => now);
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfter('a')).toBe(0);
      l.fail('a');
    }
    expect(l.retryAfter('a')).toBe(10);
    expect(l.retryAfter('b')).toBe(0);
    now = 9_001;
    expect(l.retryAfter('a')).toBe(1);
    now = 10_000;
    expect(l.retryAfter('a')).toBe(0);
  });
  it('tickets work once and expire', () => {
    let now = 0;
    const b = new TicketBook(() => now, 1_000);
    const p = { tokenId: 't', name: 'n', role: 'viewer' as const };
    const a = b.issue(p);
    expect(b.consume(a.ticket)).toEqual(p);
    expect(b.consume(a.ticket)).toBeNull();
    const c = b.issue(p);
    now = 1_000;
    expect(b.consume(c.ticket)).toBeNull();
  });
});

describe('stores', () => {
  const db = openDb(path.join(dir.path, 'pillarsd.db'));
  afterAll(() => db.close());
  let now = new Date('2026-11-25T12:00:00Z');
  const tokens = new TokenStore(db, () => now);
  const pairing = new PairingStore(db, tokens, randomBytes(32), () => now);

  it('verifies only the exact token, not revoked ones, and records last use at most once a minute', () => {
    const t = tokens.create({ role: 'viewer', name: 'tray' });
    expect(tokens.verify(t.token)).toEqual({ tokenId: t.id, name: 'tray', role: 'viewer' });
    expect(tokens.get(t.id)!.lastUsedAt).toBe(now.toISOString());
    const first = now.toISOString();
    now = new Date(now.getTime() + 30_000);
    tokens.verify(t.token);
    expect(tokens.get(t.id)!.lastUsedAt).toBe(first);
    now = new Date(now.getTime() + 31_000);
    tokens.verify(t.token);
    expect(tokens.get(t.id)!.lastUsedAt).toBe(now.toISOString());
    const other = tokens.create({ role: 'admin' });
    const swapped = `pil_${t.id}_${parseToken(other.token)!.secret}`; // another token's secret under this id
    for (const bad of [swapped, t.token.slice(0, -1), `${t.token}x`, '', 'pil__', t.token.toUpperCase()]) expect(tokens.verify(bad), bad).toBeNull();
    tokens.revoke(t.id);
    expect(tokens.verify(t.token)).toBeNull();
    expect(() => tokens.create({ role: 'root' as never })).toThrow(/viewer or admin/);
    expect(() => tokens.create({ role: 'viewer', name: 'a\nb' })).toThrow(/printable/);
  });

  it('pairing codes: once, for 10 minutes, tolerant of case and look-alikes', () => {
    const c = pairing.create({ role: 'admin' });
    const fuzzy = c.code.toLowerCase().replace(/0/g, 'o').replace(/1/g, 'l').replace('-', ' ');
    expect(normalizeCode(fuzzy)).toBe(c.code.replace('-', ''));
    const got = pairing.redeem(fuzzy, 'laptop');
    expect(got?.info).toMatchObject({ role: 'admin', name: 'laptop' });
    expect(pairing.redeem(c.code)).toBeNull();
    const late = pairing.create({ role: 'viewer' });
    now = new Date(now.getTime() + 10 * 60_000);
    expect(pairing.redeem(late.code)).toBeNull();
    expect(pairing.redeem('not a code')).toBeNull();
  });

  it('audit pages newest first with a cursor', () => {
    const a = new AuditLog(db, () => now);
    for (let i = 0; i < 5; i++) a.record({ actor: 'x', action: `a${i}` });
    const p1 = a.list({ limit: 2 });
    expect(p1.entries.map((e) => e.action)).toEqual(['a4', 'a3']);
    const p2 = a.list({ limit: 10, before: Number(p1.next) });
    expect(p2.entries.map((e) => e.action)).toEqual(['a2', 'a1', 'a0']);
    expect(p2.next).toBeNull();
  });
});
