// The rendered file, whole mode, through the real testparm: no warning, and its reading matches
// the model. Also shows why testparm can't be the first line of defence.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
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
  for (const p of ['flux', 'space', 'time']) mkdirSync(path.join(dir.path, p));
  input = {
    mode: 'whole',
    configFile: path.join(dir.path, 'smb.conf'),
    validUsers: ['root'],
    global: { workgroup: 'HOME', serverString: 'motoko', interfaces: ['127.0.0.2/8'], bindInterfacesOnly: true },
    pillars: [
      { id: 'flux', path: path.join(dir.path, 'flux'), comment: 'Flux' },
      { id: 'space', path: path.join(dir.path, 'space'), comment: 'Space' },
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
    expect(() => buildModel({ ...input, pillars: [{ id: 'flux', path: path.join(dir.path, 'flux'), comment: 'Flux\n[evil]\npath = /' }] })).toThrow(/pillars\.flux\.comment/);
  });

  it('an unknown parameter is only a stderr line for testparm; we treat it as failure', async () => {
    const file = path.join(dir.path, 'unknown.conf');
    writeFileSync(file, `[flux]\n\tpath = /tmp\n\tfruit:timemachine = yes\n\tnot a real parameter = 1\n`);
    const r = await testparm(file);
    expect(r.code).toBe(0);
    expect(testparmProblems(r.stderr, r.code).join('\n')).toMatch(/Unknown parameter|Ignoring unknown/);
  });
});
