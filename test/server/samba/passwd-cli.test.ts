// `pillarsd samba passwd` through the real CLI: the real Azure SDK against the local HTTPS vault
// (test/support/vault.ts), real smbpasswd and a real smbd to prove which password works.
// Also `samba render/diff/apply` and `layout init/audit` exit codes and --json.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync, chmodSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { startSmbd, type Smbd } from '../../support/smbd';
import { startVault, type Vault } from '../../support/vault';
import { tempDir, type TempDir } from '../../support/tmp';
import { run } from '../../support/proc';
import { nodeExec, type ExecRequest } from '../../../server/src/infra/exec';
import { createSambaHost } from '../../../server/src/infra/samba-host';
import { setSmbPasswordFromSecret } from '../../../server/src/samba/passwd';
import { Command } from 'commander';
import { registerSamba } from '../../../server/src/cli/commands/samba';
import { registerLayout } from '../../../server/src/cli/commands/layout';

const USER = 'pillpw1';
let smbd: Smbd;
let vault: Vault;
let dir: TempDir;
let configFile: string;

const ROOT = path.resolve(__dirname, '../../..');
/** The real entry point in a child process (slow: tsx compiles the whole server); used once. */
function cliProcess(args: string[]) {
  return run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server/src/cli/main.ts'), ...args, '--config', configFile], { env: { ...process.env }, timeoutMs: 60_000 });
}

