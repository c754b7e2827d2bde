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
    // the sentinel is the disk's own, the marker the recovery's: never taken from the remote
    pairs.push({ job: id, from: `${dst.remote}:${dst.path}`, to: j.source, exclude: [...j.exclude, '/.pillar', `/${RECOVER_MARKER}`], repositories: inside });
  }
  return pairs.sort((a, b) => Number(b.repositories.length > 0) - Number(a.repositories.length > 0) || a.job.localeCompare(b.job));
}

/** Written at the top of the pillar when a recovery starts, removed when it has been verified. */
export const RECOVER_MARKER = '.pillars-recover';
/** What a new disk may hold and still count as empty. */
const DISK_OWN = ['.pillar', 'lost+found', RECOVER_MARKER];

export interface RecoverMarker {
  remote: string;
  startedAt: string;
}

/**
 * Why a recovery may not write into the pillar (null: it may). A recovery never overwrites data it
 * did not bring: it goes into an empty disk, or goes on with one its marker says it started from the
 * same remote (a run killed in the middle, run again).
 */
export function recoverRefusal(pillar: string, pillarPath: string, entries: readonly string[], marker: RecoverMarker | null, remote: string): string | null {
  if (marker && marker.remote !== remote) return `pillar ${pillar} holds a recovery from ${marker.remote} started ${marker.startedAt} (${pillarPath}/${RECOVER_MARKER}): finish it from ${marker.remote}, not ${remote}`;
  if (marker) return null;
  const data = entries.filter((e) => !DISK_OWN.includes(e)).sort();
  if (!data.length) return null;
  const shown = data
    .slice(0, 5)
    .map((e) => JSON.stringify(e))
    .join(', ');
  return `pillar ${pillar} (${pillarPath}) is not empty (${shown}${data.length > 5 ? `, and ${data.length - 5} more` : ''}): a recovery only writes into an empty or new disk, never over data it did not bring`;
}
