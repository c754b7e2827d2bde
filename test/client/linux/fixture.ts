// Shared by the client tests that mount real shares: a tidy-up that never deletes through a live
// mount (a recursive rm there would delete the server's files) and never waits on a hung one.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { parseMountinfo } from '../../../src/platform/linux/mountinfo';

export function fuseMountsUnder(root: string): Array<{ mountPoint: string; minor: number; source: string }> {
  return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'))
    .filter((e) => e.fsType.startsWith('fuse') && (e.mountPoint === root || e.mountPoint.startsWith(`${root}/`)))
    .map((e) => ({ mountPoint: e.mountPoint, minor: e.minor, source: e.source }));
}

/** Aborts, lazily unmounts every FUSE mount under root, and lifts our immutable guards. */
export function releaseMounts(root: string): void {
  for (const m of fuseMountsUnder(root).reverse()) {
    try {
      execFileSync('tee', [`/sys/fs/fuse/connections/${m.minor}/abort`], { input: '1', stdio: ['pipe', 'ignore', 'ignore'], timeout: 2_000 });
    } catch {
      /* fusectl may be absent; the lazy unmount still detaches */
    }
    try {
      execFileSync('fusermount', ['-u', '-z', '--', m.mountPoint], { stdio: 'ignore', timeout: 5_000 });
    } catch {
      /* already gone */
    }
  }
  try {
    execFileSync('chattr', ['-R', '-i', '--', root], { stdio: 'ignore', timeout: 5_000 });
  } catch {
    /* nothing guarded */
  }
  try {
    for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[0] === 'smbnetfs' && argv[1]?.startsWith(`${root}/`)) process.kill(Number(pid), 'SIGKILL');
    }
  } catch {
    /* a process vanished while we looked */
  }
}

export function isImmutable(dir: string): boolean {
  const out = execFileSync('lsattr', ['-d', '--', dir], { encoding: 'utf8', timeout: 5_000 });
  return /^\S*i\S*\s/.test(out);
}
