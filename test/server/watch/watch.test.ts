// Capacity (real statfs, real SQLite samples), Time Machine bundles (real folders shaped like
// Time Machine's; macOS itself can't run here), B2 planning and disk health.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, utimesSync, writeFileSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { tempDir, type TempDir } from '../../support/tmp';
import { openDb } from '../../../server/src/store/db';
import { CapacityStore, capacityWarnings, trend, type CapacitySample } from '../../../server/src/watch/capacity';
import { planB2, B2_DEFAULT_PRICE } from '../../../server/src/watch/b2plan';
import { evaluateBundles, snapshotDates } from '../../../server/src/watch/timemachine';
import { collectWatchStatus, sampleCapacity, watchStatusContributor } from '../../../server/src/watch/status';
import { diskHealth, statfsPort, timeMachineScanner } from '../../../server/src/infra/watch-host';
import type { Clock } from '../../../server/src/ports/clock';
import type { StatusResponse } from '../../../server/src/contract/api';

const fixedClock = (iso: string): Clock & { set(iso: string): void } => {
  let now = new Date(iso);
  return { now: () => now, setTimeout: () => ({ cancel() {} }), set: (i) => (now = new Date(i)) };
};

let dir: TempDir;
beforeAll(() => {
  dir = tempDir('pillars-watch-');
});
afterAll(() => dir?.cleanup());

describe('B2 plan', () => {
  it('12 TB at 1 Mbit/s seeds in about 1,111 days; cost from the price per TB-month', () => {
    const p = planB2(12e12, { uplinkMbps: 1 });
    expect(p.seedEtaSeconds! / 86_400).toBeCloseTo(1111.1, 0);
    expect(planB2(12e12, { uplinkMbps: 100 }).seedEtaSeconds! / 86_400).toBeCloseTo(11.1, 0);
    expect(p.monthlyCost).toBe(72);
    expect(p).toMatchObject({ currency: 'USD', pricePerTbMonth: 6, priceDate: B2_DEFAULT_PRICE.priceDate });
    expect(planB2(1.5e12, { pricePerTbMonth: 5, currency: 'EUR', priceDate: '2026-01-01' })).toMatchObject({ monthlyCost: 7.5, seedEtaSeconds: null, currency: 'EUR', priceDate: '2026-01-01' });
  });

  it('follows the seed job\'s bwlimit timetable: 12 TB at 100 Mbit/s with "08:00,4M 23:00,off" takes about 19 days, not 11 (issue 22)', () => {
    const now = new Date('2026-12-07T12:00:00');
    const p = planB2(12e12, { uplinkMbps: 100, now, seed: { jobId: 'space-seed', bwlimit: '08:00,4M 23:00,off', remainingBytes: null } });
    expect(p.fullRateEtaSeconds! / 86_400).toBeCloseTo(11.1, 0);
    expect(p.seedEtaSeconds! / 86_400).toBeGreaterThan(18.5);
    expect(p.seedEtaSeconds! / 86_400).toBeLessThan(19.5);
    expect(p).toMatchObject({ seedJob: 'space-seed', seedRemainingBytes: 12e12 });
    // what the seed's last listing left, not all of Space
    expect(planB2(12e12, { uplinkMbps: 100, now, seed: { jobId: 's', remainingBytes: 3e12 } }).seedEtaSeconds! / 86_400).toBeCloseTo(2.8, 0);
  });

  it('counts the versions B2 keeps: bytes the syncs hid a day times the lifecycle days', () => {
    const p = planB2(12e12, { hiddenBytesPerDay: 20e9, keepVersionsDays: 30 });
    expect(p).toMatchObject({ versionBytes: 600e9, keepVersionsDays: 30, monthlyCost: 75.6 });
    expect(planB2(12e12, {})).toMatchObject({ versionBytes: null, keepVersionsDays: 30, monthlyCost: 72 });
  });
});

