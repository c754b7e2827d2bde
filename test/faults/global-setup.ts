// The frame of the fault run: one root folder every test works under (PILLARS_FAULTS_ROOT), an
// argv sampler over the whole run, and at the end a scan of every log, database and settings file
// left under the root for the secrets the tests registered. Any hit fails the run (the teardown
// throws) and is written to docs/reliability.md.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, lstatSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registeredSecrets, writeReliability } from './support/run';
import { removeTree } from '../support/guarded';
import { bundleFile, bundleServer } from '../../scripts/bundle.mjs';

let sampler: ChildProcess | null = null;
let root = '';

/** Files a secret must never reach: logs, databases, settings and config files, captured output. */
export const SCANNED = /(\.(log|db|db-wal|db-shm|sqlite|json|yaml|yml|conf|txt|out|err)$)|(\/logs\/[^/]+$)/;

export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(d, n);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      // never descend into a live network mount (a hung share would hang the scan)
      if (st.isDirectory() && !isMountPoint(p)) walk(p);
      else if (st.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function isMountPoint(p: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === p);
}

const REPO = path.resolve(import.meta.dirname, '../..');
const BUNDLE_DIR = path.join(REPO, 'server/dist', `faults-${process.pid}`);
const CLI_DIR = path.join(REPO, 'dist', `faults-${process.pid}`);

export async function setup(): Promise<void> {
  root = mkdtempSync(path.join(os.tmpdir(), 'pillars-faults-'));
  process.env.PILLARS_FAULTS_ROOT = root;
  // pillarsd as shipped (scripts/bundle.mjs, split as scripts/build.mjs makes it; next to server/node_modules
  // so its dependencies resolve): the crash points and the load run start it dozens of times
  const outfile = await bundleServer(path.join(REPO, 'server/src/cli/main.ts'), BUNDLE_DIR);
  process.env.PILLARS_FAULTS_PILLARSD = outfile;
  // and the client CLI (`pillars watch` hosts the client core in its own process, as in production)
  const cliOut = await bundleFile(path.join(REPO, 'src/cli/main.ts'), path.join(CLI_DIR, 'pillars.js'));
  process.env.PILLARS_FAULTS_PILLARS = cliOut;
  writeFileSync(path.join(root, 'secrets.txt'), '', { mode: 0o600 });
  sampler = spawn(process.execPath, [path.join(import.meta.dirname, 'support/argv-sampler.mjs'), path.join(root, 'secrets.txt')], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    sampler!.stdout!.once('data', () => resolve());
    sampler!.once('error', reject);
  });
}

export async function teardown(): Promise<void> {
  let report = { samples: 0, processesSeen: 0, secrets: 0, hits: [] as Array<{ pid: string; argv0: string }> };
  if (sampler) {
    const s = sampler;
    const out = new Promise<string>((resolve) => {
      let buf = '';
      s.stdout!.on('data', (b: Buffer) => (buf += b.toString()));
      s.once('exit', () => resolve(buf));
    });
    s.kill('SIGTERM');
    const lines = (await out).trim().split('\n');
    report = JSON.parse(lines[lines.length - 1] ?? '{}') as typeof report;
  }
  const secrets = registeredSecrets(root).map((s) => Buffer.from(s));
  const files = filesUnder(root).filter((f) => SCANNED.test(f) && path.basename(f) !== 'secrets.txt');
  const fileHits: string[] = [];
  let bytes = 0;
  for (const f of files) {
    let b: Buffer;
    try {
      b = readFileSync(f);
    } catch {
      continue;
    }
    bytes += b.length;
    for (const s of secrets) if (b.includes(s)) fileHits.push(path.relative(root, f));
  }
  const kinds = (re: RegExp) => files.filter((f) => re.test(f)).length;
  const ok = report.hits.length === 0 && fileHits.length === 0 && report.samples > 0 && secrets.length > 0 && files.length > 0;
  writeReliability(
    'secrets',
    `## No secret in argv, logs, databases or settings files (whole run)

Method: every test registers its secrets (restic passwords, SMB passwords, API tokens, the rclone
remote's obscured key) before use. A separate process read every \`/proc/*/cmdline\` every 20 ms for
the whole run: ${report.samples.toLocaleString('en')} samples, ${report.processesSeen.toLocaleString('en')} process argv read.
When the run ended, every log, database (SQLite with its WAL), settings and config file and every
captured stdout/stderr under the run's folder was searched byte for byte: ${files.length} files
(${kinds(/\.(db|db-wal|db-shm|sqlite)$/)} database files, ${kinds(/(\.log$)|(\/logs\/)/)} logs, ${kinds(/\.(json|yaml|yml|conf)$/)} settings/config files), ${(bytes / 2 ** 20).toFixed(1)} MB,
for ${secrets.length} registered secrets. Password files handed to children (0600, rule 6 of docs/architecture.md) are
not scanned: holding the secret is their purpose.

| check | result | verdict |
|---|---|---|
| argv samples holding a secret | ${report.hits.length} | ${report.hits.length === 0 && report.samples > 0 ? 'met' : 'MISSED'} |
| files holding a secret | ${fileHits.length}${fileHits.length ? ` (${fileHits.slice(0, 5).join(', ')})` : ''} | ${fileHits.length === 0 && files.length > 0 ? 'met' : 'MISSED'} |`,
  );
  // a test that failed half-way may leave a mount (never delete through one) and guarded folders
  removeTree(root);
  rmSync(BUNDLE_DIR, { recursive: true, force: true });
  rmSync(CLI_DIR, { recursive: true, force: true });
  if (!ok) {
    throw new Error(
      `secret scan failed: ${report.hits.length} argv hits ${JSON.stringify(report.hits.slice(0, 5))}, files ${JSON.stringify(fileHits.slice(0, 10))}; ${report.samples} samples, ${secrets.length} secrets, ${files.length} files`,
    );
  }
}
