// restic: argv + env builders and JSON output parsers. Pure: the runner executes what these return.
// The password never appears in argv: it reaches restic through RESTIC_PASSWORD_FILE (rule 6).
import type { Progress, ResticBackupSummary } from '../contract/api';
import type { KeepPolicy } from '../config/schema';
import type { ResticCaps } from './versions';

export interface ResticTarget {
  repository: string; // a local path (pillar:path resolved)
  passwordFile: string;
  cacheDir: string;
}

export interface Command {
  cmd: string;
  args: string[];
  env: Record<string, string>;
}

const LOCK_WAIT = '2m';

export function resticEnv(t: ResticTarget, base: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ']) if (base[k] !== undefined) env[k] = base[k]!;
  env.RESTIC_REPOSITORY = t.repository;
  env.RESTIC_PASSWORD_FILE = t.passwordFile;
  env.RESTIC_CACHE_DIR = t.cacheDir;
  // status lines at 4 a second: the engine forwards at most that many anyway
  env.RESTIC_PROGRESS_FPS = '4';
  return env;
}

function lockArgs(caps: ResticCaps | null): string[] {
  return caps?.retryLock ? ['--retry-lock', LOCK_WAIT] : [];
}

export function resticInit(bin: string, t: ResticTarget, base: Record<string, string | undefined>): Command {
  return { cmd: bin, args: ['init'], env: resticEnv(t, base) };
}

/**
 * restic anchors an exclude that starts with `/` at the file system's root, so `/scratch/` would
 * exclude nothing under /flux. In pillarsd.yaml a leading `/` means the top of the source (what the
 * owner means by `/scratch/`): it becomes the source's absolute path. Other patterns go as written.
 */
export function anchorExclude(source: string, pattern: string): string {
  return pattern.startsWith('/') ? `${source.replace(/\/+$/, '')}${pattern}` : pattern;
}

/**
 * Excludes that name a folder or file without anchoring it: restic matches them at any depth, so
 * `scratch/` also drops active-dev/proj/scratch/. Globs that start with `*` (`**` before a name,
 * `*.tmp`) say "everywhere" on purpose and are left alone.
 */
export function unanchoredExcludes(patterns: readonly string[]): string[] {
  return patterns.filter((p) => !p.startsWith('/') && !p.startsWith('*'));
}

export interface BackupOptions {
  excludeLargerThan?: string;
  excludeCaches?: boolean;
  excludeIfPresent?: string[];
  ignoreInode?: boolean;
  readConcurrency?: number;
}

/** The typed options as restic flags; an option this restic lacks is an error that names it. */
export function backupOptionArgs(o: BackupOptions, caps: ResticCaps | null): { args: string[] } | { missing: string } {
  const args: string[] = [];
  if (o.excludeLargerThan) args.push('--exclude-larger-than', o.excludeLargerThan);
  if (o.excludeCaches) args.push('--exclude-caches');
  for (const f of o.excludeIfPresent ?? []) args.push('--exclude-if-present', f);
  if (o.ignoreInode) args.push('--ignore-inode');
  if (o.readConcurrency !== undefined) {
    if (caps && !caps.readConcurrency) return { missing: 'readConcurrency (--read-concurrency) needs restic 0.15 or newer' };
    args.push('--read-concurrency', String(o.readConcurrency));
  }
  return { args };
}

export function resticBackup(
  bin: string,
  t: ResticTarget,
  base: Record<string, string | undefined>,
  o: { source: string; exclude: readonly string[]; tags: readonly string[]; host?: string; oneFileSystem: boolean; options: readonly string[]; caps: ResticCaps | null },
): Command {
  const args = ['backup', '--json', ...lockArgs(o.caps)];
  if (o.oneFileSystem) args.push('--one-file-system');
  for (const e of o.exclude) args.push('--exclude', anchorExclude(o.source, e));
  args.push(...o.options);
  for (const tag of o.tags) args.push('--tag', tag);
  if (o.host) args.push('--host', o.host);
  args.push('--', o.source);
  return { cmd: bin, args, env: resticEnv(t, base) };
}

export function keepArgs(k: KeepPolicy): string[] {
  const a: string[] = [];
  if (k.last) a.push('--keep-last', String(k.last));
  if (k.hourly) a.push('--keep-hourly', String(k.hourly));
  if (k.daily) a.push('--keep-daily', String(k.daily));
  if (k.weekly) a.push('--keep-weekly', String(k.weekly));
  if (k.monthly) a.push('--keep-monthly', String(k.monthly));
  if (k.yearly) a.push('--keep-yearly', String(k.yearly));
  if (k.within) a.push('--keep-within', k.within);
  return a;
}

