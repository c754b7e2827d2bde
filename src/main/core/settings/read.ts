// The settings file read exactly as conf reads it (store.ts), without conf: the schema check is
// ajv's code for SETTINGS_SCHEMA compiled ahead of time (schema-validator.generated.ts), so the
// client core that runs for days (`pillars watch`, mount, open) never loads conf, ajv and semver
// (about 10 MB that would stay resident). Read-only: the CLI never writes settings; the tray and
// every writer keep conf. Same errors, same defaults, and the same first-run file as conf.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync, chmodSync, existsSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { SettingsError, withDefaults } from '../../../shared/settings';
import type { ClientSettings, SettingsStore } from '../../../shared/settings';
import { validate } from './schema-validator.generated';
import { defaultSettingsPath } from './peek';

interface AjvError {
  instancePath: string;
  message?: string;
}
type Validate = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

/** Turns conf/ajv's "Config schema violation: `a/b` must …" into file + key + reason. */
export function toSettingsError(file: string, e: unknown): SettingsError {
  const msg = (e as Error).message ?? String(e);
  const m = /Config schema violation: `([^`]*)` (.*)$/.exec(msg.split(';')[0] ?? msg);
  if (m) return new SettingsError(file, (m[1] ?? '').replace(/^\//, '').replace(/\//g, '.') || '(root)', m[2] ?? 'invalid');
  if (e instanceof SyntaxError || /JSON/.test(msg)) return new SettingsError(file, '(file)', `not valid JSON: ${msg}`);
  return new SettingsError(file, '(file)', msg);
}

/** conf's _validate: the data gets the schema's defaults; an error lists every violation. */
function check(data: Record<string, unknown>): void {
  const v = validate as Validate;
  if (v(data) || !v.errors) return;
  throw new Error(`Config schema violation: ${v.errors.map(({ instancePath, message = '' }) => `\`${instancePath.slice(1)}\` ${message}`).join('; ')}`);
}

/** conf's `store` getter: a missing file is an empty store (its folder created), anything else parsed and checked. */
function readStore(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      mkdirSync(path.dirname(file), { recursive: true });
      return Object.create(null) as Record<string, unknown>;
    }
    throw e;
  }
  const data = JSON.parse(text) as Record<string, unknown>;
  check(data);
  return Object.assign(Object.create(null) as Record<string, unknown>, data);
}

/** conf's first write (atomically's writeFileSync): a 0600 temp file, fsynced, renamed over. */
function writeStore(file: string, value: Record<string, unknown>): void {
  mkdirSync(path.dirname(file), { recursive: true });
  check(value);
  const tmp = `${file}.tmp-${Date.now()}${Math.random().toString(36).slice(2, 8)}`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(value, undefined, '\t'));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * The settings for the client core, checked as openSettings (conf) checks them: `--config FILE`
 * must exist; without it the default path is used, created with the schema's defaults on first
 * run. Throws SettingsError naming file, key and reason. `set` refuses: opened read-only.
 */
export function readSettings(opts: { file?: string } = {}): SettingsStore {
  const file = path.resolve(opts.file ?? defaultSettingsPath());
  if (opts.file && !existsSync(file)) throw new SettingsError(file, '(file)', 'no such file');
  try {
    const fileStore = readStore(file);
    const withSchemaDefaults = Object.assign(Object.create(null) as Record<string, unknown>, fileStore);
    check(withSchemaDefaults);
    if (!isDeepStrictEqual(fileStore, withSchemaDefaults)) writeStore(file, withSchemaDefaults);
  } catch (e) {
    throw toSettingsError(file, e);
  }
  return {
    path: file,
    // like conf's store: the file as it is now, checked again
    get: (): ClientSettings => withDefaults(readStore(file)),
    set: () => {
      throw new SettingsError(file, '(file)', 'opened read-only');
    },
    onChange: () => () => undefined,
  };
}
