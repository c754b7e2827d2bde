// The engine's command group (check, jobs, run, runs, demo, serve, snapshots/ls/find).
import type { Command } from 'commander';
import { registerCheck } from './check';
import { registerJobs } from './jobs';
import { registerRun } from './run';
import { registerRuns } from './runs';
import { registerDemo } from './demo';
import { registerServe } from './serve';
import { registerSnapshots } from './snapshots';

export function registerEngineCommands(program: Command): void {
  registerServe(program);
  registerDemo(program);
  registerCheck(program);
  registerJobs(program);
  registerRun(program);
  registerRuns(program);
  registerSnapshots(program);
}
