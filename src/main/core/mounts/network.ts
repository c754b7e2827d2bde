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

/** The real locator. systeminformation spawns helpers (ip, iw, nmcli), so answers are cached. */
export function systemNetworkLocator(opts: { cacheMs?: number } = {}): NetworkLocator {
  let cached: { at: number; value: string | null } | null = null;
  return {
    async signature() {
      if (cached && Date.now() - cached.at < (opts.cacheMs ?? 30_000)) return cached.value;
      const si = await import('systeminformation');
      const [gateway, ifaces, wifi] = await Promise.all([
        si.networkGatewayDefault().catch(() => ''),
        si.networkInterfaces().catch(() => []),
        si.wifiConnections().catch(() => []),
      ]);
      const list = Array.isArray(ifaces) ? ifaces : [ifaces];
      const def = list.find((i) => i.default) ?? null;
      const ssid = wifi.map((w) => w.ssid).filter(Boolean).sort().join(',');
      const value = gateway || ssid ? JSON.stringify({ gateway, ssid, iface: def?.iface ?? '' }) : null;
      cached = { at: Date.now(), value };
      return value;
    },
  };
}
