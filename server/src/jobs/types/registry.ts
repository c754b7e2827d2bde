// Every job type pillarsd runs, by its `type:` in pillarsd.yaml. The mapped type makes a type the
// schema declares without a module here (or the other way round) a compile error.
import type { JobType as JobTypeName } from '../../contract/api';
import type { Config, JobConfig } from '../../config/schema';
import { resourcesOf } from '../../domain/resources';
import type { Resource } from '../../domain/resources';
import type { JobType } from '../job-type';
import { resticBackup } from './restic-backup';
import { resticForget } from './restic-forget';
import { resticCheck } from './restic-check';
import { rcloneTransfer } from './rclone-transfer';

export const JOB_TYPES: { [T in JobConfig['type']]: JobType<Extract<JobConfig, { type: T }>> } = {
  'restic-backup': resticBackup,
  'restic-forget': resticForget,
  'restic-check': resticCheck,
  'rclone-sync': rcloneTransfer,
  'rclone-copy': rcloneTransfer,
};

/** The module of a job's type. */
export function jobTypeOf<J extends JobConfig>(job: J): JobType<J> {
  return JOB_TYPES[job.type] as unknown as JobType<J>;
}

/** What a run of the job reads and writes, for the queue's conflicts (rule 4). */
export function jobResources(c: Config, job: JobConfig): Resource[] {
  return resourcesOf(c, jobTypeOf(job).refs(job));
}

// The API's list of job types (contract/api.ts) and pillarsd.yaml's are the same list.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _sameJobTypes: Same<JobTypeName, JobConfig['type']> = true;
void _sameJobTypes;
