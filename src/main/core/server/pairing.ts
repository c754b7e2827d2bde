// First run: find the server, show its certificate fingerprint for the user to compare with what
// `pillarsd pair` printed, then trade the one-time code for a token over a connection pinned to
// that fingerprint. Nothing is trusted before the user confirmed the fingerprint.
import type { HealthResponse, PairResponse } from '../../../../server/src/contract/api';
import { normalizeFingerprint, probeFingerprint, requestJson } from './http';

export const DEFAULT_PORT = 8443;

/** "motoko" → "https://motoko:8443"; keeps an explicit scheme/port; rejects paths, users and junk. */
export function normalizeServerUrl(text: string): string {
  const t = text.trim();
  if (!t) throw new Error('server URL is empty: enter the host name of pillarsd, e.g. motoko or https://motoko:8443');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `https://${t}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new Error(`server URL '${t}' is not a valid URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`server URL '${t}' must use https (or http for a server with tls: off)`);
  if (u.username || u.password) throw new Error('server URL must not contain a user name or password');
  if ((u.pathname && u.pathname !== '/') || u.search || u.hash) throw new Error(`server URL '${t}' must not have a path, query or fragment`);
  if (!u.port && !/:\d+$/.test(u.host)) u.port = String(DEFAULT_PORT);
  return `${u.protocol}//${u.host}`;
}

/** A pairing code as printed by `pillarsd pair`: spaces and dashes are ignored, case too. */
export function normalizePairingCode(text: string): string {
  const c = text.replace(/[\s-]/g, '').toUpperCase();
  if (!/^[A-Z0-9]{4,20}$/.test(c)) throw new Error('pairing code must be the letters and digits printed by `pillarsd pair` (like ABCD-EFGH)');
  return c;
}

export interface ProbeResult {
  url: string;
  /** null for an http:// server (tls: off): nothing to pin, the UI must say so. */
  fingerprint: string | null;
  version: string;
}

/** Step 1: reach the server, read its fingerprint, check it is pillarsd (health answers). */
export async function probeServer(urlText: string, timeoutMs = 5_000): Promise<ProbeResult> {
  const url = normalizeServerUrl(urlText);
  const fingerprint = url.startsWith('https:') ? await probeFingerprint(url, timeoutMs) : null;
  const health = await requestJson<HealthResponse>({ url, fingerprint, token: null }, { path: 'api/v1/health', timeoutMs });
  if (!health || health.ok !== true) throw new Error(`${url} answered, but not like pillarsd (GET /api/v1/health)`);
  return { url, fingerprint, version: health.version };
}

export interface Paired {
  url: string;
  fingerprint: string | null;
  token: string;
  role: PairResponse['role'];
}

/** Step 2, after the user confirmed `confirmedFingerprint`: trade the code for a token. */
export async function pair(urlText: string, confirmedFingerprint: string | null, codeText: string, opts: { deviceName?: string; timeoutMs?: number } = {}): Promise<Paired> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const url = normalizeServerUrl(urlText);
  const code = normalizePairingCode(codeText);
  const fingerprint = confirmedFingerprint ? normalizeFingerprint(confirmedFingerprint) : null;
  if (url.startsWith('https:') && !fingerprint) throw new Error('confirm the server certificate fingerprint before pairing');
  const res = await requestJson<PairResponse>({ url, fingerprint, token: null }, { method: 'POST', path: 'api/v1/pair', body: { code, ...(opts.deviceName ? { name: opts.deviceName.slice(0, 100) } : {}) }, timeoutMs });
  if (!res || typeof res.token !== 'string' || !res.token) throw new Error('the server answered the pairing without a token');
  // The server also states its fingerprint; it must be the one we are connected to.
  if (fingerprint && res.fingerprint && normalizeFingerprint(res.fingerprint) !== fingerprint) {
    throw new Error(`the server reports certificate ${res.fingerprint}, but the connection presented ${fingerprint}: not pairing`);
  }
  return { url, fingerprint, token: res.token, role: res.role };
}