describe('capacity', () => {
  it('statfs matches the kernel and thresholds raise warnings', async () => {
    // Other processes write to this disk meanwhile: the free space read must lie between the
    // kernel's figures taken just before and just after it.
    const before = statfsSync(dir.path);
    const u = await statfsPort.statfs(dir.path);
    const after = statfsSync(dir.path);
    expect(u.totalBytes).toBe(after.blocks * after.bsize);
    const free = [before.bavail * before.bsize, after.bavail * after.bsize];
    expect(u.freeBytes).toBeGreaterThanOrEqual(Math.min(...free));
    expect(u.freeBytes).toBeLessThanOrEqual(Math.max(...free));
    expect(capacityWarnings('space', { totalBytes: 100, freeBytes: 50, usedBytes: 50 })).toEqual([]);
    expect(capacityWarnings('space', { totalBytes: 100, freeBytes: 8, usedBytes: 92 })[0]).toMatch(/^space: low on space: 8\.0% free/);
    expect(capacityWarnings('space', { totalBytes: 100, freeBytes: 3, usedBytes: 97 })[0]).toMatch(/critically low/);
  });

  it('stores samples (migration 20) and derives a trend', async () => {
    const db = openDb(':memory:');
    try {
      const store = new CapacityStore(db);
      const clock = fixedClock('2026-11-01T00:00:00Z');
      expect(await sampleCapacity({ pillars: [{ id: 'flux', path: dir.path }], statfs: statfsPort, clock, store })).toBe(1);
      for (let d = 0; d < 10; d++) {
        store.insert({ pillar: 'space', at: new Date(Date.UTC(2026, 10, 1 + d)).toISOString(), totalBytes: 1000e9, usedBytes: 500e9 + d * 2e9, freeBytes: 500e9 - d * 2e9 });
      }
      const samples: CapacitySample[] = store.since('space', '2026-10-01T00:00:00Z');
      expect(samples).toHaveLength(10);
      const t = trend(samples);
      expect(t.bytesPerDay).toBe(2e9);
      expect(t.daysUntilFull).toBeCloseTo(241, 0);
      expect(store.since('flux', '2026-10-01T00:00:00Z')).toHaveLength(1);
      expect(store.prune('2026-11-05T00:00:00.000Z')).toBe(5);
    } finally {
      db.close();
    }
  });

  it('disk health degrades to unknown where the hardware does not tell', async () => {
    const h = await diskHealth(dir.path);
    expect(['ok', 'failing', 'unknown']).toContain(h.smart);
  });
});

/** A bundle shaped like Time Machine's: Info.plist, MachineID.plist, bands/ with 8 MiB-style band files. */
function makeBundle(root: string, rel: string, bandBytes: number[], mtime: Date, history?: string): void {
  const b = path.join(root, rel);
  mkdirSync(path.join(b, 'bands'), { recursive: true });
  writeFileSync(path.join(b, 'Info.plist'), '<?xml version="1.0"?><plist version="1.0"><dict/></plist>');
  writeFileSync(path.join(b, 'com.apple.TimeMachine.MachineID.plist'), '<plist version="1.0"><dict/></plist>');
  bandBytes.forEach((n, i) => writeFileSync(path.join(b, 'bands', i.toString(16)), Buffer.alloc(n)));
  if (history) writeFileSync(path.join(b, 'com.apple.TimeMachine.SnapshotHistory.plist'), history);
  for (const f of ['Info.plist', 'com.apple.TimeMachine.MachineID.plist', ...bandBytes.map((_, i) => `bands/${i.toString(16)}`)]) utimesSync(path.join(b, f), mtime, mtime);
}

