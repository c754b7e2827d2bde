// The model, its allow-lists and the renderer: pure, no Samba needed. The hostile-input property
// test is the heart of rule 7 of docs/architecture.md: no value can add a section or a parameter to smb.conf.
import { describe, expect, it } from 'vitest';
import { buildModel, type SambaModelInput } from '../../../server/src/samba/model';
import { renderModel } from '../../../server/src/samba/render';
import { parseTestparm } from '../../../server/src/samba/testparm';
import { SambaValidationError } from '../../../server/src/samba/values';
import { checkIncludePlacement } from '../../../server/src/samba/include';

function validInput(over: Partial<SambaModelInput> = {}): SambaModelInput {
  return {
    mode: 'include',
    configFile: '/etc/samba/smb.conf',
    validUsers: ['mike', 'ana'],
    pillars: [
      { id: 'flux', path: '/flux', comment: 'Flux (hot working state)' },
      { id: 'space', path: '/space' },
      { id: 'time', path: '/time', timeMachine: { maxSize: '4T' } },
    ],
    ...over,
  };
}

/** Sections and `key = value` lines exactly as a Samba parser would see them. */
function structure(text: string): { sections: string[]; params: number } {
  let params = 0;
  const sections: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#') || t.startsWith(';')) continue;
    if (t.startsWith('[')) sections.push(t);
    else if (t.includes('=')) params++;
  }
  return { sections, params };
}

