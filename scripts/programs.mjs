// Every external program the code, the tests, the benchmarks and the scripts start, and the proof
// that each comes from a Debian package scripts/packages.sh installs (issue 13: a suite that was
// green on machines with extra packages hid missing install steps).
//
// The scan reads the sources' syntax trees (TypeScript's parser) and finds every place a program
// is started: child_process calls, the `cmd` of an Exec request, the harness helpers that take
// `(program, [args])`, Playwright's `executablePath`, and the commands of the shell scripts. A
// literal names its program; a program computed at run time must be declared below (DYNAMIC) with
// what it can start, so a new spawn site cannot slip past unnoticed. The check resolves each
// program on PATH and asks dpkg which package owns it; that package must be in the list, in the
// recursive Depends of the list (not Recommends: setup installs with --no-install-recommends), or
// Essential (every Debian has those).
//
//   node scripts/programs.mjs          # scan + check; exits 1 naming each program and its package
//   node scripts/programs.mjs --list   # the programs found and where
// Tests: test/scripts/programs.test.ts. At run time the vitest workers hold every program they
// start against this scan (test/support/spawn-audit.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Folders (and files) whose programs count: everything that runs on motoko, a client, in tests or CI. */
const SCANNED = ['server/src', 'server/bin', 'src', 'bin', 'test', 'bench', 'scripts', '.ci/run'];
/** Not scanned, with why. */
const NOT_SCANNED = new Map([
  ['test/fixtures', 'data and lint fixtures, never run'],
  // it runs on the host and installs its own tool (mmdebstrap); what it runs inside the fresh root
  // is the README's two commands, whose programs are scanned where they are written
  ['scripts/fresh-check.sh', 'host-side check that installs its own tools'],
]);

/** Names a call must have to count as starting the program in its first argument. */
const CHILD_PROCESS_FNS = new Set(['spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork', 'exec', 'execSync']);
/** The harness's helpers that start the program in their first argument, by module. */
const HELPER_MODULES = new Map([
  ['test/support/proc.ts', ['run', 'runOk']],
  ['test/support/cli.ts', ['spawnProcess']],
]);
/**
 * Methods that start `(program, [args])` (a namespace handle's `exec`, …): a call of these names
 * counts when its second argument is an array.
 */
const ARGV_METHODS = new Set(['exec', 'spawn', 'spawnSync', 'execFile', 'execFileSync']);

/**
 * The Node runtime and the README's other prerequisite come with the machine, not from
 * scripts/packages.sh ("a fresh Debian 12 machine with Node 20 and git").
 */
export const PREREQUISITES = new Map([
  ['node', "Node 20, the README's prerequisite"],
  ['npm', 'comes with Node 20'],
  ['npx', 'comes with Node 20'],
]);

/** Literals that are not programs anyone installs, with why. */
export const NOT_PROGRAMS = new Map([['/nonexistent/prog', 'a test that a missing program is reported as such']]);

/**
 * Programs the owner brings when a feature needs them, that no Debian package has: started only
 * when the config asks for them, and never by a test (tests fake them through the injected Exec).
 */
export const OWNER_SUPPLIED = new Map([['op', 'the 1Password CLI, for op:// secret references (from 1Password, not Debian)']]);

/**
 * Programs of macOS and Windows, started only by their platform adapters (tested through the
 * injected Exec here): allowed only in the folder named.
 */
export const NOT_LINUX = [
  { folders: ['src/platform/mac/'], names: ['osascript', 'security', 'tmutil', 'diskutil', 'chflags', 'open', 'mount', 'umount', 'df'], why: 'macOS binaries (/sbin, /usr/bin on a Mac)' },
  // the Windows adapter's tests record what it would start through a fake StartProcess
  { folders: ['src/platform/win/', 'test/client/win/'], names: ['powershell.exe', 'pwsh.exe', 'net.exe', 'explorer.exe'], why: 'Windows programs' },
];

