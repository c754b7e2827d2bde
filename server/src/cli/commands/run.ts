// `pillarsd run JOB [--approve]`: runs a job now in the foreground, recorded in history.
// Exit 0 succeeded (with or without warnings), 1 failed/cancelled/interrupted, 2 unknown job or bad
// config, 3 blocked by a guard.
import type { Command } from 'commander';
import { action, attachHotSets, CliExit, loadOrExit, printJson, withCommon } from './engine-shared';
import type { CommonOpts } from './engine-shared';
import { openRuntime } from '../../jobs/runtime';
import { exitCodeFor } from '../../domain/run-state';
import { toWire } from '../../store/runs';
import { formatBytes } from '../../domain/guards';

export function registerRun(program: Command): void {
  withCommon(program.command('run <job>').description('run a job now in the foreground, recorded in history'))
    .option('--approve', 'approve the deletions a guard blocked (rule 2)')
    .action(
      action(async (jobId: string, opts: CommonOpts & { approve?: boolean }) => {
        const loaded = loadOrExit(opts);
        if (!loaded.config.jobs[jobId]) {
          throw new CliExit(2, `unknown job "${jobId}" in ${loaded.file} (known: ${Object.keys(loaded.config.jobs).join(', ') || 'none'})`);
        }
        // the foreground run queues no dependents: nothing would be left to run them
        const rt = openRuntime(loaded, { dependents: false });
        const stopSignals = () => {
          const onSig = (sig: NodeJS.Signals) => {
            for (const r of rt.runs.list({ job: jobId, status: 'running', limit: 5 }).records) {
              if (r.ownerPid === process.pid) rt.engine.cancel(r.id, `signal ${sig}`);
            }
          };
          // a closed terminal (SIGHUP) too: the run ends cancelled, never left `running`
          for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, onSig);
        };
        try {
          await rt.engine.recover();
          // a backup run here pauses the hot-sets as one under `serve` would
          await attachHotSets(rt, process.env, (m) => process.stderr.write(`pillarsd: ${m}\n`));
          stopSignals();
          const who = `cli:${process.env.SUDO_USER ?? process.env.USER ?? 'root'}`;
          const queued = opts.approve ? rt.engine.runApproved(jobId, who) : rt.engine.enqueue(jobId, 'manual')!;
          if (!opts.json) process.stderr.write(`run ${queued.id} of ${jobId} queued\n`);
          const done = await rt.engine.waitFor(queued.id);
          const run = toWire(done);
          if (opts.json) printJson(run);
          else {
            process.stdout.write(`${jobId}: ${run.status}${run.error ? ` — ${run.error}` : ''}\n`);
            const s = run.summary;
            if (s?.kind === 'restic-backup') {
              process.stdout.write(`snapshot ${s.snapshotId}: ${s.filesNew} new, ${s.filesChanged} changed files, ${formatBytes(s.bytesAdded)} added\n`);
              for (const u of s.unreadable ?? []) process.stdout.write(`not read: ${u.path}: ${u.reason}\n`);
            }
            if (s?.kind === 'rclone-sync' || s?.kind === 'rclone-copy') process.stdout.write(`${s.filesTransferred} files (${formatBytes(s.bytesTransferred)}) transferred, ${s.filesDeleted} deleted, ${s.errors} errors\n`);
            if (s?.kind === 'restic-forget') process.stdout.write(`kept ${s.kept}, removed ${s.removed} snapshots${s.pruned ? ', pruned' : ''}\n`);
            if (run.status === 'blocked' && run.block?.needsApproval) process.stdout.write(`to let it go on: pillarsd run ${jobId} --approve\n`);
            if (run.status !== 'succeeded') process.stdout.write(`log: pillarsd runs --job ${jobId} (run ${run.id})\n`);
          }
          return exitCodeFor(run.status);
        } finally {
          await rt.engine.stop();
          rt.close();
        }
      }),
    );
}
