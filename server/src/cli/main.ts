// `pillarsd`: the composition root of the server process.
import { Command } from 'commander';
import { buildApp } from '../http/app';
import { VERSION } from '../version';

const program = new Command('pillarsd').version(VERSION).description('the companion server on motoko');

program
  .command('demo')
  .description('a sandboxed motoko in DIR, then serve')
  .option('--dir <dir>', 'sandbox folder')
  .option('--port <n>', 'port', '8443')
  .option('--json', 'machine-readable output')
  .action(async (opts: { port: string; json?: boolean }) => {
    const app = await buildApp();
    const host = '127.0.0.1';
    await app.listen({ host, port: Number(opts.port) });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : Number(opts.port);
    const url = `http://${host}:${port}/`;
    if (opts.json) console.log(JSON.stringify({ url }));
    else console.log(`pillarsd demo: admin pane at ${url}`);
  });

await program.parseAsync(process.argv);
