// What a restore drill checked and, on a failure, what failed, in plain words (pure: tested without
// a browser). A drill (restic-drill) restores a random sample of the latest snapshot into scratch,
// compares what did not change since with its source, and has restic check read part of the pack
// data; its summary names the files it could not restore, those that came back different, and the
// files whose data lies in the packs restic check found damaged.
import type { DrillSummary, Run } from '../../server/src/contract/api';

/** One thing that failed: a sentence and the files it is about. */
export interface DrillFinding {
  text: string;
  paths: string[];
}

const files = (n: number) => (n === 1 ? '1 file' : `${n} files`);

/** What the drill checked, one line each. */
export function drillChecks(s: DrillSummary): string[] {
  const lines = [
    `${files(s.sampled)} picked at random from the snapshot, ${s.restored} restored, ${s.compared} compared byte for byte with their source${s.changedSinceSnapshot ? `, ${s.changedSinceSnapshot} changed since the snapshot (checked by size)` : ''}`,
  ];
  if (s.checkOk === null) lines.push('restic check did not run');
  else lines.push(`restic check read ${s.readDataSubset ?? 'no pack data (metadata only)'}${s.readDataSubset ? ' of the pack data' : ''}: ${s.checkOk ? 'no damage found' : 'damage found'}`);
  return lines;
}

/**
 * What failed, most telling first: files lost (their data in a damaged pack, when restic check
 * says so), files restored different, then the other files the damaged packs hold. A failed run
 * whose summary names nothing (no snapshot yet, a refused scratch folder, restic failing) is told
 * by its error.
 */
export function drillFindings(run: Run): DrillFinding[] {
  const s = run.summary?.kind === 'restic-drill' ? run.summary : null;
  const out: DrillFinding[] = [];
  if (s) {
    const damaged = new Set(s.damaged);
    const lostInPack = s.unreadable.filter((p) => damaged.has(p));
    const lostOther = s.unreadable.filter((p) => !damaged.has(p));
    if (lostInPack.length) out.push({ text: `Could not be restored: the data of ${lostInPack.length === 1 ? 'this file lies' : 'these files lie'} in a damaged pack of the repository`, paths: lostInPack });
    if (lostOther.length) out.push({ text: `Could not be restored`, paths: lostOther });
    if (s.mismatches.length) out.push({ text: `Restored, but different from the file, which has not changed since the snapshot (the backup holds other bytes than the disk)`, paths: s.mismatches });
    const otherDamaged = s.damaged.filter((p) => !s.unreadable.includes(p) && !s.mismatches.includes(p));
    if (s.checkOk === false)
      out.push({
        text: otherDamaged.length ? `restic check found damaged pack data; these files have data in the damaged packs too` : `restic check found damage in the repository`,
        paths: otherDamaged,
      });
  }
  if (!out.length && (run.status === 'failed' || run.status === 'interrupted' || run.status === 'blocked')) out.push({ text: run.error ?? run.block?.message ?? `the drill ${run.status}`, paths: [] });
  return out;
}

/** The drill's verdict in one word. */
export function drillVerdict(run: Run | null): string {
  if (!run) return 'never run';
  switch (run.status) {
    case 'succeeded':
    case 'succeeded-with-warnings':
      return 'passed';
    case 'failed':
      return 'failed';
    default:
      return run.status;
  }
}
