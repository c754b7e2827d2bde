// `layout init`: creates what the policy lists and is missing: folders with owner and mode, and
// each pillar's .pillar sentinel (its content is the pillar id; the job guards read it). Existing
// folders and sentinels are never changed: a wrong owner or a foreign sentinel is drift for the
// admin to look at, not something to overwrite.
import { posix } from 'node:path';
import { expectedFolders, type LayoutPolicy } from './policy';
import type { LayoutFs } from './port';
import { SENTINEL, type LayoutPillar } from './audit';

export interface InitAction {
  pillar: string;
  path: string;
  action: 'created-folder' | 'created-sentinel' | 'skipped';
  detail: string;
}

export async function initLayout(policy: LayoutPolicy, pillars: readonly LayoutPillar[], users: readonly string[], fs: LayoutFs): Promise<InitAction[]> {
  const actions: InitAction[] = [];
  const expected = expectedFolders(
    policy,
    pillars.map((p) => p.id),
    users,
  );
  for (const p of pillars) {
    if (!policy.pillars[p.id]) {
      actions.push({ pillar: p.id, path: p.path, action: 'skipped', detail: `the policy has no section for pillar ${p.id}` });
      continue;
    }
    const root = await fs.stat(p.path);
    if (!root || root.kind !== 'dir') {
      // Never create a pillar's root: a missing /space means an unmounted disk, and folders made
      // now would land on the system disk (the failure rule 1 of docs/architecture.md exists for).
      actions.push({ pillar: p.id, path: p.path, action: 'skipped', detail: `${p.path} does not exist; mount the pillar (or create the folder) first` });
      continue;
    }
    if (p.requireMount && !(await fs.isMountPoint(p.path))) {
      actions.push({ pillar: p.id, path: p.path, action: 'skipped', detail: `${p.path} is not a mount point; refusing to write into the disk underneath` });
      continue;
    }
    const rootExp = expected.find((e) => e.pillar === p.id && e.rel === '')!;
    // A folder whose policy names no group gets its owner's primary group.
    const ids = async (owner: string, group: string | null) => {
      const u = await fs.user(owner);
      if (u === null) throw new Error(`layout policy: user '${owner}' does not exist on this machine`);
      const gid = group ? await fs.gidOf(group) : u.gid;
      if (gid === null) throw new Error(`layout policy: group '${group}' does not exist on this machine`);
      return { uid: u.uid, gid };
    };
    const sentinel = posix.join(p.path, SENTINEL);
    if ((await fs.stat(sentinel)) === null) {
      const { uid, gid } = await ids(rootExp.owner, rootExp.group);
      await fs.writeNew(sentinel, `${p.id}\n`, uid, gid, 0o644);
      actions.push({ pillar: p.id, path: sentinel, action: 'created-sentinel', detail: p.id });
    }
    for (const e of expected.filter((x) => x.pillar === p.id && x.rel)) {
      const path = posix.join(p.path, e.rel);
      if ((await fs.stat(path)) !== null) continue;
      const { uid, gid } = await ids(e.owner, e.group);
      await fs.mkdir(path, uid, gid, e.mode);
      actions.push({ pillar: p.id, path, action: 'created-folder', detail: `${e.owner}${e.group ? `:${e.group}` : ''} ${e.mode.toString(8).padStart(4, '0')}: ${e.purpose}` });
    }
  }
  return actions;
}
