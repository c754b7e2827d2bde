// The settings read without conf/ajv, for `pillars status` (see peekSettings).
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SettingsError, unknownKeys, withDefaults } from '../../../shared/settings';
import type { SettingsStore } from '../../../shared/settings';

/** electron-store's file: `app.getPath('userData')/config.json` for the product name "Pillars". */
export function defaultSettingsPath(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Pillars', 'config.json');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Pillars', 'config.json');
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'Pillars', 'config.json');
}

/**
 * A read-only look at the settings without the schema validator (ajv takes a third of a second to
 * load): for `pillars status`, which must answer fast and changes nothing. Malformed JSON is still
 * an error naming the file; every command that acts validates fully through openSettings.
 */
export function peekSettings(file?: string): SettingsStore {
  const f = path.resolve(file ?? defaultSettingsPath());
  let raw: unknown = {};
  if (existsSync(f)) {
    try {
      raw = JSON.parse(readFileSync(f, 'utf8'));
    } catch (e) {
      throw new SettingsError(f, '(file)', `not valid JSON: ${(e as Error).message}`);
    }
  } else if (file) {
    throw new SettingsError(f, '(file)', 'no such file');
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new SettingsError(f, '(root)', 'must be an object');
  const unknown = unknownKeys(raw);
  if (unknown.length) throw new SettingsError(f, unknown[0]!.split('.').slice(0, -1).join('.') || '(root)', `must NOT have additional properties (${unknown[0]!.split('.').pop()})`);
  const settings = withDefaults(raw as Record<string, unknown>);
  return {
    path: f,
    get: () => settings,
    set: () => {
      throw new SettingsError(f, '(file)', 'opened read-only');
    },
    onChange: () => () => undefined,
  };
}

/** `~` and `~/x` expanded against the home folder; other paths resolved as given. */
export function expandHome(p: string, home = os.homedir()): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return path.resolve(p);
}
