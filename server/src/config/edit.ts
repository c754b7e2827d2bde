// Edits of pillarsd.yaml made through the API (the admin pane's job settings, a job's notification choices). The file stays the
// one source of truth: each edit goes into its text, so comments and order survive, and the result
// is checked like any loaded file before anyone writes it.
//   - A value that replaces a scalar already there changes only that value's bytes (quotes kept).
//   - Anything else (a key added or removed, a list or mapping replaced) goes through yaml's
//     document model: comments are kept, a flow collection (`[a, b]`, `{ daily: 7 }`) stays one,
//     and some spacing may be normalised.
import { isCollection, isMap, isPair, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { parseConfig } from './load';
import type { Config } from './schema';

/** One change: the value at `path` (from the top of the file) becomes `value`; null removes the key. */
export interface ConfigEdit {
  path: Array<string | number>;
  value: unknown;
}

const isPlainScalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** True when `got` (as loaded, defaults filled in) holds everything `want` says. */
function holds(got: unknown, want: unknown): boolean {
  if (Array.isArray(want)) return Array.isArray(got) && got.length === want.length && want.every((w, i) => holds(got[i], w));
  if (want !== null && typeof want === 'object') return got !== null && typeof got === 'object' && Object.entries(want).every(([k, w]) => holds((got as Record<string, unknown>)[k], w));
  return got === want;
}

/** The value at `path` of a parsed configuration (undefined when absent). */
export function valueAt(root: unknown, path: ReadonlyArray<string | number>): unknown {
  let v = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

/** The edits as yaml's document model makes them, keeping a replaced collection's flow style. */
function applyToDocument(doc: Document, edits: readonly ConfigEdit[]): void {
  for (const e of edits) {
    if (e.value === null) {
      doc.deleteIn(e.path);
      continue;
    }
    const old = doc.getIn(e.path, true);
    if (isScalar(old) && isPlainScalar(e.value)) {
      // the node stays (its comment and quoting with it); only its value changes
      old.value = e.value;
      continue;
    }
    const node = doc.createNode(e.value);
    if (isCollection(old) && isCollection(node)) {
      // the new list or mapping keeps the old one's look: flow or block, its comments, the quoting
      // of its strings
      node.flow = old.flow;
      node.comment = old.comment;
      node.commentBefore = old.commentBefore;
      const quoted = old.items.map((i) => (isScalar(i) ? i : isPair(i) && isScalar(i.value) ? i.value : null)).find((i) => i && typeof i.value === 'string')?.type;
      if (quoted === 'QUOTE_DOUBLE' || quoted === 'QUOTE_SINGLE') {
        for (const i of node.items) {
          const sc = isScalar(i) ? i : isPair(i) && isScalar(i.value) ? i.value : null;
          if (sc && typeof sc.value === 'string') sc.type = quoted;
        }
      }
    }
    doc.setIn(e.path, node);
  }
}

/**
 * pillarsd.yaml's text with `edits` applied, and the configuration it gives. Throws ConfigError
 * (naming the file, line and key of each problem) when the result would not load, and Error when
 * the text does not parse or an edit would not read back as asked.
 */
export function withConfigEdits(text: string, file: string, edits: readonly ConfigEdit[]): { text: string; config: Config } {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`${file} does not parse as YAML any more: ${doc.errors[0]!.message.split('\n')[0]}`);
  for (const e of edits) {
    const parent = e.path.length > 1 ? doc.getIn(e.path.slice(0, -1), true) : doc.contents;
    if (e.value === null) continue;
    if (parent !== undefined && parent !== null && !isMap(parent) && !isSeq(parent)) throw new Error(`${file}: ${e.path.slice(0, -1).join('.')} is not a mapping or a list, so ${e.path.join('.')} cannot be set`);
  }
  // Only scalars replaced by scalars: splice each new value into the text (from the end, so earlier
  // offsets stay right); every other byte of the file stays as it was.
  const spliced = edits.map((e) => ({ e, node: doc.getIn(e.path, true) }));
  let next: string;
  if (spliced.every(({ e, node }) => isPlainScalar(e.value) && isScalar(node) && node.range && ['PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE'].includes(String(node.type)))) {
    next = text;
    const ordered = spliced.map(({ e, node }) => ({ e, range: (node as { range: [number, number, number] }).range })).sort((a, b) => b.range[0] - a.range[0]);
    for (const { e, range } of ordered) next = next.slice(0, range[0]) + (typeof e.value === 'string' ? JSON.stringify(e.value) : String(e.value)) + next.slice(range[1]);
  } else {
    applyToDocument(doc, edits);
    next = doc.toString();
  }
  const config = parseConfig(next, file);
  const written = parseDocument(next);
  for (const e of edits) {
    const ok = e.value === null ? !written.hasIn(e.path) : holds(valueAt(config, e.path), e.value);
    if (!ok) throw new Error(`the edit of ${file} did not give ${e.path.join('.')} the value asked for`);
  }
  return { text: next, config };
}

/**
 * pillarsd.yaml's text with `jobs.<jobId>.schedule` set to `schedule` (null removes it: the job
 * then runs only on demand or after the jobs it follows), and the configuration it gives.
 */
export function withJobSchedule(text: string, file: string, jobId: string, schedule: string | null): { text: string; config: Config } {
  if (!parseDocument(text).hasIn(['jobs', jobId])) throw new Error(`${file} has no job "${jobId}"`);
  return withConfigEdits(text, file, [{ path: ['jobs', jobId, 'schedule'], value: schedule }]);
}

/**
 * pillarsd.yaml's text with a job's notification choices changed: per channel the kinds it sends
 * there (`notifications.jobs.<jobId>.send.<channel>`), or null for the channel's own `events`
 * (the key is removed, and so are the maps it leaves empty). Written as flow lists
 * (`mail: [failed, blocked]`) so the file stays readable.
 */
export function withJobNotify(text: string, file: string, jobId: string, send: Record<string, readonly string[] | null>): { text: string; config: Config } {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`${file} does not parse as YAML any more: ${doc.errors[0]!.message.split('\n')[0]}`);
  if (!doc.hasIn(['jobs', jobId])) throw new Error(`${file} has no job "${jobId}"`);
  if (!doc.hasIn(['notifications'])) throw new Error(`${file} has no notifications: section (add a channel first)`);
  const base = ['notifications', 'jobs', jobId];
  for (const [channel, kinds] of Object.entries(send)) {
    if (kinds === null) doc.deleteIn([...base, 'send', channel]);
    else doc.setIn([...base, 'send', channel], doc.createNode([...kinds], { flow: true }));
  }
  const empty = (path: string[]) => {
    const n = doc.getIn(path, true);
    return isMap(n) && n.items.length === 0;
  };
  if (empty([...base, 'send'])) doc.deleteIn([...base, 'send']);
  if (empty(base)) doc.deleteIn(base);
  if (empty(['notifications', 'jobs'])) doc.deleteIn(['notifications', 'jobs']);
  const next = doc.toString();
  const config = parseConfig(next, file);
  const got = config.notifications?.jobs[jobId]?.send ?? {};
  for (const [channel, kinds] of Object.entries(send)) {
    if (JSON.stringify(got[channel] ?? null) !== JSON.stringify(kinds)) throw new Error(`the edit of ${file} did not give notifications.jobs.${jobId}.send.${channel} the value asked for`);
  }
  return { text: next, config };
}
