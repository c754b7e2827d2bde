// The rendered file, whole mode, through the real testparm: no warning, and its reading matches
// the model. Also shows why testparm can't be the first line of defence.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir, type TempDir } from '../../support/tmp';
import { nodeExec } from '../../../server/src/infra/exec';
import { createSambaHost } from '../../../server/src/infra/samba-host';
import { systemClock } from '../../../server/src/infra/clock';
import { SambaManager } from '../../../server/src/samba/manager';
import { buildModel, type SambaModelInput } from '../../../server/src/samba/model';
import { renderModel } from '../../../server/src/samba/render';
import { compareWithModel, parseTestparm, testparmProblems } from '../../../server/src/samba/testparm';

let dir: TempDir;
let input: SambaModelInput;
beforeAll(() => {
  dir = tempDir('pillars-testparm-');
  for (const p of ['flux', 'space', 'time', 'avahi']) mkdirSync(path.join(dir.path, p));
  input = {
    mode: 'whole',
    configFile: path.join(dir.path, 'smb.conf'),
    validUsers: ['root'],
    // Every typed global option, set (issue 18): they must all pass testparm without a warning.
    global: {
      workgroup: 'HOME',
      serverString: 'motoko',
      interfaces: ['127.0.0.2/8', 'lo'],
      bindInterfacesOnly: true,
      hostsAllow: ['192.168.1.', '10.0.0.0/8', '127.0.0.1', 'fe80::/10', 'count-zero.local'],
      hostsDeny: ['0.0.0.0/0'],
      serverMinProtocol: 'SMB3',
      serverSigning: 'required',
      smbEncrypt: 'desired',
      logLevel: 2,
      logFile: '/var/log/samba/pillars.log',
    },
    bonjour: { serviceFile: path.join(dir.path, 'avahi', 'pillars.service') },
    pillars: [
      { id: 'flux', path: path.join(dir.path, 'flux'), comment: 'Flux' },
      { id: 'space', path: path.join(dir.path, 'space'), comment: 'Space', smbEncrypt: 'required' },
      { id: 'time', path: path.join(dir.path, 'time'), comment: 'Time', timeMachine: { maxSize: '4T' } },
    ],
  };
});
afterAll(() => dir?.cleanup());

const testparm = (file: string) => nodeExec({ cmd: 'testparm', args: ['-s', file], env: { PATH: process.env.PATH, LANG: 'C' } });