describe('Time Machine bundles', () => {
  it('finds per-Mac bundles, their size, last backup, cap share and staleness', async () => {
    const time = path.join(dir.path, 'time');
    mkdirSync(time);
    makeBundle(time, 'mike/count-zero.sparsebundle', [4096, 8192], new Date('2026-11-24T22:00:00Z'));
    makeBundle(time, 'ana/neuromancer.backupbundle', [1000], new Date('2026-10-01T10:00:00Z'));
    const history = `<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>Snapshots</key><array>
      <dict><key>com.apple.backupd.SnapshotCompletionDate</key><date>2026-11-20T08:00:00Z</date></dict>
      <dict><key>com.apple.backupd.SnapshotCompletionDate</key><date>2026-11-25T06:30:00Z</date></dict></array></dict></plist>`;
    makeBundle(time, 'mona-lisa.sparsebundle', [2000], new Date('2026-09-01T00:00:00Z'), history);
    mkdirSync(path.join(time, 'mike', 'not-a-bundle'));

    const scans = await timeMachineScanner.scan(time);
    expect(scans.map((s) => s.rel).sort()).toEqual(['ana/neuromancer.backupbundle', 'mike/count-zero.sparsebundle', 'mona-lisa.sparsebundle']);
    const ev = evaluateBundles(scans, { capBytes: 100_000, staleDays: 7, now: new Date('2026-11-25T12:00:00Z') });
    const by = Object.fromEntries(ev.bundles.map((b) => [b.name, b]));
    expect(by['count-zero.sparsebundle']!.sizeBytes).toBeGreaterThanOrEqual(4096 + 8192);
    expect(by['count-zero.sparsebundle']!.lastBackupAt).toBe('2026-11-24T22:00:00.000Z');
    expect(by['count-zero.sparsebundle']!.stale).toBe(false);
    expect(by['count-zero.sparsebundle']!.folder).toBe('mike');
    expect(by['count-zero.sparsebundle']!.capShare).toBeCloseTo(by['count-zero.sparsebundle']!.sizeBytes / 100_000, 3);
    expect(by['neuromancer.backupbundle']!.stale).toBe(true);
    // The snapshot history wins over old file times.
    expect(by['mona-lisa.sparsebundle']!.lastBackupAt).toBe('2026-11-25T06:30:00.000Z');
    expect(by['mona-lisa.sparsebundle']!.stale).toBe(false);
    expect(ev.warnings).toEqual([expect.stringMatching(/ana\/neuromancer\.backupbundle last backed up 55 days ago \(more than 7\)/)]);
    expect(evaluateBundles(scans, { capBytes: 16_000, staleDays: 90, now: new Date('2026-11-25T12:00:00Z') }).warnings[0]).toMatch(/bundles use .* of the .* cap/);
    // Per user (share path time/%U) the cap is each user's: only mike's folder is near it.
    const per = evaluateBundles(scans, { capBytes: 13_500, staleDays: 90, perUser: true, now: new Date('2026-11-25T12:00:00Z') });
    expect(per.warnings).toEqual([expect.stringMatching(/^Time Machine: bundles in mike\/ use /)]);
    expect(snapshotDates('<date>nonsense-date-value</date>')).toEqual([]);
  });

  it('the status contributor fills pillars, Time Machine and B2 into StatusResponse', async () => {
    const clock = fixedClock('2026-11-25T12:00:00Z');
    const deps = {
      clock,
      pillars: [
        { id: 'space', path: dir.path },
        { id: 'time', path: path.join(dir.path, 'time') },
      ],
      statfs: statfsPort,
      thresholds: { warnFreePercent: 101, critFreePercent: 0 }, // every disk is "low" at 101 %
      timeMachine: { pillar: 'time', capBytes: 1e12, staleDays: 7, scanner: timeMachineScanner },
      b2: { pillar: 'space', plan: { uplinkMbps: 40 } },
    };
    const w = await collectWatchStatus(deps);
    expect(w.capacity.map((c) => c.id)).toEqual(['space', 'time']);
    expect(w.b2!.spaceBytes).toBe(w.capacity[0]!.usedBytes);
    const s: StatusResponse = {
      version: 't',
      time: clock.now().toISOString(),
      pillars: ['space', 'time'].map((id) => ({ id, path: '', online: true, sentinel: true, mounted: true, totalBytes: null, freeBytes: null, usedBytes: null, warnings: [] })),
      jobs: [],
      timeMachine: [],
      hotSets: [],
      b2: null,
      samba: { drift: null, reloadFailed: null },
      warnings: [],
    };
    await watchStatusContributor(deps)(s);
    expect(s.pillars[0]!.totalBytes).toBeGreaterThan(0);
    expect(s.pillars[0]!.warnings[0]).toMatch(/^space: low on space/);
    expect(s.timeMachine).toHaveLength(3);
    expect(s.b2!.uplinkMbps).toBe(40);
    expect(s.warnings.some((x) => /neuromancer/.test(x))).toBe(true);
  });
});

