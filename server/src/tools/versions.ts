// Tool version detection: Debian 12 ships restic 0.14 and rclone 1.60; newer restic adds exit
// codes 10–12 and --retry-lock, which we use only where present.
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
}

function parseSemVer(s: string): SemVer | null {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(s);
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) } : null;
}

export function atLeast(v: SemVer, major: number, minor: number, patch = 0): boolean {
  if (v.major !== major) return v.major > major;
  if (v.minor !== minor) return v.minor > minor;
  return v.patch >= patch;
}

export const fmtVersion = (v: SemVer) => `${v.major}.${v.minor}.${v.patch}`;

/** `restic version` → "restic 0.14.0 compiled with go1.19.8 on linux/amd64". */
export function parseResticVersion(out: string): SemVer | null {
  const m = /^restic\s+v?(\d+\.\d+(?:\.\d+)?)/m.exec(out);
  return m ? parseSemVer(m[1]!) : null;
}

/** `rclone version` → "rclone v1.60.1-DEV" on the first line. */
export function parseRcloneVersion(out: string): SemVer | null {
  const m = /^rclone\s+v?(\d+\.\d+(?:\.\d+)?)/m.exec(out);
  return m ? parseSemVer(m[1]!) : null;
}

export interface ResticCaps {
  version: SemVer;
  /** 0.17: exit codes 10 (no repository), 11 (locked), 12 (wrong password). */
  exitCodes: boolean;
  /** 0.16: --retry-lock DURATION. */
  retryLock: boolean;
  /** 0.15: backup --read-concurrency N. */
  readConcurrency: boolean;
}

export function resticCaps(v: SemVer): ResticCaps {
  return { version: v, exitCodes: atLeast(v, 0, 17), retryLock: atLeast(v, 0, 16), readConcurrency: atLeast(v, 0, 15) };
}

/**
 * What the installed rclone supports beyond the oldest release pillarsd runs with (1.60, Debian
 * 12's). A flag newer than that is passed only when the version has it: rclone refuses an unknown
 * flag with a usage error (exit 2) before it does anything.
 */
export interface RcloneCaps {
  version: SemVer;
  /**
   * 1.64 (multi-thread uploads through OpenChunkWriter): `--b2-upload-concurrency N`. Before it,
   * a B2 large-file upload buffers up to `--transfers` chunks of `--b2-chunk-size` (96 MiB).
   */
  b2UploadConcurrency: boolean;
}

export function rcloneCaps(v: SemVer): RcloneCaps {
  return { version: v, b2UploadConcurrency: atLeast(v, 1, 64) };
}

export const MIN_RESTIC: SemVer = { major: 0, minor: 14, patch: 0 };
export const MIN_RCLONE: SemVer = { major: 1, minor: 60, patch: 0 };
