// Issue 14: the state folder and the database hold the audit log, run logs and hashes of tokens
// and pairing codes. pillarsd makes the folder 0700 and every database file 0600 itself, whatever
// the umask (outside systemd nothing else narrows them), and keys the pairing-code hashes with a
// secret of its own kept apart from the database.
import { createHash, createHmac } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDb } from '../../../server/src/store/db';
import { migrations } from '../../../server/src/store/migrations/index';
import { TokenStore } from '../../../server/src/store/tokens';
import { PairingStore, pairingKeyFile } from '../../../server/src/store/pairing';
import { secretFile } from '../../../server/src/infra/fs';
import { parseConfig } from '../../../server/src/config/load';
import { startServe } from '../../../server/src/cli/commands/serve';
import { runPillarsd } from '../../support/cli';
import { useCleanup } from '../../support/tmp';
import { makeSandbox } from '../jobs/sandbox';

const reg = useCleanup();
const mode = (p: string) => statSync(p).mode & 0o777;
/** every file of the database (the db, -wal, -shm) with its mode */
const dbFiles = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.startsWith('pillarsd.db'))
      .map((f) => [f, mode(path.join(dir, f))]),
  );

let umask: number;
beforeAll(() => {
  // what a shell outside systemd has; children (the CLI below) inherit it
  umask = process.umask(0o022);
});
afterAll(() => {
  process.umask(umask);
});