/**
 * Spawn sites whose program is computed. `expr` is the source text of the program argument;
 * `programs` what it can start (scanned like literals), `why` where the value comes from.
 */
export const DYNAMIC = [
  // the one Exec of each process: they forward their callers' programs, which are scanned
  { file: 'server/src/infra/exec.ts', expr: 'req.cmd', programs: [], why: "pillarsd's Exec: callers pass `cmd`" },
  { file: 'src/platform/host/exec.ts', expr: 'req.cmd', programs: [], why: "the client's Exec: callers pass `cmd`" },
  { file: 'test/support/proc.ts', expr: 'cmd', programs: [], why: 'run/runOk: callers pass the program' },
  { file: 'test/support/smbd.ts', expr: 'cmd as string', programs: ['smbd', 'ip'], why: 'smbd, or `ip netns exec NS smbd`, from its argv array' },
  // tool invocations built by server/src/tools (each builder takes the binary toolchain.ts resolved)
  { file: 'server/src/jobs/tool-child.ts', expr: 'c.cmd', programs: [], why: 'restic/rclone commands built by server/src/tools' },
  { file: 'server/src/jobs/types/restic-forget.ts', expr: 'c.cmd', programs: [], why: 'restic forget, built by server/src/tools' },
  { file: 'server/src/jobs/remote-check.ts', expr: 'cmd.cmd', programs: [], why: 'rclone obscure, built by server/src/tools' },
  { file: 'server/src/jobs/remote-check.ts', expr: 'probe.cmd', programs: [], why: "pillarsd check's read-only rclone listing, built by server/src/tools" },
  { file: 'test/server/tools/rclone-argv.test.ts', expr: 'c.cmd', programs: ['rclone'], why: 'every rclone argv the builders make, run through the installed rclone' },
  { file: 'test/server/tools/rclone-plan.test.ts', expr: 'c.cmd', programs: ['rclone'], why: "the plan's dry run as the builder makes it, run through the installed rclone" },
  { file: 'server/src/infra/stream-exec.ts', expr: 'req.cmd', programs: [], why: 'the streamed child (restic dump, find): callers pass `cmd`' },
  { file: 'server/src/jobs/snapshots.ts', expr: 'c.cmd', programs: [], why: 'restic find and dump, built by server/src/tools' },
  {
    file: 'server/src/jobs/hooks.ts',
    expr: 'h.argv[0]!',
    programs: ['/usr/bin/docker'],
    why: "a hook's argv from pillarsd.yaml: the operator's own program (the tests run docs/hook-recipes.md's docker recipe with Debian's CLI)",
  },
  { file: 'server/src/jobs/toolchain.ts', expr: 'bin', programs: ['restic', 'rclone'], why: 'tools.restic / tools.rclone from pillarsd.yaml, default restic and rclone' },
  { file: 'src/platform/mac/macPlatform.ts', expr: /^MAC_BIN\.\w+$/, programs: [], why: 'macOS binaries by absolute path, never started on Linux' },
  { file: 'src/platform/win/helper.ts', expr: 'o.powershell', programs: ['powershell.exe'], why: 'Windows PowerShell, the long-lived helper (a fake StartProcess in tests)' },
  { file: 'src/platform/host/lines.ts', expr: 'req.cmd', programs: [], why: "the client's StartProcess: callers pass `cmd` (the Windows helper)" },
  { file: 'src/platform/host/control.ts', expr: 'cmd', programs: [], why: "a control-socket message naming the core's command, not a program" },
  { file: 'test/client/cli/core.test.ts', expr: 'cmd', programs: ['setpriv', 'node'], why: 'the CLI as root (node) or as a normal user (setpriv … node)' },
  { file: 'test/client/win/winPlatform.test.ts', expr: 'req.cmd', programs: [], why: 'the fake StartProcess records what the adapter asked for' },
  { file: 'test/client/win/winPlatform.test.ts', expr: 's.cmd', programs: [], why: "the fake StartProcess's records, checked for secrets" },
  { file: 'bench/backup-overhead.ts', expr: 'argv[0]!', programs: ['restic', 'rclone', 'node'], why: 'the raw tool (or pillarsd) the benchmark times directly' },
  { file: 'test/server/jobs/engine.test.ts', expr: "path.join(bin, 'restic')", programs: ['sleep'], why: 'a sleep linked under the name restic, as an orphan' },
  { file: 'test/scripts/programs.test.ts', expr: 'unlisted', programs: [], why: "the run-time audit's own test: a program no scan can know, on purpose" },
];

