// A job's settings as the admin pane sees and edits them: the mapping pillarsd.yaml holds for it,
// with defaults filled in, the JSON Schema of its type (the pane builds its form from it, so a
// setting added to the schema is editable at once), and the pane's edits as paths into the file.
// Pure: the service that writes the file is jobs/job-settings.ts.
import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { JobSettings, JobSettingsEdit } from '../contract/api';
import { ConfigError } from './load';
import type { ConfigEdit } from './edit';
import { jobSchema, type Config } from './schema';
import { jobNotify } from './notify-schema';

/** What stands for a hook's environment value in answers: they may be secrets. */
export const HIDDEN = '(set)';

/** Keys of a job an edit may not change: a job of another type is another job. */
const LOCKED = ['type'];

/** The JSON Schema of a job of `type` as the pane's form reads it (defaults optional, as in the file). */
function typeSchema(type: string): Record<string, unknown> {
  const member = jobSchema.options.find((o) => o.shape.type.value === type);
  if (!member) throw new Error(`no schema for job type ${type}`);
  const { $schema: _dialect, ...json } = z.toJSONSchema(member, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return json;
}

function jobNotifySchema(): Record<string, unknown> {
  const { $schema: _dialect, ...json } = z.toJSONSchema(jobNotify, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return json;
}

/** A job's mapping with each hook's environment values replaced by HIDDEN. */
function hideHookEnv(job: Record<string, unknown>): Record<string, unknown> {
  const out = { ...job };
  for (const kind of ['pre', 'post'] as const) {
    if (!Array.isArray(out[kind])) continue;
    out[kind] = (out[kind] as unknown[]).map((h) => {
      if (!h || typeof h !== 'object' || !('env' in h) || !h.env || typeof h.env !== 'object') return h;
      return { ...h, env: Object.fromEntries(Object.keys(h.env).map((k) => [k, HIDDEN])) };
    });
  }
  return out;
}

const asRecord = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** The settings of `jobId` in `text` (as written) and `config` (as loaded). */
export function jobSettings(text: string, config: Config, jobId: string): JobSettings {
  const job = config.jobs[jobId];
  if (!job) throw new Error(`no job "${jobId}"`);
  const written = asRecord(parseDocument(text).toJS());
  const channels = Object.entries(config.notifications?.channels ?? {}).map(([name, c]) => ({ name, type: c.type }));
  return {
    jobId,
    type: job.type,
    values: hideHookEnv(asRecord(asRecord(written.jobs)[jobId])),
    effective: hideHookEnv(job as unknown as Record<string, unknown>),
    schema: typeSchema(job.type),
    locked: LOCKED,
    notifications: channels.length ? { channels, values: asRecord(asRecord(asRecord(written.notifications).jobs)[jobId]), schema: jobNotifySchema() } : null,
  };
}

/** The edits as paths from the top of pillarsd.yaml; ConfigError (each path named) for what may not change. */
export function toConfigEdits(file: string, jobId: string, edits: readonly JobSettingsEdit[]): ConfigEdit[] {
  const wrong: Array<{ path: string; message: string }> = [];
  const out = edits.map((e) => {
    const base = e.section === 'notifications' ? ['notifications', 'jobs', jobId] : ['jobs', jobId];
    const path = [...base, ...e.path];
    if (e.path.length === 0) wrong.push({ path: path.join('.'), message: 'names no setting' });
    else if (e.section !== 'notifications' && LOCKED.includes(String(e.path[0])))
      wrong.push({ path: path.join('.'), message: 'cannot be changed: a job of another type is another job (add it under jobs: in pillarsd.yaml)' });
    else if (e.value === HIDDEN || (typeof e.value === 'object' && e.value !== null && JSON.stringify(e.value).includes(JSON.stringify(HIDDEN))))
      wrong.push({ path: path.join('.'), message: `"${HIDDEN}" stands for a value the pane is not shown; send the new value, or leave the key out` });
    return { path, value: e.value };
  });
  if (wrong.length) throw new ConfigError(wrong.map((w) => ({ file, line: null, path: w.path, message: w.message })));
  return out;
}
