// One-time pairing codes: `pillarsd pair` prints one, valid 10 minutes; a client trades it once for
// a token. Codes are short enough to type (40 bits, Crockford base32), and the failed-
// authentication rate limit in front of POST /api/v1/pair makes guessing them online hopeless.
// They are stored only as an HMAC keyed with a secret of the server's own, kept in a file apart
// from the database: 40 bits are too few for a plain hash, which a copy of the database would
// give up to a brute force in minutes.
import path from 'node:path';
import { createHmac, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Role } from '../contract/api';
import type { CreatedToken, TokenStore } from './tokens';

export const PAIRING_TTL_MS = 10 * 60_000;
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford: no I, L, O, U

export interface PairingCode {
  code: string; // XXXX-XXXX
  role: Role;
  expiresAt: string;
}

/** Upper-cases, drops separators and maps the look-alikes Crockford allows (O→0, I/L→1). */
export function normalizeCode(input: string): string | null {
  const s = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  return /^[0-9A-HJKMNP-TV-Z]{8}$/.test(s) ? s : null;
}

/** The pairing secret's file in the state folder (0600; infra/fs secretFile makes it). */
export const pairingKeyFile = (stateDir: string) => path.join(stateDir, 'pairing.key');

export class PairingStore {
  private readonly hash: (normalized: string) => Buffer;

  constructor(
    private readonly db: Database.Database,
    private readonly tokens: TokenStore,
    /** the server's pairing secret (at least 16 bytes) */
    key: Buffer,
    private readonly now: () => Date = () => new Date(),
  ) {
    if (key.length < 16) throw new Error('the pairing key must be at least 16 bytes');
    this.hash = (normalized) => createHmac('sha256', key).update(normalized).digest();
  }

  create(opts: { role: Role; name?: string }): PairingCode {
    const bytes = randomBytes(8);
    let code = '';
    for (let i = 0; i < 8; i++) code += ALPHABET[bytes[i]! & 31];
    const created = this.now();
    const expiresAt = new Date(created.getTime() + PAIRING_TTL_MS).toISOString();
    this.db.prepare('INSERT INTO pairing_codes (code_hash, role, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(this.hash(code), opts.role, opts.name ?? null, created.toISOString(), expiresAt);
    return { code: `${code.slice(0, 4)}-${code.slice(4)}`, role: opts.role, expiresAt };
  }

  /**
   * Trades a code for a new token, once. Null when the code is unknown, used or expired; the
   * check and the marking happen in one transaction so two clients can't both win.
   */
  redeem(input: string, clientName?: string): CreatedToken | null {
    const code = normalizeCode(input);
    if (!code) return null;
    const tx = this.db.transaction((): CreatedToken | null => {
      const row = this.db
        .prepare<[Buffer], { role: Role; name: string | null; expires_at: string; used_at: string | null }>('SELECT role, name, expires_at, used_at FROM pairing_codes WHERE code_hash = ?')
        .get(this.hash(code));
      const now = this.now();
      if (!row || row.used_at || Date.parse(row.expires_at) <= now.getTime()) return null;
      const name = clientName?.trim() || row.name || `paired ${row.role}`;
      const created = this.tokens.create({ role: row.role, name });
      this.db.prepare('UPDATE pairing_codes SET used_at = ?, token_id = ? WHERE code_hash = ?').run(now.toISOString(), created.id, this.hash(code));
      return created;
    });
    return tx.immediate();
  }
}
