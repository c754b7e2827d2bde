// rclone's side of a recovery from the offsite remote (issue 16): argv that only ever read the
// remote. A copy back (never sync, never a delete flag), a size listing of either side, and a
// one-way check that every file of the remote is here with its size. Pure, like rclone.ts.
import type { Command } from './restic';

export interface CopyBackOptions {
  from: string;
  to: string;
  bwlimit?: string | null;
  exclude: readonly string[];
}

const excludes = (ex: readonly string[]) => ex.flatMap((e) => ['--exclude', e]);

/** rclone copies only what is missing or differs (size, time): a rerun after a kill goes on where it was. */
export function rcloneCopyBack(bin: string, env: Record<string, string>, o: CopyBackOptions): Command {
  const args = ['copy', o.from, o.to, '--use-json-log', '-v', '--stats', '1s', '--stats-log-level', 'NOTICE', '--create-empty-src-dirs'];
  if (o.bwlimit) args.push('--bwlimit', o.bwlimit);
  args.push(...excludes(o.exclude));
  return { cmd: bin, args, env };
}

/** rclone's documented exit code for "directory not found" (a path the remote does not hold). */
export const RCLONE_DIR_NOT_FOUND = 3;

export function rcloneSizeOf(bin: string, env: Record<string, string>, target: string, exclude: readonly string[]): Command {
  return { cmd: bin, args: ['size', '--json', target, ...excludes(exclude)], env };
}

/** Every file of the remote is here with the same size (files here that the remote lacks are left alone). */
export function rcloneCheckOneWay(bin: string, env: Record<string, string>, o: { from: string; to: string; exclude: readonly string[] }): Command {
  return { cmd: bin, args: ['check', o.from, o.to, '--one-way', '--size-only', '--use-json-log', ...excludes(o.exclude)], env };
}
