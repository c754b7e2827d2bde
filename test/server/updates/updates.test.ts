// Tray updates on the server (issue 21): `pillarsd updates add|list|channel` run as the real CLI,
// and the feed a real pillarsd (serve, TLS auto) hands each paired client through the tray's own
// pinned TLS: by its token's channel, never without a token.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../server/src/config/load';
import { startServe, type Served } from '../../../server/src/cli/commands/serve';
import { serverLog } from '../../../server/src/infra/log';
import { UpdateRefused, UpdateService } from '../../../server/src/updates/service';
import { openRequest, PinMismatchError } from '../../../src/main/core/server/http';
import type { ServerTarget } from '../../../src/main/core/server/http';
import { makeSandbox } from '../jobs/sandbox';
import { useCleanup } from '../../support/tmp';
import { feedText, sha512b64, writeTrayRelease } from '../../support/tray-release';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');
const reg = useCleanup();
const sb = makeSandbox(reg);
const work = reg.tempDir('pillars-updates-').path;
const store = path.join(sb.state, 'updates');

async function pillarsd(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server/src/cli/main.ts'), ...args, '--config', sb.configFile], { cwd: ROOT, timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

/** Every file under the store with its size and modification time: "changes nothing" made checkable. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names.sort()) {
      const p = path.join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push(`${path.relative(dir, p)} ${st.size} ${st.mtimeMs} ${sha512b64(readFileSync(p))}`);
    }
  };
  walk(dir);
  return out;
}

describe('pillarsd updates (CLI)', { timeout: 300_000 }, () => {
  it('refuses a build whose sha512 is not its feed entry, with a clear message, and changes nothing', async () => {
    const r1 = writeTrayRelease(work, '1.1.0');
    const good = await pillarsd('updates', 'add', ...r1.files);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain('stable: latest.yml now offers 1.1.0');
    expect(good.stdout).toContain('stable: latest-mac.yml now offers 1.1.0');
    const before = snapshot(store);
    expect(before.length).toBe(6); // three builds, three feeds

    const r2 = writeTrayRelease(work, '1.2.0');
    const exe = path.join(r2.dir, r2.builds['latest.yml']);
    const tampered = Buffer.from(r2.bytes[r2.builds['latest.yml']]!);
    tampered[100] ^= 0xff;
    writeFileSync(exe, tampered);
    const bad = await pillarsd('updates', 'add', ...r2.files);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('nothing was published');
    expect(bad.stderr).toContain(`${exe}: its sha512 is ${sha512b64(tampered)}, but latest.yml says ${sha512b64(r2.bytes[r2.builds['latest.yml']]!)}`);
    // the two sound feeds of the same release were not published either
    expect(snapshot(store)).toEqual(before);

    const older = writeTrayRelease(work, '1.0.5');
    const old = await pillarsd('updates', 'add', path.join(older.dir, 'latest-linux.yml'));
    expect(old.code).toBe(1);
    expect(old.stderr).toContain('latest-linux.yml: version 1.0.5 is older than 1.1.0, which the stable channel already offers');
    expect(snapshot(store)).toEqual(before);

    const list = await pillarsd('updates', 'list', '--json');
    expect(list.code, list.stderr).toBe(0);
    const channels = (JSON.parse(list.stdout) as { channels: Array<{ channel: string; feeds: Array<{ name: string; version: string }> }> }).channels;
    expect(channels.find((c) => c.channel === 'stable')!.feeds.map((f) => `${f.name} ${f.version}`)).toEqual(['latest-linux.yml 1.1.0', 'latest-mac.yml 1.1.0', 'latest.yml 1.1.0']);
    expect(channels.find((c) => c.channel === 'beta')!.feeds).toEqual([]);

    const badChannel = await pillarsd('updates', 'add', '--channel', 'nightly', ...r1.files);
    expect(badChannel.code).toBe(2);
    expect(badChannel.stderr).toContain('--channel must be stable or beta, not "nightly"');
  });
});

describe('UpdateService.add refusals', () => {
  it('names each problem: a file no feed names, a missing build, the same version with other files, a malformed feed', async () => {
    const svc = new UpdateService(path.join(work, 'state2'));
    const r = writeTrayRelease(work, '2.0.0');
    await svc.add([path.join(r.dir, 'latest.yml')], 'beta'); // its build is found beside it
    expect(
      svc
        .list()
        .find((c) => c.channel === 'beta')!
        .feeds.map((f) => f.version),
    ).toEqual(['2.0.0']);
    // again, the same: nothing to do, nothing refused
    expect(await svc.add([path.join(r.dir, 'latest.yml')], 'beta')).toMatchObject({ published: [], unchanged: ['latest.yml'] });

    const stray = path.join(work, 'notes.txt');
    writeFileSync(stray, 'x');
    const other = path.join(work, 'other');
    mkdirSync(other, { recursive: true });
    writeFileSync(path.join(other, 'latest.yml'), feedText('2.0.0', r.builds['latest.yml'], Buffer.from('another build')));
    writeFileSync(path.join(other, r.builds['latest.yml']), 'another build');
    writeFileSync(path.join(other, 'latest-mac.yml'), 'version: [1\n');
    writeFileSync(path.join(other, 'latest-linux.yml'), feedText('2.1.0', 'pillars_2.1.0_amd64.deb', Buffer.from('never built')));
    const err = await svc.add([stray, ...['latest.yml', 'latest-mac.yml', 'latest-linux.yml'].map((f) => path.join(other, f))], 'beta').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpdateRefused);
    const reasons = (err as UpdateRefused).reasons.join('\n');
    expect(reasons).toContain(`${stray}: no feed given names notes.txt`);
    expect(reasons).toContain(`latest-mac.yml: not YAML`);
    expect(reasons).toContain('latest-linux.yml names pillars_2.1.0_amd64.deb, which was neither given nor found beside latest-linux.yml');
    expect(reasons).toContain(`${r.builds['latest.yml']} is already published with other content`);
    expect(reasons).toContain('latest.yml: version 2.0.0 is already published on the beta channel with other files');
    expect(
      svc
        .list()
        .find((c) => c.channel === 'beta')!
        .feeds.map((f) => f.version),
    ).toEqual(['2.0.0']);
  });
});

describe('the feed served by a real pillarsd', { timeout: 120_000 }, () => {
  let s: Served;
  let stable: ServerTarget;
  let beta: ServerTarget;
  let stableId: string;
  let betaId: string;
  beforeAll(async () => {
    s = await startServe({ file: sb.configFile, config: parseConfig(sb.yaml, sb.configFile), text: sb.yaml }, { host: '127.0.0.1', port: 0, tls: 'auto', logger: serverLog({ level: 'error' }) });
    reg.add(() => s.stop());
    const a = s.tokens.create({ role: 'viewer', name: 'Pillars tray on count-zero' });
    const b = s.tokens.create({ role: 'viewer', name: 'Pillars tray on ono-sendai' });
    stableId = a.id;
    betaId = b.id;
    s.tokens.setChannel(b.id, 'beta');
    stable = { url: s.url, fingerprint: s.fingerprint, token: a.token };
    beta = { url: s.url, fingerprint: s.fingerprint, token: b.token };
  });

  async function get(t: ServerTarget, file: string, headers?: Record<string, string>): Promise<{ status: number; body: Buffer }> {
    const res = await openRequest(t, { path: `api/v1/updates/${file}`, headers });
    const chunks: Buffer[] = [];
    for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
    return { status: res.statusCode ?? 0, body: Buffer.concat(chunks) };
  }

  it('gives each client its channel: stable the stable feed, beta the newer of beta and stable', async () => {
    const r3 = writeTrayRelease(work, '1.3.0-beta.1');
    await new UpdateService(sb.state).add(r3.files, 'beta');
    const st = await get(stable, 'latest-mac.yml?noCache=abc');
    expect(st.status).toBe(200);
    expect(st.body.toString()).toMatch(/^version: 1\.1\.0$/m);
    const bt = await get(beta, 'latest-mac.yml');
    expect(bt.body.toString()).toMatch(/^version: 1\.3\.0-beta\.1$/m);
    // the build itself, byte for byte
    const exe = await get(beta, r3.builds['latest.yml']);
    expect(exe.status).toBe(200);
    expect(sha512b64(exe.body)).toBe(sha512b64(r3.bytes[r3.builds['latest.yml']]!));
    // a stable release newer than the beta reaches the beta client too
    const r4 = writeTrayRelease(work, '1.4.0');
    await new UpdateService(sb.state).add([path.join(r4.dir, 'latest-linux.yml')], 'stable');
    expect((await get(beta, 'latest-linux.yml')).body.toString()).toMatch(/^version: 1\.4\.0$/m);
    expect((await get(beta, 'latest.yml')).body.toString()).toMatch(/^version: 1\.3\.0-beta\.1$/m);
  });

  it('answers only a paired client over the pinned certificate; nothing outside the store', async () => {
    expect((await get({ ...stable, token: null }, 'latest.yml')).status).toBe(401);
    expect((await get({ ...stable, token: stable.token!.slice(0, -2) + 'xx' }, 'latest.yml')).status).toBe(401);
    const wrongPin = 'AA:'.repeat(31) + 'AA';
    await expect(get({ ...stable, fingerprint: wrongPin }, 'latest.yml')).rejects.toBeInstanceOf(PinMismatchError);
    expect((await get(stable, 'latest-windows.yml')).status).toBe(404);
    expect((await get(stable, '..%2Fpillarsd.db')).status).toBe(400);
    expect((await get(stable, '.incoming-x')).status).toBe(400);
  });

  it("records each client's version from X-Pillars-Client and lists it with the channel", async () => {
    await get(stable, 'latest.yml', { 'x-pillars-client': '1.1.0 darwin' });
    await get(beta, 'latest.yml', { 'x-pillars-client': '1.3.0-beta.1 win32' });
    await get(beta, 'latest.yml', { 'x-pillars-client': 'not a version; rm -rf' });
    const list = s.tokens.list();
    expect(list.find((t) => t.id === stableId)).toMatchObject({ clientVersion: '1.1.0', clientOs: 'darwin', updateChannel: 'stable' });
    expect(list.find((t) => t.id === betaId)).toMatchObject({ clientVersion: '1.3.0-beta.1', clientOs: 'win32', updateChannel: 'beta' });
  });
});

afterAll(() => reg.run());
