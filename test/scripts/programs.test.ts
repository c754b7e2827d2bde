// The guard of issue 13: every program the code, tests, benchmarks and scripts start comes from a
// package scripts/packages.sh installs (real dpkg and apt-cache on this machine), and the guard
// fails, naming the program and the package, when one does not.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAll, checkPrograms, dependencyClosure, listedPackages, owningPackages, scan } from '../../scripts/programs.mjs';
import { VFS_OBJECTS } from '../../server/src/samba/model';

describe('the programs guard', () => {
  it('finds every program the repository starts, and each comes from scripts/packages.sh', () => {
    const { programs, problems } = checkAll();
    expect(problems).toEqual([]);
    // the ones that were missing on a fresh machine, and the core tools
    for (const p of ['getfattr', 'smbd', 'testparm', 'smbclient', 'restic', 'rclone', 'smbnetfs', 'fusermount', 'chattr']) expect(programs).toContain(p);
  });

  it('fails for a program from a package the list does not install, naming both', () => {
    const problems = checkPrograms(['getfattr', 'restic'], ['git', 'restic']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ program: 'getfattr', packages: ['attr'] });
    expect(problems[0]!.message).toMatch(/getfattr \(\/usr\/bin\/getfattr\) comes from package attr, which scripts\/packages\.sh does not install.*add attr/);
    // the control: listed, it passes
    expect(checkPrograms(['getfattr'], ['git', 'attr'])).toEqual([]);
  });

  it('fails for a program that is not installed at all', () => {
    const [p] = checkPrograms(['pillars-no-such-program'], ['git']);
    expect(p?.message).toMatch(/^pillars-no-such-program: not found on PATH/);
  });

  it('counts a dependency as installed but not a Recommends', () => {
    // smbd is samba's own; samba only Recommends samba-vfs-modules, so its fruit module is not in
    // the closure of samba alone (the bug of issue 13)
    const closure = dependencyClosure(['samba']);
    expect(closure.has('samba-common-bin')).toBe(true);
    expect(closure.has('samba-vfs-modules')).toBe(false);
  });

  it('every VFS module a rendered share loads comes from a listed package', () => {
    const dir = /MODULESDIR:\s*(\S+)/.exec(execFileSync('smbd', ['-b'], { encoding: 'utf8' }))?.[1];
    expect(dir).toBeTruthy();
    const modules = VFS_OBJECTS.split(/\s+/).map((m) => path.join(dir!, 'vfs', `${m}.so`));
    const owners = owningPackages(modules);
    const listed = dependencyClosure(listedPackages());
    modules.forEach((m, i) => {
      expect(owners[i], `${m} belongs to no package`).not.toEqual([]);
      expect(
        owners[i]!.some((p) => listed.has(p)),
        `${m} comes from ${owners[i]!.join(', ')}`,
      ).toBe(true);
    });
    // without samba-vfs-modules in the list they are not covered
    const without = dependencyClosure(listedPackages().filter((p) => p !== 'samba-vfs-modules'));
    expect(owners.every((o) => o.some((p) => without.has(p)))).toBe(false);
  });

  it('scans literals, wrapped programs and shell snippets, and refuses computed programs and shell strings', () => {
    const file = path.join(import.meta.dirname, '../fixtures/programs/sample.ts.txt');
    const { found, problems } = scan([file]);
    for (const p of ['zz-literal', 'sh', 'zz-frobnicate', 'zz-other', 'grep', 'stdbuf', 'zz-inner', 'ip', 'zz-in-ns', 'zz-default', 'unshare', 'zz-in-unshare', 'zz-hook', 'zz-hook-script'])
      expect([...found.keys()]).toContain(p);
    expect(found.get('zz-literal')).toEqual(new Set([`${file}:4`]));
    // an option's value is not the wrapped program
    expect(found.has('private')).toBe(false);
    // a file's own spawn helper: its callers are the sites, a `sh -c` script held in a const is read,
    // a program after `exec` counts; a command name in a JSON message is not a program
    for (const p of ['zz-local-helper', 'zz-after-exec', 'mount', 'zz-exec-request']) expect([...found.keys()]).toContain(p);
    expect(found.get('zz-local-helper')).toEqual(new Set([`${file}:14`]));
    expect(found.has('zz-message-not-program')).toBe(false);
    expect(problems.filter((p) => /sample\.ts\.txt:1[3-9]/.test(p))).toEqual([]);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/sample\.ts\.txt:5 starts a computed program \(name\)/), expect.stringMatching(/sample\.ts\.txt:6 runs a shell string/)]));
  });

  it('at run time, a started program the scan does not know is caught (spawn-audit)', () => {
    const state = (globalThis as Record<symbol, { unknown: Map<string, string> } | undefined>)[Symbol.for('pillars.spawn-audit')];
    expect(state).toBeDefined();
    const unlisted = ['pillars', 'unlisted', String(process.pid)].join('-');
    spawnSync(unlisted, ['x']); // ENOENT: never runs; the audit sees the attempt
    expect(state!.unknown.get(unlisted)).toMatch(/programs\.test\.ts/);
    state!.unknown.delete(unlisted); // or this file's last hook fails, as it should for a real one
    spawnSync('sh', ['-c', 'true']);
    expect(state!.unknown.size).toBe(0);
  });
});
