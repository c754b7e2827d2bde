import { describe, expect, it } from 'vitest';
import { durationSeconds, minuteOfWeek, parseBwlimit, parseRate, seedEtaSeconds } from '../../../server/src/domain/seed-eta';

const MiB = 1024 ** 2;

describe('rclone bandwidth', () => {
  it("reads rates in rclone's units (KiB/s by default, binary suffixes, off, upload:download)", () => {
    expect([parseRate('512'), parseRate('4M'), parseRate('1.5G'), parseRate('off'), parseRate('0'), parseRate('10M:100k')]).toEqual([512 * 1024, 4 * MiB, 1.5 * 1024 ** 3, null, null, 10 * MiB]);
    expect(() => parseRate('fast')).toThrow(/not an rclone bandwidth/);
  });
  it('reads a daily and a weekly timetable', () => {
    const daily = parseBwlimit('08:00,4M 23:00,off');
    expect(daily).toHaveLength(14);
    expect(daily.slice(0, 2)).toEqual([
      { minuteOfWeek: 480, bytesPerSecond: 4 * MiB },
      { minuteOfWeek: 1380, bytesPerSecond: null },
    ]);
    expect(parseBwlimit('Mon-00:00,512 Sat-00:00,off')).toEqual([
      { minuteOfWeek: 0, bytesPerSecond: 512 * 1024 },
      { minuteOfWeek: 5 * 1440, bytesPerSecond: null },
    ]);
    expect(parseBwlimit('10M')).toEqual([{ minuteOfWeek: 0, bytesPerSecond: 10 * MiB }]);
    expect(() => parseBwlimit('25:00,1M 08:00,off')).toThrow(/no such time of day/);
  });
  it('tells the minute of the week on a given wall clock', () => {
    expect(minuteOfWeek(new Date('2026-12-07T08:30:00Z'), 'UTC')).toBe(8 * 60 + 30); // a Monday
    expect(minuteOfWeek(new Date('2026-12-07T08:30:00Z'), 'Europe/Paris')).toBe(9 * 60 + 30);
    expect(durationSeconds('5h30m')).toBe(19_800);
  });
});

describe('seed ETA', () => {
  const from = new Date('2026-12-07T00:00:00Z');
  const line = 100e6 / 8;
  it('at full line rate: 12 TB at 100 Mbit/s ≈ 11.1 days', () => {
    expect(seedEtaSeconds({ bytes: 12e12, uplinkBytesPerSecond: line, from, timezone: 'UTC' })! / 86_400).toBeCloseTo(11.1, 1);
  });
  it('with the documented timetable ≈ 19 days (4 MiB/s from 08:00 to 23:00, the line at night)', () => {
    const perDay = 15 * 3600 * 4 * MiB + 9 * 3600 * line;
    const eta = seedEtaSeconds({ bytes: 12e12, uplinkBytesPerSecond: line, bwlimit: '08:00,4M 23:00,off', from, timezone: 'UTC' })!;
    expect(eta / 86_400).toBeCloseTo(12e12 / perDay, 1);
  });
  it('in nightly windows only: 6 hours from 23:00 at the line rate', () => {
    const eta = seedEtaSeconds({ bytes: 12e12, uplinkBytesPerSecond: line, window: { schedule: '0 23 * * *', timezone: 'UTC', maxDurationSeconds: 6 * 3600 }, from, timezone: 'UTC' })!;
    // the first window opened at 23:00 the day before: 5 hours of it are left at midnight
    const nights = (12e12 - 5 * 3600 * line) / (6 * 3600 * line);
    expect(eta / 86_400).toBeGreaterThan(Math.floor(nights));
    expect(eta / 86_400).toBeLessThan(Math.ceil(nights) + 1);
  });
  it('nothing left is no time; no rate is no ETA; 0 is no limit, as rclone reads it', () => {
    expect(seedEtaSeconds({ bytes: 0, uplinkBytesPerSecond: 0, from })).toBe(0);
    expect(seedEtaSeconds({ bytes: 1e9, uplinkBytesPerSecond: 0, from })).toBeNull();
    expect(seedEtaSeconds({ bytes: 1e9, uplinkBytesPerSecond: 1e6, bwlimit: '0', from })).toBe(1000);
  });
});
