// The admin pane's schedule editor, on the server: a new schedule is written into pillarsd.yaml
// (which stays the one source of truth, so `pillarsd jobs`, a restart and the owner's own copy of
// the file all agree), then the running scheduler takes it. Nothing is written unless the whole
// file still loads, and never over an edit made on disk since pillarsd read the file.
import type { JobInfo } from '../contract/api';
import { withJobSchedule } from '../config/edit';
import type { ConfigWriter } from '../config/writer';
import { NotFoundError } from '../ports/errors';
import type { ScheduleApi } from '../ports/services';
import type { Engine } from './engine';
import type { Scheduler } from './scheduler';

export interface ScheduleEditsDeps {
  /** pillarsd.yaml's writer (shared with the other editors of the file) */
  writer: ConfigWriter;
  engine: Engine;
  scheduler: Scheduler;
  log?: (msg: string) => void;
}

export function scheduleEdits(d: ScheduleEditsDeps): ScheduleApi {
  return {
    setSchedule(jobId: string, schedule: string | null, actor: string): JobInfo {
      const old = d.engine.config.jobs[jobId];
      if (!old) throw new NotFoundError(`no job "${jobId}"`);
      const config = d.writer.apply((text) => withJobSchedule(text, d.writer.file, jobId, schedule), `set jobs.${jobId}.schedule to ${schedule === null ? 'nothing' : `"${schedule}"`}`);
      const newSchedule = config.jobs[jobId]!.schedule;
      d.scheduler.reschedule(() => d.engine.updateJob(jobId, { ...old, schedule: newSchedule }, `job ${jobId} schedule ${newSchedule ?? 'removed'}`));
      d.log?.(`${actor} set the schedule of ${jobId} to ${newSchedule ?? 'none'} (was ${old.schedule ?? 'none'}) in ${d.writer.file}`);
      return d.engine.getJob(jobId)!;
    },
  };
}
