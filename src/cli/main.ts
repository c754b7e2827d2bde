// `pillars`: the client CLI, the composition root of the client core without a tray.
import { Command } from 'commander';

const program = new Command('pillars').version('0.1.0').description('mount and check the pillars from a shell');
await program.parseAsync(process.argv);
