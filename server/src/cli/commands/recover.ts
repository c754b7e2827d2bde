// `pillarsd recover PILLAR --from REMOTE` (issue 16): bring a pillar back from the offsite remote
// into an empty or new disk, in the foreground, as a run in history (`recover:<pillar>`). It shows
// what the remote holds and the plan's digest first; --plan stops there. It starts only the plan the
// owner confirmed, as approvals do: asked on stdin after the plan is shown, or named by --digest
// (what --plan printed), and the plan listed again must still have that digest. Killed or
// cancelled, the command goes on where it stopped. Exit 0 recovered and verified, 1 the copy or the
// verification failed, 2 bad input, not confirmed, a plan that changed, or a pillar the recovery may
// not write (not empty, no sentinel), 3 a guard refused.
import type { Command } from 'commander';
import type { RecoverPlan } from '../../contract/api';
import { exitCodeFor } from '../../domain/run-state';
import { formatBytes } from '../../domain/guards';
import { ConflictError } from '../../ports/errors';
import { toWire } from '../../store/runs';
import { action, CliExit, printJson, withCommon } from './engine-shared';
import type { CommonOpts } from './engine-shared';
import { withRuntime } from './snapshots';
import { ask } from './approve';
import { startRefusal } from '../../jobs/recover-service';

function printPlan(plan: RecoverPlan): void {
  const err = (s: string) => process.stderr.write(`${s}\n`);
  const st = plan.pillarState;
  err(`pillar ${plan.task.pillar} at ${st.path}: ${st.empty ? 'empty' : 'holds data'}, ${st.mounted ? 'mounted' : 'not a mount point'}, sentinel ${st.sentinel === null ? 'missing' : JSON.stringify(st.sentinel)}`);
  if (plan.resumes) err(`a recovery from ${plan.resumes.remote} started ${plan.resumes.startedAt} is not finished: this one goes on with it`);
  for (const [i, p] of plan.task.pairs.entries()) {
    const h = plan.remoteHolds[i]!;
    err(`  ${p.from} (${h.files} files, ${formatBytes(h.bytes)}) → ${p.to}${p.repositories.length ? `  [restic: ${p.repositories.join(', ')}]` : ''}`);
  }
  for (const n of plan.notOnRemote) err(`  ${n.from}: not on the remote, job ${n.job} never finished a copy there — nothing of it comes back`);
  if (plan.refusal) err(`refused: ${plan.refusal}`);
  err(`plan digest ${plan.digest}`);
}

