// The Linux Platform on a desktop: GVfs through `gio mount`, the password answered on gio's
// stdin (user, domain, password: the order of gio's prompts; FIELD-NOTES "Mounting SMB on Linux"),
// never in argv or the URI. GVfs exposes the share at $XDG_RUNTIME_DIR/gvfs/smb-share:server=H,share=S
// (its FUSE daemon); `<mountRoot>/<pillar>` is our link to that path. While unmounted the link
// dangles into the GVfs FUSE root, which refuses new entries, so writes through it fail
// (rule 9) without a guard of ours; the mount root is mode 0555 (see guard.ts), so the link cannot
// be swapped for a folder. Not run here (gvfs is not installed on these machines): the commands
// are tested through the injected Exec.
import type { Exec, FsPort, MountLook, MountOutcome, MountedShare, Platform, PillarSpec, ProbeResult, SmbServer } from '../types';
import { BusyError } from '../common/errors';
import { ensureLink } from './links';
import { classifyProbeError } from './smbnetfs';
import { createLinuxGuard } from './guard';
import { openFilesUnder } from './procfs';

export interface GvfsOptions {
  exec: Exec;
  fs: FsPort;
  home: string;
  mountRoot: string;
  /** $XDG_RUNTIME_DIR/gvfs */
  gvfsRoot: string;
  links: boolean;
  uid: number;
  procRoot?: string;
}

export const smbUri = (server: SmbServer, p: PillarSpec) => `smb://${server.host}/${p.share}`;
export const gvfsPath = (root: string, server: SmbServer, p: PillarSpec) => `${root}/smb-share:server=${server.host.toLowerCase()},share=${p.share.toLowerCase()}`;

/** gio's prompts, in order: user, domain, password (each answered by one line). */
export function gioAnswers(server: SmbServer, password: string): string {
  if (/[\r\n]/.test(password) || /[\r\n]/.test(server.username)) throw new Error('user and password may not contain line breaks');
  return `${server.username}\n${server.domain || 'WORKGROUP'}\n${password}\n`;
}

export function classifyGioError(stderr: string): { kind: 'auth' | 'network' | 'error'; reason: string } {
  const last = stderr.trim().split('\n').pop() ?? '';
  if (/password|permission denied|logon failure|access denied/i.test(stderr)) return { kind: 'auth', reason: 'the server rejected the login' };
  if (/refused|timed out|no route|unreachable|host is down|failed to retrieve share list/i.test(stderr)) return { kind: 'network', reason: last || 'the server did not answer' };
  return { kind: 'error', reason: last || 'gio mount failed' };
}

