// Every setting of a job, as a form built from the JSON Schema pillarsd sends with the settings
// (GET /api/v1/jobs/:id/settings): a setting added to pillarsd.yaml's schema is editable here at
// once. Saving sends only what changed (settings.ts) as one PATCH; pillarsd writes it into
// pillarsd.yaml and the next run uses it. A wrong value is shown next to its field, named by its
// key as in the file.
import { useEffect, useState, type ReactNode } from 'react';
import { JOB_NOTICE_KINDS, type FieldProblem, type JobSettings, type JobSettingsEdit } from '../../../server/src/contract/api';
import { ApiError } from '../api';
import { ErrorNote } from '../components/ui';
import { getAt, labelOf, setAt, settingsEdits, widgetFor, type Json, type Path } from '../settings';
import { store } from '../store';

/** What a setting is for, where its name alone does not say. */
const HELP: Record<string, string> = {
  keep: 'How many snapshots restic forget keeps per period (--keep-last, --keep-daily, …); at least one rule.',
  exclude: 'Patterns left out, one per line.',
  bwlimit: 'rclone bandwidth limit: one rate (4M) or a timetable such as "08:00,512k 23:00,off" (times and rates, separated by spaces).',
  guard: 'The deletion guard: a sync that would delete more than either limit stops and waits for approval.',
  pre: 'Commands run before the job, one argument per line; a failing one fails the run.',
  post: 'Commands run after the job, one argument per line; they run even after a failure or a cancel.',
  schedule: 'Cron: minute hour day month weekday. Empty: the job runs on demand or after the jobs it follows.',
  after: 'Jobs this one follows, one per line.',
  readDataSubset: 'How much of the data restic check reads: a percentage (5%), a part (1/10) or a size (2G).',
  enabled: 'A disabled job never runs on its schedule; Run once still starts it.',
  maxAge: 'Overdue after this long without a success (e.g. 36h), besides the schedule.',
};

/** Settings shown elsewhere or not to be changed here. */
const SKIP = new Set(['type']);

interface FieldProps {
  jobId: string;
  path: Path;
  schema: Json;
  value: unknown;
  fallback: unknown;
  problems: Map<string, string>;
  onChange: (path: Path, value: unknown) => void;
}

const idOf = (jobId: string, path: Path) => `set-${jobId}-${path.join('-')}`;

function Problem({ id, text }: { id: string; text: string | undefined }) {
  if (!text) return null;
  return (
    <span className="error field-error" id={`${id}-error`}>
      {text}
    </span>
  );
}

