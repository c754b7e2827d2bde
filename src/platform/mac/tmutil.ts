// Time Machine as `tmutil` reports it (tmutil(8)). Parsing only: the adapter runs the commands.
// plist (with its XML parser and builder, about 10 MB resident) is imported on the first parse: only
// macOS ever asks tmutil, and the client core runs everywhere.

export interface TmDestination {
  id: string | null;
  name: string | null;
  kind: string | null; // Network | Local
  url: string | null; // network destinations: smb://user@host/share
  mountPoint: string | null;
  last: boolean; // LastDestination = 1: the one the latest backup went to
}

/**
 * `tmutil destinationinfo -X` prints an XML property list: a dict whose Destinations array holds
 * one dict per destination (ID, Name, Kind, URL for network ones, MountPoint when mounted,
 * LastDestination). With no destination it prints an empty dict, or on some releases a plain
 * sentence; both mean "none" here.
 */
export async function parseDestinationInfo(text: string): Promise<TmDestination[]> {
  const trimmed = text.trim();
  // Anything but a complete plist (a sentence, a truncated answer) is "no destination".
  if (!trimmed.startsWith('<') || !trimmed.includes('</plist>')) return [];
  const { parse: parsePlist } = await import('plist');
  let root: unknown;
  try {
    root = parsePlist(trimmed);
  } catch {
    return [];
  }
  if (!root || typeof root !== 'object' || Array.isArray(root)) return [];
  const list = (root as Record<string, unknown>)['Destinations'];
  if (!Array.isArray(list)) return [];
  const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
  return list
    .filter((d): d is Record<string, unknown> => !!d && typeof d === 'object' && !Array.isArray(d))
    .map((d) => ({
      id: str(d['ID']),
      name: str(d['Name']),
      kind: str(d['Kind']),
      url: str(d['URL']),
      mountPoint: str(d['MountPoint']),
      last: d['LastDestination'] === 1 || d['LastDestination'] === true,
    }));
}

/** What a person should see as the destination: the share for network ones, else the disk's name. */
export function describeDestination(d: TmDestination): string | null {
  if (d.url) {
    // The URL may carry the SMB user name (never a password: tmutil keeps that in the keychain).
    try {
      const u = new URL(d.url);
      return `${u.protocol}//${u.host}${u.pathname}`;
    } catch {
      return d.url;
    }
  }
  return d.name ?? d.mountPoint ?? d.id;
}

export type LatestBackup = { kind: 'ok'; path: string; at: string | null } | { kind: 'none'; reason: string } | { kind: 'full-disk-access'; reason: string } | { kind: 'error'; reason: string };

export const FULL_DISK_ACCESS_HINT = 'Time Machine details need Full Disk Access for Pillars: System Settings → Privacy & Security → Full Disk Access, then turn Pillars on.';

// Backups are named YYYY-MM-DD-HHMMSS (HFS+ Backups.backupdb folders) or the same with a `.backup`
// suffix (APFS snapshots mounted under /Volumes/.timemachine), in the Mac's local time.
const STAMP = /(\d{4})-(\d{2})-(\d{2})-(\d{2})(\d{2})(\d{2})(?:\.backup)?\/?$/;

export function backupTimeFromPath(path: string): string | null {
  const m = STAMP.exec(path.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(y, mo - 1, d, h, mi, s);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * `tmutil latestbackup` prints the latest backup's path. Since 10.14 it needs Full Disk Access and
 * says so ("tmutil: latestbackup requires Full Disk Access privileges.", on stdout or stderr, exit
 * code 80 on recent releases); without a reachable destination it prints "Failed to mount backup
 * destination…" or "No machine directory found for host." and exits non-zero.
 */
export function parseLatestBackup(code: number | null, stdout: string, stderr: string): LatestBackup {
  const all = `${stdout}\n${stderr}`;
  if (/requires Full Disk Access/i.test(all)) return { kind: 'full-disk-access', reason: FULL_DISK_ACCESS_HINT };
  const path = stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l.startsWith('/'));
  if (code === 0 && path) return { kind: 'ok', path, at: backupTimeFromPath(path) };
  if (/No machine directory found|No backups found|Failed to mount backup destination|Unable to locate machine directory/i.test(all)) {
    return { kind: 'none', reason: all.trim().split(/\r?\n/)[0]!.trim() };
  }
  return { kind: 'error', reason: all.trim().split(/\r?\n/)[0]?.trim() || `tmutil latestbackup exited with ${code}` };
}
