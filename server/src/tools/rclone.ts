// rclone: argv + env builders and JSON log parsers. Remotes are defined only through
// RCLONE_CONFIG_<NAME>_* variables, so no rclone.conf holds a key and no key reaches argv (rule 6).
// Every flag here exists in rclone 1.60 (Debian 12's) unless RcloneCaps says the version has it.
import type { Progress, RcloneSummary } from '../contract/api';
import type { RcloneCaps } from './versions';
import type { Command } from './restic';
import { parseJsonObject } from './restic';

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
  // what the machine says about reaching the far end (trusted CAs, a proxy) reaches rclone too;
  // nothing else of pillarsd's environment does (AWS_CA_BUNDLE, for one, breaks rclone 1.60's S3)
  for (const k of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']) {
    if (base[k] !== undefined) env[k] = base[k]!;
  }
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

/** Backends that list a whole bucket in one recursive call per 1,000 objects (`--fast-list`). */
const BUCKET_BASED = new Set(['b2', 's3', 'gcs', 'azureblob', 'swift']);

export interface SideTypes {
  /** the backend type of each side ('local' for a pillar path) */
  sourceType: string;
  destinationType: string;
}

/**
 * `rclone lsjson -R --files-only`: one JSON object per line between `[` and `]`, streamed as
 * rclone walks, so a listing of millions of objects is read a line at a time. The filters are the
 * job's: the destination is listed under the same ones, so files a sync leaves alone (excluded on
 * both sides) never look like deletions. Bucket remotes use `--fast-list` (USERS.md: one list call
 * per 1,000 objects instead of one per folder, which B2 bills as class C transactions).
 */
export function rcloneList(bin: string, env: Record<string, string>, target: string, o: { type: string; exclude: readonly string[]; checkers?: number }): Command {
  const args = ['lsjson', '-R', '--files-only', '--no-mimetype', '--use-json-log', '--log-level', 'ERROR'];
  if (BUCKET_BASED.has(o.type)) args.push('--fast-list');
  if (o.checkers) args.push('--checkers', String(o.checkers));
  for (const e of o.exclude) args.push('--exclude', e);
  args.push(target);
  return { cmd: bin, args, env };
}

/**
 * `rclone lsjson --hash` of the files a list names (looked up one by one, not by listing): the
 * hashes rclone would compare for files equal in size whose times differ. Reads those files at a
 * local source, as rclone's own comparison would; a bucket answers from its listing metadata.
 */
export function rcloneHashes(bin: string, env: Record<string, string>, target: string, o: { filesFrom: string; hash: string; checkers?: number }): Command {
  const args = ['lsjson', '-R', '--files-only', '--no-mimetype', '--hash', '--hash-type', o.hash, '--files-from-raw', o.filesFrom, '--use-json-log', '--log-level', 'ERROR'];
  if (o.checkers) args.push('--checkers', String(o.checkers));
  args.push(target);
  return { cmd: bin, args, env };
}

/**
 * What a plan's dry run names as rclone's `--suffix`. A dry run renames nothing; the suffix only makes
 * rclone 1.60 say, at NOTICE, what it would do to the destination's version of each file: "move" it
 * aside before a copy (an overwrite, with the destination's size) or "move into backup dir" (a
 * deletion). Without it a new file and an overwrite both log only "Skipped copy", and telling them
 * apart needs `-vv`, whose line per unchanged file costs as much CPU as the sync itself.
 */
export const PLAN_SUFFIX = '.pillars-plan';

/**
 * `rclone sync SRC DST --dry-run --suffix PLAN_SUFFIX` under the job's filters: one rclone process
 * lists both sides and compares them by its own rules (modify window, hashes where only the times
 * differ), and logs a line per file it would copy, replace, delete or re-time (parseSyncPlanLine),
 * nothing per unchanged file. Its last stats line counts what it compared (checks).
 */
