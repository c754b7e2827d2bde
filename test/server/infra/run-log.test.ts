import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRunLog, readRunLog } from '../../../server/src/infra/run-log';
import { sleep } from '../../support/proc';
import { useCleanup } from '../../support/tmp';

describe('run log', () => {
  const reg = useCleanup();
  const dir = () => reg.tempDir('pillars-runlog-').path;
  const body = (file: string) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/^\S+ /, ''));

  it('batches lines: nothing reaches the file until a flush, the timer or close, and then all in order', async () => {
    const log = openRunLog(dir(), 'r1');
    log.write('one');
    log.write('two');
    expect(readFileSync(log.file, 'utf8')).toBe('');
    log.flush();
    expect(body(log.file)).toEqual(['one', 'two']);
    log.write('three');
    await sleep(400);
    expect(body(log.file)).toEqual(['one', 'two', 'three']);
    log.write('four');
    log.close();
    expect(body(log.file)).toEqual(['one', 'two', 'three', 'four']);
    log.write('after close');
    expect(body(log.file)).toEqual(['one', 'two', 'three', 'four']);
    expect(await readRunLog(log.file, 2)).toMatch(/three\n.* four$/);
  });

  it('writes a long burst in large batches without losing or reordering a line', () => {
    const log = openRunLog(dir(), 'r2');
    for (let i = 0; i < 5_000; i++) log.write(`line ${i} ${'x'.repeat(100)}`);
    // more than one batch is already on disk before any flush
    expect(statSync(log.file).size).toBeGreaterThan(64 << 10);
    log.close();
    const lines = body(log.file);
    expect(lines).toHaveLength(5_000);
    expect(lines.every((l, i) => l.startsWith(`line ${i} `))).toBe(true);
  });

  it('masks secrets and escapes newlines in the file and the tail, and stops at the cap with a note', () => {
    const secrets = ['hunter22'];
    const log = openRunLog(dir(), 'r3', { capBytes: 400, tailLines: 3, mask: () => secrets });
    log.write('password is hunter22\nsecond line');
    for (let i = 0; i < 20; i++) log.write(`filler ${i} ${'y'.repeat(20)}`);
    log.close();
    const text = readFileSync(log.file, 'utf8');
    expect(text).not.toContain('hunter22');
    expect(text).toContain('password is ***\\nsecond line');
    expect(text).toMatch(/\[log capped at 400 bytes; the last lines are kept in the run record\]\n$/);
    expect(Buffer.byteLength(text.slice(0, text.indexOf('[log capped')))).toBeLessThanOrEqual(400);
    // the tail keeps the newest lines past the cap
    expect(log.tail()).toBe(['filler 17', 'filler 18', 'filler 19'].map((s) => `${s} ${'y'.repeat(20)}`).join('\n'));
    expect(path.basename(log.file)).toBe('r3.log');
  });
});
