// The small pure parts of the tray core: the once-a-second throttle (with an injected clock), the
// log redactor, the notification memory on disk, and the pairing inputs.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createThrottle } from '../../src/main/core/tray/throttle';
import { redact, redactArgs } from '../../src/main/core/server/redact';
import { fileMemoryStore, parseMemory } from '../../src/main/core/notify/memory';
import { SEEN_LIMIT, decide, initialState, toMemory } from '../../src/main/core/notify/policy';
import { normalizePairingCode, normalizeServerUrl } from '../../src/main/core/server/pairing';
import { normalizeFingerprint } from '../../src/main/core/server/http';
import { NOW, input, job, manualTimers, pillars, run, status } from './fixtures';

describe('throttle: at most one render a second', () => {
  it('renders the first change at once and coalesces a burst into one trailing render', () => {
    const t = manualTimers(10_000);
    const renders: number[] = [];
    const th = createThrottle(() => renders.push(t.now()), 1_000, t);
    th.request();
    expect(renders).toEqual([10_000]);
    for (let i = 0; i < 50; i++) {
      t.advance(10);
      th.request();
    }
    expect(renders).toEqual([10_000]);
    t.advance(1_000);
    expect(renders).toEqual([10_000, 11_000]);
    t.advance(5_000);
    expect(renders).toEqual([10_000, 11_000]); // nothing asked, nothing rendered
    th.request();
    expect(renders).toEqual([10_000, 11_000, 16_500]);
  });

  it('never renders more often than once per interval under a steady stream', () => {
    const t = manualTimers();
    const renders: number[] = [];
    const th = createThrottle(() => renders.push(t.now()), 1_000, t);
    for (let i = 0; i < 1_000; i++) {
      th.request();
      t.advance(7);
    }
    t.advance(2_000);
    for (let i = 1; i < renders.length; i++) expect(renders[i]! - renders[i - 1]!).toBeGreaterThanOrEqual(1_000);
    expect(renders.length).toBeGreaterThanOrEqual(7);
    expect(renders.length).toBeLessThanOrEqual(8);
  });

  it('cancel drops the pending render', () => {
    const t = manualTimers();
    let n = 0;
    const th = createThrottle(() => n++, 1_000, t);
    th.request();
    th.request();
    th.cancel();
    t.advance(5_000);
    expect(n).toBe(1);
    expect(t.pending()).toBe(0);
  });
});

describe('redactor', () => {
  const cases: Array<[string, string, string]> = [
    ['authorization header', 'GET /api/v1/status Authorization: Bearer pl_abcdef0123456789', 'pl_abcdef0123456789'],
    ['header object as JSON', JSON.stringify({ headers: { authorization: 'Bearer tok_123456789' } }), 'tok_123456789'],
    ['bare bearer', 'sending bearer eyJhbGciOiJIUzI1NiJ9.payload.sig', 'eyJhbGciOiJIUzI1NiJ9'],
    ['URL credentials', 'mount smb://mike:hunter2@motoko/flux failed', 'hunter2'],
    ['JSON password', '{"user":"mike","password":"s3cr3t \\" quoted"}', 's3cr3t'],
    ['pairing body', '{"code":"K7Q2-MX9P"}', 'K7Q2-MX9P'],
    ['query string token', 'https://motoko:8443/api/v1/events?token=abc123def456', 'abc123def456'],
    ['env dump', 'RESTIC_PASSWORD=correct-horse AZURE_CLIENT_SECRET=xyz987', 'correct-horse'],
    ['client secret', 'client_secret: xyz987abc', 'xyz987abc'],
  ];
  for (const [name, text, secret] of cases) {
    it(`removes ${name}`, () => {
      const out = redact(text);
      expect(out).not.toContain(secret);
      expect(out).toContain('[redacted]');
    });
  }

  it('leaves ordinary text alone and is idempotent', () => {
    const t = 'Flux snapshot failed 3 h ago: repository is locked (run r12)';
    expect(redact(t)).toBe(t);
    const once = redact('password=x1 token=y2');
    expect(redact(once)).toBe(once);
  });

  it('redacts errors and objects in log arguments', () => {
    const [e, o, n] = redactArgs([new Error('auth failed for smb://mike:pw123@motoko'), { token: 'tk_999888777' }, 42]);
    expect((e as Error).message).not.toContain('pw123');
    expect(String((e as Error).stack)).not.toContain('pw123');
    expect(o).not.toContain('tk_999888777');
    expect(n).toBe(42);
  });
});

