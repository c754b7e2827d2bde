// The recipes of docs/hook-recipes.md, read from the document as an owner would copy them, run as
// hooks of a real Flux backup against a real SQLite 3.40, and a real PostgreSQL 15 cluster, a real
// MariaDB 10.11 server and a real docker 20.10 daemon the test starts. The database recipes: the dump reaches the snapshot and restores into the same rows, and a
// database that is not there fails the run and keeps the previous dump. Flux holds nothing but what
// the hook writes: the source guard judges the source after the pre hooks (issue 22). The docker
// recipe: the container is paused while restic reads and runs again after, success or failure.
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { spawn } from 'node:child_process';
import { idsOf, killGroup, run, runOk, sleep, tail } from '../../support/proc';
import { useCleanup } from '../../support/tmp';
import { DOCKER_CLI, startDocker } from '../../support/docker';
import { makeSandbox, runJob, sandboxRuntime } from './sandbox';

const reg = useCleanup();
const DOC = path.resolve(__dirname, '../../../docs/hook-recipes.md');

interface Hook {
  argv: string[];
  env: Record<string, string>;
}

/** The hooks of the recipe named NAME in the document, as written there. */
function hooksOf(name: string): { pre: Hook[]; post?: Hook[] } {
  const m = new RegExp(`<!-- recipe: ${name} -->\\n\`\`\`yaml\\n([\\s\\S]*?)\`\`\``).exec(readFileSync(DOC, 'utf8'));
  if (!m) throw new Error(`docs/hook-recipes.md has no recipe "${name}"`);
  return parse(m[1]!) as { pre: Hook[]; post?: Hook[] };
}

/** The `pre` hook of the recipe named NAME in the document, its env values replaced as an owner would. */
function recipe(name: string, env: (dumps: string) => Record<string, string>) {
  const hook = hooksOf(name).pre[0]!;
  return (dumps: string): Hook => {
    const values = env(dumps);
    // only the recipe's own keys are filled in (plus where the server's socket is)
    expect(Object.keys(values).filter((k) => !(k in hook.env) && !['PGHOST', 'PGPORT', 'SOCKET'].includes(k))).toEqual([]);
    return { ...hook, env: { ...hook.env, ...values } };
  };
}

/** A sandbox whose flux-backup runs the hooks; `pre` gets the sandbox's folder (Flux is DIR/flux). */
function backupWithHooks(pre: (dir: string) => Hook[], post: Hook[] = []) {
  return makeSandbox(reg, {
    jobs: (dir) => `  flux-backup:
    type: restic-backup
    source: flux:/
    repository: space:/backups/restic/flux
    password: restic
    retries: { count: 0 }
    pre: ${JSON.stringify(pre(dir))}
${post.length ? `    post: ${JSON.stringify(post)}\n` : ''}`,
  });
}

/** A sandbox whose flux-backup runs the hook first; the hook gets the sandbox's Flux dump folder. */
const backupWith = (hook: (dumps: string) => Hook) => backupWithHooks((dir) => [hook(path.join(dir, 'flux', 'db-dumps'))]);

async function fromSnapshot(sb: ReturnType<typeof makeSandbox>, file: string, to: string) {
  const r = await run('sh', ['-c', 'restic dump latest "$1" > "$2"', 'sh', file, to], { env: { ...process.env, ...sb.resticEnv } });
  expect(r.code, r.stderr).toBe(0);
}

