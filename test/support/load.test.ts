import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBackgroundLoad } from './load';
import { diesWithin, isAlive, procState, run, sleep } from './proc';

describe('startBackgroundLoad', () => {
  it('pins a busy loop on a core, runs smbd on loopback addresses of their own with a FUSE mount read all the time, and removes it all', async () => {
    const load = await startBackgroundLoad({ cores: [0], smbds: 2, mount: true });
    let stopped = false;
    try {
      expect(load.busyPids).toHaveLength(1);
      const [busy] = load.busyPids;
      expect(isAlive(busy!)).toBe(true);
      expect(readFileSync(`/proc/${busy}/status`, 'utf8')).toMatch(/Cpus_allowed_list:\s+0\n/);
      const [a, b] = load.smbds.map((s) => s.address);
      expect(a).not.toBe(b);
      expect(a).not.toBe('127.0.0.1');
      const cat = await run('cat', [path.join(load.mount!, a!, 'load', 'data.bin')], { timeoutMs: 15_000 });
      expect(cat.code, cat.stderr).toBe(0);
      expect(cat.stdout.length).toBe(256 * 1024);
      for (let i = 0; i < 100 && load.reads().ok < 2; i++) await sleep(100);
      expect(load.reads()).toMatchObject({ failed: 0 });
      expect(load.reads().ok).toBeGreaterThanOrEqual(2);
      const pids = [busy!, ...load.smbds.map((s) => s.pid)];
      await load.stop();
      stopped = true;
      for (const pid of pids) expect(await diesWithin(pid), `pid ${pid} (${procState(pid)})`).toBe(true);
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(` ${load.mount} `);
    } finally {
      if (!stopped) await load.stop();
    }
  });
});
