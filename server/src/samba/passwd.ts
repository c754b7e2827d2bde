// `pillarsd samba passwd USER [--rotate]`: Samba's password for USER comes from the user's secret
// (Key Vault in production). --rotate writes a new random version to the vault first, then to
// Samba; clients heal by fetching the secret again. The password reaches smbpasswd on stdin only.
import { randomBytes } from 'node:crypto';
import type { SambaHost } from './host';
import { checkUserName } from './values';

export interface PasswordSecret {
  /** Where the secret lives, for messages (a reference, never a value). */
  readonly ref: string;
  get(): Promise<string>;
  /** Writes a new version (only vault-backed secrets can). */
  set?(value: string): Promise<void>;
}

export class PasswdError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'PasswdError';
  }
}

/** 32 characters from a URL-safe alphabet: typeable, no quoting trouble on any client. */
function generateSmbPassword(): string {
  return randomBytes(24).toString('base64url');
}

export interface PasswdDeps {
  host: Pick<SambaHost, 'setSmbPassword' | 'userExists'>;
  configFile: string;
  secret: PasswordSecret;
  generate?: () => string;
}

export async function setSmbPasswordFromSecret(d: PasswdDeps, user: string, opts: { rotate?: boolean } = {}): Promise<{ rotated: boolean }> {
  const bad = checkUserName(user);
  if (bad) throw new PasswdError(`USER: ${bad}`, 2);
  if (!(await d.host.userExists(user))) throw new PasswdError(`USER: '${user}' is not a Unix account on this machine (create it first: useradd -M -s /usr/sbin/nologin ${user})`, 2);
  let password: string;
  if (opts.rotate) {
    if (!d.secret.set) throw new PasswdError(`--rotate needs a vault secret it can write (akv://…); ${d.secret.ref} is read-only`, 2);
    password = (d.generate ?? generateSmbPassword)();
    try {
      await d.secret.set(password);
    } catch (e) {
      throw new PasswdError(`could not write a new version of ${d.secret.ref}; nothing was changed: ${(e as Error).message}`, 1);
    }
  } else {
    try {
      password = await d.secret.get();
    } catch (e) {
      throw new PasswdError(`could not read ${d.secret.ref}: ${(e as Error).message}`, 1);
    }
  }
  if (!password || /[\r\n\0]/.test(password)) throw new PasswdError(`the secret ${d.secret.ref} is empty or contains a line break; smbpasswd reads one line`, 1);
  const r = await d.host.setSmbPassword(d.configFile, user, password);
  if (r.code !== 0) {
    const why =
      (r.stderr || r.stdout)
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .pop() ?? `exit ${r.code}`;
    const safe = why.replaceAll(password, '***');
    throw new PasswdError(opts.rotate ? `the vault holds the new password but smbpasswd failed (${safe}); run 'pillarsd samba passwd ${user}' to set Samba from the vault` : `smbpasswd failed for ${user}: ${safe}`, 1);
  }
  return { rotated: !!opts.rotate };
}