export function createGvfsPlatform(o: GvfsOptions): Platform {
  const { exec, fs } = o;
  const mountPath = (p: PillarSpec) => `${o.mountRoot}/${p.id}`;
  const guard = createLinuxGuard({ fs, exec, root: o.mountRoot, asRoot: o.uid === 0 });
  let lastServer: SmbServer | null = null;

  async function ensureMountLink(server: SmbServer, p: PillarSpec): Promise<string | null> {
    const mp = mountPath(p);
    const target = gvfsPath(o.gvfsRoot, server, p);
    await guard.guardRoot();
    const st = await fs.lstat(mp);
    if (st?.isSymbolicLink && (await fs.readlink(mp)) === target) return null;
    if (st?.isDirectory && (await fs.readdir(mp)).length > 0) return `${mp} holds local files: move them away so ${p.label} can be linked there`;
    if (st && !st.isDirectory && !st.isSymbolicLink) return `${mp} is a file: move it away so ${p.label} can be linked there`;
    await guard.withRootWritable(async () => {
      if (st?.isSymbolicLink) await fs.unlink(mp);
      else if (st?.isDirectory) {
        await guard.release(mp);
        await fs.rmdir(mp); // an empty guarded folder of the smbnetfs backend: the link replaces it
      }
      await fs.symlink(target, mp);
    });
    return null;
  }

  return {
    os: 'linux',
    mountPath,
    async mount(server, p, password): Promise<MountOutcome> {
      lastServer = server;
      const problem = await ensureMountLink(server, p);
      if (problem) return { ok: false, kind: 'error', reason: problem };
      const r = await exec({ cmd: 'gio', args: ['mount', smbUri(server, p)], stdin: gioAnswers(server, password), timeoutMs: 30_000 });
      if (r.code === 0 || /already mounted/i.test(r.stderr)) return { ok: true, path: mountPath(p) };
      if (r.timedOut) return { ok: false, kind: 'network', reason: `gio mount ${smbUri(server, p)} did not finish within 30 s` };
      const c = classifyGioError(r.stderr);
      return { ok: false, kind: c.kind, reason: c.kind === 'auth' ? `${server.host} rejected the login of ${server.username} for share ${p.share}` : c.reason };
    },
    async unmount(p, opts): Promise<void> {
      if (!lastServer) return;
      if (!opts?.force) {
        const n = await openFilesUnder(exec, o.procRoot ?? '/proc', gvfsPath(o.gvfsRoot, lastServer, p));
        if (n) throw new BusyError(mountPath(p), n);
      }
      await exec({ cmd: 'gio', args: ['mount', ...(opts?.force ? ['--force'] : []), '--unmount', smbUri(lastServer, p)], timeoutMs: 15_000 });
    },
    async look(ps): Promise<MountLook[]> {
      // the GVfs FUSE root lists the mounts from the local daemon; no share is asked
      const r = await exec({ cmd: 'ls', args: ['-A', '-1', '--', o.gvfsRoot], timeoutMs: 2_000 });
      const names = new Set(r.code === 0 ? r.stdout.split('\n') : []);
      return ps.map((p) => ({ mounted: lastServer !== null && names.has(gvfsPath('', lastServer, p).slice(1)), broken: null, waiting: null }));
    },
    async openFiles(p): Promise<number | null> {
      return lastServer ? openFilesUnder(exec, o.procRoot ?? '/proc', gvfsPath(o.gvfsRoot, lastServer, p)) : null;
    },
    async list(): Promise<MountedShare[]> {
      const r = await exec({ cmd: 'gio', args: ['mount', '--list'], timeoutMs: 5_000 });
      const out: MountedShare[] = [];
      for (const m of r.stdout.matchAll(/-> smb:\/\/([^/\s]+)\/([^/\s]+)\/?/g))
        out.push({ host: m[1] ?? '', share: decodeURIComponent(m[2] ?? ''), path: `${o.gvfsRoot}/smb-share:server=${m[1]},share=${m[2]}`, healthy: null });
      return out;
    },
    async probe(p, deadlineMs): Promise<ProbeResult> {
      const r = await exec({ cmd: 'ls', args: ['-A', '-U', '-1', '--', `${mountPath(p)}/`], timeoutMs: deadlineMs });
      if (r.timedOut) return { kind: 'stale', reason: `the share did not answer within ${Math.round(deadlineMs / 100) / 10} s` };
      if (r.code === 0) return { kind: 'ok', freeBytes: null, totalBytes: null };
      const c = classifyProbeError(r.stderr);
      if (c.kind === 'auth') return { kind: 'auth', reason: c.reason };
      if (c.kind === 'missing-share') return { kind: 'missing', reason: 'not mounted' };
      return { kind: 'stale', reason: c.reason };
    },
    async open(p): Promise<void> {
      const r = await exec({ cmd: 'xdg-open', args: [mountPath(p)], timeoutMs: 10_000 });
      if (r.code !== 0) throw new Error(`xdg-open ${mountPath(p)} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
    },
    async decorate(server, p) {
      if (!o.links) return { ok: true };
      return ensureLink(fs, `${o.home}/${p.id}`, mountPath(p));
    },
    async guard(p): Promise<void> {
      // the link itself is the guard (see the header); make sure it is there
      if (lastServer) {
        const problem = await ensureMountLink(lastServer, p);
        if (problem) throw new Error(problem);
      }
    },
  };
}
