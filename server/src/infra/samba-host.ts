// The machine side of Samba management: files (atomic replace), testparm, smbcontrol, smbpasswd
// and smbclient. Secrets reach smbpasswd on stdin and smbclient through PASSWD, never argv.
import { constants as fsc, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Exec } from './exec';
import type { SambaHost, ShareProbe, ToolResult } from '../samba/host';

export interface SambaHostOptions {
  exec: Exec;
  testparmBin?: string;
  smbcontrolBin?: string;
  smbpasswdBin?: string;
  smbdBin?: string;
  env?: Record<string, string | undefined>;
}

const TOOL_TIMEOUT_MS = 30_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function writeFileAtomic(path: string, text: string | Buffer, defaultMode = 0o644): Promise<void> {
  let mode = defaultMode;
  try {
    mode = (await fs.stat(path)).mode & 0o7777;
  } catch {
    /* new file */
  }
  const tmp = join(dirname(path), `.${basename(path)}.pillars-${process.pid}-${randomBytes(4).toString('hex')}`);
  const fh = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, mode);
  try {
    await fh.writeFile(text);
    await fh.chmod(mode);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  // The rename is durable only once the folder's entry is on disk.
  const dh = await fs.open(dirname(path), fsc.O_RDONLY);
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

export function createSambaHost(opts: SambaHostOptions): SambaHost {
  const env = opts.env ?? { PATH: process.env.PATH, LANG: 'C' };
  const run = async (cmd: string, args: string[], stdin?: string): Promise<ToolResult> => {
    const r = await opts.exec({ cmd, args, env, stdin, timeoutMs: TOOL_TIMEOUT_MS });
    return { code: r.timedOut ? null : r.code, stdout: r.stdout, stderr: r.timedOut ? `${cmd} timed out\n${r.stderr}` : r.stderr };
  };
  return {
    async readText(path) {
      try {
        return await fs.readFile(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    writeAtomic: (path, text) => writeFileAtomic(path, text),
    async mkdirp(path) {
      await fs.mkdir(path, { recursive: true, mode: 0o700 });
    },
    async list(dir) {
      try {
        return await fs.readdir(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw e;
      }
    },
    async remove(path) {
      await fs.rm(path, { force: true });
    },
    async isFile(path) {
      try {
        return (await fs.stat(path)).isFile();
      } catch {
        return false;
      }
    },
    async avahiHostName() {
      try {
        return await run('dbus-send', ['--system', '--print-reply', '--reply-timeout=5000', '--dest=org.freedesktop.Avahi', '/', 'org.freedesktop.Avahi.Server.GetHostName']);
      } catch {
        return null;
      }
    },
    async avahiBrowse(type) {
      try {
        return await run('avahi-browse', ['--parsable', '--resolve', '--terminate', '--no-db-lookup', type]);
      } catch {
        return null;
      }
    },
    async smbdBuildInfo() {
      try {
        return await run(opts.smbdBin ?? 'smbd', ['-b']);
      } catch {
        return null; // not installed: the exec could not start it
      }
    },
    async isDirectory(path) {
      try {
        return (await fs.stat(path)).isDirectory();
      } catch {
        return false;
      }
    },
    async userExists(name) {
      const r = await opts.exec({ cmd: 'getent', args: ['passwd', name], env, timeoutMs: 10_000 });
      return r.code === 0 && r.stdout.startsWith(`${name}:`);
    },
    async tempDir() {
      const path = await fs.mkdtemp(join(tmpdir(), 'pillars-samba-'));
      return { path, cleanup: () => fs.rm(path, { recursive: true, force: true }) };
    },
    async lock(path) {
      await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 });
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          const fh = await fs.open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
          await fh.writeFile(String(process.pid));
          await fh.close();
          return async () => {
            await fs.rm(path, { force: true });
          };
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
          const pid = Number((await fs.readFile(path, 'utf8').catch(() => '')).trim());
          if (pid > 0 && pid !== process.pid && isAlive(pid)) return null;
          // Left by a process that died (or unreadable): take it over once.
          await fs.rm(path, { force: true });
        }
      }
      return null;
    },
    testparm: (confPath) => run(opts.testparmBin ?? 'testparm', ['-s', confPath]),
    reload: (configFile) => run(opts.smbcontrolBin ?? 'smbcontrol', [`--configfile=${configFile}`, 'smbd', 'reload-config']),
    setSmbPassword: (configFile, user, password) => run(opts.smbpasswdBin ?? 'smbpasswd', ['-c', configFile, '-s', '-a', user], `${password}\n${password}\n`),
  };
}

export interface SmbclientProbeOptions {
  exec: Exec;
  host: string;
  user: string;
  /** Resolved at check time so a rotated password is picked up. */
  password: () => Promise<string>;
  configFile?: string;
  smbclientBin?: string;
}

/** Lists each share's root with smbclient; the password travels in PASSWD, never argv. */
export function createSmbclientProbe(o: SmbclientProbeOptions): ShareProbe {
  return {
    async check(shares) {
      const problems: Array<{ share: string; problem: string }> = [];
      const password = await o.password();
      for (const share of shares) {
        const args = [`//${o.host}/${share}`, '-U', o.user, '-c', 'ls'];
        if (o.configFile) args.push('-s', o.configFile);
        const r = await o.exec({ cmd: o.smbclientBin ?? 'smbclient', args, env: { PATH: process.env.PATH, PASSWD: password, LANG: 'C' }, timeoutMs: 20_000 });
        if (r.code !== 0) {
          const why = (r.stdout + r.stderr).split('\n').find((l) => /NT_STATUS|failed|error/i.test(l)) ?? `exit ${r.code}`;
          problems.push({ share, problem: `share ${share} does not answer: ${why.trim().replaceAll(password, '***')}` });
        }
      }
      return problems;
    },
  };
}