/** The same command groups in-process (commander, exit codes, stdout/stderr), without a spawn each. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const program = new Command('pillarsd').exitOverride();
  registerSamba(program);
  registerLayout(program);
  let stdout = '';
  let stderr = '';
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  process.stdout.write = ((c: string | Uint8Array) => ((stdout += c.toString()), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => ((stderr += c.toString()), true)) as typeof process.stderr.write;
  process.exitCode = 0;
  try {
    await program.parseAsync([...args, '--config', configFile], { from: 'user' });
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, stdout, stderr };
}

beforeAll(async () => {
  dir = tempDir('pillars-samba-cli-');
  vault = await startVault({ secrets: { 'smb-pillpw1': 'First-Pass-1' } });
  const inc = path.join(dir.path, 'pillars.conf');
  writeFileSync(inc, '');
  smbd = await startSmbd({ users: [{ name: USER, password: 'initial-pass' }], extraConfig: `include = ${inc}` });
  for (const p of ['flux', 'space', 'time']) {
    mkdirSync(path.join(dir.path, p));
    chmodSync(path.join(dir.path, p), 0o755);
  }
  configFile = path.join(dir.path, 'pillarsd.yaml');
  writeFileSync(
    configFile,
    `stateDir: ${dir.path}/state
pillars:
  flux: { path: ${dir.path}/flux, requireMount: false, label: Flux }
  space: { path: ${dir.path}/space, requireMount: false }
  time: { path: ${dir.path}/time, requireMount: false, timeMachine: { maxSize: 2T } }
samba:
  mode: include
  configFile: ${smbd.confPath}
  includeFile: ${inc}
  validUsers: [${USER}]
  bonjour: false
  passwords: { ${USER}: smb-pillpw1 }
secrets:
  smb-pillpw1: akv://kv-test/smb-pillpw1
akv: { endpoint: "${vault.url}", disableChallengeResourceVerification: true }
`,
  );
}, 120_000);

afterAll(async () => {
  await smbd?.stop();
  await vault?.stop();
  await dir?.cleanup();
});

const azureEnv = () => ({
  AZURE_TENANT_ID: vault.tenantId,
  AZURE_CLIENT_ID: vault.clientId,
  AZURE_CLIENT_SECRET: vault.clientSecret,
  AZURE_AUTHORITY_HOST: vault.authorityHost,
});

async function canLogin(password: string): Promise<boolean> {
  // No share is needed to test the password: list shares with the user's credentials.
  const r = await run('smbclient', ['-L', `//${smbd.address}`, '-s', path.join(smbd.dir, 'client.conf'), '-U', USER], { env: { ...process.env, PASSWD: password }, timeoutMs: 20_000 });
  return r.code === 0;
}

describe('samba passwd', () => {
  it('sets the password from the vault, then --rotate writes a new version first', async () => {
    expect(await canLogin('initial-pass')).toBe(true);
    const r = await cli(['samba', 'passwd', USER, '--json'], azureEnv());
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ user: USER, rotated: false });
    expect(await canLogin('First-Pass-1')).toBe(true);
    expect(await canLogin('initial-pass')).toBe(false);

    const rot = await cli(['samba', 'passwd', USER, '--rotate'], azureEnv());
    expect(rot.code, rot.stderr).toBe(0);
    const versions = vault.versions('smb-pillpw1');
    expect(versions).toHaveLength(2);
    const fresh = versions[1]!.value;
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await canLogin(fresh)).toBe(true);
    expect(await canLogin('First-Pass-1')).toBe(false);
    // Nothing secret in what the CLI printed.
    expect(rot.stdout + rot.stderr).not.toContain(fresh);
  });

  it('an unknown user or a missing secret mapping is a usage error (exit 2)', async () => {
    const r = await cli(['samba', 'passwd', 'nosuchuser1'], azureEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/samba\.passwords has no entry for 'nosuchuser1'|not a Unix account/);
  });

  it('the password goes to smbpasswd on stdin, never argv', async () => {
    const seen: ExecRequest[] = [];
    const host = createSambaHost({ exec: (req) => (seen.push(req), nodeExec(req)) });
    await setSmbPasswordFromSecret({ host, configFile: smbd.confPath, secret: { ref: 'test', get: async () => 'Stdin-Only-77' } }, USER);
    const call = seen.find((s) => s.cmd === 'smbpasswd')!;
    expect(call.args).toEqual(['-c', smbd.confPath, '-s', '-a', USER]);
    expect(call.args.join(' ')).not.toContain('Stdin-Only-77');
    expect(call.stdin).toBe('Stdin-Only-77\nStdin-Only-77\n');
    expect(await canLogin('Stdin-Only-77')).toBe(true);
  });
});

describe('samba and layout CLI', () => {
  it('render --json, apply, diff, and a bad value exits 2 naming the field', async () => {
    const render = await cli(['samba', 'render', '--json']);
    expect(render.code, render.stderr).toBe(0);
    const out = JSON.parse(render.stdout);
    expect(out.text).toMatch(/\[time\]\n(.*\n)*\tfruit:time machine max size = 2T/);
    const apply = await cli(['samba', 'apply', '--json']);
    expect(apply.code, apply.stderr + apply.stdout).toBe(0);
    expect(JSON.parse(apply.stdout)).toMatchObject({ changed: true, reloaded: true });
    const diff = await cli(['samba', 'diff', '--json']);
    expect(JSON.parse(diff.stdout)).toMatchObject({ drift: false, diff: '', valid: true });

    const good = (await import('node:fs')).readFileSync(configFile, 'utf8');
    writeFileSync(configFile, good.replace('label: Flux', 'label: "Flux\\n[evil]"'));
    try {
      const bad = await cli(['samba', 'apply']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/pillars\.flux\.label: must not contain a line break/);
    } finally {
      writeFileSync(configFile, good);
    }
  });

  it('layout init then audit: no drift; a drift makes audit exit 1 with --json', async () => {
    const init = await cli(['layout', 'init', '--json']);
    expect(init.code, init.stderr).toBe(0);
    expect(JSON.parse(init.stdout).actions.length).toBeGreaterThan(10);
    const clean = await cli(['layout', 'audit', '--json']);
    expect(clean.code, clean.stdout).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ ok: true, drift: [] });
    rmdirSync(path.join(dir.path, 'space', 'media'));
    // Through the real entry point once: main.ts registers the groups, exit code 1 on drift.
    const drift = await cliProcess(['layout', 'audit', '--json']);
    expect(drift.code, drift.stderr).toBe(1);
    expect(JSON.parse(drift.stdout).drift).toEqual([expect.objectContaining({ kind: 'missing-folder', path: path.join(dir.path, 'space', 'media') })]);
  });
});
