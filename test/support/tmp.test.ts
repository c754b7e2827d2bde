// Cleanup really happens: explicit, through the registry (reverse order, every item even when
// one throws), and as a last resort when the process gets SIGTERM (how vitest ends its workers).
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupRegistry, tempDir } from './tmp';
import { spawnProcess } from './cli';
import { isAlive, sleep } from './proc';

describe('tempDir and cleanup', () => {
  it('tempDir makes a fresh traversable folder and cleanup removes it, idempotently', async () => {
    const d = tempDir('pillars-tmp-test-');
    writeFileSync(path.join(d.path, 'f'), 'x');
    expect(existsSync(d.path)).toBe(true);
    await d.cleanup();
    await d.cleanup();
    expect(existsSync(d.path)).toBe(false);
  });

  it('a registry runs every cleanup in reverse order and reports the failures', async () => {
    const reg = cleanupRegistry();
    const order: number[] = [];
    const d = reg.tempDir();
    reg.add(() => order.push(1));
    reg.add(() => {
      throw new Error('second failed');
    });
    reg.track({ stop: async () => void order.push(3) });
    await expect(reg.run()).rejects.toThrow('second failed');
    expect(order).toEqual([3, 1]);
    expect(existsSync(d.path)).toBe(false);
    await expect(reg.run()).resolves.toBeUndefined(); // already emptied
  });

  it('a worker ended by SIGTERM still kills its daemons and removes its folders', async () => {
    const script = `
      import { tempDir } from './test/support/tmp.ts';
      import { spawnProcess } from './test/support/cli.ts';
      const d = tempDir('pillars-sigterm-');
      const daemon = spawnProcess('sleep', ['300']);
      console.log('READY ' + d.path + ' ' + daemon.pid);
      setInterval(() => {}, 1000);`;
    const p = spawnProcess(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
    try {
      const m = await p.waitForLine(/^READY (\S+) (\d+)$/, 20_000);
      const dir = m[1] ?? '';
      const daemon = Number(m[2]);
      expect(existsSync(dir)).toBe(true);
      expect(isAlive(daemon)).toBe(true);
      expect(await p.kill('SIGTERM')).toMatchObject({ signal: 'SIGTERM' });
      for (let i = 0; i < 50 && isAlive(daemon); i++) await sleep(20);
      expect(isAlive(daemon)).toBe(false);
      expect(existsSync(dir)).toBe(false);
    } finally {
      await p.stop();
    }
  });
});
