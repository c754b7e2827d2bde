// Helpers the engine's CLI commands share: config loading with exit 2, JSON or text output.
import type { Command } from 'commander';
import { ConfigError, configPath, loadConfigFile } from '../../config/load';
import type { LoadedConfig } from '../../config/load';
import type { Run } from '../../contract/api';
import type { Runtime } from '../../jobs/runtime';
import { HotSetPauseStore } from '../../store/hotset-pauses';
import { hotSetsFromConfig } from '../../watch/hotset-wiring';
import type { HotSetWiring } from '../../watch/hotset-wiring';

export class CliExit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface CommonOpts {
  config?: string;
  json?: boolean;
}

export function withCommon(c: Command): Command {
  return c.option('--config <file>', 'pillarsd.yaml (default: $PILLARS_CONFIG, else /etc/pillars/pillarsd.yaml)').option('--json', 'machine-readable output');
}

export function loadOrExit(opts: CommonOpts): LoadedConfig {
  try {
    return loadConfigFile(configPath(opts.config));
  } catch (e) {
    if (e instanceof ConfigError) throw new CliExit(2, e.message);
    throw e;
  }
}

/** Runs a command body; maps errors to the exit codes of server/README.md and prints them (JSON with --json). */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const opts = (args.find((a) => a && typeof a === 'object' && !Array.isArray(a) && !('parent' in (a as object))) ?? {}) as CommonOpts;
    try {
      const code = await fn(...args);
      process.exitCode = code ?? 0;
    } catch (e) {
      const code = e instanceof CliExit ? e.code : 1;
      const msg = (e as Error).message;
      if (opts.json) process.stdout.write(`${JSON.stringify({ error: msg, exitCode: code })}\n`);
      process.stderr.write(`pillarsd: ${msg}\n`);
      process.exitCode = code;
    }
  };
}

export function printJson(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}

export function formatRunLine(r: Run): string {
  const when = r.finishedAt ?? r.startedAt ?? r.queuedAt;
  const dur = r.startedAt && r.finishedAt ? ` ${Math.round((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000)}s` : '';
  return `${r.id}  ${r.jobId.padEnd(18)} ${r.status.padEnd(11)} ${r.trigger.padEnd(9)} ${when}${dur}${r.error ? `  ${r.error}` : ''}`;
}

/**
 * The hot-sets for a process that runs backups (`serve`, `pillarsd run`): every backup of their
 * pillar pauses and resumes them the same way, logged in its run; pauses a run left behind are
 * resumed now if Syncthing answers (else warned about, and retried by `serve`).
 */
export async function attachHotSets(rt: Runtime, env: NodeJS.ProcessEnv, log: (m: string) => void): Promise<HotSetWiring | null> {
  const hs = hotSetsFromConfig(rt.engine.config, { journal: new HotSetPauseStore(rt.db), isRunLive: (id) => rt.engine.isRunLive(id), clock: rt.clock, exec: rt.exec, env });
  if (!hs) return null;
  if (hs.aroundRun) rt.engine.addAroundRun(hs.aroundRun);
  await hs.start(log).catch((e: unknown) => log(`hot-sets: ${e instanceof Error ? e.message : String(e)}`));
  return hs;
}
