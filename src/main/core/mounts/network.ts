import { createRequire } from 'node:module';
import type { Exec } from '../../../platform/types';
import { createExec } from '../../../platform/host';

// Where are we? A signature of the current network (default gateway, Wi-Fi SSID, DNS suffix) as
// systeminformation sees it. The manager records it while the server is reachable ("home"); when
// the server stops answering on a network with another signature, the pillars are away, a calm
// state, rather than failed.

export interface NetworkLocator {
  /** null when there is no network at all */
  signature(): Promise<string | null>;
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
 * Electron app the same binary with ELECTRON_RUN_AS_NODE). Answers are cached.
 */
export function systemNetworkLocator(opts: { exec?: Exec; cacheMs?: number; timeoutMs?: number } = {}): NetworkLocator {
  let cached: { at: number; value: string | null } | null = null;
  const exec = opts.exec ?? createExec();
  return {
    async signature() {
      if (cached && Date.now() - cached.at < (opts.cacheMs ?? 30_000)) return cached.value;
      const si = createRequire(import.meta.url).resolve('systeminformation');
      const script = `const si=require(${JSON.stringify(si)});Promise.all([si.networkGatewayDefault().catch(()=>''),si.networkInterfaces().catch(()=>[]),si.wifiConnections().catch(()=>[])]).then(([g,i,w])=>{const l=Array.isArray(i)?i:[i];const d=l.find((x)=>x.default);process.stdout.write(JSON.stringify({gateway:g||'',ssid:w.map((x)=>x.ssid).filter(Boolean).sort().join(','),iface:d?d.iface:''}))})`;
      const r = await exec({ cmd: process.execPath, args: ['-e', script], env: { ELECTRON_RUN_AS_NODE: '1' }, timeoutMs: opts.timeoutMs ?? 10_000 });
      let value: string | null;
      try {
        const j = JSON.parse(r.stdout) as { gateway: string; ssid: string; iface: string };
        value = j.gateway || j.ssid ? JSON.stringify(j) : null;
      } catch {
        value = null; // no answer: treated as no network, never as an error storm
      }
      cached = { at: Date.now(), value };
      return value;
    },
  };
}
