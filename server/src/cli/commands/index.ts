// Each command group registers itself here; the composition root stays one short file.
import type { Command } from 'commander';

export type Register = (program: Command) => void;

import { registerEngineCommands } from './engine-commands';
import { registerSamba } from './samba';
import { registerLayout } from './layout';
import { registerToken } from './token';
import { registerPair } from './pair';
import { registerLoginLink } from './login-link';
import { registerSystemd } from './systemd';
import { registerNotify } from './notify';
import { registerUpdates } from './updates';

export const commandGroups: Register[] = [registerEngineCommands, registerSamba, registerLayout, registerToken, registerPair, registerLoginLink, registerSystemd, registerNotify, registerUpdates];
