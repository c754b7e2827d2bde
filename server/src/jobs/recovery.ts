// Rule 5 at start-up: runs whose process died become `interrupted`, their children die, and their
// repository gets unlocked before its next use.
import type { Config } from '../config/schema';
import type { Clock } from '../ports/clock';
import { ensurePrivateDir, removeOrphanedPrivateFiles } from '../infra/fs';
import { endGroup, isAlive, pidsWithEnv, processName, processState, waitGone } from '../infra/process';
import type { EventStore } from '../store/events';
import { toWire } from '../store/runs';
import type { RunRecord, RunStore, StateStore } from '../store/runs';
import { LIVE } from './queue';
import { staleLockKey } from './stale-locks';
import { jobOfRun } from './tasks';

export interface RecoveryDeps {
  config: Config;
  runs: RunStore;
  state: StateStore;
  hub: EventStore;
  clock: Clock;
  runtimeDir: string;
  ownerAlive(r: RunRecord): boolean;
}

const OUR_TOOLS = /(^|\/)(restic|rclone)$/;

export async function recoverRuns(d: RecoveryDeps): Promise<RunRecord[]> {
  ensurePrivateDir(d.runtimeDir);
  // password files of a process that died mid-run (rule 6: no secret stays on disk)
  removeOrphanedPrivateFiles(d.runtimeDir, (pid) => pid === process.pid || isAlive(pid));
  const out: RunRecord[] = [];
  for (const r of d.runs.withStatus(LIVE)) {
    if (d.ownerAlive(r)) continue;
    const orphans = new Set<number>();
    /** dead orphans: nothing to signal, but restic's lock stays live until they are reaped */
    const dead = new Set<number>();
    if (r.childPid && isAlive(r.childPid)) {
      const name = processName(r.childPid) ?? '';
      // only what we start: a recycled pid of some other program is left alone
      if (OUR_TOOLS.test(name) || r.childPid === r.ownerPid) orphans.add(r.childPid);
      // an orphan that already died (restic dies of SIGPIPE writing to the killed pillarsd's
      // pipe, lock left behind) has no name any more; never signalled (the pid may be another
      // program's by now, and a zombie takes no signals), only waited for
      else if (processState(r.childPid) === 'Z') dead.add(r.childPid);
    }
    // a child spawned just before the kill may not have its pid recorded yet: its environment
    // names the run, and a live orphan keeps its restic lock fresh (unlock can't remove it)
    for (const pid of pidsWithEnv('PILLARS_RUN_ID', r.id)) {
      if (pid !== process.pid && OUR_TOOLS.test(processName(pid) ?? '')) orphans.add(pid);
    }
    const lingering: number[] = [];
    for (const pid of orphans) await endGroup(pid);
    for (const pid of [...orphans, ...dead]) {
      // restic's stale-lock test is kill(pid, 0): until the zombie is reaped its lock looks live
      if (!(await waitGone(pid, 15_000))) lingering.push(pid);
    }
    const job = jobOfRun(d.config, r);
    const lockKey = job && r.status === 'running' ? staleLockKey(d.config, job) : null;
    if (lockKey) d.state.set(lockKey, '1');
    const rec = d.runs.update(r.id, {
      status: 'interrupted',
      finishedAt: d.clock.now().toISOString(),
      error:
        (r.status === 'running' ? 'pillarsd stopped while this run was running' : 'pillarsd stopped before this run started') +
        (lingering.length ? `; its child ${lingering.join(', ')} would not leave the process table, so its lock may stay until it does` : ''),
      childPid: null,
    });
    d.hub.publish({ type: 'run.finished', run: toWire(rec) });
    out.push(rec);
  }
  return out;
}
