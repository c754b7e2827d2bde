// What every rclone job type shares: remotes defined through the environment only (secrets never in
// argv or a config file: rule 6, passwords obscured through stdin), the `rclone` form of a
// location, and the last error lines of a run for its message.
import type { Location } from '../../config/locations';
import type { Config } from '../../config/schema';
import * as rclone from '../../tools/rclone';
import type { RemoteDef } from '../../tools/rclone';
import { fail } from '../job-type';
import type { RunContext } from '../job-type';
import { runTool } from '../tool-child';

/** The remotes and those they wrap (a crypt remote's `remote: box:path` needs `box` defined too). */
export function withWrapped(config: Config, names: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (n: string) => {
    if (out.includes(n) || !(n in config.remotes)) return;
    out.push(n);
    const inner = config.remotes[n]!.remote;
    if (typeof inner === 'string' && inner.includes(':')) visit(inner.slice(0, inner.indexOf(':')));
  };
  names.forEach(visit);
  return out;
}

/**
 * The remotes by name, for rclone's environment: secret names resolved, password options obscured
 * (`obscure` gets the value and the `remotes.NAME.OPTION` it belongs to, for its error).
 */
export async function defineRemotes(config: Config, names: readonly string[], secrets: { get(name: string): Promise<string> }, obscure: (value: string, where: string) => Promise<string>): Promise<RemoteDef[]> {
  const out: RemoteDef[] = [];
  for (const name of names) {
    const { type, ...opts } = config.remotes[name]!;
    const options: Record<string, string> = {};
    for (const [k, raw] of Object.entries(opts)) {
      let v = typeof raw === 'string' && raw in config.secrets ? await secrets.get(raw) : String(raw);
      if (rclone.OBSCURED_OPTIONS.has(k)) v = await obscure(v, `remotes.${name}.${k}`);
      options[k] = v;
    }
    out.push({ name, type, options });
  }
  return out;
}

export function remoteDefs(ctx: RunContext, bin: string, names: string[]): Promise<RemoteDef[]> {
  return defineRemotes(ctx.config, names, ctx.secrets, async (v, where) => {
    const r = await runTool(ctx, rclone.rcloneObscure(bin, ctx.env), { stdin: v, onStdout: () => {} });
    if (r.code !== 0) fail(`rclone obscure failed for ${where}`);
    return r.stdout.trim();
  });
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
