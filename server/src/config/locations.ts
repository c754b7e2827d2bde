// `pillar:/path` and `remote:path` references, resolved against the configuration.
import path from 'node:path';
import type { Config } from './schema';

export type Location =
  | { kind: 'pillar'; pillar: string; root: string; path: string } // path: absolute on this host
  | { kind: 'remote'; remote: string; path: string };

export function resolveLocation(c: Config, ref: string): Location {
  const i = ref.indexOf(':');
  const name = ref.slice(0, i);
  const rest = ref.slice(i + 1);
  const p = c.pillars[name];
  if (p) return { kind: 'pillar', pillar: name, root: p.path, path: path.posix.join(p.path, rest) };
  if (c.remotes[name]) return { kind: 'remote', remote: name, path: rest };
  throw new Error(`"${ref}" names neither a pillar nor a remote`);
}

/** One spelling of a location: the absolute path of a pillar location, `remote:path` for a remote. */
export function locationKey(c: Config, ref: string): string {
  const l = resolveLocation(c, ref);
  const p = path.posix.normalize(l.path).replace(/(.)\/+$/, '$1');
  return l.kind === 'pillar' ? p : `${l.remote}:${p}`;
}

/** True when `inner` is `outer` or lies inside it (plain path prefix on folder boundaries). */
export function pathContains(outer: string, inner: string): boolean {
  const a = path.posix.normalize(outer).replace(/\/+$/, '') || '/';
  const b = path.posix.normalize(inner).replace(/\/+$/, '') || '/';
  return a === '/' || b === a || b.startsWith(`${a}/`);
}
