// A tray release as electron-builder writes it into release/: the builds (random bytes here: the
// real ones need macOS, Windows and the Electron binary) and latest.yml, latest-mac.yml and
// latest-linux.yml naming them with their sha512 (base64) and size, in electron-builder's layout.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';

export interface TrayRelease {
  dir: string;
  version: string;
  /** feed name → build file name */
  builds: Record<'latest.yml' | 'latest-mac.yml' | 'latest-linux.yml', string>;
  /** every file of the release, feeds first */
  files: string[];
  bytes: Record<string, Buffer>;
}

export const sha512b64 = (b: Buffer) => createHash('sha512').update(b).digest('base64');

export function feedText(version: string, file: string, data: Buffer, releaseDate = '2026-12-04T23:00:00.000Z'): string {
  const sha512 = sha512b64(data);
  return stringify({ version, files: [{ url: file, sha512, size: data.length }], path: file, sha512, releaseDate });
}

export function writeTrayRelease(parent: string, version: string, size = 64 * 1024): TrayRelease {
  const dir = path.join(parent, `release-${version}`);
  mkdirSync(dir, { recursive: true });
  const builds = { 'latest.yml': `Pillars-Setup-${version}.exe`, 'latest-mac.yml': `Pillars-${version}-universal-mac.zip`, 'latest-linux.yml': `pillars_${version}_amd64.deb` } as const;
  const bytes: Record<string, Buffer> = {};
  for (const [feed, file] of Object.entries(builds)) {
    const data = randomBytes(size);
    bytes[file] = data;
    writeFileSync(path.join(dir, file), data);
    writeFileSync(path.join(dir, feed), feedText(version, file, data));
  }
  return { dir, version, builds: { ...builds }, files: [...Object.keys(builds), ...Object.values(builds)].map((f) => path.join(dir, f)), bytes };
}
