// The running core's last statuses in the private runtime folder (no secret in them).
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import type { PillarStatus } from './mounts/manager';
import type { RecordedStatus } from './mounts/recorded';

export function statusFilePath(runtimeDir: string): string {
  return path.join(runtimeDir, 'status.json');
}

/** A writer that never blocks the loop and never lets a slow write pile up behind another. */
export function statusWriter(file: string): (s: PillarStatus[]) => void {
  let busy = false;
  let next: PillarStatus[] | null = null;
  const write = async (s: PillarStatus[]) => {
    busy = true;
    try {
      await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      await fsp.writeFile(tmp, JSON.stringify({ pid: process.pid, at: new Date().toISOString(), pillars: s } satisfies RecordedStatus), { mode: 0o600 });
      await fsp.rename(tmp, file);
    } catch {
      /* best effort: status then shows what a check alone can see */
    } finally {
      busy = false;
      const n = next;
      next = null;
      if (n) void write(n);
    }
  };
  return (s) => {
    if (busy) next = s;
    else void write(s);
  };
}

export function readStatusFile(file: string): { rec: RecordedStatus | null; alive: boolean } {
  try {
    const rec = JSON.parse(readFileSync(file, 'utf8')) as RecordedStatus;
    let alive = false;
    try {
      process.kill(rec.pid, 0);
      alive = true;
    } catch {
      alive = false;
    }
    return { rec, alive };
  } catch {
    return { rec: null, alive: false };
  }
}
