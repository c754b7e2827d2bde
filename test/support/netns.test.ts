// A server inside a network namespace is reachable over the veth link; black-holing makes
// connections hang (not fail), an unreachable route makes them fail at once; stop() leaves nothing behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNetns } from './netns';
import type { Netns } from './netns';
import { startSmbd } from './smbd';
import type { Smbd } from './smbd';
import { tryConnect } from './net';
import { run } from './proc';
import { useCleanup } from './tmp';

const USER = 'pillarsnet1';
const PW = 'across the link';

describe('startNetns', () => {
  const cleanup = useCleanup();
  let net: Netns;
  let smbd: Smbd;

  beforeAll(async () => {
    net = await startNetns();
    cleanup.add(() => net.stop()); // runs last: the namespace outlives the server inside it
    const share = cleanup.tempDir().path;
    smbd = cleanup.track(await startSmbd({ netns: net, users: [{ name: USER, password: PW }], shares: [{ name: 'flux', path: share }] }));
  });
  afterAll(() => cleanup.run());

  it('puts only a private 10.x /30 on the link and runs smbd inside the namespace', async () => {
    expect(net.address).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect(smbd.address).toBe(net.address);
    const inside = await net.exec('ip', ['-4', '-o', 'addr', 'show', 'dev', net.nsIf]);
    expect(inside.stdout).toContain(`${net.address}/30`);
    const ls = await smbd.smbclient('flux', USER, PW, 'ls');
    expect(ls.code, ls.stderr + ls.stdout).toBe(0);
  });

  it('blackhole makes connects hang; unblackhole restores service', async () => {
    await net.blackhole();
    const t0 = Date.now();
    expect(await tryConnect(net.address, 445, 1_000)).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900); // hung until our deadline, not refused
    await net.unblackhole();
    expect(await tryConnect(net.address, 445, 2_000)).toBe(true);
  });

  it('unreachable fails connects at once without leaving the machine; reachable restores', async () => {
    await net.unreachable();
    expect((await run('ip', ['route', 'get', net.address])).stderr).toMatch(/No route to host/);
    const t0 = Date.now();
    expect(await tryConnect(net.address, 445, 3_000)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(1_000);
    await net.reachable();
    expect((await run('ip', ['route', 'get', net.address])).stdout).toContain(`dev ${net.hostIf}`);
    expect((await smbd.smbclient('flux', USER, PW, 'ls')).code).toBe(0);
  });

  it('stop() removes the namespace and both veth ends, idempotently', async () => {
    const other = await startNetns();
    await other.stop();
    await other.stop();
    expect((await run('ip', ['netns', 'list'])).stdout).not.toContain(other.name);
    expect((await run('ip', ['link', 'show', other.hostIf])).code).not.toBe(0);
  });
});
