// Finds restic and rclone and their versions once per engine (a failed look-up is retried next time).
import type { Exec } from '../infra/exec';
import { ExecError } from '../infra/exec';
import { parseRcloneVersion, parseResticVersion, rcloneCaps, resticCaps, fmtVersion, atLeast, MIN_RESTIC, MIN_RCLONE } from '../tools/versions';
import type { RcloneCaps, ResticCaps } from '../tools/versions';

export class ToolMissingError extends Error {
  constructor(
    readonly tool: string,
    why: string,
  ) {
    super(why);
    this.name = 'ToolMissingError';
  }
}

export interface Toolchain {
  restic(): Promise<{ bin: string; caps: ResticCaps }>;
  rclone(): Promise<{ bin: string; caps: RcloneCaps }>;
}

async function versionOf(exec: Exec, bin: string, env: Record<string, string | undefined>): Promise<string> {
  try {
    const r = await exec({ cmd: bin, args: ['version'], env, timeoutMs: 15_000 });
    if (r.code !== 0) throw new ToolMissingError(bin, `${bin} version exited ${r.code}: ${r.stderr.trim().slice(0, 200)}`);
    return r.stdout;
  } catch (e) {
    if (e instanceof ExecError && e.code === 'ENOENT') throw new ToolMissingError(bin, `${bin} is not installed or not on PATH (PATH=${env.PATH ?? ''})`);
    throw e;
  }
}

export function toolchain(exec: Exec, env: Record<string, string | undefined>, bins: { restic?: string; rclone?: string } = {}): Toolchain {
  let restic: Promise<{ bin: string; caps: ResticCaps }> | null = null;
  let rclone: Promise<{ bin: string; caps: RcloneCaps }> | null = null;
  const forget = <T>(p: Promise<T>, clear: () => void) => p.catch((e: unknown) => (clear(), Promise.reject(e)));
  const pathEnv = { PATH: env.PATH, HOME: env.HOME };
  return {
    restic() {
      const bin = bins.restic ?? 'restic';
      restic ??= forget(
        versionOf(exec, bin, pathEnv).then((out) => {
          const v = parseResticVersion(out);
          if (!v) throw new ToolMissingError(bin, `cannot tell the version of ${bin} from "${out.trim().slice(0, 80)}"`);
          if (!atLeast(v, MIN_RESTIC.major, MIN_RESTIC.minor)) throw new ToolMissingError(bin, `restic ${fmtVersion(v)} is too old (need ${fmtVersion(MIN_RESTIC)} or newer)`);
          return { bin, caps: resticCaps(v) };
        }),
        () => (restic = null),
      );
      return restic;
    },
    rclone() {
      const bin = bins.rclone ?? 'rclone';
      rclone ??= forget(
        versionOf(exec, bin, pathEnv).then((out) => {
          const v = parseRcloneVersion(out);
          if (!v) throw new ToolMissingError(bin, `cannot tell the version of ${bin} from "${out.trim().slice(0, 80)}"`);
          if (!atLeast(v, MIN_RCLONE.major, MIN_RCLONE.minor)) throw new ToolMissingError(bin, `rclone ${fmtVersion(v)} is too old (need ${fmtVersion(MIN_RCLONE)} or newer)`);
          return { bin, caps: rcloneCaps(v) };
        }),
        () => (rclone = null),
      );
      return rclone;
    },
  };
}
