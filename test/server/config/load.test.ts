import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../server/src/config/load';
import { resolveLocation, pathContains } from '../../../server/src/config/locations';
import { sambaInputFromConfig } from '../../../server/src/samba/from-config';
import { buildModel } from '../../../server/src/samba/model';
import { renderModel } from '../../../server/src/samba/render';

const DESIGN_EXAMPLE = `stateDir: /var/lib/pillars
server:
  listen: 0.0.0.0:8443
  tls: auto
  allowedHosts: [motoko, motoko.local]
pillars:
  flux:  { path: /flux }
  space: { path: /space }
  time:  { path: /time, timeMachine: { maxSize: 4T } }
samba:
  mode: include
  configFile: /etc/samba/smb.conf
  validUsers: [mike]
secrets:
  restic: akv://kv-miket-ops/restic-flux
  b2KeyId: akv://kv-miket-ops/b2-key-id
  b2Key: akv://kv-miket-ops/b2-app-key
remotes:
  b2: { type: b2, account: b2KeyId, key: b2Key }
jobs:
  flux-backup:
    type: restic-backup
    source: flux:/
    repository: space:/backups/restic/flux
    password: restic
    exclude: ["**/node_modules", "**/.cache", "scratch/"]
    schedule: "0 2 * * *"
  flux-retention:
    type: restic-forget
    repository: space:/backups/restic/flux
    password: restic
    keep: { daily: 7, weekly: 4, monthly: 12, yearly: 3 }
    prune: true
    schedule: "0 4 * * 0"
  flux-verify:
    type: restic-check
    repository: space:/backups/restic/flux
    password: restic
    readDataSubset: 5%
    schedule: "0 5 1 * *"
  space-offsite:
    type: rclone-sync
    source: space:/
    destination: b2:miket-space
    after: [flux-backup]
    schedule: "30 3 * * *"
    guard: { maxDeletePercent: 1, maxDeleteCount: 1000 }
    bwlimit: "08:00,4M 23:00,off"
`;

