// The real Exec: argv (never a shell), env merged over a minimal base, stdin, and a deadline that
// settles the promise whatever the child does — including children that keep the pipes open.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createExec } from '../../../src/platform/host';
import { diesWithin } from '../../support/proc';

describe('host Exec', () => {
  const exec = createExec({ env: { PATH: process.env.PATH, HOME: '/root', SECRET_OF_PARENT: 'x' } });

  it('passes argv literally, stdin as data, env over a minimal base', async () => {
    const r = await exec({ cmd: 'sh', args: ['-c', 'printf "%s|" "$1" "$EXTRA" "${SECRET_OF_PARENT:-none}" "$LC_ALL"; cat', 'sh', '$(touch /tmp/never); *'], env: { EXTRA: 'e' }, stdin: 'from stdin' });
    expect(r).toMatchObject({ code: 0, timedOut: false });
    expect(r.stdout).toBe('$(touch /tmp/never); *|e|none|C|from stdin');
  });

  it('on Linux forks children from a spawner process, never from this one (a fork locks the whole address space)', async () => {
    const r = await exec({ cmd: 'sh', args: ['-c', 'echo $PPID'] });
    const spawnerPid = Number(r.stdout.trim());
    expect(spawnerPid).toBeGreaterThan(0);
    expect(spawnerPid).not.toBe(process.pid);
    // the spawner is our child, it does not outlive us, and a second command uses the same one
    expect(readFileSync(`/proc/${spawnerPid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]).toBe(String(process.pid));
    expect((await exec({ cmd: 'sh', args: ['-c', 'echo $PPID'] })).stdout.trim()).toBe(String(spawnerPid));
  });

  it('reports a missing program without throwing', async () => {
    const r = await exec({ cmd: '/nonexistent/prog', args: [] });
    expect(r.code).toBeNull();
    expect(r.stderr).toMatch(/cannot start \/nonexistent\/prog/);
  });

  it('settles at the deadline and kills the whole process group, even when a grandchild holds the pipes', async () => {
    const t0 = Date.now();
    const r = await exec({ cmd: 'sh', args: ['-c', 'sleep 30 & echo $!; wait'], timeoutMs: 400 });
    const took = Date.now() - t0;
    expect(r.timedOut).toBe(true);
    expect(took).toBeLessThan(1_500);
    const grandchild = Number(r.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    expect(await diesWithin(grandchild)).toBe(true);
  });

  it('an abort signal settles it at once', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = Date.now();
    const r = await exec({ cmd: 'sleep', args: ['30'], signal: ac.signal });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1_500);
  });
});
