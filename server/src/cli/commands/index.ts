// Each command group registers itself here; the composition root stays one short file.
import type { Command } from 'commander';

export type Register = (program: Command) => void;

export const commandGroups: Register[] = [];
