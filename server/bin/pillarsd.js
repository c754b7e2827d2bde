#!/usr/bin/env node
// Runs the built server when present, otherwise the TypeScript source through tsx (a checkout
// that has not been built yet still answers `npx pillarsd`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = fileURLToPath(new URL('../dist/pillarsd.js', import.meta.url));
if (existsSync(built) && !process.env.PILLARS_FROM_SOURCE) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
