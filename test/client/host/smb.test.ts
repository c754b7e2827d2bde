// The SMB server check on real parts: a private smbd answering, then killed (refused), stopped
// (hung: TCP still connects), black-holed in a network namespace of its own (timeout), and a name
// that does not resolve. Each answer comes within its deadline and names its cause. A running
// core's check keeps one connection and sends an ECHO on it each round.
import { describe, expect, it } from 'vitest';
import { startSmbd } from '../../support/smbd';
import { startNetns } from '../../support/netns';
import { useCleanup } from '../../support/tmp';
import { freePort } from '../../support/net';
import net from 'node:net';
import { createServerProbe, echoRequest, isNegotiateAnswer, negotiateRequest, smbProbe } from '../../../src/platform/host/smb';

describe('SMB server check', () => {
  const cleanup = useCleanup();

  it('answers ok from a live smbd; refused once it is killed; hung while it is stopped', async () => {
    const smbd = cleanup.track(await startSmbd({ users: [{ name: 'pillarsp1', password: 'pw-probe-1' }], shares: [{ name: 'flux', path: cleanup.tempDir().path }] }));
    const ok = await smbProbe(smbd.address, 445, 1_500);
    expect(ok).toMatchObject({ ok: true });
    await smbd.pause();
    try {
      const t0 = Date.now();
      expect(await smbProbe(smbd.address, 445, 700)).toEqual({ ok: false, kind: 'hung', reason: `${smbd.address} accepts connections on port 445 but does not answer SMB within 0.7 s (hung)` });
      expect(Date.now() - t0).toBeLessThan(1_500);
    } finally {
      await smbd.resume();
    }
    expect(await smbProbe(smbd.address, 445, 1_500)).toMatchObject({ ok: true });
    await smbd.kill();
    expect(await smbProbe(smbd.address, 445, 1_500)).toEqual({ ok: false, kind: 'refused', reason: `${smbd.address} refuses connections on port 445 (SMB server not running)` });
  });

  it('a black hole times out; an unknown name is not found; a server that is not SMB is told apart', async () => {
    const ns = cleanup.track(await startNetns());
    await ns.blackhole();
    const t0 = Date.now();
    expect(await smbProbe(ns.address, 445, 600)).toEqual({ ok: false, kind: 'timeout', reason: `no answer from ${ns.address} on port 445 within 0.6 s` });
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(await smbProbe('pillars-no-such-host.invalid', 445, 3_000)).toMatchObject({ ok: false, kind: 'not-found', reason: 'host pillars-no-such-host.invalid not found (the name does not resolve)' });

    const port = await freePort();
    const http = net.createServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n')).listen(port, '127.0.0.1');
    cleanup.add(() => http.close());
    await new Promise((r) => http.once('listening', r));
    expect(await smbProbe('127.0.0.1', port, 1_000)).toEqual({ ok: false, kind: 'not-smb', reason: `127.0.0.1:${port} answers, but not as an SMB server` });
  });

  it("a core's check keeps one connection for its ECHOs, and replaces it at once when it breaks", async () => {
    const smbd = cleanup.track(await startSmbd({ users: [{ name: 'pillarsp2', password: 'pw-probe-2' }], shares: [{ name: 'flux', path: cleanup.tempDir().path }] }));
    // a relay in front of smbd counts the connections the check opens
    const port = await freePort();
    const open = new Set<net.Socket>();
    let connections = 0;
    const relay = net
      .createServer((c) => {
        connections++;
        const up = net.connect(445, smbd.address);
        open.add(c);
        for (const [a, b] of [
          [c, up],
          [up, c],
        ] as const) {
          a.pipe(b);
          a.on('error', () => b.destroy());
          a.on('close', () => b.destroy());
        }
      })
      .listen(port, '127.0.0.1');
    cleanup.add(() => relay.close());
    await new Promise((r) => relay.once('listening', r));
    const check = createServerProbe();
    cleanup.add(() => check.close());
    for (let i = 0; i < 10; i++) expect(await check('127.0.0.1', port, 1_500)).toMatchObject({ ok: true });
    expect(connections).toBe(1);
    for (const c of open) c.destroy(); // the network changed, the server restarted…
    open.clear();
    await new Promise((r) => setTimeout(r, 50));
    expect(await check('127.0.0.1', port, 1_500)).toMatchObject({ ok: true });
    expect(connections).toBe(2);
    // the smbd behind the kept connection stops answering: a fresh connection says it is hung
    expect(await check(smbd.address, 445, 1_500)).toMatchObject({ ok: true });
    await smbd.pause();
    try {
      const t0 = Date.now();
      expect(await check(smbd.address, 445, 1_000)).toMatchObject({ ok: false, kind: 'hung' });
      expect(Date.now() - t0).toBeLessThan(2_500);
    } finally {
      await smbd.resume();
    }
    expect(await check(smbd.address, 445, 1_500)).toMatchObject({ ok: true });
    await smbd.kill();
    expect(await check(smbd.address, 445, 1_500)).toEqual({ ok: false, kind: 'refused', reason: `${smbd.address} refuses connections on port 445 (SMB server not running)` });
    await smbd.restart();
    expect(await check(smbd.address, 445, 1_500)).toMatchObject({ ok: true });
    expect(await check(smbd.address, 445, 1_500)).toMatchObject({ ok: true });
  });

  it('builds an ECHO that states its length, command and message id', () => {
    const req = echoRequest(7n, 1);
    expect(req.readUInt32BE(0)).toBe(req.length - 4);
    expect(req.length - 4).toBe(64 + 4);
    expect(req.subarray(4, 8).toString('latin1')).toBe('\xfeSMB');
    expect(req.readUInt16LE(4 + 12)).toBe(0x0d);
    expect(req.readBigUInt64LE(4 + 24)).toBe(7n);
    expect(req.readUInt16LE(4 + 6)).toBe(1);
  });

  it('builds a NEGOTIATE that states its own length, and recognises an SMB2 answer only', () => {
    const req = negotiateRequest();
    expect(req.readUInt32BE(0)).toBe(req.length - 4);
    expect(req.subarray(4, 8).toString('latin1')).toBe('\xfeSMB');
    expect(isNegotiateAnswer(req)).toBe(true); // same header shape: command 0
    expect(isNegotiateAnswer(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'))).toBe(false);
  });
});
