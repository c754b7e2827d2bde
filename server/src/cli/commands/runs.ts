// `pillarsd runs [--job JOB] [--limit N]`: run history, newest first.
import type { Command } from 'commander';
import { action, CliExit, formatRunLine, loadOrExit, printJson, withCommon } from './engine-shared';
import type { CommonOpts } from './engine-shared';
import { openRuntime } from '../../jobs/runtime';

export function registerRuns(program: Command): void {
  withCommon(program.command('runs').description('run history, newest first'))
    .option('--job <job>', 'only this job (restore:JOB for its restores)')
    .option('--limit <n>', 'how many (default 20)', '20')
    .action(
      action(async (opts: CommonOpts & { job?: string; limit: string }) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new CliExit(2, `--limit must be a whole number from 1 to 500, not "${opts.limit}"`);
        const loaded = loadOrExit(opts);
        // restores and recoveries are runs of `restore:<job>` and `recover:<pillar>`
        if (opts.job && !loaded.config.jobs[opts.job] && !/^(restore|recover):/.test(opts.job)) throw new CliExit(2, `unknown job "${opts.job}" (known: ${Object.keys(loaded.config.jobs).join(', ')})`);
        const rt = openRuntime(loaded);
        try {
          const page = rt.engine.listRuns({ job: opts.job, limit });
          if (opts.json) printJson(page);
          else if (page.runs.length === 0) process.stdout.write('no runs yet\n');
          else for (const r of page.runs) process.stdout.write(`${formatRunLine(r)}\n`);
          return 0;
        } finally {
          rt.close();
        }
      }),
    );
}
