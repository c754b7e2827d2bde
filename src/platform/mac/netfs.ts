// Mounting through NetFS (Apple's NetFS.h, NetFSMountURLSync) from a JavaScript-for-Automation
// script piped into `osascript -l JavaScript -`.
//
// Why this and not the keychain + mount_smbfs: mount_smbfs(8) never reads the keychain (Apple's
// SMBClient sources have no keychain code; the man page's nsmb.conf password line is a FreeBSD
// leftover), its `-N` only disables a prompt that reads the terminal, and a password in its URL is
// visible to `ps`. AppleScript's `mount volume` always mounts under /Volumes. NetFSMountURLSync takes
// a mount path with the open option MountAtMountDir = true (NetFS.h: "Mount on the specified
// mountpath instead of below it"), SoftMount = true ("soft" failure semantics: a dead server fails
// calls instead of hanging them), UIOption = NoUI (never a dialog from a background app), and the
// password as a separate argument — no argv, no URL, no keychain item of ours.
//
// How the password travels: the whole script, data included, goes to osascript on STDIN (a pipe no
// other process can read; argv would be visible to `ps`). The values are embedded as ONE JSON
// literal: JSON is a subset of JavaScript (ES2019), a JSON string literal cannot end early (quotes,
// backslashes and control characters are escaped), and we additionally escape every non-ASCII
// character (\uXXXX), which also covers U+2028/U+2029 for older JavaScriptCore and makes the script
// independent of how osascript decodes its input. So the password is DATA in a string literal; no
// value can become code. The tests evaluate the generated script with stand-ins for the ObjC bridge
// and check each hostile value arrives intact.
import type { MountOutcome } from '../types';
import { asciiJson } from '../common/effects';

export { asciiJson };

export interface NetfsMountInput {
  url: string;
  mountPath: string;
  user: string;
  password: string;
}

/** smb://[DOMAIN;]user@host/share, every part %-encoded (RFC 3986 as NetFS parses it). */
export function smbUrl(host: string, share: string, user: string, domain?: string): string {
  const who = `${domain ? `${encodeURIComponent(domain)};` : ''}${encodeURIComponent(user)}@`;
  return `smb://${who}${host}/${encodeURIComponent(share)}`;
}

export function buildMountScript(input: NetfsMountInput): string {
  return [
    "ObjC.import('Foundation');",
    "ObjC.import('NetFS');",
    'function run() {',
    `  var input = ${asciiJson({ url: input.url, mountPath: input.mountPath, user: input.user, password: input.password })};`,
    '  try {',
    '    var openOptions = $.NSMutableDictionary.alloc.init;',
    "    openOptions.setObjectForKey($('NoUI'), $('UIOption'));",
    '    var mountOptions = $.NSMutableDictionary.alloc.init;',
    "    mountOptions.setObjectForKey($.NSNumber.numberWithBool(true), $('MountAtMountDir'));",
    "    mountOptions.setObjectForKey($.NSNumber.numberWithBool(true), $('SoftMount'));",
    '    var points = Ref();',
    '    var status = $.NetFSMountURLSync($.NSURL.URLWithString($(input.url)), $.NSURL.fileURLWithPath($(input.mountPath)),',
    '      $(input.user), $(input.password), openOptions, mountOptions, points);',
    '    var paths = [];',
    '    try { if (points[0]) { paths = ObjC.deepUnwrap(points[0]) || []; } } catch (e) { paths = []; }',
    '    return JSON.stringify({ status: Number(status), mountpoints: paths });',
    '  } catch (e) {',
    '    return JSON.stringify({ error: String(e) });',
    '  }',
    '}',
    '',
  ].join('\n');
}

export type NetfsResult = { status: number; mountpoints: string[] } | { error: string };

/** osascript prints run()'s return value on stdout; anything else there is noise we skip. */
export function parseMountScriptOutput(stdout: string): NetfsResult | null {
  const lines = stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'));
  for (const line of lines.reverse()) {
    try {
      const v = JSON.parse(line) as Record<string, unknown>;
      if (typeof v['status'] === 'number') {
        const mp = Array.isArray(v['mountpoints']) ? v['mountpoints'].filter((p): p is string => typeof p === 'string') : [];
        return { status: v['status'], mountpoints: mp };
      }
      if (typeof v['error'] === 'string') return { error: v['error'] };
    } catch {
      // not our line
    }
  }
  return null;
}

// NetFS.h: 0 is success, a positive value is an errno (sys/errno.h), a negative one an OSStatus
// (NetFS.h's ENETFS* and NetAuthErrors.h's kNetAuthError*).
const AUTH = new Map<number, string>([
  [80, 'the server refused the user name or password (EAUTH)'],
  [13, 'permission denied for this user (EACCES)'],
  [-5045, 'the password must be changed on the server (ENETFSPWDNEEDSCHANGE)'],
  [-5999, 'the account is locked or restricted on the server (ENETFSACCOUNTRESTRICTED)'],
  [-5997, 'the server offers no authentication method macOS can use (ENETFSNOAUTHMECHSUPP)'],
]);
const NETWORK = new Map<number, string>([
  [50, 'the network is down (ENETDOWN)'],
  [51, 'the network is unreachable (ENETUNREACH)'],
  [54, 'the server reset the connection (ECONNRESET)'],
  [57, 'not connected (ENOTCONN)'],
  [60, 'the server did not answer in time (ETIMEDOUT)'],
  [61, 'the server refused the connection (ECONNREFUSED)'],
  [64, 'the server is down (EHOSTDOWN)'],
  [65, 'no route to the server (EHOSTUNREACH)'],
  [-5996, 'the server speaks no SMB version macOS supports (ENETFSNOPROTOVERSSUPP)'],
]);

/** Maps a NetFS status other than 0 and 17 (handled by the adapter, which checks the mount table). */
export function netfsFailure(status: number, host: string, share: string, path: string): MountOutcome {
  const where = `//${host}/${share}`;
  const auth = AUTH.get(status);
  if (auth) return { ok: false, kind: 'auth', reason: `${where}: ${auth} (NetFS ${status})` };
  const net = NETWORK.get(status);
  if (net) return { ok: false, kind: 'network', reason: `${where}: ${net} (NetFS ${status})` };
  if (status === 16) return { ok: false, kind: 'busy', reason: `${path} is busy (EBUSY, NetFS 16)` };
  if (status === 2) {
    return { ok: false, kind: 'error', reason: `${where}: the share or the mount point ${path} does not exist (ENOENT, NetFS 2)` };
  }
  if (status === -5998 || status === -6003) {
    return { ok: false, kind: 'error', reason: `${where}: the server offers no share of that name to this user (NetFS ${status})` };
  }
  if (status === -128) return { ok: false, kind: 'error', reason: `${where}: the mount was cancelled (userCanceledErr, NetFS -128)` };
  return { ok: false, kind: 'error', reason: `${where}: mount failed (NetFS ${status})` };
}
