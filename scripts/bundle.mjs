// How every Node target is bundled, in one place: scripts/build.mjs uses it for what ships, and the
// tests and benchmarks that need a CLI bundle of their own use it too, so they measure the same thing.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Pure-JS dependencies every command loads, inlined: Node resolves, reads and compiles each file
 * of an external package on every start (zod and yaml are a few hundred ESM files), which was
 * most of `pillarsd run`'s start-up. Everything else stays in node_modules: native modules must,
 * and the large ones (Fastify, the Azure SDK) load only on the paths that need them.
 */
export const INLINED = ['zod', 'yaml', 'commander', 'croner'];

const packageName = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

/** The package.json of `name` as Node would find it from `dir` (node_modules upwards), or null. */
function packageJson(name, dir) {
  for (let d = dir; ; d = path.dirname(d)) {
    const f = path.join(d, 'node_modules', name, 'package.json');
    if (existsSync(f)) return JSON.parse(readFileSync(f, 'utf8'));
    if (path.dirname(d) === d) return null;
  }
}

/**
 * A package Node would load as CommonJS even from `import` (no "type": "module", no "import"
 * condition). Such imports go through `require` in the bundle: an ESM import of CommonJS makes
 * Node 20.19+ run its CommonJS export lexer over the package and everything it requires (all of
 * Fastify and ajv: hundreds of files), which gets the lexer optimised by TurboFan twice, about
 * 0.3 s of compilation whose memory stays in the worker thread's malloc arena, 5 to 10 MB for the
 * life of the process. `require` loads the same files without the lexer. Dual packages keep their
 * `import` (their ESM build is what every other importer gets), and so does electron. Node's
 * default import of CommonJS is `module.exports`, and so is esbuild's in a "type": "module" package.
 */
function loadsAsCommonJs(name, dir) {
  if (name === 'electron' || name.startsWith('node:')) return false;
  const pkg = packageJson(name, dir);
  if (!pkg || pkg.type === 'module') return false;
  const dot = typeof pkg.exports === 'object' && pkg.exports !== null ? (pkg.exports['.'] ?? pkg.exports) : null;
  const hasImport = (e) => !!e && typeof e === 'object' && ('import' in e || Object.values(e).some(hasImport));
  return !hasImport(dot);
}

const externalsExceptInlined = {
  name: 'externals-except-inlined',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (a) => {
      if (INLINED.includes(packageName(a.path))) return undefined;
      // a static import of a CommonJS package: a one-line CommonJS module of our own requires it
      // (import() stays: its result would lose the named exports Node gives a CommonJS module)
      if (a.kind === 'import-statement' && loadsAsCommonJs(packageName(a.path), a.resolveDir)) {
        return { path: a.path, namespace: 'required-package', pluginData: { resolveDir: a.resolveDir } };
      }
      return { external: true };
    });
    b.onLoad({ filter: /.*/, namespace: 'required-package' }, (a) => ({
      contents: `module.exports = require(${JSON.stringify(a.path)});\n`,
      loader: 'js',
      resolveDir: a.pluginData.resolveDir,
    }));
  },
};

/**
 * esbuild escapes non-ASCII characters in strings, templates and regular expressions, but keeps
 * comments as written; one character above U+00FF in a comment (an em dash, an arrow) makes V8
 * hold the whole file's source as a two-byte string (2.6 MB instead of 1.3 MB for pillarsd.js)
 * for the life of the process. Those are escaped as \\uXXXX: a comment stays a comment. Anything
 * else (the raw text of a tagged template, where an escape would change the value) stops the build.
 */
export function oneByteSource(text, file = 'bundle') {
  return text.replace(/[\u0100-\uffff]/g, (c, at) => {
    const lineStart = text.lastIndexOf('\n', at) + 1;
    const before = text.slice(lineStart, at);
    if (!/\/\/|\/\*/.test(before) && !/^\s*\*/.test(before)) {
      throw new Error(`${file}: ${JSON.stringify(c)} outside a comment at line ${text.slice(0, at).split('\n').length}; write it as an escape in the source`);
    }
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

async function buildAndWrite(options) {
  const r = await build({ ...options, write: false });
  for (const f of r.outputFiles) {
    mkdirSync(path.dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.path.endsWith('.js') ? oneByteSource(f.text, f.path) : f.contents);
  }
  return r;
}

export const nodeOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  plugins: [externalsExceptInlined],
  logLevel: 'warning',
  banner: { js: "import { createRequire as __pillarsCreateRequire } from 'node:module'; const require = __pillarsCreateRequire(import.meta.url);" },
};

/**
 * pillarsd, split: what `serve` alone needs (Fastify, the pane, TLS) loads only when it starts, so
 * `pillarsd run` from a timer starts in a fraction of the time. Returns the entry file.
 * The folder must sit inside server/ so the server's dependencies resolve.
 */
export async function bundleServer(entry, outdir) {
  await buildAndWrite({ ...nodeOptions, splitting: true, entryPoints: { pillarsd: entry }, outdir, chunkNames: 'chunks/[name]-[hash]' });
  return `${outdir}/pillarsd.js`;
}

/**
 * The `pillars` client CLI (or another Node entry), split like pillarsd: what a command imports
 * with import() (the client core, conf for doctor, the Azure SDK) is a chunk in chunks/ next to
 * the file and loads only when used; in one file every package it imports would load at start.
 * `{ splitting: false }` in `extra` makes one file. Returns the entry file.
 */
export async function bundleFile(entry, outfile, extra = {}) {
  const name = path.basename(outfile).replace(/\.m?js$/, '');
  await buildAndWrite({ ...nodeOptions, splitting: true, entryPoints: { [name]: entry }, outdir: path.dirname(outfile), chunkNames: 'chunks/[name]-[hash]', ...extra });
  return outfile;
}
