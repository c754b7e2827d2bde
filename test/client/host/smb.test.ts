// The SMB server check on real parts: a private smbd answering, then killed (refused), stopped
// (hung: TCP still connects), black-holed in a network namespace of its own (timeout), and a name
// that does not resolve. Each answer comes within its deadline and names its cause.
import { describe, expect, it } from 'vitest';
import { startSmbd } from '../../support/smbd';
import { startNetns } from '../../support/netns';
import { useCleanup } from '../../support/tmp';
import { freePort } from '../../support/net';
import net from 'node:net';
import { isNegotiateAnswer, negotiateRequest, smbProbe } from '../../../src/platform/host/smb';

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

  it('builds a NEGOTIATE that states its own length, and recognises an SMB2 answer only', () => {
    const req = negotiateRequest();
    expect(req.readUInt32BE(0)).toBe(req.length - 4);
    expect(req.subarray(4, 8).toString('latin1')).toBe('\xfeSMB');
    expect(isNegotiateAnswer(req)).toBe(true); // same header shape: command 0
    expect(isNegotiateAnswer(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'))).toBe(false);
  });
});
