// rclone: argv + env builders and JSON log parsers. Remotes are defined only through
// RCLONE_CONFIG_<NAME>_* variables, so no rclone.conf holds a key and no key reaches argv (rule 6).
import type { Progress, RcloneSummary } from '../contract/api';
import type { Command } from './restic';

export interface RemoteDef {
  name: string;
  type: string;
  /** option → value; secret values already resolved, password options already obscured */
  options: Record<string, string>;
}

/** rclone options that rclone expects obscured (`rclone obscure -`), by name. */
export const OBSCURED_OPTIONS = new Set(['pass', 'password', 'password2', 'key_file_pass', 'client_secret_obscured']);

const envName = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, '_');

export function rcloneEnv(remotes: readonly RemoteDef[], base: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ']) if (base[k] !== undefined) env[k] = base[k]!;
  // rclone reads a config file too; point it at nothing so only our env defines remotes
  env.RCLONE_CONFIG = '/dev/null';
  for (const r of remotes) {
    env[`RCLONE_CONFIG_${envName(r.name)}_TYPE`] = r.type;
    for (const [k, v] of Object.entries(r.options)) env[`RCLONE_CONFIG_${envName(r.name)}_${envName(k)}`] = v;
  }
  return env;
}

/** `rclone obscure -`: the password arrives on stdin; the obscured form comes back on stdout. */
export function rcloneObscure(bin: string, base: Record<string, string | undefined>): Command {
  return { cmd: bin, args: ['obscure', '-'], env: rcloneEnv([], base) };
}

export interface TransferOptions {
  op: 'sync' | 'copy';
  source: string;
  destination: string;
  /** the backend type of the destination remote, or 'local' for a path */
  destinationType: string;
  sourceType: string;
  bwlimit?: string;
  transfers?: number;
  checkers?: number;
  exclude: readonly string[];
  /**
   * A dry run. 'count': only errors and rclone's own tally (the stats lines, whose `deletes` is the
   * number of files the sync would delete), so the server reads a few lines, not one per file.
   * 'list': a line per file, each deletion with its path and size (for a block message).
   */
  dryRun?: 'count' | 'list';
  /** the most files the sync may delete: rclone stops with a fatal error before deleting one more */
  maxDelete?: number;
}

/**
 * USERS.md for B2: --fast-list (one list call per 1,000 objects), --transfers 16 with
 * --b2-upload-concurrency 2 (chunk memory near 3 GiB), bwlimit as a timetable; no --b2-hard-delete
 * (B2 keeps old versions under a lifecycle rule).
 */
export function rcloneTransfer(bin: string, env: Record<string, string>, o: TransferOptions): Command {
  const level = o.dryRun === 'count' ? ['--log-level', 'ERROR', '--stats', '1s', '--stats-log-level', 'ERROR'] : ['-v', '--stats', '1s', '--stats-log-level', 'NOTICE'];
  const args = [o.op, o.source, o.destination, '--use-json-log', ...level];
  const b2 = o.destinationType === 'b2' || o.sourceType === 'b2';
  if (b2) args.push('--fast-list', '--b2-upload-concurrency', '2');
  const transfers = o.transfers ?? (b2 ? 16 : undefined);
  if (transfers) args.push('--transfers', String(transfers));
  if (o.checkers) args.push('--checkers', String(o.checkers));
  if (o.bwlimit) args.push('--bwlimit', o.bwlimit);
  for (const e of o.exclude) args.push('--exclude', e);
  if (o.maxDelete !== undefined) args.push('--max-delete', String(o.maxDelete));
  if (o.dryRun) args.push('--dry-run');
  return { cmd: bin, args, env };
}

export function rcloneSize(bin: string, env: Record<string, string>, target: string, fastList: boolean): Command {
  return { cmd: bin, args: ['size', '--json', ...(fastList ? ['--fast-list'] : []), target], env };
}

// ---- parsers -------------------------------------------------------------------------------

