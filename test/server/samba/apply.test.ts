// Apply, drift and rollback against a real smbd (test/support/smbd.ts), real testparm,
// smbcontrol and smbclient. Mode `include`: the helper's smb.conf includes the file we own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startSmbd, type Smbd } from '../../support/smbd';
import { tempDir, type TempDir } from '../../support/tmp';
import { nodeExec } from '../../../server/src/infra/exec';
import { createSambaHost, createSmbclientProbe } from '../../../server/src/infra/samba-host';
import { SambaApplyError, SambaManager } from '../../../server/src/samba/manager';
import type { SambaModelInput } from '../../../server/src/samba/model';
import { systemClock } from '../../../server/src/infra/clock';

const USER = 'pillsmb1';
const PASSWORD = 'Correct-Horse-42';

let smbd: Smbd;
let work: TempDir;
let input: SambaModelInput;
let manager: SambaManager;
let includeFile: string;

function uid(name: string): number {
  return Number(execFileSync('id', ['-u', name]).toString().trim());
}

beforeAll(async () => {
  work = tempDir('pillars-samba-apply-');
  includeFile = path.join(work.path, 'etc', 'pillars.conf');
  mkdirSync(path.dirname(includeFile), { recursive: true });
  // The admin has added the include line before the first apply; the file is still empty.
  writeFileSync(includeFile, '');
  smbd = await startSmbd({ users: [{ name: USER, password: PASSWORD }], extraConfig: `include = ${includeFile}` });
  for (const p of ['flux', 'space', 'time']) {
    const dir = path.join(work.path, p);
    mkdirSync(dir);
    chownSync(dir, uid(USER), 0);
    chmodSync(dir, 0o770);
  }
  // The Time share points at time/%U: each user's own folder (layout init creates it).
  mkdirSync(path.join(work.path, 'time', USER));
  chownSync(path.join(work.path, 'time', USER), uid(USER), 0);
  chmodSync(path.join(work.path, 'time', USER), 0o700);
  input = {
    mode: 'include',
    configFile: smbd.confPath,
    includeFile,
    validUsers: [USER],
    keepVersions: 5,
    pillars: [
      { id: 'flux', path: path.join(work.path, 'flux') },
      { id: 'space', path: path.join(work.path, 'space') },
      { id: 'time', path: path.join(work.path, 'time'), timeMachine: { maxSize: '1G' } },
    ],
  };
  const exec = nodeExec;
  manager = new SambaManager({
    host: createSambaHost({ exec }),
    clock: systemClock,
    stateDir: path.join(work.path, 'state'),
    input: () => structuredClone(input),
    probe: createSmbclientProbe({ exec, host: smbd.address, user: USER, password: async () => PASSWORD, configFile: path.join(smbd.dir, 'client.conf') }),
  });
});

afterAll(async () => {
  await smbd?.stop();
  await work?.cleanup();
});

