// The Linux Platform: smbnetfs (FUSE) without a desktop, one mount per pillar at
// `<mountRoot>/<pillar>` showing the share's root (libfuse's subdir module), its config and 0600
// auth file in a private runtime folder found through HOME. Every look at a mount goes through
// /proc/self/mountinfo, /sys/fs/fuse/connections or a child process with a deadline: this process
// never makes a file-system call on a network mount (rule 8 of docs/architecture.md). The cheap look every round
// reads only the mount table, /proc/<pid> of the smbnetfs process and FUSE's `waiting` counter.
import type { Exec, FsPort, MountLook, MountOutcome, MountedShare, Platform, PillarSpec, ProbeResult, SmbServer } from '../types';
import { BusyError } from '../common/errors';
import { mountAt, parseMountinfo } from './mountinfo';
import type { MountEntry } from './mountinfo';
import { classifyProbeError, fsName, renderAuth, renderConf, smbnetfsArgs } from './smbnetfs';
import { createLinuxGuard } from './guard';
import { ensureLink } from './links';
import { checkLogin } from './login';
import { SMBNETFS_APT, linuxMountRequirements } from './requirements';
import { openFilesUnder } from './procfs';

export interface LinuxOptions {
  exec: Exec;
  fs: FsPort;
  home: string;
  uid: number;
  /** absolute, e.g. /home/mike/.mkt */
  mountRoot: string;
  /** a private folder for smbnetfs's HOME and auth files, e.g. $XDG_RUNTIME_DIR/pillars */
  runtimeDir: string;
  links: boolean;
  /** how long a mount may take before we give up on it */
  mountTimeoutMs?: number;
  /** how long the first listing after a mount (the login) may take */
  verifyTimeoutMs?: number;
  /** the PATH the mount helpers are looked up in (to say which one is missing) */
  pathVar?: string;
  /** where /proc and /sys are (tests of the parsing use the real ones) */
  procRoot?: string;
  fuseCtlDir?: string;
}

/**
 * smbnetfs asks libsecret for passwords on every access when a session bus is around (0.5 s per
 * call here, and stuck lookups made first listings exceed 15 s under test). The auth file is the
 * only source we want it to use, and `use_libsecret=false` is refused as a FUSE option when a bus
 * exists, so it gets a bus address that fails at once instead.
 */
const NO_SESSION_BUS = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/dev/null' };

const join = (...parts: string[]) => parts.join('/').replace(/\/+/g, '/');

