// Where the built admin pane (dist/renderer) is, from the source tree or from the built server.
import fs from 'node:fs';
import path from 'node:path';

export function findAdminDir(fromUrl: string): string | undefined {
  const here = path.dirname(new URL(fromUrl).pathname);
  for (const rel of ['../../../../dist/renderer', '../../dist/renderer', '../../../dist/renderer']) {
    const p = path.resolve(here, rel);
    if (fs.existsSync(path.join(p, 'index.html'))) return p;
  }
  return undefined;
}
