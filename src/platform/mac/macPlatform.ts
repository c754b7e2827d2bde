// The macOS adapter. Written from Apple's documentation (NetFS.h, mount(8), df(1), diskutil(8),
// chflags(1), tmutil(8), open(1)); it cannot run here, so every command it issues goes through the
// injected Exec and is checked by test/client/mac. Commands are called by absolute path so a PATH
// entry can't stand in for them.
import type { Exec, FsPort, MountLook, MountOutcome, MountedShare, Platform, PillarSpec, ProbeResult, SmbServer, TimeMachineInfo } from '../types';
import { execWithDeadline, firstLine, redact } from '../common/effects';
import { BusyError } from '../common/errors';
import { ensureLink } from './links';
import { parseDfOutput, parseMountOutput, type SmbfsMount } from './mountTable';
import { buildMountScript, netfsFailure, parseMountScriptOutput, smbUrl } from './netfs';
import { FULL_DISK_ACCESS_HINT, describeDestination, parseDestinationInfo, parseLatestBackup } from './tmutil';

export const MAC_BIN = {
  osascript: '/usr/bin/osascript',
  mount: '/sbin/mount',
  umount: '/sbin/umount',
  diskutil: '/usr/sbin/diskutil',
  df: '/bin/df',
  chflags: '/usr/bin/chflags',
  open: '/usr/bin/open',
  tmutil: '/usr/bin/tmutil',
  lsof: '/usr/sbin/lsof',
} as const;

/** Where backupd keeps Time Machine's state; it rewrites the file after each backup (a change we watch). */
export const TM_PREFS = { dir: '/Library/Preferences', file: 'com.apple.TimeMachine.plist' } as const;

export interface MacTimeouts {
  mountMs: number;
  unmountMs: number;
  tableMs: number;
  commandMs: number;
}

export interface MacPlatformDeps {
  exec: Exec;
  fs: FsPort;
  home: string;
  /** The local account name (mount(8) says "mounted by <user>"). */
  user: string;
  runtimeDir: string;
  /** Default ~/.mkt (settings: mountRoot). */
  mountRoot?: string;
  /** Default true (settings: links). */
  links?: boolean;
  timeouts?: Partial<MacTimeouts>;
  now?: () => number;
}

/** Time Machine info plus, when tmutil could not tell, why (e.g. Full Disk Access is missing). */
export interface MacTimeMachineInfo extends TimeMachineInfo {
  problem?: string;
}