export function resticForget(bin: string, t: ResticTarget, base: Record<string, string | undefined>, o: { keep: KeepPolicy; prune: boolean; dryRun: boolean; caps: ResticCaps | null }): Command {
  const args = ['forget', '--json', ...lockArgs(o.caps), ...keepArgs(o.keep)];
  if (o.dryRun) args.push('--dry-run');
  else if (o.prune) args.push('--prune');
  return { cmd: bin, args, env: resticEnv(t, base) };
}

export function resticCheck(bin: string, t: ResticTarget, base: Record<string, string | undefined>, o: { readDataSubset?: string; caps: ResticCaps | null }): Command {
  const args = ['check', ...lockArgs(o.caps)];
  if (o.readDataSubset) args.push(`--read-data-subset=${o.readDataSubset}`);
  return { cmd: bin, args, env: resticEnv(t, base) };
}

/** Removes stale locks only; never --remove-all, which would break a backup that is running (rule 4). */
export function resticUnlock(bin: string, t: ResticTarget, base: Record<string, string | undefined>): Command {
  return { cmd: bin, args: ['unlock'], env: resticEnv(t, base) };
}

export function resticStats(bin: string, t: ResticTarget, base: Record<string, string | undefined>, snapshotId: string): Command {
  return { cmd: bin, args: ['stats', '--json', '--mode', 'restore-size', snapshotId], env: resticEnv(t, base) };
}

/**
 * The snapshots of one path written from one host: the ones a backup of that path follows. It only
 * reads snapshot files, without a lock: a lock held elsewhere is the backup's to report.
 */
export function resticSnapshots(bin: string, t: ResticTarget, base: Record<string, string | undefined>, o: { path: string; host: string }): Command {
  return { cmd: bin, args: ['snapshots', '--json', '--no-lock', '--host', o.host, '--path', o.path], env: resticEnv(t, base) };
}

/** Removes exactly these snapshots, no policy and no prune: the data they point to stays. */
export function resticForgetSnapshots(bin: string, t: ResticTarget, base: Record<string, string | undefined>, ids: readonly string[], caps: ResticCaps | null): Command {
  return { cmd: bin, args: ['forget', ...lockArgs(caps), '--', ...ids], env: resticEnv(t, base) };
}

// ---- output parsers ------------------------------------------------------------------------

interface ResticStatus {
  message_type: 'status';
  seconds_elapsed?: number;
  seconds_remaining?: number;
  percent_done?: number;
  total_files?: number;
  files_done?: number;
  total_bytes?: number;
  bytes_done?: number;
  current_files?: string[];
}
interface ResticSummaryLine {
  message_type: 'summary';
  snapshot_id?: string;
  files_new?: number;
  files_changed?: number;
  files_unmodified?: number;
  data_added?: number;
  total_files_processed?: number;
  total_bytes_processed?: number;
  total_duration?: number;
}
interface ResticErrorLine {
  message_type: 'error';
  /** restic 0.14: Go's error value marshalled as is: `{"Op","Path","Err":errno}` or `{}`; later: `{"message"}` */
  error?: { message?: string; Op?: string; Err?: number } | string;
  during?: string;
  item?: string;
}

export type ResticBackupLine = { kind: 'progress'; progress: Progress } | { kind: 'summary'; summary: ResticBackupSummary } | { kind: 'error'; error: ResticItemError } | { kind: 'text'; text: string };

