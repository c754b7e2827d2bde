// Builds the `pillars` CLI bundle the way scripts/build.mjs does, into a folder of its own inside
// the repository (so node_modules resolve), for tests that time or call the CLI many times.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { REPO_ROOT } from '../../support/cli';

export async function buildCliBundle(tag: string): Promise<{ js: string; remove: () => void }> {
  const outDir = path.join(REPO_ROOT, 'dist', `test-cli-${tag}-${process.pid}`);
  const js = path.join(outDir, 'pillars.js');
  await build({
    entryPoints: [path.join(REPO_ROOT, 'src/cli/main.ts')],
    outfile: js,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __pillarsCreateRequire } from 'node:module'; const require = __pillarsCreateRequire(import.meta.url);" },
  });
  return { js, remove: () => rmSync(outDir, { recursive: true, force: true }) };
}
