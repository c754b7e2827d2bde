import { describe, expect, it } from 'vitest';
import { countDryRunDeletes, parseRcloneLine, parseRcloneSize, rcloneEnv, rcloneProgress, rcloneSummary, rcloneTransfer, rcloneFailureMessage } from '../../../server/src/tools/rclone';

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

  it('uses the B2 settings of USERS.md for a b2 destination, nothing extra for local', () => {
    const b2 = rcloneTransfer('rclone', {}, { op: 'sync', source: '/space/', destination: 'b2:miket-space', sourceType: 'local', destinationType: 'b2', bwlimit: '08:00,4M 23:00,off', exclude: [] });
    expect(b2.args).toEqual([
      'sync', '/space/', 'b2:miket-space', '--use-json-log', '-v', '--stats', '1s', '--stats-log-level', 'NOTICE',
      '--fast-list', '--b2-upload-concurrency', '2', '--transfers', '16', '--bwlimit', '08:00,4M 23:00,off',
    ]);
    expect(b2.args).not.toContain('--b2-hard-delete');
    const local = rcloneTransfer('rclone', {}, { op: 'copy', source: '/space/', destination: 'cloud:', sourceType: 'local', destinationType: 'local', exclude: ['.pillar'], dryRun: 'list' });
    expect(local.args).toEqual(['copy', '/space/', 'cloud:', '--use-json-log', '-v', '--stats', '1s', '--stats-log-level', 'NOTICE', '--exclude', '.pillar', '--dry-run']);
  });

  it('counts in a quiet dry run (errors and the tally only) and caps the real sync at the deletions counted', () => {
    const o = { op: 'sync', source: '/space/', destination: 'cloud:', sourceType: 'local', destinationType: 'local', exclude: [] } as const;
    expect(rcloneTransfer('rclone', {}, { ...o, dryRun: 'count' }).args).toEqual(['sync', '/space/', 'cloud:', '--use-json-log', '--log-level', 'ERROR', '--stats', '1s', '--stats-log-level', 'ERROR', '--dry-run']);
    expect(rcloneTransfer('rclone', {}, { ...o, maxDelete: 0 }).args).toEqual(['sync', '/space/', 'cloud:', '--use-json-log', '-v', '--stats', '1s', '--stats-log-level', 'NOTICE', '--max-delete', '0']);
    expect(rcloneTransfer('rclone', {}, { ...o, maxDelete: 12 }).args.slice(-2)).toEqual(['--max-delete', '12']);
  });
});

describe('rclone parsers', () => {
  const lines = [
    '{"level":"warning","msg":"Skipped update modification time as --dry-run is set (size 2)","object":"a/f1","size":2,"skipped":"update modification time","time":"t"}',
    '{"level":"warning","msg":"Skipped delete as --dry-run is set (size 2)","object":"b/gone","objectType":"*local.Object","size":2,"skipped":"delete","time":"t"}',
    '{"level":"warning","msg":"Skipped delete as --dry-run is set (size 5)","object":"b/also gone","size":5,"skipped":"delete","time":"t"}',
    '{"level":"warning","msg":"Skipped remove directory as --dry-run is set","object":"b","objectType":"string","skipped":"remove directory","time":"t"}',
    '2026/11/25 21:28:04 ERROR : plain text line from a failing rclone',
    '{"level":"notice","msg":"stats","stats":{"bytes":0,"deletes":0,"errors":0,"transfers":0},"time":"t"}',
  ];

  it('counts dry-run deletions with size and samples, skipping non-JSON lines', () => {
    expect(countDryRunDeletes(lines)).toEqual({ count: 2, bytes: 7, sample: ['b/gone', 'b/also gone'] });
    expect(parseRcloneLine(lines[4]!)).toBeNull();
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
  });

  it('reads size --json and explains exit codes', () => {
    expect(parseRcloneSize('{"count":4,"bytes":8,"sizeless":0}')).toEqual({ count: 4, bytes: 8 });
    expect(parseRcloneSize('nope')).toBeNull();
    expect(rcloneFailureMessage('sync', 3, ['directory not found: /space'])).toBe('sync: rclone exited 3 (directory not found): directory not found: /space');
  });
});
