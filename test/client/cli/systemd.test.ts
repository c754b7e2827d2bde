// `pillars systemd unit`: a user unit that runs `watch` with absolute paths, keeps the FUSE mounts
// across restarts of the watcher, and quotes what systemd would otherwise split or expand.
import { describe, expect, it } from 'vitest';
import { systemdUnit, unitArg } from '../../../src/cli/systemd';

describe('systemd user unit', () => {
  it('runs watch with the password file, restarts on failure, and leaves the mounts to `pillars unmount`', () => {
    const u = systemdUnit({ node: '/usr/bin/node', cli: '/opt/pillars/dist/cli/pillars.js', passwordFile: '/home/mike/.config/Pillars/smb-password' });
    expect(u).toContain('ExecStart=/usr/bin/node /opt/pillars/dist/cli/pillars.js watch --password-file /home/mike/.config/Pillars/smb-password\n');
    expect(u).toMatch(/^\[Unit\]$/m);
    expect(u).toMatch(/^Restart=on-failure$/m);
    expect(u).toMatch(/^KillMode=process$/m);
    expect(u).toMatch(/^WantedBy=default\.target$/m);
    expect(u).toContain('loginctl enable-linger');
    expect(systemdUnit({ node: '/usr/bin/node', cli: '/x/pillars.js', config: '/etc/p.json' })).toContain('ExecStart=/usr/bin/node /x/pillars.js --config /etc/p.json watch\n');
  });

  it('quotes spaces and quotes, and doubles % (a systemd specifier)', () => {
    expect(unitArg('/home/mike/My Files/pw')).toBe('"/home/mike/My Files/pw"');
    expect(unitArg('/a/b"c')).toBe('"/a/b\\"c"');
    expect(unitArg('/a/100%')).toBe('"/a/100%%"');
    expect(unitArg('/plain/path-1.js')).toBe('/plain/path-1.js');
  });
});
