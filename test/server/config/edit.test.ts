import { describe, expect, it } from 'vitest';
import { withConfigEdits, withJobSchedule } from '../../../server/src/config/edit';
import { ConfigError } from '../../../server/src/config/load';

const text = `# motoko
stateDir: /var/lib/pillars
server: { listen: "127.0.0.1:8443", tls: "off" }
pillars:
  flux: { path: /flux }   # hot
  space: { path: /space }
  time: { path: /time }
secrets:
  restic: file:/etc/pillars/restic.pw
jobs:
  flux-backup:
    type: restic-backup
    source: flux:/
    repository: space:/backups/restic/flux
    password: restic
    schedule: "0 2 * * *"  # nightly
  flux-verify:
    type: restic-check
    repository: space:/backups/restic/flux
    password: restic
`;

describe('editing pillarsd.yaml through the API', () => {
  it('changes only the schedule line: comments, flow maps and quoting elsewhere stay as written', () => {
    const r = withJobSchedule(text, 'pillarsd.yaml', 'flux-backup', '30 1 * * *');
    expect(r.config.jobs['flux-backup']!.schedule).toBe('30 1 * * *');
    const changed = r.text.split('\n').filter((l, i) => l !== text.split('\n')[i]);
    expect(changed).toEqual(['    schedule: "30 1 * * *"  # nightly']);
  });

  it('adds a schedule to a job without one, and removes one with null', () => {
    const added = withJobSchedule(text, 'pillarsd.yaml', 'flux-verify', '0 4 * * 0');
    expect(added.config.jobs['flux-verify']!.schedule).toBe('0 4 * * 0');
    expect(added.text).toContain('# motoko');
    expect(added.text).toMatch(/# nightly/);
    const removed = withJobSchedule(text, 'pillarsd.yaml', 'flux-backup', null);
    expect(removed.config.jobs['flux-backup']!.schedule).toBeUndefined();
    expect(removed.text).not.toMatch(/schedule/);
    expect(removed.text).toContain('# motoko');
  });

  it('names the file, line and key of a schedule that would not load, and an unknown job', () => {
    let err: unknown;
    try {
      withJobSchedule(text, 'pillarsd.yaml', 'flux-backup', '0 25 * * *');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/^pillarsd\.yaml:16: jobs\.flux-backup\.schedule: invalid cron expression "0 25 \* \* \*"/);
    expect(() => withJobSchedule(text, 'pillarsd.yaml', 'nope', '0 1 * * *')).toThrow('pillarsd.yaml has no job "nope"');
  });
});

describe('job settings edits (withConfigEdits)', () => {
  const more = `${text}  flux-retention:
    type: restic-forget
    repository: space:/backups/restic/flux
    password: restic
    keep: { daily: 7, weekly: 4 }   # what we keep
    prune: true
  offsite:
    type: rclone-sync
    source: space:/
    destination: b2:bucket/space
    exclude: ["*.tmp", "cache/"]   # never offsite
    guard: { maxDeletePercent: 1, maxDeleteCount: 1000 }
remotes:
  b2: { type: b2 }
`;
  const jobs = (id: string, ...p: Array<string | number>) => ['jobs', id, ...p];

  it('scalars replaced by scalars: only their bytes change, wherever they are', () => {
    const r = withConfigEdits(more, 'pillarsd.yaml', [
      { path: jobs('flux-retention', 'keep', 'daily'), value: 14 },
      { path: jobs('offsite', 'guard', 'maxDeletePercent'), value: 2.5 },
      { path: jobs('flux-retention', 'prune'), value: false },
    ]);
    const before = more.split('\n');
    const changed = r.text.split('\n').filter((l, i) => l !== before[i]);
    expect(changed).toEqual(['    keep: { daily: 14, weekly: 4 }   # what we keep', '    prune: false', '    guard: { maxDeletePercent: 2.5, maxDeleteCount: 1000 }']);
    expect(r.config.jobs['flux-retention']).toMatchObject({ keep: { daily: 14, weekly: 4 }, prune: false });
  });

  it('a list replaced stays a flow list with its comment; keys are added and removed; comments elsewhere stay', () => {
    const r = withConfigEdits(more, 'pillarsd.yaml', [
      { path: jobs('offsite', 'exclude'), value: ['*.tmp', 'cache/', 'scratch/**'] },
      { path: jobs('offsite', 'bwlimit'), value: '08:00,4M 23:00,off' },
      { path: jobs('flux-retention', 'keep', 'weekly'), value: null },
      { path: jobs('flux-backup', 'pre'), value: [{ argv: ['/usr/local/bin/db-dump', '--all'], timeoutSeconds: 600 }] },
    ]);
    expect(r.text).toContain('exclude: [ "*.tmp", "cache/", "scratch/**" ] # never offsite');
    expect(r.text).toContain('# never offsite');
    expect(r.text).toContain('# what we keep');
    expect(r.text).toContain('# motoko');
    expect(r.text).toContain('# nightly');
    const off = r.config.jobs.offsite!;
    expect(off.type === 'rclone-sync' && [off.exclude, off.bwlimit]).toEqual([['*.tmp', 'cache/', 'scratch/**'], '08:00,4M 23:00,off']);
    const ret = r.config.jobs['flux-retention']!;
    expect(ret.type === 'restic-forget' && ret.keep).toEqual({ daily: 7 });
    expect(r.config.jobs['flux-backup']!.pre).toEqual([{ argv: ['/usr/local/bin/db-dump', '--all'], timeoutSeconds: 600 }]);
  });

  it('a value that would not load names the file, line and key, and nothing is returned', () => {
    const problems = (edits: Parameters<typeof withConfigEdits>[2]) => {
      try {
        withConfigEdits(more, 'pillarsd.yaml', edits);
      } catch (e) {
        return e instanceof ConfigError ? e.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`) : [String(e)];
      }
      return [];
    };
    expect(problems([{ path: jobs('flux-retention', 'keep', 'daily'), value: 0 }])).toEqual([expect.stringMatching(/^25: jobs\.flux-retention\.keep\.daily: .*(>0|greater than 0)/i)]);
    expect(problems([{ path: jobs('offsite', 'guard', 'maxDeletePercent'), value: 250 }])[0]).toMatch(/jobs\.offsite\.guard\.maxDeletePercent: /);
    expect(problems([{ path: jobs('offsite', 'bwlimit'), value: 'fast; rm -rf /' }])[0]).toMatch(/jobs\.offsite\.bwlimit: must be an rclone bandwidth limit/);
    expect(problems([{ path: jobs('flux-retention', 'keep'), value: {} }])[0]).toMatch(/jobs\.flux-retention\.keep: keep needs at least one rule/);
  });
});
