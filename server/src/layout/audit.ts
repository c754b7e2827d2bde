// Compares the pillars on disk with the policy. Reports, never changes anything.
import { posix } from 'node:path';
import { expectedFolders, isIgnored, type LayoutPolicy } from './policy';
import type { LayoutFs } from './port';

export type DriftKind = 'pillar-missing' | 'not-mounted' | 'missing-sentinel' | 'wrong-sentinel' | 'missing-folder' | 'not-a-folder' | 'unknown-folder' | 'wrong-owner' | 'wrong-group' | 'wrong-mode';

export interface Drift {
  pillar: string;
  path: string;
  kind: DriftKind;
  expected: string | null;
  actual: string | null;
  message: string;
}

export interface LayoutPillar {
  id: string;
  path: string;
  /** false allows a plain folder (demo, tests); true requires a mount point (rule 1 of docs/architecture.md). */
  requireMount: boolean;
}

export interface AuditResult {
  ok: boolean;
  drift: Drift[];
  checked: number;
}

export const SENTINEL = '.pillar';
const oct = (m: number) => m.toString(8).padStart(4, '0');

export async function auditLayout(policy: LayoutPolicy, pillars: readonly LayoutPillar[], users: readonly string[], fs: LayoutFs): Promise<AuditResult> {
  const drift: Drift[] = [];
  const add = (pillar: string, path: string, kind: DriftKind, expected: string | null, actual: string | null, message: string) => drift.push({ pillar, path, kind, expected, actual, message });
  const expected = expectedFolders(
    policy,
    pillars.map((p) => p.id),
    users,
  );
  let checked = 0;
  for (const p of pillars) {
    const root = await fs.stat(p.path);
    if (!root || root.kind !== 'dir') {
      add(p.id, p.path, 'pillar-missing', 'folder', root?.kind ?? null, `pillar ${p.id}: ${p.path} is ${root ? `a ${root.kind}, not a folder` : 'missing'}`);
      continue;
    }
    if (p.requireMount && !(await fs.isMountPoint(p.path))) {
      add(p.id, p.path, 'not-mounted', 'mount point', 'plain folder', `pillar ${p.id}: ${p.path} is not a mount point (is the disk mounted?)`);
    }
    const sentinelPath = posix.join(p.path, SENTINEL);
    const sentinel = await fs.readText(sentinelPath);
    if (sentinel === null) add(p.id, sentinelPath, 'missing-sentinel', p.id, null, `pillar ${p.id}: ${sentinelPath} is missing (run 'pillarsd layout init')`);
    else if (sentinel.trim() !== p.id) add(p.id, sentinelPath, 'wrong-sentinel', p.id, sentinel.trim().slice(0, 40), `pillar ${p.id}: ${sentinelPath} names '${sentinel.trim().slice(0, 40)}', not '${p.id}'`);

    const mine = expected.filter((e) => e.pillar === p.id);
    const known = new Set(mine.filter((e) => e.rel).map((e) => e.rel));
    for (const entry of await fs.readdir(p.path)) {
      if (entry === SENTINEL || known.has(entry) || isIgnored(policy, entry)) continue;
      add(p.id, posix.join(p.path, entry), 'unknown-folder', null, entry, `${posix.join(p.path, entry)} is not in the layout policy (move it into a folder the policy defines, or add it to the policy)`);
    }
    for (const e of mine) {
      const path = e.rel ? posix.join(p.path, e.rel) : p.path;
      const st = e.rel ? await fs.stat(path) : root;
      checked++;
      if (!st) {
        add(p.id, path, 'missing-folder', 'folder', null, `${path} is missing (${e.purpose}); 'pillarsd layout init' creates it`);
        continue;
      }
      if (st.kind !== 'dir') {
        add(p.id, path, 'not-a-folder', 'folder', st.kind, `${path} is a ${st.kind}, the policy expects a folder (${e.purpose})`);
        continue;
      }
      const uid = (await fs.user(e.owner))?.uid ?? null;
      if (uid === null) add(p.id, path, 'wrong-owner', e.owner, await fs.userName(st.uid), `${path}: the policy's owner '${e.owner}' does not exist on this machine`);
      else if (uid !== st.uid) add(p.id, path, 'wrong-owner', e.owner, await fs.userName(st.uid), `${path} is owned by ${await fs.userName(st.uid)}, the policy says ${e.owner}`);
      if (e.group) {
        const gid = await fs.gidOf(e.group);
        if (gid === null) add(p.id, path, 'wrong-group', e.group, await fs.groupName(st.gid), `${path}: the policy's group '${e.group}' does not exist on this machine`);
        else if (gid !== st.gid) add(p.id, path, 'wrong-group', e.group, await fs.groupName(st.gid), `${path} has group ${await fs.groupName(st.gid)}, the policy says ${e.group}`);
      }
      if (st.mode !== e.mode) add(p.id, path, 'wrong-mode', oct(e.mode), oct(st.mode), `${path} has mode ${oct(st.mode)}, the policy says ${oct(e.mode)}`);
    }
  }
  return { ok: drift.length === 0, drift, checked };
}
