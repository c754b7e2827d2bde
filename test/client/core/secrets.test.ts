// The secrets chain on real parts: keytar against a private gnome-keyring, the real Azure SDK
// (ClientSecretCredential + SecretClient) against the local HTTPS vault. 1Password's `op` cannot
// run here (no account, no network): a stand-in script on PATH plays it, and the test checks what
// we hand it (argv, env) and that we take the secret from its stdout.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVault } from '../../support/vault';
import type { Vault } from '../../support/vault';
import { startKeyring } from '../../support/keyring';
import { useCleanup } from '../../support/tmp';
import { createExec } from '../../../src/platform/host';
import { KeychainStore, NoSecretError, secretsChain } from '../../../src/main/core/secrets';
import { akvSource } from '../../../src/main/core/secrets/akv';
import type { AkvOptions } from '../../../src/main/core/secrets/akv';
import { onePasswordSource } from '../../../src/main/core/secrets/onepassword';
import { stdinSource } from '../../../src/main/core/secrets/stdin';

const V1 = 'vault-pw-one';
const V2 = 'vault-pw-two';

describe('secrets chain', () => {
  const cleanup = useCleanup();
  let vault: Vault;
  let akv: (o?: Partial<AkvOptions>) => ReturnType<typeof akvSource>;

  beforeAll(async () => {
    const kr = cleanup.track(await startKeyring());
    kr.applyToProcess();
    vault = cleanup.track(await startVault({ secrets: { 'smb-mike': V1 } }));
    akv = (o = {}) =>
      akvSource({
        vaultUrl: vault.url,
        name: 'smb-mike',
        credential: 'client-secret',
        tenantId: vault.tenantId,
        clientId: vault.clientId,
        authorityHost: vault.authorityHost,
        disableChallengeResourceVerification: true,
        clientSecret: async () => vault.clientSecret,
        ...o,
      });
  });
  afterAll(() => cleanup.run());

  it('keychain empty → the vault; cached only once a mount accepted it; then served from the keychain', async () => {
    const cache = new KeychainStore('mike@motoko-a');
    const chain = secretsChain({ cache, sources: [akv()] });
    const first = await chain.get();
    expect(first).toEqual({ password: V1, from: 'akv' });
    expect(await cache.get()).toBeNull();
    expect(await chain.accepted(first)).toEqual({ cached: true });
    expect(await cache.get()).toBe(V1);
    const reads = vault.requests.length;
    expect(await chain.get()).toEqual({ password: V1, from: 'keychain' });
    expect(vault.requests.length).toBe(reads);
  });

  it('after an auth failure: the cache is dropped and the vault asked again; the same password means no retry', async () => {
    const cache = new KeychainStore('mike@motoko-b');
    await cache.set('old-cached');
    const chain = secretsChain({ cache, sources: [akv()] });
    expect((await chain.get()).from).toBe('keychain');
    vault.setSecret('smb-mike', V2);
    expect(await chain.afterAuthFailure('old-cached')).toEqual({ password: V2, from: 'akv' });
    expect(await cache.get()).toBeNull();
    // the vault's password is rejected too: it holds what failed, so null (no retry storm)
    expect(await chain.afterAuthFailure(V2)).toBeNull();
    // and get() skips a cached value known to be rejected
    await cache.set(V2);
    await expect(chain.get()).resolves.toEqual({ password: V2, from: 'akv' });
    vault.setSecret('smb-mike', V1);
  });

  it('each source says why it failed, never the secret', async () => {
    const cache = new KeychainStore('mike@motoko-c');
    await cache.set('cached-but-rejected');
    const chain = secretsChain({ cache, sources: [akv({ name: 'nope' })] });
    await chain.afterAuthFailure('cached-but-rejected').catch(() => null);
    const e = (await chain.get().catch((x: unknown) => x)) as NoSecretError;
    expect(e).toBeInstanceOf(NoSecretError);
    expect(e.message).toMatch(/akv: secret nope in https:\/\/127\.0\.0\.1:\d+ not found \(404 SecretNotFound\)/);

    vault.failNext(403, 1);
    const d = (await akv()
      .get()
      .catch((x: Error) => x)) as Error;
    expect(d.message).toMatch(/^akv: access to secret smb-mike in .* denied \(403/);

    const badCred = (await akv({ clientSecret: async () => 'wrong-client-secret' })
      .get()
      .catch((x: Error) => x)) as Error;
    expect(badCred.message).toMatch(/^akv: credential client-secret could not sign in/);
    expect(badCred.message).not.toContain('wrong-client-secret');

    const noSecret = (await akv({ clientSecret: async () => null })
      .get()
      .catch((x: Error) => x)) as Error;
    expect(noSecret.message).toMatch(/AZURE_CLIENT_SECRET/);
    for (const m of [e.message, d.message, badCred.message, noSecret.message]) {
      expect(m).not.toContain(V1);
      expect(m).not.toContain(vault.clientSecret);
    }
  });

  it('1Password: the reference in argv, the secret from stdout, OP_* passed through env only', async () => {
    const dir = cleanup.tempDir('pillars-op-').path;
    const op = path.join(dir, 'op');
    // stand-in for the 1Password CLI: records argv and the token it saw, prints the secret
    writeFileSync(op, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/argv"\nprintf '%s' "$OP_SERVICE_ACCOUNT_TOKEN" > "${dir}/token"\nprintf 'op-secret-value\\n'\n`);
    chmodSync(op, 0o755);
    const src = onePasswordSource({ ref: 'op://Private/motoko smb/password', exec: createExec(), env: { OP_SERVICE_ACCOUNT_TOKEN: 'ops_token', SOMETHING_ELSE: 'x' }, bin: op });
    expect(await src.get()).toBe('op-secret-value');
    expect(readFileSync(path.join(dir, 'argv'), 'utf8')).toBe('read\n--no-newline\nop://Private/motoko smb/password\n');
    expect(readFileSync(path.join(dir, 'token'), 'utf8')).toBe('ops_token');

    writeFileSync(op, `#!/bin/sh\necho '[ERROR] 2026/11/25 you are not currently signed in' >&2\nexit 1\n`);
    const e = (await src.get().catch((x: Error) => x)) as Error;
    expect(e.message).toMatch(/^1password: op read op:\/\/Private\/motoko smb\/password failed: .*not currently signed in.*op signin/);
    const missing = (await onePasswordSource({ ref: 'op://a/b/c', exec: createExec(), bin: path.join(dir, 'absent') })
      .get()
      .catch((x: Error) => x)) as Error;
    expect(missing.message).toMatch(/not installed/);
    const bad = (await onePasswordSource({ ref: 'vault/item', exec: createExec(), bin: op })
      .get()
      .catch((x: Error) => x)) as Error;
    expect(bad.message).toMatch(/not an op:\/\/ reference/);
  });

  it('stdin: the first line, read once; empty input is an error', async () => {
    const s = stdinSource(Readable.from(['from-stdin\nrest\n']));
    expect(await s.get()).toBe('from-stdin');
    expect(await s.get()).toBe('from-stdin');
    await expect(stdinSource(Readable.from([''])).get()).rejects.toThrow(/stdin: standard input was empty/);
  });

  it('falls through the chain in order: vault down → 1Password', async () => {
    const dir = cleanup.tempDir('pillars-op2-').path;
    const op = path.join(dir, 'op');
    writeFileSync(op, "#!/bin/sh\nprintf 'from-1password'\n");
    chmodSync(op, 0o755);
    const chain = secretsChain({ cache: null, sources: [akv({ vaultUrl: 'https://127.0.0.1:1' }), onePasswordSource({ ref: 'op://a/b/c', exec: createExec(), bin: op })] });
    expect(await chain.get()).toEqual({ password: 'from-1password', from: '1password' });
  });
});
