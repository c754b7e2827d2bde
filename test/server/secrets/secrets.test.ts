import { describe, expect, it } from 'vitest';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runSecrets, SecretError } from '../../../server/src/secrets/resolver';
import { realBackends } from '../../../server/src/secrets/sources';
import { parseSecretRef } from '../../../server/src/secrets/refs';
import type { Exec, ExecRequest } from '../../../server/src/infra/exec';
import { nodeExec } from '../../../server/src/infra/exec';
import { startVault } from '../../support/vault';
import { useCleanup } from '../../support/tmp';

const cleanup = useCleanup();

describe('secret references', () => {
  it('parses the four kinds', () => {
    expect(parseSecretRef('akv://kv-miket-ops/restic-flux')).toEqual({ kind: 'akv', vault: 'kv-miket-ops', name: 'restic-flux' });
    expect(parseSecretRef('env:RESTIC_PW')).toEqual({ kind: 'env', name: 'RESTIC_PW' });
    expect(parseSecretRef('file:/etc/pillars/restic.pw')).toEqual({ kind: 'file', path: '/etc/pillars/restic.pw' });
    expect(parseSecretRef('op://Ops/restic/password')).toEqual({ kind: 'op', ref: 'op://Ops/restic/password' });
    expect(() => parseSecretRef('hunter2')).toThrow(/not a secret reference/);
  });
});

describe('resolution', () => {
  it('reads env and 0600 files, refuses looser modes, and never puts a value in an error', async () => {
    const dir = cleanup.tempDir().path;
    const good = path.join(dir, 'good');
    const loose = path.join(dir, 'loose');
    writeFileSync(good, 'file-secret-value\n', { mode: 0o600 });
    writeFileSync(loose, 'loose-secret-value', { mode: 0o600 });
    chmodSync(loose, 0o644);
    const s = runSecrets({ a: 'env:PILLARS_T_A', b: `file:${good}`, c: `file:${loose}`, d: `file:${dir}/missing`, e: 'env:PILLARS_T_UNSET' }, realBackends({ env: { PILLARS_T_A: 'env-secret-value' }, exec: nodeExec }));
    expect(await s.get('a')).toBe('env-secret-value');
    expect(await s.get('b')).toBe('file-secret-value');
    const c = await s.get('c').catch((e: unknown) => e);
    expect(c).toBeInstanceOf(SecretError);
    expect((c as Error).message).toBe(`secret "c" (file:${loose}): ${loose} has mode 0644; a secret file must be 0600 or stricter (chmod 600 ${loose})`);
    expect((c as Error).message).not.toContain('loose-secret-value');
    await expect(s.get('d')).rejects.toThrow(/missing does not exist/);
    await expect(s.get('e')).rejects.toThrow('secret "e" (env:PILLARS_T_UNSET): environment variable PILLARS_T_UNSET is not set');
    await expect(s.get('zzz')).rejects.toThrow(/not declared/);
    expect(s.values()).toEqual(['env-secret-value', 'file-secret-value']);
    s.dispose();
    expect(s.values()).toEqual([]);
  });

  it('caches for the run only: a new run sees a changed value', async () => {
    const env: NodeJS.ProcessEnv = { X: 'one' };
    const b = realBackends({ env, exec: nodeExec });
    const r1 = runSecrets({ x: 'env:X' }, b);
    expect(await r1.get('x')).toBe('one');
    env.X = 'two';
    expect(await r1.get('x')).toBe('one');
    expect(await runSecrets({ x: 'env:X' }, b).get('x')).toBe('two');
  });

  it('reads Azure Key Vault through the real SDK and DefaultAzureCredential (local HTTPS vault)', async () => {
    const v = cleanup.track(await startVault({ secrets: { 'restic-flux': 'akv-secret-value' } }));
    const env = { AZURE_TENANT_ID: v.tenantId, AZURE_CLIENT_ID: v.clientId, AZURE_CLIENT_SECRET: v.clientSecret, PATH: process.env.PATH };
    // DefaultAzureCredential reads the service principal from the environment of the process
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const b = realBackends({ env, exec: nodeExec, akv: { endpoint: v.url, disableChallengeResourceVerification: true, authorityHost: v.authorityHost } });
      const s = runSecrets({ restic: 'akv://kv-miket-ops/restic-flux', gone: 'akv://kv-miket-ops/nope' }, b);
      expect(await s.get('restic')).toBe('akv-secret-value');
      await expect(s.get('gone')).rejects.toThrow('secret "gone" (akv://kv-miket-ops/nope): no secret "nope" in vault kv-miket-ops');
      expect(v.tokenRequests.at(-1)).toEqual({ clientId: v.clientId, ok: true });
    } finally {
      for (const k of Object.keys(env)) if (!(k in saved)) delete process.env[k];
    }
  });

  it('asks 1Password with `op read REF`: the reference in argv, the value only on stdout', async () => {
    // fake Exec: the 1Password CLI and its account cannot run on these machines
    const calls: ExecRequest[] = [];
    const exec: Exec = async (req) => {
      calls.push(req);
      return { code: 0, signal: null, stdout: 'op-secret-value', stderr: '', timedOut: false, aborted: false };
    };
    const s = runSecrets({ r: 'op://Ops/restic/password' }, realBackends({ env: { PATH: '/usr/bin', OP_SERVICE_ACCOUNT_TOKEN: 'tok', OTHER: 'x' }, exec }));
    expect(await s.get('r')).toBe('op-secret-value');
    expect(calls[0]).toMatchObject({ cmd: 'op', args: ['read', '--no-newline', 'op://Ops/restic/password'], env: { PATH: '/usr/bin', OP_SERVICE_ACCOUNT_TOKEN: 'tok' } });
    expect(calls[0]!.env).not.toHaveProperty('OTHER');
    const failing: Exec = async () => ({ code: 1, signal: null, stdout: '', stderr: '[ERROR] item not found', timedOut: false, aborted: false });
    await expect(runSecrets({ r: 'op://Ops/x/y' }, realBackends({ env: {}, exec: failing })).get('r')).rejects.toThrow(/op read failed \(exit 1\): \[ERROR\] item not found/);
  });
});
