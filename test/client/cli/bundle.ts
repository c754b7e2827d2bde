// Builds the `pillars` CLI bundle as scripts/build.mjs does (scripts/bundle.mjs), into a folder of its own inside
// the repository (so node_modules resolve), for tests that time or call the CLI many times.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { bundleFile } from '../../../scripts/bundle.mjs';
import { REPO_ROOT } from '../../support/cli';

export async function buildCliBundle(tag: string): Promise<{ js: string; remove: () => void }> {
  const outDir = path.join(REPO_ROOT, 'dist', `test-cli-${tag}-${process.pid}`);
  const js = path.join(outDir, 'pillars.js');
  await bundleFile(path.join(REPO_ROOT, 'src/cli/main.ts'), js);
  return { js, remove: () => rmSync(outDir, { recursive: true, force: true }) };
}
