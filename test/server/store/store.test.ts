import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { migrate, openDb } from '../../../server/src/store/db';
import { migrations } from '../../../server/src/store/migrations/index';
import { RunStore, newRunId, toWire } from '../../../server/src/store/runs';
import { EventStore } from '../../../server/src/store/events';
import { useCleanup } from '../../support/tmp';

const cleanup = useCleanup();

function fresh() {
  const dir = cleanup.tempDir('pillars-store-');
  const db = openDb(path.join(dir.path, 'state', 'pillarsd.db'));
  cleanup.add(() => db.close());
  return { db, dir: dir.path };
}

describe('database', () => {
  it('opens in WAL mode and applies each migration once', () => {
    const { db } = fresh();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const applied = (db.prepare('SELECT id FROM schema_migrations ORDER BY id').all() as Array<{ id: number }>).map((r) => r.id);
    expect(applied).toEqual(expect.arrayContaining([1, 2, 3]));
    expect(migrate(db, [{ id: 1, name: 'runs', sql: 'SELECT 1' }])).toEqual([]);
    expect(migrate(db, [{ id: 9, name: 'next', sql: 'CREATE TABLE t9 (x)' }])).toEqual([9]);
    expect(() => migrate(db, [{ id: 8, name: 'bad', sql: 'CREATE TABLE runs (x)' }])).toThrow(/already exists/);
    // a failed migration leaves no row behind
    expect(db.prepare('SELECT COUNT(*) AS n FROM schema_migrations WHERE id = 8').get()).toEqual({ n: 0 });
  });

  it('two processes opening a new database at once apply each migration once', () => {
    // the race: one connection read the list of applied migrations (none yet) just before
    // another applied them all; it must not run them again ("table runs already exists")
    const { dir } = fresh();
    const file = path.join(dir, 'race', 'pillarsd.db');
    const late = openDb(file, { migrations: [] });
    cleanup.add(() => late.close());
    const first = openDb(file);
    cleanup.add(() => first.close());
    const prepare = late.prepare.bind(late);
    late.prepare = ((sql: string) => (sql === 'SELECT id FROM schema_migrations' ? { all: () => [] } : prepare(sql))) as typeof late.prepare;
    expect(migrate(late, migrations)).toEqual([]);
    late.prepare = prepare;
    const counted = late.prepare('SELECT id, COUNT(*) AS n FROM schema_migrations GROUP BY id HAVING n > 1').all();
    expect(counted).toEqual([]);
  });
});

describe('runs', () => {
  it('makes ids that sort in creation order, even within one millisecond', () => {
    const t = new Date('2026-11-25T00:00:00Z');
    const ids = Array.from({ length: 50 }, () => newRunId(t));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(50);
  });

  it('creates, updates, pages by cursor and keeps JSON columns', () => {
    const { db } = fresh();
    const runs = new RunStore(db);
    const base = Date.parse('2026-11-25T00:00:00Z');
    for (let i = 0; i < 5; i++) {
      const now = new Date(base + i * 1000);
      runs.create({ id: newRunId(now), jobId: i % 2 ? 'b' : 'a', trigger: 'manual', queuedAt: now.toISOString(), resources: [{ key: '/x', mode: 'w' }], ownerPid: 1, ownerStart: null });
    }
    const p1 = runs.list({ limit: 2 });
    expect(p1.runs).toHaveLength(2);
    expect(p1.next).toBe(p1.runs[1]!.id);
    const p2 = runs.list({ limit: 2, before: p1.next! });
    const p3 = runs.list({ limit: 2, before: p2.next! });
    expect(p3.next).toBeNull();
    expect([...p1.runs, ...p2.runs, ...p3.runs].map((r) => r.queuedAt)).toEqual([4, 3, 2, 1, 0].map((i) => new Date(base + i * 1000).toISOString()));
    expect(runs.list({ limit: 10, job: 'a' }).runs).toHaveLength(3);

    const id = p1.runs[0]!.id;
    const r = runs.update(id, {
      status: 'blocked',
      block: { guard: 'delete-threshold', message: 'm', needsApproval: true, deletes: { count: 3, bytes: 9, percent: 30, sample: ['x'] } },
      summary: { kind: 'rclone-sync', bytesTransferred: 1, filesTransferred: 1, filesDeleted: 0, errors: 0, durationSeconds: 1 },
      approvedCount: Infinity,
    });
    expect(r.block?.deletes?.count).toBe(3);
    expect(r.approvedCount).toBeGreaterThan(1e300);
    expect(runs.list({ limit: 10, status: 'blocked' }).runs.map((x) => x.id)).toEqual([id]);
    expect(Object.keys(toWire(r))).not.toContain('ownerPid');
  });

  it('prunes finished history by age and count, never active or blocked runs', () => {
    const { db } = fresh();
    const runs = new RunStore(db);
    const now = new Date('2026-11-25T00:00:00Z');
    const mk = (daysAgo: number, status: 'succeeded' | 'running' | 'blocked') => {
      const t = new Date(now.getTime() - daysAgo * 86_400_000);
      const r = runs.create({ id: newRunId(t), jobId: 'a', trigger: 'schedule', queuedAt: t.toISOString(), resources: [], ownerPid: null, ownerStart: null });
      runs.update(r.id, { status });
      return r.id;
    };
    const old = mk(400, 'succeeded');
    const oldBlocked = mk(390, 'blocked');
    const recent = [mk(3, 'succeeded'), mk(2, 'succeeded'), mk(1, 'running')];
    expect(runs.prune({ keepDays: 180, keepRuns: 2, now }).sort()).toEqual([old, recent[0]].sort());
    expect(runs.get(oldBlocked)).toBeDefined();
    expect(runs.get(recent[2]!)).toBeDefined();
  });
});

