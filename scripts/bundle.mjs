// How every Node target is bundled, in one place: scripts/build.mjs uses it for what ships, and the
// tests and benchmarks that need a CLI bundle of their own use it too, so they measure the same thing.
import { build } from 'esbuild';

/**
 * Pure-JS dependencies every command loads, inlined: Node resolves, reads and compiles each file
 * of an external package on every start (zod and yaml are a few hundred ESM files), which was
 * most of `pillarsd run`'s start-up. Everything else stays in node_modules: native modules must,
 * and the large ones (Fastify, the Azure SDK) load only on the paths that need them.
 */
export const INLINED = ['zod', 'yaml', 'commander', 'croner'];

const packageName = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

const externalsExceptInlined = {
  name: 'externals-except-inlined',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (a) => (INLINED.includes(packageName(a.path)) ? undefined : { external: true }));
  },
};

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
  await build({ ...nodeOptions, splitting: true, entryPoints: { pillarsd: entry }, outdir, chunkNames: 'chunks/[name]-[hash]' });
  return `${outdir}/pillarsd.js`;
}

/** The `pillars` client CLI (or another single-file Node entry). Returns the file. */
export async function bundleFile(entry, outfile, extra = {}) {
  await build({ ...nodeOptions, entryPoints: [entry], outfile, ...extra });
  return outfile;
}
