// Picks the adapter for the OS this process runs on and hands it the host's real effects.
import os from 'node:os';
import path from 'node:path';
import type { Platform } from './types';
import { createExec, createFs } from './host';
import { createLinuxPlatform } from './linux/adapter';
import { createMacPlatform } from './mac/macPlatform';
import { createWinPlatform } from './win/winPlatform';

export interface PlatformConfig {
  /** absolute mount root (settings.mountRoot with ~ expanded) */
  mountRoot: string;
  links: boolean;
  env?: NodeJS.ProcessEnv;
}

/** A private runtime folder: $XDG_RUNTIME_DIR/pillars (tmpfs, per user), else one under the temp dir. */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'pillars');
  return path.join(os.tmpdir(), `pillars-runtime-${process.getuid?.() ?? 'u'}`);
}

export function createPlatform(cfg: PlatformConfig): Platform {
  const env = cfg.env ?? process.env;
  const exec = createExec({ env });
  const fs = createFs();
  switch (process.platform) {
    case 'linux':
      return createLinuxPlatform({ exec, fs, home: env.HOME ?? os.homedir(), uid: process.getuid?.() ?? 1000, mountRoot: cfg.mountRoot, runtimeDir: runtimeDir(env), links: cfg.links });
    case 'darwin':
      // $TMPDIR is per user and private on macOS
      return createMacPlatform({ exec, fs, home: env.HOME ?? os.homedir(), user: os.userInfo().username, runtimeDir: path.join(os.tmpdir(), 'pillars-run'), mountRoot: cfg.mountRoot, links: cfg.links });
    case 'win32':
      return createWinPlatform({ exec, fs, home: os.homedir(), user: os.userInfo().username, runtimeDir: path.join(env.LOCALAPPDATA ?? path.join(os.homedir(), 'AppData', 'Local'), 'Pillars', 'run') });
    default:
      throw new Error(`no platform adapter for ${process.platform}`);
  }
}
