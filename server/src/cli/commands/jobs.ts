// `pillarsd jobs`: every job with its schedule, next run, state and last run.
import type { Command } from 'commander';
import { action, loadOrExit, printJson, withCommon } from './engine-shared';
import type { CommonOpts } from './engine-shared';
import { openRuntime } from '../../jobs/runtime';

export function registerJobs(program: Command): void {
  withCommon(program.command('jobs').description('the configured jobs, their schedules and last runs')).action(
    action(async (opts: CommonOpts) => {
      const rt = openRuntime(loadOrExit(opts));
      try {
        const jobs = rt.engine.listJobs();
        if (opts.json) printJson({ jobs });
        else {
          for (const j of jobs) {
            const last = j.lastRun ? `${j.lastRun.status} ${j.lastRun.finishedAt ?? j.lastRun.queuedAt}` : 'never run';
            process.stdout.write(
              `${j.id.padEnd(18)} ${j.type.padEnd(14)} ${(j.schedule ?? '-').padEnd(14)} next ${j.nextRunAt ?? '-'}  ${j.state}${j.enabled ? '' : ' (disabled)'}${j.overdue ? ' OVERDUE' : ''}  last: ${last}\n`,
            );
          }
        }
        return 0;
      } finally {
        rt.close();
      }
    }),
  );
}
