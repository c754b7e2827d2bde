// Hot-sets against a real Syncthing pair (test/support/syncthing.ts): completion, conflict files,
// pause/resume around a failing backup, and creating a hot-set from a path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startSyncthing, pairSyncthing, type Syncthing } from '../../support/syncthing';
import { tempDir, type TempDir } from '../../support/tmp';
import { SyncthingClient, SyncthingError } from '../../../server/src/watch/syncthing';
import { createHotSet, hotSetStatus, pauseHotSetsAround, resumeLeftovers, HotSetError } from '../../../server/src/watch/hotsets';
import { conflictFinder, fileJournal } from '../../../server/src/infra/watch-host';
import Fastify from 'fastify';
import { hotSetRoutes } from '../../../server/src/http/routes/hotsets';
import { makeErrorHandler } from '../../../server/src/http/problem';

let a: Syncthing;
let b: Syncthing;
let dir: TempDir;
let hotRoot: string;
let client: SyncthingClient;
const FOLDER = 'hot-notes';

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  while (Date.now() - t0 < timeoutMs) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

beforeAll(async () => {
  dir = tempDir('pillars-hotsets-');
  hotRoot = path.join(dir.path, 'flux', 'hot');
  mkdirSync(path.join(hotRoot, 'notes'), { recursive: true });
  mkdirSync(path.join(dir.path, 'laptop'), { recursive: true });
  [a, b] = await Promise.all([startSyncthing({ name: 'motoko' }), startSyncthing({ name: 'laptop' })]);
  await pairSyncthing(a, b, FOLDER, path.join(hotRoot, 'notes'), path.join(dir.path, 'laptop'));
  client = new SyncthingClient({ url: a.url, apiKey: async () => a.apiKey });
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await dir?.cleanup();
});

