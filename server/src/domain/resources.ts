// What a run reads and writes, and which pairs may not run at once. One queue per restic
// repository falls out of write/write conflicts; "the Space sync never overlaps a job writing
// the repository inside Space" out of read/write ones (rule 4). A location can leave folders out
// (an rclone job's anchored excludes): a Space sync that excludes the repository runs beside the
// backup writing into it (issue 22). Each job type names its locations (jobs/types/*: refs).
import type { Config } from '../config/schema';
import { locationKey, pathContains } from '../config/locations';

export interface Resource {
  /** absolute path for a pillar location, `remote:path` for a remote */
  key: string;
  mode: 'r' | 'w';
  /** keys inside `key` the run does not touch */
  except?: string[];
}

/** The resources of a run, from the locations its job type says it reads and writes. */
export function resourcesOf(c: Config, refs: ReadonlyArray<{ ref: string; mode: 'r' | 'w'; except?: readonly string[] }>): Resource[] {
  return refs.map((r) => (r.except?.length ? { key: locationKey(c, r.ref), mode: r.mode, except: r.except.map((e) => locationKey(c, e)) } : { key: locationKey(c, r.ref), mode: r.mode }));
}

/** `inner` is `outer` or inside it (both pillar paths, or both on the same remote). */
function contains(outer: string, inner: string): boolean {
  const ra = outer.includes(':') && !outer.startsWith('/');
  if (ra !== (inner.includes(':') && !inner.startsWith('/'))) return false;
  if (!ra) return pathContains(outer, inner);
  const [na, pa] = [outer.slice(0, outer.indexOf(':')), outer.slice(outer.indexOf(':') + 1)];
  const [nb, pb] = [inner.slice(0, inner.indexOf(':')), inner.slice(inner.indexOf(':') + 1)];
  return na === nb && pathContains(`/${pa}`, `/${pb}`);
}

/** Two resources touch the same files: their keys overlap outside what either leaves out. */
function touches(x: Resource, y: Resource): boolean {
  if (!overlap(x.key, y.key)) return false;
  if (x.except?.some((e) => contains(e, y.key))) return false;
  if (y.except?.some((e) => contains(e, x.key))) return false;
  return true;
}

function overlap(a: string, b: string): boolean {
  return contains(a, b) || contains(b, a);
}

/** True when two runs may not run at the same time: one writes where the other reads or writes. */
export function conflicts(a: readonly Resource[], b: readonly Resource[]): boolean {
  for (const x of a) for (const y of b) if ((x.mode === 'w' || y.mode === 'w') && touches(x, y)) return true;
  return false;
}