/** An interactive smbclient kept open across reloads; commands go over stdin. */
function openSession(share: string) {
  // smbclient block-buffers stdout on a pipe; stdbuf makes each answer visible as it comes.
  const child = spawn('stdbuf', ['-o0', '-e0', 'smbclient', smbd.unc(share), '-s', path.join(smbd.dir, 'client.conf'), '-U', USER], {
    env: { ...process.env, PASSWD: PASSWORD },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  return {
    async send(cmd: string, expectText: RegExp, timeoutMs = 10_000): Promise<string> {
      const start = out.length;
      child.stdin.write(`${cmd}\n`);
      const t0 = Date.now();
      while (Date.now() - t0 < timeoutMs) {
        const seen = out.slice(start);
        if (expectText.test(seen)) return seen;
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`smbclient session did not answer ${JSON.stringify(cmd)}; output:\n${out.slice(start)}`);
    },
    close() {
      child.stdin.end('exit\n');
      child.kill('SIGTERM');
    },
    get exited() {
      return child.exitCode !== null;
    },
  };
}

describe('samba apply against a real smbd', () => {
  let firstApplied = '';

  it('first apply: testparm clean, reloads, every share answers', async () => {
    const before = await manager.state();
    expect(before.valid, before.messages.join('\n')).toBe(true);
    expect(before.drift).toBe(false);
    const r = await manager.apply('test');
    expect(r.changed).toBe(true);
    expect(r.reloaded).toBe(true);
    expect(r.messages.join('\n')).toMatch(/shares answer: flux, space, time/);
    firstApplied = readFileSync(includeFile, 'utf8');
    expect(firstApplied).toContain('fruit:time machine max size = 1G');
    // testparm on the live config as smbd sees it: no warning at all.
    const tp = await nodeExec({ cmd: 'testparm', args: ['-s', smbd.confPath], env: { PATH: process.env.PATH } });
    expect(tp.code).toBe(0);
    const bad = tp.stderr.split('\n').filter((l) => /Unknown parameter|Ignoring unknown|WARNING|ERROR/i.test(l));
    expect(bad).toEqual([]);
    const ls = await smbd.smbclient('time', USER, PASSWORD, 'ls');
    expect(ls.code, ls.stdout + ls.stderr).toBe(0);
  });

  it('the Time share reports its cap, and named streams are stored as xattrs', async () => {
    // vfs_fruit answers disk-free on a Time Machine share with the configured max size.
    const du = await smbd.smbclient('time', USER, PASSWORD, 'du');
    const m = /(\d+) blocks of size (\d+)\. (\d+) blocks available/.exec(du.stdout);
    expect(m, du.stdout + du.stderr).not.toBeNull();
    const total = Number(m![1]) * Number(m![2]);
    expect(total).toBe(1024 ** 3);
    const local = path.join(work.path, 'stream-src.txt');
    writeFileSync(local, 'stream payload');
    chmodSync(local, 0o644);
    const put = await smbd.smbclient('flux', USER, PASSWORD, `put ${local} notes.txt; put ${local} notes.txt:com.example.tag`);
    expect(put.code, put.stdout + put.stderr).toBe(0);
    const attrs = execFileSync('getfattr', ['-d', '-m', '-', '--absolute-names', path.join(work.path, 'flux', 'notes.txt')]).toString();
    expect(attrs).toMatch(/user\.DosStream\.com\.example\.tag:\$DATA/);
  });

  it('a broken model leaves the live file and smbd untouched', async () => {
    const pid = smbd.pid;
    const liveBefore = readFileSync(includeFile);
    const good = structuredClone(input);
    input.pillars[0]!.comment = 'Flux\n[evil]\npath = /';
    await expect(manager.apply('test')).rejects.toMatchObject({ kind: 'invalid', message: expect.stringContaining('pillars.flux.label') });
    input = structuredClone(good);
    input.pillars[1]!.path = path.join(work.path, 'missing');
    await expect(manager.apply('test')).rejects.toMatchObject({ kind: 'invalid', message: expect.stringContaining('pillars.space.path') });
    input = structuredClone(good);
    // An admin line after the include would fall into our last share: refused before testparm
    // runs, and the message does not blame testparm.
    const conf = readFileSync(smbd.confPath, 'utf8');
    writeFileSync(smbd.confPath, `${conf}\n   hosts allow = 127.\n`);
    input.pillars[0]!.comment = 'changed';
    const placed = await manager.apply('test').catch((e: unknown) => e as SambaApplyError);
    writeFileSync(smbd.confPath, conf);
    expect(placed).toMatchObject({ kind: 'invalid', message: expect.stringMatching(/^the Samba config cannot be applied; nothing was changed: .* sets a parameter after 'include = /) });
    expect((placed as SambaApplyError).message).not.toMatch(/testparm/);
    input = good;
    expect(readFileSync(includeFile).equals(liveBefore)).toBe(true);
    expect(smbd.pid).toBe(pid);
    const ls = await smbd.smbclient('flux', USER, PASSWORD, 'ls');
    expect(ls.code).toBe(0);
    expect(readdirSync(path.dirname(includeFile)).filter((f) => f !== 'pillars.conf')).toEqual([]);
  });

  it('a good apply reloads without dropping an open session; rollback restores byte for byte', async () => {
    const session = openSession('flux');
    try {
      await session.send('ls', /blocks available/);
      input.pillars[1]!.comment = 'Space archive';
      const r = await manager.apply('test');
      expect(r.changed && r.reloaded).toBe(true);
      expect(r.backup).not.toBeNull();
      const second = readFileSync(includeFile, 'utf8');
      expect(second).toContain('comment = Space archive');
      // Same session, after the reload: still answers.
      const again = await session.send('ls', /blocks available/);
      expect(again).not.toMatch(/NT_STATUS_CONNECTION|disconnected/i);
      expect(session.exited).toBe(false);

      const rb = await manager.rollback('test');
      expect(rb.reloaded).toBe(true);
      expect(readFileSync(includeFile, 'utf8')).toBe(firstApplied);
      expect(Buffer.compare(readFileSync(includeFile), Buffer.from(firstApplied))).toBe(0);
      await session.send('ls', /blocks available/);
    } finally {
      session.close();
    }
  });

  it('a hand edit is drift: diff shows it, apply refuses, --force keeps it in history', async () => {
    input.pillars[1]!.comment = undefined;
    const clean = await manager.state();
    const hand = readFileSync(includeFile, 'utf8') + '\n# a note by the admin\n';
    writeFileSync(includeFile, hand);
    input.pillars[1]!.comment = 'Space again';
    const s = await manager.state();
    expect(s.drift).toBe(true);
    expect(s.diff).toMatch(/^-# a note by the admin$/m);
    expect(s.messages.join('\n')).toMatch(/drift/);
    const err = await manager.apply('test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SambaApplyError);
    expect((err as SambaApplyError).kind).toBe('drift');
    expect((err as SambaApplyError).exitCode).toBe(3);
    expect(readFileSync(includeFile, 'utf8')).toBe(hand);
    const forced = await manager.apply('test', { force: true });
    expect(forced.messages.join('\n')).toMatch(/hand-edited/);
    expect(readFileSync(includeFile, 'utf8')).toContain('comment = Space again');
    await manager.rollback('test');
    expect(readFileSync(includeFile, 'utf8')).toBe(hand);
    // Hand-edit the file again, then roll back over it: the edit is kept as a listed version.
    writeFileSync(includeFile, hand + '# second edit\n');
    const rb = await manager.rollback('test');
    expect(rb.messages.join('\n')).toMatch(/hand-edited/);
    expect(clean.versions.length).toBeGreaterThan(0);
  });

  it('another live process holding the apply lock makes apply wait its turn; a dead one is taken over', async () => {
    const lock = path.join(work.path, 'state', 'samba', 'apply.lock');
    const before = readFileSync(includeFile);
    // pid 1 is always alive and never us.
    writeFileSync(lock, '1');
    await expect(manager.apply('test', { force: true })).rejects.toMatchObject({ kind: 'busy' });
    expect(readFileSync(includeFile).equals(before)).toBe(true);
    // A pid that can't exist: the lock is stale and taken over.
    writeFileSync(lock, '4194305');
    await manager.apply('test', { force: true });
    expect(existsSync(lock)).toBe(false);
  });
});
