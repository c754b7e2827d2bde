import path from 'node:path';
import { removeFile } from '../infra/fs';

export function removeFileQuiet(dir: string, name: string): void {
  try {
    removeFile(path.join(dir, name));
  } catch {
    /* already gone */
  }
}
