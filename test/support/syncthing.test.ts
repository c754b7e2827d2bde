// Two real Syncthing instances on 127.0.0.1: the REST API answers, and a file written in A's
// folder appears in B's.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pairSyncthing, startSyncthing } from './syncthing';
import { sleep } from './proc';
import { useCleanup } from './tmp';

describe('startSyncthing', () => {
  const cleanup = useCleanup();

  it('answers REST status with its own device id, and stays off the network', async () => {
    const st = cleanup.track(await startSyncthing());
    const status = await st.api<{ myID: string }>('GET', '/rest/system/status');
    expect(status.myID).toBe(st.deviceId);
    const opts = await st.api<{ globalAnnounceEnabled: boolean; localAnnounceEnabled: boolean; relaysEnabled: boolean; natEnabled: boolean; urAccepted: number; listenAddresses: string[] }>('GET', '/rest/config/options');
    expect(opts).toMatchObject({ globalAnnounceEnabled: false, localAnnounceEnabled: false, relaysEnabled: false, natEnabled: false, urAccepted: -1 });
    expect(opts.listenAddresses).toEqual([st.listenAddress]);
    await expect(fetch(`${st.url}/rest/system/status`)).resolves.toMatchObject({ status: 403 });
  });

  it('syncs a file written in A to B', async () => {
    const [a, b] = await Promise.all([startSyncthing({ name: 'a' }), startSyncthing({ name: 'b' })]);
    cleanup.track(a);
    cleanup.track(b);
    const root = cleanup.tempDir().path;
    const pa = path.join(root, 'a');
    const pb = path.join(root, 'b');
    await pairSyncthing(a, b, 'hot', pa, pb);
    writeFileSync(path.join(pa, 'note.md'), 'written in A\n');
    await a.scan('hot');
    const target = path.join(pb, 'note.md');
    const deadline = Date.now() + 30_000;
    while (!existsSync(target) && Date.now() < deadline) await sleep(100);
    expect(readFileSync(target, 'utf8')).toBe('written in A\n');
  });

  it('down() refuses connections and keeps the home; up() comes back on the same URL with its folders', async () => {
    const st = cleanup.track(await startSyncthing());
    const folder = cleanup.tempDir().path;
    await st.addFolder('kept', folder);
    await st.api('PATCH', '/rest/config/folders/kept', { paused: true });
    const before = st.currentPid();
    await st.down();
    await expect(fetch(`${st.url}/rest/system/ping`)).rejects.toThrow();
    expect(existsSync(st.home)).toBe(true);
    await st.up();
    expect(st.currentPid()).not.toBe(before);
    const f = (await st.api<Array<{ id: string; paused: boolean }>>('GET', '/rest/config/folders')).find((x) => x.id === 'kept');
    expect(f?.paused).toBe(true);
  });

  it('stop() ends the process and removes its home, idempotently', async () => {
    const st = await startSyncthing();
    await st.stop();
    await st.stop();
    expect(existsSync(st.home)).toBe(false);
    await expect(fetch(`${st.url}/rest/system/ping`)).rejects.toThrow();
  });
});
