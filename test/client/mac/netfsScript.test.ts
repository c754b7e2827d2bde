// The JXA script sent on osascript's stdin, evaluated with a stand-in for the ObjC bridge (macOS
// cannot run here): NetFSMountURLSync must receive every value exactly, whatever it contains.
import { describe, expect, it } from 'vitest';
import { asciiJson, buildMountScript, smbUrl } from '../../../src/platform/mac/netfs';
import { SECRET } from './fakes';
import { runJxa } from './fakeMac';

const HOSTILE = [
  SECRET,
  `"); ObjC.import('Foundation'); $.NSTask.launchedTaskWithLaunchPathArguments('/bin/sh', []); ("`,
  '\\"}; run = function(){return "owned"}; var x = {"',
  '</script>\u2029${1+1}`\r\n\t\u0000',
  '🔑'.repeat(40),
  '',
];

describe('NetFS mount script', () => {
  it('hands NetFS the password, user and paths intact, as data', () => {
    for (const password of HOSTILE) {
      const user = `al"ice'$\`\n`;
      const script = buildMountScript({ url: smbUrl('motoko', `fl"ux'$`, user), mountPath: "/Users/o'neil/.mkt/flux", user, password });
      const { stdout, calls } = runJxa(script, () => ({ status: 0, mountpoints: ["/Users/o'neil/.mkt/flux"] }));
      expect(calls).toHaveLength(1);
      expect(calls[0]!.password).toBe(password);
      expect(calls[0]!.user).toBe(user);
      expect(calls[0]!.mountPath).toBe("/Users/o'neil/.mkt/flux");
      expect(calls[0]!.url).toBe(`smb://al%22ice'%24%60%0A@motoko/fl%22ux'%24`);
      expect(JSON.parse(stdout)).toEqual({ status: 0, mountpoints: ["/Users/o'neil/.mkt/flux"] });
    }
  });

  it('asks for NoUI, MountAtMountDir and a soft mount (NetFS.h keys)', () => {
    const { calls } = runJxa(buildMountScript({ url: 'smb://a@motoko/flux', mountPath: '/m', user: 'a', password: 'x' }), () => ({ status: 17 }));
    expect(calls[0]!.openOptions).toEqual({ UIOption: 'NoUI' });
    expect(calls[0]!.mountOptions).toEqual({ MountAtMountDir: true, SoftMount: true });
  });

  it('returns the NetFS status as JSON on stdout', () => {
    const { stdout } = runJxa(buildMountScript({ url: 'smb://a@motoko/flux', mountPath: '/m', user: 'a', password: 'x' }), () => ({ status: 80 }));
    expect(JSON.parse(stdout)).toEqual({ status: 80, mountpoints: [] });
  });

  it('is plain ASCII: the data is one JSON literal with every other character escaped', () => {
    const script = buildMountScript({ url: 'smb://a@motoko/flux', mountPath: '/m', user: 'a', password: SECRET });
    expect(/^[\x20-\x7e\n]*$/.test(script)).toBe(true);
    expect(script).not.toContain(SECRET);
    expect(JSON.parse(asciiJson(SECRET))).toBe(SECRET);
    // The secret's newline never splits a line of code.
    expect(script.split('\n')).toHaveLength(buildMountScript({ url: 'u', mountPath: '/m', user: 'a', password: 'x' }).split('\n').length);
  });

  it('puts a domain in the URL as DOMAIN;user', () => {
    expect(smbUrl('motoko', 'My Share', 'alice', 'HOME LAB')).toBe('smb://HOME%20LAB;alice@motoko/My%20Share');
  });
});
