// Settings through `conf` with the shared schema: defaults, the file electron-store uses, errors
// that name file + key + reason, and no place for a secret.
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../../support/tmp';
import { defaultSettingsPath, expandHome, openSettings } from '../../../src/main/core/settings/store';
import { peekSettings } from '../../../src/main/core/settings/peek';
import { DEFAULT_SETTINGS, SettingsError, completeness, withDefaults } from '../../../src/shared/settings';
import { loadSettings } from '../../../src/main/core/client';

describe('client settings', () => {
  const cleanup = useCleanup();
  const dir = () => cleanup.tempDir('pillars-settings-').path;

  it('reads a partial file with every default filled in', async () => {
    const f = path.join(dir(), 'config.json');
    writeFileSync(f, JSON.stringify({ smb: { host: 'motoko', username: 'mike' } }));
    const s = openSettings({ file: f }).get();
    expect(s.smb).toEqual({ host: 'motoko', username: 'mike', domain: '' });
    expect(s.mountRoot).toBe('~/.mkt');
    expect(s.links).toBe(true);
    expect(s.secret.source).toBe('akv');
    expect(s.pillars.map((p) => [p.id, p.drive])).toEqual([
      ['flux', 'X:'],
      ['space', 'S:'],
      ['time', 'T:'],
    ]);
  });

  it('rejects a password in the file, naming file and key', async () => {
    const f = path.join(dir(), 'config.json');
    writeFileSync(f, JSON.stringify({ smb: { host: 'motoko', username: 'mike', password: 'hunter2' } }));
    const e = (() => {
      try {
        openSettings({ file: f });
      } catch (err) {
        return err as SettingsError;
      }
      throw new Error('accepted a password');
    })();
    expect(e).toBeInstanceOf(SettingsError);
    expect(e.file).toBe(f);
    expect(e.key).toBe('smb');
    expect(e.message).toMatch(/additional properties/);
    expect(e.message).not.toContain('hunter2');
    expect(JSON.parse(readFileSync(f, 'utf8')).smb.password).toBe('hunter2'); // the user's file is left as it was
  });

  it('rejects bad values on set and leaves the file unchanged', async () => {
    const f = path.join(dir(), 'config.json');
    writeFileSync(f, JSON.stringify({ smb: { host: 'motoko', username: 'mike' } }));
    const store = openSettings({ file: f });
    expect(() => store.set('secret', { ...DEFAULT_SETTINGS.secret, source: 'vault' as never })).toThrow(/secret\.source: must be equal to one of the allowed values/);
    expect(() => store.set('smb', { host: 'bad host', username: 'x', domain: '' })).toThrow(/smb\.host: must match pattern/);
    expect(() => store.set('pillars', [{ id: 'Flux!', share: 'flux', label: 'Flux' }])).toThrow(/pillars\.0\.id/);
    expect(JSON.parse(readFileSync(f, 'utf8'))).toEqual({ smb: { host: 'motoko', username: 'mike' } });
    store.set('links', false);
    expect(openSettings({ file: f }).get().links).toBe(false);
    expect(statSync(f).mode & 0o777).toBe(0o600);
  });

  it('--config must name an existing file; broken JSON is an error, not a reset', async () => {
    const d = dir();
    expect(() => openSettings({ file: path.join(d, 'missing.json') })).toThrow(/missing\.json: \(file\): no such file/);
    const f = path.join(d, 'broken.json');
    writeFileSync(f, '{"smb": ');
    expect(() => openSettings({ file: f })).toThrow(SettingsError);
    expect(() => peekSettings(f)).toThrow(/broken\.json: \(file\): not valid JSON/);
    expect(readFileSync(f, 'utf8')).toBe('{"smb": ');
  });

  it('says what is missing to mount, with a fix', async () => {
    const s = withDefaults({ smb: { host: 'motoko' } });
    const keys = completeness(s).map((m) => m.key);
    expect(keys).toEqual(['smb.username', 'secret.vaultUrl', 'secret.name']);
    const f = path.join(dir(), 'config.json');
    writeFileSync(f, JSON.stringify({ smb: { host: 'motoko' } }));
    expect(() => loadSettings(f)).toThrow(/smb\.username: not set \(fix: set smb\.username/);
  });

  it("uses electron-store's file by default and expands ~", () => {
    expect(defaultSettingsPath('linux', {}, '/home/m')).toBe('/home/m/.config/Pillars/config.json');
    expect(defaultSettingsPath('linux', { XDG_CONFIG_HOME: '/x' }, '/home/m')).toBe('/x/Pillars/config.json');
    expect(defaultSettingsPath('darwin', {}, '/Users/m')).toBe('/Users/m/Library/Application Support/Pillars/config.json');
    expect(expandHome('~/.mkt', '/home/m')).toBe('/home/m/.mkt');
  });
});
