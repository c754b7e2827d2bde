// The network side of notifications: an HTTP request (webhooks, ntfy, heartbeat pings) and a mail
// over SMTP (nodemailer). Errors name what failed (status, error code) but never the URL, which
// may itself be a credential (a healthchecks.io ping URL, a chat webhook), nor any header.
// nodemailer is imported on the first mail: most servers never send one, and loading it at start
// kept about 650 KB of its sources and their compiled code in every idle pillarsd (bench/idle-rss.ts).

export interface HttpRequestSpec {
  url: string;
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface SmtpSettings {
  host: string;
  port: number;
  security: 'starttls' | 'tls' | 'none';
  user?: string;
  password?: string;
  timeoutMs: number;
}

export interface MailSpec {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers: Record<string, string>;
}

export interface NotifyTransport {
  /** Resolves on a 2xx answer; throws `HTTP <status>` or the network error's code otherwise. */
  http(req: HttpRequestSpec): Promise<void>;
  smtp(s: SmtpSettings, mail: MailSpec): Promise<void>;
}

function networkReason(e: unknown): string {
  const err = e as { name?: string; code?: string; cause?: { code?: string; message?: string }; message?: string };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no answer in time';
  const code = err.cause?.code ?? err.code;
  if (code) return code;
  // undici's messages name no URL; its causes may (a DNS failure names the host only)
  return (err.cause?.message ?? err.message ?? 'request failed').split('\n')[0]!.slice(0, 200);
}

export const nodeNotifyTransport: NotifyTransport = {
  async http(req) {
    let res: Response;
    try {
      res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(req.timeoutMs), redirect: 'error' });
    } catch (e) {
      throw new Error(networkReason(e), { cause: e });
    }
    // the answer's body is read (so the connection is freed) but never repeated: it is the far end's
    const text = await res.text().catch(() => '');
    if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status}${text && text.length < 120 && !/[\r\n]/.test(text) ? ` (${text.trim()})` : ''}`);
  },

  async smtp(s, mail) {
    const { createTransport } = await import('nodemailer');
    const transport = createTransport({
      host: s.host,
      port: s.port,
      secure: s.security === 'tls',
      requireTLS: s.security === 'starttls',
      ignoreTLS: s.security === 'none',
      auth: s.user && s.password ? { user: s.user, pass: s.password } : undefined,
      connectionTimeout: s.timeoutMs,
      greetingTimeout: s.timeoutMs,
      socketTimeout: s.timeoutMs,
      // nodemailer's own logger is off: a debug log would carry the AUTH exchange
      logger: false,
      debug: false,
    });
    try {
      await transport.sendMail({ from: mail.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, messageId: mail.messageId, headers: mail.headers });
    } catch (e) {
      const err = e as { code?: string; responseCode?: number; response?: string; message?: string };
      // the server's answer (e.g. "535 5.7.8 authentication failed") helps and holds no secret of ours
      const answer = err.response ? `: ${err.response.split('\n')[0]!.slice(0, 200)}` : '';
      throw new Error(`${err.code ?? 'SMTP error'}${err.responseCode ? ` ${err.responseCode}` : ''}${answer || (err.code ? '' : `: ${(err.message ?? '').slice(0, 200)}`)}`, { cause: e });
    } finally {
      transport.close();
    }
  },
};
