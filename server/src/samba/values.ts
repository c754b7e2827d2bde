// The allow-lists for every value that reaches smb.conf. testparm accepts a newline inside a value
// (a new `[evil]` share appears) and unknown parameters, so we never rely on it for safety: each
// field has its own narrow grammar, ASCII only, and the error names the field (rule 7 of docs/architecture.md).
import { posix } from 'node:path';

export class SambaValidationError extends Error {
  constructor(readonly problems: Array<{ field: string; message: string }>) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
    this.name = 'SambaValidationError';
  }
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** Names Samba treats specially, or that a client would confuse with a built-in share. */
const RESERVED_SHARES = new Set(['global', 'homes', 'printers', 'print$', 'ipc$', 'admin$']);
const MAX_LEN = 255;

function describe(v: string): string {
  // Echo only a short, printable preview: a hostile value must not mangle the message either.
  const preview = v.slice(0, 40).replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(preview) + (v.length > 40 ? '…' : '');
}

/** Common checks for every value: printable ASCII, no smb.conf meta characters. */
function baseProblem(v: unknown, max = MAX_LEN): string | null {
  if (typeof v !== 'string') return 'must be a string';
  if (v.length === 0) return 'must not be empty';
  if (v.length > max) return `is too long (${v.length} characters, at most ${max})`;
  if (/[\r\n]/.test(v)) return 'must not contain a line break';
  if (/[^\x20-\x7e]/.test(v)) return `must be plain printable ASCII (got ${describe(v)})`;
  if (v.includes('%')) return `must not contain '%' (Samba expands it as a macro): ${describe(v)}`;
  if (/[[\]]/.test(v)) return `must not contain '[' or ']': ${describe(v)}`;
  if (/["'`\\;]/.test(v)) return `must not contain quotes, backslashes or ';': ${describe(v)}`;
  if (v !== v.trim()) return 'must not start or end with a space';
  if (/=/.test(v)) return `must not contain '=': ${describe(v)}`;
  return null;
}

export function checkShareName(v: unknown): string | null {
  const base = baseProblem(v, 32);
  if (base) return base;
  const s = v as string;
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(s)) return `must be a letter followed by letters, digits, '_' or '-' (got ${describe(s)})`;
  if (RESERVED_SHARES.has(s.toLowerCase())) return `'${s}' is reserved by Samba`;
  return null;
}

export function checkAbsolutePath(v: unknown): string | null {
  const base = baseProblem(v);
  if (base) return base;
  const s = v as string;
  if (!s.startsWith('/')) return `must be an absolute path (got ${describe(s)})`;
  if (!/^\/[A-Za-z0-9._/+@-]*$/.test(s)) return `may contain only letters, digits and . _ - + @ / (got ${describe(s)})`;
  if (s.split('/').some((seg) => seg === '..' || seg === '.')) return `must not contain '.' or '..' segments (got ${describe(s)})`;
  if (posix.normalize(s) !== s && posix.normalize(s) + '/' !== s) return `must be normalized (got ${describe(s)})`;
  return null;
}

export function checkUserName(v: unknown): string | null {
  const base = baseProblem(v, 32);
  if (base) return base;
  const s = v as string;
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(s)) return `must be a POSIX user name: lower-case letter or '_' then letters, digits, '_' or '-' (got ${describe(s)})`;
  return null;
}

export function checkComment(v: unknown): string | null {
  const base = baseProblem(v, 64);
  if (base) return base;
  if (!/^[A-Za-z0-9 .,()_+-]+$/.test(v as string)) return `may contain only letters, digits, spaces and . , ( ) _ + - (got ${describe(v as string)})`;
  return null;
}

export function checkWorkgroup(v: unknown): string | null {
  const base = baseProblem(v, 15);
  if (base) return base;
  if (!/^[A-Za-z0-9_-]{1,15}$/.test(v as string)) return `must be 1-15 letters, digits, '_' or '-' (got ${describe(v as string)})`;
  return null;
}

/** The Finder icon string, e.g. MacSamba, RackMac, TimeCapsule8,119. */
export function checkFruitModel(v: unknown): string | null {
  const base = baseProblem(v, 32);
  if (base) return base;
  if (!/^[A-Za-z][A-Za-z0-9,]{0,31}$/.test(v as string)) return `must be a model identifier such as MacSamba or TimeCapsule8,119 (got ${describe(v as string)})`;
  return null;
}

/** Loopback/LAN interface or address list entries (whole mode only). */
export function checkInterface(v: unknown): string | null {
  const base = baseProblem(v, 64);
  if (base) return base;
  if (!/^[A-Za-z0-9.:/_-]+$/.test(v as string)) return `must be an interface name or address/prefix (got ${describe(v as string)})`;
  return null;
}

/**
 * An entry of `hosts allow` / `hosts deny`: an IPv4 address, a prefix ending in a dot (192.168.1.),
 * an address with /bits or /netmask, an IPv6 address or prefix, or a host name. No EXCEPT lists
 * and no @netgroups: one narrow grammar per entry.
 */
export function checkHostPattern(v: unknown): string | null {
  const base = baseProblem(v, 64);
  if (base) return base;
  const s = v as string;
  const octets = (t: string) => t.split('.').every((o) => o === '' || (/^\d{1,3}$/.test(o) && Number(o) <= 255));
  const v4 = /^\d{1,3}(\.\d{1,3}){0,3}\.?(\/(\d{1,2}|\d{1,3}(\.\d{1,3}){3}))?$/.exec(s);
  if (v4) {
    const [addr, mask] = s.split('/');
    if (octets(addr!) && (mask === undefined || (mask.includes('.') ? octets(mask) : Number(mask) <= 32))) return null;
    return `must be an IPv4 address, a prefix such as 192.168.1. or an address/prefix-length (got ${describe(s)})`;
  }
  if (/^[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(\/\d{1,3})?$/.test(s) && Number(s.split('/')[1] ?? 0) <= 128) return null;
  if (/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9][A-Za-z0-9-]{0,62})*$/.test(s)) return null;
  return `must be an address, a prefix such as 192.168.1., address/bits, or a host name (got ${describe(s)})`;
}

export function checkBoolean(v: unknown): string | null {
  return typeof v === 'boolean' ? null : 'must be true or false';
}

export function checkInteger(v: unknown, min: number, max: number): string | null {
  if (typeof v !== 'number' || !Number.isInteger(v)) return 'must be a whole number';
  if (v < min || v > max) return `must be between ${min} and ${max}`;
  return null;
}

/** Last line of defence at render time: whatever the model says, a value can't break the file. */
export function assertRenderable(field: string, v: string): void {
  const p = baseProblem(v, 1024);
  // Values like `catia fruit streams_xattr` and user lists have spaces; the base rule already
  // forbids every character that could end a line, open a section or expand a macro.
  if (p) throw new SambaValidationError([{ field, message: p }]);
}
