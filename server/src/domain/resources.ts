// What a run reads and writes, and which pairs may not run at once. One queue per restic
// repository falls out of write/write conflicts; "the Space sync never overlaps a job writing
// the repository inside Space" out of read/write ones (rule 4). Each job type names its locations
// (jobs/types/*: refs).
import type { Config } from '../config/schema';
import { locationKey, pathContains } from '../config/locations';

export interface Resource {
  /** absolute path for a pillar location, `remote:path` for a remote */
  key: string;
  mode: 'r' | 'w';
}

/** The resources of a run, from the locations its job type says it reads and writes. */
export function resourcesOf(c: Config, refs: ReadonlyArray<{ ref: string; mode: 'r' | 'w' }>): Resource[] {
  return refs.map((r) => ({ key: locationKey(c, r.ref), mode: r.mode }));
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
