// Shared by every fault test: one root folder for the whole run (created by the global setup and
// scanned for test secrets when the run ends, so state dirs, logs, databases and settings files
// are left in place until then), the secret registry the argv sampler reads, the quick/full
// switch, and the writer of docs/reliability.md sections.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const FULL = process.env.PILLARS_FAULTS === 'full';
export const MODE = FULL ? 'full' : 'quick';

export function faultsRoot(): string {
  const root = process.env.PILLARS_FAULTS_ROOT;
  if (!root || !existsSync(root)) throw new Error('PILLARS_FAULTS_ROOT is not set: run the fault suite with `npm run faults` (vitest.faults.config.ts sets it up)');
  return root;
}

/** A fresh folder under the run's root; it stays until the final secret scan. */
export function faultDir(name: string): string {
  const base = path.join(faultsRoot(), 'work');
  mkdirSync(base, { recursive: true });
  return mkdtempSync(path.join(base, `${name}-`));
}

/** Registers values that must never appear in argv, logs, databases or settings files. */
export function registerSecrets(...values: string[]): void {
  for (const v of values) {
    if (v.length < 8) throw new Error('registerSecrets: a test secret must be at least 8 characters (short ones match by chance)');
    appendFileSync(path.join(faultsRoot(), 'secrets.txt'), `${v}\n`);
  }
}

export function registeredSecrets(root: string): string[] {
  const f = path.join(root, 'secrets.txt');
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
}

const COMMITTED = path.resolve(import.meta.dirname, '../../../docs/reliability.md');
/** PILLARS_DOCS_DIR: write there instead (the test command does, so a test run leaves the committed figures alone). */
const DOC = process.env.PILLARS_DOCS_DIR ? path.join(process.env.PILLARS_DOCS_DIR, 'reliability.md') : COMMITTED;
const HEADER = `# Reliability: the fault-injection suite

Every figure below is written by \`npm run faults\` (\`test/faults/\`, vitest.faults.config.ts) from
what it measured: the fault, the method, the figure and the verdict. CI runs the quick mode;
\`PILLARS_FAULTS=full npm run faults\` runs the long one (20 crash points instead of 5, 60 s of load
instead of 10). A section says which mode wrote it. Every part is real (restic 0.14, rclone 1.60,
smbd 4.17, smbnetfs over FUSE, \`pillarsd\` processes); nothing is skipped: a missing component fails
the suite.
`;

/** Replaces (or appends) the section `name` of docs/reliability.md. */
export function writeReliability(name: string, markdown: string): void {
  const begin = `<!-- faults:${name} -->`;
  const end = `<!-- /faults:${name} -->`;
  let doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : existsSync(COMMITTED) ? readFileSync(COMMITTED, 'utf8') : HEADER;
  const block = `${begin}\n${markdown.trim()}\n\n_${MODE} mode, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC._\n${end}`;
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  doc = i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(DOC, doc);
}
