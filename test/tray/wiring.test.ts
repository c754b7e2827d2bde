// End to end: a real pillarsd (`pillarsd demo`: real restic and rclone in a sandbox) and the tray
// glue under the Electron stand-in. The tray pairs through its first-run IPC with a code from the
// server, follows the live event stream, and when a real restic backup fails (its repository
// password no longer matches) the run.finished event turns the icon red and raises one critical
// notification whose click opens that run in the admin pane. After a restart the same run is not
// told again.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnPillarsd } from '../support/cli';
import type { SpawnedCli } from '../support/cli';
import { CHANNELS } from '../../src/preload/channels';
import type { JobInfo, Run } from '../../server/src/contract/api';
import { startHarness, waitFor } from './harness';
import type { Harness } from './harness';

let demo: SpawnedCli;
let dir: string;
let url: string;
let adminToken: string;
const harnesses: Harness[] = [];

async function api<T>(method: 'GET' | 'POST', p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}${p}`, { method, headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

const jobsIdle = async () => {
  const jobs = await api<JobInfo[] | { jobs: JobInfo[] }>('GET', '/api/v1/jobs');
  const list = Array.isArray(jobs) ? jobs : jobs.jobs;
  return list.every((j) => j.state === 'idle' || j.state === 'blocked');
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pillars-wiring-'));
  demo = spawnPillarsd(['demo', '--dir', path.join(dir, 'demo'), '--json'], { cwd: dir });
  await demo.waitForLine(/^\}$/, 60_000); // --json prints one pretty-printed object
  const info = JSON.parse(demo.stdout()) as { url: string; token: string };
  url = info.url.replace(/\/$/, '');
  adminToken = info.token;
  // the demo starts with a first backup and the offsite sync after it: let them finish
  await waitFor(jobsIdle, 'the demo first runs', 90_000);
}, 150_000);

afterAll(async () => {
  for (const h of harnesses) await h.cleanup();
  await demo?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a real pillarsd run.finished (failed) reaches the tray', () => {
  it('pairs on first run, turns the icon red, notifies once, and the click opens the run', async () => {
    const trayDir = path.join(dir, 'tray');
    mkdirSync(trayDir, { recursive: true });
    const h = await startHarness({ dir: trayDir });
    harnesses.push(h);
    await waitFor(() => h.control.tray?.tooltip === 'Pillars: not set up: open Preferences', 'the unpaired tray');

    // First run, as the preferences page does it through the preload bridge.
    const { code } = await api<{ code: string }>('POST', '/api/v1/pair/codes', { role: 'admin', name: 'wiring test' });
    const app = 'pillars://app/index.html#/preferences';
    const probe = (await h.control.invoke(CHANNELS.setupProbe, app, url)) as { url: string; fingerprint: string | null; version: string };
    expect(probe).toMatchObject({ url, fingerprint: null });
    const paired = (await h.control.invoke(CHANNELS.setupPair, app, { url: probe.url, fingerprint: probe.fingerprint, code: code.toLowerCase() })) as { role: string };
    expect(paired.role).toBe('admin');
    expect(h.tokens.get(url)).toMatch(/.{16,}/);
    expect(h.deps.settings.get().server.url).toBe(url);
    expect(JSON.stringify(h.deps.settings.get())).not.toContain(h.tokens.get(url)!); // the token is in the keychain, not the settings file
    await expect(h.control.invoke(CHANNELS.setupPair, app, { url, fingerprint: null, code })).rejects.toThrow(/401.*unknown, expired or already used/);

    await waitFor(() => h.app!.connection.snapshot().connection === 'connected' && h.control.tray!.image.fakePath.endsWith('tray-ok.png'), `a green tray (tooltip: ${h.control.tray?.tooltip})`, 20_000);
    expect(h.control.menuLabels().some((l) => /^Flux snapshot: .*succeeded$/.test(l))).toBe(true);
    const shownBefore = h.control.notifications.length;

    // Break the backup for real: the repository password no longer matches.
    writeFileSync(path.join(dir, 'demo', 'secrets', 'restic.pw'), 'not-the-repository-password', { mode: 0o600 });
    const { runId } = await api<{ runId: string }>('POST', '/api/v1/jobs/flux-backup/run');
    await waitFor(() => h.control.notifications.some((n) => n.options.title === 'Flux snapshot failed'), 'the failure notification', 60_000);
    const failed = await api<Run>('GET', `/api/v1/runs/${runId}`);
    expect(failed.status).toBe('failed');

    const note = h.control.notifications.find((n) => n.options.title === 'Flux snapshot failed')!;
    expect(note.shown).toBe(true);
    expect(note.options).toMatchObject({ urgency: 'critical', silent: false });
    expect(h.control.notifications.slice(shownBefore).filter((n) => n.options.title === 'Flux snapshot failed')).toHaveLength(1);
    await waitFor(() => h.control.tray!.image.fakePath.endsWith(path.join('linux', 'tray-error.png')), 'the red icon');
    expect(h.control.tray!.tooltip).toMatch(/Flux snapshot failed/);
    expect(h.control.menuLabels()).toContain('Flux snapshot: FAILED just now');

    note.click();
    const admin = h.control.windows.find((w) => w.webContents.url.startsWith(url))!;
    expect(admin.webContents.url).toBe(`${url}/#/runs/${encodeURIComponent(runId)}`);
    expect(await h.control.invoke(CHANNELS.adminToken, `${url}/#/runs/${runId}`)).toBe(h.tokens.get(url));

    // Restart: settings, keychain token and notification memory survive; the run is not told again.
    const tokens = Object.fromEntries(h.tokens);
    await h.app!.dispose();
    harnesses.splice(harnesses.indexOf(h), 1);
    const again = await startHarness({ dir: trayDir, tokens });
    harnesses.push(again);
    await waitFor(() => again.control.tray?.image.fakePath.endsWith('tray-error.png') === true, 'red again after restart', 20_000);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(again.control.notifications.filter((n) => n.options.title === 'Flux snapshot failed')).toHaveLength(0);
  }, 120_000);
});