/** A JSON object on one line of a tool's output (restic's and rclone's JSON modes), or null. */
export function parseJsonObject(line: string): Record<string, unknown> | null {
  const t = line.trim();
  if (!t.startsWith('{')) return null;
  try {
    const v: unknown = JSON.parse(t);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function parseResticBackupLine(line: string): ResticBackupLine | null {
  if (!line.trim()) return null;
  const o = parseJsonObject(line);
  if (!o) return { kind: 'text', text: line };
  if (o.message_type === 'status') {
    const s = o as unknown as ResticStatus;
    const elapsed = num(s.seconds_elapsed);
    const bytesDone = num(s.bytes_done) ?? 0;
    return {
      kind: 'progress',
      progress: {
        percent: s.percent_done !== undefined ? Math.min(100, Math.max(0, s.percent_done * 100)) : null,
        bytesDone,
        bytesTotal: num(s.total_bytes),
        filesDone: num(s.files_done) ?? 0,
        filesTotal: num(s.total_files),
        rate: elapsed && elapsed > 0 ? bytesDone / elapsed : null,
        etaSeconds: num(s.seconds_remaining),
        current: Array.isArray(s.current_files) ? s.current_files.slice(0, 8) : [],
      },
    };
  }
  if (o.message_type === 'summary') {
    const s = o as unknown as ResticSummaryLine;
    return {
      kind: 'summary',
      summary: {
        kind: 'restic-backup',
        snapshotId: s.snapshot_id ?? '',
        filesNew: s.files_new ?? 0,
        filesChanged: s.files_changed ?? 0,
        filesUnmodified: s.files_unmodified ?? 0,
        bytesAdded: s.data_added ?? 0,
        totalBytesProcessed: s.total_bytes_processed ?? 0,
        totalFilesProcessed: s.total_files_processed ?? 0,
        durationSeconds: s.total_duration ?? 0,
      },
    };
  }
  if (o.message_type === 'error') return { kind: 'error', error: itemError(o as unknown as ResticErrorLine) };
  return null; // verbose_status and future message types carry nothing we show
}

/** Linux errno values restic 0.14 puts in its per-file errors, in the words `strerror` uses. */
const ERRNO: Record<number, string> = {
  1: 'operation not permitted',
  2: 'no such file or directory',
  5: 'input/output error',
  6: 'no such device or address',
  13: 'permission denied',
  16: 'device or resource busy',
  20: 'not a directory',
  21: 'is a directory',
  24: 'too many open files',
  36: 'file name too long',
  40: 'too many levels of symbolic links',
  61: 'no data available',
  95: 'operation not supported',
  107: 'transport endpoint is not connected',
  110: 'connection timed out',
  116: 'stale file handle',
  121: 'remote I/O error',
};

/** A file or folder restic could not read during a backup, and why (null: restic did not say). */
export interface ResticItemError {
  item: string | null;
  reason: string | null;
  /** restic's phase: `scan` or `archival` */
  during: string | null;
}

function itemError(e: ResticErrorLine): ResticItemError {
  let reason: string | null = null;
  const err = e.error;
  if (typeof err === 'string') reason = err || null;
  else if (err?.message) reason = err.message;
  else if (typeof err?.Err === 'number') {
    const words = ERRNO[err.Err] ?? `error ${err.Err}`;
    reason = err.Op && err.Op !== 'open' ? `${err.Op}: ${words}` : words;
  }
  // restic 0.14 marshals wrapped errors as {}: the reason is lost (the caller may find it out)
  return { item: e.item ?? null, reason, during: e.during ?? null };
}

/**
 * A per-file error line of `backup --json`: restic 0.14 writes these to stderr (not stdout), one
 * JSON object per line, the same item once per phase. Null for any other line.
 */
export function parseResticItemError(line: string): ResticItemError | null {
  const o = parseJsonObject(line);
  return o?.message_type === 'error' ? itemError(o as unknown as ResticErrorLine) : null;
}

export interface ResticSnapshot {
  id: string;
  short_id?: string;
  time: string;
  paths?: string[];
  tags?: string[] | null;
  hostname?: string;
}
export interface ForgetGroup {
  keep: ResticSnapshot[];
  remove: ResticSnapshot[] | null;
}

/** `forget --json` prints one JSON array line, then (with --prune) plain text. */
export function parseForgetOutput(stdout: string): ForgetGroup[] {
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('[')) continue;
    try {
      const v: unknown = JSON.parse(t);
      if (Array.isArray(v)) return v.map((g: { keep?: ResticSnapshot[] | null; remove?: ResticSnapshot[] | null }) => ({ keep: g.keep ?? [], remove: g.remove ?? [] }));
    } catch {
      /* not the array line */
    }
  }
  throw new Error('restic forget printed no JSON result');
}

/**
 * `stats --json --mode restore-size` → the snapshot's size. Its count includes folders and links,
 * unlike a backup summary's: compare it only with another count from stats.
 */
export function parseStatsSize(stdout: string): { files: number; bytes: number } | null {
  for (const line of stdout.split('\n')) {
    const o = parseJsonObject(line);
    if (o && typeof o.total_file_count === 'number' && typeof o.total_size === 'number') return { files: o.total_file_count, bytes: o.total_size };
  }
  return null;
}

/** `snapshots --json` → the snapshots, oldest first; an answer without its JSON list is an error. */
export function parseSnapshots(stdout: string): ResticSnapshot[] {
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('[')) continue;
    try {
      const v: unknown = JSON.parse(t);
      if (Array.isArray(v)) return (v as ResticSnapshot[]).filter((x) => typeof x?.id === 'string' && typeof x.time === 'string');
    } catch {
      /* not the list line */
    }
  }
  throw new Error('restic snapshots printed no JSON list');
}

