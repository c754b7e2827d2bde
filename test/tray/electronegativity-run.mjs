// Runs electronegativity's scanner on one folder and prints its findings as JSON (one line).
// A separate process: the scanner registers globals (i18n's __) and loggers of its own. The
// translations are the ones shipped in the package (no download), and the check that fetches
// Electron's release list from the network is excluded (this machine has no internet).
import path from 'node:path';
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url); // the scanner is CommonJS
const base = path.dirname(load.resolve('@doyensec/electronegativity/package.json'));
const i18n = load(load.resolve('i18n', { paths: [base] }));
i18n.configure({ locales: ['en-US'], defaultLocale: 'en-US', directory: path.join(base, 'dist/locales'), updateFiles: false, objectNotation: true, retryInDefaultLocale: true, register: global });
i18n.setLocale('en-US');
const run = load(path.join(base, 'dist/runner.js'));
run(
  { input: path.resolve(process.argv[2]), customScan: [], excludeFromScan: ['availablesecurityfixesglobalcheck'], isRelative: true, isVerbose: false, electronVersionOverride: process.argv[3], parserPlugins: [] },
  false,
)
  .then((r) => {
    const issues = r.issues.map((i) => ({ id: i.id, severity: i.severity.name, confidence: i.confidence.name, file: i.file, line: i.location.line, manualReview: i.manualReview }));
    process.stdout.write(JSON.stringify({ globalChecks: r.globalChecks, atomicChecks: r.atomicChecks, errors: r.errors.length, issues }) + '\n');
  })
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
