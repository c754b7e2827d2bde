// The admin pane's schedule editor, on the server: a new schedule is written into pillarsd.yaml
// (which stays the one source of truth, so `pillarsd jobs`, a restart and the owner's own copy of
// the file all agree), then the running scheduler takes it. Nothing is written unless the whole
// file still loads, and never over an edit made on disk since pillarsd read the file.
import type { JobInfo } from '../contract/api';
import { withJobSchedule } from '../config/edit';
import { ConfigError, formatProblem } from '../config/load';
import { fileMode, readText, realPath, writeFileAtomic } from '../infra/fs';
import { BadRequestError, ConflictError, NotFoundError } from '../ports/errors';
import type { ScheduleApi } from '../ports/services';
import type { Engine } from './engine';
import type { Scheduler } from './scheduler';

export interface ScheduleEditsDeps {
  /** pillarsd.yaml as given (--config); a symlink is followed, so the file it points at is rewritten */
  file: string;
  /** the text pillarsd loaded its configuration from */
  loadedText: string;
  engine: Engine;
  scheduler: Scheduler;
  log?: (msg: string) => void;
}

export function scheduleEdits(d: ScheduleEditsDeps): ScheduleApi {
  let known = d.loadedText;
  return {
    setSchedule(jobId: string, schedule: string | null, actor: string): JobInfo {
      const old = d.engine.config.jobs[jobId];
      if (!old) throw new NotFoundError(`no job "${jobId}"`);
      let target: string;
      let current: string;
      try {
        target = realPath(d.file);
        current = readText(target);
      } catch (e) {
        throw new ConflictError(`cannot read ${d.file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); nothing was changed`);
      }
      if (current !== known)
        throw new ConflictError(`${d.file} changed on disk since pillarsd loaded it; nothing was written. Restart pillarsd to load that edit, then change the schedule again (or set jobs.${jobId}.schedule in the file)`);
      let next: ReturnType<typeof withJobSchedule>;
      try {
        next = withJobSchedule(current, d.file, jobId, schedule);
      } catch (e) {
        if (e instanceof ConfigError) throw new BadRequestError(e.problems.map(formatProblem).join('; '));
        throw new ConflictError(`${(e as Error).message}; nothing was written`);
      }
      try {
        writeFileAtomic(target, next.text, fileMode(target));
      } catch (e) {
        throw new ConflictError(
          `pillarsd cannot write ${d.file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); set jobs.${jobId}.schedule to ${schedule === null ? 'nothing' : `"${schedule}"`} there and restart pillarsd`,
        );
      }
      known = next.text;
      const newSchedule = next.config.jobs[jobId]!.schedule;
      d.scheduler.reschedule(() => d.engine.updateJob(jobId, { ...old, schedule: newSchedule }, `job ${jobId} schedule ${newSchedule ?? 'removed'}`));
      d.log?.(`${actor} set the schedule of ${jobId} to ${newSchedule ?? 'none'} (was ${old.schedule ?? 'none'}) in ${d.file}`);
      return d.engine.getJob(jobId)!;
    },
  };
}
