// /proc/self/mountinfo, parsed (proc(5)): reading it never touches a mounted filesystem, so it is
// safe even while a share hangs. The major:minor of a FUSE mount is its connection id under
// /sys/fs/fuse/connections (minor), which lets us abort a stuck connection.

export interface MountEntry {
  mountId: number;
  major: number;
  minor: number;
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
  options: string;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [left, right] = line.split(' - ');
    if (!left || right === undefined) continue;
    const f = left.split(' ');
    const r = right.split(' ');
    const [maj, min] = (f[2] ?? '').split(':');
    out.push({
      mountId: Number(f[0]),
      major: Number(maj),
      minor: Number(min),
      root: unescapeMountField(f[3] ?? ''),
      mountPoint: unescapeMountField(f[4] ?? ''),
      fsType: r[0] ?? '',
      source: unescapeMountField(r[1] ?? ''),
      options: r[2] ?? '',
    });
  }
  return out;
}

/** The topmost mount at `mountPoint` (later lines stack over earlier ones). */
export function mountAt(entries: readonly MountEntry[], mountPoint: string): MountEntry | null {
  let found: MountEntry | null = null;
  for (const e of entries) if (e.mountPoint === mountPoint) found = e;
  return found;
}
