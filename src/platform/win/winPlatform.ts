// The Windows adapter. Written from Microsoft's documentation (see script.ts for the sources); it
// cannot run here, so every command it issues goes through the injected Exec and is checked by
// test/client/win: argv, the JSON on stdin, deadlines, and that the password is in no argv.
import type { Exec, FsPort, MountOutcome, MountedShare, Platform, PillarSpec, ProbeResult, SmbServer } from '../types';
// Generic Exec helpers (deadline, redaction), shared with the macOS adapter.
import { asciiJson, execWithDeadline, firstLine, redact } from '../common/effects';
import { isAuthError, parseNetUse, parseSmbMappingJson, splitUnc, statusHealthy, statusName, winErrorOutcome } from './parse';
import { WIN_SCRIPT, WIN_SCRIPT_NAME } from './script';

export const DEFAULT_DRIVES: Readonly<Record<string, string>> = { flux: 'X:', space: 'S:', time: 'T:' };

export interface WinTimeouts {
  mountMs: number;
  commandMs: number;
}

export interface WinPlatformDeps {
  exec: Exec;
  fs: FsPort;
  home: string;
  user: string;
  /** Private per-user folder (e.g. %LOCALAPPDATA%\Pillars\run) where the script file is kept. */
  runtimeDir: string;
  /** Default powershell.exe (Windows PowerShell 5.1, present on every Windows 10/11). */
  powershell?: string;
  timeouts?: Partial<WinTimeouts>;
}

const DEFAULT_TIMEOUTS: WinTimeouts = { mountMs: 60_000, commandMs: 20_000 };
export const PS_ARGS = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File'] as const;
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

type ScriptAnswer = { ok: true; [k: string]: unknown } | { ok: false; code: number | null; message: string };

export function createWinPlatform(deps: WinPlatformDeps): Platform {
  const { exec, fs } = deps;
  const t: WinTimeouts = { ...DEFAULT_TIMEOUTS, ...deps.timeouts };
  const sep = deps.runtimeDir.includes('\\') ? '\\' : '/';
  const scriptPath = `${deps.runtimeDir.replace(/[\\/]+$/, '')}${sep}${WIN_SCRIPT_NAME}`;
  const powershell = deps.powershell ?? 'powershell.exe';

  // Checked before every run (a changed file is rewritten), one check at a time: pillars mount in
  // parallel, and a PowerShell must never read the file while another call rewrites it.
  let scriptQueue: Promise<void> = Promise.resolve();
  function ensureScript(): Promise<void> {
    const next = scriptQueue.then(async () => {
      if ((await fs.readFile(scriptPath)) !== WIN_SCRIPT) await fs.writeFile(scriptPath, WIN_SCRIPT, 0o600);
    });
    scriptQueue = next.catch(() => undefined);
    return next;
  }

  /** Runs one operation of the script; the request is data on stdin, the answer JSON on stdout. */
  async function run(request: Record<string, unknown>, ms: number, secret?: string): Promise<ScriptAnswer & { timedOut?: boolean }> {
    await ensureScript();
    const r = await execWithDeadline(exec, { cmd: powershell, args: [...PS_ARGS, scriptPath], stdin: asciiJson(request) }, ms);
    if (r.timedOut) return { ok: false, code: null, message: `PowerShell did not answer within ${Math.round(ms / 1000)} s`, timedOut: true };
    const text = r.stdout.replace(/^\uFEFF/, '').trim();
    const start = text.lastIndexOf('{"ok"');
    if (start >= 0) {
      try {
        const v = JSON.parse(text.slice(start)) as Record<string, unknown>;
        if (v['ok'] === true) return v as ScriptAnswer;
        if (v['ok'] === false) {
          return { ok: false, code: typeof v['code'] === 'number' ? v['code'] : null, message: redact(String(v['message'] ?? ''), secret).trim() };
        }
      } catch {
        // fall through to the generic failure
      }
    }
    return { ok: false, code: null, message: `PowerShell failed (exit ${r.code}): ${firstLine(redact(r.stderr, secret)) || 'no output'}` };
  }

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

  async function unmount(p: PillarSpec, _opts?: { force?: boolean }): Promise<void> {
    // Remove-SmbMapping -Force never waits for open files; -UpdateProfile drops the persistence.
    const drive = driveOf(p);
    const a = await run({ op: 'unmount', drive }, t.commandMs);
    if (!a.ok) throw new Error(`could not disconnect ${drive}: ${a.message}${a.code !== null ? ` (error ${a.code})` : ''}`);
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
    const a = await run({ op: 'probe', drive }, deadlineMs);
    if (!a.ok) return a.timedOut ? { kind: 'stale', reason: `no answer from ${drive} within ${deadlineMs} ms` } : { kind: 'stale', reason: `${drive}: ${a.message}` };
    if (a['mapped'] !== true) return { kind: 'missing', reason: `${drive} is not mapped` };
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

  return { os: 'win32', mountPath, mount, unmount, list, probe, open, decorate, guard };
}