function walk(rel, out) {
  const abs = path.join(REPO, rel);
  if (!existsSync(abs) || NOT_SCANNED.has(rel)) return out;
  if (statSync(abs).isFile()) {
    out.push(rel);
    return out;
  }
  for (const e of readdirSync(abs, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const child = `${rel}/${e.name}`;
    if (e.isDirectory()) walk(child, out);
    else if (/\.(ts|tsx|mts|cts|js|mjs|cjs|sh)$/.test(e.name) && !NOT_SCANNED.has(child)) out.push(child);
  }
  return out;
}

/** The source files the scan reads, relative to the repository. */
export function scannedFiles() {
  return SCANNED.flatMap((r) => walk(r, [])).sort();
}

const isShell = (rel, text) => rel.endsWith('.sh') || /^#!.*\b(ba|da)?sh\b/.test(text);

// --- TypeScript / JavaScript -------------------------------------------------------------------

function calleeName(e) {
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

const isChildProcessSpecifier = (e) => (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) && /^(node:)?child_process$/.test(e.text);

/**
 * Local names bound to node:child_process's functions (local name -> function) and to the module
 * itself: named and namespace imports, `await import(…)` and `require(…)` destructured, and
 * `promisify(execFile)`.
 */
function childProcessBindings(sf) {
  const names = new Map();
  const namespaces = new Set();
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && isChildProcessSpecifier(st.moduleSpecifier)) {
      const b = st.importClause?.namedBindings;
      if (st.importClause?.name) namespaces.add(st.importClause.name.text);
      if (b && ts.isNamespaceImport(b)) namespaces.add(b.name.text);
      if (b && ts.isNamedImports(b)) for (const el of b.elements) if (CHILD_PROCESS_FNS.has((el.propertyName ?? el.name).text)) names.set(el.name.text, (el.propertyName ?? el.name).text);
    }
  }
  const visit = (n) => {
    if (ts.isVariableDeclaration(n) && n.initializer) {
      let init = n.initializer;
      if (ts.isAwaitExpression(init)) init = init.expression;
      const loads =
        ts.isCallExpression(init) &&
        (init.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(init.expression) && init.expression.text === 'require')) &&
        init.arguments[0] &&
        isChildProcessSpecifier(init.arguments[0]);
      if (loads && ts.isObjectBindingPattern(n.name)) {
        for (const el of n.name.elements) {
          const orig = (el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName : el.name).getText(sf);
          if (CHILD_PROCESS_FNS.has(orig) && ts.isIdentifier(el.name)) names.set(el.name.text, orig);
        }
      } else if (loads && ts.isIdentifier(n.name)) namespaces.add(n.name.text);
      const promisified =
        ts.isCallExpression(init) && ts.isIdentifier(init.expression) && init.expression.text === 'promisify' && init.arguments[0] && ts.isIdentifier(init.arguments[0]) && names.get(init.arguments[0].text);
      if (promisified && ts.isIdentifier(n.name)) names.set(n.name.text, promisified);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return { names, namespaces };
}

/** Local names of the harness helpers this file imports (HELPER_MODULES). */
function helperBindings(sf, rel) {
  const names = new Set();
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || !st.moduleSpecifier.text.startsWith('.')) continue;
    let target = path.relative(REPO, path.resolve(path.dirname(path.resolve(REPO, rel)), st.moduleSpecifier.text));
    if (!path.extname(target)) target += '.ts';
    const fns = HELPER_MODULES.get(target);
    const b = st.importClause?.namedBindings;
    if (fns && b && ts.isNamedImports(b)) for (const el of b.elements) if (fns.includes((el.propertyName ?? el.name).text)) names.add(el.name.text);
  }
  return names;
}

