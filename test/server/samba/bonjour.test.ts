// Time Machine that Macs find by themselves (issue 18), end to end through the real CLI:
// a real avahi-daemon in its own network namespace (test/support/avahi.ts) reads the service file
// `pillarsd samba apply` writes; an mDNS browser on the other end of the link (npm multicast-dns,
// as a Mac on the LAN) hears `_adisk._tcp` with the Time share's TXT records, and hears it
// withdrawn when the Time share goes. `pillarsd check` sees the records over avahi's D-Bus.
// The same apply creates each valid user's Time Machine folder, so a second user connects to the
// per-user share at once, and the cap smbd reports (`smbclient du`) is the one the config names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { startAvahi, mdnsBrowser, type Avahi } from '../../support/avahi';
import { startSmbd, type Smbd } from '../../support/smbd';
import { tempDir, type TempDir } from '../../support/tmp';
import { runPillarsd } from '../../support/cli';

const USERS = [
  { name: 'pilltm1', password: 'Time-One-1' },
  { name: 'pilltm2', password: 'Time-Two-2' },
];
let avahi: Avahi;
let smbd: Smbd;
let dir: TempDir;
let configFile: string;
let serviceFile: string;

function writeConfig(time: string): void {
  writeFileSync(
    configFile,
    `stateDir: ${dir.path}/state
pillars:
  flux: { path: ${dir.path}/flux, requireMount: false, label: Flux }
  time: { path: ${dir.path}/time, requireMount: false${time} }
samba:
  mode: include
  configFile: ${smbd.confPath}
  includeFile: ${dir.path}/pillars.conf
  validUsers: [${USERS.map((u) => u.name).join(', ')}]
  bonjour: { serviceFile: ${serviceFile} }
`,
  );
}

const pillarsd = (args: string[]) => runPillarsd([...args, '--config', configFile], { env: avahi.env, timeoutMs: 90_000 });

beforeAll(async () => {
  dir = tempDir('pillars-bonjour-');
  avahi = await startAvahi();
  serviceFile = path.join(avahi.servicesDir, 'pillars.service');
  writeFileSync(path.join(dir.path, 'pillars.conf'), '');
  smbd = await startSmbd({ users: USERS, extraConfig: `include = ${dir.path}/pillars.conf` });
  for (const p of ['flux', 'time']) {
    mkdirSync(path.join(dir.path, p));
    chmodSync(path.join(dir.path, p), 0o755);
  }
  configFile = path.join(dir.path, 'pillarsd.yaml');
}, 120_000);

afterAll(async () => {
  await smbd?.stop();
  await avahi?.stop();
  await dir?.cleanup();
});

