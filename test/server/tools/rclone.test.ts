import { describe, expect, it } from 'vitest';
import { parseFeatures, parseListingLine, parseRcloneLine, rcloneCopyList, rcloneDeleteList, rcloneEnv, rcloneFailureMessage, rcloneList, rcloneProgress, rcloneSummary } from '../../../server/src/tools/rclone';
import { parseRcloneVersion, rcloneCaps } from '../../../server/src/tools/versions';

const v160 = rcloneCaps(parseRcloneVersion('rclone v1.60.1-DEV')!);
const v166 = rcloneCaps(parseRcloneVersion('rclone v1.66.0')!);

describe('rclone builders', () => {
  it('defines remotes only through env, never from a config file', () => {
    const env = rcloneEnv([{ name: 'b2', type: 'b2', options: { account: 'KEYID', key: 'APPKEY', hard_delete: 'false' } }], { PATH: '/usr/bin', SECRET: 'no' });
    expect(env).toEqual({
      PATH: '/usr/bin',
      RCLONE_CONFIG: '/dev/null',
      RCLONE_CONFIG_B2_TYPE: 'b2',
      RCLONE_CONFIG_B2_ACCOUNT: 'KEYID',
      RCLONE_CONFIG_B2_KEY: 'APPKEY',
      RCLONE_CONFIG_B2_HARD_DELETE: 'false',
    });
  });

  it("lists a bucket with --fast-list under the job's filters, a folder without", () => {
    expect(rcloneList('rclone', {}, 'b2:miket-space', { type: 'b2', exclude: ['/.pillar'] }).args).toEqual([
      'lsjson',
      '-R',
      '--files-only',
      '--no-mimetype',
      '--use-json-log',
      '--log-level',
      'ERROR',
      '--fast-list',
      '--exclude',
      '/.pillar',
      'b2:miket-space',
    ]);
    expect(rcloneList('rclone', {}, '/space', { type: 'local', exclude: [] }).args).not.toContain('--fast-list');
  });

  it("passes --b2-upload-concurrency only to an rclone that has it (1.64+), never to Debian 12's 1.60", () => {
    const o = { source: '/space', destination: 'b2:miket-space', filesFrom: '/s/copy.list', sourceType: 'local', destinationType: 'b2', bwlimit: '08:00,4M 23:00,off' };
    const old = rcloneCopyList('rclone', {}, { ...o, caps: v160 }).args;
    expect(old).toEqual([
      'copy',
      '/space',
      'b2:miket-space',
      '--files-from-raw',
      '/s/copy.list',
      '--no-traverse',
      '--use-json-log',
      '--log-level',
      'NOTICE',
      '--stats',
      '1s',
      '--stats-log-level',
      'NOTICE',
      '--transfers',
      '16',
      '--bwlimit',
      '08:00,4M 23:00,off',
    ]);
    expect(old).not.toContain('--b2-upload-concurrency');
    expect(rcloneCopyList('rclone', {}, { ...o, caps: v166 }).args).toContain('--b2-upload-concurrency');
    expect(rcloneCopyList('rclone', {}, { ...o, caps: v160, maxDuration: '6h' }).args.slice(-4)).toEqual(['--max-duration', '6h', '--cutoff-mode', 'soft']);
    expect(rcloneCopyList('rclone', {}, { ...o, caps: v160, destinationType: 'local' }).args).not.toContain('--transfers');
  });

  it('deletes a list with --max-delete at its length and a line per deleted file', () => {
    expect(rcloneDeleteList('rclone', {}, { destination: 'b2:x', filesFrom: '/s/delete.list', maxDelete: 12 }).args).toEqual([
      'delete',
      'b2:x',
      '--files-from-raw',
      '/s/delete.list',
      '--no-traverse',
      '--max-delete',
      '12',
      '--use-json-log',
      '-v',
      '--stats',
      '1s',
      '--stats-log-level',
      'NOTICE',
    ]);
  });
});

describe('rclone parsers', () => {
  it('reads lsjson a line at a time and refuses a line it cannot read', () => {
    expect(parseListingLine('[')).toBeNull();
    expect(parseListingLine(']')).toBeNull();
    expect(parseListingLine('{"Path":"a/b c","Name":"b c","Size":2,"ModTime":"2026-12-04T16:37:01.575371126Z","IsDir":false},')).toEqual({ path: 'a/b c', size: 2, modTime: '2026-12-04T16:37:01.575371126Z' });
    expect(() => parseListingLine('{"Path":"a"')).toThrow(/unreadable rclone lsjson line/);
    expect(() => parseListingLine('{"Name":"x"}')).toThrow(/unexpected rclone lsjson entry/);
  });

  it("reads a remote's precision from backend features", () => {
    expect(parseFeatures('{"Name":"local","Precision":1,"Hashes":["md5"],"Features":{"CanHaveEmptyDirectories":true}}')).toEqual({ precisionNs: 1, hashes: ['md5'], emptyDirs: true });
    expect(parseFeatures('{"Name":"b2","Precision":1000000,"Features":{"CanHaveEmptyDirectories":false}}')?.emptyDirs).toBe(false);
    expect(parseFeatures('{"Name":"b2","Precision":1000000}')?.precisionNs).toBe(1e6);
    expect(parseFeatures('nope')).toBeNull();
  });

  it('normalises stats into Progress and a summary', () => {
    const p = parseRcloneLine(
      '{"level":"notice","msg":"...","stats":{"bytes":500,"totalBytes":2000,"speed":100.5,"eta":15,"transfers":3,"totalTransfers":10,"deletes":4,"errors":1,"elapsedTime":5.5,"transferring":[{"name":"media/a.mkv","bytes":1}]},"time":"t"}',
    );
    expect(p?.kind).toBe('stats');
    if (p?.kind !== 'stats') return;
    expect(rcloneProgress(p.stats)).toEqual({ percent: 25, bytesDone: 500, bytesTotal: 2000, filesDone: 3, filesTotal: 10, rate: 100.5, etaSeconds: 15, current: ['media/a.mkv'] });
    expect(rcloneSummary('rclone-sync', p.stats)).toEqual({ kind: 'rclone-sync', bytesTransferred: 500, filesTransferred: 3, filesDeleted: 4, errors: 1, durationSeconds: 5.5 });
    expect(rcloneProgress({ bytes: 0, eta: null })).toMatchObject({ percent: null, etaSeconds: null, current: [] });
    expect(parseRcloneLine('2026/11/25 21:28:04 ERROR : plain text line from a failing rclone')).toBeNull();
  });

  it('explains exit codes', () => {
    expect(rcloneFailureMessage('sync', 3, ['directory not found: /space'])).toBe('sync: rclone exited 3 (directory not found): directory not found: /space');
    expect(rcloneFailureMessage('copy', null, [])).toBe('copy: rclone exited by a signal');
  });
});
