// What every rclone job type shares: remotes defined through the environment only (secrets never in
// argv or a config file: rule 6, passwords obscured through stdin), the `rclone` form of a
// location, and the last error lines of a run for its message.
import type { Location } from '../../config/locations';
import * as rclone from '../../tools/rclone';
import type { RemoteDef } from '../../tools/rclone';
import { fail } from '../job-type';
import type { RunContext } from '../job-type';
import { runTool } from '../tool-child';

export async function remoteDefs(ctx: RunContext, bin: string, names: string[]): Promise<RemoteDef[]> {
  const out: RemoteDef[] = [];
  for (const name of names) {
    const { type, ...opts } = ctx.config.remotes[name]!;
    const options: Record<string, string> = {};
    for (const [k, raw] of Object.entries(opts)) {
      let v = typeof raw === 'string' && raw in ctx.config.secrets ? await ctx.secrets.get(raw) : String(raw);
      if (rclone.OBSCURED_OPTIONS.has(k)) {
        const r = await runTool(ctx, rclone.rcloneObscure(bin, ctx.env), { stdin: v, onStdout: () => {} });
        if (r.code !== 0) fail(`rclone obscure failed for remotes.${name}.${k}`);
        v = r.stdout.trim();
      }
      options[k] = v;
    }
    out.push({ name, type, options });
  }
  return out;
}

export function target(loc: Location): string {
  return loc.kind === 'pillar' ? loc.path : `${loc.remote}:${loc.path}`;
}

/** the last few error lines of an rclone run, for the run's error message */
export interface RcloneErrors {
  /** one stderr line with its parse (parseRcloneLine), which every caller has already */
  keep(line: string, parsed: rclone.RcloneLine | null): void;
  readonly last: string[];
}

export function rcloneErrors(): RcloneErrors {
  const last: string[] = [];
  return {
    last,
    keep(l, p) {
      if (p?.kind === 'log' && p.level === 'error') last.push(p.object ? `${p.object}: ${p.msg}` : p.msg);
      else if (!p && l.trim()) last.push(l.trim());
      if (last.length > 5) last.shift();
    },
  };
}
