// A motoko for the engine benches: Flux, Space and Time as plain folders with their sentinels, a
// `cloud/` folder for a local remote, and the head of a pillarsd.yaml (state, server, pillars) the
// bench completes with its remotes and jobs (also written to root/pillarsd.yaml).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../server/src/config/load';
import type { LoadedConfig } from '../../server/src/config/load';

export function benchMotoko(root: string, rest: string): { root: string; loaded: LoadedConfig } {
  for (const p of ['flux', 'space', 'time', 'cloud']) mkdirSync(path.join(root, p), { recursive: true });
  for (const p of ['flux', 'space', 'time']) writeFileSync(path.join(root, p, '.pillar'), `${p}\n`);
  writeFileSync(path.join(root, 'space', 'data.txt'), 'data');
  const yaml = `stateDir: ${root}/state
server: { listen: "127.0.0.1:0", tls: "off" }
pillars:
  flux: { path: ${root}/flux, requireMount: false }
  space: { path: ${root}/space, requireMount: false }
  time: { path: ${root}/time, requireMount: false }
${rest}`;
  const file = path.join(root, 'pillarsd.yaml');
  // written too, for a bench that starts pillarsd as a process of its own
  writeFileSync(file, yaml);
  return { root, loaded: { file, config: parseConfig(yaml, file) } };
}
