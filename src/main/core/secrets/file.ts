// `pillars watch --password-file FILE`: the SMB password from a file, for a headless host with no
// keychain (an SSH box, a systemd user service). Refused unless only its owner can read it (mode
// 0600 or stricter, owned by this user): a password other users can read is not a secret, and a
// file that looks private but belongs to someone else could be swapped. The first line is the password.
import { promises as fsp } from 'node:fs';
import { SecretSourceError } from './types';
import type { SecretSource } from './types';

/** Why FILE may not hold a password (null when it may). Checked at start, and again at each read. */
export async function passwordFileProblem(file: string): Promise<string | null> {
  let st;
  try {
    st = await fsp.stat(file);
  } catch (e) {
    return `cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`;
  }
  if (!st.isFile()) return `${file} is not a file`;
  if (process.platform === 'win32') return null; // NTFS: the user's profile folders are private by ACL
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return `${file} belongs to another user (uid ${st.uid}): it must be yours and mode 0600`;
  if ((st.mode & 0o077) !== 0) return `${file} has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}: other users could read the password; run chmod 600 ${file}`;
  return null;
}

export function passwordFileSource(file: string): SecretSource {
  return {
    id: 'file',
    describe: `password file ${file}`,
    async get() {
      const problem = await passwordFileProblem(file);
      if (problem) throw new SecretSourceError('file', `refusing it: ${problem}`);
      const line = ((await fsp.readFile(file, 'utf8')).split(/\r?\n/)[0] ?? '').trimEnd();
      if (!line) throw new SecretSourceError('file', `${file} is empty`);
      return line;
    },
  };
}
