// `pillarsd check`'s remotes (issue 22): a real, read-only call to every remote a job uses, through
// the same rclone and the same env-only definition the jobs use, at the path they use; for b2 remotes
// also the key's capabilities and the bucket's lifecycle rule from B2's own API.
import { posix } from 'node:path';
import { resolveLocation } from '../config/locations';
import type { Config } from '../config/schema';
import { conflicts } from '../domain/resources';
import { jobResources } from './types/registry';
import { b2FailureFinding, bucketFindings, keyFindings } from '../domain/b2-check';
import type { Finding } from '../domain/b2-check';
import type { Exec } from '../infra/exec';
import { B2_DEFAULT_ENDPOINT, B2Error, b2Authorize, b2ListBuckets } from '../infra/b2-api';
import * as rclone from '../tools/rclone';
import type { Toolchain } from './toolchain';
import { defineRemotes, withWrapped } from './types/rclone-remotes';

export interface CheckItem extends Finding {
  what: string;
}

/** The paths jobs use on each remote (the first one probes it; the bucket is its first segment). */
export function remotePaths(c: Config): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const j of Object.values(c.jobs)) {
    if (j.type !== 'rclone-sync' && j.type !== 'rclone-copy') continue;
    for (const ref of [j.source, j.destination]) {
      const name = ref.slice(0, ref.indexOf(':'));
      if (!(name in c.remotes)) continue;
      out.set(name, [...(out.get(name) ?? []), ref.slice(name.length + 1)]);
    }
  }
  return out;
}

/**
 * rclone jobs that read a restic repository another job writes: the backup waits while they run
 * (issue 22). Give the repository its own short mirror job and exclude it from the long one.
 */
export function repositoryHolds(c: Config): CheckItem[] {
  const items: CheckItem[] = [];
  const restic = Object.entries(c.jobs).filter(([, j]) => j.type === 'restic-backup');
  for (const [id, j] of Object.entries(c.jobs)) {
    if (j.type !== 'rclone-sync' && j.type !== 'rclone-copy') continue;
    for (const [bid, b] of restic) {
      if (!('repository' in b) || !conflicts(jobResources(c, j), jobResources(c, b))) continue;
      const src = resolveLocation(c, j.source);
      const repo = resolveLocation(c, b.repository);
      if (src.kind !== 'pillar' || repo.kind !== 'pillar') continue;
      const rel = posix.relative(src.path, repo.path);
      // the repository's own mirror job holds it on purpose (and only briefly)
      if (rel === '' || rel.startsWith('..')) continue;
      items.push({
        what: `job ${id}`,
        ok: true,
        warn: true,
        detail: `reads the restic repository ${b.repository} that ${bid} writes: ${bid} waits while ${id} runs. Mirror the repository with a job of its own and add "/${rel}/**" to ${id}'s exclude (docs/lifecycle.md)`,
      });
    }
  }
  return items;
}

export async function checkRemotes(c: Config, d: { exec: Exec; env: NodeJS.ProcessEnv; tools: Toolchain; secrets: { get(name: string): Promise<string> } }): Promise<CheckItem[]> {
  const items: CheckItem[] = [];
  const used = remotePaths(c);
  if (used.size === 0) return items;
  let bin: string;
  try {
    bin = (await d.tools.rclone()).bin;
  } catch (e) {
    return [{ what: 'remotes', ok: false, detail: `not probed: ${(e as Error).message}` }];
  }
  const obscure = async (v: string, where: string) => {
    const cmd = rclone.rcloneObscure(bin, d.env);
    const r = await d.exec({ cmd: cmd.cmd, args: cmd.args, env: cmd.env, stdin: v, timeoutMs: 15_000 });
    if (r.code !== 0) throw new Error(`rclone obscure failed for ${where}`);
    return r.stdout.trim();
  };
  for (const [name, paths] of used) {
    const what = `remote ${name}`;
    const type = c.remotes[name]!.type;
    let defs: rclone.RemoteDef[];
    try {
      defs = await defineRemotes(c, withWrapped(c, [name]), d.secrets, obscure);
    } catch (e) {
      items.push({ what, ok: false, detail: (e as Error).message });
      continue;
    }
    const target = `${name}:${paths[0] ?? ''}`;
    const probe = rclone.rcloneProbe(bin, rclone.rcloneEnv(defs, d.env), target);
    const r = await d.exec({ cmd: probe.cmd, args: probe.args, env: probe.env, timeoutMs: 120_000 });
    if (r.code === 0) items.push({ what, ok: true, detail: `${target} answers (read-only listing)` });
    else if (r.code === 3 && /directory not found/i.test(r.stderr)) items.push({ what, ok: true, detail: `${target} answers; the path does not exist yet (the first sync creates it)` });
    else {
      const why = rclone.explainProbeFailure(name, type, r.stderr);
      const last = r.stderr.trim().split('\n').pop() ?? '';
      items.push({ what, ok: false, detail: `${target}: ${why ?? rclone.rcloneFailureMessage('rclone lsjson', r.code, [last])}` });
    }
    if (type === 'b2') items.push(...(await checkB2(c, name, paths[0] ?? '', d.secrets)).map((f) => ({ what: `b2 ${name}`, ...f })));
  }
  return items;
}

async function checkB2(c: Config, name: string, path: string, secrets: { get(name: string): Promise<string> }): Promise<Finding[]> {
  const opts = c.remotes[name]!;
  const value = async (k: string) => {
    const raw = opts[k];
    if (raw === undefined) return null;
    return typeof raw === 'string' && raw in c.secrets ? secrets.get(raw) : String(raw);
  };
  const keyId = await value('account');
  const key = await value('key');
  if (!keyId || !key) return [{ ok: false, detail: `remotes.${name} has no account and key to ask B2 with` }];
  const bucket = path.replace(/^\/+/, '').split('/')[0] ?? '';
  const prefix = path.replace(/^\/+/, '').split('/').slice(1).join('/');
  const endpoint = (await value('endpoint')) ?? B2_DEFAULT_ENDPOINT;
  const hardDelete = /^(true|1|yes)$/i.test((await value('hard_delete')) ?? '');
  let auth;
  try {
    auth = await b2Authorize(endpoint, keyId, key);
  } catch (e) {
    return [e instanceof B2Error ? b2FailureFinding(name, e.status, e.code, e.message) : { ok: false, detail: (e as Error).message }];
  }
  const out = keyFindings({ remote: name, bucket, capabilities: auth.allowed.capabilities, bucketName: auth.allowed.bucketName, namePrefix: auth.allowed.namePrefix, hardDelete });
  try {
    const found = (await b2ListBuckets(auth, bucket)).find((b) => b.bucketName === bucket);
    if (!found) out.push({ ok: false, detail: `B2 has no bucket ${bucket} for this key` });
    else out.push(...bucketFindings({ bucket, bucketType: found.bucketType, rules: found.lifecycleRules, prefix: prefix ? `${prefix}/` : '', plannedDays: c.b2plan?.keepVersionsDays }));
  } catch (e) {
    if (e instanceof B2Error && e.status === 401) out.push({ ok: true, warn: true, detail: `the lifecycle rule of ${bucket} cannot be read with this key (it needs listBuckets): ${e.code}` });
    else out.push({ ok: false, detail: (e as Error).message });
  }
  return out;
}
