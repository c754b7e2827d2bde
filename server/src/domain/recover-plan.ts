// What a recovery copies back (issue 16), pure: every rclone job that copies a folder of the pillar
// to the remote, reversed, with its excludes; the folders holding a restic repository first, so
// the hot pillar can be restored from it while the rest still comes back.
import type { RecoverPair, RecoverPlan } from '../contract/api';
import type { Config } from '../config/schema';
import path from 'node:path';
import { pathContains, resolveLocation } from '../config/locations';
import { anchoredOut } from './offsite';
import { formatBytes } from './size';

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

/**
 * The text a plan's digest is taken of: exactly what the owner confirms — each folder from where
 * into where with the remote's totals, what is left out, the disk it goes into and whether it goes
 * on with an earlier recovery. Not the bandwidth limit or the sentinel choice: the start request
 * names those itself. Built field by field so that the order never depends on how the plan was made.
 */
export function recoverPlanText(plan: Omit<RecoverPlan, 'digest'>): string {
  const { task, pillarState: st } = plan;
  return JSON.stringify({
    pillar: task.pillar,
    remote: task.remote,
    pairs: task.pairs.map((p, i) => ({ job: p.job, from: p.from, to: p.to, exclude: p.exclude, repositories: p.repositories, files: plan.remoteHolds[i]?.files ?? null, bytes: plan.remoteHolds[i]?.bytes ?? null })),
    notOnRemote: plan.notOnRemote.map((n) => ({ job: n.job, from: n.from })),
    disk: { path: st.path, mounted: st.mounted, sentinel: st.sentinel, empty: st.empty },
    resumes: plan.resumes && { remote: plan.resumes.remote, startedAt: plan.resumes.startedAt },
  });
}

/** One line of what a plan would do, for an answer that must say what the plan is now. */
export function describeRecoverPlan(plan: RecoverPlan): string {
  const pairs = plan.task.pairs.map((p, i) => `${p.from} → ${p.to} (${plan.remoteHolds[i]?.files ?? '?'} files, ${formatBytes(plan.remoteHolds[i]?.bytes ?? 0)})`);
  const left = plan.notOnRemote.map((n) => `${n.from} (job ${n.job})`);
  return [`it copies ${pairs.join(', ')}`, ...(left.length ? [`leaves out ${left.join(', ')} (not on the remote)`] : []), diskText(plan)].join('; ');
}

/** The disk a plan writes into, as it was found, and whether it goes on with an earlier recovery. */
function diskText(plan: RecoverPlan): string {
  const st = plan.pillarState;
  return `into ${st.path} (${st.empty ? 'empty' : 'holds data'}, ${st.mounted ? 'mounted' : 'not a mount point'}, sentinel ${st.sentinel === null ? 'missing' : JSON.stringify(st.sentinel)}) ${plan.resumes ? `going on with the recovery from ${plan.resumes.remote} started ${plan.resumes.startedAt}` : 'as a new recovery'}`;
}

/** What differs between the plan the owner was shown and the plan listed again, one phrase each. */
export function recoverPlanChanges(was: RecoverPlan, now: RecoverPlan): string[] {
  const out: string[] = [];
  const size = (files: number | undefined, bytes: number | undefined) => `${files ?? '?'} files, ${formatBytes(bytes ?? 0)}`;
  const folders = (p: RecoverPlan) => new Map(p.task.pairs.map((x, i) => [x.from, { pair: x, holds: p.remoteHolds[i] }]));
  const a = folders(was);
  const b = folders(now);
  for (const [from, x] of a) {
    const y = b.get(from);
    if (!y) out.push(`${from} is no longer copied back`);
    else {
      if (x.pair.to !== y.pair.to) out.push(`${from} now goes into ${y.pair.to}, not ${x.pair.to}`);
      if (x.holds?.files !== y.holds?.files || x.holds?.bytes !== y.holds?.bytes) out.push(`${from} now holds ${size(y.holds?.files, y.holds?.bytes)}, not ${size(x.holds?.files, x.holds?.bytes)}`);
      if (x.pair.job !== y.pair.job || JSON.stringify([x.pair.exclude, x.pair.repositories]) !== JSON.stringify([y.pair.exclude, y.pair.repositories])) out.push(`${from}: its job, excludes or repositories changed`);
    }
  }
  for (const [from, y] of b) if (!a.has(from)) out.push(`${from} is copied back too (${size(y.holds?.files, y.holds?.bytes)})`);
  const left = (p: RecoverPlan) => new Set(p.notOnRemote.map((n) => n.from));
  for (const from of left(now)) if (!left(was).has(from)) out.push(`${from} is now left out (not on the remote)`);
  for (const from of left(was)) if (!left(now).has(from)) out.push(`${from} is no longer left out`);
  if (diskText(was) !== diskText(now)) out.push(`now ${diskText(now)}, not ${diskText(was)}`);
  return out;
}
