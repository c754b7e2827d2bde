// Every argv pillarsd builds for rclone, for every remote type it drives (b2, s3, crypt, sftp,
// local), through the installed rclone (Debian 12: 1.60) against endpoints that refuse connections
// (B2 and S3 themselves are not reachable here): each must fail on the network, never with a usage
// error. The argv is exactly the builders'; only the environment bounds rclone's retries
// (RCLONE_RETRIES and friends) so a refused connection fails in seconds, not minutes.
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as rclone from '../../../server/src/tools/rclone';
import { rcloneCheckOneWay, rcloneCopyBack, rcloneSizeOf } from '../../../server/src/tools/rclone-recover';
import type { Command } from '../../../server/src/tools/restic';
import { parseRcloneVersion, rcloneCaps } from '../../../server/src/tools/versions';
import { run, runOk } from '../../support/proc';
import { useCleanup } from '../../support/tmp';

const reg = useCleanup();
const USAGE = /unknown flag|unknown shorthand|unknown command|flag needs an argument|invalid argument|usage:/i;
const NETWORK = /connection refused|dial tcp/i;
const REFUSED = '127.0.0.1:1';

async function installedCaps() {
  const v = parseRcloneVersion((await runOk('rclone', ['version'])).stdout);
  if (!v) throw new Error('cannot read the installed rclone version');
  return rcloneCaps(v);
}

async function obscure(pw: string): Promise<string> {
  return (await runOk('rclone', ['obscure', '-'], { input: pw, env: { PATH: process.env.PATH!, RCLONE_CONFIG: '/dev/null' } })).stdout.trim();
}

async function remotes(dir: string): Promise<Record<string, { defs: rclone.RemoteDef[]; target: string; network: boolean }>> {
  const sftp: rclone.RemoteDef = { name: 'box', type: 'sftp', options: { host: '127.0.0.1', port: '1', user: 'backup', pass: await obscure('pw') } };
  return {
    b2: { defs: [{ name: 'b2', type: 'b2', options: { account: '0012345abcdef0000000001', key: 'K001secretsecretsecretsecret', endpoint: `http://${REFUSED}` } }], target: 'b2:miket-space/space', network: true },
    s3: {
      defs: [{ name: 's3', type: 's3', options: { provider: 'Other', access_key_id: 'AKIA', secret_access_key: 'secret', endpoint: `http://${REFUSED}`, region: 'us-east-1' } }],
      target: 's3:miket-space/space',
      network: true,
    },
    sftp: { defs: [sftp], target: 'box:backups/space', network: true },
    crypt: { defs: [sftp, { name: 'vault', type: 'crypt', options: { remote: 'box:crypt', password: await obscure('pw1'), password2: await obscure('pw2') } }], target: 'vault:space', network: true },
    local: { defs: [{ name: 'disk', type: 'local', options: {} }], target: `disk:${path.join(dir, 'no such folder')}`, network: false },
  };
}

/** Every command a sync or copy run, a check, a seed window and a recovery build, for one remote. */
function commands(env: Record<string, string>, target: string, type: string, caps: ReturnType<typeof rcloneCaps>, list: string, source: string): Array<[string, Command]> {
  const sides = { sourceType: 'local', destinationType: type };
  return [
    ['list', rclone.rcloneList('rclone', env, target, { type, exclude: ['/.pillar', '/backups/restic/**'], checkers: 8 })],
    ['features', rclone.rcloneFeatures('rclone', env, target)],
    ['copy', rclone.rcloneCopyList('rclone', env, { ...sides, source, destination: target, filesFrom: list, caps, bwlimit: '08:00,4M 23:00,off', transfers: 16, checkers: 8, maxDuration: '6h' })],
    ['copy (defaults)', rclone.rcloneCopyList('rclone', env, { ...sides, source, destination: target, filesFrom: list, caps })],
    ['copy (new files)', rclone.rcloneCopyList('rclone', env, { ...sides, source, destination: target, filesFrom: list, caps, ignoreExisting: true, maxDuration: '5400000ms' })],
    // the first copy into a destination whose listing found nothing (no list: rclone walks the
    // source, here a folder holding what the list copy copies, so neither disturbs the other's checks)
    [
      'first copy',
      rclone.rcloneCopyNew('rclone', env, {
        ...sides,
        source: path.join(source, 'src'),
        destination: target,
        caps,
        exclude: ['/.pillar', '/backups/restic/**'],
        bwlimit: '08:00,4M 23:00,off',
        transfers: 16,
        checkers: 8,
      }),
    ],
    // the nightly plan: one dry run of the sync lists and compares both sides (the source as the first copy's)
    ['sync plan', rclone.rcloneSyncPlan('rclone', env, { ...sides, source: path.join(source, 'src'), destination: target, exclude: ['/.pillar', '/backups/restic/**'], checkers: 8 })],
    ['delete', rclone.rcloneDeleteList('rclone', env, { destination: target, filesFrom: list, maxDelete: 3, checkers: 8 })],
    ['rmdirs', rclone.rcloneRmdirs('rclone', env, `${target}/old album`)],
    ['probe', rclone.rcloneProbe('rclone', env, target)],
    // a recovery reads the remote back (issue 16)
    ['size', rcloneSizeOf('rclone', env, target, ['/backups/restic/**'])],
    ['copy back', rcloneCopyBack('rclone', env, { from: target, to: path.join(source, 'back'), bwlimit: '8M', exclude: ['/backups/restic/**'] })],
    ['check one-way', rcloneCheckOneWay('rclone', env, { from: target, to: source, exclude: [] })],
  ];
}

