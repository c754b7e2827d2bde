// A motoko for the engine benches (test/support/motoko.ts): Flux, Space and Time as plain folders
// with their sentinels, a `cloud/` folder for a local remote, a file in Space, and the pillarsd.yaml
// built from the bench's options (also written to root/pillarsd.yaml).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../server/src/config/load';
import type { LoadedConfig } from '../../server/src/config/load';
import { makeMotokoFolders, motokoConfig } from '../../test/support/motoko';
import type { MotokoConfigOptions } from '../../test/support/motoko';

export function benchMotoko(root: string, o: Omit<MotokoConfigOptions, 'root'>): { root: string; loaded: LoadedConfig } {
  makeMotokoFolders(root);
  writeFileSync(path.join(root, 'space', 'data.txt'), 'data');
  const yaml = motokoConfig({ root, ...o });
  const file = path.join(root, 'pillarsd.yaml');
  // written too, for a bench that starts pillarsd as a process of its own
  writeFileSync(file, yaml);
  return { root, loaded: { file, config: parseConfig(yaml, file) } };
}
