// Per-user Time Machine folders. A per-user Time share is `<time>/%U`: a valid user whose folder
// does not exist gets NT_STATUS_BAD_NETWORK_NAME. So apply creates each missing folder (owned by
// the user and their primary group, mode 0700, as the layout policy's `time.perUser` says) before
// smbd reads the new config, and refuses, naming the user, when a folder exists but cannot be
// that user's (a file, a symlink, or owned by someone else). state() only reports.
import type { LayoutFs } from '../layout/port';
import type { SambaModel } from './model';

export type FolderHost = Pick<LayoutFs, 'stat' | 'mkdir' | 'user' | 'userName'>;

export const USER_FOLDER_MODE = 0o700;

export interface FolderPlan {
  /** Folders to create: path and user. */
  missing: Array<{ path: string; user: string }>;
  /** Folders that exist but cannot serve their user, each naming the user. */
  problems: string[];
}

export async function planTimeFolders(model: Pick<SambaModel, 'timeMachine' | 'users'>, host: FolderHost): Promise<FolderPlan> {
  const out: FolderPlan = { missing: [], problems: [] };
  const root = model.timeMachine?.perUserRoot;
  if (!root) return out;
  for (const [i, user] of model.users.entries()) {
    const path = `${root}/${user}`;
    const field = `samba.validUsers[${i}]`;
    const st = await host.stat(path);
    if (st === null) {
      out.missing.push({ path, user });
      continue;
    }
    if (st.kind !== 'dir') {
      out.problems.push(`${field}: ${user}'s Time Machine folder ${path} is a ${st.kind}, not a folder: move it away so pillarsd can create the folder`);
      continue;
    }
    const ids = await host.user(user);
    if (ids && st.uid !== ids.uid) {
      out.problems.push(`${field}: ${user}'s Time Machine folder ${path} is owned by ${await host.userName(st.uid)}: ${user} could not write a backup there (chown ${user} ${path})`);
    }
  }
  return out;
}

/** Creates the missing folders; returns one message per folder created. Throws naming the user on failure. */
export async function createTimeFolders(missing: FolderPlan['missing'], host: FolderHost): Promise<string[]> {
  const done: string[] = [];
  for (const { path, user } of missing) {
    const ids = await host.user(user);
    if (!ids) throw new Error(`cannot create ${user}'s Time Machine folder ${path}: user '${user}' does not exist`);
    try {
      await host.mkdir(path, ids.uid, ids.gid, USER_FOLDER_MODE);
    } catch (e) {
      throw new Error(`cannot create ${user}'s Time Machine folder ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
    done.push(`created ${user}'s Time Machine folder ${path} (owner ${user}, mode 0700)`);
  }
  return done;
}
