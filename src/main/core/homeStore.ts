// Where the home network's signature is kept between runs (not a setting, not a secret).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { HomeNetworkStore } from './mounts/network';

/** The recorded home network lives next to the settings (it is not a setting and not a secret). */
export function fileHomeStore(file: string): HomeNetworkStore {
  return {
    get() {
      try {
        return (JSON.parse(readFileSync(file, 'utf8')) as { signature?: string }).signature ?? null;
      } catch {
        return null;
      }
    },
    set(signature) {
      try {
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(`${file}.tmp`, JSON.stringify({ signature, at: new Date().toISOString() }));
        renameSync(`${file}.tmp`, file);
      } catch {
        /* best effort: without it, an unreachable server reads as failed-network instead of away */
      }
    },
  };
}
