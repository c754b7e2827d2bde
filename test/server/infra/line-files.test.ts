import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { LineReader, LineWriter, fileSha256 } from '../../../server/src/infra/line-files';
import { nodeExec } from '../../../server/src/infra/exec';
import { useCleanup } from '../../support/tmp';

const reg = useCleanup();

describe('line files', () => {
  it('write and read back many lines of any width, hashed as written, from any line offset', () => {
    const dir = reg.tempDir('pillars-lines-').path;
    const file = path.join(dir, 'x');
    const w = new LineWriter(file, { hash: true });
    const offsets: number[] = [];
    const lines = Array.from({ length: 50_000 }, (_, i) => `${i} ${'é😀'.repeat(i % 7)} ${'x'.repeat(i % 300)}`);
    for (const [i, l] of lines.entries()) {
      offsets.push(i % 1000 === 337 ? w.offset() : -1);
      w.write(l);
    }
    const digest = w.close();
    expect(digest).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect(fileSha256(file)).toBe(digest);
    const r = new LineReader(file);
    const back: string[] = [];
    for (let l = r.next(); l !== null; l = r.next()) back.push(l);
    expect(back).toEqual(lines);
    const mid = new LineReader(file, offsets[31_337]!);
    expect(mid.next()).toBe(lines[31_337]);
    mid.close();
  });

  it('a last line without a newline is still a line', () => {
    const file = path.join(reg.tempDir('pillars-lines-').path, 'y');
    writeFileSync(file, 'a\nb');
    const r = new LineReader(file);
    expect([r.next(), r.next(), r.next()]).toEqual(['a', 'b', null]);
  });
});

describe('exec line splitting', () => {
  it('keeps a UTF-8 character whole when a read splits it', async () => {
    const lines: string[] = [];
    // "é" is 0xC3 0xA9: the child writes the two bytes in separate writes, a pause between
    const r = await nodeExec({
      cmd: process.execPath,
      args: ['-e', 'process.stdout.write(Buffer.from([0x63,0x61,0x66,0xc3])); setTimeout(() => process.stdout.write(Buffer.from([0xa9,0x0a,0x78])), 200)'],
      onStdoutLine: (l) => lines.push(l),
    });
    expect(r.code).toBe(0);
    expect(lines).toEqual(['café', 'x']);
  });
});
