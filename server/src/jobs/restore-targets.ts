// Facts about where a restore may write (issue 16): the pillars with their real paths, and every
// local restic repository pillarsd.yaml names (a restore never writes into one).
import type { Config } from '../config/schema';
import { resolveLocation } from '../config/locations';
import { realPath } from '../infra/fs';

export function pillarFacts(c: Config): Array<{ id: string; path: string; realPath: string }> {
  return Object.entries(c.pillars).map(([id, p]) => {
    let real = p.path;
    try {
      real = realPath(p.path);
    } catch {
      /* a pillar that is not there: its guard blocks the run */
    }
    return { id, path: p.path, realPath: real };
  });
}

export function repositoryPaths(c: Config): string[] {
  const out = new Set<string>();
  for (const j of Object.values(c.jobs)) {
    if (!('repository' in j)) continue;
    const l = resolveLocation(c, j.repository);
    if (l.kind === 'pillar') out.add(l.path);
  }
  return [...out];
}

/**
 * Where restores of a repository land by default: restore.area, else /restores on the pillar
 * holding the repository. Null for a repository on a remote without restore.area.
 */
export function restoreArea(c: Config, repository: string): string | null {
  if (c.restore?.area) return c.restore.area.replace(/\/+$/, '');
  const l = resolveLocation(c, repository);
  return l.kind === 'pillar' ? `${l.pillar}:/restores` : null;
}
