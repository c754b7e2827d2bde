// Acceptance against a real listening server (HTTPS with the auto key pair, pinned by fingerprint):
// every registered route is closed without a token and every write is closed to viewers; the
// Host allow-list, the Origin check, the failed-auth limit, TLS pinning, plain HTTP only on
// loopback, and the admin pane with its security headers.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startStack, type LiveStack } from './support/stack';
import { PinMismatch, request, sse, type Target } from './support/client';
import { tempDir } from '../../support/tmp';
import { startHttpServer } from '../../../server/src/cli/http';
import { plainHttpRefusal } from '../../../server/src/http/listen';

let s: LiveStack;
let t: Target;
const pane = tempDir('pillars-pane-');

beforeAll(async () => {
  mkdirSync(path.join(pane.path, 'assets'));
  writeFileSync(path.join(pane.path, 'index.html'), '<!doctype html><script type="module" src="./assets/app.js"></script>');
  writeFileSync(path.join(pane.path, 'assets', 'app.js'), 'console.log(1)');
  // as the build leaves them: a brotli and a gzip copy beside each file (vite.config.ts)
  writeFileSync(path.join(pane.path, 'assets', 'app.js.br'), brotliCompressSync('console.log(1)'));
  writeFileSync(path.join(pane.path, 'assets', 'app.js.gz'), gzipSync('console.log(1)'));
  writeFileSync(path.join(pane.path, '.secret'), 'nope');
  s = await startStack({ adminDir: pane.path });
  t = { url: s.srv.url, fingerprint: s.srv.fingerprint };
});
afterAll(async () => {
  await s?.close();
  await pane.cleanup();
});

/** The routes docs/api.md promises; the table test fails if one goes missing. */
const PROMISED = [
  'GET /api/v1/health',
  'GET /api/v1/status',
  'GET /api/v1/jobs',
  'GET /api/v1/jobs/:id',
  'POST /api/v1/jobs/:id/run',
  'GET /api/v1/runs',
  'GET /api/v1/runs/:id',
  'GET /api/v1/runs/:id/log',
  'POST /api/v1/runs/:id/cancel',
  'POST /api/v1/runs/:id/approve',
  'POST /api/v1/runs/:id/reject',
  'GET /api/v1/events',
  'POST /api/v1/events/ticket',
  'GET /api/v1/samba',
  'POST /api/v1/samba/apply',
  'POST /api/v1/samba/rollback',
  'POST /api/v1/hotsets',
  'GET /api/v1/audit',
  'GET /api/v1/tokens',
  'DELETE /api/v1/tokens/:id',
  'POST /api/v1/pair',
  'GET /api/v1/openapi.json',
];
/** Open to anyone, on purpose. */
const PUBLIC = new Set(['GET /api/v1/health', 'HEAD /api/v1/health', 'POST /api/v1/pair', 'GET /api/v1/openapi.json', 'HEAD /api/v1/openapi.json', 'GET /', 'HEAD /', 'GET /*', 'HEAD /*']);
/** Non-GET routes a viewer may call: they change nothing but the caller's own session. */
const VIEWER_WRITES = new Set(['POST /api/v1/events/ticket']);

function concrete(url: string, runId: string): string {
  return url.replace('/jobs/:id', '/jobs/flux-backup').replace('/runs/:id', `/runs/${runId}`).replace('/tokens/:id', '/tokens/0123456789abcdef').replace('*', 'index.html');
}

