// The Windows adapter. Written from Microsoft's documentation (see script.ts for the sources); it
// cannot run here, so everything it issues goes through the injected StartProcess (the long-lived
// PowerShell helper) and Exec (Explorer, net use) and is checked by test/client/win: argv, the
// environment, the requests on stdin, deadlines, and that the password is in no argv.
import type { Exec, MountLook, MountOutcome, MountedShare, Platform, PillarSpec, ProbeResult, SmbServer, StartProcess } from '../types';
// Generic Exec helpers (deadline, redaction), shared with the macOS adapter.
import { execWithDeadline, firstLine } from '../common/effects';
import { BusyError } from '../common/errors';
import { isAuthError, parseNetUse, parseSmbMappingJson, splitUnc, statusHealthy, statusName, winErrorOutcome } from './parse';
import { createWinHelper } from './helper';
import type { HelperAnswer, WinHelper } from './helper';

export const DEFAULT_DRIVES: Readonly<Record<string, string>> = { flux: 'X:', space: 'S:', time: 'T:' };

export interface WinTimeouts {
  mountMs: number;
  commandMs: number;
}

export interface WinPlatformDeps {
  exec: Exec;
  /** Starts the long-lived PowerShell helper. */
  start: StartProcess;
  home: string;
  user: string;
  /** Default powershell.exe (Windows PowerShell 5.1, present on every Windows 10/11). */
  powershell?: string;
  timeouts?: Partial<WinTimeouts>;
}

const DEFAULT_TIMEOUTS: WinTimeouts = { mountMs: 60_000, commandMs: 20_000 };
/** What the helper needs beyond the probe's own deadline to answer "timed out" (its loop, JSON). */
const PROBE_SLACK_MS = 2_000;
/** Mapping states that mean the drive has lost its server (MSFT_SmbMapping.Status). */
const LOST = new Set([2, 3, 6]);
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
// Characters Windows forbids in share names, plus control characters.
// eslint-disable-next-line no-control-regex
const BAD_SHARE = /[\u0000-\u001f\u007f\\/:*?"<>|[\]+=;,]/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function driveOf(p: PillarSpec): string {
  const d = (p.drive ?? DEFAULT_DRIVES[p.id] ?? '').trim().toUpperCase().replace(/\\$/, '');
  if (!/^[A-Z]:$/.test(d)) throw new Error(`pillar ${JSON.stringify(p.id)} needs a drive letter like X: (got ${JSON.stringify(p.drive ?? '')})`);
  return d;
}

/** Always the same string for the same settings (error 1219 compares user names per server). */
export function winUser(server: SmbServer): string {
  return server.domain ? `${server.domain}\\${server.username}` : server.username;
}

export function validateWinRequest(server: SmbServer, p: PillarSpec): string | null {
  try {
    driveOf(p);
  } catch (e) {
    return (e as Error).message;
  }
  if (!HOST.test(server.host)) return `server host ${JSON.stringify(server.host)} is not a host name or IPv4 address`;
  if (!p.share || p.share.length > 80 || BAD_SHARE.test(p.share)) return `share name ${JSON.stringify(p.share)} is empty, too long or has a character Windows forbids`;
  if (!server.username || CONTROL.test(server.username) || /[\\@]/.test(server.username)) return 'the SMB user name is empty or has a control character, \\ or @ (put a domain in smb.domain)';
  if (server.domain !== undefined && (CONTROL.test(server.domain) || server.domain.includes('\\'))) return 'the SMB domain has a control character or \\';
  if (CONTROL.test(p.label)) return 'the pillar label has control characters';
  return null;
}

