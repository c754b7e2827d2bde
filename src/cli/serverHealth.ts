// `server` part of `pillars status` until the tray's pillarsd connection is used here: one GET of
// /api/v1/health with a deadline, the certificate pinned to settings.server.fingerprint (SHA-256)
// when set, since pillarsd serves a self-signed certificate by default.
import https from 'node:https';
import http from 'node:http';
import type { TLSSocket } from 'node:tls';

export interface ServerHealth {
  url: string;
  reachable: boolean;
  ok: boolean;
  version?: string;
  pinned?: boolean;
  error?: string;
}

export const normalizeFingerprint = (f: string) => f.replace(/:/g, '').toUpperCase();

export function serverHealth(url: string, fingerprint: string, timeoutMs = 1_500): Promise<ServerHealth> {
  if (!url) return Promise.resolve({ url: '', reachable: false, ok: false, error: 'server.url is not set' });
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL('/api/v1/health', url);
    } catch {
      resolve({ url, reachable: false, ok: false, error: `server.url ${JSON.stringify(url)} is not a URL` });
      return;
    }
    let done = false;
    const finish = (h: ServerHealth) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(h);
    };
    const pin = normalizeFingerprint(fingerprint);
    const lib = target.protocol === 'https:' ? https : http;
    const req = lib.get(target, { rejectUnauthorized: !pin, agent: false, headers: { accept: 'application/json' } }, (res) => {
      if (pin) {
        const cert = (res.socket as TLSSocket).getPeerCertificate?.();
        const got = normalizeFingerprint(cert?.fingerprint256 ?? '');
        if (got !== pin) return finish({ url, reachable: true, ok: false, pinned: false, error: `certificate fingerprint ${got || '(none)'} does not match server.fingerprint` });
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body = (body + c).slice(0, 10_000)));
      res.on('end', () => {
        try {
          const j = JSON.parse(body) as { ok?: boolean; version?: string };
          finish({ url, reachable: true, ok: res.statusCode === 200 && j.ok === true, ...(j.version ? { version: j.version } : {}), ...(pin ? { pinned: true } : {}), ...(res.statusCode === 200 ? {} : { error: `HTTP ${res.statusCode}` }) });
        } catch {
          finish({ url, reachable: true, ok: false, error: `HTTP ${res.statusCode}: not a pillarsd health answer` });
        }
      });
    });
    req.on('error', (e) => finish({ url, reachable: false, ok: false, error: e.message }));
    const timer = setTimeout(() => finish({ url, reachable: false, ok: false, error: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
}
