// Runs that are not a configured job (issue 16): a restore and a recovery are asked for once, with
// their own parameters, but run like every job — queued behind the locations they touch (rule 4),
// guarded before anything runs (rule 1), with progress, log, cancel and a place in history. The run
// keeps its task; the engine builds the job it runs from it and pillarsd.yaml. Their job ids
// (`restore:<job>`, `recover:<pillar>`) cannot clash with a configured job's, which has no colon.
import type { RecoverTask, RestoreTask, RunTask } from '../contract/api';
import type { Config, JobConfig } from '../config/schema';
import { NotFoundError } from '../ports/errors';

type Common = Pick<JobConfig, 'pre' | 'post' | 'after' | 'afterWarnings' | 'retries' | 'timeoutMinutes' | 'enabled' | 'catchUp' | 'schedule' | 'timezone' | 'description'>;

/** No hooks, no retries, no schedule: the job's own hooks are for its own work, not for a restore of it. */
const COMMON: Common = { pre: [], post: [], after: [], afterWarnings: 'run', retries: { count: 0, backoffSeconds: 0 }, enabled: true, catchUp: false };

export interface RestoreJob extends Common {
  type: 'restic-restore';
  repository: string;
  password: string;
  task: RestoreTask;
}
export interface RecoverJob extends Common {
  type: 'rclone-recover';
  task: RecoverTask;
}
export type TaskJob = RestoreJob | RecoverJob;
/** What the engine runs: a configured job or a task's job. */
export type RunnableJob = JobConfig | TaskJob;

export const isTaskJob = (j: RunnableJob): j is TaskJob => j.type === 'restic-restore' || j.type === 'rclone-recover';

export function taskJobId(task: RunTask): string {
  return task.kind === 'restore' ? `restore:${task.job}` : `recover:${task.pillar}`;
}

/** The restic job a restore reads from: any job of pillarsd.yaml with a repository. */
export function repositoryJob(c: Config, jobId: string): Extract<JobConfig, { repository: string; password: string }> {
  const j = c.jobs[jobId];
  if (!j) throw new NotFoundError(`no job "${jobId}" (known: ${Object.keys(c.jobs).join(', ') || 'none'})`);
  if (!('repository' in j)) throw new NotFoundError(`job "${jobId}" is a ${j.type} job: it has no restic repository`);
  return j;
}

export function taskJob(c: Config, task: RunTask): TaskJob {
  if (task.kind === 'restore') {
    const j = repositoryJob(c, task.job);
    return { ...COMMON, type: 'restic-restore', repository: j.repository, password: j.password, task };
  }
  return { ...COMMON, type: 'rclone-recover', task };
}

/** The job a run runs: its task's, or its configured job (undefined when pillarsd.yaml lost it). */
export function jobOfRun(c: Config, r: { jobId: string; task?: RunTask | null }): RunnableJob | undefined {
  if (r.task) {
    try {
      return taskJob(c, r.task);
    } catch {
      return undefined;
    }
  }
  return c.jobs[r.jobId];
}
