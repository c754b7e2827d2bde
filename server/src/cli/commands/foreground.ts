// What `pillarsd run` and `pillarsd approve` share: a run executed in this process (recovery first,
// the hot-sets paused around a backup as under `serve`, SIGINT/SIGTERM/SIGHUP cancel it), waited for
// and reported, and the exit code of its final status.
import type { LoadedConfig } from '../../config/load';
import type { Run } from '../../contract/api';
import { exitCodeFor } from '../../domain/run-state';
import { formatBytes } from '../../domain/guards';
import { openRuntime } from '../../jobs/runtime';
import type { Runtime } from '../../jobs/runtime';
import type { RunRecord } from '../../store/runs';
import { toWire } from '../../store/runs';
import { attachHotSets, printJson } from './engine-shared';
import type { CommonOpts } from './engine-shared';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export async function foregroundRun(loaded: LoadedConfig, jobId: string, opts: CommonOpts, queue: (rt: Runtime) => RunRecord): Promise<number> {
  // the foreground run queues no dependents: nothing would be left to run them
  const rt = openRuntime(loaded, { dependents: false });
  const onSig = (sig: NodeJS.Signals) => {
    for (const r of rt.runs.list({ job: jobId, status: 'running', limit: 5 }).records) {
      if (r.ownerPid === process.pid) rt.engine.cancel(r.id, `signal ${sig}`);
    }
  };
  try {
    await rt.engine.recover();
    // a backup run here pauses the hot-sets as one under `serve` would
    await attachHotSets(rt, process.env, (m) => process.stderr.write(`pillarsd: ${m}\n`));
    // a closed terminal (SIGHUP) too: the run ends cancelled, never left `running`
    for (const sig of SIGNALS) process.once(sig, onSig);
    const queued = queue(rt);
    if (!opts.json) process.stderr.write(`run ${queued.id} of ${jobId} queued\n`);
    const run = toWire(await rt.engine.waitFor(queued.id));
    if (opts.json) printJson(run);
    else printRun(run);
    return exitCodeFor(run.status);
  } finally {
    for (const sig of SIGNALS) process.off(sig, onSig);
    await rt.engine.stop();
    rt.close();
  }
}

function printRun(run: Run): void {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(`${run.jobId}: ${run.status}${run.error ? ` — ${run.error}` : ''}`);
  const s = run.summary;
  if (s?.kind === 'restic-backup') {
    out(`snapshot ${s.snapshotId}: ${s.filesNew} new, ${s.filesChanged} changed files, ${formatBytes(s.bytesAdded)} added`);
    for (const u of s.unreadable ?? []) out(`not read: ${u.path}: ${u.reason}`);
  }
  if (s?.kind === 'rclone-sync' || s?.kind === 'rclone-copy') {
    out(`${s.filesTransferred} files (${formatBytes(s.bytesTransferred)}) transferred, ${s.filesDeleted} deleted, ${s.errors} errors`);
    if (s.plan?.deferredDeletions) out(`${s.plan.deferredDeletions} deletion(s) were not in the approved set and wait for the next run`);
    if (s.windowEnded) out(`the window ended: the next run goes on from here (${s.plan ? `${s.plan.toCopy - s.filesTransferred} file(s) still to copy` : ''})`);
  }
  if (s?.kind === 'restic-forget') out(`kept ${s.kept}, removed ${s.removed} snapshots${s.pruned ? ', pruned' : ''}`);
  if (run.status === 'blocked' && run.block?.needsApproval) out(`to see the whole set and approve exactly it: pillarsd approve ${run.id}`);
  if (run.status !== 'succeeded') out(`log: pillarsd runs --job ${run.jobId} (run ${run.id})`);
}