describe('every rclone argv pillarsd builds, through the installed rclone', () => {
  it('b2, s3, crypt, sftp and local: a network error (or a missing folder), never a usage error', { timeout: 240_000 }, async () => {
    const dir = reg.tempDir('pillars-rclone-argv-').path;
    const list = path.join(dir, 'files.list');
    writeFileSync(list, 'a.txt\nalbum/b.jpg\n');
    writeFileSync(path.join(dir, 'a.txt'), 'a');
    mkdirSync(path.join(dir, 'src'));
    writeFileSync(path.join(dir, 'src', 'a.txt'), 'a');
    const caps = await installedCaps();
    const all = await remotes(dir);
    const jobs: Array<Promise<void>> = [];
    for (const [type, r] of Object.entries(all)) {
      const env = { ...rclone.rcloneEnv(r.defs, { PATH: process.env.PATH, HOME: dir }), RCLONE_RETRIES: '1', RCLONE_LOW_LEVEL_RETRIES: '1', RCLONE_CONTIMEOUT: '5s' };
      const backend = r.defs[r.defs.length - 1]!.type;
      for (const [what, c] of commands(env, r.target, backend, caps, list, dir)) {
        jobs.push(
          run(c.cmd, c.args, { env: c.env, timeoutMs: 120_000 }).then((res) => {
            const out = `${type} ${what}: rclone ${c.args.join(' ')} → exit ${res.code}\n${res.stderr.slice(-600)}`;
            expect(res.stderr, out).not.toMatch(USAGE);
            expect(res.code, out).not.toBe(2);
            // a command that needs the far end fails on the network; one that does not (the features
            // of an S3 remote) may succeed, and a local folder that is not there is "not found"
            if (res.code !== 0) expect(res.stderr, out).toMatch(r.network ? NETWORK : /not found|no such file/i);
            if (r.network && (what === 'list' || what === 'probe' || what === 'sync plan')) expect(res.stderr, out).toMatch(NETWORK);
          }),
        );
      }
    }
    await Promise.all(jobs);
  });

  it('the check would have caught the old argv: --b2-upload-concurrency is an unknown flag to this rclone unless it is 1.64+', async () => {
    const dir = reg.tempDir('pillars-rclone-argv-').path;
    const list = path.join(dir, 'files.list');
    writeFileSync(list, 'a.txt\n');
    const installed = await installedCaps();
    // the argv an rclone 1.66 gets, handed to the installed one
    const newer = rcloneCaps(parseRcloneVersion('rclone v1.66.0')!);
    const env = {
      ...rclone.rcloneEnv([{ name: 'b2', type: 'b2', options: { account: 'a', key: 'k', endpoint: `http://${REFUSED}` } }], { PATH: process.env.PATH, HOME: dir }),
      RCLONE_RETRIES: '1',
      RCLONE_LOW_LEVEL_RETRIES: '1',
    };
    const c = rclone.rcloneCopyList('rclone', env, { source: dir, destination: 'b2:bucket', filesFrom: list, caps: newer, sourceType: 'local', destinationType: 'b2' });
    expect(c.args).toContain('--b2-upload-concurrency');
    const res = await run(c.cmd, c.args, { env: c.env, timeoutMs: 60_000 });
    if (installed.b2UploadConcurrency) expect(res.stderr).toMatch(NETWORK);
    else {
      // rclone 1.60 exits 1 for an unknown flag, before it touches anything
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(/unknown flag: --b2-upload-concurrency/);
      expect(res.stderr).toMatch(USAGE);
    }
  });

  it('the capability table matches the flags the installed rclone has', async () => {
    const caps = await installedCaps();
    const flags = (await runOk('rclone', ['help', 'flags'])).stdout;
    expect(/--b2-upload-concurrency\b/.test(flags)).toBe(caps.b2UploadConcurrency);
    // what pillarsd passes to every version it accepts (1.60+)
    for (const f of [
      '--files-from-raw',
      '--no-traverse',
      '--dry-run',
      '--suffix',
      '--ignore-existing',
      '--max-delete',
      '--max-duration',
      '--cutoff-mode',
      '--fast-list',
      '--bwlimit',
      '--use-json-log',
      '--stats-log-level',
      '--contimeout',
      '--low-level-retries',
    ])
      expect(flags, f).toContain(f);
  });
});