describe('SQLite recipe', () => {
  it('dumps a live database into the snapshot; a missing database fails the run and keeps the last dump', { timeout: 120_000 }, async () => {
    const dbDir = reg.tempDir('pillars-sqlite-').path;
    const db = path.join(dbDir, 'library.db');
    await runOk('sqlite3', [
      db,
      "PRAGMA journal_mode=WAL; CREATE TABLE photo(id INTEGER PRIMARY KEY, name TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 5000) INSERT INTO photo(name) SELECT 'img-' || i || '.jpg' FROM n;",
    ]);
    const sb = backupWith(recipe('sqlite', (dumps) => ({ DB: db, OUT: path.join(dumps, 'photos.sqlite') })));
    const out = path.join(sb.flux, 'db-dumps', 'photos.sqlite');
    const rt = sandboxRuntime(reg, sb);

    const ok = await runJob(rt, 'flux-backup');
    expect(ok.status, await rt.engine.readLog(ok.id)).toBe('succeeded');
    expect(readdirSync(path.dirname(out))).toEqual(['photos.sqlite']);
    const restored = path.join(dbDir, 'restored.sqlite');
    await fromSnapshot(sb, out, restored);
    expect((await runOk('sqlite3', [restored, 'SELECT count(*), max(id) FROM photo'])).stdout.trim()).toBe('5000|5000');

    // the database moved away: the run fails before restic, the last good dump stays as it was
    const good = readFileSync(out);
    const mtime = statSync(out).mtimeMs;
    renameSync(db, `${db}.moved`);
    const bad = await runJob(rt, 'flux-backup');
    expect(bad.status).toBe('failed');
    expect(bad.error).toBe('pre hook sh exited 1');
    const log = await rt.engine.readLog(bad.id);
    expect(log).toContain(`[pre] no SQLite database at ${db}`);
    expect(log).not.toMatch(/\$ restic backup/);
    expect(readFileSync(out)).toEqual(good);
    expect(statSync(out).mtimeMs).toBe(mtime);
    expect(existsSync(`${out}.part`)).toBe(false);
  });
});

