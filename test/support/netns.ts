// A network namespace joined to the host by a veth pair, so a test can put a server "across the
// network" and then cut or black-hole that network (FIELD-NOTES: "A network namespace with a veth
// pair also works and lets tests black-hole the server").
//
// Addresses: one random 10.a.b.c/30 point-to-point link that exists only on this machine, only
// while the helper runs: 10.a.b.(c+1) on the host end, 10.a.b.(c+2) inside the namespace. It is
// checked against every address and route already on the host and never overlaps one. No other
// address, route or firewall rule is touched, and `stop()` deletes the namespace and both ends.
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { run, runOk } from './proc';
import type { RunOptions, RunResult } from './proc';
import { onProcessExit, once } from './tmp';

export interface Netns {
  /** namespace name (for `ip netns exec NAME …`) */
  readonly name: string;
  /** the veth end on the host and the one inside the namespace */
  readonly hostIf: string;
  readonly nsIf: string;
  /** the host end's address (what the namespace sees the host as) */
  readonly hostAddress: string;
  /** the address inside the namespace: bind servers here */
  readonly address: string;
  /** argv prefix that runs a command inside the namespace: ['ip', 'netns', 'exec', NAME] */
  readonly execPrefix: readonly string[];
  /** runs a command inside the namespace */
  exec(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /**
   * Silently drops everything the namespace sends to the host (a blackhole route for the host's
   * address inside the namespace): connects and open connections hang instead of failing.
   */
  blackhole(): Promise<void>;
  /** removes the blackhole */
  unblackhole(): Promise<void>;
  /**
   * Makes the namespace unreachable from the host with an `unreachable` route for its address:
   * connects fail at once (EHOSTUNREACH). Deliberately not `ip link set … down`: with the link
   * down the host's default route would carry packets for 10.x out of the machine.
   */
  unreachable(): Promise<void>;
  reachable(): Promise<void>;
  /** deletes the namespace and the veth pair. Idempotent. Stop servers inside it first. */
  stop(): Promise<void>;
}

function toInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

/** CIDRs (a.b.c.d/len) of every IPv4 address and route on the host, default route excluded. */
async function hostPrefixes(): Promise<Array<[number, number]>> {
  const out = (await runOk('ip', ['-4', '-o', 'addr', 'show'])).stdout + (await runOk('ip', ['-4', 'route', 'show', 'table', 'all'])).stdout;
  const res: Array<[number, number]> = [];
  for (const m of out.matchAll(/(?<![\d.])(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?/g)) {
    const len = m[2] === undefined ? 32 : Number(m[2]);
    res.push([toInt(m[1] ?? '0.0.0.0'), len]);
  }
  return res;
}

function overlaps(a: [number, number], b: [number, number]): boolean {
  const len = Math.min(a[1], b[1]);
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  return (a[0] & mask) >>> 0 === (b[0] & mask) >>> 0;
}

/** Creates the namespace and the link; resolves once both ends are up. */
export async function startNetns(): Promise<Netns> {
  const id = randomBytes(3).toString('hex');
  const name = `pillars-${id}`;
  const hostIf = `pv${id}h`;
  const nsIf = `pv${id}n`;
  const taken = await hostPrefixes();
  let base = 0;
  for (let i = 0; i < 100 && !base; i++) {
    const cand = toInt(`10.${randomInt(64, 255)}.${randomInt(0, 256)}.${randomInt(0, 64) * 4}`);
    if (!taken.some((t) => overlaps(t, [cand, 30]))) base = cand;
  }
  if (!base) throw new Error('netns helper: no free 10.x.y.z/30 that overlaps nothing on the host');
  const ip = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  const hostAddress = ip(base + 1);
  const address = ip(base + 2);

  const teardown = () => {
    for (const args of [
      ['netns', 'del', name],
      ['link', 'del', hostIf],
      ['route', 'del', 'unreachable', `${address}/32`],
    ]) {
      try {
        execFileSync('ip', args, { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  };
  const unregister = onProcessExit(teardown);
  const ns = (...args: string[]) => runOk('ip', ['netns', 'exec', name, 'ip', ...args]);
  try {
    await runOk('ip', ['netns', 'add', name]);
    await runOk('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    await runOk('ip', ['link', 'set', nsIf, 'netns', name]);
    await runOk('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', hostIf]);
    await runOk('ip', ['link', 'set', hostIf, 'up']);
    await ns('addr', 'add', `${address}/30`, 'dev', nsIf);
    await ns('link', 'set', nsIf, 'up');
    await ns('link', 'set', 'lo', 'up');
  } catch (e) {
    teardown();
    unregister();
    throw e;
  }
  const execPrefix = ['ip', 'netns', 'exec', name] as const;
  return {
    name,
    hostIf,
    nsIf,
    hostAddress,
    address,
    execPrefix,
    exec: (cmd, args, opts) => run('ip', ['netns', 'exec', name, cmd, ...args], opts),
    blackhole: async () => {
      await ns('route', 'replace', 'blackhole', `${hostAddress}/32`);
    },
    unblackhole: async () => {
      await ns('route', 'del', 'blackhole', `${hostAddress}/32`);
    },
    unreachable: async () => {
      await runOk('ip', ['route', 'replace', 'unreachable', `${address}/32`]);
    },
    reachable: async () => {
      await runOk('ip', ['route', 'del', 'unreachable', `${address}/32`]);
    },
    stop: once(async () => {
      teardown();
      unregister();
    }),
  };
}
