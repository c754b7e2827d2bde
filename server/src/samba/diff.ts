// A unified diff of the live file against what we would write, for `samba diff` and the pane.
// The diff library is imported on the first diff that has a difference to show: a serving
// pillarsd that nobody asks for one never holds it.

export async function unifiedDiff(path: string, live: string | null, next: string): Promise<string> {
  if (live === next) return '';
  const { createTwoFilesPatch } = await import('diff');
  return createTwoFilesPatch(`${path} (live)`, `${path} (pillarsd)`, live ?? '', next, undefined, undefined, { context: 3 });
}
