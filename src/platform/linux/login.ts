// The separate login check: smbnetfs answers EACCES both for a wrong password and for a share the
// user may not open, so after an EACCES one smbclient login to the same share tells them apart
// (NT_STATUS_LOGON_FAILURE vs NT_STATUS_ACCESS_DENIED). The password goes on smbclient's stdin
// (PASSWD_FD=0), never in argv or the environment.
import type { Exec, SmbServer } from '../types';

export type LoginVerdict =
  { kind: 'ok' } | { kind: 'wrong-password'; reason: string } | { kind: 'account'; reason: string } | { kind: 'no-access'; reason: string } | { kind: 'no-share'; reason: string } | { kind: 'unknown'; reason: string };

export const SMBCLIENT_APT = 'sudo apt-get install smbclient';

export function smbUser(server: SmbServer): string {
  return server.domain ? `${server.domain}/${server.username}` : server.username;
}

export async function checkLogin(exec: Exec, server: SmbServer, share: string, password: string, timeoutMs = 10_000): Promise<LoginVerdict> {
  const r = await exec({ cmd: 'smbclient', args: [`//${server.host}/${share}`, '-U', smbUser(server), '-c', 'exit'], env: { PASSWD_FD: '0' }, stdin: `${password}\n`, timeoutMs });
  const text = `${r.stdout}\n${r.stderr}`;
  if (r.code === null && /cannot start/.test(r.stderr)) return { kind: 'unknown', reason: `smbclient is not installed, so a wrong password cannot be told from a share you may not open (${SMBCLIENT_APT})` };
  if (r.timedOut) return { kind: 'unknown', reason: `the login check got no answer from ${server.host} within ${Math.round(timeoutMs / 1000)} s` };
  if (/NT_STATUS_LOGON_FAILURE|NT_STATUS_WRONG_PASSWORD/.test(text)) return { kind: 'wrong-password', reason: `${server.host} rejected the password of ${server.username}` };
  const account = /NT_STATUS_(ACCOUNT_DISABLED|ACCOUNT_LOCKED_OUT|ACCOUNT_EXPIRED|PASSWORD_EXPIRED|PASSWORD_MUST_CHANGE|ACCOUNT_RESTRICTION)/.exec(text);
  if (account) return { kind: 'account', reason: `${server.host} refuses the account ${server.username} (${account[0]}): the server's administrator must unlock or renew it` };
  if (/NT_STATUS_ACCESS_DENIED|NT_STATUS_NETWORK_ACCESS_DENIED/.test(text))
    return { kind: 'no-access', reason: `${server.host} accepted the login of ${server.username}, but share ${share} does not let this user in (valid users or the folder's permissions on the server)` };
  if (/NT_STATUS_BAD_NETWORK_NAME/.test(text)) return { kind: 'no-share', reason: `share ${share} does not exist on ${server.host}` };
  if (r.code === 0) return { kind: 'ok' };
  return {
    kind: 'unknown',
    reason: (
      text
        .trim()
        .split('\n')
        .find((l) => /NT_STATUS|failed/i.test(l)) ?? `smbclient exited with ${r.code}`
    ).trim(),
  };
}
