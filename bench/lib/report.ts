// Shared by every benchmark: summary statistics, a description of the machine, and the rewrite of
// one section of docs/benchmarks.md (between markers) so benchmarks can run alone or together.
import { cpus, totalmem, release } from 'node:os';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';

export interface Stats {
  n: number;
  median: number;
  min: number;
  max: number;
  p50: number;
  p99: number;
}

export function stats(samples: readonly number[]): Stats {
  if (samples.length === 0) throw new Error('stats: no samples');
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  const mid = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { n: s.length, median: mid, min: s[0]!, max: s[s.length - 1]!, p50: q(50), p99: q(99) };
}

export function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}`;
}

export const fmt = (n: number, digits = 1) => n.toFixed(digits);

const COMMITTED = path.resolve(import.meta.dirname, '../../docs/benchmarks.md');
/** PILLARS_DOCS_DIR: write there instead (the test command does, so a test run leaves the committed figures alone). */
const DOC = process.env.PILLARS_DOCS_DIR ? path.join(process.env.PILLARS_DOCS_DIR, 'benchmarks.md') : COMMITTED;
const HEADER = `# Benchmarks

Every figure below is written by a script in \`bench/\` (\`npm run bench\`, or one script with
\`npx tsx bench/<name>.ts\`). Each section names its method, the machine it ran on, the median with
min and max, and the ratio against its baseline or target. Quick mode is what CI-sized machines
run; \`PILLARS_FULL=1\` runs the full sizes.
`;

/** Replaces (or appends) the section `name` of docs/benchmarks.md. */
export function writeSection(name: string, markdown: string): void {
  const begin = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  let doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : existsSync(COMMITTED) ? readFileSync(COMMITTED, 'utf8') : HEADER;
  const block = `${begin}\n${markdown.trim()}\n\n_Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}._\n${end}`;
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  doc = i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(DOC, doc);
}
