// Migrations 10–19: the API's tables (tokens, audit log, pairing codes). Never edit a released one.
import type { Migration } from './index';

export const apiMigrations: Migration[] = [
  {
    id: 10,
    name: 'api tokens',
    // Only the SHA-256 of each secret is stored: the tokens carry 256 random bits, so a slow
    // password hash would add nothing but latency to every request.
    sql: `CREATE TABLE api_tokens (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('viewer', 'admin')),
      secret_hash BLOB NOT NULL,
      created_at TEXT NOT NULL,
      last_used_at TEXT,
      revoked_at TEXT
    );`,
  },
  {
    id: 11,
    name: 'audit log',
    sql: `CREATE TABLE audit_log (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at TEXT NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      target TEXT,
      detail TEXT
    );`,
  },
  {
    id: 12,
    name: 'pairing codes',
    sql: `CREATE TABLE pairing_codes (
      code_hash BLOB PRIMARY KEY,
      role TEXT NOT NULL CHECK (role IN ('viewer', 'admin')),
      name TEXT,
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL,
      used_at TEXT,
      token_id TEXT
    );`,
  },
  {
    id: 13,
    name: 'pairing codes keyed',
    // Codes are now stored as an HMAC with the server's pairing key. A code printed before the
    // upgrade cannot be matched any more: outstanding ones are dropped (print a new one), used
    // ones stay for the audit trail.
    sql: `DELETE FROM pairing_codes WHERE used_at IS NULL;`,
  },
];
