// Temp folders and a cleanup registry for tests that start real components.
//
// Three layers of cleanup, because a test that fails half-way must not leave smbd, syncthing or a
// root-owned folder behind for the next run:
//   1. every handle has an explicit, idempotent `cleanup()`/`stop()` the test may call itself;
//   2. `useCleanup()` registers a vitest afterAll/afterEach hook that runs whatever was added to it
//      (in reverse order, every item even when one throws);
//   3. a last-resort pass on process exit or SIGTERM/SIGINT/SIGHUP kills process groups and
//      removes folders synchronously if the worker ends before the hooks ran (a test that forgot
//      its stop(), a crash in a hook, vitest tearing the worker down).
import { mkdtempSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { removeTree } from './guarded';

type SyncCleanup = () => void;

const exitCleanups = new Set<SyncCleanup>();
let exitHookInstalled = false;

/**
 * Registers a synchronous last-resort cleanup, run when the process exits with it still
 * registered. Returns the function that unregisters it (call it once the normal cleanup ran).
 */
export function onProcessExit(fn: SyncCleanup): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', runExitCleanups);
    // vitest ends its fork workers with SIGTERM (SIGKILL 10 s later), and a signal skips the
    // 'exit' event: clean up, then let the signal do what it would have done without us.
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      const onSignal = () => {
        runExitCleanups();
        process.off(sig, onSignal);
        if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
      };
      process.on(sig, onSignal);
    }
  }
  exitCleanups.add(fn);
  return () => {
    exitCleanups.delete(fn);
  };
}

function runExitCleanups(): void {
  for (const f of [...exitCleanups].reverse()) {
    try {
      f();
    } catch {
      // the process is going away; nothing better to do than try the next one
    }
  }
  exitCleanups.clear();
}

/** Wraps an async function so that calling it more than once runs it once (later calls share the promise). */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}

export interface TempDir {
  /** Absolute path of the new, empty folder (mode 0755 so dropped-privilege daemons can traverse it). */
  path: string;
  /** Removes the folder and everything in it. Idempotent. */
  cleanup(): Promise<void>;
}

/**
 * Creates a fresh folder under the OS temp dir. Pair it with `onTestFinished(d.cleanup)`,
 * `afterAll(d.cleanup)` or a `useCleanup()` registry; it is also removed when the process exits.
 */
export function tempDir(prefix = 'pillars-test-'): TempDir {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  // smbd and friends drop to an unprivileged user after login and must be able to walk into it.
  chmodSync(dir, 0o755);
  // a client test's mount folders are guarded (immutable as root): removeTree lifts the guards
  const remove = () => removeTree(dir);
  const unregister = onProcessExit(remove);
  return {
    path: dir,
    cleanup: once(async () => {
      unregister();
      remove();
    }),
  };
}

export type CleanupFn = () => unknown;

export interface CleanupRegistry {
  /** Adds a cleanup; cleanups run in reverse order of addition. Returns its argument for chaining. */
  add<T extends CleanupFn>(fn: T): T;
  /** Adds anything with a `stop()` (helper handles) and returns it. */
  track<T extends { stop(): unknown }>(handle: T): T;
  /** `tempDir()` whose removal is registered here. */
  tempDir(prefix?: string): TempDir;
  /** Runs (and forgets) every registered cleanup; throws an AggregateError if any failed. */
  run(): Promise<void>;
}

/** A registry that is not tied to vitest hooks (run it yourself, e.g. in a finally). */
export function cleanupRegistry(): CleanupRegistry {
  let fns: CleanupFn[] = [];
  const reg: CleanupRegistry = {
    add(fn) {
      fns.push(fn);
      return fn;
    },
    track(handle) {
      fns.push(() => handle.stop());
      return handle;
    },
    tempDir(prefix) {
      const d = tempDir(prefix);
      fns.push(d.cleanup);
      return d;
    },
    async run() {
      const todo = fns.reverse();
      fns = [];
      const errors: unknown[] = [];
      for (const fn of todo) {
        try {
          await fn();
        } catch (e) {
          errors.push(e);
        }
      }
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1) throw new AggregateError(errors, `${errors.length} cleanups failed`);
    },
  };
  return reg;
}

/**
 * A registry run by vitest after all tests of the enclosing file/describe (`'all'`, default) or
 * after each test (`'each'`). Call it at the top of a describe block or file, not inside a test.
 */
export function useCleanup(scope: 'all' | 'each' = 'all'): CleanupRegistry {
  const reg = cleanupRegistry();
  if (scope === 'each') afterEach(() => reg.run());
  else afterAll(() => reg.run());
  return reg;
}
