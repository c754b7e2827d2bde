// Builds every process of the project: the server and client CLIs, the Electron main process and
// its preload (bundled to CommonJS so a sandboxed preload can still use shared code), and the
// admin pane with Vite. esbuild: one fast, dependency-free bundler for all Node-side targets.
import { build } from 'esbuild';
import { build as viteBuild } from 'vite';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv[2]; // optional: server | cli | electron | renderer
const want = (t) => !only || only === t;

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  packages: 'external', // dependencies stay in node_modules (native modules must)
  logLevel: 'warning',
  banner: { js: "import { createRequire as __pillarsCreateRequire } from 'node:module'; const require = __pillarsCreateRequire(import.meta.url);" },
};

const jobs = [];
if (want('server')) {
  // Split: what `serve` alone needs (Fastify, the pane, TLS) loads only when it starts, so `pillarsd
  // run` from a timer starts in a fraction of the time.
  rmSync(path.join(root, 'server/dist'), { recursive: true, force: true });
  jobs.push(
    build({
      ...node,
      splitting: true,
      entryPoints: { pillarsd: path.join(root, 'server/src/cli/main.ts') },
      outdir: path.join(root, 'server/dist'),
      chunkNames: 'chunks/[name]-[hash]',
    }),
  );
}
if (want('cli')) {
  jobs.push(build({ ...node, entryPoints: [path.join(root, 'src/cli/main.ts')], outfile: path.join(root, 'dist/cli/pillars.js') }));
}
if (want('electron') && existsSync(path.join(root, 'src/main/electron/main.ts'))) {
  jobs.push(build({ ...node, target: 'node22', entryPoints: [path.join(root, 'src/main/electron/main.ts')], outfile: path.join(root, 'dist/main/main.js'), external: ['electron'] }));
  jobs.push(
    build({
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      sourcemap: 'inline',
      logLevel: 'warning',
      external: ['electron'],
      entryPoints: [path.join(root, 'src/preload/index.ts')],
      outfile: path.join(root, 'dist/preload/index.cjs'),
    }),
  );
}
if (want('renderer') && existsSync(path.join(root, 'src/renderer/index.html'))) {
  rmSync(path.join(root, 'dist/renderer'), { recursive: true, force: true });
  jobs.push(viteBuild({ configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn' }));
}
await Promise.all(jobs);