export function rcloneSyncPlan(bin: string, env: Record<string, string>, o: SideTypes & { source: string; destination: string; exclude: readonly string[]; checkers?: number }): Command {
  const args = ['sync', o.source, o.destination, '--dry-run', '--suffix', PLAN_SUFFIX, '--use-json-log', '--log-level', 'NOTICE', '--stats', '1s', '--stats-log-level', 'NOTICE'];
  if (BUCKET_BASED.has(o.sourceType) || BUCKET_BASED.has(o.destinationType)) args.push('--fast-list');
  if (o.checkers) args.push('--checkers', String(o.checkers));
  for (const e of o.exclude) args.push('--exclude', e);
  return { cmd: bin, args, env };
}

/** The hash both sides have, in rclone's order of preference; null when they share none (crypt has none). */
export function commonHash(a: readonly string[], b: readonly string[]): string | null {
  return ['md5', 'sha1', 'sha256', 'crc32', 'quickxor', 'dropbox', 'whirlpool'].find((h) => a.includes(h) && b.includes(h)) ?? null;
}

/** `rclone backend features`: the remote's modification-time precision (what rclone compares with). */
export function rcloneFeatures(bin: string, env: Record<string, string>, target: string): Command {
  return { cmd: bin, args: ['backend', 'features', target], env };
}

export interface CopyListOptions extends SideTypes {
  source: string;
  destination: string;
  /** a file of paths relative to the source, one per line, taken as they are (`--files-from-raw`) */
  filesFrom: string;
  caps: RcloneCaps;
  bwlimit?: string;
  transfers?: number;
  checkers?: number;
  /** a window: rclone starts no new transfer after this long and lets those under way finish */
  maxDuration?: string;
  /** the list holds files the destination lacked when listed: one that turned up there since is left as it is */
  ignoreExisting?: boolean;
}

const copyOutput = ['--use-json-log', '--log-level', 'NOTICE', '--stats', '1s', '--stats-log-level', 'NOTICE'];

/** A copy's transfer settings: the job's, and B2's where the job says nothing. */
function transferArgs(o: Omit<CopyListOptions, 'filesFrom' | 'source' | 'destination'>): string[] {
  const args: string[] = [];
  const b2 = o.destinationType === 'b2' || o.sourceType === 'b2';
  // USERS.md for B2: 16 transfers; `--b2-upload-concurrency` bounds chunk memory where rclone has it
  // (1.64+). Before that a large upload buffers up to --transfers chunks, which the docs say.
  if (b2 && o.caps.b2UploadConcurrency) args.push('--b2-upload-concurrency', '2');
  const transfers = o.transfers ?? (b2 ? 16 : undefined);
  if (transfers) args.push('--transfers', String(transfers));
  if (o.checkers) args.push('--checkers', String(o.checkers));
  if (o.bwlimit) args.push('--bwlimit', o.bwlimit);
  if (o.maxDuration) args.push('--max-duration', o.maxDuration, '--cutoff-mode', 'soft');
  return args;
}

/**
 * `rclone copy --files-from-raw LIST --no-traverse`: copies the files pillarsd's comparison of the
 * two listings found new or different, and nothing else. rclone still compares each one with the
 * destination (one look-up per listed file, no listing of the destination), so its own rules of what
 * is equal stay the judge: a file that only looks different is skipped or gets its time fixed.
 * Output is errors and rclone's stats (`--log-level NOTICE`), never a line per file.
 */
export function rcloneCopyList(bin: string, env: Record<string, string>, o: CopyListOptions): Command {
  return { cmd: bin, args: ['copy', o.source, o.destination, '--files-from-raw', o.filesFrom, '--no-traverse', ...(o.ignoreExisting ? ['--ignore-existing'] : []), ...copyOutput, ...transferArgs(o)], env };
}

