// The seams between the client core and the operating system. Adapters (mac/, win/, linux/)
// receive every effect through these interfaces, so each command they issue is testable here.
//
// Changes since the skeleton (all additive, existing signatures unchanged):
// - FsPort.lstat may also report `uid` (optional field), for private-folder ownership checks.
// - Platform.unmount takes an optional `{ force }` (Linux: abort a hung FUSE connection first).
// - TcpProbe: the host's TCP connect probe, used by the core (never by adapters).
// - ProbeResult gained the variant { kind: 'auth' } (adapters may return it; none has to).

export interface ExecRequest {
  cmd: string;
  args: readonly string[];
  /** Extra environment for the child (merged over a minimal base by the host). Secrets go here or on stdin. */
  env?: Record<string, string>;
  stdin?: string;
  cwd?: string;
  /** After this the child is killed and the promise resolves with timedOut: true — it is never awaited past it. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export type Exec = (req: ExecRequest) => Promise<ExecResult>;

/** The file operations adapters may perform on local (never network) paths. */
export interface FsPort {
  lstat(path: string): Promise<{ isDirectory: boolean; isSymbolicLink: boolean; mode: number; uid?: number } | null>;
  readlink(path: string): Promise<string | null>;
  symlink(target: string, path: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string, mode?: number): Promise<void>;
  rmdir(path: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  readdir(path: string): Promise<string[]>;
  readFile(path: string): Promise<string | null>;
  writeFile(path: string, data: string, mode?: number): Promise<void>;
}

export type OsName = 'darwin' | 'win32' | 'linux';

export type PillarState = 'unmounted' | 'mounting' | 'mounted' | 'stale' | 'failed-auth' | 'failed-network' | 'away';

export interface PillarSpec {
  id: string; // flux | space | time
  share: string; // the SMB share name on the server
  label: string; // Flux
  drive?: string; // Windows: X:
}

export interface SmbServer {
  host: string;
  username: string;
  domain?: string;
}

export type MountOutcome =
  | { ok: true; path: string }
  | { ok: false; kind: 'auth' | 'network' | 'busy' | 'error'; reason: string };

export interface MountedShare {
  host: string;
  share: string;
  path: string; // mount point or drive
  healthy: boolean | null; // null when the platform's table does not say
}

export type ProbeResult =
  | { kind: 'ok'; freeBytes: number | null; totalBytes: number | null }
  | { kind: 'stale'; reason: string }
  | { kind: 'missing'; reason: string }
  /** mounted, but the server now rejects the login (password rotated under a live mount) */
  | { kind: 'auth'; reason: string };

export interface TimeMachineInfo {
  destination: string | null;
  latestBackupAt: string | null;
}

export interface Platform {
  readonly os: OsName;
  /** Where the user finds the pillar: ~/.mkt/flux on macOS and Linux, X: on Windows. */
  mountPath(p: PillarSpec): string;
  mount(server: SmbServer, p: PillarSpec, password: string): Promise<MountOutcome>;
  /** force: the share may be hung; break it loose (Linux: FUSE abort) instead of waiting on it. */
  unmount(p: PillarSpec, opts?: { force?: boolean }): Promise<void>;
  list(): Promise<MountedShare[]>;
  /** Must answer within deadlineMs whatever the share does (rule 8 of docs/architecture.md). */
  probe(p: PillarSpec, deadlineMs: number): Promise<ProbeResult>;
  open(p: PillarSpec): Promise<void>;
  /** macOS/Linux: ~/<pillar> links (never replacing what is not ours); Windows: drive labels. */
  decorate(server: SmbServer, p: PillarSpec): Promise<{ ok: boolean; note?: string }>;
  /** While unmounted, the mount folder refuses writes (rule 9 of docs/architecture.md). */
  guard(p: PillarSpec): Promise<void>;
  timeMachine?(): Promise<TimeMachineInfo | null>;
}

/** One TCP connect attempt with a deadline; true when the port accepted. Never rejects. */
export type TcpProbe = (host: string, port: number, timeoutMs: number) => Promise<boolean>;
