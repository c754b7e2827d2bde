// The SQLite database: better-sqlite3 (synchronous, one connection per process), WAL so the CLI
// and `serve` can share it, numbered migrations applied once each inside a transaction.
import Database from 'better-sqlite3';
import path from 'node:path';
import { migrations as allMigrations } from './migrations/index';
import type { Migration } from './migrations/index';
import { ensurePrivateDir, ensurePrivateFile, narrowExisting } from '../infra/fs';

export type Db = Database.Database;

/**
 * Opens (creating) the database. Its folder is made 0700 and the database with its WAL and
 * shared-memory files 0600 by pillarsd itself, whatever the umask: they hold the audit log, run
 * logs and hashes of tokens and pairing codes, and outside systemd's UMask nothing else narrows them.
 */
export function openDb(file: string, opts: { migrations?: readonly Migration[] } = {}): Db {
  const onDisk = file !== ':memory:';
  const companions = [`${file}-wal`, `${file}-shm`, `${file}-journal`];
  if (onDisk) {
    ensurePrivateDir(path.dirname(file));
    // SQLite makes its -wal and -shm files with the database file's mode
    ensurePrivateFile(file);
    narrowExisting(companions);
  }
  const db = new Database(file);
  cacheStatements(db);
  db.pragma('journal_mode = WAL');
  if (onDisk) narrowExisting(companions);
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // a second process (CLI next to serve) waits for the write lock instead of failing at once
  db.pragma('busy_timeout = 5000');
  migrate(db, opts.migrations ?? allMigrations);
  return db;
}

/**
 * Compiles each SQL text once per connection. Status answers and run updates repeat the same few
 * statements thousands of times (every progress tick, every GET /status), and better-sqlite3
 * recompiles on every prepare(). Safe while no code iterates a statement or switches it to
 * pluck/raw mode, which would change it for every other user: none does.
 */
function cacheStatements(db: Db): void {
  const compile = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      s = compile(sql);
      // statements built from user input would grow it without bound; ours are a few dozen texts
      if (cache.size < 256) cache.set(sql, s);
    }
    return s;
  }) as Db['prepare'];
}

export function migrate(db: Db, migrations: readonly Migration[]): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const ids = migrations.map((m) => m.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) throw new Error(`migration ${dup} is defined twice`);
  const applied = new Set((db.prepare('SELECT id FROM schema_migrations').all() as Array<{ id: number }>).map((r) => r.id));
  const done: number[] = [];
  const isApplied = db.prepare<[number], { id: number }>('SELECT id FROM schema_migrations WHERE id = ?');
  for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
    if (applied.has(m.id)) continue;
    // asked again under the write lock: another process opening the same new database (serve and
    // the CLI started together) may have applied it since the list above was read
    const ran = db
      .transaction(() => {
        if (isApplied.get(m.id)) return false;
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)').run(m.id, m.name, new Date().toISOString());
        return true;
      })
      .immediate();
    if (ran) done.push(m.id);
  }
  return done;
}

export function stateDbPath(stateDir: string): string {
  return path.join(stateDir, 'pillarsd.db');
}
