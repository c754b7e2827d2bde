// readSettings (the client core's conf-free read, settings/read.ts) against openSettings (conf
// itself, store.ts) on the same files: the same settings, the same errors word for word, the same
// first-run file. And the ahead-of-time compiled validator is what the generator makes today.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useCleanup } from '../../support/tmp';
import { openSettings } from '../../../src/main/core/settings/store';
import { readSettings } from '../../../src/main/core/settings/read';
import { SettingsError } from '../../../src/shared/settings';
import { GENERATED_VALIDATOR, settingsValidatorSource } from '../../../scripts/settings-validator';

type Outcome = { ok: true; settings: unknown } | { ok: false; error: string; key?: string; isSettingsError: boolean };

function outcome(open: () => { get(): unknown }): Outcome {
  try {
    return { ok: true, settings: open().get() };
  } catch (e) {
    return { ok: false, error: (e as Error).message, key: (e as SettingsError).key, isSettingsError: e instanceof SettingsError };
  }
}

const valid = { smb: { host: 'motoko', username: 'mike' }, secret: { source: 'stdin' }, pillars: [{ id: 'flux', share: 'flux', label: 'Flux' }] };

/** files as users write them, good and bad (the keys, patterns, enums, lengths and types of the schema) */
const CASES: Record<string, string> = {
  'a partial file': JSON.stringify({ smb: { host: 'motoko', username: 'mike' } }),
  'a complete file': JSON.stringify({
    ...valid,
    server: { url: 'https://motoko:8443', fingerprint: 'ab'.repeat(32) },
    mountRoot: '~/m',
    links: false,
    startAtLogin: false,
    notifications: true,
    linux: { backend: 'smbnetfs' },
  }),
  'an empty object': '{}',
  'a password where none belongs': JSON.stringify({ smb: { host: 'motoko', username: 'mike', password: 'hunter2' } }),
  'an unknown top-level key': JSON.stringify({ ...valid, theme: 'dark' }),
  'a host with a space': JSON.stringify({ smb: { host: 'bad host', username: 'mike' } }),
  'an unknown secret source': JSON.stringify({ secret: { source: 'vault' } }),
  'a bad pillar id and a missing label': JSON.stringify({ pillars: [{ id: 'Flux!', share: 'flux' }] }),
  'seventeen pillars': JSON.stringify({ pillars: Array.from({ length: 17 }, (_, i) => ({ id: `p${i}`, share: `s${i}`, label: `P${i}` })) }),
  'a label of 32 emoji (32 characters)': JSON.stringify({ pillars: [{ id: 'flux', share: 'flux', label: '\u{1F4F7}'.repeat(32) }] }),
  'a label of 33 emoji': JSON.stringify({ pillars: [{ id: 'flux', share: 'flux', label: '\u{1F4F7}'.repeat(33) }] }),
  'an empty label': JSON.stringify({ pillars: [{ id: 'flux', share: 'flux', label: '' }] }),
  'links as a string': JSON.stringify({ links: 'yes' }),
  'several errors at once': JSON.stringify({ links: 1, mountRoot: '', linux: { backend: 'kde' }, server: { url: 'ftp://x' } }),
  'a drive letter out of range': JSON.stringify({ pillars: [{ id: 'flux', share: 'flux', label: 'Flux', drive: 'A:' }] }),
  'an array at the root': '[]',
  'null at the root': 'null',
  'a string at the root': '"settings"',
  'broken JSON': '{"smb": ',
  'an empty file': '',
};

describe('readSettings matches conf', () => {
  const cleanup = useCleanup();
  const savedXdg = process.env.XDG_CONFIG_HOME;
  afterEach(() => {
    if (savedXdg === undefined) delete process.env.XDG_CONFIG_HOME;
    else process.env.XDG_CONFIG_HOME = savedXdg;
  });

  it("the compiled validator is what scripts/settings-validator.ts generates from today's schema", () => {
    expect(readFileSync(GENERATED_VALIDATOR, 'utf8')).toBe(settingsValidatorSource());
  });

  for (const [name, text] of Object.entries(CASES)) {
    it(`${name}: the same settings or the same error, and the file left as it was`, () => {
      const f = path.join(cleanup.tempDir('pillars-read-').path, 'config.json');
      writeFileSync(f, text);
      const viaConf = outcome(() => openSettings({ file: f }));
      expect(readFileSync(f, 'utf8')).toBe(text);
      const viaRead = outcome(() => readSettings({ file: f }));
      expect(readFileSync(f, 'utf8')).toBe(text);
      expect(viaRead).toEqual(viaConf);
    });
  }

  it('--config naming a missing file or a folder: the same error', () => {
    const d = cleanup.tempDir('pillars-read-').path;
    for (const f of [path.join(d, 'missing.json'), d]) {
      const viaConf = outcome(() => openSettings({ file: f }));
      expect(viaConf.ok).toBe(false);
      expect(outcome(() => readSettings({ file: f }))).toEqual(viaConf);
    }
  });

  it('first run without a file: the same default file, 0600, in a folder created for it', () => {
    const a = cleanup.tempDir('pillars-read-').path;
    const b = cleanup.tempDir('pillars-read-').path;
    process.env.XDG_CONFIG_HOME = path.join(a, 'xdg');
    const viaConf = outcome(() => openSettings());
    process.env.XDG_CONFIG_HOME = path.join(b, 'xdg');
    const viaRead = outcome(() => readSettings());
    expect(viaRead).toEqual(viaConf);
    const fa = path.join(a, 'xdg', 'Pillars', 'config.json');
    const fb = path.join(b, 'xdg', 'Pillars', 'config.json');
    expect(readFileSync(fb, 'utf8')).toBe(readFileSync(fa, 'utf8'));
    expect(JSON.parse(readFileSync(fb, 'utf8'))).toEqual({ server: {}, smb: {}, secret: {}, linux: {} });
    expect(statSync(fb).mode & 0o777).toBe(statSync(fa).mode & 0o777);
    expect(statSync(fb).mode & 0o777).toBe(0o600);
  });

  it('get() reads the file as it is now, like conf; set() refuses', () => {
    const d = cleanup.tempDir('pillars-read-').path;
    mkdirSync(d, { recursive: true });
    const f = path.join(d, 'config.json');
    writeFileSync(f, JSON.stringify(valid));
    const conf = openSettings({ file: f });
    const read = readSettings({ file: f });
    writeFileSync(f, JSON.stringify({ ...valid, links: false }));
    expect(read.get()).toEqual(conf.get());
    expect(read.get().links).toBe(false);
    writeFileSync(f, JSON.stringify({ ...valid, links: 'no' }));
    expect(() => conf.get()).toThrow(/Config schema violation: `links` must be boolean/);
    expect(() => read.get()).toThrow(/Config schema violation: `links` must be boolean/);
    expect(() => read.set('links', true)).toThrow(/opened read-only/);
  });
});