describe('watchers from pillarsd.yaml', () => {
  it('resolves the hot root, picks the Flux backup for the pause and contributes status', async () => {
    const { parseConfig } = await import('../../../server/src/config/load');
    const { watchFromConfig } = await import('../../../server/src/watch/compose');
    const { hotSetsFromConfig } = await import('../../../server/src/watch/hotset-wiring');
    const { HotSetPauseStore } = await import('../../../server/src/store/hotset-pauses');
    const { openDb } = await import('../../../server/src/store/db');
    const { systemClock } = await import('../../../server/src/infra/clock');
    const { nodeExec } = await import('../../../server/src/infra/exec');
    const config = parseConfig(
      `stateDir: ${dir.path}/state
pillars:
  flux: { path: ${dir.path}, requireMount: false }
  space: { path: ${dir.path}, requireMount: false }
  time: { path: ${dir.path}/time, requireMount: false, timeMachine: { maxSize: 1T, staleDays: 3 } }
secrets: { restic: env:RESTIC_PW }
syncthing: { url: "http://127.0.0.1:9", apiKey: "env:ST_KEY", hotRoot: "flux:/hot", pauseDuringBackup: true }
b2plan: { uplinkMbps: 50 }
jobs:
  flux-backup: { type: restic-backup, source: "flux:/", repository: "space:/backups/restic/flux", password: restic, schedule: "0 2 * * *" }
`,
      'pillarsd.yaml',
    );
    const hotSets = hotSetsFromConfig(config, { journal: new HotSetPauseStore(openDb(':memory:')), isRunLive: () => false, clock: systemClock, exec: nodeExec, env: { ST_KEY: 'k' } })!;
    expect(hotSets.hotRoot).toBe(`${dir.path}/hot`);
    const w = watchFromConfig(config, { env: { ST_KEY: 'k' }, hotSets });
    expect(hotSets.aroundRun).not.toBeNull();
    expect(w.createHotSet).not.toBeNull();
    // Syncthing is unreachable (port 9): the job still runs, saying so in its log.
    let ran = false;
    const log: string[] = [];
    await hotSets.aroundRun!(
      { id: 'flux-backup', config: config.jobs['flux-backup']! },
      async () => {
        ran = true;
      },
      { runId: 'r1', log: (l) => log.push(l) },
    );
    expect(ran).toBe(true);
    expect(log).toEqual([expect.stringMatching(/^hot-sets: could not pause every hot-set \(Syncthing at http:\/\/127\.0\.0\.1:9 did not answer GET \/rest\/config\/folders: .*\); the backup runs anyway$/)]);
    const s: StatusResponse = { version: 't', time: '', pillars: [], jobs: [], timeMachine: [], hotSets: [], b2: null, samba: { drift: null, reloadFailed: null }, warnings: [] };
    await w.contributor(s);
    expect(s.b2!.uplinkMbps).toBe(50);
    expect(s.timeMachine[0]!.capBytes).toBe(1024 ** 4);
    expect(s.warnings.join('\n')).toMatch(/hot-sets: Syncthing at http:\/\/127\.0\.0\.1:9 did not answer/);
  });
});
