#!/usr/bin/env node
// Runs the built client CLI when present, otherwise the TypeScript source through tsx (a checkout
// that has not been built yet still answers `npx pillars`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = fileURLToPath(new URL('../dist/cli/pillars.js', import.meta.url));
if (existsSync(built) && !process.env.PILLARS_FROM_SOURCE) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
