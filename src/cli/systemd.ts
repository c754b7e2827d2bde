// `pillars systemd unit`: a systemd *user* unit that keeps the pillars mounted on a host without a
// desktop (an SSH box): `pillars watch` started at login, or at boot with lingering. The mounts are
// smbnetfs daemons of their own, so KillMode=process: a restart of the watcher (a crash, an
// upgrade) leaves them in place, and `pillars unmount` is what takes them down.
import path from 'node:path';

/** systemd's quoting for ExecStart= arguments: double quotes, with \ and " escaped; % doubled (specifiers). */
export function unitArg(s: string): string {
  const escaped = s.replace(/%/g, '%%');
  return /^[A-Za-z0-9_@+=:,./-]+$/.test(escaped) ? escaped : `"${escaped.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function systemdUnit(o: { node: string; cli: string; config?: string; passwordFile?: string }): string {
  const argv = [o.node, path.resolve(o.cli), ...(o.config ? ['--config', path.resolve(o.config)] : []), 'watch', ...(o.passwordFile ? ['--password-file', path.resolve(o.passwordFile)] : [])];
  return [
    '# Pillars: keeps the home lab pillars mounted (pillars watch). A systemd user unit:',
    '#   pillars systemd unit [--password-file FILE] > ~/.config/systemd/user/pillars.service',
    '#   systemctl --user daemon-reload && systemctl --user enable --now pillars',
    '#   loginctl enable-linger "$USER"     # to start at boot, without a login',
    '# Logs: journalctl --user -u pillars. Status: pillars status (it asks this service).',
    '# Documented in docs/client.md, "A host without a desktop".',
    '[Unit]',
    'Description=Pillars: keep the home lab pillars mounted',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${argv.map(unitArg).join(' ')}`,
    'Environment=NO_COLOR=1',
    'Restart=on-failure',
    'RestartSec=10',
    '# the FUSE mounts are daemons of their own: a restart of the watcher leaves them mounted',
    'KillMode=process',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}