describe('Syncthing hot-sets', () => {
  it('a wrong API key is refused with a clear error', async () => {
    const bad = new SyncthingClient({ url: a.url, apiKey: async () => 'wrong' });
    await expect(bad.folders()).rejects.toThrow(SyncthingError);
    await expect(bad.folders()).rejects.toThrow(/HTTP 403: the API key was refused/);
  });

  it('reports the folder under flux/hot; completion reaches 100 after sync', async () => {
    writeFileSync(path.join(dir.path, 'laptop', 'todo.txt'), 'buy milk\n');
    writeFileSync(path.join(dir.path, 'laptop', 'big.bin'), Buffer.alloc(300_000, 7));
    await b.scan(FOLDER);
    const synced = await until('sync to motoko', async () => {
      const s = await hotSetStatus(client, hotRoot, conflictFinder);
      const f = s.hotSets.find((h) => h.id === FOLDER);
      return f && f.completion === 100 && existsSync(path.join(hotRoot, 'notes', 'big.bin')) && f.state === 'idle' ? s : undefined;
    });
    expect(readFileSync(path.join(hotRoot, 'notes', 'todo.txt'), 'utf8')).toBe('buy milk\n');
    const f = synced.hotSets.find((h) => h.id === FOLDER)!;
    expect(f).toMatchObject({ path: path.join(hotRoot, 'notes'), errors: 0, conflicts: [] });
  });

  it('a conflict file shows in status', async () => {
    // A real conflict: both sides change the same file while the folder is paused on both.
    await Promise.all([a.api('PATCH', `/rest/config/folders/${FOLDER}`, { paused: true }), b.api('PATCH', `/rest/config/folders/${FOLDER}`, { paused: true })]);
    writeFileSync(path.join(hotRoot, 'notes', 'todo.txt'), 'buy milk and bread (motoko)\n');
    writeFileSync(path.join(dir.path, 'laptop', 'todo.txt'), 'buy oat milk (laptop)\n');
    await Promise.all([a.api('PATCH', `/rest/config/folders/${FOLDER}`, { paused: false }), b.api('PATCH', `/rest/config/folders/${FOLDER}`, { paused: false })]);
    await Promise.all([a.scan(FOLDER), b.scan(FOLDER)]);
    const s = await until(
      'a conflict file in status',
      async () => {
        const st = await hotSetStatus(client, hotRoot, conflictFinder);
        return st.hotSets.find((h) => h.id === FOLDER)?.conflicts.length ? st : undefined;
      },
      45_000,
    );
    const f = s.hotSets.find((h) => h.id === FOLDER)!;
    expect(f.conflicts[0]).toMatch(/^todo\.sync-conflict-\d{8}-\d{6}-[A-Z0-9]{7}\.txt$/);
    expect(readdirSync(path.join(hotRoot, 'notes'))).toContain(f.conflicts[0]);
    expect(s.warnings.join('\n')).toMatch(/conflict file/);
  });

  it('pauses the hot-sets around a failing backup and always resumes them', async () => {
    // A second hot-set the admin paused on purpose must stay paused.
    mkdirSync(path.join(hotRoot, 'held'));
    await a.addFolder('hot-held', path.join(hotRoot, 'held'));
    await a.api('PATCH', '/rest/config/folders/hot-held', { paused: true });
    const logs: string[] = [];
    const around = pauseHotSetsAround(client, { hotRoot, jobIds: ['flux-backup'], log: (m) => logs.push(m) });
    let seenPaused: boolean | undefined;
    await expect(
      around({ jobId: 'flux-backup' }, async () => {
        seenPaused = (await client.folders()).find((f) => f.id === FOLDER)!.paused;
        throw new Error('restic exited with 1');
      }),
    ).rejects.toThrow('restic exited with 1');
    expect(seenPaused).toBe(true);
    const after = await client.folders();
    expect(after.find((f) => f.id === FOLDER)!.paused).toBe(false);
    expect(after.find((f) => f.id === 'hot-held')!.paused).toBe(true);
    expect(logs).toEqual([`paused hot-sets ${FOLDER} for flux-backup`, `resumed hot-sets ${FOLDER}`]);
    // Other jobs leave the hot-sets alone.
    await around({ jobId: 'space-offsite' }, async () => {
      expect((await client.folders()).find((f) => f.id === FOLDER)!.paused).toBe(false);
    });
    const st = await hotSetStatus(client, hotRoot, conflictFinder);
    expect(st.hotSets.find((h) => h.id === 'hot-held')!.state).toBe('paused');
  });

  it('a crash between pause and resume is healed at the next start from the journal', async () => {
    const journal = fileJournal(path.join(dir.path, 'state', 'hotsets-paused.json'));
    const around = pauseHotSetsAround(client, { hotRoot, jobIds: ['flux-backup'], journal });
    // The "crash": the job never finishes and the process is gone; only the journal survives.
    let release!: () => void;
    const hung = around({ jobId: 'flux-backup' }, () => new Promise<void>((r) => (release = r)));
    await until('the pause', async () => (await client.folders()).find((f) => f.id === FOLDER)!.paused);
    expect(await journal.load()).toEqual([FOLDER]);
    // A new process starts: it resumes what the journal lists (not hot-held, which the admin paused).
    expect(await resumeLeftovers(client, fileJournal(path.join(dir.path, 'state', 'hotsets-paused.json')))).toEqual([FOLDER]);
    const folders = await client.folders();
    expect(folders.find((f) => f.id === FOLDER)!.paused).toBe(false);
    expect(folders.find((f) => f.id === 'hot-held')!.paused).toBe(true);
    expect(await journal.load()).toEqual([]);
    release();
    await hung;
  });

  it('creates a hot-set from a path under flux/hot, and refuses one outside', async () => {
    mkdirSync(path.join(hotRoot, 'papers'));
    const f = await createHotSet(client, hotRoot, { path: 'papers', devices: [b.deviceId] });
    expect(f).toMatchObject({ id: 'hot-papers', label: 'papers', path: path.join(hotRoot, 'papers') });
    const folders = await client.folders();
    const made = folders.find((x) => x.id === 'hot-papers')!;
    expect(made.devices.map((d) => d.deviceID).sort()).toEqual([a.deviceId, b.deviceId].sort());
    await expect(createHotSet(client, hotRoot, { path: path.join(dir.path, 'elsewhere') })).rejects.toThrow(HotSetError);
    await expect(createHotSet(client, hotRoot, { path: '../../etc' })).rejects.toThrow(/not inside the hot root/);
    await expect(createHotSet(client, hotRoot, { path: 'papers' })).rejects.toThrow(/already exists/);
    await expect(createHotSet(client, hotRoot, { path: 'x', devices: ['nope'] })).rejects.toThrow(/devices: 'nope' is not a Syncthing device ID/);
  });

  it('POST /api/v1/hotsets: 201 for a path under flux/hot, 400 with a message otherwise', async () => {
    // The route alone (auth and roles are the app's gates, tested with the app).
    const app = Fastify({ ajv: { customOptions: { removeAdditional: false } } }); // as the app configures it
    app.setErrorHandler(makeErrorHandler(() => {}));
    hotSetRoutes(app, { hotSets: { create: (i) => createHotSet(client, hotRoot, i) } });
    try {
      mkdirSync(path.join(hotRoot, 'music'));
      const ok = await app.inject({ method: 'POST', url: '/api/v1/hotsets', payload: { path: 'music', label: 'Music' } });
      expect(ok.statusCode, ok.body).toBe(201);
      expect(ok.json()).toMatchObject({ id: 'hot-music', label: 'Music', path: path.join(hotRoot, 'music') });
      const outside = await app.inject({ method: 'POST', url: '/api/v1/hotsets', payload: { path: '/etc' } });
      expect(outside.statusCode).toBe(400);
      expect(outside.json().detail).toMatch(/not inside the hot root/);
      const bad = await app.inject({ method: 'POST', url: '/api/v1/hotsets', payload: { path: 'x', devices: ['nope'] } });
      expect(bad.statusCode).toBe(400);
      const extra = await app.inject({ method: 'POST', url: '/api/v1/hotsets', payload: { path: 'x', owner: 'root' } });
      expect(extra.statusCode).toBe(400);
    } finally {
      await app.close();
    }
  });
});