describe('every registered route', () => {
  it('is closed without a token (except the public ones) and to viewers when it writes', async () => {
    const table = s.srv.app.routeTable;
    const keys = table.map((r) => `${r.method} ${r.url}`);
    for (const p of PROMISED) expect(keys, p).toContain(p);
    const runId = s.engine.runNow('flux-backup').id;
    let checked = 0;
    for (const r of table) {
      const key = `${r.method} ${r.url}`;
      const url = concrete(r.url, runId);
      expect(r.access === 'none', `${key} is public but not in PUBLIC`).toBe(PUBLIC.has(key));
      const anon = await request(t, { method: r.method, path: url, headers: { host: 'motoko' } });
      if (PUBLIC.has(key)) expect(anon.status, key).not.toBe(401);
      else {
        expect(anon.status, key).toBe(401);
        expect(anon.headers['content-type'], key).toMatch(/problem\+json/);
      }
      const write = !['GET', 'HEAD'].includes(r.method);
      if (write && !PUBLIC.has(key)) {
        expect(r.access === 'viewer', `${key} lets viewers write but is not in VIEWER_WRITES`).toBe(VIEWER_WRITES.has(key));
        if (!VIEWER_WRITES.has(key)) {
          const v = await request(t, { method: r.method, path: url, headers: { host: 'motoko', ...bearer(s.viewer) } });
          expect(v.status, key).toBe(403);
        }
      }
      if (r.access === 'admin' && !write) {
        const v = await request(t, { method: r.method, path: url, headers: { host: 'motoko', ...bearer(s.viewer) } });
        expect(v.status, key).toBe(403);
      }
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(PROMISED.length);
  });

  it('compiles its request validators on first use, and every one of them compiles', async () => {
    const fresh = await startStack();
    try {
      // a schema'd route answers a bad query with 400 before anything else compiled it
      const bad = await request({ url: fresh.srv.url, fingerprint: fresh.srv.fingerprint }, { method: 'GET', path: '/api/v1/runs?limit=nope', headers: { host: 'motoko', ...bearer(fresh.admin) } });
      expect(bad.status).toBe(400);
      expect(bad.text).toMatch(/limit/);
      // the rest were left for their first request; each compiles (a broken schema throws here)
      expect(fresh.srv.app.compileValidators()).toBeGreaterThan(10);
      expect(fresh.srv.app.compileValidators()).toBe(0);
    } finally {
      await fresh.close();
    }
  });
});

describe('request guards', () => {
  it('rejects a Host that is not ours (DNS rebinding) and accepts ours and IP literals', async () => {
    const bad = await request(t, { path: '/api/v1/health', headers: { host: 'evil.example:8443' } });
    expect(bad.status).toBe(421);
    expect((bad.json() as { detail: string }).detail).toMatch(/evil\.example/);
    for (const host of ['motoko:8443', 'MOTOKO.local', 'localhost', '127.0.0.1:1', '[::1]:8443', '192.168.1.10']) {
      expect((await request(t, { path: '/api/v1/health', headers: { host } })).status, host).toBe(200);
    }
  });

  it('refuses cross-origin writes and accepts same-origin ones', async () => {
    const h = { host: 'motoko:8443', ...bearer(s.admin) };
    const evil = await request(t, { method: 'POST', path: '/api/v1/jobs/flux-backup/run', headers: { ...h, origin: 'https://evil.example' }, body: {} });
    expect(evil.status).toBe(403);
    const site = await request(t, { method: 'POST', path: '/api/v1/jobs/flux-backup/run', headers: { ...h, 'sec-fetch-site': 'cross-site' }, body: {} });
    expect(site.status).toBe(403);
    const same = await request(t, { method: 'POST', path: '/api/v1/jobs/flux-backup/run', headers: { ...h, origin: 'https://motoko:8443', 'sec-fetch-site': 'same-origin' }, body: {} });
    expect(same.status).toBe(202);
  });

  it('limits failed authentication per address, but never refuses a token that verifies', async () => {
    const lim = await startStack({ over: { authFailures: { max: 5, windowMs: 60_000 } }, server: { tls: 'off' } });
    try {
      const lt: Target = { url: lim.srv.url };
      const bad = { host: 'localhost', authorization: 'Bearer pil_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
      for (let i = 0; i < 5; i++) expect((await request(lt, { path: '/api/v1/status', headers: bad })).status).toBe(401);
      const limited = await request(lt, { path: '/api/v1/status', headers: bad });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // a bad ticket from a client that is not a browser counts too
      expect((await request(lt, { path: '/api/v1/events?ticket=nope', headers: { host: 'localhost', accept: 'text/event-stream' } })).status).toBe(429);
      // the owner's token still works from the same address (pane, tray and CLI alike)
      expect((await request(lt, { path: '/api/v1/status', headers: { host: 'localhost', ...bearer(lim.admin) } })).status).toBe(200);
      expect((await request(lt, { path: '/api/v1/status', headers: { host: 'localhost', ...bearer(lim.viewer) } })).status).toBe(200);
      expect((await request(lt, { path: '/api/v1/health', headers: { host: 'localhost' } })).status).toBe(200);
    } finally {
      await lim.close();
    }
  });

  it('refuses cross-site ticket requests before they count: after 25 of them the admin token still gets 200', async () => {
    // the default limit (20 failures per 5 minutes); what 25 <img> tags on any page the admin visits send
    const lim = await startStack({ server: { tls: 'off' } });
    try {
      const lt: Target = { url: lim.srv.url };
      const img = { host: 'localhost', accept: 'image/avif,image/webp,*/*', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' };
      for (let i = 0; i < 25; i++) {
        const r = await request(lt, { path: `/api/v1/events?ticket=guess${i}`, headers: img });
        expect(r.status).toBe(403);
        expect((r.json() as { detail: string }).detail).toMatch(/own pages only \(Sec-Fetch-Site: cross-site\)/);
      }
      // a browser that sends only Origin (an EventSource from elsewhere) is refused the same way
      const fromOrigin = await request(lt, { path: '/api/v1/events?ticket=guess', headers: { host: 'localhost', accept: 'text/event-stream', origin: 'https://evil.example' } });
      expect(fromOrigin.status).toBe(403);
      expect((await request(lt, { path: '/api/v1/status', headers: { host: 'localhost', ...bearer(lim.admin) } })).status).toBe(200);
      // none of them counted: a wrong token from the address is a plain 401, not 429
      const wrong = await request(lt, { path: '/api/v1/status', headers: { host: 'localhost', authorization: 'Bearer pil_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
      expect(wrong.status).toBe(401);
      // the pane's own EventSource (same origin) still gets its stream with a real ticket
      const tk = (await request(lt, { method: 'POST', path: '/api/v1/events/ticket', headers: { host: 'localhost', ...bearer(lim.viewer) } })).json() as { ticket: string };
      const own = await sse(lt, `/api/v1/events?ticket=${tk.ticket}`, { host: 'localhost', 'sec-fetch-site': 'same-origin', origin: 'http://localhost' });
      expect(own.status).toBe(200);
      own.close();
    } finally {
      await lim.close();
    }
  });

  it('keeps the hard limit on pairing codes: once limited, even the right code waits', async () => {
    const lim = await startStack({ over: { authFailures: { max: 5, windowMs: 60_000 } }, server: { tls: 'off' } });
    try {
      const lt: Target = { url: lim.srv.url };
      const h = { host: 'localhost' };
      const { code } = lim.pairing.create({ role: 'viewer' });
      for (let i = 0; i < 5; i++) expect((await request(lt, { method: 'POST', path: '/api/v1/pair', headers: h, body: { code: 'ZZZZ-ZZZZ' } })).status).toBe(401);
      const right = await request(lt, { method: 'POST', path: '/api/v1/pair', headers: h, body: { code } });
      expect(right.status).toBe(429);
      expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
      // nor did the attempt use the code up
      expect(lim.pairing.redeem(code)).not.toBeNull();
    } finally {
      await lim.close();
    }
  });
});

describe('TLS', () => {
  it('a client that pinned the fingerprint talks to this server and refuses another certificate', async () => {
    expect(s.srv.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect((await request(t, { path: '/api/v1/health', headers: { host: 'localhost' } })).status).toBe(200);
    const other = await startStack();
    try {
      expect(other.srv.fingerprint).not.toBe(s.srv.fingerprint);
      // Same pin, other server (as if someone answered on motoko's address with their own key).
      await expect(request({ url: other.srv.url, fingerprint: s.srv.fingerprint }, { path: '/api/v1/health' })).rejects.toBeInstanceOf(PinMismatch);
    } finally {
      await other.close();
    }
  });

  it('keeps its key pair across restarts (the pin stays valid) with the key private', async () => {
    const { statSync } = await import('node:fs');
    expect(statSync(path.join(s.dir.path, 'tls', 'server.key')).mode & 0o777).toBe(0o600);
    const again = await startHttpServer({ server: { listen: '127.0.0.1:0', tls: 'auto', allowedHosts: [] }, stateDir: s.dir.path, deps: s.deps, warn: () => {} });
    try {
      expect(again.fingerprint).toBe(s.srv.fingerprint);
    } finally {
      await again.close();
    }
  });

  it('keeps an idle keep-alive connection past the 5 s Node default, so a busy client reusing it is not reset', async () => {
    const plain = await startHttpServer({ server: { listen: '127.0.0.1:0', tls: 'off', allowedHosts: [] }, stateDir: s.dir.path, deps: s.deps, warn: () => {} });
    const net = await import('node:net');
    const sock = net.connect(plain.port, '127.0.0.1');
    try {
      let buf = '';
      let closedAt: number | null = null;
      sock.on('data', (b) => (buf += b.toString()));
      sock.on('close', () => (closedAt = Date.now()));
      const get = async () => {
        buf = '';
        sock.write('GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
        for (let i = 0; i < 200 && !/\r\n\r\n[\s\S]*\}/.test(buf); i++) await new Promise((r) => setTimeout(r, 10));
        return buf;
      };
      const first = await get();
      expect(first).toMatch(/^HTTP\/1\.1 200/);
      expect(first).toMatch(/keep-alive: timeout=72/i);
      await new Promise((r) => setTimeout(r, 6_000));
      expect(closedAt, 'the server closed the idle connection').toBeNull();
      expect(await get()).toMatch(/^HTTP\/1\.1 200/);
    } finally {
      sock.destroy();
      await plain.close();
    }
  }, 20_000);

  it('serves plain HTTP only on loopback unless forced, with a warning', async () => {
    expect(plainHttpRefusal('127.0.0.1', false)).toBeNull();
    expect(plainHttpRefusal('::1', false)).toBeNull();
    await expect(startHttpServer({ server: { listen: '0.0.0.0:0', tls: 'off', allowedHosts: [] }, stateDir: s.dir.path, deps: s.deps, warn: () => {} })).rejects.toThrow(/--insecure-listen/);
    const warnings: string[] = [];
    const forced = await startHttpServer({ server: { listen: '0.0.0.0:0', tls: 'off', allowedHosts: [] }, insecureListen: true, stateDir: s.dir.path, deps: s.deps, warn: (m) => warnings.push(m) });
    try {
      expect(warnings.join('\n')).toMatch(/plain HTTP.*clear text/);
      expect(forced.url).toMatch(/^http:\/\//);
    } finally {
      await forced.close();
    }
  });
});

describe('the admin pane', () => {
  it('is served at / with a strict Content-Security-Policy and no dotfiles', async () => {
    const page = await request(t, { path: '/', headers: { host: 'motoko' } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('assets/app.js');
    const csp = String(page.headers['content-security-policy']);
    for (const d of ["default-src 'self'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]) expect(csp).toContain(d);
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect((await request(t, { path: '/assets/app.js', headers: { host: 'motoko' } })).status).toBe(200);
    expect((await request(t, { path: '/.secret', headers: { host: 'motoko' } })).status).toBeGreaterThanOrEqual(400);
    expect((await request(t, { path: '/assets/..%2f..%2f.secret', headers: { host: 'motoko' } })).status).toBeGreaterThanOrEqual(400);
  });

  it('sends the precompressed copy a browser accepts; hashed assets are kept a year, index.html is revalidated', async () => {
    const get = (p: string, encoding?: string) => request(t, { path: p, headers: { host: 'motoko', ...(encoding ? { 'accept-encoding': encoding } : {}) } });
    const br = await get('/assets/app.js', 'gzip, deflate, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers['vary']).toMatch(/accept-encoding/i);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const gz = await get('/assets/app.js', 'gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    const plain = await get('/assets/app.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.text).toBe('console.log(1)');
    for (const p of ['/', '/index.html']) {
      const page = await get(p, 'br');
      expect(page.status).toBe(200);
      expect(page.headers['cache-control']).toBe('no-cache');
      const again = await request(t, { path: p, headers: { host: 'motoko', 'if-none-match': String(page.headers['etag']) } });
      expect(again.status).toBe(304);
    }
  });
});
