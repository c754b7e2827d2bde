// What each job reads and writes, and which pairs may not run at once. One queue per restic
// repository falls out of write/write conflicts; "the Space sync never overlaps a job writing
// the repository inside Space" out of read/write ones (rule 4).
import type { Config, JobConfig } from '../config/schema';
import { pathContains, resolveLocation } from '../config/locations';

export interface Resource {
  /** absolute path for a pillar location, `remote:path` for a remote */
  key: string;
  mode: 'r' | 'w';
}

function key(c: Config, ref: string): string {
  const l = resolveLocation(c, ref);
  return l.kind === 'pillar' ? l.path : `${l.remote}:${l.path}`;
}

export function jobResources(c: Config, job: JobConfig): Resource[] {
  switch (job.type) {
    case 'restic-backup':
      return [
        { key: key(c, job.source), mode: 'r' },
        { key: key(c, job.repository), mode: 'w' },
      ];
    case 'restic-forget':
    case 'restic-check':
      // check and prune want the repository to themselves
      return [{ key: key(c, job.repository), mode: 'w' }];
    case 'rclone-sync':
    case 'rclone-copy':
      return [
        { key: key(c, job.source), mode: 'r' },
        { key: key(c, job.destination), mode: 'w' },
      ];
  }
}

function overlap(a: string, b: string): boolean {
  const ra = a.includes(':') && !a.startsWith('/');
  const rb = b.includes(':') && !b.startsWith('/');
  if (ra !== rb) return false;
  if (ra) {
    const [na, pa] = [a.slice(0, a.indexOf(':')), a.slice(a.indexOf(':') + 1)];
    const [nb, pb] = [b.slice(0, b.indexOf(':')), b.slice(b.indexOf(':') + 1)];
    return na === nb && (pathContains(`/${pa}`, `/${pb}`) || pathContains(`/${pb}`, `/${pa}`));
  }
  return pathContains(a, b) || pathContains(b, a);
}

/** True when two runs may not run at the same time: one writes where the other reads or writes. */
export function conflicts(a: readonly Resource[], b: readonly Resource[]): boolean {
  for (const x of a) for (const y of b) if ((x.mode === 'w' || y.mode === 'w') && overlap(x.key, y.key)) return true;
  return false;
}
