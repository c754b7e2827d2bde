// Network changes from the OS: the default route out of /proc/net/route, this machine's real
// fingerprint, and the watch that turns a change of it into one call (a nudge of the mounts).
import { describe, expect, it } from 'vitest';
import { defaultGateway, networkFingerprint } from '../../../src/platform/host/netif';
import { watchNetwork } from '../../../src/main/core/mounts/network';
import { sleep } from '../../support/proc';

describe('network changes', () => {
  it('reads the default route from /proc/net/route (little-endian hex)', () => {
    const table = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0',
      'wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0',
    ].join('\n');
    expect(defaultGateway(table)).toBe('wlan0 192.168.1.1');
    expect(defaultGateway(table.split('\n').slice(0, 2).join('\n'))).toBe(''); // no default route
  });

  it("this machine's fingerprint names its interfaces and is stable while nothing changes", async () => {
    const a = await networkFingerprint();
    expect(JSON.parse(a)).toMatchObject({ ifs: expect.any(Array), route: expect.any(String) });
    expect(await networkFingerprint()).toBe(a);
  });

  it('calls once per change, never for the first reading, and stops', async () => {
    let value = 'home';
    let calls = 0;
    const stop = watchNetwork({ read: async () => value, onChange: () => calls++, everyMs: 20 });
    await sleep(100);
    expect(calls).toBe(0);
    value = 'vpn';
    await sleep(100);
    expect(calls).toBe(1);
    value = 'cafe';
    await sleep(100);
    expect(calls).toBe(2);
    stop();
    value = 'home';
    await sleep(100);
    expect(calls).toBe(2);
  });
});