/**
 * The module's top-level consts, for resolving an identifier to its literal (only these: a name
 * inside a function may be a parameter or a local of the same name, which this scan cannot tell).
 */
function constInitializers(sf) {
  const m = new Map();
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st) || !(st.declarationList.flags & ts.NodeFlags.Const)) continue;
    for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name) && d.initializer) m.set(d.name.text, d.initializer);
  }
  return m;
}

/**
 * Every `const NAME = 'literal'` of the file, at any depth, whose name is declared once: an argv
 * element that names one (`['sh', '-c', script]`) is read as its text.
 */
function stringConsts(sf) {
  const m = new Map();
  const twice = new Set();
  const visit = (n) => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.parent.flags & ts.NodeFlags.Const) {
      if (m.has(n.name.text)) twice.add(n.name.text);
      m.set(n.name.text, n.initializer && (ts.isStringLiteral(n.initializer) || ts.isNoSubstitutionTemplateLiteral(n.initializer)) ? n.initializer.text : undefined);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  for (const n of twice) m.delete(n);
  return m;
}

/** The programs an expression names when it is (made of) literals; undefined when computed. */
function literalPrograms(e, consts, seen = new Set()) {
  while (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression?.(e)) e = e.expression;
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return [e.text];
  if (ts.isPropertyAccessExpression(e) && e.getText() === 'process.execPath') return ['node'];
  if (ts.isConditionalExpression(e)) {
    const a = literalPrograms(e.whenTrue, consts, seen);
    const b = literalPrograms(e.whenFalse, consts, seen);
    return a && b ? [...a, ...b] : undefined;
  }
  // `opts.bin ?? 'op'`: the default is what runs unless a caller passes its own (scanned there)
  if (ts.isBinaryExpression(e) && (e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || e.operatorToken.kind === ts.SyntaxKind.BarBarToken)) {
    return literalPrograms(e.right, consts, seen);
  }
  if (ts.isIdentifier(e) && consts.has(e.text) && !seen.has(e.text)) {
    seen.add(e.text);
    return literalPrograms(consts.get(e.text), consts, seen);
  }
  return undefined;
}

/**
 * Hooks in pillarsd.yaml text that a test writes (the argv list of a `pre:` or `post:` hook): pillarsd
 * starts them, so their programs count like any other.
 */
function scanHookArgv(rel, text, found) {
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    for (const m of line.matchAll(/\bargv:\s*\[\s*\\?"([^"\\]+)\\?"(?:\s*,\s*\\?"-c\\?"\s*,\s*\\?"((?:[^"\\]|\\[^"])*)\\?")?/g)) {
      const where = `${rel}:${i + 1}`;
      add(found, m[1], where);
      if (m[2] !== undefined && ['sh', 'bash'].includes(m[1])) scanShell(where, m[2], found, true);
    }
  });
}

const FUNCTION_KINDS = [ts.SyntaxKind.ArrowFunction, ts.SyntaxKind.FunctionExpression, ts.SyntaxKind.FunctionDeclaration];

/**
 * A file's own spawn helpers: a named function whose first parameter is the program a
 * child_process call or an Exec request starts (`const daemon = (cmd, args) => spawn(cmd, args, …)`,
 * `const run = (cmd, args) => opts.exec({ cmd, args })`). Their calls are spawn sites like the
 * harness's helpers, and the forwarding inside is not.
 */
