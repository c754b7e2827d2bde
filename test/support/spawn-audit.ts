// vitest setupFile: every program a test worker starts must be one the static scan of
// scripts/programs.mjs found (that scan is what test/scripts/programs.test.ts proves comes from
// scripts/packages.sh). It sees what the scan cannot: a library starting a tool, a name computed at
// run time. Such a program fails the test file that started it, naming the program and where, so it
// gets written where the scan finds it (or declared in DYNAMIC) and then checked against the list.
import type * as childProcess from 'node:child_process';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** programs (names and absolute paths) the static scan found; see test/support/global-setup.ts */
    pillarsPrograms: string[];
  }
}

const REPO = path.resolve(import.meta.dirname, '../..');
/** where Debian installs programs; anything elsewhere was made by the test or the build */
const SYSTEM = /^\/(usr\/)?(local\/)?(s?bin|lib|libexec|games)\//;
const cp = createRequire(import.meta.url)('node:child_process') as typeof childProcess;

// One state per worker process: a worker that runs several test files keeps the first wrapping.
interface AuditState {
  known: Set<string>;
  /** program → where it was first started, since the last test file's check */
  unknown: Map<string, string>;
}
const STATE = Symbol.for('pillars.spawn-audit');
const g = globalThis as typeof globalThis & { [STATE]?: AuditState };
const fresh = g[STATE] === undefined;
const state = (g[STATE] ??= { known: new Set(inject('pillarsPrograms')), unknown: new Map() });
const { known, unknown } = state;

function onPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(':')) {
    if (!dir) continue;
    try {
      if (statSync(path.join(dir, name)).isFile()) return path.join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The caller's frames in the repository (not this file, not a dependency), innermost first. */
function site(): string {
  const frames = (new Error().stack ?? '')
    .split('\n')
    .slice(1)
    .filter((f) => !f.includes('spawn-audit'));
  const mine = frames.filter((f) => f.includes(REPO) && !f.includes('node_modules')).slice(0, 3);
  return (mine.length ? mine : frames.slice(0, 1)).map((f) => f.trim().replace(/^at /, '')).join(' < ');
}

function audit(program: unknown, env: NodeJS.ProcessEnv | undefined): void {
  if (typeof program !== 'string' || program === process.execPath) return;
  const name = path.basename(program);
  if (program.includes('/')) {
    const abs = path.resolve(program);
    // a stub a test wrote, a script of the repository, a binary from node_modules
    if (!SYSTEM.test(abs)) return;
    if (known.has(abs) || known.has(name)) return;
  } else {
    if (known.has(program)) return;
    const at = onPath(program, env?.PATH ?? process.env.PATH ?? '');
    if (at && !SYSTEM.test(at)) return; // a stub first on the test's PATH
  }
  if (!unknown.has(program)) unknown.set(program, site());
}

type Fn = (...args: unknown[]) => unknown;
type SpawnOptions = { env?: NodeJS.ProcessEnv; shell?: boolean | string };
const optionsOf = (args: unknown[]): SpawnOptions => {
  for (const a of args.slice(1)) if (a && typeof a === 'object' && !Array.isArray(a)) return a as SpawnOptions;
  return {};
};

if (fresh) {
  const wrap = (name: 'spawn' | 'spawnSync' | 'execFile' | 'execFileSync' | 'exec' | 'execSync', program: (args: unknown[]) => unknown) => {
    const original = cp[name] as unknown as Fn;
    const wrapped = function (this: unknown, ...args: unknown[]) {
      const o = optionsOf(args);
      // with `shell`, the first argument is a command line and the shell is what starts (exec()
      // itself goes through execFile this way)
      audit(o.shell ? (typeof o.shell === 'string' ? o.shell : 'sh') : program(args), o.env);
      return original.apply(this, args);
    };
    // execFile and exec carry util.promisify.custom
    Object.defineProperties(wrapped, Object.getOwnPropertyDescriptors(original));
    (cp as unknown as Record<string, unknown>)[name] = wrapped;
  };
  wrap('spawn', (a) => a[0]);
  wrap('spawnSync', (a) => a[0]);
  wrap('execFile', (a) => a[0]);
  wrap('execFileSync', (a) => a[0]);
  // a shell string: the shell is what starts (static scan refuses these in the repository)
  wrap('exec', () => 'sh');
  wrap('execSync', () => 'sh');
  // ESM importers of node:child_process see the wrapped functions too
  syncBuiltinESMExports();
}

afterAll(() => {
  if (unknown.size === 0) return;
  const lines = [...unknown].map(([p, where]) => `  ${p} (started at ${where})`);
  unknown.clear();
  throw new Error(
    `programs started that the scan of scripts/programs.mjs does not know, so nothing proves scripts/packages.sh installs them:\n${lines.join('\n')}\n` +
      'start them with a literal name where the scan finds it, or declare the computed site in DYNAMIC there',
  );
});
