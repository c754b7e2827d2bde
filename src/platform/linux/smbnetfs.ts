// smbnetfs's configuration, rendered (pure). The password lives only in the auth file, 0600 in a
// private runtime folder that smbnetfs finds through HOME (FIELD-NOTES "Mounting SMB on Linux"),
// never in argv. Quoted strings take backslash escapes (checked against smbnetfs 0.6.3).
import type { PillarSpec, SmbServer } from '../types';

export function quote(s: string): string {
  if (/[\n\r\0]/.test(s)) throw new Error('a value for smbnetfs.conf may not contain a line break or NUL');
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function renderConf(): string {
  return ['smb_query_browsers "false"', 'show_$_shares "false"', 'include "smbnetfs.auth"', ''].join('\n');
}

export function renderAuth(server: SmbServer, password: string): string {
  const user = server.domain ? `${server.domain}/${server.username}` : server.username;
  return `auth ${quote(server.host)} ${quote(user)} ${quote(password)}\n`;
}

/** The source field mountinfo shows for our mount, so `list()` can tell host and share. */
export function fsName(server: SmbServer, p: PillarSpec): string {
  return `//${server.host}/${p.share}`;
}

/**
 * smbnetfs argv: one mount per pillar, the share root itself at the mount point through libfuse's
 * subdir module. Short SMB timeouts make a hung server fail calls in about 9 s instead of 80 s.
 * (No `use_libsecret=false`: with a session bus present smbnetfs 0.6.3 rejects it as an unknown
 * FUSE option and fails to mount while exiting 0; the auth file is consulted first anyway.)
 */
export function smbnetfsArgs(server: SmbServer, p: PillarSpec, mountPoint: string): string[] {
  const opts = ['smb_timeout=3000', 'reply_timeout=10', 'max_retry_count=1', 'modules=subdir', `subdir=/${server.host}/${p.share}`, `fsname=${fsName(server, p)}`, 'subtype=smbnetfs'];
  for (const o of opts) if (o.includes(',')) throw new Error(`mount option ${o} may not contain a comma`);
  return [mountPoint, '-o', opts.join(',')];
}

/** Classifies the stderr of a probe child (`ls`) run on the mount (LC_ALL=C). */
export function classifyProbeError(stderr: string): { kind: 'auth' | 'missing-share' | 'disconnected' | 'io'; reason: string } {
  if (/Permission denied|Operation not permitted/i.test(stderr)) return { kind: 'auth', reason: 'the server rejected the login' };
  if (/No such file or directory/i.test(stderr)) return { kind: 'missing-share', reason: 'the share does not exist on the server' };
  if (/Transport endpoint is not connected|connection abort/i.test(stderr)) return { kind: 'disconnected', reason: 'the mount lost its FUSE daemon' };
  return { kind: 'io', reason: `the server did not answer (${(stderr.trim().split('\n').pop() ?? '').replace(/^ls: [^:]+: /, '') || 'I/O error'})` };
}
