// The engine's command group (check, jobs, run, approve, runs, demo, serve, snapshots/ls/find/restore/dump, recover).
import type { Command } from 'commander';
import { registerCheck } from './check';
import { registerJobs } from './jobs';
import { registerRun } from './run';
import { registerApprove } from './approve';
import { registerRuns } from './runs';
import { registerDemo } from './demo';
import { registerServe } from './serve';
import { registerSnapshots } from './snapshots';
import { registerRecover } from './recover';

export function registerEngineCommands(program: Command): void {
  registerServe(program);
  registerDemo(program);
  registerCheck(program);
  registerJobs(program);
  registerRun(program);
  registerApprove(program);
  registerRuns(program);
  registerSnapshots(program);
  registerRecover(program);
}