export interface RcloneStats {
  bytes?: number;
  totalBytes?: number;
  speed?: number;
  eta?: number | null;
  transfers?: number;
  totalTransfers?: number;
  deletes?: number;
  errors?: number;
  checks?: number;
  elapsedTime?: number;
  transferring?: Array<{ name?: string }>;
}

export type RcloneLine =
  | { kind: 'stats'; stats: RcloneStats }
  | { kind: 'skipped-delete'; object: string; size: number }
  | { kind: 'log'; level: string; msg: string; object: string | null };

/** One stderr line of `--use-json-log`. Non-JSON lines (the last error, panics) give null. */
export function parseRcloneLine(line: string): RcloneLine | null {
  const t = line.trim();
  if (!t.startsWith('{')) return null;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(t) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (o.stats && typeof o.stats === 'object') return { kind: 'stats', stats: o.stats as RcloneStats };
  if (o.skipped === 'delete') return { kind: 'skipped-delete', object: String(o.object ?? ''), size: typeof o.size === 'number' ? o.size : 0 };
  return { kind: 'log', level: String(o.level ?? 'info'), msg: String(o.msg ?? ''), object: typeof o.object === 'string' ? o.object : null };
}

export function rcloneProgress(s: RcloneStats): Progress {
  const bytesDone = s.bytes ?? 0;
  const bytesTotal = s.totalBytes ?? null;
  return {
    percent: bytesTotal ? Math.min(100, (bytesDone / bytesTotal) * 100) : null,
    bytesDone,
    bytesTotal,
    filesDone: s.transfers ?? 0,
    filesTotal: s.totalTransfers ?? null,
    rate: s.speed ?? null,
    etaSeconds: typeof s.eta === 'number' ? s.eta : null,
    current: (s.transferring ?? []).map((x) => x.name ?? '').filter(Boolean).slice(0, 8),
  };
}

export function rcloneSummary(kind: 'rclone-sync' | 'rclone-copy', s: RcloneStats | null): RcloneSummary {
  return {
    kind,
    bytesTransferred: s?.bytes ?? 0,
    filesTransferred: s?.transfers ?? 0,
    filesDeleted: s?.deletes ?? 0,
    errors: s?.errors ?? 0,
    durationSeconds: s?.elapsedTime ?? 0,
  };
}

export interface DryRunCount {
  count: number;
  bytes: number;
  sample: string[];
}

/** Counts `"skipped":"delete"` lines of a --dry-run: the deletions a real sync would make. */
export function countDryRunDeletes(lines: Iterable<string>, sampleSize = 10): DryRunCount {
  const out: DryRunCount = { count: 0, bytes: 0, sample: [] };
  for (const l of lines) {
    const p = parseRcloneLine(l);
    if (p?.kind !== 'skipped-delete') continue;
    out.count++;
    out.bytes += p.size;
    if (out.sample.length < sampleSize) out.sample.push(p.object);
  }
  return out;
}

/** `rclone size --json` → {count, bytes}. */
export function parseRcloneSize(stdout: string): { count: number; bytes: number } | null {
  try {
    const o = JSON.parse(stdout.trim()) as { count?: number; bytes?: number };
    return typeof o.count === 'number' ? { count: o.count, bytes: o.bytes ?? 0 } : null;
  } catch {
    return null;
  }
}

/** rclone's documented exit codes: 5 is "temporary error, more retries might fix it". */
export function rcloneTransient(code: number | null): boolean {
  return code === 5;
}

export function rcloneFailureMessage(what: string, code: number | null, lastErrors: readonly string[]): string {
  const reasons: Record<number, string> = {
    2: 'syntax or usage error',
    3: 'directory not found',
    4: 'file not found',
    5: 'temporary error',
    6: 'less serious errors',
    7: 'fatal error',
    8: 'transfer limit exceeded',
  };
  const why = code !== null && reasons[code] ? ` (${reasons[code]})` : '';
  const last = lastErrors.length ? `: ${lastErrors[lastErrors.length - 1]!.slice(0, 300)}` : '';
  return `${what}: rclone exited ${code ?? 'by a signal'}${why}${last}`;
}
