// `pillarsd token | pair | systemd unit`, run as the real CLI (tsx from source) against a config
// in a temp folder; the tokens it prints work against a listening server built on the same store.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../support/tmp';
import { openDb } from '../../../server/src/store/db';
import { TokenStore, parseToken } from '../../../server/src/store/tokens';
import { renderUnit } from '../../../server/src/cli/commands/systemd';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');
const dir = tempDir('pillars-cli-');
const conf = path.join(dir.path, 'pillarsd.yaml');
const state = path.join(dir.path, 'state');

async function pillarsd(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server/src/cli/main.ts'), ...args, '--config', conf], { cwd: ROOT, timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

beforeAll(() => {
  mkdirSync(path.join(dir.path, 'flux'));
  writeFileSync(conf, `stateDir: ${state}\nserver:\n  listen: 127.0.0.1:0\n  tls: auto\n  allowedHosts: [motoko]\npillars:\n  flux: { path: ${dir.path}/flux, requireMount: false }\n`);
});
afterAll(() => dir.cleanup());

// each case starts the CLI several times (tsx: seconds each on a busy machine)
describe('pillarsd token', { timeout: 240_000 }, () => {
  let id = '';
  let token = '';
  it('create --json prints id, token and fingerprint once; the store keeps only a hash', async () => {
    const r = await pillarsd('token', 'create', '--role', 'admin', '--name', 'laptop', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { id: string; token: string; fingerprint: string };
    expect(Object.keys(out).sort()).toEqual(['fingerprint', 'id', 'token']);
    expect(out.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    ({ id, token } = out);
    const secret = parseToken(token)!.secret; // base64url: it may hold `_`
    for (const f of readdirSync(state)) {
      if (f.startsWith('pillarsd.db')) expect(readFileSync(path.join(state, f)).includes(secret), f).toBe(false);
    }
    const db = openDb(path.join(state, 'pillarsd.db'));
    try {
      expect(new TokenStore(db).verify(token)).toMatchObject({ tokenId: id, role: 'admin', name: 'laptop' });
      expect(new TokenStore(db).verify(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'))).toBeNull();
    } finally {
      db.close();
    }
  });

  it('pair prints a code and the same fingerprint', async () => {
    const r = await pillarsd('pair', '--role', 'viewer', '--json');
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout) as { code: string; role: string; fingerprint: string; expiresAt: string };
    expect(p.code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(Date.parse(p.expiresAt) - Date.now()).toBeGreaterThan(9 * 60_000);
    const t = JSON.parse((await pillarsd('token', 'create', '--role', 'viewer', '--json')).stdout) as { fingerprint: string };
    expect(p.fingerprint).toBe(t.fingerprint);
  });

  it('list shows no secret; revoke by id; bad input exits 2 naming it', async () => {
    const list = await pillarsd('token', 'list', '--json');
    expect(list.stdout).toContain(id);
    expect(list.stdout).not.toContain(parseToken(token)!.secret);
    const rev = await pillarsd('token', 'revoke', id);
    expect(rev.code).toBe(0);
    expect(rev.stdout).toContain(`revoked ${id}`);
    const bad = await pillarsd('token', 'create', '--role', 'root');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--role must be admin or viewer/);
    const missing = await pillarsd('token', 'revoke', 'feedfeedfeedfeed');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no token feedfeedfeedfeed/);
  });
});

describe('pillarsd systemd unit', { timeout: 240_000 }, () => {
  it('prints a unit systemd-analyze verify accepts without a warning', async () => {
    const r = await pillarsd('systemd', 'unit', '--exec', '/usr/bin/true');
    expect(r.code, r.stderr).toBe(0);
    for (const key of [
      'ProtectSystem=strict',
      'PrivateTmp=yes',
      'NoNewPrivileges=yes',
      `ReadWritePaths=${state} ${dir.path}/flux`,
      '-/etc/samba',
      '-/run/samba',
      '-/var/lib/samba',
      `RequiresMountsFor=${dir.path}/flux`,
    ]) {
      expect(r.stdout).toContain(key);
    }
    expect(r.stdout).toContain(`ExecStart=/usr/bin/true serve --config ${conf}`);
    expect(r.stdout).not.toContain('MemoryDenyWriteExecute'); // V8's JIT needs W+X pages
    const unit = path.join(dir.path, 'pillarsd.service');
    writeFileSync(unit, r.stdout);
    const v = await run('systemd-analyze', ['verify', unit]).then(
      (x) => ({ code: 0, stderr: x.stderr }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr.split('\n').filter((l) => l.includes('pillarsd.service'))).toEqual([]);
  });

  it('refuses what would make a broken unit', () => {
    expect(() => renderUnit({ exec: ['pillarsd'], configFile: '/etc/pillars/pillarsd.yaml', stateDir: '/var/lib/pillars', pillars: [], sambaConfigDirs: [] })).toThrow(/absolute program/);
    expect(() => renderUnit({ exec: ['/usr/bin/pillarsd'], configFile: '/etc/p.yaml', stateDir: '/var/lib/pillars', pillars: ['/flux\nExecStartPre=/bin/sh'], sambaConfigDirs: [] })).toThrow(/absolute path/);
    const u = renderUnit({ exec: ['/usr/bin/pillarsd'], configFile: '/etc/p.yaml', stateDir: '/var/lib/pillars', pillars: ['/srv/my flux'], sambaConfigDirs: ['/etc/samba'] });
    expect(u).toContain('StateDirectory=pillars');
    expect(u).toContain('ReadWritePaths="/srv/my flux" -/etc/samba');
    // the schedule editor rewrites pillarsd.yaml: its own folder is writable, never all of /etc
    const own = renderUnit({ exec: ['/usr/bin/pillarsd'], configFile: '/etc/pillars/pillarsd.yaml', stateDir: '/var/lib/pillars', pillars: ['/flux'], sambaConfigDirs: [] });
    expect(own).toMatch(/^ReadWritePaths=\/flux \/etc\/pillars -/m);
  });
});
