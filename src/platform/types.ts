// The seams between the client core and the operating system. Adapters (mac/, win/, linux/)
// receive every effect through these interfaces, so each command they issue is testable here.
//
// Probing is in two kinds (issue 19): `look` is the cheap native check the core makes every few
// seconds (the OS's mount table, FUSE's counters, the mapping's status: never the share itself),
// `probe` the expensive one that touches the share in a child with a deadline, made rarely. The
// server itself is asked by the core (ServerProbe), not by the adapters.

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
  /**
   * A file the kernel writes as it is read (/proc, /sys): read at once, on the calling thread. These
   * never wait on a disk or a share, and the core reads a few of them every round, where an async
   * read (open, fstat, read, close through the thread pool) cost more than the reading itself.
   */
  readKernelFile(path: string): string | null;
  writeFile(path: string, data: string, mode?: number): Promise<void>;
  /**
   * Opens a local folder and keeps it open: its mode can then be changed through the handle even
   * after a mount covers the path (Linux: the covered folder's guard is put back under the mount).
   */
  holdDir(path: string): Promise<{ chmod(mode: number): Promise<void>; close(): Promise<void> }>;
  /** Calls fn when the folder's entries change (fs.watch); returns the unsubscribe. */
  watch?(dir: string, fn: (name: string | null) => void): () => void;
}

/** A long-lived child talking in lines (the Windows PowerShell helper). */
export interface LineProcess {
  readonly pid: number | null;
  /** Writes one line to the child's stdin; false once the child is gone. */
  send(line: string): boolean;
  onLine(fn: (line: string) => void): void;
  /** Called once when the child is gone; detail is the end of its stderr (or why it could not start). */
  onExit(fn: (code: number | null, detail: string) => void): void;
  kill(): void;
}

export type StartProcess = (req: { cmd: string; args: readonly string[]; env?: Record<string, string>; cwd?: string }) => LineProcess;

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

export type MountOutcome = { ok: true; path: string } | { ok: false; kind: 'auth' | 'network' | 'busy' | 'error'; reason: string };

export interface MountedShare {
  host: string;
  share: string;
  path: string; // mount point or drive
  healthy: boolean | null; // null when the platform's table does not say
}

/** The cheap look at one pillar's mount: the OS's own bookkeeping, never a call on the share. */
export interface MountLook {
  /** the OS's table shows our mount at the pillar's place (Windows: the drive letter is mapped) */
  mounted: boolean;
  /** the mount is there but its local side is gone (the FUSE daemon died; the mapping is Unavailable) */
  broken: string | null;
  /** calls waiting on the share right now (Linux: FUSE's `waiting`); null where the OS does not say */
  waiting: number | null;
  /** open handles on the share when the cheap check knows them (Windows: NumOpens), else undefined */
  openFiles?: number;
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
  /**
   * Without force, refuses (BusyError) while files are open on the share, so nothing is closed
   * under a program; force (the user asked, or the mount is dead) unmounts anyway and breaks a hung
   * mount loose (Linux: FUSE abort).
   */
  unmount(p: PillarSpec, opts?: { force?: boolean }): Promise<void>;
  list(): Promise<MountedShare[]>;
  /** The cheap check of every pillar at once, in order; made every few seconds. */
  look(ps: readonly PillarSpec[]): Promise<MountLook[]>;
  /** Must answer within deadlineMs whatever the share does (rule 8 of docs/architecture.md). Touches the share: made rarely. */
  probe(p: PillarSpec, deadlineMs: number): Promise<ProbeResult>;
  /** Files (and folders, Explorer windows) held open on the share; null when it cannot tell. */
  openFiles(p: PillarSpec): Promise<number | null>;
  open(p: PillarSpec): Promise<void>;
  /** macOS/Linux: ~/<pillar> links (never replacing what is not ours); Windows: drive labels. */
  decorate(server: SmbServer, p: PillarSpec): Promise<{ ok: boolean; note?: string }>;
  /**
   * While unmounted, the mount folder refuses writes (rule 9 of docs/architecture.md). Idempotent and cheap when the
   * guard is in place: the core calls it every round for every pillar that is not mounted.
   */
  guard(p: PillarSpec): Promise<void>;
  timeMachine?(): Promise<TimeMachineInfo | null>;
  /** Calls fn when Time Machine writes its state (a backup finished, a destination changed). */
  watchTimeMachine?(fn: () => void): () => void;
}

/** Why a server did not answer: each kind has its own message and its own state in the core. */
export type ServerDown = 'refused' | 'hung' | 'timeout' | 'unreachable' | 'not-found' | 'not-smb';

export type ServerProbeResult = { ok: true; ms: number } | { ok: false; kind: ServerDown; reason: string };

/** Asks the SMB server itself (an SMB2 NEGOTIATE or ECHO) with a deadline. Never rejects, never touches a mount. */
export type ServerProbe = (host: string, port: number, timeoutMs: number) => Promise<ServerProbeResult>;