export function createLinuxPlatform(o: LinuxOptions): Platform & {
  readonly options: LinuxOptions;
  mountEntry(p: PillarSpec): Promise<MountEntry | null>;
  fuseWaiting(p: PillarSpec): Promise<number | null>;
} {
  const { exec, fs } = o;
  const asRoot = o.uid === 0;
  const guard = createLinuxGuard({ fs, exec, root: o.mountRoot, asRoot });
  /** The smbnetfs process serving each pillar's mount, once seen (a /proc scan costs hundreds of reads). */
  const daemons = new Map<string, number>();
  const proc = o.procRoot ?? '/proc';
  const fusectl = o.fuseCtlDir ?? '/sys/fs/fuse/connections';
  const mountPath = (p: PillarSpec) => join(o.mountRoot, p.id);
  const homeFor = (p: PillarSpec) => join(o.runtimeDir, 'smbnetfs', p.id);

  async function mounts(): Promise<MountEntry[]> {
    return parseMountinfo(fs.readKernelFile(`${proc}/self/mountinfo`) ?? '');
  }
  async function mountEntry(p: PillarSpec): Promise<MountEntry | null> {
    const e = mountAt(await mounts(), mountPath(p));
    return e && e.fsType.startsWith('fuse') ? e : null;
  }

  async function ensurePrivateDir(dir: string): Promise<void> {
    const st = await fs.lstat(dir);
    if (!st) {
      await fs.mkdir(dir, 0o700);
      await fs.chmod(dir, 0o700);
      return;
    }
    if (st.isSymbolicLink || !st.isDirectory) throw new Error(`${dir} must be a folder, not a link or file`);
    if (st.uid !== undefined && st.uid !== o.uid) throw new Error(`${dir} belongs to another user (uid ${st.uid})`);
    if ((st.mode & 0o077) !== 0) await fs.chmod(dir, 0o700);
  }

  /** The mount folder as an empty directory (created when missing); an error string when it holds local files. */
  async function ensureMountDir(p: PillarSpec): Promise<string | null> {
    const mp = mountPath(p);
    const st = await fs.lstat(mp);
    if (st && !st.isSymbolicLink && !st.isDirectory) return `${mp} is a file, not a folder: move it away so ${p.label} can be mounted there`;
    if (st?.isDirectory) {
      const entries = await fs.readdir(mp);
      if (entries.length > 0) return `${mp} holds local files (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}): move them away so ${p.label} can be mounted there`;
      return null;
    }
    await guard.withRootWritable(async () => {
      if (st?.isSymbolicLink) await fs.unlink(mp); // a leftover link of ours (gvfs era): the folder takes its place
      await fs.mkdir(mp, 0o555);
    });
    return null;
  }

  const openFiles = (p: PillarSpec) => openFilesUnder(exec, proc, mountPath(p));

  async function daemonAlive(pid: number, mp: string): Promise<boolean> {
    const argv = (fs.readKernelFile(`${proc}/${pid}/cmdline`) ?? '').split('\0');
    return argv[0]?.endsWith('smbnetfs') === true && argv[1] === mp;
  }

  async function findDaemon(p: PillarSpec): Promise<number | null> {
    const mp = mountPath(p);
    const known = daemons.get(p.id);
    if (known !== undefined && (await daemonAlive(known, mp))) return known;
    daemons.delete(p.id);
    const pid = (await smbnetfsPids(mp))[0] ?? null;
    if (pid !== null) daemons.set(p.id, pid);
    return pid;
  }

  async function smbnetfsPids(mp: string): Promise<number[]> {
    // pgrep scans /proc in a child (hundreds of small reads: on our event loop they showed up as
    // 200 ms busy stretches under load); only the few smbnetfs processes' argv is read here
    const r = await exec({ cmd: 'pgrep', args: ['-x', 'smbnetfs'], timeoutMs: 5_000 });
    const pids: number[] = [];
    for (const pid of r.stdout
      .split('\n')
      .map(Number)
      .filter((n) => n > 0))
      if (await daemonAlive(pid, mp)) pids.push(pid);
    return pids;
  }

  async function ensureFusectl(): Promise<boolean> {
    const entries = await fs.readdir(fusectl).catch(() => null);
    if (entries === null) return false;
    if (entries.length > 0) return true;
    const fuseMounted = (await mounts()).some((e) => e.mountPoint === fusectl);
    if (fuseMounted) return true;
    if (!asRoot) return false;
    const r = await exec({ cmd: 'mount', args: ['-t', 'fusectl', 'fusectl', fusectl], timeoutMs: 5_000 });
    return r.code === 0;
  }

  async function fuseWaiting(p: PillarSpec): Promise<number | null> {
    const e = await mountEntry(p);
    if (!e) return null;
    const v = fs.readKernelFile(`${fusectl}/${e.minor}/waiting`);
    return v === null ? null : Number(v.trim());
  }

  /** `ls` of the share root in a child with a deadline: the only way we touch the share. */
  async function probeChild(mp: string, deadlineMs: number) {
    return exec({ cmd: 'ls', args: ['-A', '-U', '-1', '--', mp], timeoutMs: Math.max(100, deadlineMs) });
  }

  async function teardown(p: PillarSpec, force: boolean): Promise<void> {
    const mp = mountPath(p);
    const e = await mountEntry(p);
    if (e) {
      if (force && (await ensureFusectl())) {
        // fails every call stuck on the hung server at once, so fusermount and the probes return
        // tee, not FsPort.writeFile: a sysfs attribute must be written in place, not renamed over
        await exec({ cmd: 'tee', args: [`${fusectl}/${e.minor}/abort`], stdin: '1', timeoutMs: 2_000 });
      }
      const u = await exec({ cmd: 'fusermount', args: ['-u', '--', mp], timeoutMs: 5_000 });
      if (u.code !== 0 && (await mountEntry(p))) await exec({ cmd: 'fusermount', args: ['-u', '-z', '--', mp], timeoutMs: 5_000 });
    }
    // one kill for all of the mount's processes: every spawn holds the event loop until the child execs
    const pids = await smbnetfsPids(mp);
    if (pids.length) await exec({ cmd: 'kill', args: [force ? '-KILL' : '-TERM', ...pids.map(String)], timeoutMs: 2_000 });
    daemons.delete(p.id);
    await fs.unlink(join(homeFor(p), '.smb', 'smbnetfs.auth')).catch(() => undefined);
  }

  /** Why smbnetfs did not mount, with the fix when something is missing on this machine. */
  async function mountFailure(r: { code: number | null; stderr: string; timedOut: boolean }): Promise<MountOutcome> {
    if (r.timedOut) return { ok: false, kind: 'network', reason: 'smbnetfs did not finish mounting in time' };
    const missing = (await linuxMountRequirements(fs, o.pathVar ?? '/usr/local/bin:/usr/bin:/bin', o.uid)).filter((x) => !x.ok);
    if (missing.length) return { ok: false, kind: 'error', reason: missing.map((x) => `${x.detail} (${x.fix})`).join('; ') };
    const why = r.stderr.trim().split('\n').pop() || `smbnetfs exited ${r.code}`;
    return { ok: false, kind: /not found|cannot start/i.test(why) ? 'error' : 'network', reason: /cannot start/.test(why) ? `${why} (${SMBNETFS_APT})` : why };
  }

  const platform = {
    os: 'linux' as const,
    options: o,
    mountEntry,
    fuseWaiting,
    mountPath,

    async mount(server: SmbServer, p: PillarSpec, password: string): Promise<MountOutcome> {
      const mp = mountPath(p);
      try {
        const existing = await mountEntry(p);
        if (existing) {
          const pr = await platform.probe(p, 3_000);
          if (pr.kind === 'ok' && existing.source === fsName(server, p)) return { ok: true, path: mp };
          await teardown(p, pr.kind === 'stale');
        }
        await guard.guardRoot();
        const problem = await ensureMountDir(p);
        if (problem) return { ok: false, kind: 'error', reason: problem };
        await ensurePrivateDir(o.runtimeDir);
        await ensurePrivateDir(join(o.runtimeDir, 'smbnetfs'));
        const home = homeFor(p);
        await ensurePrivateDir(home);
        await ensurePrivateDir(join(home, '.smb'));
        await fs.writeFile(join(home, '.smb', 'smbnetfs.conf'), renderConf(), 0o600);
        await fs.writeFile(join(home, '.smb', 'smbnetfs.auth'), renderAuth(server, password), 0o600);
        const reguard = await guard.openForMount(mp);
        let r;
        try {
          r = await exec({ cmd: 'smbnetfs', args: smbnetfsArgs(server, p, mp), env: { HOME: home, ...NO_SESSION_BUS }, timeoutMs: o.mountTimeoutMs ?? 15_000 });
        } finally {
          await reguard(); // underneath the mount (or on the bare folder when it failed)
        }
        if (r.code !== 0 || !(await mountEntry(p))) {
          await teardown(p, true);
          await platform.guard(p);
          return await mountFailure(r);
        }
        // smbnetfs mounts without logging in; a listing proves the login and the share
        const verifyMs = o.verifyTimeoutMs ?? 15_000;
        const ls = await probeChild(mp, verifyMs);
        if (ls.code === 0) return { ok: true, path: mp };
        await teardown(p, true);
        await platform.guard(p);
        if (ls.timedOut) return { ok: false, kind: 'network', reason: `${server.host} did not answer for share ${p.share} within ${Math.round(verifyMs / 1000)} s` };
        const c = classifyProbeError(ls.stderr);
        if (c.kind === 'auth') {
          // EACCES is both a wrong password and a share this user may not open: ask the server
          const v = await checkLogin(exec, server, p.share, password);
          if (v.kind === 'no-access' || v.kind === 'no-share' || v.kind === 'account') return { ok: false, kind: 'error', reason: v.reason };
          if (v.kind === 'wrong-password') return { ok: false, kind: 'auth', reason: `${server.host} rejected the login of ${server.username} for share ${p.share}` };
          return { ok: false, kind: 'auth', reason: `${server.host} rejected the login of ${server.username} for share ${p.share}${v.kind === 'unknown' ? ` (${v.reason})` : ''}` };
        }
        if (c.kind === 'missing-share') return { ok: false, kind: 'error', reason: `share ${p.share} does not exist on ${server.host}` };
        return { ok: false, kind: 'network', reason: c.reason };
      } catch (e) {
        return { ok: false, kind: 'error', reason: (e as Error).message };
      }
    },

    async unmount(p: PillarSpec, opts?: { force?: boolean }): Promise<void> {
      const force = opts?.force ?? false;
      if ((await mountEntry(p)) && !force) {
        const n = await openFiles(p);
        if (n) throw new BusyError(mountPath(p), n);
      }
      // a call stuck on the share (or a dead daemon) would hold fusermount: abort the connection
      const look = (await platform.look([p]))[0]!;
      await teardown(p, force || (look.waiting ?? 0) > 0 || look.broken !== null);
      await platform.guard(p);
    },

    async look(ps: readonly PillarSpec[]): Promise<MountLook[]> {
      const table = await mounts();
      return Promise.all(
        ps.map(async (p): Promise<MountLook> => {
          const e = mountAt(table, mountPath(p));
          if (!e || !e.fsType.startsWith('fuse')) return { mounted: false, broken: null, waiting: null };
          const pid = await findDaemon(p);
          const waiting = fs.readKernelFile(`${fusectl}/${e.minor}/waiting`);
          return { mounted: true, broken: pid === null ? 'the smbnetfs process serving the mount has exited' : null, waiting: waiting === null ? null : Number(waiting.trim()) };
        }),
      );
    },

    openFiles,

    async list(): Promise<MountedShare[]> {
      const out: MountedShare[] = [];
      for (const e of await mounts()) {
        if (e.fsType !== 'fuse.smbnetfs' || !e.mountPoint.startsWith(`${o.mountRoot}/`)) continue; // ours only
        const m = /^\/\/([^/]+)\/(.+)$/.exec(e.source);
        if (!m) continue;
        out.push({ host: m[1] ?? '', share: m[2] ?? '', path: e.mountPoint, healthy: null });
      }
      return out;
    },

    async probe(p: PillarSpec, deadlineMs: number): Promise<ProbeResult> {
      const started = Date.now();
      const e = await mountEntry(p);
      if (!e) return { kind: 'missing', reason: 'not mounted' };
      const r = await probeChild(mountPath(p), deadlineMs - (Date.now() - started));
      if (r.timedOut) return { kind: 'stale', reason: `the share did not answer within ${Math.round(deadlineMs / 100) / 10} s` };
      if (r.code === 0) return { kind: 'ok', freeBytes: null, totalBytes: null }; // smbnetfs reports no sizes (statfs is all zeros)
      const c = classifyProbeError(r.stderr);
      if (c.kind === 'auth') return { kind: 'auth', reason: c.reason };
      if (c.kind === 'missing-share') return { kind: 'missing', reason: c.reason };
      return { kind: 'stale', reason: c.reason };
    },

    async open(p: PillarSpec): Promise<void> {
      const r = await exec({ cmd: 'xdg-open', args: [mountPath(p)], timeoutMs: 10_000 });
      if (r.code !== 0) throw new Error(`xdg-open ${mountPath(p)} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
    },

    async decorate(_server: SmbServer, p: PillarSpec): Promise<{ ok: boolean; note?: string }> {
      if (!o.links) return { ok: true };
      return ensureLink(fs, join(o.home, p.id), mountPath(p));
    },

    async guard(p: PillarSpec): Promise<void> {
      if (await mountEntry(p)) return; // mounted: the share is what the folder shows (the guard is underneath)
      await guard.guardRoot();
      const problem = await ensureMountDir(p);
      if (problem) throw new Error(problem);
      await guard.guardFolder(mountPath(p));
    },
  };
  return platform;
}
