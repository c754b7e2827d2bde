// Edits of pillarsd.yaml made through the API (the admin pane's schedule editor). The file stays the
// one source of truth: the edit goes into its text (a value replaced in place, or a key added or
// removed through yaml's document model), so comments and order survive, and the result is checked
// like any loaded file.
import { isScalar, parseDocument } from 'yaml';
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
