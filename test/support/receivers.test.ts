// The receivers record what they get, go down and come back on the same port; the SMTP server
// takes mail only from a client that logged in over TLS.
import { describe, expect, it } from 'vitest';
import { createTransport } from 'nodemailer';
import { startHttpReceiver, startSmtpReceiver } from './receivers';
import { useCleanup } from './tmp';

const reg = useCleanup();

describe('startHttpReceiver', () => {
  it('records requests with the status it answered; down refuses connections, up listens again', async () => {
    const r = reg.track(await startHttpReceiver());
    expect((await fetch(`${r.url}/a?x=1`, { method: 'POST', body: 'hello', headers: { 'x-k': 'v' } })).status).toBe(200);
    r.answer(503);
    expect((await fetch(`${r.url}/b`)).status).toBe(503);
    expect(r.requests.map((q) => [q.method, q.url, q.body, q.status])).toEqual([
      ['POST', '/a?x=1', 'hello', 200],
      ['GET', '/b', '', 503],
    ]);
    expect(r.requests[0]!.headers['x-k']).toBe('v');
    await r.down();
    await expect(fetch(`${r.url}/c`)).rejects.toThrow();
    await r.up();
    r.answer(200);
    expect((await fetch(`${r.url}/d`)).status).toBe(200);
    expect(await r.waitFor(3)).toHaveLength(3);
    // hang: the request is read and recorded, no answer comes
    r.answer('hang');
    const ac = new AbortController();
    const pending = fetch(`${r.url}/e`, { signal: ac.signal });
    await r.waitFor(4);
    expect(r.requests[3]).toMatchObject({ url: '/e', status: 0 });
    ac.abort();
    await expect(pending).rejects.toThrow();
  });
});

describe('startSmtpReceiver', () => {
  for (const security of ['starttls', 'tls'] as const) {
    it(`${security}: receives an authenticated mail, parsed; refuses a wrong password`, async () => {
      const s = reg.track(await startSmtpReceiver({ security, user: 'u', password: 'right-password' }));
      const send = (pass: string) => {
        const t = createTransport({ host: s.host, port: s.port, secure: security === 'tls', requireTLS: security === 'starttls', auth: { user: 'u', pass } });
        return t.sendMail({ from: 'a@example.org', to: 'b@example.org', subject: 'hi', text: 'body text', html: '<p>body html</p>' }).finally(() => t.close());
      };
      await send('right-password');
      const [m] = await s.waitFor(1);
      expect(m).toMatchObject({ from: 'a@example.org', to: ['b@example.org'], user: 'u', secure: true });
      expect(m!.parsed.subject).toBe('hi');
      expect(m!.parsed.text?.trim()).toBe('body text');
      expect(m!.parsed.html).toContain('<p>body html</p>');
      await expect(send('wrong')).rejects.toThrow(/535|auth/i);
      expect(s.authFailures).toEqual(['u']);
    });
  }

  it('refuses AUTH before STARTTLS', async () => {
    const s = reg.track(await startSmtpReceiver({ security: 'starttls', user: 'u', password: 'p' }));
    const t = createTransport({ host: s.host, port: s.port, secure: false, ignoreTLS: true, auth: { user: 'u', pass: 'p' } });
    await expect(t.sendMail({ from: 'a@example.org', to: 'b@example.org', text: 'x' })).rejects.toThrow(/538|encrypt|TLS/i);
    t.close();
    expect(s.mails).toEqual([]);
  });
});
