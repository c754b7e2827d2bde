// Can smbd load the VFS modules the rendered config names (issue 13)? Against the real smbd's
// `smbd -b` and its real modules folder. The "package missing" case runs pillarsd in a private
// mount namespace where smbd's vfs/ folder is an empty folder: inside it, samba-vfs-modules is
// as good as uninstalled (for smbd too), while the host and the other tests keep the package.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { tempDir, type TempDir } from '../../support/tmp';
import { run } from '../../support/proc';
import { PILLARSD_MAIN, REPO_ROOT } from '../../support/cli';
import { nodeExec } from '../../../server/src/infra/exec';
import { createSambaHost } from '../../../server/src/infra/samba-host';
import { missingVfsModules, parseSmbdBuild } from '../../../server/src/samba/modules';

const build = parseSmbdBuild(execFileSync('smbd', ['-b']).toString());
const VFS_DIR = `${build?.modulesDir}/vfs`;
let dir: TempDir;
let configFile: string;
let includeFile: string;

/** pillarsd ARGS in a mount namespace of its own where smbd's vfs/ folder is empty. */
function pillarsdWithoutVfsModules(args: string[]) {
  const empty = path.join(dir.path, 'empty-vfs');
  mkdirSync(empty, { recursive: true });
  const script = 'mount --bind "$1" "$2" && shift 2 && exec "$@"';
  return run('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', empty, VFS_DIR, process.execPath, '--import', 'tsx', PILLARSD_MAIN, ...args, '--config', configFile], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    timeoutMs: 60_000,
  });
}

function pillarsd(args: string[]) {
  return run(process.execPath, ['--import', 'tsx', PILLARSD_MAIN, ...args, '--config', configFile], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1' }, timeoutMs: 60_000 });
}

beforeAll(() => {
  dir = tempDir('pillars-samba-modules-');
  for (const p of ['flux', 'space', 'time']) mkdirSync(path.join(dir.path, p));
  includeFile = path.join(dir.path, 'pillars.conf');
  const smbConf = path.join(dir.path, 'smb.conf');
  writeFileSync(smbConf, `[global]\n   server role = standalone server\n   include = ${includeFile}\n`);
  configFile = path.join(dir.path, 'pillarsd.yaml');
  const user = execFileSync('id', ['-un']).toString().trim();
  writeFileSync(
    configFile,
    `stateDir: ${dir.path}/state
pillars:
  flux: { path: ${dir.path}/flux, requireMount: false }
  space: { path: ${dir.path}/space, requireMount: false }
  time: { path: ${dir.path}/time, requireMount: false, timeMachine: { maxSize: 2T, perUser: false } }
samba:
  mode: include
  configFile: ${smbConf}
  includeFile: ${includeFile}
  validUsers: [${user}]
  bonjour: false
`,
  );
});
afterAll(() => dir?.cleanup());

describe('VFS modules smbd must load', () => {
  it('smbd -b names the modules folder; catia, fruit and streams_xattr are there; an unknown module is named', async () => {
    expect(build).not.toBeNull();
    expect(readdirSync(VFS_DIR)).toEqual(expect.arrayContaining(['catia.so', 'fruit.so', 'streams_xattr.so']));
    expect(build!.builtin).toContain('vfs_default');
    const host = createSambaHost({ exec: nodeExec });
    expect(await missingVfsModules(['catia', 'fruit', 'streams_xattr', 'default'], host)).toEqual([]);
    expect(await missingVfsModules(['fruit', 'no_such_module'], host)).toEqual([`smbd cannot load the VFS module 'no_such_module' (${VFS_DIR}/no_such_module.so is missing, and it is not built in)`]);
    // A smbd that cannot be started at all is a failure naming the package, not "no module missing".
    const none = createSambaHost({ exec: nodeExec, smbdBin: path.join(dir.path, 'no-smbd') });
    expect(await missingVfsModules(['fruit'], none)).toEqual([expect.stringMatching(/^cannot ask smbd where it loads VFS modules from .*install the Debian package samba$/)]);
  });

  it('with the package as good as removed, check fails naming samba-vfs-modules and apply refuses', async () => {
    const check = await pillarsdWithoutVfsModules(['check']);
    expect(check.code, check.stdout + check.stderr).toBe(1);
    expect(check.stdout).toMatch(/^FAIL smbd vfs modules +smbd cannot load the VFS module 'catia' \(.*\/vfs\/catia\.so is missing\): install the Debian package samba-vfs-modules \(apt-get install samba-vfs-modules\)/m);
    expect(check.stdout).toMatch(/^ok {3}samba config /m);

    const apply = await pillarsdWithoutVfsModules(['samba', 'apply']);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/smbd could not load the rendered Samba config; nothing was changed/);
    expect(apply.stderr).toMatch(/samba-vfs-modules/);
    expect(existsSync(includeFile)).toBe(false);

    // The same commands with the real folder: the modules line passes.
    const real = await pillarsd(['check']);
    expect(real.stdout).toMatch(/^ok {3}smbd vfs modules +smbd can load catia, fruit, streams_xattr$/m);
  });
});
