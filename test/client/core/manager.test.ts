// The mount manager away from home: the real Linux adapter and the real TCP probe against an
// address where nothing listens. Only the network signature is a stand-in (this machine cannot
// change its gateway or Wi-Fi during a test); the real locator is systeminformation's.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../../support/tmp';
import { sleep } from '../../support/proc';
import { createExec, createFs, smbProbe } from '../../../src/platform/host';
import { createLinuxPlatform } from '../../../src/platform/linux/adapter';
import { MountManager } from '../../../src/main/core/mounts/manager';
import type { PillarStatus } from '../../../src/main/core/mounts/manager';
import { memoryHomeStore, systemNetworkLocator } from '../../../src/main/core/mounts/network';
import { secretsChain } from '../../../src/main/core/secrets';
import { releaseMounts } from '../../support/guarded';

const UNREADABLE = 'unreadable';

describe('mount manager', () => {
  const cleanup = useCleanup();

  const setup = (here: string | null, home: string | null) => {
    const dir = cleanup.tempDir('pillars-mgr-').path;
    mkdirSync(path.join(dir, 'home'));
    cleanup.add(() => releaseMounts(path.join(dir, 'home', '.mkt'))); // lifts the guards before the folder goes
    const platform = createLinuxPlatform({ exec: createExec(), fs: createFs(), home: path.join(dir, 'home'), uid: 0, mountRoot: path.join(dir, 'home', '.mkt'), runtimeDir: path.join(dir, 'run'), links: true });
    let asked = 0;
    const secrets = secretsChain({ cache: null, sources: [{ id: 'stdin', describe: 'counted', get: async () => (asked++, 'x') }] });
    const changes: PillarStatus[][] = [];
    const m = new MountManager({
      platform,
      secrets,
      server: { host: '127.0.0.3', username: 'mike' }, // nothing listens there
      pillars: [
        { id: 'flux', share: 'flux', label: 'Flux' },
        { id: 'space', share: 'space', label: 'Space' },
      ],
      serverProbe: smbProbe,
      network: { signature: async () => (here === UNREADABLE ? Promise.reject(new Error('the network signature could not be read: it did not answer in time')) : here) },
      home: memoryHomeStore(home),
      checkIntervalMs: 200,
      serverTimeoutMs: 300,
    });
    m.onChange((s) => changes.push(s));
    return { m, changes, secretsAsked: () => asked };
  };

  it('away from home is calm: one change per pillar, no mount attempt, no secret fetched', async () => {
    const { m, changes, secretsAsked } = setup('{"gateway":"10.9.9.1"}', '{"gateway":"192.168.1.1"}');
    m.start();
    // the first rounds may be slow on a busy machine: wait for both pillars to settle, then give
    // the manager a few more rounds (checkIntervalMs 200) in which it must stay calm
    const away = () => m.status().every((p) => p.state === 'away');
    for (const t0 = Date.now(); !away() && Date.now() - t0 < 30_000;) await sleep(50);
    await sleep(1_000);
    await m.stop();
    expect(m.status().map((p) => [p.id, p.state])).toEqual([
      ['flux', 'away'],
      ['space', 'away'],
    ]);
    expect(m.status()[0]!.reason).toBe('away from home: 127.0.0.3 is not reachable from this network');
    expect(changes.length).toBe(2);
    expect([...m.attempts.values()]).toEqual([]);
    expect(secretsAsked()).toBe(0);
  });

  it('on the home network an unreachable server is failed-network; with no network at all, away', async () => {
    const home = setup('{"gateway":"192.168.1.1"}', '{"gateway":"192.168.1.1"}');
    expect((await home.m.mount()).map((p) => p.state)).toEqual(['failed-network', 'failed-network']);
    expect(home.secretsAsked()).toBe(0);
    const offline = setup(null, '{"gateway":"192.168.1.1"}');
    expect((await offline.m.check()).map((p) => p.state)).toEqual(['unmounted', 'unmounted']); // not wanted yet
    expect((await offline.m.mount()).map((p) => p.state)).toEqual(['away', 'away']);
  });

  it('a network signature that cannot be read is unknown, not away: an unreachable server stays failed-network', async () => {
    const { m } = setup(UNREADABLE, '{"gateway":"192.168.1.1"}');
    expect((await m.mount()).map((p) => p.state)).toEqual(['failed-network', 'failed-network']);
  });

  it('the real locator: a child that does not answer is an error, not "no network", and is not kept', async () => {
    let asked = 0;
    const answers = [
      { code: null, stdout: '', stderr: '', timedOut: true },
      { code: 1, stdout: '', stderr: 'Error: boom', timedOut: false },
      { code: 0, stdout: '{"gateway":"","ssid":"","iface":""}', stderr: '', timedOut: false },
    ];
    const loc = systemNetworkLocator({ cacheMs: 60_000, exec: async () => answers[asked++]! });
    await expect(loc.signature()).rejects.toThrow(/could not be read: it did not answer in time/);
    expect(loc.known?.()).toBeUndefined();
    await expect(loc.signature()).rejects.toThrow(/could not be read: it exited 1 \(Error: boom\)/);
    expect(loc.known?.()).toBeUndefined();
    // an answer with no gateway and no Wi-Fi is no network at all, and is kept
    expect(await loc.signature()).toBeNull();
    expect(loc.known?.()).toBeNull();
    expect(asked).toBe(3);
  });

  it('the real locator answers with a signature (or null) and caches it', async () => {
    // cached means not asked again (counted at the Exec, not timed: a busy machine is slow either way)
    const exec = createExec();
    let asked = 0;
    const loc = systemNetworkLocator({ cacheMs: 60_000, exec: (req) => (asked++, exec(req)) });
    const a = await loc.signature();
    expect(await loc.signature()).toBe(a);
    expect(asked).toBe(1);
    loc.invalidate?.();
    await loc.signature();
    expect(asked).toBe(2);
    if (a !== null) expect(Object.keys(JSON.parse(a) as object)).toEqual(['gateway', 'ssid', 'iface']);
  });
});
