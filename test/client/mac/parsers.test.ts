// Parsers of the macOS adapter over sample outputs (test/fixtures/platform/mac, see its README).
import { describe, expect, it } from 'vitest';
import { parseDfOutput, parseMountOutput } from '../../../src/platform/mac/mountTable';
import { netfsFailure, parseMountScriptOutput } from '../../../src/platform/mac/netfs';
import { backupTimeFromPath, describeDestination, parseDestinationInfo, parseLatestBackup } from '../../../src/platform/mac/tmutil';
import { fixture } from './fakes';

describe('mount(8) output', () => {
  const mounts = parseMountOutput(fixture('mac/mount.txt'));

  it('keeps only smbfs lines, decoding %-encoded users and shares', () => {
    expect(mounts.map((m) => [m.user, m.host, m.share, m.path])).toEqual([
      ['alice', 'motoko', 'flux', '/Users/alice/.mkt/flux'],
      ['alice', 'motoko._smb._tcp.local', 'space', '/Users/alice/.mkt/space'],
      ['alice', '192.168.1.20', 'My Photos (old)', '/Users/alice/Pictures/Old (2019)'],
      ['GUEST', 'printer.local', 'public', '/Volumes/public'],
      ['bob', 'nas', 'Café & Música', '/Volumes/Café & Música'],
    ]);
  });

  it('keeps the options, including who mounted it', () => {
    expect(mounts[0]!.options).toEqual(['smbfs', 'nodev', 'nosuid', 'mounted by alice']);
  });

  it('ignores garbage and other file systems', () => {
    expect(parseMountOutput('nonsense\n//x on /y (nfs)\n\n')).toEqual([]);
  });
});

describe('df -P -k output', () => {
  it('reads total and available 1024-byte blocks as bytes', () => {
    expect(parseDfOutput(fixture('mac/df.txt'))).toEqual({ totalBytes: 1951908864 * 1024, freeBytes: 1219443712 * 1024 });
  });
  it('returns null for something else', () => {
    expect(parseDfOutput('df: /x: No such file or directory\n')).toBeNull();
  });
});

describe('tmutil', () => {
  it('reads destinationinfo -X and prefers the last destination, without the user name', async () => {
    const dests = await parseDestinationInfo(fixture('mac/tmutil-destinationinfo.plist'));
    expect(dests).toHaveLength(2);
    expect(dests[0]).toMatchObject({ kind: 'Local', name: 'Travel SSD', last: false, url: null });
    expect(dests[1]).toMatchObject({ kind: 'Network', name: 'time', last: true, id: '5E0D6C2A-7F1B-4C4E-9A43-2B0C8D1E5F60' });
    expect(describeDestination(dests[1]!)).toBe('smb://motoko._smb._tcp.local./time');
    expect(describeDestination(dests[0]!)).toBe('Travel SSD');
  });

  it('treats an empty dict or a sentence as no destination', async () => {
    expect(await parseDestinationInfo(fixture('mac/tmutil-destinationinfo-empty.plist'))).toEqual([]);
    expect(await parseDestinationInfo('tmutil: No destinations configured.\n')).toEqual([]);
    expect(await parseDestinationInfo('<plist><dict><key>Destinations</key>')).toEqual([]);
  });

  it('reads the latest backup time from APFS and HFS+ paths (Mac local time)', () => {
    const apfs = parseLatestBackup(0, fixture('mac/tmutil-latestbackup-apfs.txt'), '');
    expect(apfs).toEqual({ kind: 'ok', path: fixture('mac/tmutil-latestbackup-apfs.txt').trim(), at: new Date(2026, 10, 24, 18, 4, 55).toISOString() });
    const hfs = parseLatestBackup(0, fixture('mac/tmutil-latestbackup-hfs.txt'), '');
    expect(hfs).toMatchObject({ kind: 'ok', at: new Date(2026, 10, 20, 9, 30, 12).toISOString() });
    expect(backupTimeFromPath('/Volumes/x/Latest')).toBeNull();
  });

  it('recognises the Full Disk Access refusal on stdout or stderr', () => {
    const text = fixture('mac/tmutil-latestbackup-fda.txt');
    expect(parseLatestBackup(80, '', text).kind).toBe('full-disk-access');
    expect(parseLatestBackup(0, text, '').kind).toBe('full-disk-access');
    expect(parseLatestBackup(80, '', text)).toMatchObject({ reason: expect.stringContaining('Privacy & Security') });
  });

  it('tells an unreachable destination from an unknown failure', () => {
    expect(parseLatestBackup(1, '', fixture('mac/tmutil-latestbackup-unmounted.txt')).kind).toBe('none');
    expect(parseLatestBackup(1, '', 'something odd\n')).toEqual({ kind: 'error', reason: 'something odd' });
  });
});

describe('NetFS status codes → MountOutcome', () => {
  const kind = (status: number) => {
    const o = netfsFailure(status, 'motoko', 'flux', '/Users/alice/.mkt/flux');
    return o.ok ? 'ok' : o.kind;
  };
  it('maps authentication errors to auth', () => {
    for (const s of [80, 13, -5045, -5999, -5997]) expect(kind(s), String(s)).toBe('auth');
  });
  it('maps network errors to network', () => {
    for (const s of [50, 51, 54, 57, 60, 61, 64, 65, -5996]) expect(kind(s), String(s)).toBe('network');
  });
  it('maps EBUSY to busy and the rest to error, naming the code', () => {
    expect(kind(16)).toBe('busy');
    for (const s of [2, -5998, -6003, -128, -6602, 999]) expect(kind(s), String(s)).toBe('error');
    const o = netfsFailure(2, 'motoko', 'flux', '/Users/alice/.mkt/flux');
    expect(!o.ok && o.reason).toMatch(/does not exist .*NetFS 2/);
  });
  it('reads the script output and skips noise', () => {
    expect(parseMountScriptOutput('warning\n{"status":17,"mountpoints":[]}\n')).toEqual({ status: 17, mountpoints: [] });
    expect(parseMountScriptOutput('{"error":"Error: boom"}\n')).toEqual({ error: 'Error: boom' });
    expect(parseMountScriptOutput('')).toBeNull();
  });
});
