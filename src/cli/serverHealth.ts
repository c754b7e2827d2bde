// `server` part of `pillars status`/`doctor`: GET /api/v1/health through the tray's pillarsd
// connection code (certificate pinned to settings.server.fingerprint), under one hard deadline.
import { HttpStatusError, PinMismatchError, openRequest, readBody } from '../main/core/server/http';

export interface ServerHealth {
  url: string;
  reachable: boolean;
  ok: boolean;
  version?: string;
  pinned?: boolean;
  error?: string;
}

export async function serverHealth(url: string, fingerprint: string, timeoutMs = 1_500): Promise<ServerHealth> {
  if (!url) return { url: '', reachable: false, ok: false, error: 'server.url is not set' };
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const res = await openRequest({ url, fingerprint: fingerprint || null, token: null }, { path: 'api/v1/health', timeoutMs, signal: ac.signal });
    const body = await readBody(res, 64 * 1024);
    const pinned = url.startsWith('https:') ? { pinned: true } : {};
    if (res.statusCode !== 200) return { url, reachable: true, ok: false, ...pinned, error: new HttpStatusError(res.statusCode ?? 0, '').message };
    const j = JSON.parse(body) as { ok?: boolean; version?: string };
    return { url, reachable: true, ok: j.ok === true, ...(j.version ? { version: j.version } : {}), ...pinned };
  } catch (e) {
    if (e instanceof PinMismatchError) return { url, reachable: true, ok: false, pinned: false, error: e.message };
    if (ac.signal.aborted) return { url, reachable: false, ok: false, error: `no answer within ${timeoutMs} ms` };
    return { url, reachable: false, ok: false, error: (e as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
