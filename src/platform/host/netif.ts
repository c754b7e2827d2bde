// A cheap fingerprint of where this machine is on the network, read in-process every few seconds:
// the up interfaces with their IPv4 addresses (a new Wi-Fi lease, a VPN's tunnel, a cable) and, on
// Linux, the default route from /proc/net/route. No child, no blocking call: getifaddrs() and one
// small procfs read. What it feeds is change detection only; the home network's signature (with
// the Wi-Fi SSID) is systeminformation's, read in a child when this fingerprint changes.
import os from 'node:os';
import { readFileSync } from 'node:fs';

/** The gateway of the default route, from /proc/net/route's hex fields (little-endian); '' elsewhere. */
export function defaultGateway(routeTable: string): string {
  for (const line of routeTable.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] !== '00000000' || f[7] !== '00000000' || !f[2]) continue; // destination and mask 0: the default route
    const n = parseInt(f[2], 16);
    return `${f[0]} ${[n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff].join('.')}`;
  }
  return '';
}

export async function networkFingerprint(): Promise<string> {
  const ifs = Object.entries(os.networkInterfaces())
    .flatMap(([name, addrs]) => (addrs ?? []).filter((a) => !a.internal && a.family === 'IPv4').map((a) => `${name}=${a.address}/${a.netmask}`))
    .sort();
  let table = '';
  try {
    if (process.platform === 'linux') table = readFileSync('/proc/net/route', 'utf8'); // procfs: never waits
  } catch {
    /* no procfs: the interfaces alone */
  }
  const route = defaultGateway(table);
  return JSON.stringify({ ifs, route });
}
