// Downloading a large file from a snapshot (issue 16): pillarsd streams `restic dump` straight into
// the HTTP answer, so its memory must stay flat (RSS growth ≤ 30 MB over a 1 GiB file) and the
// download must keep up with restic (≥ 0.8× the throughput of `restic dump > /dev/null`). pillarsd
// runs as its own process (`pillarsd serve`, from source through tsx) so that its RSS is read alone,
// from /proc every 50 ms during the download; the bench reads the answer and throws it away. Quick
// mode dumps a 256 MiB file, PILLARS_FULL=1 the 1 GiB the target names.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { runPillarsd, spawnPillarsd } from '../test/support/cli';
import { fmt, stats, writeSection } from './lib/report';
import { isMet, MB, rssOf, sleep, verdict } from './lib/measure';
import { resticMotoko } from './lib/restic-motoko';

const FULL = !!process.env.PILLARS_FULL;
const SIZE = (FULL ? 1024 : 256) * MB;
const SAMPLES = FULL ? 3 : 2;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pillars-bench-dump-'));

function rawDump(env: NodeJS.ProcessEnv, snap: string, file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const devnull = openSync('/dev/null', 'w');
    const t = performance.now();
    const c = spawn('restic', ['dump', '--', snap, file], { env, stdio: ['ignore', devnull, 'pipe'] });
    let err = '';
    c.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    c.on('error', reject);
    c.on('close', (code) => {
      closeSync(devnull);
      if (code !== 0) reject(new Error(`restic dump exited ${code}: ${err}`));
      else resolve(performance.now() - t);
    });
  });
}

let server: ReturnType<typeof spawnPillarsd> | null = null;
try {
  const t0 = Date.now();
  const m = await resticMotoko(tmp, (flux) => {
    const fd = openSync(path.join(flux, 'big.bin'), 'w');
    for (let left = SIZE; left > 0; left -= 4 * MB) writeSync(fd, randomBytes(Math.min(left, 4 * MB)));
    closeSync(fd);
  });
  const file = path.join(m.flux, 'big.bin');
  console.log(`${SIZE / MB} MiB backed up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const env = { ...process.env, ...m.resticEnv };

  const tok = await runPillarsd(['token', 'create', '--role', 'admin', '--name', 'bench', '--json', '--config', m.configFile]);
  if (tok.code !== 0) throw new Error(`token create: ${tok.stderr}`);
  const token = (JSON.parse(tok.stdout) as { token: string }).token;
  server = spawnPillarsd(['serve', '--config', m.configFile]);
  const url = (await server.waitForLine(/serving (http:\/\/[0-9.:]+)/, 60_000))[1]!;
  const dumpUrl = `${url}/api/v1/jobs/flux-backup/snapshots/${m.snapshotId}/dump?path=${encodeURIComponent(file)}`;
  const pid = server.pid;

  // one download first, not counted: the first answer loads the route's code and its validators,
  // a one-time cost that is not growth with the file's size
  const warm = await fetch(dumpUrl, { headers: { authorization: `Bearer ${token}` } });
  if (warm.status !== 200 || !warm.body) throw new Error(`dump answered ${warm.status}: ${await warm.text()}`);
  for await (const chunk of warm.body) void chunk;

  const rates: number[] = [];
  const rawRates: number[] = [];
  const growth: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    await sleep(1000);
    const before = rssOf(pid)!;
    let peak = before;
    const sampler = setInterval(() => {
      const r = rssOf(pid);
      if (r !== null && r > peak) peak = r;
    }, 50);
    const t = performance.now();
    const res = await fetch(dumpUrl, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200 || !res.body) throw new Error(`dump answered ${res.status}: ${await res.text()}`);
    let bytes = 0;
    for await (const chunk of res.body) bytes += (chunk as Uint8Array).byteLength;
    const ms = performance.now() - t;
    clearInterval(sampler);
    if (bytes !== SIZE) throw new Error(`downloaded ${bytes} bytes of ${SIZE}`);
    rates.push(SIZE / MB / (ms / 1000));
    growth.push((peak - before) / MB);
    rawRates.push(SIZE / MB / ((await rawDump(env, m.snapshotId, file)) / 1000));
  }
  const r = stats(rates);
  const raw = stats(rawRates);
  const g = stats(growth);
  const vRss = verdict(g.max, 30);
  const ratio = r.median / raw.median;
  const vRate = verdict(ratio, 0.8, false);
  const load = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const md = `## Downloading a ${SIZE / MB} MiB file (\`bench/restore-dump.ts\`)

Method: a real restic 0.14 repository holding one snapshot of a ${SIZE / MB} MiB random file
(${FULL ? 'the 1 GiB of the target' : 'quick mode; PILLARS_FULL=1 dumps the 1 GiB of the target'}). \`pillarsd serve\` runs as a process of its
own (from source through tsx) and answers \`GET /api/v1/jobs/:id/snapshots/:snapshot/dump?path=FILE\`;
the bench reads the answer to its end and throws it away. RSS growth: the server's VmRSS read every
50 ms during the download, its peak minus the value just before (after one download that is not
counted: the first answer loads the route's code once). Baseline: \`restic dump SNAP FILE >
/dev/null\` with the same repository and cache, alternating with the download, ${SAMPLES} samples
each; load average ${load} at the end.

| measure | median | min | max | target | verdict |
|---|---|---|---|---|---|
| baseline: \`restic dump > /dev/null\` | ${fmt(raw.median)} MB/s | ${fmt(raw.min)} MB/s | ${fmt(raw.max)} MB/s | | |
| pillarsd download over the API | ${fmt(r.median)} MB/s | ${fmt(r.min)} MB/s | ${fmt(r.max)} MB/s | ≥ 0.8× restic | ${vRate}; ${fmt(ratio, 2)}× restic |
| pillarsd RSS growth during the download | ${fmt(g.median)} MB | ${fmt(g.min)} MB | ${fmt(g.max)} MB | ≤ 30 MB | ${vRss} (max) |
`;
  console.log(md);
  writeSection('restore-dump', md);
  if (!isMet(vRss) || !isMet(vRate)) process.exitCode = 1;
} finally {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
}
