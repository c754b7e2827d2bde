// The full log of a run as a file in stateDir with a size cap, plus the last lines kept in memory
// for the store's tail. Secrets are masked before a line reaches either (rule 6, defence in depth:
// they should never reach a log line in the first place).
import fs from 'node:fs';
import path from 'node:path';

export interface RunLog {
  readonly file: string;
  write(line: string): void;
  tail(lines?: number): string;
  close(): void;
}

export function openRunLog(dir: string, runId: string, opts: { capBytes?: number; tailLines?: number; mask?: () => readonly string[] } = {}): RunLog {
  fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
  const file = path.join(dir, `${runId}.log`);
  const cap = opts.capBytes ?? 10 << 20;
  const keep = opts.tailLines ?? 200;
  const fd = fs.openSync(file, 'a', 0o640);
  let size = fs.fstatSync(fd).size;
  let truncated = false;
  let closed = false;
  const last: string[] = [];
  const masked = (l: string) => {
    let s = l;
    for (const secret of opts.mask?.() ?? []) if (secret.length >= 3) s = s.split(secret).join('***');
    return s;
  };
  return {
    file,
    write(raw) {
      if (closed) return;
      const line = masked(raw.replace(/\n/g, '\\n'));
      last.push(line);
      if (last.length > keep) last.splice(0, last.length - keep);
      if (truncated) return;
      const b = Buffer.from(`${new Date().toISOString()} ${line}\n`);
      if (size + b.length > cap) {
        truncated = true;
        fs.writeSync(fd, `[log capped at ${cap} bytes; the last lines are kept in the run record]\n`);
        return;
      }
      fs.writeSync(fd, b);
      size += b.length;
    },
    tail(n = 50) {
      return last.slice(-n).join('\n');
    },
    close() {
      if (closed) return;
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

export function removeRunLog(dir: string, runId: string): void {
  fs.rmSync(path.join(dir, `${runId}.log`), { force: true });
}
