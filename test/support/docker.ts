// A private, real docker daemon for tests (docker.io 20.10 from Debian): its data, its runtime state
// and its socket in a temp folder of its own, its own containerd namespace, no bridge network and no
// iptables rules, so it meets no other docker on the machine and changes nothing outside its folder.
// There is no registry here: the one image is imported from the host's own dash and sleep and the
// libraries they load (enough for a container that keeps writing a file).
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { run, runOk, sleep, stopGroup, tail } from './proc';
import type { CleanupRegistry } from './tmp';

export interface Docker {
  /** DOCKER_HOST for the docker CLI (and for hooks that call it) */
  host: string;
  /** the image imported from the host's binaries: /bin/sh and /bin/sleep */
  image: string;
  /** runs the docker CLI against this daemon; throws naming the command when it fails */
  cli(...args: string[]): Promise<string>;
}

const IMAGE = 'pillars-test/sh:1';
/** Debian's CLI by its path: a machine may have another docker earlier on PATH (/usr/local/bin). */
export const DOCKER_CLI = '/usr/bin/docker';

/** The libraries a dynamically linked program loads, as ldd names them. */
async function librariesOf(program: string): Promise<string[]> {
  const { stdout } = await runOk('ldd', [program]);
  return [...stdout.matchAll(/(\/\S+)/g)].map((m) => m[1]!);
}

export async function startDocker(reg: CleanupRegistry): Promise<Docker> {
  const dir = reg.tempDir('pillars-docker-').path;
  const sock = path.join(dir, 'docker.sock');
  const host = `unix://${sock}`;
  const out = tail();
  const daemon = spawn(
    'dockerd',
    [
      `--data-root=${path.join(dir, 'data')}`,
      `--exec-root=${path.join(dir, 'exec')}`,
      `--pidfile=${path.join(dir, 'docker.pid')}`,
      `--host=${host}`,
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      // vfs needs no kernel support beyond a plain folder (overlay may be missing or nested)
      '--storage-driver=vfs',
      `--containerd-namespace=pillars-test-${path.basename(dir)}`,
      `--containerd-plugins-namespace=pillars-test-${path.basename(dir)}-plugins`,
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  daemon.stdout.on('data', out.push);
  daemon.stderr.on('data', out.push);
  const cli = async (...args: string[]) => (await runOk(DOCKER_CLI, [`--host=${host}`, ...args])).stdout.trim();
  // Registered before the daemon answers, so a start that fails half-way is still cleaned up. The
  // containers go first: their shims would otherwise outlive the daemon.
  reg.add(async () => {
    if (daemon.exitCode === null) {
      const ids = (await run(DOCKER_CLI, [`--host=${host}`, 'ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await run(DOCKER_CLI, [`--host=${host}`, 'rm', '-f', ...ids]);
    }
    await stopGroup(daemon, 20_000);
    // a network namespace or shm a container left mounted under the folder would stop its removal
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4])
      .filter((m): m is string => !!m && m.startsWith(`${dir}/`))
      .sort()
      .reverse();
    for (const m of mounts) await run('umount', ['-l', m]);
  });
  // ready when the CLI gets an answer; slow on a loaded machine, never forever
  for (let i = 0; ; i++) {
    if (daemon.exitCode !== null) throw new Error(`dockerd exited ${daemon.exitCode} before answering:\n${out.text()}`);
    if ((await run(DOCKER_CLI, [`--host=${host}`, 'version', '--format', '{{.Server.Version}}'])).code === 0) break;
    if (i === 600) throw new Error(`dockerd did not answer within 60 s:\n${out.text()}`);
    await sleep(100);
  }

  const rootfs = path.join(dir, 'rootfs');
  for (const [from, to] of [
    ['/usr/bin/dash', 'bin/sh'],
    ['/usr/bin/sleep', 'bin/sleep'],
  ] as const) {
    mkdirSync(path.join(rootfs, path.dirname(to)), { recursive: true });
    copyFileSync(from, path.join(rootfs, to));
    for (const lib of await librariesOf(from)) {
      mkdirSync(path.join(rootfs, path.dirname(lib)), { recursive: true });
      copyFileSync(lib, path.join(rootfs, lib));
    }
  }
  mkdirSync(path.join(rootfs, 'data'));
  await runOk('sh', ['-c', 'tar -C "$1" -c . | "$4" --host="$2" import - "$3"', 'sh', rootfs, host, IMAGE, DOCKER_CLI]);
  return { host, image: IMAGE, cli };
}
