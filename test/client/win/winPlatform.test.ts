// The Windows adapter against a stand-in for Windows (which cannot run here): a recording
// StartProcess that plays the long-lived PowerShell helper, answering each JSON request line the way
// the helper documents, and a recording Exec for Explorer and `net use`. What is checked is what the
// adapter sends (argv, environment, the helper's text, each request on stdin) and how it reads the
// answers; plus, with the mount manager on top, that a probe timing out never unmounts a drive.
import { describe, expect, it } from 'vitest';
import type { ExecRequest, LineProcess, PillarSpec, SmbServer, StartProcess } from '../../../src/platform/types';
import { createWinPlatform } from '../../../src/platform/win/winPlatform';
import { BOOTSTRAP_ENCODED, PS_ARGS, WIN_HELPER_LINE } from '../../../src/platform/win/script';
import { BusyError } from '../../../src/platform/common/errors';
import { baseEnv } from '../../../src/platform/host/exec';
import { MountManager } from '../../../src/main/core/mounts/manager';
import { secretsChain } from '../../../src/main/core/secrets';
import { SECRET, argvOf, expectSecretInNoArgv, fixture, recordingExec, type Reply } from '../mac/fakes';

const SERVER: SmbServer = { host: 'motoko', username: 'alice' };
const FLUX: PillarSpec = { id: 'flux', share: 'flux', label: 'Flux' };
const PS = ['powershell.exe', ...PS_ARGS, BOOTSTRAP_ENCODED];

type Answer = Record<string, unknown> | 'hang' | 'exit';

/** The helper: records every start and line, answers each request with `answer` (by its id). */
function fakeHelper(answer: (req: Record<string, unknown>) => Answer) {
  const starts: Array<{ cmd: string; args: readonly string[]; env?: Record<string, string> }> = [];
  const lines: string[][] = [];
  const requests: Array<Record<string, unknown>> = [];
  let killed = 0;
  const start: StartProcess = (req) => {
    starts.push({ cmd: req.cmd, args: [...req.args], ...(req.env ? { env: req.env } : {}) });
    const mine: string[] = [];
    lines.push(mine);
    const onLine = new Set<(l: string) => void>();
    const onExit = new Set<(c: number | null, d: string) => void>();
    let alive = true;
    const die = (code: number | null, detail: string) => {
      if (!alive) return;
      alive = false;
      for (const f of onExit) f(code, detail);
    };
    const p: LineProcess = {
      pid: 4242,
      send(line) {
        if (!alive) return false;
        mine.push(line);
        if (mine.length === 1) return true; // the helper's own text
        const req = JSON.parse(line) as Record<string, unknown>;
        const { id, ...op } = req;
        requests.push(op);
        const a = answer(op);
        if (a === 'hang') return true;
        if (a === 'exit') {
          setTimeout(() => die(1, 'the term Get-SmbMapping is not recognized\n'), 1);
          return true;
        }
        setTimeout(() => {
          for (const f of onLine) f(JSON.stringify({ ...a, id }));
        }, 1);
        return true;
      },
      onLine: (fn) => void onLine.add(fn),
      onExit: (fn) => void onExit.add(fn),
      kill() {
        killed++;
        die(null, '');
      },
    };
    return p;
  };
  return { start, starts, lines, requests, killed: () => killed };
}

function setup(answer: (req: Record<string, unknown>) => Answer = () => ({ ok: true }), execReply: (call: ExecRequest) => Reply = () => ({})) {
  const helper = fakeHelper(answer);
  const rec = recordingExec(execReply);
  const platform = createWinPlatform({ exec: rec.exec, start: helper.start, home: 'C:\\Users\\alice', user: 'alice' });
  return { helper, rec, platform, requests: helper.requests };
}

