// Restore drills on the Snapshots page: for each restic-drill job, the last drill's verdict and
// when, what it checked, and on a failure exactly what failed (a file lost to a damaged pack, a file
// restored different), each linked to its run; Run now like on the Jobs page. A failed or overdue
// drill also reaches the Overview's verdict line through the status (it is a job).
import type { JobInfo, Run, StatusResponse } from '../../../server/src/contract/api';
import { formatAge, formatDateTime } from '../../shared/format';
import { ActionButton, Section, StatusBadge } from '../components/ui';
import { drillChecks, drillFindings, drillVerdict } from '../drills';
import { useJobRuns, useNow } from '../hooks';
import { isActive } from '../model';
import { runHref, snapshotHref } from '../route';
import { store, usePane, viewerReason } from '../store';

export function Drills({ status }: { status: StatusResponse }) {
  const drills = status.jobs.filter((j) => j.type === 'restic-drill');
  const { runs, error } = useJobRuns(
    drills.map((j) => j.id),
    10,
  );
  if (!drills.length)
    return (
      <Section title="Restore drills">
        <p className="muted">
          No restore drill is configured. A drill (a job of type restic-drill) restores a random sample of the latest snapshot and compares it with the files, so a backup that cannot be restored is found before it is
          needed.
        </p>
      </Section>
    );
  return (
    <>
      {error && <p className="error">{error}</p>}
      {drills.map((j) => (
        <DrillCard key={j.id} job={j} runs={runs.filter((r) => r.jobId === j.id)} />
      ))}
    </>
  );
}

function DrillCard({ job, runs }: { job: JobInfo; runs: Run[] }) {
  const now = useNow();
  const readOnly = viewerReason(usePane().role);
  const active = runs.find((r) => isActive(r.status)) ?? (job.lastRun && isActive(job.lastRun.status) ? job.lastRun : null);
  // the verdict is the last drill that ended, not one still running
  const last = runs.find((r) => !isActive(r.status)) ?? (job.lastRun && !isActive(job.lastRun.status) ? job.lastRun : null);
  const verdict = drillVerdict(last);
  const s = last?.summary?.kind === 'restic-drill' ? last.summary : null;
  const findings = last ? drillFindings(last) : [];
  return (
    <Section
      title={`Restore drill ${job.id}`}
      actions={
        <ActionButton
          title={readOnly}
          label={`Run now: the drill ${job.id}`}
          disabled={!!readOnly || !!active}
          action={async () => {
            window.location.hash = runHref(await store.runNow(job.id));
          }}
        >
          Run now
        </ActionButton>
      }
    >
      <p className={`drill-verdict ${verdict === 'passed' ? 'ok' : last ? 'bad' : 'none'}`}>
        {last ? (
          <>
            Last drill <strong>{verdict}</strong> {formatAge(last.finishedAt ?? last.queuedAt, now)} (<a href={runHref(last.id)}>its run</a>, {formatDateTime(last.finishedAt ?? last.queuedAt)})
          </>
        ) : (
          'No drill has run yet.'
        )}
        {job.overdue && job.enabled && <span className="badge st-overdue">overdue</span>}
      </p>
      <p className="muted small">
        Repository <code>{job.repository}</code> · {job.enabled ? (job.schedule ? `next ${formatDateTime(job.nextRunAt)} (${job.schedule})` : 'on demand') : 'disabled'}
        {active && (
          <>
            {' '}
            · <a href={runHref(active.id)}>a drill is {active.status} now</a> <StatusBadge status={active.status} />
          </>
        )}
      </p>
      {s && (
        <dl className="summary">
          <div>
            <dt>Snapshot</dt>
            <dd>
              <a href={snapshotHref(job.id, s.snapshotId)}>{s.snapshotId.slice(0, 8)}</a>
            </dd>
          </div>
          <div>
            <dt>Checked</dt>
            <dd>
              <ul className="plain">
                {drillChecks(s).map((l) => (
                  <li key={l}>{l}</li>
                ))}
              </ul>
            </dd>
          </div>
        </dl>
      )}
      {findings.length > 0 && (
        <div className="drill-findings" role="group" aria-label="What failed">
          <h3>What failed</h3>
          <ul>
            {findings.map((f) => (
              <li key={f.text}>
                {f.text}
                {f.paths.length > 0 && (
                  <ul>
                    {f.paths.map((p) => (
                      <li key={p}>
                        <code>{p}</code>
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
    </Section>
  );
}