export type ResticFailure = 'no-repository' | 'locked' | 'wrong-password' | 'damaged' | 'partial' | 'interrupted' | 'other';

/** Classifies an exit: codes where restic ≥0.17 gives them, else its messages (0.14). */
export function classifyResticExit(code: number | null, stderr: string, caps: ResticCaps | null): ResticFailure | null {
  if (code === 0) return null;
  if (code === 3) return 'partial';
  if (code === 130) return 'interrupted';
  if (caps?.exitCodes) {
    if (code === 10) return 'no-repository';
    if (code === 11) return 'locked';
    if (code === 12) return 'wrong-password';
  }
  if (/repository is already locked|unable to create lock/i.test(stderr)) return 'locked';
  if (/wrong password|no key found/i.test(stderr)) return 'wrong-password';
  if (/Is there a repository at the following location|repository does not exist|unable to open config file/i.test(stderr)) return 'no-repository';
  if (/repository contains errors/i.test(stderr)) return 'damaged';
  return 'other';
}

/** What a failure message may name: the repository and the secret that opens it (its name, never its value). */
export interface FailureContext {
  repository?: string;
  /** the name under `secrets:` the job's `password` names */
  secret?: string;
}

/** A line of a Go stack trace (restic prints one after some fatal errors). */
const traceLine = (l: string) => /\.go:\d+$/.test(l) || /^(github\.com|golang\.org|gopkg\.in|main|runtime)[./]/.test(l);

/**
 * The line of restic's stderr that says what went wrong: the last one that says something (not
 * JSON, progress or a retry notice), or, when a Go stack trace follows the error, the line before it.
 */
function lastWords(stderr: string): string | null {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l);
  const words = lines.filter((l) => !l.startsWith('{') && !/^\[\d+:\d+\]/.test(l) && !traceLine(l) && !/returned error, retrying after/.test(l));
  const pick = lines.some(traceLine) ? words[0] : words[words.length - 1];
  return pick ? pick.replace(/^Fatal:\s*/, '').slice(0, 300) : null;
}

/**
 * A one-line reason for a failed restic command in plain words, free of secrets (restic never
 * prints the password). Known causes say what they are and what to do; a wrong password is never
 * worded as damage to the repository.
 */
export function resticFailureMessage(what: string, f: ResticFailure, code: number | null, stderr: string, where: FailureContext = {}): string {
  const at = where.repository ? ` at ${where.repository}` : '';
  switch (f) {
    case 'no-repository':
      return `${what}: there is no restic repository${at} (is the right disk mounted? was the repository moved or never initialised?)`;
    case 'locked': {
      const m = /locked (?:exclusively )?by PID (\d+) on (\S+)/.exec(stderr);
      const since = /lock was created at ([^(\n]+?)\s*\(/.exec(stderr);
      const holder = m ? ` (PID ${m[1]} on ${m[2]}${since ? `, since ${since[1]}` : ''})` : '';
      return `${what}: the repository${at} is locked by another restic process${holder}; a lock left by a process that died is removed by the next run`;
    }
    case 'wrong-password':
      return `${what}: wrong password: the secret ${where.secret ? `"${where.secret}" ` : ''}does not open the repository${at} (the repository itself was not read, so this says nothing about its health)`;
    case 'damaged': {
      const first = stderr
        .split('\n')
        .map((l) => l.trim())
        .find((l) => l && !/repository contains errors/i.test(l) && /does not exist|error|damaged|missing|not found|invalid/i.test(l));
      return `${what}: the repository${at} has errors${first ? `: ${first.slice(0, 200)}` : ''}`;
    }
    case 'partial':
      return `${what}: snapshot made, but some files could not be read`;
    case 'interrupted':
      return `${what}: restic was interrupted`;
    default: {
      const last = lastWords(stderr);
      return `${what}: restic exited ${code ?? 'by a signal'}${last ? `: ${last}` : ''}`;
    }
  }
}

/** `ls --json ID` streams the snapshot's nodes; the caller may stop at the first file. */
export function resticLs(bin: string, t: ResticTarget, base: Record<string, string | undefined>, snapshotId: string): Command {
  return { cmd: bin, args: ['ls', '--json', snapshotId], env: resticEnv(t, base) };
}

/** True for an `ls --json` line describing a regular file (not the snapshot header, not a folder). */
export function isFileNode(line: string): boolean {
  const o = parseJsonObject(line);
  return !!o && o.struct_type === 'node' && o.type === 'file';
}
