// The full log of a run as a file in stateDir with a size cap, plus the last lines kept in memory
// for the store's tail. Secrets are masked before a line reaches either (rule 6, defence in depth:
// they should never reach a log line in the first place).
//
// Lines reach the file in batches (at most FLUSH_MS late, or at FLUSH_BYTES): rclone -v prints a
// line per file, and one write(2) per line was a third of the server's CPU on a 20,000-file sync.
// A kill -9 loses at most the last FLUSH_MS of lines; the run record keeps its own tail.
import fs from 'node:fs';
import path from 'node:path';

export interface RunLog {
  readonly file: string;
  write(line: string): void;
  /** writes what is batched now (before the file is read) */
  flush(): void;
  tail(lines?: number): string;
  close(): void;
}

const FLUSH_MS = 100;
const FLUSH_BYTES = 64 << 10;

export function openRunLog(dir: string, runId: string, opts: { capBytes?: number; tailLines?: number; mask?: () => readonly string[] } = {}): RunLog {
  fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
  const file = path.join(dir, `${runId}.log`);
  const cap = opts.capBytes ?? 10 << 20;
  const keep = opts.tailLines ?? 200;
  const fd = fs.openSync(file, 'a', 0o640);
  let size = fs.fstatSync(fd).size;
  let truncated = false;
  let closed = false;
  // the newest `keep` lines, as a ring (a line per file of a large sync passes through here)
  const last: string[] = [];
  let next = 0;
  let pending: string[] = [];
  let pendingBytes = 0;
  let timer: NodeJS.Timeout | null = null;
  const masked = (l: string) => {
    let s = l;
    for (const secret of opts.mask?.() ?? []) if (secret.length >= 3 && s.includes(secret)) s = s.split(secret).join('***');
    return s;
  };
  // many lines share a millisecond; formatting the time once per millisecond is enough
  let stampMs = -1;
  let stamp = '';
  const now = () => {
    const t = Date.now();
    if (t !== stampMs) {
      stampMs = t;
      stamp = new Date(t).toISOString();
    }
    return stamp;
  };
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!pending.length) return;
    const text = pending.join('');
    pending = [];
    pendingBytes = 0;
    fs.writeSync(fd, text);
  };
  return {
    file,
    write(raw) {
      if (closed) return;
      const line = masked(raw.includes('\n') ? raw.replace(/\n/g, '\\n') : raw);
      if (keep > 0) {
        last[next] = line;
        next = (next + 1) % keep;
      }
      if (truncated) return;
      const entry = `${now()} ${line}\n`;
      const n = Buffer.byteLength(entry);
      if (size + n > cap) {
        truncated = true;
        flush();
        fs.writeSync(fd, `[log capped at ${cap} bytes; the last lines are kept in the run record]\n`);
        return;
      }
      pending.push(entry);
      pendingBytes += n;
      size += n;
      if (pendingBytes >= FLUSH_BYTES) flush();
      else if (!timer) {
        timer = setTimeout(flush, FLUSH_MS);
        timer.unref();
      }
    },
    flush() {
      if (!closed) flush();
    },
    tail(n = 50) {
      const ordered = last.length < keep ? last : [...last.slice(next), ...last.slice(0, next)];
      return ordered.slice(-n).join('\n');
    },
    close() {
      if (closed) return;
      flush();
      closed = true;
      fs.closeSync(fd);
    },
  };
}

export async function readRunLog(file: string, tailLines?: number): Promise<string> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch {
    return '';
  }
  if (tailLines === undefined) return text;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-tailLines).join('\n');
}
