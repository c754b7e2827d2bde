// The files a restic backup could not read (exit 3: the snapshot was saved without them), with a
// reason for each, for the run's warning and summary. restic 0.14 reports them on stderr, the same
// item once per phase, and sometimes without a reason (a wrapped Go error marshals as {}).
import type { ResticItemError } from '../../tools/restic';
import { unreadableReason } from '../../infra/fs';

/** how many are kept with their reasons in the run's summary (the log has every one) */
export const UNREADABLE_LISTED = 100;

export class UnreadableFiles {
  private readonly items = new Map<string, string | null>();
  /** errors restic gave without naming a file */
  private unnamed = 0;

  /** Takes one error line's content; true when it names a file not reported before. */
  add(e: ResticItemError): boolean {
    if (e.item === null) {
      this.unnamed++;
      return true;
    }
    const isNew = !this.items.has(e.item);
    // a later phase may give the reason an earlier one did not
    if (isNew || (this.items.get(e.item) === null && e.reason !== null)) this.items.set(e.item, e.reason);
    return isNew;
  }

  get count(): number {
    return this.items.size + this.unnamed;
  }

  /**
   * The first files with their reasons; one restic gave no reason for is asked again now (it may
   * have become readable since: then that is said).
   */
  list(limit = UNREADABLE_LISTED): Array<{ path: string; reason: string }> {
    return [...this.items].slice(0, limit).map(([path, reason]) => ({
      path,
      reason: reason ?? unreadableReason(path) ?? 'could not be read during the backup (readable again now)',
    }));
  }
}

/** One line for the run: the snapshot, how many files were left out, and the first of them. */
export function warningLine(snapshotId: string, count: number, listed: ReadonlyArray<{ path: string; reason: string }>): string {
  const first = listed.slice(0, 3).map((u) => `${u.path} (${u.reason})`);
  const more = count > first.length ? `, and ${count - first.length} more (see the run's log)` : '';
  return `snapshot ${snapshotId} saved, but ${count} file${count === 1 ? '' : 's'} could not be read${first.length ? `: ${first.join(', ')}${more}` : " (see the run's log)"}`;
}
