// A unified diff of the live file against what we would write, for `samba diff` and the pane.
import { createTwoFilesPatch } from 'diff';

export function unifiedDiff(path: string, live: string | null, next: string): string {
  if (live === next) return '';
  return createTwoFilesPatch(`${path} (live)`, `${path} (pillarsd)`, live ?? '', next, undefined, undefined, { context: 3 });
}