export function registerRecover(program: Command): void {
  withCommon(program.command('recover <pillar>').description('bring a pillar back from the offsite remote into an empty or new disk (rclone copy, never deleting), then verify it'))
    .requiredOption('--from <remote>', 'the remote its offsite jobs copy to (as remotes: names it)')
    .option('--bwlimit <rate>', 'rclone --bwlimit for the copy, e.g. 8M')
    .option('--write-sentinel', "write the pillar's .pillar sentinel first (a new, empty disk has none)")
    .option('--plan', "show what the remote holds, whether the pillar may take it and the plan's digest, and stop")
    .option('--digest <sha256>', 'start without asking, only if the plan listed again is the one --plan showed with this digest')
    .action(
      action(async (pillar: string, opts: CommonOpts & { from: string; bwlimit?: string; writeSentinel?: boolean; plan?: boolean; digest?: string }) => {
        if (opts.bwlimit !== undefined && !/^[\w.:, -]{1,200}$/.test(opts.bwlimit)) throw new CliExit(2, `--bwlimit "${opts.bwlimit}" is not a rate rclone reads (e.g. 8M, 512k, "08:00,4M 23:00,off")`);
        if (opts.digest !== undefined && !/^[0-9a-f]{64}$/.test(opts.digest))
          throw new CliExit(2, `--digest "${opts.digest}" is not a plan's digest (64 hex digits, as pillarsd recover ${pillar} --from ${opts.from} --plan prints it)`);
        if (opts.json && !opts.plan && opts.digest === undefined)
          throw new CliExit(2, `--json starts a recovery only with --digest: the digest of the plan pillarsd recover ${pillar} --from ${opts.from} --plan --json printed`);
        return withRuntime(
          opts,
          async (rt) => {
            if (opts.plan) {
              const plan = await rt.recovery.plan(pillar, opts.from, { bwlimit: opts.bwlimit });
              if (opts.json) printJson(plan);
              else {
                printPlan(plan);
                if (!plan.refusal)
                  process.stderr.write(`to start exactly this plan: pillarsd recover ${pillar} --from ${opts.from} --digest ${plan.digest}${plan.pillarState.sentinel === null ? ' --write-sentinel' : ''}\n`);
              }
              return plan.refusal ? 2 : 0;
            }
            await rt.engine.recover();
            let digest = opts.digest;
            if (digest === undefined) {
              // asked as an approval is: the plan shown here is the one confirmed, and start lists it again
              const shown = await rt.recovery.plan(pillar, opts.from, { bwlimit: opts.bwlimit });
              printPlan(shown);
              if (shown.refusal) return 2;
              const refused = startRefusal(shown, opts);
              if (refused) throw new CliExit(2, refused.message);
              const answer = await ask(`\nStart this recovery of ${pillar} from ${opts.from}? [y/N] `);
              if (!/^y(es)?$/i.test(answer)) {
                process.stderr.write(`not started${answer ? ` ("${answer}" is not yes)` : ''}: nothing was written\n`);
                return 2;
              }
              digest = shown.digest;
            }
            let started;
            try {
              started = await rt.recovery.start({ pillar, from: opts.from, bwlimit: opts.bwlimit, writeSentinel: opts.writeSentinel, digest });
            } catch (e) {
              // the pillar may not take it (not empty, another remote's recovery): bad input, not a failed copy
              if (e instanceof ConflictError && !/already (queued|running)/.test(e.message)) throw new CliExit(2, e.message);
              throw e;
            }
            const { run, plan } = started;
            const stop = (sig: NodeJS.Signals) => rt.engine.cancel(run.id, `signal ${sig}`);
            process.once('SIGINT', stop);
            process.once('SIGTERM', stop);
            let shownAt = 0;
            const unsubscribe = rt.hub.subscribe((e) => {
              if (opts.json || e.event.type !== 'run.progress' || e.event.runId !== run.id) return;
              const now = Date.now();
              if (now - shownAt < 5000) return;
              shownAt = now;
              const p = e.event.progress;
              process.stderr.write(
                `  ${p.percent === null ? '?' : p.percent.toFixed(1)}%  ${formatBytes(p.bytesDone)} of ${p.bytesTotal === null ? '?' : formatBytes(p.bytesTotal)}${p.rate ? `, ${formatBytes(p.rate)}/s` : ''}${p.etaSeconds !== null ? `, about ${Math.ceil(p.etaSeconds / 60)} min left` : ''}\n`,
              );
            });
            if (!opts.json) {
              if (opts.digest !== undefined) printPlan(plan);
              process.stderr.write(`recovery run ${run.id} queued\n`);
            }
            try {
              const done = toWire(await rt.engine.waitFor(run.id));
              if (opts.json) printJson(done);
              else {
                process.stdout.write(`recover ${pillar}: ${done.status}${done.error ? ` — ${done.error}` : ''}\n`);
                const s = done.summary;
                if (s?.kind === 'recover') {
                  for (const p of s.pairs)
                    process.stdout.write(
                      `${p.from} → ${p.to}: ${p.transferredFiles} files (${formatBytes(p.transferredBytes)}) copied now; here ${p.localFiles ?? '?'} files, ${p.localBytes === null ? '?' : formatBytes(p.localBytes)}; remote ${p.remoteFiles} files, ${formatBytes(p.remoteBytes)}\n`,
                    );
                  for (const r of s.repositories) process.stdout.write(`restic check of ${r.repository}: ${r.checkOk ? 'ok' : 'FAILED'}\n`);
                  if (done.status === 'succeeded' && s.repositories.length) process.stdout.write(`next: pillarsd snapshots JOB, then pillarsd restore JOB latest PATH --to original --existing skip\n`);
                }
                if (done.status !== 'succeeded') process.stdout.write(`log: pillarsd runs --job recover:${pillar} (run ${done.id}); run the same command again to go on\n`);
              }
              return exitCodeFor(done.status);
            } finally {
              unsubscribe();
              process.off('SIGINT', stop);
              process.off('SIGTERM', stop);
            }
          },
          { dependents: false },
        );
      }),
    );
}
