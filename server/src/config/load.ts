// Loads pillarsd.yaml: YAML (keeping line positions) → schema → cross-references. Every problem
// names the file, the line where YAML gives one, the key path and the reason; the CLI exits 2.
import { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair } from 'yaml';
import type { Document, Node } from 'yaml';
import { configSchema } from './schema';
import type { Config } from './schema';
import { readText } from '../infra/fs';
import { notificationProblems } from './notify-schema';

export interface ConfigProblem {
  file: string;
  line: number | null;
  path: string; // dotted key path, e.g. jobs.flux-backup.schedule
  message: string;
}

export class ConfigError extends Error {
  readonly exitCode = 2;
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}: ${p.path || '(top level)'}: ${p.message}`;
}

export interface LoadedConfig {
  file: string;
  config: Config;
  /** the file's text as it was loaded (an API edit refuses to write over a later hand edit) */
  text?: string;
}

const DEFAULT_CONFIG = '/etc/pillars/pillarsd.yaml';

/** --config, else $PILLARS_CONFIG, else /etc/pillars/pillarsd.yaml (server/README.md). */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.PILLARS_CONFIG || DEFAULT_CONFIG;
}

export function loadConfigFile(file: string): LoadedConfig {
  let text: string;
  try {
    text = readText(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found (give --config FILE or set PILLARS_CONFIG)' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new ConfigError([{ file, line: null, path: '', message: `cannot read the configuration: ${why}` }]);
  }
  return { file, config: parseConfig(text, file), text };
}

/** Control characters (and the Unicode line breaks) as visible escapes: a hostile key cannot rewrite the terminal or the log. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const escapeControl = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const keyPath = (path: readonly PropertyKey[]) => escapeControl(path.map(String).join('.'));

/** The line of the node at `path`, or of its nearest ancestor that exists. */
function lineOf(doc: Document, lc: LineCounter, path: readonly PropertyKey[], preferKey = false): number | null {
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n).map((k) => (typeof k === 'symbol' ? String(k) : k));
    const node = findNode(doc.contents as Node | null, sub as Array<string | number>, preferKey && n === path.length);
    const offset = node?.range?.[0];
    if (offset !== undefined) return lc.linePos(offset).line;
  }
  return null;
}

function findNode(root: Node | null, path: Array<string | number>, wantKey: boolean): Node | null {
  let cur: Node | null = root;
  for (let i = 0; i < path.length; i++) {
    const k = path[i]!;
    if (isMap(cur)) {
      const pair = cur.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(k));
      if (!pair) return null;
      if (wantKey && i === path.length - 1) return pair.key as Node;
      cur = (pair.value as Node) ?? (pair.key as Node);
    } else if (isSeq(cur) && typeof k === 'number') {
      cur = (cur.items[k] as Node) ?? null;
    } else return null;
  }
  return cur;
}

export function parseConfig(text: string, file: string): Config {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        file,
        line: e.linePos?.[0]?.line ?? (e.pos?.[0] !== undefined ? lc.linePos(e.pos[0]).line : null),
        path: '',
        message: `invalid YAML: ${e.message.split('\n')[0]}`,
      })),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError([{ file, line: 1, path: '', message: 'the configuration must be a mapping of keys (stateDir, pillars, jobs, …)' }]);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const unknownKeys = i.code === 'unrecognized_keys' ? (i as { keys: string[] }).keys : null;
        const path = unknownKeys ? [...i.path, unknownKeys[0]!] : i.path;
        return {
          file,
          line: lineOf(doc, lc, path, true),
          path: keyPath(path),
          message: escapeControl(
            unknownKeys
              ? `unknown key${unknownKeys.length > 1 ? 's' : ''} ${unknownKeys.map((k) => `"${k}"`).join(', ')}`
              : i.code === 'invalid_key'
                ? // zod says only "Invalid key in record": say which rule the name broke.
                  `the name "${String(i.path.at(-1))}" ${(i as { issues?: Array<{ message: string }> }).issues?.[0]?.message ?? 'is not allowed here'}`
                : i.message,
          ),
        };
      }),
    );
  }
  const problems = crossCheck(parsed.data).map((p) => ({ file, line: lineOf(doc, lc, p.path), path: keyPath(p.path), message: escapeControl(p.message) }));
  if (problems.length) throw new ConfigError(problems);
  return parsed.data;
}

/** Names that must refer to something declared elsewhere in the file. */
function crossCheck(c: Config): Array<{ path: Array<string | number>; message: string }> {
  const out: Array<{ path: Array<string | number>; message: string }> = [];
  const pillars = Object.keys(c.pillars);
  const remotes = Object.keys(c.remotes);
  const secrets = Object.keys(c.secrets);
  for (const name of remotes) {
    if (pillars.includes(name)) out.push({ path: ['remotes', name], message: `"${name}" is both a pillar and a remote; give the remote another name` });
  }
  const where = (ref: string, path: Array<string | number>, allowRemote: boolean) => {
    const name = ref.slice(0, ref.indexOf(':'));
    if (pillars.includes(name)) {
      const rest = ref.slice(name.length + 1);
      if (!rest.startsWith('/')) out.push({ path, message: `"${ref}": the path inside pillar ${name} must start with / (e.g. ${name}:/${rest})` });
      else if (rest.split('/').includes('..')) out.push({ path, message: `"${ref}": ".." is not allowed in a pillar path` });
      return;
    }
    if (allowRemote && remotes.includes(name)) return;
    const known = [...pillars, ...(allowRemote ? remotes : [])];
    out.push({ path, message: `"${ref}" names ${allowRemote ? 'neither a pillar nor a remote' : 'no pillar'} "${name}" (known: ${known.join(', ') || 'none'})` });
  };
  for (const [jobId, j] of Object.entries(c.jobs)) {
    const p = (k: string) => ['jobs', jobId, k];
    if (j.type === 'restic-backup') where(j.source, p('source'), false);
    if (j.type === 'restic-drill' && j.scratch) where(j.scratch, p('scratch'), false);
    if (j.type === 'restic-backup' || j.type === 'restic-forget' || j.type === 'restic-check' || j.type === 'restic-drill') {
      where(j.repository, p('repository'), false);
      if (!secrets.includes(j.password)) out.push({ path: p('password'), message: `names no entry of secrets: "${j.password}" (known: ${secrets.join(', ') || 'none'})` });
    }
    if (j.type === 'rclone-sync' || j.type === 'rclone-copy') {
      where(j.source, p('source'), true);
      where(j.destination, p('destination'), true);
    }
    j.after.forEach((a, i) => {
      if (!(a in c.jobs)) out.push({ path: ['jobs', jobId, 'after', i], message: `names no job "${a}"` });
      if (a === jobId) out.push({ path: ['jobs', jobId, 'after', i], message: 'a job cannot run after itself' });
    });
  }
  const seed = c.b2plan?.seedJob;
  if (seed !== undefined && c.jobs[seed]?.type !== 'rclone-copy') {
    out.push({
      path: ['b2plan', 'seedJob'],
      message: `names no rclone-copy job "${seed}" (copy jobs: ${
        Object.entries(c.jobs)
          .filter(([, j]) => j.type === 'rclone-copy')
          .map(([id]) => id)
          .join(', ') || 'none'
      })`,
    });
  }
  if (c.restore?.area) where(c.restore.area, ['restore', 'area'], false);
  if (c.syncthing) where(c.syncthing.hotRoot, ['syncthing', 'hotRoot'], false);
  out.push(...notificationProblems(c));
  const cycle = findCycle(c);
  if (cycle) out.push({ path: ['jobs', cycle[0]!, 'after'], message: `dependency cycle: ${cycle.join(' → ')}` });
  return out;
}

function findCycle(c: Config): string[] | null {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 2) return null;
    if (state.get(id) === 1) return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 1);
    stack.push(id);
    for (const a of c.jobs[id]?.after ?? []) {
      const r = visit(a);
      if (r) return r;
    }
    stack.pop();
    state.set(id, 2);
    return null;
  };
  for (const id of Object.keys(c.jobs)) {
    const r = visit(id);
    if (r) return r;
  }
  return null;
}