function Field({ jobId, path, schema, value, fallback, problems, onChange }: FieldProps): ReactNode {
  const key = String(path.at(-1));
  const id = idOf(jobId, path);
  const problem = problems.get(path.join('.'));
  const w = widgetFor(schema);
  const help = HELP[key];
  const describedBy = [help ? `${id}-help` : '', problem ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const label = typeof path.at(-1) === 'number' ? `${labelOf(String(path.at(-2)))} ${Number(path.at(-1)) + 1}` : labelOf(key);
  const common = { id, 'aria-invalid': problem ? true : undefined, 'aria-describedby': describedBy } as const;
  const helpText = help && (
    <span className="muted small" id={`${id}-help`}>
      {help}
    </span>
  );
  switch (w.kind) {
    case 'boolean':
      return (
        <div className="field check">
          <label>
            <input type="checkbox" {...common} checked={Boolean(value ?? fallback)} onChange={(e) => onChange(path, e.target.checked)} /> {label}
          </label>
          {helpText}
          <Problem id={id} text={problem} />
        </div>
      );
    case 'group':
      return (
        <fieldset className="field group">
          <legend>{label}</legend>
          {helpText}
          <Problem id={id} text={problem} />
          {w.properties.map(([k, s]) => (
            <Field key={k} jobId={jobId} path={[...path, k]} schema={s} value={getAt(value, [k])} fallback={getAt(fallback, [k])} problems={problems} onChange={onChange} />
          ))}
        </fieldset>
      );
    case 'list': {
      const items = (Array.isArray(value) ? value : []) as Json[];
      return (
        <fieldset className="field group">
          <legend>{label}</legend>
          {helpText}
          <Problem id={id} text={problem} />
          {items.map((item, i) => (
            <div className="list-item" key={i}>
              <Field jobId={jobId} path={[...path, i]} schema={w.item} value={item} fallback={undefined} problems={problems} onChange={onChange} />
              <button
                type="button"
                onClick={() =>
                  onChange(
                    path,
                    items.filter((_, j) => j !== i),
                  )
                }
              >
                Remove {labelOf(key).toLowerCase()} {i + 1}
              </button>
            </div>
          ))}
          <button type="button" onClick={() => onChange(path, [...items, { argv: [] }])}>
            Add {labelOf(key).toLowerCase()}
          </button>
        </fieldset>
      );
    }
    case 'hidden-map': {
      const keys = Object.keys((value ?? {}) as Json);
      if (keys.length === 0) return null;
      return (
        <p className="field muted small">
          {label}: {keys.join(', ')} (values are not shown; change them in pillarsd.yaml)
        </p>
      );
    }
    case 'lines': {
      const lines = (Array.isArray(value) ? value : Array.isArray(fallback) ? fallback : []) as string[];
      return (
        <div className="field">
          <label htmlFor={id}>{label} (one per line)</label>
          <textarea
            {...common}
            rows={Math.min(8, Math.max(2, lines.length + 1))}
            spellCheck={false}
            value={lines.join('\n')}
            onChange={(e) =>
              onChange(
                path,
                e.target.value.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1),
              )
            }
            onBlur={(e) =>
              onChange(
                path,
                e.target.value.split('\n').filter((l) => l.trim() !== ''),
              )
            }
          />
          {helpText}
          <Problem id={id} text={problem} />
        </div>
      );
    }
    case 'choice':
      return (
        <div className="field">
          <label htmlFor={id}>{label}</label>
          <select {...common} value={String(value ?? fallback ?? '')} onChange={(e) => onChange(path, e.target.value === '' ? undefined : e.target.value)}>
            <option value="">(default)</option>
            {w.options.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
          {helpText}
          <Problem id={id} text={problem} />
        </div>
      );
    case 'number':
      return (
        <div className="field">
          <label htmlFor={id}>{label}</label>
          <input
            {...common}
            type="number"
            inputMode="decimal"
            step={w.integer ? 1 : 'any'}
            value={value === undefined ? '' : String(value)}
            placeholder={fallback === undefined ? '' : String(fallback)}
            onChange={(e) => onChange(path, e.target.value === '' ? undefined : Number(e.target.value))}
          />
          {helpText}
          <Problem id={id} text={problem} />
        </div>
      );
    default:
      return (
        <div className="field">
          <label htmlFor={id}>{label}</label>
          <input
            {...common}
            type="text"
            spellCheck={false}
            value={value === undefined ? '' : String(value)}
            placeholder={fallback === undefined ? '' : String(fallback)}
            onChange={(e) => onChange(path, e.target.value === '' ? undefined : e.target.value)}
          />
          {helpText}
          <Problem id={id} text={problem} />
        </div>
      );
  }
}

/** A job's notification choices: per channel its own events, or the kinds this job sends there. */
function NotifyChoices({ jobId, n, draft, onChange }: { jobId: string; n: NonNullable<JobSettings['notifications']>; draft: Json; onChange: (d: Json) => void }) {
  const send = (draft.send ?? {}) as Record<string, string[]>;
  return (
    <fieldset className="field group">
      <legend>Notifications</legend>
      {n.channels
        .filter((c) => c.type !== 'heartbeat')
        .map((c) => {
          const own = !(c.name in send);
          const id = idOf(jobId, ['notify', c.name]);
          return (
            <div key={c.name} className="notify-channel">
              <label>
                <input type="checkbox" id={id} checked={own} onChange={(e) => onChange(setAt(draft, ['send', c.name], e.target.checked ? undefined : ['failed', 'blocked']))} /> {c.name} ({c.type}): the channel's own
                events
              </label>
              {!own && (
                <div className="kinds" role="group" aria-label={`What ${jobId} sends to ${c.name}`}>
                  {JOB_NOTICE_KINDS.map((k) => (
                    <label key={k}>
                      <input
                        type="checkbox"
                        checked={send[c.name]!.includes(k)}
                        onChange={(e) => onChange(setAt(draft, ['send', c.name], e.target.checked ? [...send[c.name]!, k] : send[c.name]!.filter((x) => x !== k)))}
                      />{' '}
                      {k}
                    </label>
                  ))}
                </div>
              )}
            </div>
          );
        })}
      <Field
        jobId={jobId}
        path={['maxAge']}
        schema={(n.schema.properties as Json).maxAge as Json}
        value={draft.maxAge}
        fallback={undefined}
        problems={new Map()}
        onChange={(_, v) => onChange(setAt(draft, ['maxAge'], v))}
      />
    </fieldset>
  );
}

export function JobSettingsForm({ jobId, onClose }: { jobId: string; onClose: () => void }) {
  const [loaded, setLoaded] = useState<JobSettings | null>(null);
  const [draft, setDraft] = useState<Json>({});
  const [notify, setNotify] = useState<Json>({});
  const [error, setError] = useState<string | null>(null);
  const [problems, setProblems] = useState<Map<string, string>>(new Map());
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const take = (s: JobSettings) => {
    setLoaded(s);
    setDraft(s.values);
    setNotify(s.notifications?.values ?? {});
  };
  useEffect(() => {
    let cancelled = false;
    store.api
      .jobSettings(jobId)
      .then((s) => !cancelled && take(s))
      .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
    };
  }, [jobId]);
  if (!loaded) return <ErrorNote error={error} />;
  const prefix = `jobs.${jobId}.`;
  const edits: JobSettingsEdit[] = [...settingsEdits(loaded.values, draft), ...settingsEdits(loaded.notifications?.values ?? {}, notify).map((e) => ({ ...e, section: 'notifications' as const }))];
  const props = Object.entries((loaded.schema.properties ?? {}) as Record<string, Json>).filter(([k]) => !SKIP.has(k) && !loaded.locked.includes(k));
  return (
    <form
      className="settings-form"
      aria-label={`Settings of ${jobId}`}
      onSubmit={async (e) => {
        e.preventDefault();
        if (edits.length === 0) return;
        setBusy(true);
        setError(null);
        setSaved(false);
        try {
          take(await store.api.updateJobSettings(jobId, edits));
          setProblems(new Map());
          setSaved(true);
          await store.refreshStatus();
        } catch (err) {
          const fields: FieldProblem[] = err instanceof ApiError ? err.fields : [];
          setProblems(new Map(fields.map((f) => [f.path.startsWith(prefix) ? f.path.slice(prefix.length) : f.path, f.message])));
          setError(err instanceof Error ? err.message : String(err));
        } finally {
          setBusy(false);
        }
      }}
    >
      <p className="muted">Saved into pillarsd.yaml (comments kept); the next run uses it. A blank field takes the default shown in grey.</p>
      {props.map(([k, s]) => (
        <Field key={k} jobId={jobId} path={[k]} schema={s} value={draft[k]} fallback={loaded.effective[k]} problems={problems} onChange={(path, v) => (setSaved(false), setDraft((d) => setAt(d, path, v)))} />
      ))}
      {loaded.notifications && <NotifyChoices jobId={jobId} n={loaded.notifications} draft={notify} onChange={(d) => (setSaved(false), setNotify(d))} />}
      <ErrorNote error={error} />
      {saved && (
        <p className="ok" role="status">
          Saved. The next run uses these settings.
        </p>
      )}
      <div className="row form-actions">
        <button type="submit" className="primary" disabled={busy || edits.length === 0}>
          Save settings
        </button>
        <button type="button" disabled={busy || edits.length === 0} onClick={() => take(loaded)}>
          Undo changes
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
        <span className="muted small" aria-live="polite">
          {edits.length === 0 ? 'No changes' : `${edits.length} change${edits.length === 1 ? '' : 's'} to save`}
        </span>
      </div>
    </form>
  );
}