describe('Samba model and render', () => {
  it('renders one share per pillar with fruit on every share and the Time Machine cap on Time', () => {
    const model = buildModel(validInput());
    const text = renderModel(model);
    const parsed = parseTestparm(text);
    expect([...parsed.keys()]).toEqual(['global', 'flux', 'space', 'time']);
    for (const s of ['flux', 'space', 'time']) {
      expect(parsed.get(s)!.get('vfs objects')).toBe('catia fruit streams_xattr');
      expect(parsed.get(s)!.get('valid users')).toBe('mike ana');
      expect(parsed.get(s)!.get('fruit:metadata')).toBe('stream');
      expect(parsed.get(s)!.get('fruit:veto_appledouble')).toBe('no');
      expect(parsed.get(s)!.get('fruit:wipe_intentionally_left_blank_rfork')).toBe('yes');
      expect(parsed.get(s)!.get('fruit:delete_empty_adfiles')).toBe('yes');
    }
    expect(parsed.get('time')!.get('fruit:time machine')).toBe('yes');
    // Each user's Macs back up into time/<user>: the one macro we emit, appended to a checked path.
    expect(parsed.get('time')!.get('path')).toBe('/time/%U');
    expect(parsed.get('flux')!.get('path')).toBe('/flux');
    expect(parsed.get('time')!.get('fruit:time machine max size')).toBe('4T');
    expect(parsed.get('flux')!.has('fruit:time machine')).toBe(false);
    expect(parsed.get('global')!.get('fruit:model')).toBe('MacSamba');
    expect(parsed.get('global')!.get('fruit:posix_rename')).toBe('yes');
    expect(parsed.get('global')!.get('fruit:zero_file_id')).toBe('yes');
    expect(model.targetFile).toBe('/etc/samba/pillars.conf');
  });

  it('a shared Time share when perUser is off; a % in the path itself is still refused', () => {
    const m = buildModel(validInput({ pillars: [{ id: 'time', path: '/time', timeMachine: { maxSize: '4T', perUser: false } }] }));
    expect(parseTestparm(renderModel(m)).get('time')!.get('path')).toBe('/time');
    expect(() => buildModel(validInput({ pillars: [{ id: 'time', path: '/time/%U', timeMachine: { maxSize: '4T' } }] }))).toThrow(/pillars\.time\.path/);
    const hand = buildModel(validInput());
    hand.shares[0]!.params[0] = { key: 'path', value: '/flux/%U', field: 'pillars.flux.path' };
    expect(() => renderModel(hand)).toThrow(/pillars\.flux\.path/);
  });

  it('is deterministic: the same input renders the same bytes', () => {
    expect(renderModel(buildModel(validInput()))).toBe(renderModel(buildModel(validInput())));
  });

  it('whole mode owns the global section', () => {
    const m = buildModel(validInput({ mode: 'whole', global: { workgroup: 'HOME', interfaces: ['127.0.0.2/8'], bindInterfacesOnly: true } }));
    expect(m.targetFile).toBe('/etc/samba/smb.conf');
    const g = parseTestparm(renderModel(m)).get('global')!;
    expect(g.get('workgroup')).toBe('HOME');
    expect(g.get('interfaces')).toBe('127.0.0.2/8');
  });

  it('names every bad field at once', () => {
    try {
      buildModel(validInput({ validUsers: ['Mike'], pillars: [{ id: 'global', path: 'flux' }] }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SambaValidationError);
      const fields = (e as SambaValidationError).problems.map((p) => p.field);
      expect(fields).toEqual(expect.arrayContaining(['samba.validUsers[0]', 'pillars.global.id', 'pillars.global.path']));
    }
  });

  it('rejects two Time Machine targets and duplicate shares', () => {
    expect(() =>
      buildModel(
        validInput({
          pillars: [
            { id: 'a', path: '/a', timeMachine: { maxSize: '1T' } },
            { id: 'A', path: '/b', timeMachine: { maxSize: '1T' } },
          ],
        }),
      ),
    ).toThrow(/defined twice|only one pillar/);
  });

  it('checks where the include line sits in the admin smb.conf', () => {
    const inc = '/etc/samba/pillars.conf';
    expect(checkIncludePlacement('[global]\n  workgroup = X\n  include = /etc/samba/pillars.conf\n', '/etc/samba/smb.conf', inc).ok).toBe(true);
    expect(checkIncludePlacement('[global]\n  include = /etc/samba/pillars.conf\n\n[homes]\n  path = /h\n', '/etc/samba/smb.conf', inc).ok).toBe(true);
    const after = checkIncludePlacement('[global]\n  include = /etc/samba/pillars.conf\n  workgroup = X\n', '/etc/samba/smb.conf', inc);
    expect(after.ok).toBe(false);
    expect(after.problem).toMatch(/line 3 sets a parameter after/);
    expect(checkIncludePlacement('[global]\n', '/etc/samba/smb.conf', inc).problem).toMatch(/does not include/);
  });
});

// A small seeded PRNG so a failure is reproducible from the printed seed.
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PAYLOADS = [
  '\n[evil]\npath = /',
  '\r\n[evil]',
  '\rpath = /etc',
  '\n\tinclude = /etc/passwd',
  'x\ninclude = /tmp/evil.conf',
  'include = /etc/shadow',
  '[evil]',
  ']',
  '%u',
  '%S/%I',
  '"quoted"',
  "it's",
  '`id`',
  'a;b',
  'back\\',
  '\\\nvalid users = root',
  '\u2028[evil]',
  '\u2029x',
  '\u0085[evil]',
  '\u0000',
  '\u001b[31m',
  '\t',
  'caf\u00e9',
  '\u200bflux',
  '\uff3bevil\uff3d',
  '\u202egnp.exe',
  'a=b',
  ' lead',
  'trail ',
  'x'.repeat(5000),
  '\ud83d\ude00',
];
const PATH_PAYLOADS = ['relative/path', 'flux', './flux', '/flux/../etc', '/flux/./x', '//flux//x/', '~/flux', '/' + 'a/'.repeat(200)];

type Field = { name: string; pathLike: boolean; set: (i: SambaModelInput, v: string) => void };
const FIELDS: Field[] = [
  { name: 'pillars.flux.path', pathLike: true, set: (i, v) => (i.pillars[0]!.path = v) },
  { name: 'pillars.flux.label', pathLike: false, set: (i, v) => (i.pillars[0]!.comment = v) },
  { name: 'pillars.flux.smbEncrypt', pathLike: false, set: (i, v) => (i.pillars[0]!.smbEncrypt = v) },
  { name: 'samba.bonjour.serviceFile', pathLike: true, set: (i, v) => (i.bonjour = { serviceFile: v }) },
  { name: 'samba.global.hostsAllow[0]', pathLike: false, set: (i, v) => ((i.mode = 'whole'), (i.global = { ...i.global, hostsAllow: [v] })) },
  { name: 'samba.global.hostsDeny[0]', pathLike: false, set: (i, v) => ((i.mode = 'whole'), (i.global = { ...i.global, hostsDeny: [v] })) },
  { name: 'samba.global.serverMinProtocol', pathLike: false, set: (i, v) => ((i.mode = 'whole'), (i.global = { ...i.global, serverMinProtocol: v })) },
  { name: 'samba.global.serverSigning', pathLike: false, set: (i, v) => ((i.mode = 'whole'), (i.global = { ...i.global, serverSigning: v })) },
  { name: 'samba.global.smbEncrypt', pathLike: false, set: (i, v) => ((i.mode = 'whole'), (i.global = { ...i.global, smbEncrypt: v })) },
  { name: 'samba.global.logFile', pathLike: true, set: (i, v) => ((i.mode = 'whole'), (i.global = { ...i.global, logFile: v })) },
  { name: 'pillars.time.timeMachine.maxSize', pathLike: false, set: (i, v) => (i.pillars[2]!.timeMachine = { maxSize: v }) },
  { name: 'samba.validUsers[1]', pathLike: false, set: (i, v) => (i.validUsers[1] = v) },
  { name: 'samba.fruitModel', pathLike: false, set: (i, v) => (i.fruitModel = v) },
  { name: 'samba.configFile', pathLike: true, set: (i, v) => (i.configFile = v) },
  { name: 'samba.includeFile', pathLike: true, set: (i, v) => (i.includeFile = v) },
  { name: 'samba.global.workgroup', pathLike: false, set: (i, v) => ((i.mode = 'whole'), (i.global = { ...i.global, workgroup: v })) },
  { name: 'samba.global.serverString', pathLike: false, set: (i, v) => ((i.mode = 'whole'), (i.global = { ...i.global, serverString: v })) },
  { name: 'samba.global.interfaces[0]', pathLike: false, set: (i, v) => ((i.mode = 'whole'), (i.global = { ...i.global, interfaces: [v] })) },
];
const BENIGN_PREFIX: Record<string, string> = {
  'pillars.flux.path': '/flux',
  'pillars.flux.label': 'Flux',
  'pillars.flux.smbEncrypt': 'desired',
  'samba.bonjour.serviceFile': '/etc/avahi/services/pillars.service',
  'samba.global.hostsAllow[0]': '192.168.1.',
  'samba.global.hostsDeny[0]': '10.0.0.0/8',
  'samba.global.serverMinProtocol': 'SMB2',
  'samba.global.serverSigning': 'required',
  'samba.global.smbEncrypt': 'desired',
  'samba.global.logFile': '/var/log/samba/pillars.log',
  'pillars.time.timeMachine.maxSize': '4T',
  'samba.validUsers[1]': 'ana',
  'samba.fruitModel': 'MacSamba',
  'samba.configFile': '/etc/samba/smb.conf',
  'samba.includeFile': '/etc/samba/pillars.conf',
  'samba.global.workgroup': 'HOME',
  'samba.global.serverString': 'motoko',
  'samba.global.interfaces[0]': 'eth0',
};

describe('1,000 hostile inputs', () => {
  it('are each rejected naming the field, and none reaches the rendered file', () => {
    const seed = Number(process.env.PILLARS_SEED ?? 20261125);
    const rnd = prng(seed);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const baseline = structure(renderModel(buildModel(validInput())));
    let rejected = 0;
    for (let n = 0; n < 1000; n++) {
      const field = pick(FIELDS);
      const payload = field.pathLike && rnd() < 0.3 ? pick(PATH_PAYLOADS) : pick(PAYLOADS);
      const benign = BENIGN_PREFIX[field.name]!;
      const where = rnd();
      // Leading/trailing blanks are only hostile at the ends of the value.
      const value =
        payload === ' lead'
          ? ` ${benign}`
          : payload === 'trail '
            ? `${benign} `
            : field.pathLike && PATH_PAYLOADS.includes(payload)
              ? payload
              : where < 0.33
                ? payload
                : where < 0.66
                  ? benign + payload
                  : payload + benign;
      const input = validInput();
      field.set(input, value);
      const label = `#${n} seed ${seed} ${field.name}=${JSON.stringify(value.slice(0, 60))}`;
      let err: unknown;
      try {
        buildModel(input);
      } catch (e) {
        err = e;
      }
      expect(err, label).toBeInstanceOf(SambaValidationError);
      const problems = (err as SambaValidationError).problems;
      expect(
        problems.some((p) => p.field === field.name),
        `${label}: ${JSON.stringify(problems)}`,
      ).toBe(true);
      // Messages never echo the raw value's control characters back (logs and terminals).
      // eslint-disable-next-line no-control-regex -- looking for exactly these characters
      for (const p of problems) expect(p.message, label).not.toMatch(/[\r\n\u2028\u2029\u0000\u001b]/);
      rejected++;

      // Render-time defence: the same value forced into a valid model by hand can't get through.
      const model = buildModel(validInput());
      const share = model.shares[0]!;
      share.params.push({ key: 'comment', value, field: field.name });
      let text: string | null = null;
      try {
        text = renderModel(model);
      } catch (e) {
        expect(e, label).toBeInstanceOf(SambaValidationError);
      }
      if (text !== null) {
        // Only a harmless value may render; it must not change the file's structure.
        const s = structure(text);
        expect(s.sections, label).toEqual(baseline.sections);
        expect(s.params, label).toBe(baseline.params + 1);
      }
    }
    expect(rejected).toBe(1000);
  });

  it('a hand-built model with a hostile share name or key cannot render', () => {
    const model = buildModel(validInput());
    model.shares[0]!.name = 'flux]\n[evil';
    expect(() => renderModel(model)).toThrow(SambaValidationError);
    const m2 = buildModel(validInput());
    m2.shares[0]!.params.push({ key: 'include', value: '/etc/passwd', field: 'x' });
    expect(() => renderModel(m2)).toThrow(/not one pillarsd manages/);
  });
});
