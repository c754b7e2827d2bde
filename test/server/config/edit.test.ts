import { describe, expect, it } from 'vitest';
import { withJobSchedule } from '../../../server/src/config/edit';
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