/**
 * `rclone copy --ignore-existing` under the job's filters: the first copy into a destination whose
 * listing found no file. rclone walks the source itself (no list, no listing of the source by
 * pillarsd) and copies what the destination does not have; a file that appears there meanwhile is
 * left as it is, never overwritten, since the guards judged an empty destination. Output as
 * rcloneCopyList's.
 */
export function rcloneCopyNew(bin: string, env: Record<string, string>, o: Omit<CopyListOptions, 'filesFrom'> & { exclude: readonly string[] }): Command {
  const args = ['copy', o.source, o.destination, '--ignore-existing', ...copyOutput, ...transferArgs(o)];
  for (const e of o.exclude) args.push('--exclude', e);
  return { cmd: bin, args, env };
}

/**
 * `rclone delete --files-from-raw LIST --no-traverse`: deletes exactly the listed files at the
 * destination (a listed file that is not there is skipped), never anything rclone would work out
 * for itself. `--max-delete` at the list's length is a second line: rclone stops before one more.
 * `-v` prints a `Deleted` line per file: what the run reports was observed, not assumed.
 */
export function rcloneDeleteList(bin: string, env: Record<string, string>, o: { destination: string; filesFrom: string; maxDelete: number; checkers?: number }): Command {
  const args = ['delete', o.destination, '--files-from-raw', o.filesFrom, '--no-traverse', '--max-delete', String(o.maxDelete), '--use-json-log', '-v', '--stats', '1s', '--stats-log-level', 'NOTICE'];
  if (o.checkers) args.push('--checkers', String(o.checkers));
  return { cmd: bin, args, env };
}

/**
 * `rclone rmdirs DIR`: removes DIR and the folders under it that hold no file (never a file). After a
 * sync deleted the files of a folder the source no longer has, this takes the empty folder away as
 * `rclone sync` would; it lists only that folder.
 */
export function rcloneRmdirs(bin: string, env: Record<string, string>, dir: string): Command {
  return { cmd: bin, args: ['rmdirs', dir, '--use-json-log', '--log-level', 'ERROR'], env };
}

/**
 * A read-only call that proves a remote answers with these credentials (`pillarsd check`): the top
 * of the path a job uses, with short timeouts and no retries so a dead endpoint answers in seconds.
 */
export function rcloneProbe(bin: string, env: Record<string, string>, target: string): Command {
  return {
    cmd: bin,
    args: ['lsjson', '--max-depth', '1', '--no-mimetype', '--no-modtime', '--contimeout', '10s', '--timeout', '30s', '--low-level-retries', '1', '--retries', '1', '--use-json-log', '--log-level', 'ERROR', target],
    env,
  };
}

// ---- parsers -------------------------------------------------------------------------------

export interface ListedFile {
  /** the path under the listed root, as rclone names it (what --files-from-raw takes back) */
  path: string;
  /** -1 when the backend does not know it */
  size: number;
  /** RFC 3339 with up to nanoseconds, as rclone prints it */
  modTime: string;
  /** with --hash: type → hex ('' when the backend has none for this file) */
  hashes?: Record<string, string>;
}

/**
 * One line of `rclone lsjson`: a file, or null for the brackets around the array. Anything else
 * throws: a listing line pillarsd cannot read must stop the run, never pass as "nothing there".
 */
export function parseListingLine(line: string): ListedFile | null {
  let t = line.trim();
  if (t === '[' || t === ']' || t === '') return null;
  if (t.endsWith(',')) t = t.slice(0, -1);
  let o: { Path?: unknown; Size?: unknown; ModTime?: unknown; IsDir?: unknown; Hashes?: unknown };
  try {
    o = JSON.parse(t) as typeof o;
  } catch {
    throw new Error(`unreadable rclone lsjson line: ${line.slice(0, 200)}`);
  }
  if (typeof o.Path !== 'string' || typeof o.Size !== 'number' || typeof o.ModTime !== 'string') throw new Error(`unexpected rclone lsjson entry: ${line.slice(0, 200)}`);
  const f: ListedFile = { path: o.Path, size: o.Size, modTime: o.ModTime };
  if (o.Hashes && typeof o.Hashes === 'object') f.hashes = o.Hashes as Record<string, string>;
  return f;
}

