// The Windows adapter against a stand-in for Windows (which cannot run here): a recording Exec that
// answers the PowerShell script's operations as the script documents them. What is checked is what
// the adapter sends (argv, the script file, the JSON on stdin) and how it reads the answers.
import { describe, expect, it } from 'vitest';
import type { ExecRequest, PillarSpec, SmbServer } from '../../../src/platform/types';
import { createWinPlatform } from '../../../src/platform/win/winPlatform';
import { WIN_SCRIPT } from '../../../src/platform/win/script';
import { MemoryFs, SECRET, argvOf, expectSecretInNoArgv, fixture, recordingExec, type Reply } from '../mac/fakes';

const RUN = 'C:\\Users\\alice\\AppData\\Local\\Pillars\\run';
const SCRIPT = `${RUN}\\pillars-smb.ps1`;
const PS = ['powershell.exe', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', SCRIPT];
const SERVER: SmbServer = { host: 'motoko', username: 'alice' };
const FLUX: PillarSpec = { id: 'flux', share: 'flux', label: 'Flux' };

function setup(answer: (req: Record<string, unknown>, call: ExecRequest) => Reply = () => ({ stdout: '{"ok":true}' })) {
  const requests: Array<Record<string, unknown>> = [];
  const rec = recordingExec((call) => {
    if (call.cmd !== 'powershell.exe') return answer({}, call);
    const req = JSON.parse(call.stdin ?? 'null') as Record<string, unknown>;
    requests.push(req);
    return answer(req, call);
  });
  const fs = new MemoryFs(['C:\\Users', 'C:\\Users\\alice', RUN]);
  const platform = createWinPlatform({ exec: rec.exec, fs, home: 'C:\\Users\\alice', user: 'alice', runtimeDir: RUN });
  return { rec, fs, platform, requests };
}

describe('Windows mount', () => {
  it('runs the script file with the password as data on stdin, never in argv', async () => {
    const { rec, fs, platform, requests } = setup();
    expect(await platform.mount(SERVER, FLUX, SECRET)).toEqual({ ok: true, path: 'X:' });
    expect(argvOf(rec.calls)).toEqual([PS]);
    const call = rec.calls[0]!;
    expect(call.env).toBeUndefined();
    expect(call.timeoutMs).toBeGreaterThan(0);
    expect(/^[\x20-\x7e]*$/.test(call.stdin!), 'stdin is ASCII whatever the code page').toBe(true);
    expect(requests[0]).toEqual({ op: 'mount', host: 'motoko', share: 'flux', drive: 'X:', label: 'Flux', user: 'alice', password: SECRET });
    expectSecretInNoArgv(rec.calls);
    // The script on disk is the constant text, private to the user, and holds no value.
    expect(fs.writes).toEqual([{ path: SCRIPT, data: WIN_SCRIPT, mode: 0o600 }]);
    expect(WIN_SCRIPT).not.toContain('motoko');
  });

  it('maps the three pillars in parallel, writing the script file once', async () => {
    const { fs, platform, requests } = setup();
    const pillars = ['flux', 'space', 'time'].map((id) => ({ id, share: id, label: id }));
    expect(await Promise.all(pillars.map((p) => platform.mount(SERVER, p, SECRET)))).toEqual([
      { ok: true, path: 'X:' },
      { ok: true, path: 'S:' },
      { ok: true, path: 'T:' },
    ]);
    expect(requests.map((r) => r['drive']).sort()).toEqual(['S:', 'T:', 'X:']);
    expect(fs.writes).toHaveLength(1);
  });

  it('writes the script once and rewrites it only when it differs', async () => {
    const { fs, platform } = setup();
    await platform.mount(SERVER, FLUX, SECRET);
    await platform.list().catch(() => undefined);
    expect(fs.writes).toHaveLength(1);
    await fs.writeFile(SCRIPT, 'Remove-Item -Recurse C:\\');
    await platform.mount(SERVER, FLUX, SECRET);
    expect(await fs.readFile(SCRIPT)).toBe(WIN_SCRIPT);
  });

  it('uses configured drives and S:/T: defaults, and one user string with a domain', async () => {
    const { platform, requests } = setup();
    await platform.mount({ ...SERVER, domain: 'HOME' }, { id: 'space', share: 'space', label: 'Space' }, SECRET);
    await platform.mount(SERVER, { id: 'time', share: 'time', label: 'Time' }, SECRET);
    await platform.mount(SERVER, { ...FLUX, drive: 'f:' }, SECRET);
    expect(requests.map((r) => [r['drive'], r['user']])).toEqual([['S:', 'HOME\\alice'], ['T:', 'alice'], ['F:', 'alice']]);
    expect(platform.mountPath({ id: 'x', share: 'x', label: 'X', drive: 'Q:' })).toBe('Q:');
  });

  it('passes hostile share, label and user names as data, untouched', async () => {
    const { rec, platform, requests } = setup();
    const server = { host: 'motoko', username: `o'neil$(calc)\`"` };
    const p = { id: 'flux', share: `fl'ux $(calc) \`x\` é`, label: `Fl"ux'; Remove-Item C:\\ -Recurse; '` };
    expect(await platform.mount(server, p, SECRET)).toEqual({ ok: true, path: 'X:' });
    expect(requests[0]).toMatchObject({ share: p.share, label: p.label, user: server.username, password: SECRET });
    expectSecretInNoArgv(rec.calls);
    for (const c of rec.calls) expect(c.args.join(' ')).not.toMatch(/calc|neil|Remove-Item/);
  });

  it('rejects what SMB or Windows forbids before running anything', async () => {
    const cases: Array<[SmbServer, PillarSpec]> = [
      [SERVER, { ...FLUX, drive: 'XY:' }],
      [SERVER, { ...FLUX, drive: '1:' }],
      [SERVER, { id: 'other', share: 'o', label: 'O' }],
      [{ ...SERVER, host: 'motoko\\evil' }, FLUX],
      [SERVER, { ...FLUX, share: 'a\\b' }],
      [SERVER, { ...FLUX, share: 'x"y' }],
      [{ ...SERVER, username: 'HOME\\alice' }, FLUX],
      [{ ...SERVER, username: 'al\r\nice' }, FLUX],
    ];
    for (const [server, p] of cases) {
      const { rec, platform } = setup();
      expect(await platform.mount(server, p, SECRET)).toMatchObject({ ok: false, kind: 'error' });
      expect(rec.calls).toEqual([]);
    }
  });

  it('maps Windows errors to outcomes, with a clear 1219 message and no password', async () => {
    const cases: Array<[number, string]> = [[1326, 'auth'], [86, 'auth'], [53, 'network'], [67, 'network'], [1231, 'network'], [85, 'busy'], [1219, 'busy'], [5, 'error'], [31, 'error']];
    for (const [code, kind] of cases) {
      const { platform } = setup(() => ({ stdout: JSON.stringify({ ok: false, code, message: `failed for ${SECRET}` }) }));
      const o = await platform.mount(SERVER, FLUX, SECRET);
      expect(!o.ok && o.kind, `error ${code}`).toBe(kind);
      expect(JSON.stringify(o)).not.toContain('whoami');
      if (code === 1219) expect(!o.ok && o.reason).toMatch(/one set of credentials per server.*motoko/);
    }
  });

  it('a PowerShell that does not answer is a network failure at the deadline; a crash is an error', async () => {
    const hung = setup(() => 'hang');
    const p = createWinPlatform({ exec: hung.rec.exec, fs: hung.fs, home: 'C:\\Users\\alice', user: 'alice', runtimeDir: RUN, timeouts: { mountMs: 50 } });
    expect(await p.mount(SERVER, FLUX, SECRET)).toMatchObject({ ok: false, kind: 'network' });
    const crash = setup(() => ({ code: 1, stdout: '', stderr: `ConvertFrom-Json : Invalid JSON primitive: ${SECRET}` }));
    const o = await crash.platform.mount(SERVER, FLUX, SECRET);
    expect(o).toMatchObject({ ok: false, kind: 'error', reason: expect.stringContaining('exit 1') });
    expect(JSON.stringify(o)).not.toContain('whoami');
  });
});

describe('Windows list, probe, unmount, open, labels, guard', () => {
  it('lists mappings from the script (Status numbers) and skips drive-less connections', async () => {
    const mappings = JSON.parse(fixture('win/get-smbmapping-fields.json')) as unknown;
    const { platform, requests } = setup(() => ({ stdout: `\uFEFF${JSON.stringify({ ok: true, mappings })}` }));
    expect(await platform.list()).toEqual([
      { host: 'motoko', share: 'flux', path: 'X:', healthy: true },
      { host: 'motoko', share: 'space', path: 'S:', healthy: false },
      { host: 'motoko', share: 'time', path: 'T:', healthy: false },
      { host: 'nas', share: 'Música', path: 'M:', healthy: null },
    ]);
    expect(requests).toEqual([{ op: 'list' }]);
  });

  it('falls back to net use when Get-SmbMapping is unavailable', async () => {
    const { rec, platform } = setup((_req, call) =>
      call.cmd === 'net.exe'
        ? { stdout: fixture('win/net-use.txt') }
        : { stdout: JSON.stringify({ ok: false, code: null, message: "The term 'Get-SmbMapping' is not recognized" }) },
    );
    const list = await platform.list();
    expect(argvOf(rec.calls).at(-1)).toEqual(['net.exe', 'use']);
    expect(list).toEqual([
      { host: 'motoko', share: 'flux', path: 'X:', healthy: true },
      { host: 'motoko', share: 'space', path: 'S:', healthy: false },
      { host: 'motoko', share: 'time', path: 'T:', healthy: false },
      { host: 'motoko.home.arpa', share: 'projects-archive-2019', path: 'P:', healthy: true },
      { host: 'TSCLIENT', share: 'C', path: 'Z:', healthy: null },
    ]);
  });

  it('probe: ok with sizes, missing, stale when unreachable or past the deadline', async () => {
    let reply: Reply = { stdout: '{"ok":true,"mapped":true,"reachable":true,"status":0,"free":1000,"used":3000}' };
    const { rec, platform, requests } = setup(() => reply);
    expect(await platform.probe(FLUX, 4000)).toEqual({ kind: 'ok', freeBytes: 1000, totalBytes: 4000 });
    expect(requests[0]).toEqual({ op: 'probe', drive: 'X:' });
    expect(rec.calls[0]!.timeoutMs).toBeLessThanOrEqual(4000);
    reply = { stdout: '{"ok":true,"mapped":false}' };
    expect(await platform.probe(FLUX, 4000)).toMatchObject({ kind: 'missing' });
    reply = { stdout: '{"ok":true,"mapped":true,"reachable":false,"status":6}' };
    expect(await platform.probe(FLUX, 4000)).toEqual({ kind: 'stale', reason: 'X: is mapped but not reachable (Unavailable)' });
    reply = { stdout: '{"ok":true,"mapped":true,"reachable":false,"status":2,"code":53,"message":"The network path was not found."}' };
    expect(await platform.probe(FLUX, 4000)).toEqual({ kind: 'stale', reason: 'X: is mapped but not reachable (Disconnected): The network path was not found.' });
    reply = { stdout: '{"ok":true,"mapped":true,"reachable":false,"status":0,"code":1326,"message":"The user name or password is incorrect."}' };
    expect(await platform.probe(FLUX, 4000)).toMatchObject({ kind: 'auth', reason: expect.stringContaining('1326') });
    reply = 'hang';
    const t0 = Date.now();
    expect(await platform.probe(FLUX, 100)).toMatchObject({ kind: 'stale', reason: expect.stringContaining('100 ms') });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('unmounts through the script and reports failures', async () => {
    let reply: Reply = { stdout: '{"ok":true}' };
    const { platform, requests } = setup(() => reply);
    await platform.unmount({ ...FLUX, drive: 'Y:' });
    expect(requests).toEqual([{ op: 'unmount', drive: 'Y:' }]);
    reply = { stdout: '{"ok":false,"code":2404,"message":"The device is being accessed by an active process."}' };
    await expect(platform.unmount(FLUX)).rejects.toThrow(/could not disconnect X:.*active process.*2404/);
  });

  it('opens X:\\ in Explorer, whose exit code 1 is not a failure', async () => {
    const { rec, platform } = setup(() => ({ code: 1 }));
    await platform.open(FLUX);
    expect(argvOf(rec.calls)).toEqual([['explorer.exe', 'X:\\']]);
  });

  it('labels the drive through the registry operation', async () => {
    const { platform, requests } = setup();
    expect(await platform.decorate(SERVER, { id: 'space', share: 'space', label: 'Space' })).toEqual({ ok: true });
    expect(requests).toEqual([{ op: 'label', host: 'motoko', share: 'space', label: 'Space' }]);
  });

  it('guard needs no command: an unmapped drive letter has no local folder', async () => {
    const { rec, platform } = setup();
    await platform.guard(FLUX);
    expect(rec.calls).toEqual([]);
    await expect(platform.guard({ id: 'zzz', share: 'z', label: 'Z' })).rejects.toThrow(/drive letter/);
  });
});

describe('every Windows command', () => {
  it('has a deadline and no env; only the script gets stdin, always one ASCII JSON document', async () => {
    const { rec, platform } = setup((req) =>
      req['op'] === 'probe' ? { stdout: '{"ok":true,"mapped":false}' } : req['op'] === 'list' ? { stdout: '{"ok":true,"mappings":[]}' } : { stdout: '{"ok":true}' },
    );
    await platform.decorate(SERVER, FLUX);
    await platform.mount(SERVER, FLUX, SECRET);
    await platform.probe(FLUX, 3000);
    await platform.list();
    await platform.open(FLUX);
    await platform.unmount(FLUX, { force: true });
    expect([...new Set(rec.calls.map((c) => c.cmd))].sort()).toEqual(['explorer.exe', 'powershell.exe']);
    for (const c of rec.calls) {
      expect(c.timeoutMs, c.cmd).toBeGreaterThan(0);
      expect(c.env, c.cmd).toBeUndefined();
      if (c.cmd === 'powershell.exe') {
        expect([c.cmd, ...c.args]).toEqual(PS);
        expect(/^[\x20-\x7e]*$/.test(c.stdin!)).toBe(true);
        expect(typeof JSON.parse(c.stdin!)).toBe('object');
      } else {
        expect(c.stdin).toBeUndefined();
      }
    }
    expectSecretInNoArgv(rec.calls);
  });
});