function localHelpers(sf, cp) {
  const names = new Set();
  const forwarding = new Set();
  const forwards = (node, arg) => {
    let f = node.parent;
    while (f && !FUNCTION_KINDS.includes(f.kind)) f = f.parent;
    const first = f?.parameters[0]?.name;
    const name = f && (ts.isFunctionDeclaration(f) ? f.name : ts.isVariableDeclaration(f.parent) ? f.parent.name : undefined);
    if (!(first && ts.isIdentifier(first) && first.text === arg && name && ts.isIdentifier(name))) return;
    names.add(name.text);
    forwarding.add(node);
  };
  const visit = (n) => {
    if (ts.isCallExpression(n) && n.arguments.length > 0 && ts.isIdentifier(n.arguments[0]) && ts.isIdentifier(n.expression) && cp.names.has(n.expression.text)) forwards(n, n.arguments[0].text);
    if (ts.isShorthandPropertyAssignment(n) && n.name.text === 'cmd') forwards(n, 'cmd');
    if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name) && n.name.text === 'cmd' && ts.isIdentifier(n.initializer)) forwards(n, n.initializer.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return { names, forwarding };
}

/** An object literal handed to JSON.stringify is data (a message on a socket), not a spawn request. */
function isSerialised(obj) {
  const call = obj.parent;
  return ts.isCallExpression(call) && call.expression.getText() === 'JSON.stringify';
}

function scanTs(rel, text, found, dynamicSites) {
  scanHookArgv(rel, text, found);
  const sf = ts.createSourceFile(rel, text, ts.ScriptTarget.Latest, true, rel.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const cp = childProcessBindings(sf);
  const helpers = helperBindings(sf, rel);
  const local = localHelpers(sf, cp);
  for (const n of local.names) helpers.add(n);
  const consts = constInitializers(sf);
  const strings = stringConsts(sf);
  const site = (node, expr, kind, argv) => {
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
    const where = `${rel}:${line}`;
    const progs = kind === 'shell' ? undefined : literalPrograms(expr, consts);
    if (!progs) {
      dynamicSites.push({ file: rel, line, expr: expr.getText(sf), kind });
      return;
    }
    for (const p of progs) {
      add(found, p, where);
      if (argv) wrapped(p, argv, where, found, strings);
    }
  };
  const visit = (n) => {
    if (ts.isCallExpression(n) && n.arguments.length > 0) {
      const name = calleeName(n.expression);
      const fn = ts.isIdentifier(n.expression)
        ? cp.names.get(n.expression.text)
        : ts.isPropertyAccessExpression(n.expression) && ts.isIdentifier(n.expression.expression) && cp.namespaces.has(n.expression.expression.text) && CHILD_PROCESS_FNS.has(n.expression.name.text)
          ? n.expression.name.text
          : undefined;
      if (fn && local.forwarding.has(n)) {
        // a local helper's own spawn: its callers are the sites
      } else if (fn) {
        // a shell string hides the programs it starts
        if (fn === 'exec' || fn === 'execSync') site(n, n.arguments[0], 'shell');
        else if (fn === 'fork') add(found, 'node', `${rel}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`);
        else site(n, n.arguments[0], 'child_process', n.arguments[1]);
      } else if (ts.isIdentifier(n.expression) && helpers.has(n.expression.text)) {
        site(n, n.arguments[0], 'helper', n.arguments[1]);
      } else if (name && ARGV_METHODS.has(name) && ts.isPropertyAccessExpression(n.expression) && n.arguments.length >= 2 && ts.isArrayLiteralExpression(n.arguments[1])) {
        site(n, n.arguments[0], 'method', n.arguments[1]);
      }
    }
    if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name) && (n.name.text === 'cmd' || n.name.text === 'executablePath') && !isSerialised(n.parent) && !local.forwarding.has(n)) {
      const args = n.parent.properties.find((q) => ts.isPropertyAssignment(q) && ts.isIdentifier(q.name) && q.name.text === 'args');
      site(n, n.initializer, n.name.text, args?.initializer);
    }
    if (ts.isShorthandPropertyAssignment(n) && (n.name.text === 'cmd' || n.name.text === 'executablePath') && !isSerialised(n.parent) && !local.forwarding.has(n)) site(n, n.name, n.name.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
}

/**
 * Programs that start another program named in their arguments: how many non-option arguments
 * come before it (a lock file, a duration, a mask).
 */
const WRAPPERS = new Map([
  ['stdbuf', 0],
  ['setsid', 0],
  ['nice', 0],
  ['env', 0],
  ['flock', 1],
  ['timeout', 1],
  ['taskset', 1],
  ['unshare', 0],
  ['chroot', 1],
  ['runuser', 0],
]);

/** The programs a wrapper (`sh -c SCRIPT`, `stdbuf … PROG`, `ip netns exec NS PROG`) starts from a literal argv. */
function wrapped(program, argv, where, found, strings = new Map()) {
  if (!ts.isArrayLiteralExpression(argv)) return;
  const lits = argv.elements.map((e) => (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) ? e.text : ts.isIdentifier(e) ? strings.get(e.text) : undefined));
  wrappedArgs(program, lits, where, found);
}

