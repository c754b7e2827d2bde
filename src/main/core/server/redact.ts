// Removes secrets from anything on its way to a log: bearer tokens, Authorization headers, pairing
// codes, passwords and tokens in URLs, query strings, JSON and key=value text. Pure, so it is tested
// over the shapes that leaked elsewhere (MountMate#47: passwords in error messages).
const MASK = '[redacted]';

const RULES: Array<[RegExp, string]> = [
  // Authorization: Bearer xyz / Basic xyz (header lines and header objects printed as text)
  [/(authorization["']?\s*[:=]\s*["']?)(bearer|basic)\s+[^\s"',;}]+/gi, `$1$2 ${MASK}`],
  [/\bbearer\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]{8,}/gi, `Bearer ${MASK}`],
  // user:password@ in URLs (smb://, https://)
  [/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, `$1${MASK}@`],
  // JSON "password": "…", "token": "…", "secret": "…", "code": "…", "key": "…"
  [/("(?:[a-z_]*password|passwd|pass|token|secret|code|apikey|api_key|key|client_secret|authorization)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, `$1"${MASK}"`],
  // key=value / key: value in text, env dumps and query strings
  [/\b((?:[a-z_]*password|passwd|pass|pwd|token|secret|apikey|api_key|access_key|client_secret|pairing[_-]?code|code)\s*[=:]\s*)(?!\[redacted\]|"\[redacted\]")[^\s&"',;]+/gi, `$1${MASK}`],
];

export function redact(text: string): string {
  let s = text;
  for (const [re, to] of RULES) s = s.replace(re, to);
  return s;
}

/** Redacts every string inside a log call's arguments (objects are printed as JSON first). */
export function redactArgs(args: readonly unknown[]): unknown[] {
  return args.map((a) => {
    if (typeof a === 'string') return redact(a);
    if (a instanceof Error) {
      const e = new Error(redact(a.message));
      e.name = a.name;
      e.stack = a.stack ? redact(a.stack) : undefined;
      return e;
    }
    if (a && typeof a === 'object') {
      try {
        return redact(JSON.stringify(a));
      } catch {
        return '[unprintable]';
      }
    }
    return a;
  });
}
