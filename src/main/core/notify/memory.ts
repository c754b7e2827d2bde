// The notification policy's memory on disk: which runs were already told, so a restart never
// repeats a notification. A small JSON file written atomically (temp file + rename); a missing or
// damaged file starts empty rather than failing the tray (the worst case is one repeated notice).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SEEN_LIMIT, emptyMemory } from './policy';
import type { NotifyMemory } from './policy';

export interface MemoryStore {
  load(): NotifyMemory;
  save(m: NotifyMemory): void;
}

export function parseMemory(text: string | null): NotifyMemory {
  if (!text) return emptyMemory();
  try {
    const v = JSON.parse(text) as Partial<NotifyMemory>;
    const strings = (a: unknown) => (Array.isArray(a) ? a.filter((x): x is string => typeof x === 'string') : []);
    if (v.version !== 1) return emptyMemory();
    return { version: 1, seen: strings(v.seen).slice(-SEEN_LIMIT), troubled: strings(v.troubled) };
  } catch {
    return emptyMemory();
  }
}

export function fileMemoryStore(file: string): MemoryStore {
  return {
    load() {
      try {
        return parseMemory(readFileSync(file, 'utf8'));
      } catch {
        return emptyMemory();
      }
    },
    save(m) {
      mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ version: 1, seen: m.seen.slice(-SEEN_LIMIT), troubled: m.troubled }), { mode: 0o600 });
      renameSync(tmp, file);
    },
  };
}