function wrappedArgs(program, lits, where, found) {
  const base = path.posix.basename(program);
  if (['sh', 'bash', 'dash'].includes(base)) {
    if (lits[0] === '-c' && lits[1] !== undefined) scanShell(where, lits[1], found, true);
    return;
  }
  let at = -1;
  if (base === 'ip') {
    if (lits[0] === 'netns' && lits[1] === 'exec') at = 3;
  } else if (WRAPPERS.has(base)) {
    // after `--` comes the program; else the first argument that is not an option (or its value)
    at = lits.indexOf('--') >= 0 ? lits.indexOf('--') + 1 : -1;
    let skip = WRAPPERS.get(base);
    for (let i = 0; at < 0 && i < lits.length && lits[i] !== undefined; i++) {
      const a = lits[i];
      if (a.startsWith('-') || (base === 'env' && a.includes('='))) continue;
      if (skip-- > 0) continue;
      at = i;
    }
  }
  const inner = at >= 0 ? lits[at] : undefined;
  if (inner === undefined) return;
  add(found, inner, where);
  wrappedArgs(inner, lits.slice(at + 1), where, found);
}

// --- shell -------------------------------------------------------------------------------------

const SHELL_WORDS = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'for',
  'in',
  'do',
  'done',
  'while',
  'until',
  'case',
  'esac',
  'function',
  '{',
  '}',
  '!',
  '[[',
  ']]',
  // builtins
  '.',
  ':',
  '[',
  'cd',
  'echo',
  'printf',
  'exit',
  'export',
  'local',
  'read',
  'return',
  'set',
  'shift',
  'source',
  'test',
  'trap',
  'true',
  'false',
  'wait',
  'kill',
  'exec',
  'eval',
  'command',
  'type',
  'unset',
  'declare',
  'break',
  'continue',
  'pwd',
  'umask',
  'readonly',
  'times',
]);

