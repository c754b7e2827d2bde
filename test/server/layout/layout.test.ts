// layout init and audit on real folders (as root, with a real Unix user for Time's per-user folder).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { tempDir, type TempDir } from '../../support/tmp';
import { ensureUnixUser } from '../../support/smbd';
import { nodeExec } from '../../../server/src/infra/exec';
import { createLayoutFs, findBundledPolicy, readTextFile } from '../../../server/src/infra/layout-fs';
import { parsePolicy, PolicyError, type LayoutPolicy } from '../../../server/src/layout/policy';
import { auditLayout, type LayoutPillar } from '../../../server/src/layout/audit';
import { initLayout } from '../../../server/src/layout/init';

const USER = 'pilllay1';
const fs = createLayoutFs(nodeExec);
let policy: LayoutPolicy;
let dir: TempDir;
let pillars: LayoutPillar[];

beforeAll(async () => {
  await ensureUnixUser(USER);
  const file = await findBundledPolicy();
  expect(file).not.toBeNull();
  policy = parsePolicy(await readTextFile(file!), file!);
  dir = tempDir('pillars-layout-');
  pillars = ['flux', 'space', 'time'].map((id) => {
    const p = path.join(dir.path, id);
    mkdirSync(p);
    chmodSync(p, 0o755);
    return { id, path: p, requireMount: false };
  });
});
afterAll(() => dir?.cleanup());

describe('layout policy', () => {
  it('the bundled policy defines the documented folders', () => {
    expect(Object.keys(policy.pillars.flux!.folders)).toEqual(['active-dev', 'databases', 'docker', 'models', 'hot', 'scratch']);
    expect(Object.keys(policy.pillars.space!.folders)).toEqual(['projects', 'media', 'datasets', 'archive', 'backups']);
    expect(policy.pillars.flux!.folders.scratch!.backup).toBe('none');
    expect(policy.pillars.time!.perUser!.offsite).toBe(false);
  });

  it('a broken policy is an error naming the key', () => {
    expect(() => parsePolicy('version: 1\ndefaults: {owner: root, group: users, mode: "999"}\npillars: {}\n', 'p.yaml')).toThrow(PolicyError);
    expect(() => parsePolicy('version: 1\ndefaults: {owner: root, group: users, mode: "999"}\npillars: {}\n', 'p.yaml')).toThrow(/p\.yaml: defaults\.mode: must be an octal mode/);
    expect(() => parsePolicy('version: 1\ndefaults: {owner: root, group: users, mode: "0755"}\npillars: {flux: {folders: {x: {purpose: p}}}}\n', 'p.yaml')).toThrow(/pillars\.flux\.folders\.x\.backup/);
  });

  it('init on empty folders, then audit: no drift', async () => {
    const actions = await initLayout(policy, pillars, [USER], fs);
    expect(actions.filter((a) => a.action === 'created-sentinel').map((a) => a.pillar)).toEqual(['flux', 'space', 'time']);
    expect(actions.filter((a) => a.action === 'created-folder')).toHaveLength(6 + 5 + 1);
    expect(readFileSync(path.join(dir.path, 'space', '.pillar'), 'utf8').trim()).toBe('space');
    const scratch = statSync(path.join(dir.path, 'flux', 'scratch'));
    expect(scratch.mode & 0o7777).toBe(0o3777);
    const mine = statSync(path.join(dir.path, 'time', USER));
    expect(mine.mode & 0o7777).toBe(0o700);
    expect(mine.uid).toBe((await fs.user(USER))!.uid);
    const audit = await auditLayout(policy, pillars, [USER], fs);
    expect(audit.drift).toEqual([]);
    expect(audit.ok).toBe(true);
    expect(audit.checked).toBe(3 + 12);
    // Idempotent: a second init creates nothing.
    expect((await initLayout(policy, pillars, [USER], fs)).filter((a) => a.action !== 'skipped')).toEqual([]);
  });

  it('reports each injected drift', async () => {
    const flux = path.join(dir.path, 'flux');
    const space = path.join(dir.path, 'space');
    const time = path.join(dir.path, 'time');
    mkdirSync(path.join(flux, 'junk'));
    writeFileSync(path.join(flux, '.DS_Store'), ''); // ignored by policy
    chmodSync(path.join(flux, 'docker'), 0o777);
    chownSync(path.join(space, 'media'), (await fs.user(USER))!.uid, statSync(path.join(space, 'media')).gid);
    chownSync(path.join(space, 'archive'), 0, 0); // group root, policy says users
    rmSync(path.join(time, '.pillar'));
    writeFileSync(path.join(space, '.pillar'), 'flux\n');
    rmdirSync(path.join(flux, 'models'));
    writeFileSync(path.join(flux, 'models'), 'not a folder');
    rmdirSync(path.join(space, 'datasets'));
    // The user's own Time Machine folder (samba apply and layout init create it) handed to root.
    chownSync(path.join(time, USER), 0, statSync(path.join(time, USER)).gid);

    const audit = await auditLayout(policy, pillars, [USER], fs);
    expect(audit.ok).toBe(false);
    const got = audit.drift.map((d) => `${d.kind} ${path.relative(dir.path, d.path)}`).sort();
    expect(got).toEqual(
      [
        'unknown-folder flux/junk',
        'wrong-mode flux/docker',
        'wrong-owner space/media',
        'wrong-group space/archive',
        'missing-sentinel time/.pillar',
        'wrong-sentinel space/.pillar',
        'not-a-folder flux/models',
        'missing-folder space/datasets',
        `wrong-owner time/${USER}`,
      ].sort(),
    );
    const mode = audit.drift.find((d) => d.kind === 'wrong-mode')!;
    expect(mode).toMatchObject({ expected: '2775', actual: '0777' });
    expect(audit.drift.find((d) => d.kind === 'wrong-owner' && d.path.endsWith('media'))!.message).toMatch(new RegExp(`owned by ${USER}, the policy says root`));
    expect(audit.drift.find((d) => d.kind === 'wrong-owner' && d.path.endsWith(USER))!.message).toMatch(new RegExp(`time/${USER} is owned by root, the policy says ${USER}`));

    // init repairs only what is missing; it never overwrites the foreign sentinel.
    const actions = await initLayout(policy, pillars, [USER], fs);
    expect(actions.map((a) => `${a.action} ${path.relative(dir.path, a.path)}`).sort()).toEqual(['created-folder space/datasets', 'created-sentinel time/.pillar']);
    expect(readFileSync(path.join(space, '.pillar'), 'utf8')).toBe('flux\n');
  });

  it('refuses to write into a folder that should be a mount point', async () => {
    const d = tempDir('pillars-layout-mnt-');
    try {
      const p: LayoutPillar = { id: 'flux', path: d.path, requireMount: true };
      const actions = await initLayout(policy, [p], [], fs);
      expect(actions).toEqual([expect.objectContaining({ action: 'skipped', detail: expect.stringMatching(/not a mount point/) })]);
      const audit = await auditLayout(policy, [p], [], fs);
      expect(audit.drift.map((x) => x.kind)).toContain('not-mounted');
    } finally {
      await d.cleanup();
    }
  });
});
