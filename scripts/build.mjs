// Builds every process of the project: the server and client CLIs, the Electron main process and
// its preload (bundled to CommonJS so a sandboxed preload can still use shared code), and the
// admin pane with Vite. esbuild: one fast, dependency-free bundler for all Node-side targets.
import { build } from 'esbuild';
import { bundleFile, bundleServer } from './bundle.mjs';
import { build as viteBuild } from 'vite';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv[2]; // optional: server | cli | electron | renderer
const want = (t) => !only || only === t;

const jobs = [];
if (want('server')) {
  rmSync(path.join(root, 'server/dist'), { recursive: true, force: true });
  jobs.push(bundleServer(path.join(root, 'server/src/cli/main.ts'), path.join(root, 'server/dist')));
}
if (want('cli')) {
  rmSync(path.join(root, 'dist/cli'), { recursive: true, force: true }); // no chunks of an older build
  jobs.push(bundleFile(path.join(root, 'src/cli/main.ts'), path.join(root, 'dist/cli/pillars.js')));
}
if (want('electron') && existsSync(path.join(root, 'src/main/electron/main.ts'))) {
  // the tray's main process stays one file (dist/main/main.js, what package.json and the packaging expect)
  jobs.push(bundleFile(path.join(root, 'src/main/electron/main.ts'), path.join(root, 'dist/main/main.js'), { target: 'node22', external: ['electron'], splitting: false }));
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
