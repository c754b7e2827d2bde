// Can the smbd in use load the VFS modules the rendered config names? testparm does not load
// modules, and smbd only tries when a client connects: a share naming a missing module answers
// NT_STATUS_BAD_NETWORK_NAME while testparm and a reload both look fine. On Debian, catia, fruit
// and streams_xattr ship in samba-vfs-modules, only a Recommends of samba, so an install with
// --no-install-recommends lacks them. We read where smbd looks (`smbd -b`: MODULESDIR, SHLIBEXT,
// its built-in modules) and check each module is built in or present as MODULESDIR/vfs/NAME.SHLIBEXT.
import type { SambaModel } from './model';

export interface SmbdBuild {
  modulesDir: string;
  shlibext: string;
  /** Built-in module names, e.g. vfs_default. */
  builtin: string[];
}

/** Debian 12 package of each VFS module pillarsd renders (the apt line an operator needs). */
const PACKAGE_OF: Record<string, string> = {
  catia: 'samba-vfs-modules',
  fruit: 'samba-vfs-modules',
  streams_xattr: 'samba-vfs-modules',
};

/** Parses `smbd -b`; null when it does not name a modules folder. */
export function parseSmbdBuild(stdout: string): SmbdBuild | null {
  const modulesDir = /^\s*MODULESDIR:\s*(\S+)\s*$/m.exec(stdout)?.[1];
  if (!modulesDir) return null;
  const shlibext = /^\s*SHLIBEXT:\s*(\S+)\s*$/m.exec(stdout)?.[1] ?? 'so';
  const builtinBlock = /^Builtin modules:\s*\n((?:[ \t]+\S.*\n?)*)/m.exec(stdout)?.[1] ?? '';
  return { modulesDir, shlibext, builtin: builtinBlock.split(/\s+/).filter(Boolean) };
}

/** Every module named by a `vfs objects` line of the model, once each, in order. */
export function vfsModulesOf(model: Pick<SambaModel, 'global' | 'shares'>): string[] {
  const out: string[] = [];
  for (const s of [model.global, ...model.shares]) {
    for (const p of s.params) {
      if (p.key !== 'vfs objects') continue;
      for (const m of p.value.split(/[\s,]+/)) if (m && !out.includes(m)) out.push(m);
    }
  }
  return out;
}

export interface ModuleHost {
  /** `smbd -b` (build options), or null when smbd cannot be started. */
  smbdBuildInfo(): Promise<{ code: number | null; stdout: string; stderr: string } | null>;
  isFile(path: string): Promise<boolean>;
}

/** One line per module smbd cannot load, naming the file it looked for and the package to install. */
export async function missingVfsModules(modules: readonly string[], host: ModuleHost): Promise<string[]> {
  if (modules.length === 0) return [];
  const r = await host.smbdBuildInfo();
  if (r === null || r.code !== 0) {
    const why = r === null ? 'it is not installed or not on PATH' : (r.stderr || r.stdout).trim().split('\n')[0] || `exit ${r.code}`;
    return [`cannot ask smbd where it loads VFS modules from ('smbd -b' failed: ${why}); install the Debian package samba`];
  }
  const build = parseSmbdBuild(r.stdout);
  if (!build) return [`'smbd -b' does not name a MODULESDIR; cannot check the VFS modules ${modules.join(', ')}`];
  const problems: string[] = [];
  for (const m of modules) {
    if (build.builtin.includes(`vfs_${m}`)) continue;
    const file = `${build.modulesDir}/vfs/${m}.${build.shlibext}`;
    if (await host.isFile(file)) continue;
    const pkg = PACKAGE_OF[m];
    problems.push(
      pkg
        ? `smbd cannot load the VFS module '${m}' (${file} is missing): install the Debian package ${pkg} (apt-get install ${pkg}); until then every share naming it answers NT_STATUS_BAD_NETWORK_NAME`
        : `smbd cannot load the VFS module '${m}' (${file} is missing, and it is not built in)`,
    );
  }
  return problems;
}
