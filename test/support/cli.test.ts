// The CLI runners start the real entry points from source in a separate process.
import { describe, expect, it } from 'vitest';
import { runPillars, runPillarsd, spawnPillarsd, spawnProcess } from './cli';
import { isAlive } from './proc';
import { useCleanup } from './tmp';

describe('CLI runners', () => {
  const cleanup = useCleanup();

  it('runPillarsd and runPillars answer --version from the TypeScript sources', async () => {
    const cwd = cleanup.tempDir().path; // a cwd outside the repo must work too
    const [d, c] = await Promise.all([runPillarsd(['--version'], { cwd }), runPillars(['--version'], { cwd })]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('runs a command as another user with no supplementary groups (uid, gid)', async () => {
    const r = await runPillarsd(['--version'], { uid: 65534, gid: 65534, cwd: '/' });
    expect(r.code, r.stderr).toBe(0);
    const p = cleanup.track(spawnProcess('id', [], { uid: 65534, gid: 65534, cwd: '/' }));
    const m = await p.waitForLine(/^uid=(\d+)\S* gid=(\d+)\S*( groups=(\S+))?/);
    expect([m[1], m[2]]).toEqual(['65534', '65534']);
    expect(m[4] ?? '65534(nogroup)').toMatch(/^65534\([^)]*\)$/);
  });

  it('reports a non-zero exit and stderr for a bad command', async () => {
    const r = await runPillarsd(['no-such-command-xyz']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unknown command|error/i);
  });

  it('spawnPillarsd waits for a line and collects the exit', async () => {
    const p = cleanup.track(spawnPillarsd(['--version']));
    const m = await p.waitForLine(/^(\d+)\.(\d+)\.(\d+)/);
    expect(m[1]).toMatch(/^\d+$/);
    expect((await p.exited).code).toBe(0);
  });

  it('spawnProcess passes env and stdin, waits for lines, kills, and fails clearly on timeout', async () => {
    const script = `process.stdin.once('data', d => { console.log('got ' + d + ' ' + process.env.PILLARS_X); console.log('ready'); }); setInterval(() => {}, 1000);`;
    const p = cleanup.track(spawnProcess(process.execPath, ['-e', script], { env: { PILLARS_X: 'from-env' }, input: 'from-stdin' }));
    await expect(p.waitForLine(/^got from-stdin from-env$/)).resolves.toBeTruthy();
    await expect(p.waitForLine(/^ready$/)).resolves.toBeTruthy();
    await expect(p.waitForLine(/never printed/, 300)).rejects.toThrow(/no line matching .* within 300 ms/);
    expect(isAlive(p.pid)).toBe(true);
    expect(await p.kill('SIGTERM')).toEqual({ code: null, signal: 'SIGTERM' });
    expect(isAlive(p.pid)).toBe(false);
    await p.stop();
  });

  it('stop() ends the whole process group, grandchildren included', async () => {
    const script = `const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); console.log('grandchild ' + c.pid); setInterval(() => {}, 1000);`;
    const p = spawnProcess(process.execPath, ['-e', script]);
    const m = await p.waitForLine(/^grandchild (\d+)$/);
    const gc = Number(m[1]);
    expect(isAlive(gc)).toBe(true);
    await p.stop();
    await p.stop();
    await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(p.pid)).toBe(false);
    expect(isAlive(gc)).toBe(false);
  });
});