function problems(text: string) {
  try {
    parseConfig(text, '/etc/pillars/pillarsd.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('pillarsd.yaml loader', () => {
  it('accepts the example of the design and fills defaults', () => {
    const c = parseConfig(DESIGN_EXAMPLE, 'x.yaml');
    expect(Object.keys(c.jobs)).toEqual(['flux-backup', 'flux-retention', 'flux-verify', 'space-offsite']);
    expect(c.pillars.flux!.requireMount).toBe(true);
    expect(c.pillars.time!.timeMachine).toMatchObject({ maxSize: '4T', staleDays: 7 });
    expect(c.samba!.keepVersions).toBe(10);
    const sync = c.jobs['space-offsite']!;
    expect(sync.type === 'rclone-sync' && sync.guard).toEqual({ maxDeletePercent: 1, maxDeleteCount: 1000, maxChangePercent: 25 });
    expect(sync.catchUp).toBe(true);
    expect(sync.retries).toEqual({ count: 2, backoffSeconds: 60 });
    expect(c.history).toEqual({ keepDays: 180, keepRuns: 5000 });
    expect(resolveLocation(c, 'space:/backups/restic/flux')).toEqual({ kind: 'pillar', pillar: 'space', root: '/space', path: '/space/backups/restic/flux' });
    expect(resolveLocation(c, 'b2:miket-space')).toEqual({ kind: 'remote', remote: 'b2', path: 'miket-space' });
  });

  it('names file, line, key path and reason for a bad cron', () => {
    const p = problems(DESIGN_EXAMPLE.replace('"0 2 * * *"', '"0 25 * * *"'));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ file: '/etc/pillars/pillarsd.yaml', line: 27, path: 'jobs.flux-backup.schedule' });
    expect(p[0]!.message).toMatch(/invalid cron expression "0 25 \* \* \*"/);
  });

  it('reports invalid YAML with its line', () => {
    const p = problems('stateDir: /x\npillars:\n  flux: { path: /flux\n  space: 1\n');
    expect(p[0]!.message).toMatch(/^invalid YAML/);
    expect(p[0]!.line).toBeGreaterThanOrEqual(3);
  });

  it('reports duplicate keys, unknown keys and wrong types with their lines', () => {
    expect(problems('stateDir: /a\nstateDir: /b\n')[0]!.message).toMatch(/invalid YAML.*[Uu]nique|duplicate/i);
    const unk = problems('pillars:\n  flux:\n    path: /flux\n    requireMonut: false\n');
    expect(unk[0]).toMatchObject({ line: 4, path: 'pillars.flux.requireMonut' });
    expect(unk[0]!.message).toMatch(/unknown key "requireMonut"/);
    const typ = problems('pillars:\n  flux:\n    path: relative/flux\n');
    expect(typ[0]).toMatchObject({ line: 3, path: 'pillars.flux.path', message: 'must be an absolute path' });
  });

  it('refuses secret values in place of references', () => {
    const p = problems(DESIGN_EXAMPLE.replace('akv://kv-miket-ops/restic-flux', 'hunter2-plain-password'));
    expect(p[0]).toMatchObject({ line: 15, path: 'secrets.restic' });
    expect(p[0]!.message).toMatch(/secret reference/);
    // and the value itself never appears in the message
    expect(JSON.stringify(p)).not.toContain('hunter2');
  });

  it('checks references between sections', () => {
    const p = problems(DESIGN_EXAMPLE.replace('source: flux:/\n', 'source: flx:/\n').replace('password: restic\n    keep', 'password: nope\n    keep').replace('after: [flux-backup]', 'after: [flux-bakup]'));
    const byPath = Object.fromEntries(p.map((x) => [x.path, x]));
    expect(byPath['jobs.flux-backup.source']!.message).toMatch(/names no pillar "flx"/);
    expect(byPath['jobs.flux-retention.password']!.message).toMatch(/names no entry of secrets: "nope"/);
    expect(byPath['jobs.space-offsite.after.0']!.message).toMatch(/names no job "flux-bakup"/);
    expect(byPath['jobs.space-offsite.after.0']!.line).toBe(45);
  });

  it('finds dependency cycles and bad time zones', () => {
    const text = DESIGN_EXAMPLE.replace('    schedule: "0 2 * * *"\n', '    schedule: "0 2 * * *"\n    after: [space-offsite]\n    timezone: Mars/Olympus\n');
    const p = problems(text);
    expect(p.map((x) => x.message).join('\n')).toMatch(/unknown time zone/);
    const p2 = problems(DESIGN_EXAMPLE.replace('    schedule: "0 2 * * *"\n', '    schedule: "0 2 * * *"\n    after: [space-offsite]\n'));
    expect(p2[0]!.message).toMatch(/dependency cycle: .*flux-backup.*space-offsite/);
  });

  it('needs a keep rule for forget', () => {
    const p = problems(DESIGN_EXAMPLE.replace('keep: { daily: 7, weekly: 4, monthly: 12, yearly: 3 }', 'keep: {}'));
    expect(p[0]).toMatchObject({ path: 'jobs.flux-retention.keep' });
  });

  it('the Time Machine cap: one parser, bounds Samba cannot wrap, the YAML key named', () => {
    const cap = (v: string) => problems(DESIGN_EXAMPLE.replace('maxSize: 4T', `maxSize: ${v}`));
    // 16384P is 2^64 bytes: Samba's 64-bit multiply wraps it to 0 and the cap is off.
    for (const [v, why] of [
      ['16384P', /too large: at most 8P/],
      ['9P', /too large: at most 8P/],
      ['99999999999999999999', /too large/],
      ['512M', /too small: at least 1G/],
      ['"4 tera"', /must be a size such as 4T/],
      ['"-4T"', /must be a size such as 4T/],
      ['"4T\\n[evil]"', /must be a size such as 4T/],
    ] as const) {
      const p = cap(v);
      expect(p, v).toHaveLength(1);
      expect(p[0], v).toMatchObject({ path: 'pillars.time.timeMachine.maxSize', line: 9 });
      expect(p[0]!.message, v).toMatch(why);
    }
    // What the schema (and so check) accepts, render accepts, in the form Samba reads exactly.
    for (const [v, samba] of [
      ['4TiB', '4T'],
      ['4T', '4T'],
      ['4096G', '4T'],
      ['"3.5 TB"', '3417968750K'],
      ['2199023255552', '2T'],
    ] as const) {
      const c = parseConfig(DESIGN_EXAMPLE.replace('maxSize: 4T', `maxSize: ${v}`), '/etc/pillars/pillarsd.yaml');
      const input = sambaInputFromConfig(c);
      const model = buildModel(input);
      expect(model.timeMachine?.maxSize, v).toBe(samba);
      expect(renderModel(model)).toContain(`fruit:time machine max size = ${samba}\n`);
    }
  });

  it('a hostile key is named with its control characters escaped, and the rule it broke', () => {
    const p = problems('pillars:\n  "fl\\u0007ux\\u001b[2J": { path: /flux }\n');
    expect(p).toHaveLength(1);
    expect(p[0]!.path).toBe('pillars.fl\\u0007ux\\u001b[2J');
    expect(p[0]!.message).toBe('the name "fl\\u0007ux\\u001b[2J" must be lower-case letters, digits and dashes, starting with a letter');
    // eslint-disable-next-line no-control-regex -- no raw control character may reach the message
    expect(p[0]!.path + p[0]!.message).not.toMatch(/[\u0000-\u001f]/);
  });

  it('tells path containment on folder boundaries', () => {
    expect(pathContains('/space', '/space/backups')).toBe(true);
    expect(pathContains('/space/', '/space')).toBe(true);
    expect(pathContains('/space', '/spacex')).toBe(false);
    expect(pathContains('/', '/anything')).toBe(true);
  });
});
