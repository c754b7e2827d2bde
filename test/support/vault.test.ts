// The real Azure SDK (SecretClient + ClientSecretCredential) talks to the local HTTPS vault:
// it answers the challenge, gets a token from the local authority, reads and sets secrets.
// Trust comes from NODE_EXTRA_CA_CERTS set by global-setup.ts, proven here for the forked worker
// itself and for a child process it spawns.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SecretClient } from '@azure/keyvault-secrets';
import { ClientSecretCredential } from '@azure/identity';
import { startVault, vaultClientOptions } from './vault';
import type { Vault } from './vault';
import { ensureTestCa } from './tls';
import { run } from './proc';
import { useCleanup } from './tmp';

function client(v: Vault, secret = v.clientSecret): SecretClient {
  const cred = new ClientSecretCredential(v.tenantId, v.clientId, secret, v.credentialOptions());
  return new SecretClient(v.url, cred, { ...vaultClientOptions(), retryOptions: { maxRetries: 0 } });
}

describe('startVault', () => {
  const cleanup = useCleanup();

  it('the forked worker and its children trust the test CA through NODE_EXTRA_CA_CERTS', async () => {
    const ca = ensureTestCa();
    expect(readFileSync(process.env.NODE_EXTRA_CA_CERTS ?? '/nonexistent', 'utf8')).toContain(ca.caPem.trim());
    const v = cleanup.track(await startVault());
    // plain fetch, no TLS options: only the inherited trust can make this handshake succeed
    const res = await fetch(`${v.url}/secrets/x?api-version=7.5`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer authorization="${v.url}/${v.tenantId}", resource="https://vault.azure.net"`);
    const child = await run(process.execPath, ['-e', `fetch(${JSON.stringify(v.url + '/secrets')}).then(r => console.log(r.status), e => { console.error(e.cause ?? e); process.exit(2); })`]);
    expect(child.code, child.stderr).toBe(0);
    expect(child.stdout.trim()).toBe('401');
    // and without the CA the handshake really fails (the test above can fail)
    const untrusted = await run(process.execPath, ['-e', `fetch(${JSON.stringify(v.url)}).then(() => process.exit(0), () => process.exit(3))`], { env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } });
    expect(untrusted.code).toBe(3);
  });

  it('the real SecretClient reads a secret and sets a new version', async () => {
    const v = cleanup.track(await startVault({ secrets: { 'smb-password': 'first' } }));
    const c = client(v);
    const got = await c.getSecret('smb-password');
    expect(got.value).toBe('first');
    expect(got.properties.version).toBe(v.versions('smb-password')[0]?.version);

    const set = await c.setSecret('smb-password', 'second', { contentType: 'text/plain' });
    expect(set.value).toBe('second');
    expect(v.getSecret('smb-password')).toBe('second');
    expect(v.versions('smb-password')).toHaveLength(2);
    expect((await c.getSecret('smb-password')).value).toBe('second');
    expect((await c.getSecret('smb-password', { version: v.versions('smb-password')[0]?.version ?? '' })).value).toBe('first');

    // first request unauthenticated (the challenge), every later one with a bearer token
    expect(v.requests[0]).toMatchObject({ hadBearer: false, status: 401 });
    expect(v.requests.slice(1).every((r) => r.hadBearer)).toBe(true);
    expect(v.tokenRequests).toEqual([{ clientId: v.clientId, ok: true }]);
  });

  it('answers SecretNotFound, rejects a wrong client secret, and injects failures', async () => {
    const v = cleanup.track(await startVault({ secrets: { a: '1' } }));
    await expect(client(v).getSecret('missing')).rejects.toMatchObject({ statusCode: 404, code: 'SecretNotFound' });
    await expect(client(v, 'wrong secret').getSecret('a')).rejects.toThrow(/invalid_client|7000215|authenticat/i);
    expect(v.tokenRequests.some((t) => !t.ok)).toBe(true);
    const c = client(v);
    await c.getSecret('a');
    v.failNext(403);
    await expect(c.getSecret('a')).rejects.toMatchObject({ statusCode: 403 });
    expect((await c.getSecret('a')).value).toBe('1');
    v.setSecret('a', '2');
    expect((await c.getSecret('a')).value).toBe('2');
  });

  it('stop() closes the server and is idempotent', async () => {
    const v = await startVault();
    await v.stop();
    await v.stop();
    await expect(fetch(v.url)).rejects.toThrow();
  });
});
