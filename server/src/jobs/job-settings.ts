// Every setting of a job, edited from the admin pane on the server: retention, excludes, guards,
// the bandwidth timetable, hooks, the schedule, enable/disable, the job's notification choices.
// The change is written into pillarsd.yaml (the one source of truth, so `pillarsd jobs`, a restart
// and the owner's own copy of the file all agree; comments kept, config/edit.ts), then the running
// engine, scheduler and notifier take it: the next run uses it. Nothing is written unless the whole
// file still loads, and never over an edit made on disk since pillarsd read the file.
import type { JobInfo } from '../contract/api';
import { withConfigEdits, type ConfigEdit } from '../config/edit';
import { jobSettings, toConfigEdits } from '../config/job-settings';
import { ConfigError, formatProblem, parseConfig } from '../config/load';
import type { Config } from '../config/schema';
import type { ConfigWriter } from '../config/writer';
import { BadRequestError, NotFoundError } from '../ports/errors';
import type { JobSettingsApi, ScheduleApi } from '../ports/services';
import type { Engine } from './engine';
import type { Scheduler } from './scheduler';

export interface JobSettingsDeps {
  /** pillarsd.yaml's writer (shared with the other editors of the file) */
  writer: ConfigWriter;
  engine: Engine;
  scheduler: Scheduler;
  /** told of every new configuration (the notifier routes by the jobs' choices) */
  onConfig?: (c: Config) => void;
  log?: (msg: string) => void;
}

/** A 400 naming each field that was wrong, by its key path in pillarsd.yaml. */
function badSettings(e: ConfigError): BadRequestError {
  return new BadRequestError(
    e.problems.map(formatProblem).join('; '),
    e.problems.map((p) => ({ path: p.path, message: p.message })),
  );
}

export function jobSettingsService(d: JobSettingsDeps): JobSettingsApi & ScheduleApi {
  const apply = (jobId: string, edits: ConfigEdit[], what: string, actor: string): Config => {
    if (!d.engine.config.jobs[jobId]) throw new NotFoundError(`no job "${jobId}"`);
    const config = d.writer.apply((text) => withConfigEdits(text, d.writer.file, edits), `change ${what} of jobs.${jobId}`);
    const job = config.jobs[jobId]!;
    // a schedule, time zone or enabled that changed counts from now (Scheduler.reschedule)
    d.scheduler.reschedule(() => d.engine.updateJob(jobId, job, `job ${jobId}: ${what}`));
    // enabled written into pillarsd.yaml: an earlier enable/disable kept in the state database
    // (before the pane wrote it into the file) follows it
    if (edits.some((e) => e.path[2] === 'enabled') && job.enabled !== d.engine.getJob(jobId)!.enabled) d.engine.setEnabled(jobId, job.enabled, actor);
    d.onConfig?.(config);
    d.log?.(`${actor} changed ${what} of ${jobId} in ${d.writer.file}`);
    return config;
  };

  return {
    settings(jobId) {
      if (!d.engine.config.jobs[jobId]) throw new NotFoundError(`no job "${jobId}"`);
      const text = d.writer.text();
      return jobSettings(text, parseConfig(text, d.writer.file), jobId);
    },
    update(jobId, edits, actor) {
      if (!d.engine.config.jobs[jobId]) throw new NotFoundError(`no job "${jobId}"`);
      let paths: ConfigEdit[];
      try {
        paths = toConfigEdits(d.writer.file, jobId, edits);
      } catch (e) {
        throw e instanceof ConfigError ? badSettings(e) : e;
      }
      const config = apply(jobId, paths, paths.map((p) => p.path.slice(2).join('.')).join(', '), actor);
      return jobSettings(d.writer.text(), config, jobId);
    },
    setEnabled(jobId, enabled, actor): JobInfo {
      apply(jobId, [{ path: ['jobs', jobId, 'enabled'], value: enabled }], `enabled: ${enabled}`, actor);
      return d.engine.getJob(jobId)!;
    },
    setSchedule(jobId, schedule, actor): JobInfo {
      apply(jobId, [{ path: ['jobs', jobId, 'schedule'], value: schedule }], `the schedule (${schedule ?? 'none'})`, actor);
      return d.engine.getJob(jobId)!;
    },
  };
}
