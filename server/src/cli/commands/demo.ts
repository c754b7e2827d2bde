// `pillarsd demo [--dir DIR] [--port N] [--scenario blocked-sync|restore]`: a sandboxed motoko
// (pillars as folders with sample data, a local restic repository, a local "cloud"), then serve.
// Prints the admin URL and an admin token.
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { action, CliExit, printJson } from './engine-shared';
import { loadConfigFile } from '../../config/load';
import { applyScenario, buildDemo } from '../../infra/demo-tree';
import { startServe, stopOnSignals } from './serve';
import { createLoginLink } from './login-link';

interface DemoOpts {
  dir?: string;
  port?: string;
  scenario?: string;
  json?: boolean;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('a sandboxed motoko in DIR with sample data, then serve; prints the admin URL and a token')
    .option('--dir <dir>', 'sandbox folder (default: $TMPDIR/pillars-demo)')
    .option('--port <n>', 'HTTP port on 127.0.0.1 (default: any free port)')
    .option('--scenario <name>', 'blocked-sync: move 30% of Space aside so the next offsite sync is blocked; restore: put it back (then exits)')
    .option('--json', 'machine-readable output')
    .action(
      action(async (opts: DemoOpts) => {
        const dir = path.resolve(opts.dir ?? path.join(os.tmpdir(), 'pillars-demo'));
        const port = opts.port === undefined ? 0 : Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliExit(2, `--port must be a port number, not "${opts.port}"`);
        const { layout, created } = buildDemo(dir);
        if (opts.scenario) {
          const msg = applyScenario(dir, opts.scenario);
          if (opts.json) printJson({ dir, scenario: opts.scenario, message: msg });
          else process.stdout.write(`${msg}\n`);
          return 0;
        }
        const loaded = loadConfigFile(layout.configFile);
        const s = await startServe(loaded, { host: '127.0.0.1', port, tls: 'off' });
        const token = s.tokens.create({ role: 'admin', name: `demo ${new Date().toISOString()}` });
        const link = createLoginLink(s.rt.db, { baseUrl: s.url, role: 'admin', actor: 'demo', stateDir: loaded.config.stateDir });
        // a first backup (and the offsite sync after it) so the pane has history to show
        if (created) s.rt.engine.enqueue('flux-backup', 'manual');
        if (opts.json) printJson({ url: s.url, loginLink: link.url, token: token.token, dir, config: layout.configFile });
        else {
          process.stdout.write(
            `pillarsd demo in ${dir}${created ? ' (new sandbox)' : ''}\n` +
              `admin URL:   ${s.url}/\n` +
              `login link:  ${link.url}  (opens the pane signed in; usable once, until ${link.expiresAt})\n` +
              `admin token: ${token.token}\n` +
              `more links:  pillarsd login-link --config ${layout.configFile}\n` +
              `config:      ${layout.configFile}\n` +
              `blocked sync on demand: pillarsd demo --dir ${dir} --scenario blocked-sync, then run space-offsite\n`,
          );
        }
        return stopOnSignals(s);
      }),
    );
}
