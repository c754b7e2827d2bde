// server/pillarsd.example.yaml stays a configuration pillarsd accepts: `pillarsd check` (the real
// CLI, real restic, rclone and testparm) passes on it once its paths live in a temp folder. Only
// what cannot exist here is changed: the pillars are plain folders with their sentinels instead of
// mount points, the Samba user is this machine's user, and the file secret is a 0600 file. B2 and
// the Key Vault cannot be reached from here: check runs --offline (no remote is called).
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPillarsd } from '../../support/cli';
import { useCleanup } from '../../support/tmp';

const reg = useCleanup();
const EXAMPLE = path.resolve(import.meta.dirname, '../../../server/pillarsd.example.yaml');

describe('server/pillarsd.example.yaml', () => {
  it('passes pillarsd check with its paths in a temp folder', async () => {
    const dir = reg.tempDir('pillars-example-').path;
    const user = os.userInfo().username;
    let text = readFileSync(EXAMPLE, 'utf8');
    // every absolute path of the example, moved under the temp folder
    text = text.replace(/(?<=[\s:"[])\/(flux|space|time|var\/lib\/pillars|etc\/samba|etc\/pillars|usr\/local\/bin)\b/g, `${dir}/$1`);
    text = text.replaceAll('requireMount: true', 'requireMount: false');
    text = text.replace('validUsers: [mike]', `validUsers: [${user}]`).replace('passwords: { mike: smbMike }', `passwords: { ${user}: smbMike }`);
    // Bonjour needs a running avahi-daemon and an apply before check can see its records; that is
    // test/server/samba/bonjour.test.ts (a real avahi in a namespace). Here it is switched off.
    expect(text).toContain('bonjour: { serviceFile: /etc/avahi/services/pillars.service }');
    text = text.replace('bonjour: { serviceFile: /etc/avahi/services/pillars.service }', 'bonjour: false');
    for (const p of ['flux', 'space', 'time']) {
      mkdirSync(path.join(dir, p), { recursive: true });
      writeFileSync(path.join(dir, p, '.pillar'), `${p}\n`);
    }
    mkdirSync(path.join(dir, 'etc/samba'), { recursive: true });
    // the admin's smb.conf, with the include line samba apply asks for
    writeFileSync(path.join(dir, 'etc/samba/smb.conf'), `[global]\n   workgroup = WORKGROUP\n   include = ${dir}/etc/samba/pillars.conf\n`);
    mkdirSync(path.join(dir, 'etc/pillars'), { recursive: true });
    writeFileSync(path.join(dir, 'etc/pillars/crypt.pw'), 'not a real password', { mode: 0o600 });
    chmodSync(path.join(dir, 'etc/pillars/crypt.pw'), 0o600);
    const config = path.join(dir, 'pillarsd.yaml');
    writeFileSync(config, text);
    expect(text).not.toMatch(/ \/(flux|space|time|etc|var)\b/);

    const r = await runPillarsd(['check', '--offline', '--json', '--config', config]);
    const report = JSON.parse(r.stdout) as { ok: boolean; items: Array<{ what: string; ok: boolean; detail: string }> };
    expect(report.items.filter((i) => !i.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(r.code).toBe(0);
    // every part of the example was looked at
    const what = report.items.map((i) => i.what);
    for (const w of ['config', 'restic', 'rclone', 'pillar flux', 'pillar space', 'pillar time', 'stateDir', 'secret cryptPassword', 'samba config', 'smbd vfs modules']) expect(what).toContain(w);
    expect(report.items[0]!.detail).toMatch(/\(7 jobs\)/);
    expect(report.items.find((i) => i.what === 'remotes')?.detail).toBe('not called (--offline): b2, b2crypt');
    // the long Space sync leaves the repository to its own mirror: no job is reported for holding it
    expect(what.filter((w) => w.startsWith('job '))).toEqual([]);
  });
});