describe('state folder and database modes', () => {
  it('with umask 022, serve leaves the state folder 0700 and every database file 0600', async () => {
    const sb = makeSandbox(reg);
    const s = await startServe(sb.loaded(), { host: '127.0.0.1', port: 0, tls: 'off' });
    let stopped = false;
    reg.add(() => (stopped ? undefined : s.stop()));
    // writes go through the WAL: the -wal and -shm files exist now
    s.tokens.create({ role: 'admin', name: 'modes' });
    s.rt.engine.enqueue('flux-backup', 'manual');
    const files = dbFiles(sb.state);
    expect(Object.keys(files).sort()).toEqual(['pillarsd.db', 'pillarsd.db-shm', 'pillarsd.db-wal']);
    expect(files).toEqual({ 'pillarsd.db': 0o600, 'pillarsd.db-shm': 0o600, 'pillarsd.db-wal': 0o600 });
    expect(mode(sb.state)).toBe(0o700);
    expect(mode(pairingKeyFile(sb.state))).toBe(0o600);
    await s.stop();
    stopped = true;
  });

  it('with umask 022, the CLI (token create, pair) makes them so too', async () => {
    const sb = makeSandbox(reg);
    const t = await runPillarsd(['token', 'create', '--role', 'admin', '--name', 'cli', '--config', sb.configFile], { cwd: sb.dir });
    expect(t.code, t.stderr).toBe(0);
    const p = await runPillarsd(['pair', '--role', 'viewer', '--config', sb.configFile], { cwd: sb.dir });
    expect(p.code, p.stderr).toBe(0);
    expect(mode(sb.state)).toBe(0o700);
    for (const [f, m] of Object.entries(dbFiles(sb.state))) expect(m, f).toBe(0o600);
    expect(mode(pairingKeyFile(sb.state))).toBe(0o600);
  });

  it('narrows the folder and files an older pillarsd left readable, even with umask 0', () => {
    const dir = reg.tempDir('pillars-modes-').path;
    const state = path.join(dir, 'state');
    const file = path.join(state, 'pillarsd.db');
    const before = process.umask(0);
    try {
      // an install from before: folder 0755, database 0644 (and a new one under umask 0 would be 0666)
      mkdirSync(state, { mode: 0o755 });
      openDb(file).close();
      chmodSync(state, 0o755);
      chmodSync(file, 0o644);
      const db = openDb(file);
      db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      expect(mode(state)).toBe(0o700);
      expect(dbFiles(state)).toEqual({ 'pillarsd.db': 0o600, 'pillarsd.db-shm': 0o600, 'pillarsd.db-wal': 0o600 });
      db.close();
      const fresh = path.join(dir, 'new', 'pillarsd.db');
      openDb(fresh).close();
      expect(mode(path.dirname(fresh))).toBe(0o700);
      expect(mode(fresh)).toBe(0o600);
    } finally {
      process.umask(before);
    }
  });

  it('refuses a stateDir the rest of the system shares (it would be made 0700)', () => {
    for (const shared of ['/var/lib', '/var/lib/', '/tmp', '/']) {
      expect(() => parseConfig(`stateDir: ${shared}\n`, '/etc/pillars/pillarsd.yaml'), shared).toThrow(/stateDir.*a folder of pillarsd's own/s);
    }
    expect(parseConfig('stateDir: /var/lib/pillars\n', '/etc/pillars/pillarsd.yaml').stateDir).toBe('/var/lib/pillars');
  });
});

describe('pairing codes keyed with the server secret', () => {
  it('stores an HMAC of each code under the key in pairing.key; another key cannot redeem it', () => {
    const dir = reg.tempDir('pillars-pairing-').path;
    const db = openDb(path.join(dir, 'pillarsd.db'));
    reg.add(() => db.close());
    const key = secretFile(pairingKeyFile(dir));
    expect(key.length).toBe(32);
    expect(mode(pairingKeyFile(dir))).toBe(0o600);
    // made once, then kept
    expect(secretFile(pairingKeyFile(dir)).equals(key)).toBe(true);
    expect(readFileSync(pairingKeyFile(dir)).equals(key)).toBe(true);

    const tokens = new TokenStore(db);
    const { code } = new PairingStore(db, tokens, key).create({ role: 'viewer' });
    const normalized = code.replace('-', '');
    const stored = (db.prepare('SELECT code_hash FROM pairing_codes').get() as { code_hash: Buffer }).code_hash;
    expect(stored.equals(createHmac('sha256', key).update(normalized).digest())).toBe(true);
    // not the unkeyed hashes of before, which a copy of the database gives up to a brute force of 2^40
    expect(stored.equals(createHash('sha256').update(`pillars-pairing:${normalized}`).digest())).toBe(false);
    expect(stored.equals(createHash('sha256').update(normalized).digest())).toBe(false);

    const other = secretFile(path.join(dir, 'other.key'));
    expect(new PairingStore(db, tokens, other).redeem(code)).toBeNull();
    expect(new PairingStore(db, tokens, key).redeem(code)).toMatchObject({ info: { role: 'viewer' } });
    expect(() => new PairingStore(db, tokens, Buffer.alloc(8))).toThrow(/at least 16 bytes/);
    writeFileSync(path.join(dir, 'short.key'), 'x');
    expect(() => secretFile(path.join(dir, 'short.key'))).toThrow(/short\.key holds 1 bytes, too short a secret/);
  });

  it('drops codes printed before the upgrade (their plain hashes match nothing now) and keeps used ones', () => {
    const dir = reg.tempDir('pillars-pairing-').path;
    const file = path.join(dir, 'pillarsd.db');
    const old = openDb(file, { migrations: migrations.filter((m) => m.id < 13) });
    const row = old.prepare('INSERT INTO pairing_codes (code_hash, role, name, created_at, expires_at, used_at, token_id) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const now = new Date().toISOString();
    const later = new Date(Date.now() + 600_000).toISOString();
    row.run(createHash('sha256').update('pillars-pairing:AAAAAAAA').digest(), 'viewer', null, now, later, null, null);
    row.run(createHash('sha256').update('pillars-pairing:BBBBBBBB').digest(), 'admin', 'laptop', now, later, now, 'abc');
    expect(migrate(old, migrations)).toContain(13);
    expect(old.prepare('SELECT role, used_at IS NOT NULL AS used FROM pairing_codes').all()).toEqual([{ role: 'admin', used: 1 }]);
    old.close();
  });
});