const DEFAULT_TIMEOUTS: MacTimeouts = { mountMs: 45_000, unmountMs: 20_000, tableMs: 5_000, commandMs: 15_000 };
const PILLAR_ID = /^[a-z][a-z0-9-]{0,31}$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
// Characters SMB forbids in share names, plus control characters.
// eslint-disable-next-line no-control-regex
const BAD_SHARE = /[\u0000-\u001f\u007f\\/:*?"<>|]/;

export function validateMountRequest(server: SmbServer, p: PillarSpec): string | null {
  if (!PILLAR_ID.test(p.id)) return `pillar id ${JSON.stringify(p.id)} must be lowercase letters, digits and dashes (it names a folder)`;
  if (!HOST.test(server.host)) return `server host ${JSON.stringify(server.host)} is not a host name or IPv4 address`;
  if (!p.share || p.share.length > 80 || BAD_SHARE.test(p.share)) return `share name ${JSON.stringify(p.share)} is empty, too long or has a character SMB forbids`;
  // eslint-disable-next-line no-control-regex
  if (!server.username || /[\u0000-\u001f\u007f]/.test(server.username)) return 'the SMB user name is empty or has control characters';
  // eslint-disable-next-line no-control-regex
  if (server.domain !== undefined && /[\u0000-\u001f\u007f]/.test(server.domain)) return 'the SMB domain has control characters';
  return null;
}

export function createMacPlatform(deps: MacPlatformDeps): Platform & { timeMachine(): Promise<MacTimeMachineInfo | null> } {
  const { exec, fs } = deps;
  const home = deps.home.replace(/\/+$/, '');
  const root = (deps.mountRoot ?? `${home}/.mkt`).replace(/\/+$/, '');
  const t: MacTimeouts = { ...DEFAULT_TIMEOUTS, ...deps.timeouts };
  const now = deps.now ?? (() => Date.now());

  const mountPath = (p: PillarSpec): string => `${root}/${p.id}`;
  const assertId = (p: PillarSpec): void => {
    if (!PILLAR_ID.test(p.id)) throw new Error(`pillar id ${JSON.stringify(p.id)} must be lowercase letters, digits and dashes`);
  };

  // mount(8) with no arguments lists the table with getmntinfo(MNT_NOWAIT) (mount.c in Apple's
  // diskdev_cmds, from FreeBSD): it reads the kernel's cached list and asks no file system, so a
  // hung share doesn't stall it. It still runs in a child with a deadline.
  let lastTable: { at: number; table: SmbfsMount[] } | null = null;
  async function readTable(ms = t.tableMs): Promise<SmbfsMount[] | null> {
    const r = await execWithDeadline(exec, { cmd: MAC_BIN.mount, args: [] }, ms);
    if (r.timedOut || r.code !== 0) return null;
    const table = parseMountOutput(r.stdout);
    lastTable = { at: now(), table };
    return table;
  }
  /** The table as the round's look just read it (the core guards right after looking), else a fresh one. */
  const recentTable = async (): Promise<SmbfsMount[] | null> => (lastTable && now() - lastTable.at < 1_500 ? lastTable.table : readTable());

  const sameShare = (m: SmbfsMount, host: string, share: string): boolean => m.host.toLowerCase() === host.toLowerCase() && m.share.toLowerCase() === share.toLowerCase();

  async function ensureDir(path: string): Promise<string | null> {
    let st = await fs.lstat(path);
    if (st === null) {
      try {
        await fs.mkdir(path, 0o700);
        return null;
      } catch (e) {
        // Pillars mount in parallel: another call may have created it between lstat and mkdir.
        st = await fs.lstat(path);
        if (st === null) throw e;
      }
    }
    if (st.isSymbolicLink) return `${path} is a symbolic link; Pillars mounts only on a real folder it owns`;
    if (!st.isDirectory) return `${path} exists and is not a folder`;
    return null;
  }

  // Rule 9 guard. While nothing is mounted, the mount point is an empty local folder: made
  // user-immutable (chflags(1) `uchg`: no entry can be created, renamed or removed in it, by any
  // program of any user, until the owner clears the flag) and read-only (0555) as a second line.
  // The flag sits on the covered folder: once a share is mounted on top, the share's root is what
  // programs see, and the flag reappears, still set, when the share goes away. It is only lifted
  // just before we mount, and only ever applied when the table shows nothing mounted there (it
  // would otherwise land on the server's folder); the core re-applies it every round a pillar is
  // not mounted, so a mount that vanished by itself (Finder eject, "server disconnected", a dead
  // server) is guarded again within one round. The mount root ~/.mkt carries the same flag, so a
  // pillar folder can be neither removed nor replaced by another; it is lifted for the moment
  // Pillars creates something in it. An ACL (chmod +a "everyone deny add_file,…") would deny no
  // more than uchg does, and its owner can remove it just as freely; the system flag (schg) would
  // hold against the owner but needs root to set and to clear, which a tray app must not ask for.
  /** Folders this process flagged and has not lifted since: checked with an lstat, not a chflags child. */
  const armed = new Set<string>();
  /** Folders this process lifted the flag from (so it is known to be off). */
  const cleared = new Set<string>();

  async function chflags(flag: 'uchg' | 'nouchg', path: string): Promise<void> {
    const r = await execWithDeadline(exec, { cmd: MAC_BIN.chflags, args: [flag, path] }, t.commandMs);
    if (r.code !== 0) throw new Error(`chflags ${flag} ${path} failed: ${firstLine(r.stderr) || (r.timedOut ? 'timed out' : `exit ${r.code}`)}`);
  }

  async function applyGuard(path: string): Promise<void> {
    const st = await fs.lstat(path);
    if (armed.has(path) && st && (st.mode & 0o777) === 0o555) return;
    if (st && (st.mode & 0o777) !== 0o555) {
      // An immutable folder's mode can't change either: clear the flag first if it may be set.
      if (!cleared.has(path)) await execWithDeadline(exec, { cmd: MAC_BIN.chflags, args: ['nouchg', path] }, t.commandMs);
      await fs.chmod(path, 0o555);
    }
    await chflags('uchg', path);
    cleared.delete(path);
    armed.add(path);
  }

  async function liftGuard(path: string): Promise<void> {
    armed.delete(path);
    await chflags('nouchg', path);
    cleared.add(path);
    await fs.chmod(path, 0o700);
  }

  let rootQueue: Promise<unknown> = Promise.resolve();
  /** Runs fn with ~/.mkt open for a new entry (a pillar folder, the Spotlight marker, the exclusion), one at a time. */
  function withRootOpen<T>(fn: () => Promise<T>): Promise<T> {
    const run = rootQueue.then(async () => {
      if ((await fs.lstat(root)) === null) await fs.mkdir(root, 0o700);
      else await liftGuard(root);
      try {
        return await fn();
      } finally {
        await applyGuard(root);
      }
    });
    rootQueue = run.catch(() => undefined);
    return run;
  }

  /** The pillar folder exists (created in the opened root when missing) and is a real folder. */
  async function ensurePillarDir(path: string): Promise<string | null> {
    const rootProblem = await ensureDir(root);
    if (rootProblem) return rootProblem;
    if ((await fs.lstat(path)) === null) await withRootOpen(() => fs.mkdir(path, 0o555));
    return ensureDir(path);
  }

  async function mount(server: SmbServer, p: PillarSpec, password: string): Promise<MountOutcome> {
    const bad = validateMountRequest(server, p);
    if (bad) return { ok: false, kind: 'error', reason: bad };
    const path = mountPath(p);
    const where = `//${server.host}/${p.share}`;
    try {
      const rootProblem = await ensureDir(root);
      if (rootProblem) return { ok: false, kind: 'error', reason: rootProblem };
      const table = await readTable();
      if (table === null) return { ok: false, kind: 'error', reason: 'could not read the mount table (mount did not answer)' };
      const here = table.find((m) => m.path === path);
      if (here) {
        if (sameShare(here, server.host, p.share)) return { ok: true, path };
        return { ok: false, kind: 'busy', reason: `${path} already holds //${here.host}/${here.share}` };
      }
      const dirProblem = await ensurePillarDir(path);
      if (dirProblem) return { ok: false, kind: 'error', reason: dirProblem };
      // Finder's own bookkeeping files may predate the guard; anything else was written by a
      // program that believed it was on the server, and mounting on top would hide it.
      const strays = (await fs.readdir(path)).filter((n) => n !== '.DS_Store' && n !== '.localized');
      if (strays.length > 0) {
        return { ok: false, kind: 'error', reason: `${path} is not empty: files written there while the share was away are local; move them out first` };
      }
      await liftGuard(path);
    } catch (e) {
      return { ok: false, kind: 'error', reason: redact(e instanceof Error ? e.message : String(e), password) };
    }

    lastTable = null; // a table read before this mount no longer says whether the folder may be flagged
    const script = buildMountScript({
      url: smbUrl(server.host, p.share, server.username, server.domain),
      mountPath: path,
      user: server.username,
      password,
    });
    const r = await execWithDeadline(exec, { cmd: MAC_BIN.osascript, args: ['-l', 'JavaScript', '-'], stdin: script }, t.mountMs);
    const outcome = await (async (): Promise<MountOutcome> => {
      if (r.timedOut) return { ok: false, kind: 'network', reason: `${where}: no answer within ${Math.round(t.mountMs / 1000)} s` };
      const parsed = parseMountScriptOutput(r.stdout);
      if (parsed === null) {
        return { ok: false, kind: 'error', reason: `osascript failed: ${firstLine(redact(r.stderr, password)) || `exit ${r.code}`}` };
      }
      if ('error' in parsed) return { ok: false, kind: 'error', reason: `the NetFS script failed: ${redact(parsed.error, password)}` };
      if (parsed.status === 0) {
        // With MountAtMountDir NetFS mounts exactly at our path; anything else would leave the
        // pillar's folder empty while the share sits elsewhere.
        if (parsed.mountpoints.length > 0 && !parsed.mountpoints.includes(path)) {
          return { ok: false, kind: 'busy', reason: `${where} was mounted at ${parsed.mountpoints.join(', ')} instead of ${path}` };
        }
        return { ok: true, path };
      }
      if (parsed.status === 17) {
        // EEXIST: this share is already mounted, by us at our path or by someone else elsewhere.
        const again = await readTable();
        if (again?.some((m) => m.path === path && sameShare(m, server.host, p.share))) return { ok: true, path };
        const elsewhere = again?.find((m) => sameShare(m, server.host, p.share));
        return {
          ok: false,
          kind: 'busy',
          reason: elsewhere ? `${where} is already mounted at ${elsewhere.path}; eject it there (Finder) and Pillars will mount it at ${path}` : `${where} is already mounted (EEXIST, NetFS 17)`,
        };
      }
      return netfsFailure(parsed.status, server.host, p.share, path);
    })();
    if (!outcome.ok) {
      try {
        if (!(await readTable())?.some((m) => m.path === path)) await applyGuard(path);
      } catch {
        // The failure we report matters more than a guard that could not be restored; the next
        // guard() call tries again.
      }
    }
    return outcome;
  }

  async function unmount(p: PillarSpec, opts?: { force?: boolean }): Promise<void> {
    assertId(p);
    const path = mountPath(p);
    const table = await readTable();
    if (table === null) throw new Error('could not read the mount table (mount did not answer)');
    if (table.some((m) => m.path === path)) {
      if (!opts?.force) {
        const n = await openFiles(p);
        if (n) throw new BusyError(path, n);
      }
      // diskutil(8): "unmount force" unmounts even with open files (checked above unless forced); a hung SMB server can stall it,
      // so it has a deadline (short when the caller already knows the share is hung) and
      // umount -f (umount(8)) is the second try.
      const ms = opts?.force ? Math.min(t.unmountMs, 5_000) : t.unmountMs;
      const r = await execWithDeadline(exec, { cmd: MAC_BIN.diskutil, args: ['unmount', 'force', path] }, ms);
      if (r.code !== 0) {
        await execWithDeadline(exec, { cmd: MAC_BIN.umount, args: ['-f', path] }, t.unmountMs);
      }
      const after = await readTable();
      if (after === null || after.some((m) => m.path === path)) {
        throw new Error(`could not unmount ${path}: ${firstLine(r.stderr) || firstLine(r.stdout) || (r.timedOut ? 'diskutil timed out' : `exit ${r.code}`)}`);
      }
    }
    await guard(p);
  }

  async function look(ps: readonly PillarSpec[]): Promise<MountLook[]> {
    const table = await readTable();
    if (table === null) throw new Error('could not read the mount table (mount did not answer)');
    return ps.map((p) => ({ mounted: table.some((m) => m.path === mountPath(p)), broken: null, waiting: null }));
  }

  // lsof(8) with -b avoids the kernel calls that can block on a hung network file system (stat,
  // lstat, readlink) and without a path argument it stats nothing: it lists the user's open files
  // by the names the kernel keeps, and we count those under the mount.
  async function openFiles(p: PillarSpec): Promise<number | null> {
    const path = mountPath(p);
    const r = await execWithDeadline(exec, { cmd: MAC_BIN.lsof, args: ['-w', '-b', '-n', '-P', '-F', 'n', '-u', deps.user] }, t.commandMs);
    if (r.timedOut || (r.code !== 0 && !r.stdout)) return null;
    return r.stdout.split('\n').filter((l) => l.startsWith('n') && (l.slice(1) === path || l.slice(1).startsWith(`${path}/`))).length;
  }

  async function list(): Promise<MountedShare[]> {
    const table = await readTable();
    if (table === null) throw new Error('could not read the mount table (mount did not answer)');
    return table.map((m) => ({ host: m.host, share: m.share, path: m.path, healthy: null }));
  }

  async function probe(p: PillarSpec, deadlineMs: number): Promise<ProbeResult> {
    assertId(p);
    const path = mountPath(p);
    const start = now();
    const table = await readTable(Math.min(t.tableMs, deadlineMs));
    if (table === null) return { kind: 'stale', reason: `the mount table did not answer within ${deadlineMs} ms` };
    if (!table.some((m) => m.path === path)) return { kind: 'missing', reason: `nothing is mounted at ${path}` };
    const left = deadlineMs - (now() - start);
    if (left <= 0) return { kind: 'stale', reason: `no answer from ${path} within ${deadlineMs} ms` };
    // df(1) asks the file system itself (statfs): on a hung server it blocks, which is what we
    // want to detect, in a child we stop waiting for at the deadline.
    const r = await execWithDeadline(exec, { cmd: MAC_BIN.df, args: ['-P', '-k', path] }, left);
    if (r.timedOut) return { kind: 'stale', reason: `no answer from ${path} within ${deadlineMs} ms` };
    // statfs fails with EAUTH ("Authentication error") when the server refuses the session's login
    // on reconnect: the password was rotated under a live mount.
    if (r.code !== 0 && /Authentication error/i.test(r.stderr)) return { kind: 'auth', reason: `${path}: the server no longer accepts the login (${firstLine(r.stderr)})` };
    if (r.code !== 0) return { kind: 'stale', reason: `${path}: ${firstLine(r.stderr) || `df exited with ${r.code}`}` };
    const sizes = parseDfOutput(r.stdout);
    return { kind: 'ok', freeBytes: sizes?.freeBytes ?? null, totalBytes: sizes?.totalBytes ?? null };
  }

  async function open(p: PillarSpec): Promise<void> {
    assertId(p);
    const r = await execWithDeadline(exec, { cmd: MAC_BIN.open, args: [mountPath(p)] }, t.commandMs);
    if (r.code !== 0) throw new Error(`could not open ${mountPath(p)} in Finder: ${firstLine(r.stderr) || (r.timedOut ? 'timed out' : `exit ${r.code}`)}`);
  }

  let excluded = false;
  // Keep indexers and backups out of ~/.mkt (USERS.md: hung mounts under home get walked).
  // Spotlight: `.metadata_never_index` at the folder's root is Spotlight's marker for "never index
  // this"; recent releases honour it reliably only at volume roots, but SMB volumes are not indexed
  // locally anyway (the server answers searches), so the marker covers the local folder and older
  // releases; the Privacy list in System Settings needs admin rights and is left to the user (docs).
  // Time Machine: `tmutil addexclusion` without -p is the "sticky" exclusion (an extended attribute
  // on the folder), allowed for the folder's owner; -p (fixed path) needs root, which a tray app
  // must not ask for. Time Machine does not cross into other volumes (the mounts) in any case.
  async function excludeRoot(): Promise<string[]> {
    if (excluded) return [];
    const notes: string[] = [];
    const marker = `${root}/.metadata_never_index`;
    const r = await withRootOpen(async () => {
      if ((await fs.lstat(marker)) === null) await fs.writeFile(marker, '', 0o600);
      return execWithDeadline(exec, { cmd: MAC_BIN.tmutil, args: ['addexclusion', root] }, t.commandMs);
    });
    if (r.code !== 0) {
      const why = `${firstLine(r.stdout)} ${firstLine(r.stderr)}`.trim();
      notes.push(/Full Disk Access/i.test(why) ? `Time Machine exclusion of ${root} needs Full Disk Access` : `tmutil addexclusion ${root} failed: ${why || (r.timedOut ? 'timed out' : `exit ${r.code}`)}`);
    } else {
      excluded = true;
    }
    return notes;
  }

  async function decorate(_server: SmbServer, p: PillarSpec): Promise<{ ok: boolean; note?: string }> {
    assertId(p);
    const notes: string[] = [];
    let ok = true;
    const rootProblem = await ensureDir(root);
    if (rootProblem) return { ok: false, note: rootProblem };
    notes.push(...(await excludeRoot()));
    if (deps.links ?? true) {
      const link = await ensureLink(fs, `${home}/${p.id}`, mountPath(p));
      if (!link.ok) {
        ok = false;
        notes.push(link.note);
      }
    }
    return notes.length ? { ok, note: notes.join('; ') } : { ok };
  }

  async function guard(p: PillarSpec): Promise<void> {
    assertId(p);
    const path = mountPath(p);
    const table = await recentTable();
    if (table === null) throw new Error(`could not read the mount table to guard ${path}`);
    if (table.some((m) => m.path === path)) return;
    const problem = await ensurePillarDir(path);
    if (problem) throw new Error(problem);
    await applyGuard(root);
    await applyGuard(path);
  }

  function watchTimeMachine(fn: () => void): () => void {
    if (!fs.watch) return () => undefined;
    let timer: ReturnType<typeof setTimeout> | null = null;
    // backupd writes the file more than once per backup: one refresh per burst
    const stop = fs.watch(TM_PREFS.dir, (name) => {
      if (name !== null && name !== TM_PREFS.file) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(fn, 2_000);
    });
    return () => {
      if (timer) clearTimeout(timer);
      stop();
    };
  }

  async function timeMachine(): Promise<MacTimeMachineInfo | null> {
    const d = await execWithDeadline(exec, { cmd: MAC_BIN.tmutil, args: ['destinationinfo', '-X'] }, t.commandMs);
    if (/requires Full Disk Access/i.test(`${d.stdout}\n${d.stderr}`)) {
      return { destination: null, latestBackupAt: null, problem: FULL_DISK_ACCESS_HINT };
    }
    if (d.timedOut) return { destination: null, latestBackupAt: null, problem: 'tmutil destinationinfo did not answer' };
    const dests = d.code === 0 ? await parseDestinationInfo(d.stdout) : [];
    if (dests.length === 0) return null;
    const chosen = dests.find((x) => x.last) ?? dests[0]!;
    const destination = describeDestination(chosen);
    const l = await execWithDeadline(exec, { cmd: MAC_BIN.tmutil, args: ['latestbackup'] }, t.commandMs);
    if (l.timedOut) return { destination, latestBackupAt: null, problem: 'tmutil latestbackup did not answer' };
    const latest = parseLatestBackup(l.code, l.stdout, l.stderr);
    if (latest.kind === 'ok') return { destination, latestBackupAt: latest.at };
    if (latest.kind === 'none') return { destination, latestBackupAt: null };
    return { destination, latestBackupAt: null, problem: latest.reason };
  }

  return { os: 'darwin', mountPath, mount, unmount, list, look, probe, openFiles, open, decorate, guard, timeMachine, watchTimeMachine };
}
