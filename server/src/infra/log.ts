// The server's log: pino (Fastify's own logger), one JSON object per line on stderr, which
// journald keeps as one entry per event (`journalctl -u pillarsd -o cat | jq` reads it back).
// stderr, not stdout: `pillarsd demo --json` prints its answer on stdout. Writes are synchronous:
// the few lines a home server logs must not be lost when it is killed or crashes.
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values never reach the log, at the top of a logged object or up to two levels in. */
const SECRET_KEYS = ['password', 'passphrase', 'token', 'secret', 'clientSecret', 'apiKey', 'accessKey', 'authorization', 'cookie', 'ticket', 'code', 'env', 'secrets'];

/**
 * What pino censors (its `redact` paths): the value of a secret-named key, whole. `env` goes
 * whole too (a tool's environment carries its repository password and remote keys), and so does
 * `secrets` (pillarsd.yaml's `secrets:` section, or what a resolver made of it).
 */
const REDACT_PATHS: string[] = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

export const REDACTED = '[redacted]';

const SECRET_QUERY = new RegExp(`([?&](?:${SECRET_KEYS.join('|')})=)[^&#]*`, 'gi');

/** A URL as logged: the values of query parameters named like a secret (`?ticket=`) censored. */
export function loggedUrl(url: string): string {
  return url.replace(SECRET_QUERY, `$1${REDACTED}`);
}

/** What a request is in the log (Fastify's own serializer would keep an event ticket in the URL). */
function requestSerializer(req: { method?: string; url?: string; ip?: string }): object {
  return { method: req.method, url: loggedUrl(req.url ?? ''), remoteAddress: req.ip };
}

export interface ServerLogOptions {
  /** default: $PILLARSD_LOG_LEVEL, else info */
  level?: string;
  /** default: stderr */
  stream?: DestinationStream;
}

/** The one logger of a serving pillarsd; components log through children (`{ component }`). */
export function serverLog(o: ServerLogOptions = {}): Logger {
  return pino(
    {
      level: o.level ?? process.env.PILLARSD_LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      // `"level":"warn"` reads better in journalctl than pino's number
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { req: requestSerializer },
    },
    o.stream ?? pino.destination({ dest: 2, sync: true }),
  );
}