describe('the PowerShell helper', () => {
  it('is started once, by -EncodedCommand (no script file: a Group Policy execution policy does not apply), and serves every request', async () => {
    const { helper, platform } = setup((req) => (req['op'] === 'look' ? { ok: true, drives: [] } : { ok: true }));
    await platform.mount(SERVER, FLUX, SECRET);
    await platform.look([FLUX]);
    await platform.decorate(SERVER, FLUX);
    expect(helper.starts).toEqual([{ cmd: 'powershell.exe', args: PS.slice(1) }]);
    expect(PS).not.toContain('-File');
    expect(PS).not.toContain('-ExecutionPolicy');
    expect(helper.lines[0]![0]).toBe(WIN_HELPER_LINE);
    expect(helper.requests.map((r) => r['op'])).toEqual(['mount', 'look', 'label']);
  });

  it('each request is one ASCII JSON line with an id; the password is data on stdin, never in argv', async () => {
    const { helper, platform, requests } = setup();
    expect(await platform.mount(SERVER, FLUX, SECRET)).toEqual({ ok: true, path: 'X:' });
    const line = helper.lines[0]![1]!;
    expect(/^[\x20-\x7e]*$/.test(line), 'stdin is ASCII whatever the code page').toBe(true);
    expect(JSON.parse(line)).toMatchObject({ id: 1 });
    expect(requests[0]).toEqual({ op: 'mount', host: 'motoko', share: 'flux', drive: 'X:', label: 'Flux', user: 'alice', password: SECRET });
    expectSecretInNoArgv(helper.starts.map((s) => ({ cmd: s.cmd, args: s.args })));
  });

  it('gets the environment PowerShell needs to start and find its modules, and nothing else of ours', () => {
    const win = {
      Path: 'C:\\Windows\\system32',
      SystemRoot: 'C:\\Windows',
      SystemDrive: 'C:',
      ProgramFiles: 'C:\\Program Files',
      'ProgramFiles(x86)': 'C:\\Program Files (x86)',
      PSModulePath: 'C:\\Program Files\\WindowsPowerShell\\Modules',
      windir: 'C:\\Windows',
      USERPROFILE: 'C:\\Users\\alice',
      LOCALAPPDATA: 'C:\\Users\\alice\\AppData\\Local',
      APPDATA: 'C:\\Users\\alice\\AppData\\Roaming',
      TEMP: 'C:\\Users\\alice\\AppData\\Local\\Temp',
      ComSpec: 'C:\\Windows\\system32\\cmd.exe',
      PATHEXT: '.COM;.EXE',
      AZURE_CLIENT_SECRET: 'x',
      PILLARS_TOKEN: 'y',
    };
    const env = baseEnv(win);
    for (const k of ['SystemRoot', 'SystemDrive', 'ProgramFiles', 'ProgramFiles(x86)', 'PSModulePath', 'windir', 'USERPROFILE', 'LOCALAPPDATA', 'APPDATA', 'TEMP', 'ComSpec', 'PATHEXT'])
      expect(env[k], k).toBe(win[k as keyof typeof win]);
    expect(env).not.toHaveProperty('AZURE_CLIENT_SECRET');
    expect(env).not.toHaveProperty('PILLARS_TOKEN');
  });

  it('the three pillars mount in parallel through the one helper', async () => {
    const { helper, platform, requests } = setup();
    const pillars = ['flux', 'space', 'time'].map((id) => ({ id, share: id, label: id }));
    expect(await Promise.all(pillars.map((p) => platform.mount(SERVER, p, SECRET)))).toEqual([
      { ok: true, path: 'X:' },
      { ok: true, path: 'S:' },
      { ok: true, path: 'T:' },
    ]);
    expect(requests.map((r) => r['drive']).sort()).toEqual(['S:', 'T:', 'X:']);
    expect(helper.starts).toHaveLength(1);
  });

  it('a helper that misses a deadline is killed and a fresh one serves the next request; one that exits fails what it had with its last words', async () => {
    let hang = true;
    const { helper, platform } = setup(() => (hang ? 'hang' : { ok: true }));
    const p = createWinPlatform({ exec: recordingExec(() => ({})).exec, start: helper.start, home: 'C:\\Users\\alice', user: 'alice', timeouts: { mountMs: 50 } });
    expect(await p.mount(SERVER, FLUX, SECRET)).toMatchObject({ ok: false, kind: 'network', reason: expect.stringContaining('did not answer') });
    expect(helper.killed()).toBe(1);
    hang = false;
    expect(await p.mount(SERVER, FLUX, SECRET)).toEqual({ ok: true, path: 'X:' });
    expect(helper.starts).toHaveLength(2);

    const dying = setup(() => 'exit');
    const o = await dying.platform.mount(SERVER, FLUX, SECRET);
    expect(o).toMatchObject({ ok: false, kind: 'error', reason: expect.stringContaining('PowerShell exited (1): the term Get-SmbMapping is not recognized') });
    void platform;
  });
});

