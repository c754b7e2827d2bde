// `pillarsd run JOB`: runs a job now in the foreground, recorded in history.
// Exit 0 succeeded (with or without warnings), 1 failed/cancelled/interrupted, 2 unknown job, bad
// config or bad usage (`--approve`: approvals name a run, `pillarsd approve RUN`), 3 blocked by a guard.
import type { Command } from 'commander';
import { action, CliExit, loadOrExit, withCommon } from './engine-shared';
import type { CommonOpts } from './engine-shared';
import { foregroundRun } from './foreground';
import { openRuntime } from '../../jobs/runtime';

export function registerRun(program: Command): void {
  withCommon(program.command('run <job>').description('run a job now in the foreground, recorded in history'))
    // kept so that the old habit gets an answer instead of "unknown option": approvals name a run
    .option('--approve', 'refused: approvals name the blocked run and its set (pillarsd approve RUN)')
    .action(
      action(async (jobId: string, opts: CommonOpts & { approve?: boolean }) => {
        const loaded = loadOrExit(opts);
        if (!loaded.config.jobs[jobId]) {
          throw new CliExit(2, `unknown job "${jobId}" in ${loaded.file} (known: ${Object.keys(loaded.config.jobs).join(', ') || 'none'})`);
        }
        if (opts.approve) {
          const rt = openRuntime(loaded);
          let blocked;
          try {
            blocked = rt.engine.blockedForApproval(jobId);
          } finally {
            rt.close();
          }
          // no approval ahead of time: nobody approves deletions they were not shown (issue 14)
          throw new CliExit(
            2,
            blocked
              ? `--approve does not approve a job: approvals name one blocked run and the set it listed. Run ${blocked.id} of ${jobId} waits for approval: pillarsd approve ${blocked.id}`
              : `--approve does not approve ahead of time: no run of ${jobId} is waiting for approval. pillarsd run ${jobId} lists what it would change and blocks if a guard says so; then pillarsd approve RUN shows that set and approves exactly it`,
          );
        }
        return foregroundRun(loaded, jobId, opts, (rt) => rt.engine.enqueue(jobId, 'manual')!);
      }),
    );
}
