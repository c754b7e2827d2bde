// `pillarsd`: the composition root of the server process.
import { Command } from 'commander';
import { commandGroups } from './commands/index';
import { VERSION } from '../version';

const program = new Command('pillarsd').version(VERSION).description('the companion server on motoko');
for (const register of commandGroups) register(program);
await program.parseAsync(process.argv);
