// keytar in the test process and secret-tool in a child both reach the private, unlocked keyring.
import { existsSync } from 'node:fs';
import keytar from 'keytar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeyring } from './keyring';
import type { Keyring } from './keyring';
import { isAlive } from './proc';

describe('startKeyring', () => {
  let kr: Keyring;
  beforeAll(async () => {
    kr = await startKeyring();
    kr.applyToProcess();
  });
  afterAll(() => kr?.stop());

  it('keytar round-trips a secret and secret-tool sees it', async () => {
    const service = 'pillars-test';
    await keytar.setPassword(service, 'alice', 's3cret with spaces ✓');
    expect(await keytar.getPassword(service, 'alice')).toBe('s3cret with spaces ✓');
    const lookup = await kr.secretTool(['lookup', 'service', service, 'account', 'alice']);
    expect(lookup.code, lookup.stderr).toBe(0);
    expect(lookup.stdout).toBe('s3cret with spaces ✓');
    expect(await keytar.findCredentials(service)).toEqual([{ account: 'alice', password: 's3cret with spaces ✓' }]);
    expect(await keytar.deletePassword(service, 'alice')).toBe(true);
    expect(await keytar.getPassword(service, 'alice')).toBeNull();
    expect((await kr.secretTool(['lookup', 'service', service, 'account', 'alice'])).stdout).toBe('');
  });

  it('a secret stored by a child (secret-tool, password on stdin) is read by keytar', async () => {
    // keytar looks items up under its schema name, so a foreign writer must set xdg:schema too
    const store = await kr.secretTool(['store', '--label=smb', 'xdg:schema', 'org.freedesktop.Secret.Generic', 'service', 'pillars-child', 'account', 'bob'], 'from the child');
    expect(store.code, store.stderr).toBe(0);
    expect(await keytar.getPassword('pillars-child', 'bob')).toBe('from the child');
  });

  it('stop() ends both daemons, removes the folder and is idempotent', async () => {
    const other = await startKeyring();
    const socket = other.env.DBUS_SESSION_BUS_ADDRESS.replace(/^unix:path=/, '').split(',')[0] ?? '';
    expect(existsSync(socket)).toBe(true);
    const ok = await other.secretTool(['search', '--all', 'service', 'none']);
    expect(ok.code).not.toBeNull();
    await other.stop();
    await other.stop();
    expect(existsSync(other.dir)).toBe(false);
    const after = await other.secretTool(['lookup', 'service', 'x']);
    expect(after.code).not.toBe(0);
    expect(isAlive(process.pid)).toBe(true);
  });
});
