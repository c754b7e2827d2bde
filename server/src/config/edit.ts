// Edits of pillarsd.yaml made through the API (the admin pane's schedule editor and a job's
// notification choices). The file stays the one source of truth: the edit goes into its text (a
// value replaced in place, or a key added or removed through yaml's document model), so comments
// and order survive, and the result is checked like any loaded file.
import { isMap, isScalar, parseDocument } from 'yaml';
import { parseConfig } from './load';
import type { Config } from './schema';

/**
 * pillarsd.yaml's text with `jobs.<jobId>.schedule` set to `schedule` (null removes it: the job
 * then runs only on demand or after the jobs it follows), and the configuration it gives.
 * Throws ConfigError (naming the file, line and key) when the result would not load.
 */
export function withJobSchedule(text: string, file: string, jobId: string, schedule: string | null): { text: string; config: Config } {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`${file} does not parse as YAML any more: ${doc.errors[0]!.message.split('\n')[0]}`);
  if (!doc.hasIn(['jobs', jobId])) throw new Error(`${file} has no job "${jobId}"`);
  const node = doc.getIn(['jobs', jobId, 'schedule'], true);
  let next: string;
  if (schedule !== null && isScalar(node) && node.range && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' || node.type === 'PLAIN')) {
    // a schedule already there: only its value changes, every other byte of the file stays
    next = text.slice(0, node.range[0]) + JSON.stringify(schedule) + text.slice(node.range[1]);
  } else {
    // added or removed: yaml writes the document again (comments kept, some spacing normalised)
    if (schedule === null) doc.deleteIn(['jobs', jobId, 'schedule']);
    else doc.setIn(['jobs', jobId, 'schedule'], schedule);
    next = doc.toString();
  }
  const config = parseConfig(next, file);
  if ((config.jobs[jobId]?.schedule ?? null) !== schedule) throw new Error(`the edit of ${file} did not give jobs.${jobId}.schedule the value asked for`);
  return { text: next, config };
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
