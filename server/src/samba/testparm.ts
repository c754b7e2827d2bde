// testparm as a second opinion, never the first line: its exit code only reports syntax errors,
// so we read its stderr for warnings and compare what it parsed with what we meant.
import type { SambaModel, SambaSection } from './model';

export type ParsedConf = Map<string, Map<string, string>>;

/** stderr lines that mean testparm did not take the file as written. */
const FAILURE = /Unknown parameter|Ignoring unknown|WARNING|ERROR/i;
// The runtime folders smbd creates itself when it starts: they are missing on a machine where smbd
// has not run since boot (no systemd to make /run/samba), which says nothing about the config.
const BENIGN = /Weak crypto is allowed|^WARNING: (lock|pid) directory \S+ does not exist$/i;

export function testparmProblems(stderr: string, code: number | null): string[] {
  const problems = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && FAILURE.test(l) && !BENIGN.test(l));
  if (code !== 0) problems.unshift(`testparm exited with ${code ?? 'a signal'}`);
  return problems;
}

/** Parses `testparm -s` stdout: section → (lower-cased key → value). */
export function parseTestparm(stdout: string): ParsedConf {
  const out: ParsedConf = new Map();
  let cur: Map<string, string> | null = null;
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.*)\]$/.exec(line);
    if (sec) {
      const name = sec[1]!.toLowerCase();
      cur = out.get(name) ?? new Map();
      out.set(name, cur);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || !cur) continue;
    cur.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  return out;
}

/** Values testparm -s leaves out because they equal Samba's defaults. */
const DEFAULTS: Record<string, string> = {
  browseable: 'yes',
  'read only': 'yes',
  'map to guest': 'never',
  'load printers': 'yes',
  printing: 'bsd',
  'disable spoolss': 'no',
  'disable netbios': 'no',
  'bind interfaces only': 'no',
  'server role': 'auto',
  workgroup: 'workgroup',
  'server string': 'samba %v',
  'printcap name': 'cups',
  'server min protocol': 'smb2_02',
  'server signing': 'default',
  'server smb encrypt': 'default',
  'multicast dns register': 'yes',
};

/** Parameters testparm -s never prints back (it sets its own debug level), so they can't be compared. */
const NOT_ECHOED = new Set(['log level']);

const norm = (v: string) => v.trim().replace(/\s+/g, ' ').toLowerCase();

function compareSection(want: SambaSection, got: Map<string, string> | undefined, strictExtra: boolean): string[] {
  if (!got) return [`testparm did not see section [${want.name}]`];
  const problems: string[] = [];
  const wanted = new Set<string>();
  for (const { key, value } of want.params) {
    const k = key.toLowerCase();
    wanted.add(k);
    if (NOT_ECHOED.has(k)) continue;
    const v = got.get(k);
    if (v === undefined) {
      if (DEFAULTS[k] !== undefined && DEFAULTS[k] === norm(value)) continue;
      // server role 'standalone server' is printed as is; anything else missing is a mismatch.
      problems.push(`[${want.name}] ${key}: testparm dropped it`);
    } else if (norm(v) !== norm(value)) {
      problems.push(`[${want.name}] ${key}: testparm read ${JSON.stringify(v.slice(0, 80))}, we wrote ${JSON.stringify(value.slice(0, 80))}`);
    }
  }
  if (strictExtra) {
    for (const k of got.keys()) if (!wanted.has(k)) problems.push(`[${want.name}] ${k}: parameter we did not write`);
  }
  return problems;
}

/**
 * Checks that testparm parsed our sections as the model says, and no section appeared that neither
 * we nor the base config (include mode: `baseSections` from the admin's smb.conf) defined.
 */
export function compareWithModel(model: SambaModel, parsed: ParsedConf, baseSections: readonly string[] = []): string[] {
  const problems: string[] = [];
  // [global] also holds the admin's settings in include mode and testparm's own (idmap, include).
  problems.push(...compareSection(model.global, parsed.get('global'), false));
  for (const s of model.shares) problems.push(...compareSection(s, parsed.get(s.name.toLowerCase()), true));
  const known = new Set(['global', ...model.shares.map((s) => s.name.toLowerCase()), ...baseSections.map((s) => s.toLowerCase())]);
  for (const name of parsed.keys()) if (!known.has(name)) problems.push(`testparm found a section [${name}] that the model does not define`);
  return problems;
}

/** Section names declared in a config text (for the admin's base file in include mode). */
export function sectionNames(text: string): string[] {
  const names: string[] = [];
  for (const raw of text.split('\n')) {
    const m = /^\s*\[([^\]]*)\]\s*$/.exec(raw);
    if (m && !names.includes(m[1]!.toLowerCase())) names.push(m[1]!.toLowerCase());
  }
  return names;
}
