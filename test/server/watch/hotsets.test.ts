// Hot-sets against a real Syncthing pair (test/support/syncthing.ts): completion, conflict files,
// pause/resume around a failing backup, and creating a hot-set from a path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startSyncthing, pairSyncthing, type Syncthing } from '../../support/syncthing';
import { tempDir, type TempDir } from '../../support/tmp';
import { SyncthingClient, SyncthingError } from '../../../server/src/watch/syncthing';
import { createHotSet, hotSetStatus, LeftoverPauses, pauseHotSetsAround, HotSetError } from '../../../server/src/watch/hotsets';
import { conflictFinder } from '../../../server/src/infra/watch-host';
import { HotSetPauseStore } from '../../../server/src/store/hotset-pauses';
import { openDb } from '../../../server/src/store/db';
import { hotSetsFromConfig } from '../../../server/src/watch/hotset-wiring';
import { parseConfig } from '../../../server/src/config/load';
import { systemClock } from '../../../server/src/infra/clock';
import { nodeExec } from '../../../server/src/infra/exec';
import type { ServerEvent } from '../../../server/src/contract/api';
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

  it('pauses the hot-sets around a failing backup and always resumes them, logging both in the run', async () => {
    // A second hot-set the admin paused on purpose must stay paused.
    mkdirSync(path.join(hotRoot, 'held'));
    await a.addFolder('hot-held', path.join(hotRoot, 'held'));
    await a.api('PATCH', '/rest/config/folders/hot-held', { paused: true });
    const logs: string[] = [];
    const journal = new HotSetPauseStore(openDb(':memory:'));
    const around = pauseHotSetsAround(client, { hotRoot, jobIds: ['flux-backup'], journal, now: () => new Date() });
    let seenPaused: boolean | undefined;
    let onRecord: string[] = [];
    await expect(
      around({ jobId: 'flux-backup', runId: 'r1', log: (m) => logs.push(m) }, async () => {
        seenPaused = (await client.folders()).find((f) => f.id === FOLDER)!.paused;
        onRecord = journal.list().map((r) => `${r.folderId}@${r.runId}`);
        throw new Error('restic exited with 1');
      }),
    ).rejects.toThrow('restic exited with 1');
    expect(seenPaused).toBe(true);
    expect(onRecord).toEqual([`${FOLDER}@r1`]);
    const after = await client.folders();
    expect(after.find((f) => f.id === FOLDER)!.paused).toBe(false);
    expect(after.find((f) => f.id === 'hot-held')!.paused).toBe(true);
    expect(logs).toEqual([`hot-sets: paused ${FOLDER} for flux-backup`, `hot-sets: resumed ${FOLDER}`]);
    expect(journal.list()).toEqual([]);
    // Other jobs leave the hot-sets alone.
    await around({ jobId: 'space-offsite', runId: 'r2', log: (m) => logs.push(m) }, async () => {
      expect((await client.folders()).find((f) => f.id === FOLDER)!.paused).toBe(false);
    });
    const st = await hotSetStatus(client, hotRoot, conflictFinder);
    expect(st.hotSets.find((h) => h.id === 'hot-held')!.state).toBe('paused');
  });

  it('a crash between pause and resume: the journal keeps the pause; the next process resumes it, and a backup in between takes it over', async () => {
    const db = path.join(dir.path, 'state', 'pillarsd.db');
    const first = new HotSetPauseStore(openDb(db));
    const live = new Set(['r-crashed']);
    const around = pauseHotSetsAround(client, { hotRoot, jobIds: ['flux-backup'], journal: first, now: () => new Date() });
    // The "crash": the job never finishes and the process is gone; only the journal survives.
    let release!: () => void;
    const hung = around({ jobId: 'flux-backup', runId: 'r-crashed', log: () => {} }, () => new Promise<void>((r) => (release = r)));
    await until('the pause', async () => (await client.folders()).find((f) => f.id === FOLDER)!.paused);
    // another process's view of the same database
    const journal = new HotSetPauseStore(openDb(db));
    const leftovers = new LeftoverPauses(client, { journal, isRunLive: (id) => live.has(id) });
    // while the run is live, its pause is not a leftover
    expect(leftovers.leftovers()).toEqual([]);
    live.delete('r-crashed');
    expect(leftovers.warnings()).toEqual([
      expect.stringMatching(new RegExp(`^hot-set ${FOLDER} is still paused since .*: pillarsd paused it for run r-crashed, which did not resume it; it is resumed as soon as Syncthing answers$`)),
    ]);
    // A backup runs before the leftovers were resumed (Syncthing was down at the start): it takes
    // the leftover pause over and resumes it after itself, instead of leaving it for good.
    const logs: string[] = [];
    const next = pauseHotSetsAround(client, { hotRoot, jobIds: ['flux-backup'], journal, now: () => new Date() });
    await next({ jobId: 'flux-backup', runId: 'r-next', log: (m) => logs.push(m) }, async () => {
      expect(journal.list().map((r) => `${r.folderId}@${r.runId}`)).toEqual([`${FOLDER}@r-next`]);
    });
    expect(logs[0]).toBe(`hot-sets: paused ${FOLDER} for flux-backup (${FOLDER} left paused by an earlier run: resumed after this one)`);
    expect((await client.folders()).find((f) => f.id === FOLDER)!.paused).toBe(false);
    expect(journal.list()).toEqual([]);
    // and the hot-held folder the admin paused was never touched
    expect((await client.folders()).find((f) => f.id === 'hot-held')!.paused).toBe(true);
    release();
    await hung;
  });

  it('at start, leftover pauses are resumed, the journal file of older versions included (then removed)', async () => {
    const state = path.join(dir.path, 'state2');
    mkdirSync(state, { recursive: true });
    const config = parseConfig(
      `stateDir: ${state}
pillars: { flux: { path: ${dir.path}/flux, requireMount: false } }
syncthing: { url: "${a.url}", apiKey: "env:ST_KEY", hotRoot: "flux:/hot" }
`,
      'pillarsd.yaml',
    );
    await a.api('PATCH', `/rest/config/folders/${FOLDER}`, { paused: true });
    writeFileSync(path.join(state, 'hotsets-paused.json'), JSON.stringify([FOLDER]));
    const journal = new HotSetPauseStore(openDb(':memory:'));
    const hs = hotSetsFromConfig(config, { journal, isRunLive: () => false, clock: systemClock, exec: nodeExec, env: { ST_KEY: a.apiKey } })!;
    const said: string[] = [];
    await hs.start((m) => said.push(m));
    expect(said).toEqual([`resumed hot-sets a run left paused: ${FOLDER}`]);
    expect((await client.folders()).find((f) => f.id === FOLDER)!.paused).toBe(false);
    expect(existsSync(path.join(state, 'hotsets-paused.json'))).toBe(false);
    expect(journal.list()).toEqual([]);
    expect(hs.leftovers.warnings()).toEqual([]);
  });

  it('tells of new conflict files as a hotset.conflicts event (those already there are the baseline)', async () => {
    const config = parseConfig(
      `stateDir: ${dir.path}/state3
pillars: { flux: { path: ${dir.path}/flux, requireMount: false } }
syncthing: { url: "${a.url}", apiKey: "env:ST_KEY", hotRoot: "flux:/hot", pollSeconds: 0.2 }
`,
      'pillarsd.yaml',
    );
    const hs = hotSetsFromConfig(config, { journal: new HotSetPauseStore(openDb(':memory:')), isRunLive: () => false, clock: systemClock, exec: nodeExec, env: { ST_KEY: a.apiKey } })!;
    const events: ServerEvent[] = [];
    let ticks = 0;
    const stop = hs.watch(
      (e) => events.push(e),
      () => ticks++,
    );
    try {
      const before = (await hotSetStatus(client, hotRoot, conflictFinder)).hotSets.find((h) => h.id === FOLDER)!.conflicts.length;
      await new Promise((r) => setTimeout(r, 1000));
      expect(events).toEqual([]);
      const name = 'draft.sync-conflict-20261204-120000-ABCDEFG.md';
      writeFileSync(path.join(hotRoot, 'notes', name), 'the other side\n');
      await until('the event', async () => events.length > 0);
      expect(events).toEqual([{ type: 'hotset.conflicts', hotSetId: FOLDER, label: FOLDER, path: path.join(hotRoot, 'notes'), added: [name], total: before + 1 }]);
    } finally {
      stop();
    }
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
