// Which offsite copies (rclone jobs from a pillar to a remote) would upload a pillar folder (issue
// 16), pure: a restore area, a drill's scratch or a recovery's staging must not travel to the cloud,
// so a folder is "uploaded" unless every such job leaves it out with an anchored folder exclude.
import path from 'node:path';
import type { Config } from '../config/schema';
import { pathContains, resolveLocation } from '../config/locations';

/** An anchored folder exclude (`/dir/**`, `/dir/`) leaves `rel` (`/dir/sub`) out. */
export function anchoredOut(rel: string, exclude: readonly string[]): boolean {
  return exclude.some((e) => {
    if (!e.startsWith('/') || !(e.endsWith('/**') || e.endsWith('/'))) return false;
    const prefix = e.replace(/\/\*\*$/, '').replace(/\/$/, '');
    return rel === prefix || rel.startsWith(`${prefix}/`);
  });
}

/** The ids of the rclone jobs that copy the absolute folder `abs` to a remote (none: it stays here). */
export function offsiteJobsUploading(c: Config, abs: string): string[] {
  const out: string[] = [];
  for (const [id, j] of Object.entries(c.jobs)) {
    if (j.type !== 'rclone-sync' && j.type !== 'rclone-copy') continue;
    const src = resolveLocation(c, j.source);
    const dst = resolveLocation(c, j.destination);
    if (src.kind !== 'pillar' || dst.kind !== 'remote' || !pathContains(src.path, abs)) continue;
    if (!anchoredOut(`/${path.posix.relative(src.path, abs)}`, j.exclude)) out.push(id);
  }
  return out;
}
