// The settings store in plain Node: `conf` (electron-store's base) with the shared schema and the
// file electron-store uses in the app, so the CLI and the tray read the same settings.
import Conf from 'conf';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SETTINGS_SCHEMA, SettingsError, withDefaults } from '../../../shared/settings';
import type { ClientSettings, SettingsStore } from '../../../shared/settings';

export { defaultSettingsPath } from './peek';
import { defaultSettingsPath } from './peek';

export { toSettingsError } from './read';
import { toSettingsError } from './read';

export interface OpenSettingsOptions {
  /** `--config FILE`: must exist. Without it the default path is used (created on first run). */
  file?: string;
}

export function openSettings(opts: OpenSettingsOptions = {}): SettingsStore {
  const file = path.resolve(opts.file ?? defaultSettingsPath());
  if (opts.file && !existsSync(file)) throw new SettingsError(file, '(file)', 'no such file');
  const ext = path.extname(file);
  let conf: Conf<Record<string, unknown>>;
  try {
    conf = new Conf<Record<string, unknown>>({
      cwd: path.dirname(file),
      configName: path.basename(file, ext),
      fileExtension: ext.replace(/^\./, ''),
      projectName: 'pillars',
      projectSuffix: '',
      schema: SETTINGS_SCHEMA.properties as never,
      rootSchema: { additionalProperties: false },
      clearInvalidConfig: false, // never drop a user's file because one key is wrong
      configFileMode: 0o600,
    });
  } catch (e) {
    throw toSettingsError(file, e);
  }
  return settingsOver(file, conf);
}

/** What conf and electron-store (a subclass of conf) both offer; the tray wraps electron-store with it. */
export interface ConfLike {
  readonly store: unknown;
  set(key: string, value: unknown): void;
  onDidAnyChange(fn: () => void): unknown;
}

/** A SettingsStore over an opened conf or electron-store: defaults filled in, errors naming file and key. */
export function settingsOver(file: string, conf: ConfLike): SettingsStore {
  const listeners = new Set<(s: ClientSettings) => void>();
  const read = (): ClientSettings => withDefaults(conf.store as Record<string, unknown>);
  conf.onDidAnyChange(() => {
    const s = read();
    for (const fn of listeners) fn(s);
  });
  return {
    path: file,
    get: read,
    set(key, value) {
      try {
        conf.set(key, value as unknown);
      } catch (e) {
        throw toSettingsError(file, e);
      }
    },
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}

export { expandHome } from './peek';