/** First words of the simple commands of a shell script (good enough for the project's plain scripts). */
function scanShell(rel, text, found, inline = false) {
  const lines = text.split('\n');
  let heredoc;
  lines.forEach((raw, i) => {
    if (heredoc) {
      if (raw.trim() === heredoc) heredoc = undefined;
      return;
    }
    const h = /<<-?\s*['"]?(\w+)['"]?/.exec(raw);
    if (h) heredoc = h[1];
    // quoted text is data, except a command substitution inside double quotes
    const line = raw
      .replace(/(^|\s)#.*$/, '')
      .replace(/'[^']*'/g, "''")
      .replace(/"([^"$]|\$(?!\())*"/g, '""');
    for (let part of line.split(/&&|\|\||[;|&(]|\$\(|`|\bthen\b|\bdo\b|\belse\b/)) {
      part = part
        .trim()
        .replace(/^(\w+=("[^"]*"|\S*)\s+)+/, '')
        .replace(/^(exec|command|nohup)\s+(?!-)/, '');
      if (/^\w+=/.test(part)) continue;
      const word = part.split(/\s+/)[0];
      if (!word || SHELL_WORDS.has(word) || !/^[\w./+-]+$/.test(word) || /^[0-9]/.test(word) || word.startsWith('$')) continue;
      if (word.startsWith('./') || word.includes('/scripts/') || word.endsWith(')')) continue;
      add(found, word, inline ? rel : `${rel}:${i + 1}`);
    }
  });
}

function add(found, program, where) {
  if (!found.has(program)) found.set(program, new Set());
  found.get(program).add(where);
}

const matchesDeclared = (d, s) => d.file === s.file && (typeof d.expr === 'string' ? d.expr === s.expr : d.expr.test(s.expr));

/**
 * Scans the sources. Returns every program found (with where) and the problems of the scan itself:
 * a computed program that DYNAMIC does not declare, a declaration that matches nothing.
 */
export function scan(files) {
  const whole = files === undefined;
  files ??= scannedFiles();
  const found = new Map();
  const dynamicSites = [];
  for (const rel of files) {
    const text = readFileSync(path.resolve(REPO, rel), 'utf8');
    if (isShell(rel, text)) scanShell(rel, text, found);
    else scanTs(rel, text, found, dynamicSites);
  }
  const problems = [];
  const used = new Set();
  for (const s of dynamicSites) {
    const d = DYNAMIC.find((x) => matchesDeclared(x, s));
    if (!d) {
      problems.push(
        s.kind === 'shell'
          ? `${s.file}:${s.line} runs a shell string (${s.expr}): start programs with argv so each one is known`
          : `${s.file}:${s.line} starts a computed program (${s.expr}): use a literal, or declare what it can start in DYNAMIC (scripts/programs.mjs)`,
      );
      continue;
    }
    used.add(d);
    for (const p of d.programs) add(found, p, `${s.file}:${s.line}`);
  }
  if (whole) for (const d of DYNAMIC) if (!used.has(d)) problems.push(`DYNAMIC in scripts/programs.mjs declares ${d.file} \`${d.expr}\`, which starts nothing any more: remove it`);
  return { found, problems };
}

/** Whether a program found at `where` is a macOS/Windows one used where it belongs. */
export function notLinux(program, wheres) {
  const base = path.posix.basename(program);
  const rule = NOT_LINUX.find((r) => r.names.includes(base));
  return rule !== undefined && [...wheres].every((w) => rule.folders.some((f) => w.startsWith(f)));
}

// --- packages ----------------------------------------------------------------------------------

/** The packages of scripts/packages.sh. */
export function listedPackages() {
  const out = execFileSync('bash', ['-c', '. scripts/packages.sh && printf %s "$PILLARS_APT_PACKAGES"'], { cwd: REPO, encoding: 'utf8' });
  return out.split(/\s+/).filter(Boolean);
}

/** Essential packages (on every Debian system) plus apt, which every install has. */
function essentialPackages() {
  const out = execFileSync('dpkg-query', ['-W', '-f', '${Package}\\t${Essential}\\n'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.endsWith('\tyes'))
    .map((l) => l.split('\t')[0])
    .concat('apt');
}

/** The packages with their recursive Depends and Pre-Depends (not Recommends or Suggests). */
const closures = new Map();
export function dependencyClosure(packages) {
  const key = [...new Set(packages)].sort().join(' ');
  if (!closures.has(key)) closures.set(key, computeClosure(packages));
  return closures.get(key);
}

function computeClosure(packages) {
  const r = spawnSync('apt-cache', ['depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', ...packages], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`apt-cache depends failed: ${r.stderr.trim()}`);
  const set = new Set(packages);
  for (const line of r.stdout.split('\n')) {
    // top-level lines are the packages of the closure; "<virtual>" ones are satisfied by the
    // providers apt-cache lists (and recurses into) beneath them
    if (line && !line.startsWith(' ') && !line.startsWith('<')) set.add(line.trim().replace(/:\w+$/, ''));
  }
  return set;
}

/** Where a program is: its own path when absolute, else the first match on PATH. */
export function resolveProgram(program, searchPath = process.env.PATH ?? '') {
  if (program.includes('/')) return existsSync(program) ? program : undefined;
  for (const dir of searchPath.split(':')) {
    if (!dir) continue;
    const p = path.join(dir, program);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** The paths dpkg may know a file under: its path, its real path, and the other side of /usr-merge. */
function dpkgCandidates(file) {
  const candidates = new Set([file]);
  try {
    candidates.add(realpathSync(file));
  } catch {
    // dangling
  }
  for (const c of [...candidates]) {
    const m = /^\/usr\/((s?bin|lib)\/.*)$/.exec(c);
    if (m) candidates.add(`/${m[1]}`);
    else if (/^\/(s?bin|lib)\//.test(c)) candidates.add(`/usr${c}`);
  }
  return [...candidates];
}

/** The packages that own each file (one dpkg-query for all of them); [] for a file no package has. */
export function owningPackages(files) {
  const perFile = files.map(dpkgCandidates);
  const all = [...new Set(perFile.flat())];
  // exits 1 when some path is unknown; the known ones are still printed
  const r = spawnSync('dpkg-query', ['-S', ...all], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.error) throw r.error;
  const owners = new Map();
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('diversion ')) continue;
    const i = line.lastIndexOf(': ');
    if (i > 0)
      owners.set(
        line.slice(i + 2),
        line
          .slice(0, i)
          .split(', ')
          .map((p) => p.replace(/:\w+$/, '')),
      );
  }
  return perFile.map((cands) => cands.map((c) => owners.get(c)).find((o) => o !== undefined) ?? []);
}

/**
 * Checks programs against a package list. Returns one problem per program that is missing, not
 * owned by any package, or owned by a package outside the list's closure, naming both.
 */
export function checkPrograms(programs, packages, { searchPath, closure } = {}) {
  const problems = [];
  const located = [];
  for (const program of programs) {
    if (PREREQUISITES.has(program)) continue;
    const at = resolveProgram(program, searchPath);
    if (at) located.push({ program, at });
    else problems.push({ program, message: `${program}: not found on PATH; install the Debian package that has it and add that package to scripts/packages.sh` });
  }
  if (located.length === 0) return problems;
  const allowed = closure ?? dependencyClosure([...packages, ...essentialPackages()]);
  const owners = owningPackages(located.map((l) => l.at));
  located.forEach(({ program, at }, i) => {
    const own = owners[i];
    if (own.length === 0) {
      problems.push({ program, at, message: `${program} (${at}) belongs to no Debian package: install it from one and list that package in scripts/packages.sh` });
    } else if (!own.some((p) => allowed.has(p))) {
      problems.push({
        program,
        at,
        packages: own,
        message: `${program} (${at}) comes from package ${own.join(' or ')}, which scripts/packages.sh does not install (nor anything it depends on): add ${own[0]} to scripts/packages.sh`,
      });
    }
  });
  return problems;
}

/** The whole check: scan, then every Linux program against scripts/packages.sh. */
export function checkAll() {
  const { found, problems: scanProblems } = scan();
  const programs = [...found.keys()].filter((p) => !notLinux(p, found.get(p)) && !NOT_PROGRAMS.has(p) && !OWNER_SUPPLIED.has(p)).sort();
  const problems = checkPrograms(programs, listedPackages());
  return { found, programs, problems: [...scanProblems, ...problems.map((p) => `${p.message} [started at ${[...found.get(p.program)].slice(0, 3).join(', ')}]`)] };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--list')) {
    const { found, problems } = scan();
    for (const [p, w] of [...found].sort(([a], [b]) => a.localeCompare(b))) console.log(`${p}\t${[...w].join(' ')}`);
    for (const p of problems) console.error(p);
    process.exit(problems.length ? 1 : 0);
  }
  const { programs, problems } = checkAll();
  for (const p of problems) console.error(`programs: ${p}`);
  if (problems.length) process.exit(1);
  console.log(`programs: ${programs.length} programs started by the code, tests, benchmarks and scripts all come from scripts/packages.sh`);
}
