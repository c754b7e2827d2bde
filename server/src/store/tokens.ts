// API tokens: shown once at creation, stored as a SHA-256 of the secret, compared in constant time.
// A token reads `pil_<id>_<secret>`: the public id finds the row, the secret proves possession.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';
import { ROLES, type Role, type TokenInfo } from '../contract/api';

type UpdateChannel = TokenInfo['updateChannel'];
import type { ClientInfo, Principal, TokenAuth } from '../ports/services';

export type { Principal };

export interface CreatedToken {
  id: string;
  /** The bearer secret: returned once, never stored. */
  token: string;
  info: TokenInfo;
}

interface Row {
  id: string;
  name: string;
  role: Role;
  secret_hash: Buffer;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  client_version: string | null;
  client_os: string | null;
  update_channel: UpdateChannel;
}

const TOKEN = /^pil_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/**
 * The public id and the secret of a token, or null when malformed. The secret is base64url and
 * may itself hold `_`: split on the fixed-width id, never on every `_`.
 */
export function parseToken(token: string): { id: string; secret: string } | null {
  const m = TOKEN.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}
/** Last use is written at most this often per token, so a busy client costs no write per request. */
const LAST_USE_RESOLUTION_MS = 60_000;

const sha256 = (s: string) => createHash('sha256').update(s).digest();

function info(r: Row): TokenInfo {
  return { id: r.id, name: r.name, role: r.role, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at, clientVersion: r.client_version, clientOs: r.client_os, updateChannel: r.update_channel };
}

export function validRole(x: unknown): x is Role {
  return (ROLES as readonly unknown[]).includes(x);
}

export class TokenStore implements TokenAuth {
  private readonly lastWritten = new Map<string, number>();
  /** What each token's client last said of itself, as written: a write only when it changes. */
  private readonly clientWritten = new Map<string, string>();
  private readonly byId;
  private readonly touch;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.byId = db.prepare<[string], Row>('SELECT * FROM api_tokens WHERE id = ?');
    this.touch = db.prepare<[string, string]>('UPDATE api_tokens SET last_used_at = ? WHERE id = ?');
  }

  create(opts: { role: Role; name?: string }): CreatedToken {
    if (!validRole(opts.role)) throw new Error(`role must be viewer or admin, not "${String(opts.role)}"`);
    const name = (opts.name ?? '').trim() || `${opts.role} token`;
    if (name.length > 100 || /[\p{Cc}]/u.test(name)) throw new Error('token name must be at most 100 printable characters');
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const createdAt = this.now().toISOString();
    this.db.prepare('INSERT INTO api_tokens (id, name, role, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)').run(id, name, opts.role, sha256(secret), createdAt);
    return { id, token: `pil_${id}_${secret}`, info: { id, name, role: opts.role, createdAt, lastUsedAt: null, revokedAt: null, clientVersion: null, clientOs: null, updateChannel: 'stable' } };
  }

  list(): TokenInfo[] {
    return this.db.prepare<[], Row>('SELECT * FROM api_tokens ORDER BY created_at, id').all().map(info);
  }

  get(id: string): TokenInfo | undefined {
    const r = this.byId.get(id);
    return r ? info(r) : undefined;
  }

  /** The update channel of a token's client; stable for an unknown token. */
  channel(id: string): UpdateChannel {
    return this.byId.get(id)?.update_channel ?? 'stable';
  }

  /** Undefined when there is no such token. */
  setChannel(id: string, channel: UpdateChannel): TokenInfo | undefined {
    if (channel !== 'stable' && channel !== 'beta') throw new Error(`channel must be stable or beta, not "${String(channel)}"`);
    if (!this.byId.get(id)) return undefined;
    this.db.prepare('UPDATE api_tokens SET update_channel = ? WHERE id = ?').run(channel, id);
    return this.get(id);
  }

  /** Marks the token revoked (kept for the audit trail). Undefined when no such token. */
  revoke(id: string): TokenInfo | undefined {
    const r = this.byId.get(id);
    if (!r) return undefined;
    if (!r.revoked_at) this.db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ?').run(this.now().toISOString(), id);
    this.lastWritten.delete(id);
    return this.get(id);
  }

  /** The principal behind a bearer secret, or null (unknown, malformed or revoked). Records last use. */
  verify(token: string, client?: ClientInfo | null): Principal | null {
    const t = parseToken(token);
    if (!t) return null;
    const r = this.byId.get(t.id);
    // Hash even when the id is unknown so both paths cost the same.
    const presented = sha256(t.secret);
    const stored = r?.secret_hash ?? Buffer.alloc(32);
    const ok = timingSafeEqual(presented, stored.length === 32 ? stored : Buffer.alloc(32));
    if (!r || !ok || r.revoked_at) return null;
    const now = this.now();
    const last = this.lastWritten.get(r.id) ?? (r.last_used_at ? Date.parse(r.last_used_at) : 0);
    if (now.getTime() - last >= LAST_USE_RESOLUTION_MS) {
      this.touch.run(now.toISOString(), r.id);
      this.lastWritten.set(r.id, now.getTime());
    }
    if (client) {
      const said = `${client.version}\n${client.os ?? ''}`;
      const was = this.clientWritten.get(r.id) ?? `${r.client_version ?? ''}\n${r.client_os ?? ''}`;
      if (said !== was) {
        this.db.prepare('UPDATE api_tokens SET client_version = ?, client_os = ? WHERE id = ?').run(client.version, client.os, r.id);
        this.clientWritten.set(r.id, said);
      }
    }
    return { tokenId: r.id, name: r.name, role: r.role };
  }
}
