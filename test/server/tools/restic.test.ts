import { describe, expect, it } from 'vitest';
import {
  classifyResticExit,
  isFileNode,
  keepArgs,
  parseForgetOutput,
  parseResticBackupLine,
  parseResticItemError,
  resticFailureMessage,
  resticBackup,
  backupOptionArgs,
  unanchoredExcludes,
  resticCheck,
  resticForget,
  resticUnlock,
} from '../../../server/src/tools/restic';
import { parseResticVersion, parseRcloneVersion, resticCaps } from '../../../server/src/tools/versions';

const target = { repository: '/space/backups/restic/flux', passwordFile: '/run/pillars/pw-1', cacheDir: '/var/lib/pillars/cache/restic' };
const base = { PATH: '/usr/bin', HOME: '/root', RESTIC_PASSWORD: 'inherited-must-not-leak', AWS_SECRET_ACCESS_KEY: 'x' };
const v014 = resticCaps(parseResticVersion('restic 0.14.0 compiled with go1.19.8 on linux/amd64')!);
const v017 = resticCaps(parseResticVersion('restic 0.17.3 compiled with go1.23.1 on linux/amd64')!);

describe('restic builders', () => {
  it('detects versions and capabilities', () => {
    expect(v014).toMatchObject({ version: { major: 0, minor: 14, patch: 0 }, exitCodes: false, retryLock: false });
    expect(v017).toMatchObject({ exitCodes: true, retryLock: true });
    expect(parseRcloneVersion('rclone v1.60.1-DEV\n- os/version: debian 12.11')).toEqual({ major: 1, minor: 60, patch: 1 });
    expect(parseResticVersion('garbage')).toBeNull();
  });

  it('builds a backup: password by file, an explicit env, excludes, --retry-lock only where present', () => {
    const c = resticBackup('restic', target, base, { source: '/flux/', exclude: ['**/node_modules', 'scratch/', '/tmp/'], tags: ['pillars'], oneFileSystem: true, options: ['--exclude-caches'], caps: v014 });
    // a leading / is the top of the source (restic would read it from the file system's root)
    expect(c.args).toEqual(['backup', '--json', '--one-file-system', '--exclude', '**/node_modules', '--exclude', 'scratch/', '--exclude', '/flux/tmp/', '--exclude-caches', '--tag', 'pillars', '--', '/flux/']);
    expect(c.env).toEqual({
      PATH: '/usr/bin',
      HOME: '/root',
      RESTIC_REPOSITORY: target.repository,
      RESTIC_PASSWORD_FILE: target.passwordFile,
      RESTIC_CACHE_DIR: target.cacheDir,
      RESTIC_PROGRESS_FPS: '4',
    });
    const c17 = resticBackup('restic', target, base, { source: '/flux/', exclude: [], tags: [], oneFileSystem: false, options: [], caps: v017 });
    expect(c17.args.slice(0, 4)).toEqual(['backup', '--json', '--retry-lock', '2m']);
  });

  it('typed backup options become flags; one the installed restic lacks is named, never dropped', () => {
    expect(backupOptionArgs({ excludeLargerThan: '2G', excludeCaches: true, excludeIfPresent: ['.nobackup'], ignoreInode: true }, v014)).toEqual({
      args: ['--exclude-larger-than', '2G', '--exclude-caches', '--exclude-if-present', '.nobackup', '--ignore-inode'],
    });
    expect(backupOptionArgs({ readConcurrency: 4 }, v014)).toEqual({ missing: 'readConcurrency (--read-concurrency) needs restic 0.15 or newer' });
    expect(backupOptionArgs({ readConcurrency: 4 }, v017)).toEqual({ args: ['--read-concurrency', '4'] });
    expect(unanchoredExcludes(['/scratch/', 'scratch/', '**/node_modules', '*.tmp', 'cache'])).toEqual(['scratch/', 'cache']);
  });

  it('builds forget, check and unlock (never --remove-all)', () => {
    expect(keepArgs({ daily: 7, weekly: 4, monthly: 12, yearly: 3 })).toEqual(['--keep-daily', '7', '--keep-weekly', '4', '--keep-monthly', '12', '--keep-yearly', '3']);
    expect(resticForget('restic', target, base, { keep: { last: 2 }, prune: true, dryRun: false, caps: v014 }).args).toEqual(['forget', '--json', '--keep-last', '2', '--prune']);
    expect(resticForget('restic', target, base, { keep: { last: 2 }, prune: true, dryRun: true, caps: v014 }).args).toEqual(['forget', '--json', '--keep-last', '2', '--dry-run']);
    expect(resticCheck('restic', target, base, { readDataSubset: '5%', caps: v014 }).args).toEqual(['check', '--read-data-subset=5%']);
    expect(resticUnlock('restic', target, base).args).toEqual(['unlock']);
  });
});

