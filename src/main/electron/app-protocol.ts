// Serves the admin pane's build (dist/renderer) on the app's own scheme, pillars://app/…, instead
// of file:// (Electron security checklist 18), with the strict CSP as a response header.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { contentSecurityPolicy } from './security';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** The file under `root` a pillars://app URL names; null for anything outside it or malformed. */
export function resolveAppPath(root: string, url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.host !== 'app') return null;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  const file = path.resolve(root, '.' + path.posix.normalize('/' + (rel === '/' ? '/index.html' : rel)));
  const base = path.resolve(root);
  return file === base || !file.startsWith(base + path.sep) ? null : file;
}

export function appProtocolHandler(root: string, serverOrigin: () => string | null): (req: Request) => Promise<Response> {
  return async (req) => {
    const file = resolveAppPath(root, req.url);
    if (!file || req.method !== 'GET') return new Response('not found', { status: 404 });
    try {
      const body = await readFile(file);
      return new Response(body, {
        status: 200,
        headers: {
          'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
          'content-security-policy': contentSecurityPolicy(serverOrigin()),
          'x-content-type-options': 'nosniff',
        },
      });
    } catch {
      return new Response('not found', { status: 404 });
    }
  };
}
