// `pillarsd systemd unit`: a hardened unit for `pillarsd serve`. The hardening must still let it
// read every file it backs up, write its state, the pillars and Samba's config, and run testparm,
// smbcontrol, restic and rclone. docs/systemd.md explains each line.
import path from 'node:path';
import type { Command } from 'commander';
import { action, CliExit, printJson, withCommon, type CommonOpts } from './engine-shared';
import { ConfigError, configPath, loadConfigFile } from '../../config/load';

export interface UnitInput {
  /** argv of the server binary, absolute program first (e.g. /usr/local/bin/pillarsd) */
  exec: string[];
  configFile: string;
  stateDir: string;
  /** pillar paths: written by jobs (restic repository, layout) and required to be mounted first */
  pillars: string[];
  /** folders of Samba's configuration that `samba apply` writes */
  sambaConfigDirs: string[];
}

const DEFAULT_STATE = '/var/lib/pillars';

function quote(arg: string): string {
  // systemd's own quoting: double quotes, with backslash and quote escaped; % doubled (specifiers).
  const s = arg.replace(/%/g, '%%');
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function pathList(paths: string[]): string {
  return paths.map((p) => quote(p)).join(' ');
}

export function renderUnit(u: UnitInput): string {
  for (const p of [u.configFile, u.stateDir, ...u.pillars, ...u.sambaConfigDirs]) {
    if (!path.isAbsolute(p) || /[\n\r]/.test(p)) throw new Error(`not an absolute path for the unit: ${JSON.stringify(p)}`);
  }
  if (!u.exec[0] || !path.isAbsolute(u.exec[0])) throw new Error(`ExecStart needs an absolute program path, not ${JSON.stringify(u.exec[0] ?? '')}`);
  const stateIsDefault = path.resolve(u.stateDir) === DEFAULT_STATE;
  // The admin pane's schedule editor rewrites pillarsd.yaml (temp file + rename, so the folder must
  // be writable). Only a folder of its own is opened, such as /etc/pillars: a config straight in
  // /etc would open all of /etc, and there the editor answers that it cannot write instead.
  const configDir = path.dirname(path.resolve(u.configFile));
  const ownConfigDir = configDir.split('/').filter(Boolean).length >= 2;
  const writable = [...(stateIsDefault ? [] : [u.stateDir]), ...u.pillars, ...(ownConfigDir ? [configDir] : [])];
  // Samba's runtime folders differ between distributions; '-' lets a missing one pass.
  const sambaRuntime = [...u.sambaConfigDirs, '/var/lib/samba', '/run/samba', '/var/run/samba', '/var/cache/samba', '/var/log/samba'].map((p) => `-${quote(p)}`);
  const lines = [
    '[Unit]',
    'Description=pillarsd: Pillars companion server (jobs, Samba, API)',
    'Documentation=file:///usr/share/doc/pillars/systemd.md',
    'Wants=network-online.target',
    'After=network-online.target local-fs.target remote-fs.target',
    ...(u.pillars.length ? [`RequiresMountsFor=${pathList(u.pillars)}`] : []),
    '',
    '[Service]',
    'Type=exec',
    `ExecStart=${[...u.exec, 'serve', '--config', u.configFile].map(quote).join(' ')}`,
    'Restart=on-failure',
    'RestartSec=5s',
    'KillMode=mixed',
    'KillSignal=SIGTERM',
    'TimeoutStopSec=90s',
    'User=root',
    'UMask=0027',
    ...(stateIsDefault ? ['StateDirectory=pillars', 'StateDirectoryMode=0750'] : []),
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    `ReadWritePaths=${pathList(writable)}${writable.length ? ' ' : ''}${sambaRuntime.join(' ')}`,
    'ProtectHome=read-only',
    'PrivateTmp=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'RestrictSUIDSGID=yes',
    'RestrictRealtime=yes',
    'RestrictNamespaces=yes',
    'LockPersonality=yes',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
    'SystemCallArchitectures=native',
    'SystemCallFilter=@system-service',
    'SystemCallErrorNumber=EPERM',
    'CapabilityBoundingSet=CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_CHOWN CAP_FOWNER CAP_FSETID CAP_KILL CAP_NET_BIND_SERVICE',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}

/** The unit's inputs from a configuration file; the schema's defaults when there is none yet. */
export function unitInputFrom(configFile: string, exec: string[]): UnitInput {
  try {
    const { config } = loadConfigFile(configFile);
    const samba = config.samba ? [path.dirname(config.samba.configFile)] : ['/etc/samba'];
    return { exec, configFile, stateDir: config.stateDir, pillars: Object.values(config.pillars).map((p) => p.path), sambaConfigDirs: [...new Set(samba)] };
  } catch (e) {
    if (e instanceof ConfigError && /ENOENT|no such file|not found/i.test(e.message)) {
      return { exec, configFile, stateDir: DEFAULT_STATE, pillars: ['/flux', '/space', '/time'], sambaConfigDirs: ['/etc/samba'] };
    }
    throw e;
  }
}

interface UnitOpts extends CommonOpts {
  exec?: string;
}

export function registerSystemd(program: Command): void {
  const systemd = program.command('systemd').description('systemd integration');
  withCommon(systemd.command('unit').description('print a hardened unit for `pillarsd serve` (see docs/systemd.md)'))
    .option('--exec <path>', 'absolute path of the pillarsd program', '/usr/local/bin/pillarsd')
    .action(
      action(async (opts: UnitOpts) => {
        const exec = (opts.exec ?? '/usr/local/bin/pillarsd').split(' ').filter(Boolean);
        let unit: string;
        try {
          unit = renderUnit(unitInputFrom(configPath(opts.config), exec));
        } catch (e) {
          throw new CliExit(2, (e as Error).message);
        }
        if (opts.json) return printJson({ unit });
        process.stdout.write(unit);
      }),
    );
}
