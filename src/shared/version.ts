// Versions as the tray reports them (semantic versions), ordered for the pane's clients list.

/** -1, 0 or 1 as semantic versions order: numbers part by part, a prerelease before its release. */
export function compareVersions(a: string, b: string): number {
  const [ca = '', pa] = a.split('-', 2);
  const [cb = '', pb] = b.split('-', 2);
  const core = ca.localeCompare(cb, 'en', { numeric: true });
  if (core !== 0) return Math.sign(core);
  if (pa === undefined || pb === undefined) return pa === pb ? 0 : pa === undefined ? 1 : -1;
  return Math.sign(pa.localeCompare(pb, 'en', { numeric: true }));
}