describe('event hub', () => {
  it('stores then publishes, resumes by id, survives a broken subscriber', () => {
    const { db } = fresh();
    const hub = new EventStore(db);
    const seen: number[] = [];
    hub.subscribe(() => {
      throw new Error('closed socket');
    });
    const off = hub.subscribe((e) => {
      // stored before it is published: the row is already readable
      expect(hub.since(e.id - 1)[0]!.id).toBe(e.id);
      seen.push(e.id);
    });
    const a = hub.publish({ type: 'status.changed', reason: 'one' });
    const b = hub.publish({ type: 'run.progress', runId: 'r1', jobId: 'j', progress: { percent: 1, bytesDone: 1, bytesTotal: 2, filesDone: 0, filesTotal: null, rate: null, etaSeconds: null, current: [] } });
    off();
    hub.publish({ type: 'status.changed', reason: 'three' });
    expect(seen).toEqual([a.id, b.id]);
    expect(hub.since(a.id).map((e) => e.event.type)).toEqual(['run.progress', 'status.changed']);
    expect(hub.lastId()).toBe(b.id + 1);
    expect(hub.since(hub.lastId())).toEqual([]);
  });
});

describe('event hub across processes', () => {
  it('delivers events another connection stored, once each, and not its own twice', async () => {
    const dir = cleanup.tempDir('pillars-store-').path;
    const file = path.join(dir, 'pillarsd.db');
    const serveDb = openDb(file);
    const cliDb = openDb(file);
    cleanup.add(() => serveDb.close());
    cleanup.add(() => cliDb.close());
    const serve = new EventStore(serveDb);
    const cli = new EventStore(cliDb);
    const seen: string[] = [];
    serve.subscribe((e) => seen.push(e.event.type === 'status.changed' ? e.event.reason : e.event.type));
    const stop = serve.followOtherProcesses((fn, ms) => {
      const t = setTimeout(fn, ms);
      return { cancel: () => clearTimeout(t) };
    }, 20);
    serve.publish({ type: 'status.changed', reason: 'serve 1' });
    cli.publish({ type: 'status.changed', reason: 'cli 1' });
    cli.publish({ type: 'status.changed', reason: 'cli 2' });
    serve.publish({ type: 'status.changed', reason: 'serve 2' });
    await new Promise((r) => setTimeout(r, 150));
    stop();
    cli.publish({ type: 'status.changed', reason: 'after stop' });
    await new Promise((r) => setTimeout(r, 60));
    expect(seen.filter((x) => x.startsWith('serve'))).toEqual(['serve 1', 'serve 2']);
    expect(seen.filter((x) => x.startsWith('cli'))).toEqual(['cli 1', 'cli 2']);
    expect(seen).not.toContain('after stop');
  });
});