describe('PostgreSQL recipe', () => {
  it('pg_dump as the postgres role into the snapshot, restored with pg_restore into the same rows', { timeout: 180_000 }, async () => {
    // a private cluster on a socket folder of its own, no TCP: it meets no other PostgreSQL here
    const dir = reg.tempDir('pillars-pg-').path;
    chmodSync(dir, 0o755);
    const { uid, gid } = await idsOf('postgres'); // the postgresql package's user (scripts/packages.sh)
    const data = path.join(dir, 'data');
    const sock = path.join(dir, 'sock');
    const logs = path.join(dir, 'log');
    for (const d of [data, sock, logs]) {
      mkdirSync(d);
      chownSync(d, uid, gid);
    }
    const port = '5432';
    await runOk('runuser', ['-u', 'postgres', '--', '/usr/lib/postgresql/15/bin/initdb', '--auth=peer', '--username=postgres', '-D', data]);
    const pgctl = (...args: string[]) => runOk('runuser', ['-u', 'postgres', '--', '/usr/lib/postgresql/15/bin/pg_ctl', '-D', data, ...args]);
    await pgctl('-o', `-c listen_addresses= -k ${sock} -p ${port}`, '-l', path.join(logs, 'pg.log'), '-w', '-t', '60', 'start');
    reg.add(async () => {
      await pgctl('-m', 'immediate', 'stop');
    });
    const pgEnv = { ...process.env, PGHOST: sock, PGPORT: port };
    const psql = (db: string, sql: string) => runOk('runuser', ['-u', 'postgres', '--', 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', sql], { env: pgEnv });
    await psql('postgres', 'CREATE DATABASE cloud');
    await psql('cloud', "CREATE TABLE files(id serial PRIMARY KEY, path text NOT NULL); INSERT INTO files(path) SELECT 'user/doc-' || i || '.odt' FROM generate_series(1, 3000) i");

    const sb = backupWith(recipe('postgresql', (dumps) => ({ DB: 'cloud', OUT: path.join(dumps, 'cloud.pgdump'), PGHOST: sock, PGPORT: port })));
    const out = path.join(sb.flux, 'db-dumps', 'cloud.pgdump');
    const rt = sandboxRuntime(reg, sb);
    const r = await runJob(rt, 'flux-backup');
    expect(r.status, await rt.engine.readLog(r.id)).toBe('succeeded');
    expect(readdirSync(path.dirname(out))).toEqual(['cloud.pgdump']);

    const back = path.join(dir, 'back.pgdump');
    await fromSnapshot(sb, out, back);
    chmodSync(back, 0o644);
    await psql('postgres', 'CREATE DATABASE cloud_back');
    await runOk('runuser', ['-u', 'postgres', '--', 'pg_restore', '--exit-on-error', '--dbname=cloud_back', back], { env: pgEnv });
    expect((await psql('cloud_back', 'SELECT count(*), max(id) FROM files')).stdout.trim()).toBe('3000|3000');
  });
});

describe('MariaDB recipe', () => {
  it('mariadb-dump as root over the unix socket into the snapshot, restored with mariadb into the same rows', { timeout: 180_000 }, async () => {
    // a private server on a socket of its own, no TCP: it meets no other MariaDB here
    const dir = reg.tempDir('pillars-mariadb-').path;
    chmodSync(dir, 0o755);
    const { uid, gid } = await idsOf('mysql'); // the mariadb-server package's user (scripts/packages.sh)
    const data = path.join(dir, 'data');
    mkdirSync(data);
    chownSync(data, uid, gid);
    const runDir = path.join(dir, 'run'); // the server writes its socket and pid as mysql
    mkdirSync(runDir);
    chownSync(runDir, uid, gid);
    const sock = path.join(runDir, 'mysqld.sock');
    await runOk('mariadb-install-db', ['--no-defaults', '--user=mysql', `--datadir=${data}`, '--auth-root-authentication-method=socket', '--skip-test-db']);
    const out = tail();
    const server = spawn('mariadbd', ['--no-defaults', '--user=mysql', `--datadir=${data}`, `--socket=${sock}`, '--skip-networking', `--pid-file=${path.join(runDir, 'mysqld.pid')}`, '--innodb-buffer-pool-size=16M'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout.on('data', out.push);
    server.stderr.on('data', out.push);
    let exited = false;
    server.on('exit', () => (exited = true));
    reg.add(async () => {
      if (!exited && server.pid) killGroup(server.pid, 'SIGKILL');
    });
    const sql = (statements: string, db?: string) => runOk('mariadb', ['--no-defaults', `--socket=${sock}`, '-N', '-B', ...(db ? [db] : []), '-e', statements]);
    // ready when it answers a query; it may take long on a loaded machine, never forever
    for (let i = 0; ; i++) {
      if (exited) throw new Error(`mariadbd exited before answering:\n${out.text()}`);
      if ((await run('mariadb-admin', ['--no-defaults', `--socket=${sock}`, 'ping'])).code === 0) break;
      if (i === 600) throw new Error(`mariadbd did not answer within 60 s:\n${out.text()}`);
      await sleep(100);
    }
    await sql('CREATE DATABASE wiki');
    await sql("CREATE TABLE page(id INT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(200) NOT NULL) ENGINE=InnoDB; INSERT INTO page(title) SELECT CONCAT('Page ', seq) FROM seq_1_to_4000", 'wiki');

    const sb = backupWith(recipe('mariadb', (dumps) => ({ DB: 'wiki', OUT: path.join(dumps, 'wiki.sql'), SOCKET: sock })));
    const dump = path.join(sb.flux, 'db-dumps', 'wiki.sql');
    const rt = sandboxRuntime(reg, sb);
    const r = await runJob(rt, 'flux-backup');
    expect(r.status, await rt.engine.readLog(r.id)).toBe('succeeded');
    expect(readdirSync(path.dirname(dump))).toEqual(['wiki.sql']);

    // the database is lost; the dump from the snapshot brings it back under its own name
    await sql('DROP DATABASE wiki');
    const back = path.join(dir, 'back.sql');
    await fromSnapshot(sb, dump, back);
    await runOk('sh', ['-c', 'mariadb --no-defaults --socket="$1" < "$2"', 'sh', sock, back]);
    expect((await sql('SELECT count(*), max(id) FROM page', 'wiki')).stdout.trim()).toBe('4000\t4000');
  });
});

describe('docker recipe', () => {
  it('pauses the container while restic reads its volume and lets it go on after, whether the backup succeeded or failed', { timeout: 240_000 }, async () => {
    const docker = await startDocker(reg);
    const { pre, post } = hooksOf('docker');
    expect(post).toBeDefined();
    // the owner's machine talks to its one daemon; this one is private to the test. The hooks run
    // Debian's docker CLI by its path, as motoko's PATH finds it (a machine may have another first)
    const hookEnv = { DOCKER_HOST: docker.host, DOCKER: DOCKER_CLI };
    const withHost = (h: Hook): Hook => {
      expect(h.argv[0]).toBe('docker');
      return { ...h, argv: [DOCKER_CLI, ...h.argv.slice(1)], env: { ...h.env, ...hookEnv } };
    };
    const seen = reg.tempDir('pillars-docker-seen-').path;
    // what the container looked like after the recipe's pre hooks, i.e. while restic reads
    const probe: Hook = {
      argv: ['sh', '-c', '"$DOCKER" inspect -f "{{.State.Paused}}" paperless > "$SEEN/paused" && cp "$VOLUME/counter" "$SEEN/counter-before" && sleep 1 && cp "$VOLUME/counter" "$SEEN/counter-after"'],
      env: { ...hookEnv, SEEN: seen },
    };
    const sb = backupWithHooks((dir) => [...pre.map(withHost), { ...probe, env: { ...probe.env, VOLUME: path.join(dir, 'flux', 'paperless') } }], post!.map(withHost));
    const volume = path.join(sb.flux, 'paperless');
    mkdirSync(volume);
    await docker.cli('run', '-d', '--name', 'paperless', '--network', 'none', '-v', `${volume}:/data`, docker.image, '/bin/sh', '-c', 'i=0; while :; do i=$((i+1)); echo $i > /data/counter; sleep 0.05; done');
    const state = () => docker.cli('inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'paperless');
    const counter = () => readFileSync(path.join(volume, 'counter'), 'utf8');
    // the container is writing before the backup starts
    for (let i = 0; !existsSync(path.join(volume, 'counter')); i++) {
      if (i === 600) throw new Error('the container wrote no counter within 60 s');
      await sleep(100);
    }
    const rt = sandboxRuntime(reg, sb);

    const ok = await runJob(rt, 'flux-backup');
    expect(ok.status, await rt.engine.readLog(ok.id)).toBe('succeeded');
    expect(readFileSync(path.join(seen, 'paused'), 'utf8').trim()).toBe('true');
    // frozen: a second later the volume holds the same count
    expect(readFileSync(path.join(seen, 'counter-after'), 'utf8')).toBe(readFileSync(path.join(seen, 'counter-before'), 'utf8'));
    expect(await state()).toBe('running false');
    // and it goes on writing after the backup
    const after = counter();
    for (let i = 0; counter() === after; i++) {
      if (i === 600) throw new Error('the container wrote nothing within 60 s of the backup');
      await sleep(100);
    }
    // the snapshot holds what was on the volume while the container was paused
    const snap = path.join(seen, 'counter-snapshot');
    await fromSnapshot(sb, path.join(volume, 'counter'), snap);
    expect(readFileSync(snap, 'utf8')).toBe(readFileSync(path.join(seen, 'counter-before'), 'utf8'));

    // restic fails after the pause (the repository's keys are gone): the post hook still lets it go on
    const keys = path.join(sb.space, 'backups', 'restic', 'flux', 'keys');
    renameSync(keys, `${keys}.away`);
    rmSync(path.join(seen, 'paused'));
    const bad = await runJob(rt, 'flux-backup');
    expect(bad.status).toBe('failed');
    expect(await rt.engine.readLog(bad.id)).toMatch(/\$ restic backup/);
    expect(readFileSync(path.join(seen, 'paused'), 'utf8').trim()).toBe('true');
    expect(await state()).toBe('running false');
  });
});
