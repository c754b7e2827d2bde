// Background load for hunting flaky tests (issue 13): both cores kept busy by pinned loops, other
// smbd instances on loopback addresses of their own, and a FUSE mount (smbnetfs) of one of them that
// is read all the time, as other engineers' tests do on this shared machine. Run it next to the suite:
//
//   node --import tsx test/support/load.ts &    # prints what it started; SIGTERM stops and removes it all
//   flock /work/.suite.lock npx vitest run; kill %1
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { killGroup, run, sleep } from './proc';
import { startSmbd, type Smbd } from './smbd';
import { spawnProcess } from './cli';
import { cleanupRegistry } from './tmp';

export interface BackgroundLoad {
  /** pids of the busy loops, one per core asked for */
  busyPids: number[];
  smbds: Smbd[];
  /** the FUSE mount point (shares at MOUNT/ADDRESS/load), or null without one */
  mount: string | null;
  /** reads done through the mount and the other smbd so far, and how many failed */
  reads(): { ok: number; failed: number };
  stop(): Promise<void>;
}

export interface LoadOptions {
  /** cores to pin a busy loop on (default: 0 and 1) */
  cores?: number[];
  /** smbd instances (default 2) */
  smbds?: number;
  /** mount the first one through smbnetfs and keep reading it (default true) */
  mount?: boolean;
}

const USER = 'pillarsload';
const PW = 'load pw';

export async function startBackgroundLoad(o: LoadOptions = {}): Promise<BackgroundLoad> {
  const reg = cleanupRegistry();
  const busy: ChildProcess[] = [];
  let ticker: NodeJS.Timeout | undefined;
  const counts = { ok: 0, failed: 0 };
  try {
    for (const core of o.cores ?? [0, 1]) {
      const c = spawn('taskset', ['-c', String(core), 'sh', '-c', 'while :; do :; done'], { detached: true, stdio: 'ignore' });
      busy.push(c);
      reg.add(() => void (c.pid && killGroup(c.pid, 'SIGKILL')));
    }
    const smbds: Smbd[] = [];
    for (let i = 0; i < (o.smbds ?? 2); i++) {
      const share = reg.tempDir('pillars-load-share-').path;
      writeFileSync(path.join(share, 'data.bin'), Buffer.alloc(256 * 1024, i));
      smbds.push(reg.track(await startSmbd({ users: [{ name: USER, password: PW }], shares: [{ name: 'load', path: share }] })));
    }
    let mount: string | null = null;
    if ((o.mount ?? true) && smbds[0]) {
      const home = reg.tempDir('pillars-load-fuse-').path;
      mkdirSync(path.join(home, '.smb'));
      mount = path.join(home, 'mnt');
      mkdirSync(mount);
      writeFileSync(path.join(home, '.smb', 'smbnetfs.conf'), 'smb_query_browsers "false"\ninclude "smbnetfs.auth"\n');
      writeFileSync(path.join(home, '.smb', 'smbnetfs.auth'), `auth "${smbds[0].address}" "${USER}" "${PW}"\n`, { mode: 0o600 });
      const fuse = spawnProcess('smbnetfs', [mount, '-f', '-o', 'smb_timeout=3000,reply_timeout=10,max_retry_count=1'], { env: { HOME: home } });
      const mnt = mount;
      reg.add(async () => {
        await run('fusermount', ['-u', '-z', mnt], { timeoutMs: 10_000 });
        await fuse.stop();
      });
      for (let i = 0; i < 200 && !readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${mount} `); i++) await sleep(50);
      if (!readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${mount} `)) throw new Error(`smbnetfs did not mount ${mount}: ${fuse.stderr()}`);
    }
    // keep the mount and the other instances working: a read through FUSE (in a child with a
    // deadline: a hung call must not pin this process) and a listing over SMB every second
    let busyReading = false;
    const target = mount && smbds[0] ? path.join(mount, smbds[0].address, 'load', 'data.bin') : null;
    ticker = setInterval(() => {
      if (busyReading) return;
      busyReading = true;
      const reads = [
        ...(target ? [run('cat', [target], { timeoutMs: 10_000 }).then((r) => r.code === 0 && r.stdout.length > 0)] : []),
        ...smbds.slice(1).map((s) => s.smbclient('load', USER, PW, 'ls').then((r) => r.code === 0)),
      ];
      void Promise.all(reads.map((p) => p.catch(() => false))).then((oks) => {
        for (const ok of oks) counts[ok ? 'ok' : 'failed']++;
        busyReading = false;
      });
    }, 1_000);
    return {
      busyPids: busy.map((c) => c.pid!),
      smbds,
      mount,
      reads: () => ({ ...counts }),
      stop: async () => {
        clearInterval(ticker);
        await reg.run();
      },
    };
  } catch (e) {
    clearInterval(ticker);
    await reg.run();
    throw e;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const load = await startBackgroundLoad();
  process.stdout.write(`load running (pid ${process.pid}): busy loops ${load.busyPids.join(', ')} on cores 0 and 1; smbd at ${load.smbds.map((s) => s.address).join(', ')}; FUSE mount ${load.mount}\n`);
  const stop = async () => {
    const r = load.reads();
    await load.stop();
    process.stdout.write(`load stopped: ${r.ok} reads ok, ${r.failed} failed\n`);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}