describe('notification memory', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pillars-notify-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips through a 0600 file and survives a damaged one', () => {
    const file = path.join(dir, 'sub', 'notify.json');
    const store = fileMemoryStore(file);
    expect(store.load()).toEqual({ version: 1, seen: [], troubled: [] });
    const failed = run('flux-backup', 'failed');
    const st = decide(initialState(store.load()), {
      now: NOW,
      asleep: false,
      location: 'home',
      pillars: pillars(),
      connection: 'connected',
      host: 'motoko',
      status: status([job('flux-backup', 'restic-backup', failed)]),
      runs: [],
    }).state;
    store.save(toMemory(st));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = decide(initialState(fileMemoryStore(file).load()), {
      now: NOW + 1,
      asleep: false,
      location: 'home',
      pillars: pillars(),
      connection: 'connected',
      host: 'motoko',
      status: status([job('flux-backup', 'restic-backup', failed)]),
      runs: [failed],
    });
    expect(again.notifications).toEqual([]);
    writeFileSync(file, '{"version":1,"seen":[');
    expect(fileMemoryStore(file).load()).toEqual({ version: 1, seen: [], troubled: [] });
  });

  it('stays bounded: only the newest SEEN_LIMIT keys are kept', () => {
    let st = initialState();
    const jobs = [];
    for (let i = 0; i < SEEN_LIMIT + 50; i++) jobs.push(job(`j${i}`, 'restic-backup', run(`j${i}`, 'failed')));
    st = decide(st, { now: NOW, asleep: false, location: 'home', pillars: [], connection: 'connected', host: 'motoko', status: status(jobs), runs: [] }).state;
    const m = toMemory(st);
    expect(m.seen.length).toBe(SEEN_LIMIT);
    const file = path.join(dir, 'big.json');
    fileMemoryStore(file).save(m);
    expect(parseMemory(readFileSync(file, 'utf8')).seen).toEqual(m.seen);
    expect(m.seen.at(-1)).toContain(jobs.at(-1)!.lastRun!.id);
  });

  it('ignores unknown versions and non-string entries', () => {
    expect(parseMemory('{"version":2,"seen":["a"]}').seen).toEqual([]);
    expect(parseMemory('{"version":1,"seen":["a",3,null],"troubled":"x"}')).toEqual({ version: 1, seen: ['a'], troubled: [] });
    expect(input().now).toBe(NOW);
  });
});

describe('pairing inputs', () => {
  it('normalizes server URLs and rejects bad ones with a clear message', () => {
    expect(normalizeServerUrl(' motoko ')).toBe('https://motoko:8443');
    expect(normalizeServerUrl('https://motoko.local:9443/')).toBe('https://motoko.local:9443');
    expect(normalizeServerUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(() => normalizeServerUrl('')).toThrow(/empty/);
    expect(() => normalizeServerUrl('ftp://motoko')).toThrow(/https/);
    expect(() => normalizeServerUrl('https://mike:pw@motoko')).toThrow(/user name or password/);
    expect(() => normalizeServerUrl('https://motoko/admin')).toThrow(/path/);
  });

  it('normalizes pairing codes and fingerprints', () => {
    expect(normalizePairingCode(' k7q2-mx9p ')).toBe('K7Q2MX9P');
    expect(() => normalizePairingCode('12')).toThrow(/pillarsd pair/);
    const hex = 'ab'.repeat(32);
    expect(normalizeFingerprint(hex)).toBe(Array(32).fill('AB').join(':'));
    expect(normalizeFingerprint(`sha256/${Array(32).fill('ab').join(':')}`)).toBe(Array(32).fill('AB').join(':'));
    expect(() => normalizeFingerprint('AB:CD')).toThrow(/64 hex digits/);
  });
});
