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
import { resticDrill } from './restic-drill';
import { restoreType } from './restic-restore';
import { rcloneRecover } from './rclone-recover';
import type { RunnableJob, TaskJob } from '../tasks';

export const JOB_TYPES: { [T in JobConfig['type']]: JobType<Extract<JobConfig, { type: T }>> } = {
  'restic-backup': resticBackup,
  'restic-forget': resticForget,
  'restic-check': resticCheck,
  'restic-drill': resticDrill,
  'rclone-sync': rcloneTransfer,
  'rclone-copy': rcloneTransfer,
};

/** The types of runs that are not configured jobs (tasks.ts): restores and recoveries. */
export const TASK_TYPES: { [T in TaskJob['type']]: JobType<Extract<TaskJob, { type: T }>> } = {
  'restic-restore': restoreType,
  'rclone-recover': rcloneRecover,
};

/** The module of a job's type. */
export function jobTypeOf<J extends RunnableJob>(job: J): JobType<J> {
  const t = job.type in TASK_TYPES ? TASK_TYPES[job.type as TaskJob['type']] : JOB_TYPES[job.type as JobConfig['type']];
  return t as unknown as JobType<J>;
}

/** What a run of the job reads and writes, for the queue's conflicts (rule 4). */
export function jobResources(c: Config, job: RunnableJob): Resource[] {
  return resourcesOf(c, jobTypeOf(job).refs(job));
}

// The API's list of job types (contract/api.ts) and pillarsd.yaml's are the same list.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _sameJobTypes: Same<JobTypeName, JobConfig['type']> = true;
void _sameJobTypes;