export interface RemoteFeatures {
  /** modification-time precision in nanoseconds (rclone's `Precision`) */
  precisionNs: number;
  hashes: string[];
  /** the backend has folders of its own (a bucket has none: a folder ends with its last file) */
  emptyDirs: boolean;
}

/** `rclone backend features` → the precision; null when the answer is not what rclone prints. */
export function parseFeatures(stdout: string): RemoteFeatures | null {
  try {
    const o = JSON.parse(stdout) as { Precision?: unknown; Hashes?: unknown; Features?: { CanHaveEmptyDirectories?: unknown } };
    if (typeof o.Precision !== 'number') return null;
    return {
      precisionNs: o.Precision,
      hashes: Array.isArray(o.Hashes) ? o.Hashes.filter((h): h is string => typeof h === 'string') : [],
      emptyDirs: o.Features?.CanHaveEmptyDirectories === true,
    };
  } catch {
    return null;
  }
}

export interface RcloneStats {
  bytes?: number;
  totalBytes?: number;
  speed?: number;
  eta?: number | null;
  transfers?: number;
  totalTransfers?: number;
  deletes?: number;
  /** moves; in a plan's dry run, the destination's versions it would set aside (rcloneSyncPlan) */
  renames?: number;
  errors?: number;
  checks?: number;
  elapsedTime?: number;
  transferring?: Array<{ name?: string }>;
}

export type RcloneLine = { kind: 'stats'; stats: RcloneStats } | { kind: 'log'; level: string; msg: string; object: string | null };

/** One stderr line of `--use-json-log`. Non-JSON lines (the last error, panics) give null. */
export function parseRcloneLine(line: string): RcloneLine | null {
  const o = parseJsonObject(line);
  return o ? rcloneLineOf(o) : null;
}

function rcloneLineOf(o: Record<string, unknown>): RcloneLine {
  if (o.stats && typeof o.stats === 'object') return { kind: 'stats', stats: o.stats as RcloneStats };
  return { kind: 'log', level: String(o.level ?? 'info'), msg: String(o.msg ?? ''), object: typeof o.object === 'string' ? o.object : null };
}

/**
 * One file a plan's dry run (rcloneSyncPlan) names: `copy` (the source's version, its size), `replace`
 * (the destination's version moved aside before that copy: an overwrite, the destination's size),
 * `delete` (only the destination has it), `touch` (equal but for the time, hashes equal: rclone only
 * sets the time). Sizes are -1 when rclone does not know them.
 */
export type SyncPlanFile = { kind: 'copy' | 'replace' | 'delete' | 'touch'; path: string; size: number };
export type SyncPlanLine = SyncPlanFile | { kind: 'folder' } | RcloneLine;

const PLAN_ACTIONS: Record<string, SyncPlanFile['kind'] | 'folder'> = {
  copy: 'copy',
  move: 'replace',
  'move into backup dir': 'delete',
  'update modification time': 'touch',
  // folders follow their files (a sync removes the emptied ones after its deletions: rclone-transfer)
  'make directory': 'folder',
  'remove directory': 'folder',
};

/**
 * One stderr line of a plan's dry run: rclone 1.60 logs `"skipped":"<action>"` with `"object"` and
 * `"size"` for every change it would make. An action pillarsd does not know throws: a plan with a
 * change nobody judged must not go ahead. Other lines as parseRcloneLine.
 */
