// Line files read and written a buffer at a time: listings and change sets of millions of lines go
// through a fixed amount of memory. Synchronous on purpose: a run's files are local and the writer
// is fed from a child's output callback, where there is no back-pressure to wait on.
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';

const BUF = 1 << 16;

export class LineWriter {
  private readonly fd: number;
  private buf = '';
  private written = 0;
  private hash: Hash | null;
  lines = 0;

  constructor(
    readonly file: string,
    opts: { hash?: boolean; mode?: number } = {},
  ) {
    this.fd = fs.openSync(file, 'w', opts.mode ?? 0o600);
    this.hash = opts.hash ? createHash('sha256') : null;
  }

  write(line: string): void {
    this.buf += `${line}\n`;
    this.lines++;
    if (this.buf.length >= BUF) this.flush();
  }

  private flush(): void {
    if (!this.buf) return;
    const text = this.buf;
    this.buf = '';
    this.hash?.update(text, 'utf8');
    const len = Buffer.byteLength(text);
    let off = fs.writeSync(this.fd, text);
    if (off < len) {
      const b = Buffer.from(text, 'utf8');
      while (off < len) off += fs.writeSync(this.fd, b, off);
    }
    this.written += len;
  }

  /** The byte the next line starts at (what LineReader takes to start there). */
  offset(): number {
    this.flush();
    return this.written;
  }

  /** Closes the file; returns the SHA-256 (hex) of everything written when asked for one. */
  close(): string | null {
    this.flush();
    fs.closeSync(this.fd);
    return this.hash ? this.hash.digest('hex') : null;
  }
}

export class LineReader {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(BUF);
  private readonly decoder = new StringDecoder('utf8');
  private text = '';
  private pos = 0;
  private eof = false;
  private closed = false;

  /** `offset`: the byte a line starts at (LineWriter.offset() before it was written). */
  constructor(
    readonly file: string,
    offset = 0,
  ) {
    this.fd = fs.openSync(file, 'r');
    this.filePos = offset;
  }

  private filePos: number;

  /** The next line without its newline, or null at the end. */
  next(): string | null {
    for (;;) {
      const nl = this.text.indexOf('\n', this.pos);
      if (nl >= 0) {
        const l = this.text.slice(this.pos, nl);
        this.pos = nl + 1;
        return l;
      }
      if (this.eof) {
        if (this.pos < this.text.length) {
          const l = this.text.slice(this.pos);
          this.pos = this.text.length;
          return l;
        }
        this.close();
        return null;
      }
      const n = fs.readSync(this.fd, this.buf, 0, BUF, this.filePos);
      this.filePos += n;
      this.text = this.text.slice(this.pos) + (n > 0 ? this.decoder.write(this.buf.subarray(0, n)) : this.decoder.end());
      this.pos = 0;
      if (n === 0) this.eof = true;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
}

/** SHA-256 (hex) of a file, read a buffer at a time. */
export function fileSha256(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(BUF);
  try {
    for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}
