// One rounding for sizes and shares: pillarsd's messages (domain/size.ts) and what the pane, the
// tray and the CLI print (src/shared/format.ts) give the same number the same text.
import { describe, expect, test } from 'vitest';
import { formatBytes as guardBytes } from '../../../server/src/domain/guards';
import { formatBytes, percentText } from '../../../server/src/domain/size';
import { formatBytes as clientBytes, formatShare } from '../../../src/shared/format';

describe('sizes and shares as people read them', () => {
  const sizes = [0, 1, 1023, 1024, 1536, 99.94 * 1024, 99.96 * 1024, 197.2 * 1024, 1024 ** 2 - 1, 5.5 * 1024 ** 3, 931.5 * 1024 ** 3, 12 * 1024 ** 4, 3 * 1024 ** 5, -2048];
  test.each(sizes)('%d bytes reads the same in pillarsd and in the pane', (n) => {
    expect(formatBytes(n)).toBe(clientBytes(n));
    if (n >= 0) expect(guardBytes(n)).toBe(formatBytes(n));
  });

  test('one decimal below 100 units, none above: 197.2 KiB reads 197 KiB everywhere', () => {
    expect(formatBytes(197.2 * 1024)).toBe('197 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(512)).toBe('512 B');
  });

  test.each([0, 0.04, 8, 9.96, 10, 24.9, 25, 99.5, 100])('%d % reads the same number in pillarsd and in the pane', (p) => {
    expect(`${percentText(p)} %`).toBe(formatShare(p / 100));
  });

  test('one decimal below 10 %, none above: 24.9 % reads 25', () => {
    expect(percentText(24.9)).toBe('25');
    expect(percentText(8)).toBe('8.0');
  });
});