describe('Windows mount', () => {
  it('uses configured drives and S:/T: defaults, and one user string with a domain', async () => {
    const { platform, requests } = setup();
    await platform.mount({ ...SERVER, domain: 'HOME' }, { id: 'space', share: 'space', label: 'Space' }, SECRET);
    await platform.mount(SERVER, { id: 'time', share: 'time', label: 'Time' }, SECRET);
    await platform.mount(SERVER, { ...FLUX, drive: 'f:' }, SECRET);
    expect(requests.map((r) => [r['drive'], r['user']])).toEqual([
      ['S:', 'HOME\\alice'],
      ['T:', 'alice'],
      ['F:', 'alice'],
    ]);
    expect(platform.mountPath({ id: 'x', share: 'x', label: 'X', drive: 'Q:' })).toBe('Q:');
  });

  it('passes hostile share, label and user names as data, untouched', async () => {
    const { helper, platform, requests } = setup();
    const server = { host: 'motoko', username: `o'neil$(calc)\`"` };
    const p = { id: 'flux', share: `fl'ux $(calc) \`x\` é`, label: `Fl"ux'; Remove-Item C:\\ -Recurse; '` };
    expect(await platform.mount(server, p, SECRET)).toEqual({ ok: true, path: 'X:' });
    expect(requests[0]).toMatchObject({ share: p.share, label: p.label, user: server.username, password: SECRET });
    for (const s of helper.starts) expect(s.args.join(' ')).not.toMatch(/calc|neil|Remove-Item/);
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
      const { helper, platform } = setup();
      expect(await platform.mount(server, p, SECRET)).toMatchObject({ ok: false, kind: 'error' });
      expect(helper.starts).toEqual([]);
    }
  });

  it('maps Windows errors to outcomes, with a clear 1219 message and no password', async () => {
    const cases: Array<[number, string]> = [
      [1326, 'auth'],
      [86, 'auth'],
      [53, 'network'],
      [67, 'network'],
      [1231, 'network'],
      [85, 'busy'],
      [1219, 'busy'],
      [5, 'error'],
      [31, 'error'],
    ];
    for (const [code, kind] of cases) {
      const { platform } = setup(() => ({ ok: false, code, message: `failed for ${SECRET}` }));
      const o = await platform.mount(SERVER, FLUX, SECRET);
      expect(!o.ok && o.kind, `error ${code}`).toBe(kind);
      expect(JSON.stringify(o)).not.toContain('whoami');
      if (code === 1219) expect(!o.ok && o.reason).toMatch(/one set of credentials per server.*motoko/);
    }
  });
});

