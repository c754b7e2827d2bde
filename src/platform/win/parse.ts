// Parsing what Windows reports about SMB mappings, and mapping its error codes to outcomes.
import type { MountOutcome } from '../types';

export interface SmbMappingRow {
  localPath: string; // X: (empty for a mapping without a drive letter)
  remotePath: string; // \\motoko\flux
  status: number | null; // MSFT_SmbMapping.Status
}

// MSFT_SmbMapping.Status (Microsoft Learn, "MSFT_SmbMapping class"). Windows PowerShell 5.1 emits the
// number; PowerShell 7 may emit the name.
export const SMB_STATUS = ['OK', 'Paused', 'Disconnected', 'NetworkError', 'Connecting', 'Reconnecting', 'Unavailable'] as const;

export function statusNumber(v: unknown): number | null {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string') {
    const i = SMB_STATUS.findIndex((s) => s.toLowerCase() === v.trim().toLowerCase());
    if (i >= 0) return i;
    if (/^\d+$/.test(v.trim())) return Number(v.trim());
  }
  return null;
}

export function statusName(n: number | null): string {
  return n !== null && n >= 0 && n < SMB_STATUS.length ? SMB_STATUS[n]! : `status ${n ?? 'unknown'}`;
}

/** OK → healthy; Connecting/Reconnecting → not known yet; anything else → unhealthy. */
export function statusHealthy(n: number | null): boolean | null {
  if (n === 0) return true;
  if (n === null || n === 4 || n === 5) return null;
  return false;
}

const stripBom = (s: string): string => s.replace(/^\uFEFF/, '');

/**
 * Rows from JSON: our script's explicit fields (`[{"LocalPath","RemotePath","Status"}]`) or a raw
 * `Get-SmbMapping | ConvertTo-Json` (same names, plus CIM properties; a single mapping is an object,
 * not an array, when piped).
 */
export function parseSmbMappingJson(text: string): SmbMappingRow[] {
  const t = stripBom(text).trim();
  if (!t) return [];
  const v = JSON.parse(t) as unknown;
  const items = Array.isArray(v) ? v : [v];
  const rows: SmbMappingRow[] = [];
  for (const it of items) {
    if (!it || typeof it !== 'object') continue;
    const o = it as Record<string, unknown>;
    const remote = typeof o['RemotePath'] === 'string' ? o['RemotePath'] : '';
    if (!remote) continue;
    rows.push({ localPath: typeof o['LocalPath'] === 'string' ? o['LocalPath'] : '', remotePath: remote, status: statusNumber(o['Status']) });
  }
  return rows;
}

/** \\host\share[\more] → host and share. */
export function splitUnc(remote: string): { host: string; share: string } | null {
  const m = /^\\\\([^\\]+)\\([^\\]+)/.exec(remote.trim());
  return m ? { host: m[1]!, share: m[2]! } : null;
}

export interface NetUseRow {
  status: string; // as printed (localized)
  local: string;
  remote: string;
  network: string;
}

/**
 * `net use` (no arguments) — a fallback only: the table is localized and wraps long lines. Columns
 * are found from the header line's positions (Status, Local, Remote, Network in English; other
 * languages have four words too); a line that only continues the Network column of a wrapped row is
 * folded into that row. Remote paths with double spaces are not supported.
 */
export function parseNetUse(text: string): NetUseRow[] {
  const lines = stripBom(text).split(/\r?\n/);
  const dash = lines.findIndex((l) => /^-{20,}\s*$/.test(l));
  if (dash < 1) return [];
  let headerIdx = dash - 1;
  while (headerIdx > 0 && lines[headerIdx]!.trim() === '') headerIdx--;
  const header = lines[headerIdx]!;
  const starts: number[] = [];
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header))) starts.push(m.index);
  if (starts.length < 4) return [];
  const [, localAt, remoteAt, networkAt] = starts as [number, number, number, number];
  const rows: NetUseRow[] = [];
  for (const line of lines.slice(dash + 1)) {
    if (line.trim() === '') continue;
    const startsWithRemote = line.slice(remoteAt).trimStart().startsWith('\\\\');
    if (!startsWithRemote) {
      // Either the Network column wrapped from the previous row, or the closing sentence.
      if (/^\s{8,}\S/.test(line) && rows.length > 0 && rows[rows.length - 1]!.network === '') rows[rows.length - 1]!.network = line.trim();
      continue;
    }
    const status = line.slice(0, localAt).trim();
    const local = line.slice(localAt, remoteAt).trim();
    const tail = line.slice(remoteAt);
    const parts = tail.trim().split(/\s{2,}/);
    const remote = parts[0]!;
    const network = tail.length > networkAt - remoteAt && parts.length > 1 ? parts.slice(1).join('  ') : '';
    rows.push({ status, local, remote, network });
  }
  return rows;
}

// System Error Codes (Microsoft Learn) as New-SmbMapping reports them.
const AUTH = new Set([86, 1326, 1244, 1907, 1909, 1330, 1331, 2242]);
const NETWORK = new Set([51, 53, 59, 64, 67, 121, 1222, 1231, 1232, 1311, 1203]);

export const isAuthError = (code: number | null): boolean => code !== null && AUTH.has(code);

export function winErrorOutcome(code: number | null, message: string, drive: string, remote: string, host: string): MountOutcome {
  const why = message ? `: ${message}` : '';
  const tag = code === null ? '' : ` (error ${code})`;
  if (code === 1219) {
    return {
      ok: false,
      kind: 'busy',
      reason:
        `Windows allows one set of credentials per server in a sign-in session, and ${host} is already connected under another user name${why}${tag}. ` +
        `Disconnect the other drives or connections to ${host} (net use \\\\${host}\\IPC$ /delete), or sign out and back in.`,
    };
  }
  if (code === 85 || code === 1202 || code === 2404) return { ok: false, kind: 'busy', reason: `${drive} is already in use${why}${tag}` };
  if (code !== null && AUTH.has(code)) return { ok: false, kind: 'auth', reason: `${remote}: the user name or password was refused${why}${tag}` };
  if (code !== null && NETWORK.has(code)) return { ok: false, kind: 'network', reason: `${remote} is not reachable${why}${tag}` };
  return { ok: false, kind: 'error', reason: `mapping ${drive} to ${remote} failed${why}${tag}` };
}