describe('Bonjour for Time Machine', () => {
  it('apply publishes _adisk._tcp with the Time share; a Mac-side browser hears it; check sees it', async () => {
    writeConfig(', timeMachine: { maxSize: 1.5T }');
    const before = await pillarsd(['check']);
    expect(before.stdout).toMatch(/^FAIL bonjour records +_smb\._tcp is not published under pillars-/m);

    const apply = await pillarsd(['samba', 'apply']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain(`Bonjour: wrote ${serviceFile} (Time Machine share time)`);
    // smbd's own registration is switched off (pillarsd's file is the one advertisement), and
    // smbd reads that only at start: the operator is told what to run.
    expect(readFileSync(path.join(dir.path, 'pillars.conf'), 'utf8')).toContain('multicast dns register = No');
    expect(apply.stdout).toMatch(/smbd reads multicast dns register only when it starts: restart it to apply \(systemctl restart smbd/);

    const mac = await mdnsBrowser(avahi);
    try {
      const adisk = `${avahi.hostName}._adisk._tcp.local`;
      const ptr = await mac.waitFor([{ name: '_adisk._tcp.local', type: 'PTR' }], (r) => r.type === 'PTR' && r.name === '_adisk._tcp.local' && r.ttl > 0);
      expect(ptr.data).toEqual([adisk]);
      const txt = await mac.waitFor([{ name: adisk, type: 'TXT' }], (r) => r.type === 'TXT' && r.name === adisk);
      expect(txt.data.sort()).toEqual(['dk0=adVN=time,adVF=0x82', 'sys=waMa=0,adVF=0x100']);
      const smb = await mac.waitFor([{ name: `${avahi.hostName}._smb._tcp.local`, type: 'SRV' }], (r) => r.type === 'SRV' && r.name === `${avahi.hostName}._smb._tcp.local`);
      expect(JSON.parse(smb.data[0]!)).toMatchObject({ port: 445, target: `${avahi.hostName}.local` });
      const model = await mac.waitFor([{ name: `${avahi.hostName}._device-info._tcp.local`, type: 'TXT' }], (r) => r.type === 'TXT' && r.name === `${avahi.hostName}._device-info._tcp.local`);
      expect(model.data).toEqual(['model=MacSamba']);

      const check = await pillarsd(['check']);
      expect(check.stdout).toMatch(new RegExp(`^ok {3}avahi-daemon +running, publishing as ${avahi.hostName}\\.local$`, 'm'));
      expect(check.stdout).toMatch(/^ok {3}bonjour records +published: _smb\._tcp; _device-info\._tcp \(model=MacSamba\); _adisk\._tcp \(sys=waMa=0,adVF=0x100, dk0=adVN=time,adVF=0x82\)$/m);

      // Removing the Time share withdraws it: avahi says goodbye (TTL 0) and stops answering.
      writeConfig('');
      const mark = mac.heard.length;
      const off = await pillarsd(['samba', 'apply']);
      expect(off.code, off.stdout + off.stderr).toBe(0);
      expect(off.stdout).toContain('(no Time Machine share)');
      // The goodbye: avahi announces the PTR with TTL 0, which tells a Mac to forget it now.
      const goodbye = (r: { name: string; type: string; ttl: number }) => r.name === '_adisk._tcp.local' && r.type === 'PTR' && r.ttl === 0;
      for (let i = 0; i < 60 && !mac.heard.slice(mark).some(goodbye); i++) await new Promise((r) => setTimeout(r, 250));
      expect(mac.heard.slice(mark).some(goodbye)).toBe(true);
      // Then every query that asks for both is answered for _smb._tcp (the control: avahi
      // answers, after it re-registered the changed group) and never for _adisk._tcp.
      const since = mac.heard.length;
      const both = [
        { name: '_adisk._tcp.local', type: 'PTR' as const },
        { name: '_smb._tcp.local', type: 'PTR' as const },
      ];
      await mac.waitFor(both, (r) => r.name === '_smb._tcp.local' && r.type === 'PTR' && r.ttl > 0);
      await mac.query(both, 1_000);
      expect(mac.heard.slice(since).some((r) => r.name === '_adisk._tcp.local' && r.ttl > 0)).toBe(false);
    } finally {
      mac.close();
    }
  }, 150_000);

  it('a second valid user connects to the per-user Time share right after apply; du reports the cap', async () => {
    writeConfig(', timeMachine: { maxSize: 1.5T }');
    for (const u of USERS) expect(existsSync(path.join(dir.path, 'time', u.name))).toBe(true);
    // Undo what the first apply made, to see this apply make it.
    execFileSync('rm', ['-rf', path.join(dir.path, 'time', USERS[1]!.name)]);
    const apply = await pillarsd(['samba', 'apply']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain(`created ${USERS[1]!.name}'s Time Machine folder ${path.join(dir.path, 'time', USERS[1]!.name)} (owner ${USERS[1]!.name}, mode 0700)`);
    const st = statSync(path.join(dir.path, 'time', USERS[1]!.name));
    expect(st.uid).toBe(Number(execFileSync('id', ['-u', USERS[1]!.name]).toString()));
    expect(st.mode & 0o7777).toBe(0o700);
    for (const u of USERS) {
      const ls = await smbd.smbclient('time', u.name, u.password, 'ls');
      expect(ls.code, `${u.name}: ${ls.stdout}${ls.stderr}`).toBe(0);
      const du = await smbd.smbclient('time', u.name, u.password, 'du');
      const m = /(\d+) blocks of size (\d+)\. (\d+) blocks available/.exec(du.stdout);
      expect(m, du.stdout + du.stderr).not.toBeNull();
      expect(Number(m![1]) * Number(m![2])).toBe(1.5 * 1024 ** 4);
    }
    // A folder that exists but belongs to someone else is refused, naming the user; nothing written.
    const theirs = path.join(dir.path, 'time', USERS[1]!.name);
    execFileSync('chown', ['root', theirs]);
    const live = readFileSync(path.join(dir.path, 'pillars.conf'), 'utf8');
    writeConfig(', timeMachine: { maxSize: 2T }');
    const refused = await pillarsd(['samba', 'apply']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`samba.validUsers[1]: ${USERS[1]!.name}'s Time Machine folder ${theirs} is owned by root`);
    expect(readFileSync(path.join(dir.path, 'pillars.conf'), 'utf8')).toBe(live);
    execFileSync('chown', [USERS[1]!.name, theirs]);
  }, 120_000);
});