describe('restic parsers', () => {
  it('normalises status lines into Progress', () => {
    const l = parseResticBackupLine(
      '{"message_type":"status","seconds_elapsed":4,"seconds_remaining":12,"percent_done":0.25,"total_files":400,"files_done":100,"total_bytes":4000,"bytes_done":1000,"current_files":["/flux/a b","/flux/c"]}',
    );
    expect(l).toEqual({
      kind: 'progress',
      progress: { percent: 25, bytesDone: 1000, bytesTotal: 4000, filesDone: 100, filesTotal: 400, rate: 250, etaSeconds: 12, current: ['/flux/a b', '/flux/c'] },
    });
    // restic 0.14's first status line has no elapsed time
    expect(parseResticBackupLine('{"message_type":"status","percent_done":0,"total_files":1,"total_bytes":2}')).toMatchObject({ kind: 'progress', progress: { rate: null, bytesDone: 0 } });
  });

  it('parses the summary line as restic 0.14 prints it', () => {
    const l = parseResticBackupLine(
      '{"message_type":"summary","files_new":3,"files_changed":1,"files_unmodified":5,"dirs_new":4,"dirs_changed":0,"dirs_unmodified":0,"data_blobs":3,"tree_blobs":5,"data_added":2440,"total_files_processed":9,"total_bytes_processed":6,"total_duration":0.2198,"snapshot_id":"cee2d28f"}',
    );
    expect(l).toEqual({
      kind: 'summary',
      summary: { kind: 'restic-backup', snapshotId: 'cee2d28f', filesNew: 3, filesChanged: 1, filesUnmodified: 5, bytesAdded: 2440, totalBytesProcessed: 6, totalFilesProcessed: 9, durationSeconds: 0.2198 },
    });
  });

  it('keeps errors and plain text, drops blank lines', () => {
    expect(parseResticBackupLine('{"message_type":"error","error":{"Op":"open","Path":"/x","Err":13},"during":"archival","item":"/flux/secret"}')).toEqual({
      kind: 'error',
      error: { item: '/flux/secret', reason: 'permission denied', during: 'archival' },
    });
    expect(parseResticBackupLine('repository 1234 opened')).toEqual({ kind: 'text', text: 'repository 1234 opened' });
    expect(parseResticBackupLine('   ')).toBeNull();
  });

  it('reads the per-file errors restic 0.14 writes to stderr, with a reason where it gives one', () => {
    // verbatim from restic 0.14.0 run as an unprivileged user over a folder with unreadable entries
    const lines = [
      '{"message_type":"error","error":{},"during":"archival","item":"/tmp/rx/src/closed"}',
      '{"message_type":"error","error":{},"during":"scan","item":"/tmp/rx/src/closed"}',
      '{"message_type":"error","error":{"Op":"open","Path":"/tmp/rx/src/sub/locked.txt","Err":13},"during":"archival","item":"/tmp/rx/src/sub/locked.txt"}',
      '{"message_type":"error","error":{"Op":"read","Path":"/f","Err":5},"during":"archival","item":"/f"}',
      '{"message_type":"error","error":{"message":"lstat /g: stale file handle"},"during":"scan","item":"/g"}',
      'Warning: at least one source file could not be read',
    ];
    expect(lines.map(parseResticItemError)).toEqual([
      { item: '/tmp/rx/src/closed', reason: null, during: 'archival' },
      { item: '/tmp/rx/src/closed', reason: null, during: 'scan' },
      { item: '/tmp/rx/src/sub/locked.txt', reason: 'permission denied', during: 'archival' },
      { item: '/f', reason: 'read: input/output error', during: 'archival' },
      { item: '/g', reason: 'lstat /g: stale file handle', during: 'scan' },
      null,
    ]);
  });

  it('words known failures plainly, naming the repository and the secret but never its value', () => {
    const where = { repository: '/space/backups/restic/flux', secret: 'restic' };
    const wrong = resticFailureMessage('restic check', classifyResticExit(1, 'Fatal: wrong password or no key found', v014)!, 1, 'Fatal: wrong password or no key found', where);
    expect(wrong).toBe('restic check: wrong password: the secret "restic" does not open the repository at /space/backups/restic/flux (the repository itself was not read, so this says nothing about its health)');
    expect(wrong).not.toMatch(/found errors|has errors|damaged/);
    const missing = 'Fatal: unable to open config file: stat /space/backups/restic/flux/config: no such file or directory\nIs there a repository at the following location?\n/space/backups/restic/flux';
    expect(resticFailureMessage('restic backup', classifyResticExit(1, missing, v014)!, 1, missing, where)).toBe(
      'restic backup: there is no restic repository at /space/backups/restic/flux (is the right disk mounted? was the repository moved or never initialised?)',
    );
    const locked =
      'unable to create lock in backend: repository is already locked by PID 13817 on vm by root (UID 0, GID 0)\nlock was created at 2026-12-04 17:02:36 (3.337241649s ago)\nstorage ID 589649fa\nthe `unlock` command can be used to remove stale locks';
    expect(resticFailureMessage('restic prune', classifyResticExit(1, locked, v014)!, 1, locked, where)).toBe(
      'restic prune: the repository at /space/backups/restic/flux is locked by another restic process (PID 13817 on vm, since 2026-12-04 17:02:36); a lock left by a process that died is removed by the next run',
    );
    const damaged = 'pack 338861cc15066b3baeebb1fd01c24c67c2b598d9b601f368febe06c8583ddc7d: does not exist\nFatal: repository contains errors';
    expect(classifyResticExit(1, damaged, v014)).toBe('damaged');
    expect(resticFailureMessage('restic check', 'damaged', 1, damaged, where)).toBe(
      'restic check: the repository at /space/backups/restic/flux has errors: pack 338861cc15066b3baeebb1fd01c24c67c2b598d9b601f368febe06c8583ddc7d: does not exist',
    );
    expect(resticFailureMessage('restic ls', 'other', 1, '[0:00] 10%\nFatal: cannot load tree: pack abc not found\n', where)).toBe('restic ls: restic exited 1: cannot load tree: pack abc not found');
    // restic 0.14's ls over a damaged pack: retry notices, the error, then a Go stack trace
    const traced =
      'Load(<data/b55008a6d7>, 0, 0) returned error, retrying after 552.330144ms: open /r/data/b5/b550: no such file or directory\n' +
      'open /r/data/b5/b550: no such file or directory\nReadFull(<data/b55008a6d7>)\ngithub.com/restic/restic/internal/backend.ReadAt\n\tgithub.com/restic/restic/internal/backend/readerat.go:39\nmain.runLs\n\tgithub.com/restic/restic/cmd/restic/cmd_ls.go:223\nruntime.goexit\n\truntime/asm_amd64.s:1594\n';
    expect(resticFailureMessage('restic ls', 'other', 1, traced, where)).toBe('restic ls: restic exited 1: open /r/data/b5/b550: no such file or directory');
  });

  it('reads forget --json: the array line, then plain text from prune', () => {
    const out =
      '[{"tags":null,"host":"vm","paths":["/x"],"keep":[{"time":"2026-11-25T21:28:00Z","id":"aaa","short_id":"aaa"}],"remove":[{"time":"2026-11-24T21:28:00Z","id":"bbb"}],"reasons":[]}]\n' +
      'loading indexes...\nfound 1 of 3 data blobs still in use, removing 2 blobs\n';
    expect(parseForgetOutput(out)).toEqual([{ keep: [{ time: '2026-11-25T21:28:00Z', id: 'aaa', short_id: 'aaa' }], remove: [{ time: '2026-11-24T21:28:00Z', id: 'bbb' }] }]);
    expect(parseForgetOutput('[{"keep":[{"id":"a","time":"t"}],"remove":null}]')).toEqual([{ keep: [{ id: 'a', time: 't' }], remove: [] }]);
    expect(() => parseForgetOutput('Fatal: wrong password')).toThrow(/no JSON/);
  });

  it('tells file nodes in ls --json', () => {
    expect(isFileNode('{"time":"t","tree":"x","paths":["/x"],"id":"a","struct_type":"snapshot"}')).toBe(false);
    expect(isFileNode('{"name":"x","type":"dir","path":"/x","struct_type":"node"}')).toBe(false);
    expect(isFileNode('{"name":"f","type":"file","path":"/x/f","size":0,"struct_type":"node"}')).toBe(true);
  });

  it('classifies failures by 0.17 exit codes, else by message', () => {
    expect(classifyResticExit(0, '', v014)).toBeNull();
    expect(classifyResticExit(3, '', v014)).toBe('partial');
    expect(classifyResticExit(11, '', v017)).toBe('locked');
    expect(classifyResticExit(12, '', v017)).toBe('wrong-password');
    expect(classifyResticExit(10, '', v017)).toBe('no-repository');
    expect(classifyResticExit(1, 'unable to create lock in backend: repository is already locked by PID 12 on vm', v014)).toBe('locked');
    expect(classifyResticExit(1, 'Fatal: wrong password or no key found', v014)).toBe('wrong-password');
    expect(classifyResticExit(1, 'Fatal: unable to open config file: stat /r/config: no such file or directory\nIs there a repository at the following location?', v014)).toBe('no-repository');
    expect(classifyResticExit(1, 'Fatal: something else', v014)).toBe('other');
  });
});
