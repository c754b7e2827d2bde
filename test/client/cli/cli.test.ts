// The `pillars` CLI as a user runs it: exit codes (0 · 1 failed · 2 usage or settings), `doctor`
// with a fix for each failure on real parts (smbd, local vault, keyring), and the server part of
// `status` against a local HTTPS pillarsd stand-in with the certificate pinned.
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmbd } from '../../support/smbd';
import type { Smbd } from '../../support/smbd';
import { startVault } from '../../support/vault';
import type { Vault } from '../../support/vault';
import { startKeyring } from '../../support/keyring';
import type { Keyring } from '../../support/keyring';
import { issueCert } from '../../support/tls';
import { run } from '../../support/proc';
import { useCleanup } from '../../support/tmp';
import { buildCliBundle } from './bundle';

const USER = 'pillarsd6';
const PW = 'doctor-pw-1';

describe('pillars CLI', () => {
  const cleanup = useCleanup();
  let smbd: Smbd;
  let vault: Vault;
  let keyring: Keyring;
  let dir: string;
  let js: string;
  let healthUrl: string;
  let fingerprint: string;

  const settings = (name: string, patch: Record<string, unknown> = {}) => {
    const f = path.join(dir, `${name}.json`);
    writeFileSync(
      f,
      JSON.stringify({
        smb: { host: smbd.address, username: USER, domain: '' },
        secret: {
          source: 'akv',
          vaultUrl: vault.url,
          name: 'smb',
          credential: 'client-secret',
          tenantId: vault.tenantId,
          clientId: vault.clientId,
          authorityHost: vault.authorityHost,
          disableChallengeResourceVerification: true,
        },
        pillars: [
          { id: 'flux', share: 'flux', label: 'Flux' },
          { id: 'space', share: 'space', label: 'Space' },
        ],
        mountRoot: path.join(dir, 'home', '.mkt'),
        ...patch,
      }),
    );
    return f;
  };
  const pillars = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, [js, ...args], {
      env: { ...process.env, HOME: path.join(dir, 'home'), XDG_RUNTIME_DIR: path.join(dir, 'run'), ...keyring.env, AZURE_CLIENT_SECRET: vault.clientSecret, ...env },
      cwd: dir,
      timeoutMs: 60_000,
    });

  beforeAll(async () => {
    dir = cleanup.tempDir('pillars-cli-').path;
    keyring = cleanup.track(await startKeyring());
    vault = cleanup.track(await startVault({ secrets: { smb: PW } }));
    smbd = cleanup.track(
      await startSmbd({
        users: [{ name: USER, password: PW }],
        shares: [
          { name: 'flux', path: path.join(dir, 'srv', 'flux') },
          { name: 'space', path: path.join(dir, 'srv', 'space') },
          { name: 'locked', path: path.join(dir, 'srv', 'locked'), params: { 'valid users': 'nobody' } },
        ],
      }),
    );
    const b = await buildCliBundle('cli');
    cleanup.add(b.remove);
    js = b.js;
    const cert = issueCert(path.join(dir, 'tls'), { ips: ['127.0.0.1'] });
    fingerprint = new X509Certificate(cert.cert).fingerprint256;
    const srv = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
      res.writeHead(req.url === '/api/v1/health' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, version: '9.9.9' }));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    cleanup.add(() => new Promise<void>((r) => srv.close(() => r())));
    healthUrl = `https://127.0.0.1:${(srv.address() as { port: number }).port}`;
  });
  afterAll(() => cleanup.run());

  it('exit 2 for usage errors and invalid settings, naming the file and key', async () => {
    const missing = await pillars(['--config', path.join(dir, 'nope.json'), 'status']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${path.join(dir, 'nope.json')}: (file): no such file`);

    const withPw = settings('pw', { smb: { host: 'motoko', username: 'mike', domain: '', password: 'leak' } });
    const bad = await pillars(['--config', withPw, 'status']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/pw\.json: smb: must NOT have additional properties/);
    const badMount = await pillars(['--config', withPw, 'mount']);
    expect(badMount.code).toBe(2);
    expect(badMount.stderr).toMatch(/pw\.json: smb: must NOT have additional properties/);
    expect(bad.stderr).not.toContain('leak');

    expect((await pillars(['frobnicate'])).code).toBe(2);
    const unknown = await pillars(['--config', settings('ok'), 'open', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no pillar "nope" \(configured: flux, space\)/);
  });

  it('doctor: everything green exits 0', async () => {
    const r = await pillars(['--config', settings('good'), 'doctor']);
    expect(r.stdout).toMatch(/^ok {3}settings/m);
    expect(r.stdout).toMatch(/^ok {3}keychain +reachable; no cached password yet/m);
    expect(r.stdout).toMatch(/^ok {3}vault +Key Vault .* secret smb readable/m);
    expect(r.stdout).toMatch(/^ok {3}smb server +\S+ answers SMB \(\d+ ms\)/m);
    expect(r.stdout).toMatch(/^ok {3}smbnetfs +\/\S+smbnetfs$/m);
    expect(r.stdout).toMatch(/^ok {3}fuse +\/\S+fusermount3?$/m);
    expect(r.stdout).toMatch(/^ok {3}login flux/m);
    expect(r.stdout).toMatch(/^ok {3}login space/m);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(PW);
  });

  it('doctor: each failure with its fix, exit 1', async () => {
    vault.setSecret('smb', 'not-the-server-password');
    const r = await pillars([
      '--config',
      settings('wrongpw', {
        pillars: [
          { id: 'flux', share: 'flux', label: 'Flux' },
          { id: 'gone', share: 'gone', label: 'Gone' },
        ],
      }),
      'doctor',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL login flux +\/\/\S+\/flux: \S+ rejected the password of pillarsd6\n {5}fix: set the same password in the vault and on the server/m);
    expect(r.stdout).not.toContain('not-the-server-password');
    vault.setSecret('smb', PW);
    const gone = await pillars([
      '--config',
      settings('gone', {
        pillars: [
          { id: 'flux', share: 'flux', label: 'Flux' },
          { id: 'gone', share: 'gone', label: 'Gone' },
          { id: 'locked', share: 'locked', label: 'Locked' },
        ],
      }),
      'doctor',
    ]);
    expect(gone.stdout).toMatch(/^ok {3}login flux/m);
    expect(gone.stdout).toMatch(/^FAIL login gone +share gone does not exist on \S+\n {5}fix: check pillars\[\]\.share/m);
    // the password is right, the share just does not let this user in: not a password problem
    expect(gone.stdout).toMatch(
      /^FAIL login locked +\S+ accepted the login of pillarsd6, but share locked does not let this user in \(valid users or the folder's permissions on the server\)\n {5}fix: on \S+: add pillarsd6 to the share's users/m,
    );

    const noVault = await pillars([
      '--config',
      settings('novault', {
        secret: {
          source: 'akv',
          vaultUrl: vault.url,
          name: 'absent',
          credential: 'client-secret',
          tenantId: vault.tenantId,
          clientId: vault.clientId,
          authorityHost: vault.authorityHost,
          disableChallengeResourceVerification: true,
        },
      }),
      'doctor',
    ]);
    expect(noVault.code).toBe(1);
    expect(noVault.stdout).toMatch(/^FAIL vault +secret absent in https:\/\/127\.0\.0\.1:\d+ not found \(404 SecretNotFound\)\n {5}fix: create the secret absent/m);
  }, 120_000);

  it('doctor names the server problem: not running, not found; and what this machine lacks to mount, with the apt line', async () => {
    const down = await pillars(['--config', settings('down', { smb: { host: '127.0.0.9', username: USER, domain: '' } }), 'doctor']);
    expect(down.stdout).toMatch(/^FAIL smb server +127\.0\.0\.9 refuses connections on port 445 \(SMB server not running\)\n {5}fix: start Samba on 127\.0\.0\.9/m);
    const nowhere = await pillars(['--config', settings('nowhere', { smb: { host: 'pillars-no-such-host.invalid', username: USER, domain: '' } }), 'doctor']);
    expect(nowhere.stdout).toMatch(/^FAIL smb server +host pillars-no-such-host\.invalid not found \(the name does not resolve\)\n {5}fix: check smb\.host in the settings, or your DNS/m);
    // a PATH without smbnetfs and fusermount: the apt line that brings them
    const bare = await pillars(['--config', settings('good'), 'doctor'], { PATH: '/nonexistent' });
    expect(bare.stdout).toMatch(/^FAIL smbnetfs +smbnetfs is not installed: the pillars cannot be mounted\n {5}fix: sudo apt-get install smbnetfs fuse3/m);
    expect(bare.stdout).toMatch(/^FAIL fuse +fusermount is not installed \(FUSE tools\)\n {5}fix: sudo apt-get install smbnetfs fuse3/m);
  }, 120_000);

  it('doctor against a hung server: its checks done within 5 s, it says hung, never "exit null"', async () => {
    await smbd.pause();
    try {
      const r = await pillars(['--config', settings('hung'), '--json', 'doctor']);
      expect(r.code).toBe(1);
      const j = JSON.parse(r.stdout) as { checks: Array<{ name: string; ok: boolean; detail: string; fix?: string }>; ms: number };
      expect(j.checks.find((c) => c.name === 'smb server')).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/accepts connections on port 445 but does not answer SMB within 3\.0 s \(hung\)$/),
        fix: expect.stringMatching(/^the server is hung: restart Samba/),
      });
      expect(r.stdout).not.toMatch(/exit null/);
      expect(j.ms, r.stdout).toBeLessThan(5_000); // from the doctor's first check to its last, in the process itself
    } finally {
      await smbd.resume();
    }
  });

  it('status --json: the pillars and the pinned server; exit 1 while a pillar is not mounted', async () => {
    const f = settings('status', { server: { url: healthUrl, fingerprint } });
    const r = await pillars(['--config', f, 'status', '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as { pillars: Array<Record<string, unknown>>; server: Record<string, unknown> };
    expect(j.pillars).toEqual([
      { id: 'flux', state: 'unmounted', reason: 'not mounted', path: path.join(dir, 'home', '.mkt', 'flux'), freeBytes: null },
      { id: 'space', state: 'unmounted', reason: 'not mounted', path: path.join(dir, 'home', '.mkt', 'space'), freeBytes: null },
    ]);
    expect(j.server).toEqual({ url: healthUrl, reachable: true, ok: true, version: '9.9.9', pinned: true });

    const wrongPin = settings('pin', { server: { url: healthUrl, fingerprint: 'AB'.repeat(32) } });
    const w = JSON.parse((await pillars(['--config', wrongPin, 'status', '--json'])).stdout) as { server: { ok: boolean; pinned: boolean; error: string } };
    expect(w.server.ok).toBe(false);
    expect(w.server.pinned).toBe(false);
    expect(w.server.error).toMatch(/is not the paired/);
  });
});