export function parseSyncPlanLine(line: string): SyncPlanLine | null {
  const o = parseJsonObject(line);
  if (!o) return null;
  if (typeof o.skipped !== 'string') return rcloneLineOf(o);
  const kind = PLAN_ACTIONS[o.skipped];
  if (!kind) throw new Error(`rclone's dry run would ${o.skipped} ${JSON.stringify(o.object)}, which pillarsd cannot judge: ${line.slice(0, 300)}`);
  if (kind === 'folder') return { kind };
  if (typeof o.object !== 'string' || (o.size !== undefined && typeof o.size !== 'number')) throw new Error(`unexpected rclone dry-run line: ${line.slice(0, 300)}`);
  return { kind, path: o.object, size: typeof o.size === 'number' ? o.size : -1 };
}

/** What `rclone delete -v` logs for each file it deleted. */
export const DELETED_MSG = 'Deleted';
/** What rclone 1.60 logs (exit 7) when `--max-duration` ended a window. */
export const MAX_DURATION_MSG = 'max transfer duration reached as set by --max-duration';
/** What rclone logs when `--max-delete` stopped it. */
export const MAX_DELETE_MSG = '--max-delete threshold reached';

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
    current: (s.transferring ?? [])
      .map((x) => x.name ?? '')
      .filter(Boolean)
      .slice(0, 8),
  };
}

export function rcloneSummary(kind: RcloneSummary['kind'], s: RcloneStats | null): RcloneSummary {
  return {
    kind,
    bytesTransferred: s?.bytes ?? 0,
    filesTransferred: s?.transfers ?? 0,
    filesDeleted: s?.deletes ?? 0,
    errors: s?.errors ?? 0,
    durationSeconds: s?.elapsedTime ?? 0,
  };
}

/** `rclone size --json`: the files and bytes of a side (a recovery's counts). */
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
    1: 'error not otherwise categorised',
    2: 'syntax or usage error',
    3: 'directory not found',
    4: 'file not found',
    5: 'temporary error',
    6: 'less serious errors',
    7: 'fatal error',
    8: 'transfer limit exceeded',
    9: 'no files transferred',
    10: 'duration limit exceeded',
  };
  const why = code !== null && reasons[code] ? ` (${reasons[code]})` : '';
  const last = lastErrors.length ? `: ${lastErrors[lastErrors.length - 1]!.slice(0, 300)}` : '';
  return `${what}: rclone exited ${code ?? 'by a signal'}${why}${last}`;
}

/** What each backend calls its credentials in pillarsd.yaml (`remotes.NAME.<option>`). */
const CREDENTIALS: Record<string, string> = {
  b2: 'account and key',
  s3: 'access_key_id and secret_access_key',
  sftp: 'user and pass (or key_file)',
  webdav: 'user and pass',
  crypt: 'password and password2',
};

/**
 * A failed probe (`rcloneProbe`) in words that name what to fix: a flag this rclone lacks, the
 * remote's credentials, the far end not answering. null when the output names none of them.
 */
export function explainProbeFailure(remote: string, type: string, stderr: string): string | null {
  const flag = /unknown (?:flag|shorthand flag): ('?-[^\s']+'?)/.exec(stderr);
  if (flag) return `rclone ${flag[1]} is not a flag this rclone knows (pillarsd chooses flags by rclone's version: report it)`;
  const creds = `remotes.${remote}.{${CREDENTIALS[type] ?? 'its credentials'}}`;
  if (/\b401\b|unauthorized|bad_auth_token|InvalidAccessKeyId|SignatureDoesNotMatch|unable to authenticate|permission denied|authentication failed|invalid credentials/i.test(stderr))
    return `the far end refused the credentials in ${creds}`;
  if (/AccessDenied|\b403\b|forbidden/i.test(stderr)) return `the credentials in ${creds} are not allowed to list this path`;
  if (/undecryptable|failed to decrypt|not decrypting/i.test(stderr)) return `names here do not decrypt with remotes.${remote}.password/password2`;
  if (/connection refused|no such host|i\/o timeout|network is unreachable|dial tcp|TLS handshake|x509/i.test(stderr)) return `cannot reach the endpoint of remotes.${remote}`;
  return null;
}
