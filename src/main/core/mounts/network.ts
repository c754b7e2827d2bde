import { createRequire } from 'node:module';
import type { Exec } from '../../../platform/types';
import { createExec } from '../../../platform/host';

// Where are we? A signature of the current network (default gateway, Wi-Fi SSID, DNS suffix) as
// systeminformation sees it. The manager records it while the server is reachable ("home"); when
// the server stops answering on a network with another signature, the pillars are away, a calm
// state, rather than failed.

export interface NetworkLocator {
  /** null when there is no network at all; rejects when the signature could not be read (unknown) */
  signature(): Promise<string | null>;
  /** The network changed (the OS said so): the next signature is read afresh. */
  invalidate?(): void;
  /** The last signature read, without waiting (undefined: none read yet or it is stale). */
  known?(): string | null | undefined;
}

export interface HomeNetworkStore {
  get(): string | null;
  set(signature: string): void;
}

export function memoryHomeStore(initial: string | null = null): HomeNetworkStore {
  let v = initial;
  return { get: () => v, set: (s) => void (v = s) };
}

/**
 * The real locator. systeminformation runs its helpers (ip, nmcli, iwgetid) with execSync, which
 * would block the core's event loop, so it runs in a child Node process with a deadline (in the
 * Electron app the same binary with ELECTRON_RUN_AS_NODE). Its answer stands until the network
 * changes (watchNetwork calls invalidate) or an hour passes: a Node child is the dearest thing the
 * core starts, and the answer only changes with the network.
 */
export function systemNetworkLocator(opts: { exec?: Exec; cacheMs?: number; timeoutMs?: number } = {}): NetworkLocator {
  let cached: { at: number; value: string | null } | null = null;
  const exec = opts.exec ?? createExec();
  return {
    invalidate() {
      cached = null;
    },
    known() {
      return cached && Date.now() - cached.at < (opts.cacheMs ?? 3_600_000) ? cached.value : undefined;
    },
    async signature() {
      if (cached && Date.now() - cached.at < (opts.cacheMs ?? 3_600_000)) return cached.value;
      const si = createRequire(import.meta.url).resolve('systeminformation');
      const script = `const si=require(${JSON.stringify(si)});Promise.all([si.networkGatewayDefault().catch(()=>''),si.networkInterfaces().catch(()=>[]),si.wifiConnections().catch(()=>[])]).then(([g,i,w])=>{const l=Array.isArray(i)?i:[i];const d=l.find((x)=>x.default);process.stdout.write(JSON.stringify({gateway:g||'',ssid:w.map((x)=>x.ssid).filter(Boolean).sort().join(','),iface:d?d.iface:''}))})`;
      const r = await exec({ cmd: process.execPath, args: ['-e', script], env: { ELECTRON_RUN_AS_NODE: '1' }, timeoutMs: opts.timeoutMs ?? 10_000 });
      // No answer (a deadline missed on a loaded machine, a crash) is not "no network": read as that,
      // a dead server at home would show as a calm "away" for the hour the answer is kept. It is
      // unknown: nothing is kept, and the caller decides without it.
      type Answer = { gateway?: unknown; ssid?: unknown; iface?: unknown };
      let j: Answer | null;
      try {
        j = r.code === 0 && !r.timedOut ? (JSON.parse(r.stdout) as Answer | null) : null;
      } catch {
        j = null;
      }
      if (!j || typeof j !== 'object') {
        const why = r.timedOut ? 'it did not answer in time' : r.code !== 0 ? `it exited ${r.code ?? 'on a signal'}` : 'its answer was not JSON';
        throw new Error(`the network's signature could not be read: ${why}${r.stderr.trim() ? ` (${r.stderr.trim().slice(0, 200)})` : ''}`);
      }
      const value = j.gateway || j.ssid ? JSON.stringify(j) : null;
      cached = { at: Date.now(), value };
      return value;
    },
  };
}

/**
 * Follows the OS's view of the network (interfaces, addresses, default route: `read`, cheap and
 * in-process) every few seconds and calls onChange when it moves: a Wi-Fi or VPN change reaches
 * the mounts at once instead of after their backoff. Returns the stop.
 */
export function watchNetwork(o: { read: () => Promise<string>; onChange: () => void; everyMs?: number }): () => void {
  let last: string | null = null;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const tick = async () => {
    const now = await o.read().catch(() => last);
    if (stopped) return;
    if (last !== null && now !== last) o.onChange();
    last = now;
    timer = setTimeout(() => void tick(), o.everyMs ?? 3_000);
    timer.unref?.();
  };
  void tick();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
