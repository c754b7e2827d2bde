// Picks the adapter for the OS this process runs on and hands it the host's real effects.
import os from 'node:os';
import path from 'node:path';
import type { Platform } from './types';
import { createExec, createFs } from './host';
import { createLinuxPlatform } from './linux/adapter';

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
    default:
      // the macOS and Windows adapters plug in here (src/platform/mac, src/platform/win)
      throw new Error(`no platform adapter for ${process.platform} yet`);
  }
}
