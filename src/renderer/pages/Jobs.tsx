import { useEffect, useRef, useState } from 'react';
import { JobSettingsForm } from './JobSettings';
import type { AuditEntry, AuditPage, JobInfo, StatusResponse, TokenInfo } from '../../../server/src/contract/api';
import { formatAge, formatDateTime } from '../../shared/format';
import { compareVersions } from '../../shared/version';
import { ApiError } from '../api';
import { ActionButton, ErrorNote, PageHeader, Section, StatusBadge, TableBox } from '../components/ui';
import { useNow } from '../hooks';
import { activeRunOf, isActive } from '../model';
import { runHref, runsHref } from '../route';
import { describeSchedule, previewSchedule } from '../schedule';
import { seedLine } from '../seed';
import { store, usePane, viewerReason } from '../store';

function ScheduleEditor({ job, onClose }: { job: JobInfo; onClose: () => void }) {
  const [expr, setExpr] = useState(job.schedule ?? '');
  const [saveError, setSaveError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const preview = previewSchedule(expr, new Date(), 5, job.timezone);
  const inputId = `schedule-${job.id}`;
  return (
    <form
      className="schedule-editor"
      aria-label={`Schedule of ${job.id}`}
      onSubmit={async (e) => {
        e.preventDefault();
        if (!preview.ok) return;
        setSaveError(null);
        try {
          await store.api.setSchedule(job.id, expr.trim());
          setSaved(true);
          await store.refreshStatus();
        } catch (err) {
          const notHere = err instanceof ApiError && (err.status === 404 || err.status === 405);
          setSaveError(notHere ? `This pillarsd cannot change schedules over the API: set jobs.${job.id}.schedule to "${expr.trim()}" in pillarsd.yaml and restart it.` : err instanceof Error ? err.message : String(err));
        }
      }}
    >
      <label htmlFor={inputId}>Schedule of {job.id} (cron: minute hour day month weekday)</label>
      <input
        id={inputId}
        value={expr}
        onChange={(e) => {
          setExpr(e.target.value);
          setSaved(false);
        }}
        aria-invalid={!preview.ok}
        aria-describedby={`${inputId}-help`}
        spellCheck={false}
        autoFocus
      />
      <div id={`${inputId}-help`} aria-live="polite">
        {preview.ok ? (
          <>
            <p className="words">{preview.words}</p>
            <p>Next five runs:</p>
            <ol className="next-runs">
              {preview.next.map((d) => (
                <li key={d.getTime()}>{formatDateTime(d)}</li>
              ))}
            </ol>
          </>
        ) : (
          <p className="error" role="alert">
            {preview.error}
          </p>
        )}
      </div>
      <ErrorNote error={saveError} />
      {saved && <p className="ok">Saved.</p>}
      <div className="row">
        <button type="submit" disabled={!preview.ok || expr.trim() === (job.schedule ?? '')}>
          Save schedule
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </form>
  );
}

/**
 * Each paired client with the version it last reported (X-Pillars-Client) and the builds it is
 * offered, so the owner sees who is behind (admin tokens only; hidden for viewers and older servers).
 */
function Clients() {
  const { syncGeneration, role } = usePane();
  const [tokens, setTokens] = useState<TokenInfo[] | null>(null);
  useEffect(() => {
    if (role === 'viewer') return;
    let cancelled = false;
    store.api
      .get<{ tokens: TokenInfo[] }>('/api/v1/tokens')
      .then((r) => !cancelled && setTokens(r.tokens.filter((t) => !t.revokedAt && t.clientVersion)))
      .catch(() => !cancelled && setTokens(null));
    return () => {
      cancelled = true;
    };
  }, [syncGeneration, role]);
  if (!tokens || tokens.length === 0) return null;
  const newest = tokens.map((t) => t.clientVersion!).reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b));
  return (
    <Section title="Clients">
      <TableBox label="Clients, scrollable">
        <table className="data">
          <caption className="sr-only">Each paired client, the version it last reported and the builds it is offered</caption>
          <thead>
            <tr>
              <th scope="col">Client</th>
              <th scope="col">Version</th>
              <th scope="col">System</th>
              <th scope="col">Updates</th>
              <th scope="col">Last contact</th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>
                  {t.clientVersion}
                  {compareVersions(t.clientVersion!, newest) < 0 ? <span className="muted"> (behind {newest})</span> : null}
                </td>
                <td>{{ darwin: 'macOS', win32: 'Windows', linux: 'Linux' }[t.clientOs ?? ''] ?? '—'}</td>
                <td>{t.updateChannel}</td>
                <td>{formatDateTime(t.lastUsedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
    </Section>
  );
}

/** Who did what (admin tokens only; the section stays hidden for viewers and older servers). */
function RecentActions() {
  const { model, syncGeneration, role } = usePane();
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const runCount = model.runs.size;
  useEffect(() => {
    if (role === 'viewer') return;
    let cancelled = false;
    store.api
      .get<AuditPage>('/api/v1/audit?limit=15')
      .then((p) => !cancelled && setEntries(p.entries))
      .catch(() => !cancelled && setEntries(null));
    return () => {
      cancelled = true;
    };
  }, [runCount, syncGeneration, role]);
  if (!entries || entries.length === 0) return null;
  return (
    <Section title="Recent actions">
      <TableBox label="Recent actions, scrollable">
        <table className="data">
          <caption className="sr-only">The last actions taken through the API</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id}>
                <td>{formatDateTime(e.at)}</td>
                <td>{e.actor}</td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>{e.target ?? '—'}</td>
                <td>{e.detail ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
    </Section>
  );
}

export function Jobs({ status }: { status: StatusResponse }) {
  const now = useNow();
  const { model, role } = usePane();
  const readOnly = viewerReason(role);
  const [editing, setEditing] = useState<string | null>(null);
  const [settingsOf, setSettingsOf] = useState<string | null>(null);
  const settingsBox = useRef<HTMLDivElement>(null);
  // the form opens below the table: bring it into view (on a phone it is far down)
  useEffect(() => {
    if (settingsOf) settingsBox.current?.scrollIntoView({ block: 'start' });
  }, [settingsOf]);
  const [error, setError] = useState<string | null>(null);
  const editJob = status.jobs.find((j) => j.id === editing);
  return (
    <div className="page jobs">
      <PageHeader title="Jobs" />
      <Section title="Every job">
        <ErrorNote error={error} />
        <table className="data cards">
          <caption className="sr-only">Jobs with their schedules and actions</caption>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Type</th>
              <th scope="col">Schedule</th>
              <th scope="col">Next run</th>
              <th scope="col">Last run</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {status.jobs.map((j) => {
              const active = activeRunOf(model, j.id) ?? (j.lastRun && isActive(j.lastRun.status) ? j.lastRun : null);
              const p = active?.progress;
              // a job that runs on no schedule of its own (disabled, or only on demand) is run once by hand
              const manual = !j.enabled || (!j.schedule && j.after.length === 0);
              return (
                <tr key={j.id} className={j.enabled ? '' : 'disabled'}>
                  <th scope="row">
                    <a href={runsHref(j.id)}>{j.id}</a>
                    {j.after.length > 0 && <div className="muted small">after {j.after.join(', ')}</div>}
                  </th>
                  <td data-label="Type">{j.type}</td>
                  <td data-label="Schedule">
                    <div>{describeSchedule(j.schedule)}</div>
                    {j.schedule && <code>{j.schedule}</code>}
                  </td>
                  <td data-label="Next run">{j.enabled ? j.nextRunAt ? <span title={j.nextRunAt}>{formatDateTime(j.nextRunAt)}</span> : j.after.length ? `after ${j.after.join(', ')}` : 'on demand' : 'disabled'}</td>
                  <td data-label="Last run" className="lastrun">
                    {j.lastRun ? (
                      <a href={runHref(j.lastRun.id)}>
                        <StatusBadge status={j.lastRun.status} /> <span className="age">{formatAge(j.lastRun.finishedAt ?? j.lastRun.startedAt ?? j.lastRun.queuedAt, now)}</span>
                      </a>
                    ) : (
                      <span className="muted">never</span>
                    )}
                    {j.seed && (
                      <div className="small seed">
                        <progress value={j.seed.bytesDone} max={Math.max(1, j.seed.bytesTotal)} aria-label={`${j.id}: seed progress`} /> {seedLine(j.seed)}
                      </div>
                    )}
                  </td>
                  <td data-label="State">
                    {!j.enabled && <span className="badge">disabled</span>}
                    {(j.enabled || j.state !== 'idle') && <StatusBadge status={j.state} />}
                    {j.overdue && <span className="badge st-overdue">overdue</span>}
                    {p?.percent != null && <span className="small"> {p.percent.toFixed(0)} %</span>}
                  </td>
                  <td className="actions">
                    <ActionButton
                      onError={setError}
                      title={readOnly}
                      disabled={!!readOnly || j.state === 'running' || j.state === 'queued'}
                      action={async () => {
                        setError(null);
                        window.location.hash = runHref(await store.runNow(j.id));
                      }}
                    >
                      {manual ? 'Run once' : 'Run now'}
                    </ActionButton>
                    <ActionButton
                      onError={setError}
                      title={readOnly}
                      disabled={!!readOnly || !active}
                      action={async () => {
                        setError(null);
                        if (active) store.putRun(await store.api.cancel(active.id));
                      }}
                    >
                      Cancel
                    </ActionButton>
                    <ActionButton
                      onError={setError}
                      title={readOnly}
                      disabled={!!readOnly}
                      action={async () => {
                        setError(null);
                        await store.api.setEnabled(j.id, !j.enabled);
                        await store.refreshStatus();
                      }}
                    >
                      {j.enabled ? 'Disable' : 'Enable'}
                    </ActionButton>
                    <button type="button" onClick={() => setEditing(editing === j.id ? null : j.id)} aria-expanded={editing === j.id}>
                      Edit schedule
                    </button>
                    <button type="button" disabled={!!readOnly} title={readOnly} onClick={() => setSettingsOf(settingsOf === j.id ? null : j.id)} aria-expanded={settingsOf === j.id}>
                      Settings
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Section>
      {editJob && (
        <Section title={`Schedule: ${editJob.id}`}>
          <ScheduleEditor key={editJob.id} job={editJob} onClose={() => setEditing(null)} />
        </Section>
      )}
      {settingsOf && (
        <div ref={settingsBox}>
          <Section title={`Settings: ${settingsOf}`}>
            <JobSettingsForm key={settingsOf} jobId={settingsOf} onClose={() => setSettingsOf(null)} />
          </Section>
        </div>
      )}
      <Clients />
      <RecentActions />
    </div>
  );
}