export function createWinPlatform(deps: WinPlatformDeps): Platform & { readonly helper: WinHelper } {
  const { exec } = deps;
  const t: WinTimeouts = { ...DEFAULT_TIMEOUTS, ...deps.timeouts };
  const helper = createWinHelper({ start: deps.start, powershell: deps.powershell ?? 'powershell.exe' });
  const run = (request: Record<string, unknown>, ms: number, secret?: string): Promise<HelperAnswer> => helper.request(request, ms, secret);
  const mountPath = (p: PillarSpec): string => driveOf(p);

  async function mount(server: SmbServer, p: PillarSpec, password: string): Promise<MountOutcome> {
    const bad = validateWinRequest(server, p);
    if (bad) return { ok: false, kind: 'error', reason: bad };
    const drive = driveOf(p);
    const remote = `\\\\${server.host}\\${p.share}`;
    const a = await run({ op: 'mount', host: server.host, share: p.share, drive, label: p.label, user: winUser(server), password }, t.mountMs, password);
    if (a.ok) return { ok: true, path: drive };
    if (a.timedOut) return { ok: false, kind: 'network', reason: `${remote}: ${a.message}` };
    return winErrorOutcome(a.code, a.message, drive, remote, server.host);
  }

  async function unmount(p: PillarSpec, opts?: { force?: boolean }): Promise<void> {
    // Remove-SmbMapping -Force closes what is open on the drive: the helper refuses while handles
    // are open unless forced; -UpdateProfile drops the persistence.
    const drive = driveOf(p);
    const a = await run({ op: 'unmount', drive, force: opts?.force === true }, t.commandMs);
    if (!a.ok && a.busy) throw new BusyError(drive, a.openFiles ?? 1);
    if (!a.ok) throw new Error(`could not disconnect ${drive}: ${a.message}${a.code !== null ? ` (error ${a.code})` : ''}`);
  }

  async function look(ps: readonly PillarSpec[]): Promise<MountLook[]> {
    const drives = ps.map(driveOf);
    const a = await run({ op: 'look', drives }, t.commandMs);
    if (!a.ok) throw new Error(`could not read the drive mappings: ${a.message}`);
    const rows = Array.isArray(a['drives']) ? (a['drives'] as Array<Record<string, unknown>>) : [];
    return ps.map((p, i) => {
      const row = rows.find((r) => r['drive'] === drives[i]);
      const remote = typeof row?.['remote'] === 'string' ? row['remote'] : '';
      // a drive mapped to another share is not this pillar's mount (mount() says so when it tries)
      if (row?.['mapped'] !== true || splitUnc(remote)?.share.toLowerCase() !== p.share.toLowerCase()) return { mounted: false, broken: null, waiting: null };
      const status = typeof row['status'] === 'number' ? row['status'] : null;
      const openFiles = typeof row['opens'] === 'number' ? row['opens'] : 0;
      return { mounted: true, broken: status !== null && LOST.has(status) ? `${drives[i]} is ${statusName(status)}` : null, waiting: null, openFiles };
    });
  }

  async function openFiles(p: PillarSpec): Promise<number | null> {
    try {
      return (await look([p]))[0]?.openFiles ?? null;
    } catch {
      return null;
    }
  }

  async function list(): Promise<MountedShare[]> {
    const a = await run({ op: 'list' }, t.commandMs);
    if (a.ok) {
      const rows = parseSmbMappingJson(JSON.stringify(a['mappings'] ?? []));
      return rows.flatMap((r) => {
        const unc = splitUnc(r.remotePath);
        return unc && r.localPath ? [{ host: unc.host, share: unc.share, path: r.localPath.toUpperCase(), healthy: statusHealthy(r.status) }] : [];
      });
    }
    // Without the SmbShare module (stripped-down editions), fall back to `net use`: localized and
    // wrapped, so only the English status words are trusted.
    const r = await execWithDeadline(exec, { cmd: 'net.exe', args: ['use'] }, t.commandMs);
    if (r.code !== 0) throw new Error(`could not list SMB mappings: ${a.message}`);
    return parseNetUse(r.stdout).flatMap((row) => {
      const unc = splitUnc(row.remote);
      if (!unc || !/^[A-Z]:$/i.test(row.local)) return [];
      const healthy = row.status === 'OK' ? true : /^(Disconnected|Unavailable|Paused)$/.test(row.status) ? false : null;
      return [{ host: unc.host, share: unc.share, path: row.local.toUpperCase(), healthy }];
    });
  }

  async function probe(p: PillarSpec, deadlineMs: number): Promise<ProbeResult> {
    const drive = driveOf(p);
    // the helper waits for the share this long and then answers timedOut; our own deadline adds
    // the helper's slack, so a slow PowerShell is told apart from a share that does not answer
    const a = await run({ op: 'probe', drive, timeoutMs: deadlineMs }, deadlineMs + PROBE_SLACK_MS);
    if (!a.ok) return { kind: 'stale', reason: a.timedOut ? `the PowerShell helper did not answer within ${Math.round((deadlineMs + PROBE_SLACK_MS) / 1000)} s` : `${drive}: ${a.message}` };
    if (a['mapped'] !== true) return { kind: 'missing', reason: `${drive} is not mapped` };
    if (a['timedOut'] === true) return { kind: 'stale', reason: `no answer from ${drive} within ${deadlineMs} ms` };
    const status = typeof a['status'] === 'number' ? a['status'] : null;
    if (a['reachable'] !== true) {
      const code = typeof a['code'] === 'number' ? a['code'] : null;
      const msg = typeof a['message'] === 'string' && a['message'] ? `: ${a['message']}` : '';
      if (isAuthError(code)) return { kind: 'auth', reason: `${drive}: the server no longer accepts the saved login${msg} (error ${code})` };
      return { kind: 'stale', reason: `${drive} is mapped but not reachable (${statusName(status)})${msg}` };
    }
    const free = typeof a['free'] === 'number' ? a['free'] : null;
    const used = typeof a['used'] === 'number' ? a['used'] : null;
    return { kind: 'ok', freeBytes: free, totalBytes: free !== null && used !== null ? free + used : null };
  }

  async function open(p: PillarSpec): Promise<void> {
    const drive = driveOf(p);
    // explorer.exe exits with 1 even when it opened the window, so only a missing answer is an error.
    const r = await execWithDeadline(exec, { cmd: 'explorer.exe', args: [`${drive}\\`] }, t.commandMs);
    if (r.code === null && !r.timedOut) throw new Error(`could not start Explorer: ${firstLine(r.stderr)}`);
  }

  async function decorate(server: SmbServer, p: PillarSpec): Promise<{ ok: boolean; note?: string }> {
    const bad = validateWinRequest(server, p);
    if (bad) return { ok: false, note: bad };
    const a = await run({ op: 'label', host: server.host, share: p.share, label: p.label }, t.commandMs);
    return a.ok ? { ok: true } : { ok: false, note: `could not label ${driveOf(p)} "${p.label}": ${a.message}` };
  }

  // Rule 9 needs nothing on Windows: while X: is not mapped there is no X: at all, so a write to
  // X:\… fails ("The system cannot find the path specified") instead of landing on a local disk.
  async function guard(p: PillarSpec): Promise<void> {
    driveOf(p);
  }

  return { os: 'win32', helper, mountPath, mount, unmount, list, look, probe, openFiles, open, decorate, guard };
}
