import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { folderOf, keyPath, mergeListings, modTimeDiffNs, MODTIME_NOT_SUPPORTED_NS, pathKey, sortLine } from '../../../server/src/domain/sync-plan';

const lines = (xs: string[]) => {
  let i = 0;
  return () => (i < xs.length ? xs[i++]! : null);
};
const f = (p: string, size: number, t = '2026-01-01T00:00:00.000000001Z') => sortLine({ path: p, size, modTime: t });

describe('sort keys', () => {
  it('round-trip awkward names and sort in JavaScript as sort(1) sorts them in the C locale', () => {
    const names = ['b', 'a b', 'a', 'a/b', 'a-b', 'Z', 'été/x', 'é', 'e\u0301', '😀/y', '\uffff', 'tab\there', 'new␊line', 'q"uote', 'back\\slash', 'ä', '~', 'ctl\u0001', 'del\u007f', 'a!', 'a#'];
    for (const n of names) expect(keyPath(pathKey(n))).toBe(n);
    const keyed = names.map((n) => sortLine({ path: n, size: 1, modTime: 't' }));
    for (const k of keyed) expect(k.split('\t')[0]).toMatch(/^[\x20-\x7e]+$/);
    const bySort = spawnSync('sort', [], { input: keyed.join('\n') + '\n', env: { LC_ALL: 'C', PATH: process.env.PATH }, encoding: 'utf8' })
      .stdout.trim()
      .split('\n');
    expect(bySort.map((l) => l.split('\t')[0])).toEqual(keyed.map((l) => l.split('\t')[0]).sort());
    // a short listing is sorted in memory: whole lines, as sort(1) orders them
    expect([...keyed].sort()).toEqual(bySort);
  });
});

describe('modification times', () => {
  it('differ to the nanosecond across formats and zones', () => {
    expect(modTimeDiffNs('2026-01-01T00:00:00.000000001Z', '2026-01-01T00:00:00.000000003Z')).toBe(2);
    expect(modTimeDiffNs('2026-01-01T01:00:00.5+01:00', '2026-01-01T00:00:00.500Z')).toBe(0);
    expect(modTimeDiffNs('2026-01-01T00:00:00Z', '2026-01-01T00:00:01.000001Z')).toBe(1_000_001_000);
    expect(() => modTimeDiffNs('nope', '2026-01-01T00:00:00Z')).toThrow(/unreadable modification time/);
  });
});

describe('merging two sorted listings', () => {
  const src = [f('a', 1), f('b', 2), f('c', 3, '2026-01-01T00:00:00.5Z'), f('d', 4), f('e', -1)].sort();
  const dst = [f('b', 2), f('c', 3, '2026-01-01T00:00:00.5004Z'), f('d', 5), f('e', 7), f('z', 9)].sort();
  it('finds new, different, same and deleted files, judging times by the modify window', () => {
    const ns = [...mergeListings(lines(src), lines(dst), 1)].map((s) => `${s.kind} ${keyPath(s.key)}`);
    expect(ns).toEqual(['new a', 'same b', 'update c', 'update d', 'update e', 'delete z']);
    // b2's 1 ms precision: 0.4 ms apart is the same file, as rclone judges it
    const ms = [...mergeListings(lines(src), lines(dst), 1e6)].map((s) => `${s.kind} ${keyPath(s.key)}`);
    expect(ms).toContain('same c');
    const sizeOnly = [...mergeListings(lines([f('c', 3, '2020-01-01T00:00:00Z')]), lines([f('c', 3)]), MODTIME_NOT_SUPPORTED_NS)];
    expect(sizeOnly[0]!.kind).toBe('same');
  });
  it('keeps sizes for the change set and counts a repeated key once', () => {
    const steps = [...mergeListings(lines([f('x', 10), f('x', 10)]), lines([f('x', 12), f('y', 3), f('y', 3)]), 1)];
    expect(steps).toEqual([
      { kind: 'update', key: 'x', size: 10, destinationSize: 12, sameSize: false },
      { kind: 'delete', key: 'y', size: 3 },
    ]);
  });
  it('refuses a listing that is not sorted instead of planning from it', () => {
    expect(() => [...mergeListings(lines([f('b', 1), f('a', 1)]), lines([]), 1)]).toThrow(/not sorted/);
  });
  it('names the folders per-folder totals use', () => {
    expect([folderOf('a/b/c.txt', 1), folderOf('a/b/c.txt', 2), folderOf('a/b/c.txt', 5), folderOf('top.txt', 1)]).toEqual(['a', 'a/b', 'a/b', '']);
  });
});
