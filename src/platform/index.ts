// Picks the adapter for the OS this process runs on and hands it the host's real effects.
import os from 'node:os';
import path from 'node:path';
import type { Platform } from './types';
import { createExec, createFs, createStartProcess } from './host';
import { createLinuxPlatform } from './linux/adapter';
import { createGvfsPlatform } from './linux/gvfs';
import { existsSync } from 'node:fs';
import { createMacPlatform } from './mac/macPlatform';
import { createWinPlatform } from './win/winPlatform';

export interface PlatformConfig {
  /** absolute mount root (settings.mountRoot with ~ expanded) */
  mountRoot: string;
  links: boolean;
  /** settings.linux.backend: auto = GVfs in a desktop session that runs it, smbnetfs otherwise */
  linuxBackend?: 'auto' | 'smbnetfs' | 'gvfs';
  env?: NodeJS.ProcessEnv;
}

/** A private runtime folder: $XDG_RUNTIME_DIR/pillars (tmpfs, per user), else one under the temp dir. */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'pillars');
  return path.join(os.tmpdir(), `pillars-runtime-${process.getuid?.() ?? 'u'}`);
}

/** A desktop session with GVfs's FUSE daemon running ($XDG_RUNTIME_DIR/gvfs). */
export function useGvfs(backend: 'auto' | 'smbnetfs' | 'gvfs', env: NodeJS.ProcessEnv): boolean {
  if (backend !== 'auto') return backend === 'gvfs';
  if (!env.XDG_CURRENT_DESKTOP || !env.DBUS_SESSION_BUS_ADDRESS || !env.XDG_RUNTIME_DIR) return false;
  return existsSync(path.join(env.XDG_RUNTIME_DIR, 'gvfs'));
}

export function createPlatform(cfg: PlatformConfig): Platform {
  const env = cfg.env ?? process.env;
  const exec = createExec({ env });
  const fs = createFs();
  switch (process.platform) {
    case 'linux':
      if (useGvfs(cfg.linuxBackend ?? 'auto', env))
        return createGvfsPlatform({ exec, fs, home: env.HOME ?? os.homedir(), mountRoot: cfg.mountRoot, gvfsRoot: path.join(env.XDG_RUNTIME_DIR ?? '', 'gvfs'), links: cfg.links, uid: process.getuid?.() ?? 1000 });
      return createLinuxPlatform({
        exec,
        fs,
        home: env.HOME ?? os.homedir(),
        uid: process.getuid?.() ?? 1000,
        mountRoot: cfg.mountRoot,
        runtimeDir: runtimeDir(env),
        links: cfg.links,
        ...(env.PATH ? { pathVar: env.PATH } : {}),
      });
    case 'darwin':
      // $TMPDIR is per user and private on macOS
      return createMacPlatform({ exec, fs, home: env.HOME ?? os.homedir(), user: os.userInfo().username, runtimeDir: path.join(os.tmpdir(), 'pillars-run'), mountRoot: cfg.mountRoot, links: cfg.links });
    case 'win32':
      return createWinPlatform({ exec, start: createStartProcess({ env }), home: os.homedir(), user: os.userInfo().username });
    default:
      throw new Error(`no platform adapter for ${process.platform}`);
  }
}
