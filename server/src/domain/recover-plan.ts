// What a recovery copies back (issue 16), pure: every rclone job that copies a folder of the pillar
// to the remote, reversed, with its excludes; the folders holding a restic repository first, so
// the hot pillar can be restored from it while the rest still comes back.
import type { RecoverPair } from '../contract/api';
import type { Config } from '../config/schema';
import path from 'node:path';
import { pathContains, resolveLocation } from '../config/locations';
import { anchoredOut } from './offsite';

export function recoverPairs(c: Config, pillar: string, remote: string): RecoverPair[] {
  const repos = new Map<string, string>();
  for (const j of Object.values(c.jobs)) {
    if (!('repository' in j)) continue;
    const l = resolveLocation(c, j.repository);
    if (l.kind === 'pillar') repos.set(l.path, j.repository);
  }
  const pairs: RecoverPair[] = [];
  for (const [id, j] of Object.entries(c.jobs)) {
    if (j.type !== 'rclone-sync' && j.type !== 'rclone-copy') continue;
    const src = resolveLocation(c, j.source);
    const dst = resolveLocation(c, j.destination);
    if (src.kind !== 'pillar' || src.pillar !== pillar || dst.kind !== 'remote' || dst.remote !== remote) continue;
    const inside = [...repos].filter(([p]) => pathContains(src.path, p) && !anchoredOut(`/${path.posix.relative(src.path, p)}`, j.exclude)).map(([, ref]) => ref);
    // the sentinel is the disk's own: never taken from the remote
    pairs.push({ job: id, from: `${dst.remote}:${dst.path}`, to: j.source, exclude: [...j.exclude, '/.pillar'], repositories: inside });
  }
  return pairs.sort((a, b) => Number(b.repositories.length > 0) - Number(a.repositories.length > 0) || a.job.localeCompare(b.job));
}