describe('Windows look, probe, unmount, list, open, labels, guard', () => {
  it('look: one request for every drive; mapped to our share, its status and the handles open on it', async () => {
    const { platform, requests } = setup(() => ({
      ok: true,
      drives: [
        { drive: 'X:', mapped: true, remote: '\\\\motoko\\flux', status: 0, opens: 2 },
        { drive: 'S:', mapped: true, remote: '\\\\motoko\\space', status: 6, opens: 0 },
        { drive: 'T:', mapped: false },
        { drive: 'Q:', mapped: true, remote: '\\\\nas\\other', status: 0, opens: 0 },
      ],
    }));
    const ps = [FLUX, { id: 'space', share: 'space', label: 'Space' }, { id: 'time', share: 'time', label: 'Time' }, { id: 'q', share: 'quux', label: 'Q', drive: 'Q:' }];
    expect(await platform.look(ps)).toEqual([
      { mounted: true, broken: null, waiting: null, openFiles: 2 },
      { mounted: true, broken: 'S: is Unavailable', waiting: null, openFiles: 0 },
      { mounted: false, broken: null, waiting: null },
      { mounted: false, broken: null, waiting: null }, // Q: holds another share
    ]);
    expect(requests).toEqual([{ op: 'look', drives: ['X:', 'S:', 'T:', 'Q:'] }]);
  });

  it('probe: the helper waits for the share under the deadline; ok with sizes, missing, stale, auth, and a helper too slow to say', async () => {
    let reply: Answer = { ok: true, mapped: true, reachable: true, status: 0, free: 1000, used: 3000 };
    const { platform, requests } = setup(() => reply);
    expect(await platform.probe(FLUX, 4000)).toEqual({ kind: 'ok', freeBytes: 1000, totalBytes: 4000 });
    expect(requests[0]).toEqual({ op: 'probe', drive: 'X:', timeoutMs: 4000 });
    reply = { ok: true, mapped: false };
    expect(await platform.probe(FLUX, 4000)).toMatchObject({ kind: 'missing' });
    reply = { ok: true, mapped: true, timedOut: true, status: 0 };
    expect(await platform.probe(FLUX, 4000)).toEqual({ kind: 'stale', reason: 'no answer from X: within 4000 ms' });
    reply = { ok: true, mapped: true, reachable: false, status: 6 };
    expect(await platform.probe(FLUX, 4000)).toEqual({ kind: 'stale', reason: 'X: is mapped but not reachable (Unavailable)' });
    reply = { ok: true, mapped: true, reachable: false, status: 2, code: 53, message: 'The network path was not found.' };
    expect(await platform.probe(FLUX, 4000)).toEqual({ kind: 'stale', reason: 'X: is mapped but not reachable (Disconnected): The network path was not found.' });
    reply = { ok: true, mapped: true, reachable: false, status: 0, code: 1326, message: 'The user name or password is incorrect.' };
    expect(await platform.probe(FLUX, 4000)).toMatchObject({ kind: 'auth', reason: expect.stringContaining('1326') });
    reply = 'hang';
    const t0 = Date.now();
    expect(await platform.probe(FLUX, 100)).toMatchObject({ kind: 'stale', reason: expect.stringContaining('did not answer') });
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('unmount refuses while handles are open (BusyError), and sends force only when asked', async () => {
    let reply: Answer = { ok: true };
    const { platform, requests } = setup(() => reply);
    await platform.unmount({ ...FLUX, drive: 'Y:' });
    expect(requests).toEqual([{ op: 'unmount', drive: 'Y:', force: false }]);
    reply = { ok: false, busy: true, openFiles: 3, code: null, message: '3 open on X:' };
    const e = await platform.unmount(FLUX).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BusyError);
    expect(e).toMatchObject({ openFiles: 3, path: 'X:' });
    reply = { ok: true };
    await platform.unmount(FLUX, { force: true });
    expect(requests.at(-1)).toEqual({ op: 'unmount', drive: 'X:', force: true });
    reply = { ok: false, code: 2404, message: 'The device is being accessed by an active process.' };
    await expect(platform.unmount(FLUX, { force: true })).rejects.toThrow(/could not disconnect X:.*active process.*2404/);
  });

  it('lists mappings (Status numbers) and falls back to net use without the SmbShare module', async () => {
    const mappings = JSON.parse(fixture('win/get-smbmapping-fields.json')) as unknown;
    const { platform, requests } = setup(() => ({ ok: true, mappings }));
    expect(await platform.list()).toEqual([
      { host: 'motoko', share: 'flux', path: 'X:', healthy: true },
      { host: 'motoko', share: 'space', path: 'S:', healthy: false },
      { host: 'motoko', share: 'time', path: 'T:', healthy: false },
      { host: 'nas', share: 'Música', path: 'M:', healthy: null },
    ]);
    expect(requests).toEqual([{ op: 'list' }]);
    const fallback = setup(
      () => ({ ok: false, code: null, message: "The term 'Get-SmbMapping' is not recognized" }),
      (call) => (call.cmd === 'net.exe' ? { stdout: fixture('win/net-use.txt') } : {}),
    );
    const list = await fallback.platform.list();
    expect(argvOf(fallback.rec.calls).at(-1)).toEqual(['net.exe', 'use']);
    expect(list.map((m) => m.path)).toEqual(['X:', 'S:', 'T:', 'P:', 'Z:']);
  });

  it('opens X:\\ in Explorer (exit code 1 is not a failure), labels through the helper, and needs no guard', async () => {
    const { rec, platform, requests } = setup(
      () => ({ ok: true }),
      () => ({ code: 1 }),
    );
    await platform.open(FLUX);
    expect(argvOf(rec.calls)).toEqual([['explorer.exe', 'X:\\']]);
    expect(await platform.decorate(SERVER, { id: 'space', share: 'space', label: 'Space' })).toEqual({ ok: true });
    expect(requests).toEqual([{ op: 'label', host: 'motoko', share: 'space', label: 'Space' }]);
    await platform.guard(FLUX);
    expect(requests).toHaveLength(1); // an unmapped drive letter has no local folder: nothing to guard
    await expect(platform.guard({ id: 'zzz', share: 'z', label: 'Z' })).rejects.toThrow(/drive letter/);
  });
});

describe('the mount manager on Windows: a drive is never taken away on a probe timeout', () => {
  const probes = (n: number) => (rs: Array<Record<string, unknown>>) => rs.filter((r) => r['op'] === 'probe').length >= n;
  const run = async (answer: (req: Record<string, unknown>) => Answer, until: (rs: Array<Record<string, unknown>>) => boolean) => {
    const { platform, requests } = setup(answer);
    const m = new MountManager({
      platform,
      secrets: secretsChain({ cache: null, sources: [{ id: 'stdin', describe: 'memory', get: async () => 'pw' }] }),
      server: SERVER,
      pillars: [FLUX],
      serverProbe: async () => ({ ok: true, ms: 1 }), // the server answers SMB
      checkIntervalMs: 20,
      probeDeadlineMs: 30,
      backoff: { staleGraceMs: 0 },
    });
    m.start();
    while (!until(requests)) await new Promise((r) => setTimeout(r, 10));
    await m.stop();
    return { requests, status: m.status()[0]! };
  };

  it('a probe that times out, again and again, on a mapped drive: stale, and no Remove-SmbMapping', async () => {
    const { requests, status } = await run(
      (req) =>
        req['op'] === 'look'
          ? { ok: true, drives: [{ drive: 'X:', mapped: true, remote: '\\\\motoko\\flux', status: 0, opens: 0 }] }
          : req['op'] === 'probe'
            ? { ok: true, mapped: true, timedOut: true, status: 0 }
            : { ok: true },
      probes(5),
    );
    expect(requests.map((r) => r['op'])).not.toContain('unmount');
    expect(status.state).toBe('stale');
  });

  it('a helper too slow to answer the probe at all: no unmount either', async () => {
    const { requests } = await run(
      (req) => (req['op'] === 'look' ? { ok: true, drives: [{ drive: 'X:', mapped: true, remote: '\\\\motoko\\flux', status: 0, opens: 0 }] } : req['op'] === 'probe' ? 'hang' : { ok: true }),
      probes(3),
    );
    expect(requests.map((r) => r['op'])).not.toContain('unmount');
  });

  it('a mapping Windows reports Unavailable while the server answers: left alone while handles are open, remapped once none are', async () => {
    let opens = 2;
    let status = 6;
    let mapped = true;
    const answer = (req: Record<string, unknown>): Answer => {
      if (req['op'] === 'look') return { ok: true, drives: [mapped ? { drive: 'X:', mapped: true, remote: '\\\\motoko\\flux', status, opens } : { drive: 'X:', mapped: false }] };
      if (req['op'] === 'probe') return status === 0 ? { ok: true, mapped: true, reachable: true, status: 0, free: 1, used: 1 } : { ok: true, mapped: true, reachable: false, status, code: 64 };
      if (req['op'] === 'unmount') mapped = false;
      if (req['op'] === 'mount') [mapped, status] = [true, 0];
      return { ok: true };
    };
    const held = await run(answer, probes(4));
    expect(held.requests.map((r) => r['op'])).not.toContain('unmount');
    expect(held.status.reason).toMatch(/2 files are open on it, so Pillars leaves it alone/);
    opens = 0;
    const freed = await run(answer, (rs) => rs.some((r) => r['op'] === 'mount'));
    expect(freed.requests.filter((r) => r['op'] === 'unmount')).toEqual([{ op: 'unmount', drive: 'X:', force: true }]);
    expect(freed.requests.map((r) => r['op'])).toContain('mount');
  });
});
