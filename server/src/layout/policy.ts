// The layout policy file: which folders each pillar holds, their purpose and lifecycle, and the
// owner and mode `layout init` sets and `layout audit` expects. Parsed with zod so a typo in the
// policy is an error naming the key, not a folder silently left unchecked.
import { parse } from 'yaml';
import { z } from 'zod';

const mode = z.string().regex(/^[0-7]{3,4}$/, 'must be an octal mode such as "2775"');
const name = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$|^\{user\}$/, 'must be a user or group name, or "{user}"');
const backup = z.enum(['restic-nightly', 'restic-repository', 'time-machine', 'syncthing+restic', 'none']);

const folder = z.strictObject({
  purpose: z.string().min(1),
  backup,
  retention: z.string().min(1),
  offsite: z.boolean(),
  owner: name.optional(),
  group: name.optional(),
  mode: mode.optional(),
});

const pillar = z.strictObject({
  owner: name.optional(),
  group: name.optional(),
  mode: mode.optional(),
  folders: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'folder names are lower-case letters, digits, . _ -'), folder).default({}),
  perUser: folder.optional(),
});

const policySchema = z.strictObject({
  version: z.literal(1),
  defaults: z.strictObject({ owner: name, group: name, mode }),
  ignore: z.array(z.string()).default([]),
  pillars: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), pillar),
});

export type LayoutPolicy = z.infer<typeof policySchema>;
export type FolderPolicy = z.infer<typeof folder>;

export class PolicyError extends Error {
  readonly exitCode = 2;
}

export function parsePolicy(text: string, file: string): LayoutPolicy {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new PolicyError(`${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = policySchema.safeParse(raw);
  if (!r.success) {
    throw new PolicyError(r.error.issues.map((i) => `${file}: ${i.path.join('.') || '(top level)'}: ${i.message}`).join('\n'));
  }
  return r.data;
}

/** What one folder should look like. */
export interface ExpectedFolder {
  pillar: string;
  /** Relative to the pillar root; '' is the root itself. */
  rel: string;
  owner: string;
  group: string | null;
  mode: number;
  purpose: string;
}

/** Expands the policy for the pillars present in config, with Time's per-user folders. */
export function expectedFolders(policy: LayoutPolicy, pillarIds: readonly string[], users: readonly string[]): ExpectedFolder[] {
  const out: ExpectedFolder[] = [];
  for (const id of pillarIds) {
    const p = policy.pillars[id];
    if (!p) continue;
    const d = policy.defaults;
    out.push({ pillar: id, rel: '', owner: p.owner ?? d.owner, group: p.group ?? d.group, mode: parseInt(p.mode ?? d.mode, 8), purpose: `the ${id} pillar` });
    for (const [rel, f] of Object.entries(p.folders)) {
      out.push({ pillar: id, rel, owner: f.owner ?? d.owner, group: f.group ?? d.group, mode: parseInt(f.mode ?? d.mode, 8), purpose: f.purpose });
    }
    if (p.perUser) {
      for (const u of users) {
        const sub = (v: string) => v.replaceAll('{user}', u);
        out.push({
          pillar: id,
          rel: u,
          owner: sub(p.perUser.owner ?? d.owner),
          // A per-user folder's group is the user's own business (their primary group).
          group: p.perUser.group ? sub(p.perUser.group) : null,
          mode: parseInt(p.perUser.mode ?? d.mode, 8),
          purpose: p.perUser.purpose.replaceAll('{user}', u),
        });
      }
    }
  }
  return out;
}

/** Shell-style `*` patterns from the policy's ignore list. */
export function isIgnored(policy: LayoutPolicy, entry: string): boolean {
  return policy.ignore.some((g) => new RegExp(`^${g.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(entry));
}
