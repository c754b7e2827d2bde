// What `pillarsd check` says about a B2 bucket and key (issue 22), from B2's answers: whether the key
// can do what the jobs need, whether it can destroy old versions, and whether the bucket keeps
// hidden versions under a lifecycle rule (what makes a deletion at Space recoverable from B2).

export interface Finding {
  ok: boolean;
  /** ok, but worth the owner's attention */
  warn?: boolean;
  detail: string;
}

/** What a key must be allowed for pillarsd's jobs: list and read to compare, write to copy and hide. */
export const NEEDED_CAPABILITIES = ['listFiles', 'readFiles', 'writeFiles'] as const;

export interface KeyFacts {
  remote: string;
  bucket: string;
  capabilities: readonly string[];
  bucketName: string | null;
  namePrefix: string | null;
  /** the remote sets hard_delete: deletions remove files for good instead of hiding them */
  hardDelete: boolean;
}

export function keyFindings(k: KeyFacts): Finding[] {
  const out: Finding[] = [];
  const missing = NEEDED_CAPABILITIES.filter((c) => !k.capabilities.includes(c));
  if (k.bucketName !== null && k.bucketName !== k.bucket) out.push({ ok: false, detail: `the key of remotes.${k.remote} is limited to bucket ${k.bucketName}, not ${k.bucket}` });
  else if (missing.length) out.push({ ok: false, detail: `the key of remotes.${k.remote} lacks ${missing.join(', ')} (it has ${k.capabilities.join(', ') || 'none'}): the jobs need ${NEEDED_CAPABILITIES.join(', ')}` });
  else out.push({ ok: true, detail: `key capabilities: ${k.capabilities.join(', ')}${k.bucketName ? `; limited to bucket ${k.bucketName}` : ''}${k.namePrefix ? ` and names starting ${k.namePrefix}` : ''}` });
  if (k.capabilities.includes('deleteFiles')) {
    out.push({
      ok: true,
      warn: true,
      detail: `the key can delete file versions for good (deleteFiles): whoever holds it can destroy the old versions too. A key without deleteFiles still syncs (rclone hides deleted files), and old versions then go only by the lifecycle rule`,
    });
  }
  if (k.hardDelete) out.push({ ok: true, warn: true, detail: `remotes.${k.remote} sets hard_delete: a file deleted at the source is gone from B2 at once, with no old version to restore` });
  return out;
}

export interface BucketFacts {
  bucket: string;
  bucketType: string;
  rules: ReadonlyArray<{ fileNamePrefix: string; daysFromHidingToDeleting: number | null; daysFromUploadingToHiding: number | null }>;
  /** the prefix the jobs write under (a rule must cover it) */
  prefix: string;
  /** b2plan.keepVersionsDays, when configured */
  plannedDays: number | undefined;
}

export function bucketFindings(b: BucketFacts): Finding[] {
  const out: Finding[] = [];
  if (b.bucketType !== 'allPrivate') out.push({ ok: false, detail: `bucket ${b.bucket} is ${b.bucketType}: anyone can download from it; make it private` });
  const covering = b.rules.filter((r) => b.prefix.startsWith(r.fileNamePrefix));
  const rule = covering.sort((x, y) => y.fileNamePrefix.length - x.fileNamePrefix.length)[0];
  if (!rule || rule.daysFromHidingToDeleting === null) {
    out.push({
      ok: true,
      warn: true,
      detail: `bucket ${b.bucket} has no lifecycle rule that deletes hidden versions${b.prefix ? ` under ${b.prefix}` : ''}: B2 keeps (and bills) every old version for ever. Set one (e.g. daysFromHidingToDeleting 30)`,
    });
  } else {
    out.push({ ok: true, detail: `lifecycle: hidden versions${rule.fileNamePrefix ? ` under ${rule.fileNamePrefix}` : ''} are kept ${rule.daysFromHidingToDeleting} day(s), then deleted` });
    if (rule.daysFromUploadingToHiding !== null)
      out.push({ ok: false, detail: `bucket ${b.bucket} hides every file ${rule.daysFromUploadingToHiding} day(s) after its upload (daysFromUploadingToHiding): the offsite copy would empty itself` });
    if (b.plannedDays !== undefined && b.plannedDays !== rule.daysFromHidingToDeleting) {
      out.push({ ok: true, warn: true, detail: `b2plan.keepVersionsDays is ${b.plannedDays} but the bucket keeps hidden versions ${rule.daysFromHidingToDeleting} day(s): the cost estimate is off` });
    }
  }
  return out;
}

/** A failed B2 call in words that name what the owner configured. */
export function b2FailureFinding(remote: string, status: number, code: string, message: string): Finding {
  if (status === 401 && (code === 'unauthorized' || code === 'bad_auth_token' || code === 'expired_auth_token')) {
    return { ok: false, detail: `B2 refused the key of remotes.${remote} (account and key): ${code}` };
  }
  if (status === 0) return { ok: false, detail: `B2 cannot be reached for remotes.${remote}: ${message}` };
  return { ok: false, detail: `B2 for remotes.${remote}: ${message}` };
}
