// Parsers for what macOS prints about mounts. Both commands only read the kernel's table or ask one
// file system for its sizes; the adapter runs them in children with deadlines.

export interface SmbfsMount {
  /** The SMB user the share was mounted as, when the source names one. */
  user: string | null;
  host: string;
  share: string;
  /** The mount point, as macOS prints it (not %-encoded). */
  path: string;
  options: string[];
}

// `mount` (no arguments) prints one line per mounted file system:
//   //alice@motoko/flux on /Users/alice/.mkt/flux (smbfs, nodev, nosuid, mounted by alice)
// The source is a URL without its scheme: user and share names are %-encoded, optionally prefixed
// with `DOMAIN;` and suffixed with `:` (guest). The mount point is printed raw and may contain
// spaces and parentheses, so the options are the LAST parenthesised group.
const LINE = /^(\S+) on (.+) \(([^()]*)\)\s*$/;

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function parseMountOutput(text: string): SmbfsMount[] {
  const out: SmbfsMount[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const m = LINE.exec(raw.trim());
    if (!m) continue;
    const [, source, path, opts] = m as unknown as [string, string, string, string];
    const options = opts
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    if (options[0] !== 'smbfs' || !source.startsWith('//')) continue;
    const rest = source.slice(2);
    const slash = rest.indexOf('/');
    if (slash <= 0) continue;
    const authority = rest.slice(0, slash);
    const at = authority.lastIndexOf('@');
    let user: string | null = null;
    if (at >= 0) {
      let u = authority.slice(0, at).replace(/:$/, '');
      const semi = u.indexOf(';');
      if (semi >= 0) u = u.slice(semi + 1);
      user = u ? decode(u) : null;
    }
    const host = decode(authority.slice(at + 1));
    const share = decode(rest.slice(slash + 1).replace(/\/$/, ''));
    if (!host || !share) continue;
    out.push({ user, host, share, path, options });
  }
  return out;
}

export interface DfSizes {
  totalBytes: number;
  freeBytes: number;
}

// `df -P -k PATH` prints a POSIX header and one line: Filesystem 1024-blocks Used Available
// Capacity Mounted-on. The file system column never contains spaces for smbfs (it is %-encoded),
// so the sizes are tokens 2..4 of the last line.
export function parseDfOutput(text: string): DfSizes | null {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.length < 2) return null;
  const tokens = lines[lines.length - 1]!.split(/\s+/);
  if (tokens.length < 6) return null;
  const total = Number(tokens[1]);
  const avail = Number(tokens[3]);
  if (!Number.isFinite(total) || !Number.isFinite(avail)) return null;
  return { totalBytes: total * 1024, freeBytes: avail * 1024 };
}
