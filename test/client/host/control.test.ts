// The control channel between a running core and the CLI, on a real Unix socket: one command per
// connection, both ends proving the token the core wrote (0600, in a 0700 folder) without ever
// sending it; something else listening at the socket is not talked to; no core, no answer (null),
// so the CLI does the work itself; a second core for the same folder is refused.
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../../support/tmp';
import { CoreRunningError, askControl, controlPaths, listenControl } from '../../../src/platform/host/control';

describe('control channel', () => {
  const cleanup = useCleanup();

  it("answers a command from the core; the socket, token and folder are the user's alone", async () => {
    const dir = path.join(cleanup.tempDir().path, 'run');
    const seen: Array<[string, unknown]> = [];
    const server = await listenControl(dir, async (cmd, args) => {
      seen.push([cmd, args]);
      if (cmd === 'boom') throw new Error('no pillar "nope"');
      return { pid: 7, echo: args };
    });
    cleanup.add(() => server.close());
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(server.paths.socket).mode & 0o777).toBe(0o600);
    expect(statSync(server.paths.token).mode & 0o777).toBe(0o600);
    expect(await askControl(dir, 'status', { ids: ['flux'] }, 5_000)).toEqual({ result: { pid: 7, echo: { ids: ['flux'] } } });
    await expect(askControl(dir, 'boom', {}, 5_000)).rejects.toThrow('no pillar "nope"');
    expect(seen.map((s) => s[0])).toEqual(['status', 'boom']);
    // the token never crossed the socket: a client that only knows the socket gets nothing done
    const token = readFileSync(server.paths.token, 'utf8');
    const raw = await new Promise<string>((resolve) => {
      const s = net.connect(server.paths.socket);
      let got = '';
      s.on('data', (b) => (got += b.toString()));
      s.on('close', () => resolve(got));
      s.write(`${JSON.stringify({ hello: 1, nonce: 'n1' })}\n${JSON.stringify({ proof: 'wrong', cmd: 'status' })}\n`);
    });
    expect(raw).toContain('"error":"not allowed"');
    expect(raw).not.toContain(token);
    expect(seen).toHaveLength(2);

    // a second core for the same folder is refused; after close, a new one may listen
    await expect(listenControl(dir, async () => null)).rejects.toBeInstanceOf(CoreRunningError);
  });

  it('no core: null (no token, or nothing listening); a listener without the token is not talked to', async () => {
    const dir = path.join(cleanup.tempDir().path, 'run');
    expect(await askControl(dir, 'status', {}, 2_000)).toBeNull();
    mkdirSync(dir, { mode: 0o700 });
    const p = controlPaths(dir);
    writeFileSync(p.token, 'a'.repeat(64), { mode: 0o600 });
    expect(await askControl(dir, 'status', {}, 2_000)).toBeNull(); // stale token, no socket
    // an impostor at the socket: it answers the hello, but cannot prove the token
    const impostor = net.createServer((s) => s.on('data', () => s.write(`${JSON.stringify({ nonce: 'x', proof: 'f'.repeat(64) })}\n`)));
    await new Promise<void>((r) => impostor.listen(p.socket, r));
    cleanup.add(() => new Promise<void>((r) => impostor.close(() => r())));
    await expect(askControl(dir, 'unmount', { ids: ['flux'] }, 2_000)).rejects.toThrow(/cannot prove it is this user's Pillars core/);
  });

  it('refuses a runtime folder that belongs to someone else', async () => {
    const dir = path.join(cleanup.tempDir().path, 'shared');
    mkdirSync(dir, { mode: 0o777 });
    chmodSync(dir, 0o777);
    const { chownSync } = await import('node:fs');
    chownSync(dir, 65534, 65534); // nobody: a /tmp fallback somebody else created first
    await expect(listenControl(dir, async () => null)).rejects.toThrow(/belongs to another user \(uid 65534\)/);
  });
});