describe('rendered config through the real testparm', () => {
  it('whole mode: exit 0, no warning line, every parameter read back as written', async () => {
    const model = buildModel(input);
    const file = path.join(dir.path, 'candidate.conf');
    writeFileSync(file, renderModel(model));
    const r = await testparm(file);
    expect(testparmProblems(r.stderr, r.code)).toEqual([]);
    expect(r.stderr).not.toMatch(/Unknown parameter|Ignoring unknown|WARNING|ERROR/i);
    expect(compareWithModel(model, parseTestparm(r.stdout))).toEqual([]);
    const m = new SambaManager({ host: createSambaHost({ exec: nodeExec }), clock: systemClock, stateDir: path.join(dir.path, 'state'), input: () => input });
    expect(await m.verify(model, renderModel(model))).toEqual({ problems: [], testparm: true });
  });

  it('every samba.global option renders as Samba reads it; a hostile value in any of them is refused by name, nothing written', async () => {
    const text = renderModel(buildModel(input));
    for (const line of [
      'hosts allow = 192.168.1. 10.0.0.0/8 127.0.0.1 fe80::/10 count-zero.local',
      'hosts deny = 0.0.0.0/0',
      'server min protocol = SMB3',
      'server signing = required',
      'server smb encrypt = desired',
      'log level = 2',
      'log file = /var/log/samba/pillars.log',
      'multicast dns register = No',
    ]) {
      expect(text).toContain(`\t${line}\n`);
    }
    expect(text).toMatch(/\[space\]\n(\t.*\n)*\tserver smb encrypt = required\n/);
    const hostile: Array<[string, (i: SambaModelInput, v: string) => void, string]> = [
      ['samba.global.hostsAllow[1]', (i, v) => (i.global!.hostsAllow = ['192.168.1.', v]), '10.0.0.0/8\n[evil]'],
      ['samba.global.hostsAllow[0]', (i, v) => (i.global!.hostsAllow = [v]), '192.168.1.0/24 EXCEPT 192.168.1.9'],
      ['samba.global.hostsDeny[0]', (i, v) => (i.global!.hostsDeny = [v]), '%I'],
      ['samba.global.interfaces[0]', (i, v) => (i.global!.interfaces = [v]), 'eth0;include=/tmp/x'],
      ['samba.global.serverMinProtocol', (i, v) => (i.global!.serverMinProtocol = v), 'NT1'],
      ['samba.global.serverSigning', (i, v) => (i.global!.serverSigning = v), 'disabled'],
      ['samba.global.smbEncrypt', (i, v) => (i.global!.smbEncrypt = v), 'required\r\npath = /'],
      ['samba.global.logFile', (i, v) => (i.global!.logFile = v), '/var/log/samba/log.%m'],
      ['samba.global.workgroup', (i, v) => (i.global!.workgroup = v), 'HOME]\n[root'],
      ['samba.global.serverString', (i, v) => (i.global!.serverString = v), 'motoko\u2028[evil]'],
      ['pillars.space.smbEncrypt', (i, v) => (i.pillars[1]!.smbEncrypt = v), 'mandatory'],
    ];
    const good = input;
    try {
      for (const [field, set, value] of hostile) {
        input = structuredClone(good);
        set(input, value);
        const m = new SambaManager({ host: createSambaHost({ exec: nodeExec }), clock: systemClock, stateDir: path.join(dir.path, 'state'), input: () => input });
        const err = (await m.apply('test').catch((e: unknown) => e)) as Error;
        expect(err, field).toMatchObject({ kind: 'invalid', problems: [expect.stringMatching(new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}: `))] });
        expect(existsSync(input.configFile), field).toBe(false);
        // Neither the hostile value nor a control character reaches the message raw.
        expect(err.message).not.toMatch(/[\n\r\u2028]/);
      }
      input = structuredClone(good);
      (input.global as Record<string, unknown>).logLevel = 11;
      expect(() => buildModel(input)).toThrow(/samba\.global\.logLevel: must be between 0 and 10/);
      input = { ...structuredClone(good), mode: 'include' };
      expect(() => buildModel(input)).toThrow(/samba\.global: is only used with samba\.mode: whole/);
    } finally {
      input = good;
    }
  });

  it('testparm alone lets an injected newline through (exit 0, a new [evil] share): we reject it first', async () => {
    const file = path.join(dir.path, 'injected.conf');
    writeFileSync(file, `[flux]\n\tpath = /tmp\n\tcomment = Flux\n[evil]\npath = /\n`);
    const r = await testparm(file);
    expect(r.code).toBe(0);
    expect(parseTestparm(r.stdout).has('evil')).toBe(true);
    // compareWithModel catches the section testparm accepted.
    const model = buildModel({ ...input, pillars: [{ id: 'flux', path: path.join(dir.path, 'flux') }] });
    expect(compareWithModel(model, parseTestparm(r.stdout)).join('\n')).toMatch(/section \[evil\] that the model does not define/);
    // And our own validation never lets the value near a file.
    expect(() => buildModel({ ...input, pillars: [{ id: 'flux', path: path.join(dir.path, 'flux'), comment: 'Flux\n[evil]\npath = /' }] })).toThrow(/pillars\.flux\.label/);
  });

  it('an unknown parameter is only a stderr line for testparm; we treat it as failure', async () => {
    const file = path.join(dir.path, 'unknown.conf');
    writeFileSync(file, `[flux]\n\tpath = /tmp\n\tfruit:timemachine = yes\n\tnot a real parameter = 1\n`);
    const r = await testparm(file);
    expect(r.code).toBe(0);
    expect(testparmProblems(r.stderr, r.code).join('\n')).toMatch(/Unknown parameter|Ignoring unknown/);
  });

  it("smbd's runtime folders missing (no smbd since boot, as on a fresh machine without systemd) is no problem of the config; anything else still is", () => {
    const stderr = 'Load smb config files from x\nWARNING: lock directory /run/samba does not exist\nWARNING: pid directory /run/samba does not exist\nLoaded services file OK.\n';
    expect(testparmProblems(stderr, 0)).toEqual([]);
    expect(testparmProblems(`${stderr}WARNING: The "syslog" option is deprecated\n`, 0)).toEqual(['WARNING: The "syslog" option is deprecated']);
    expect(testparmProblems('WARNING: lock directory /run/samba does not exist, and more\n', 0)).toHaveLength(1);
  });
});
