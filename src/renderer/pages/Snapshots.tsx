// The snapshots of every restic repository a backup job writes, as the repository itself lists
// them (GET /api/v1/jobs/:id/snapshots): pillarsd caches the list and reads it again after each
// backup, forget or prune of the repository, or when Refresh asks. A pruned snapshot is gone here
// as soon as restic no longer lists it. The restore drills of the repositories come first.
import { useEffect, useState } from 'react';
import type { SnapshotsResponse, StatusResponse } from '../../../server/src/contract/api';
import { formatBytes, formatDateTime } from '../../shared/format';
import { ActionButton, ErrorNote, PageHeader, Section } from '../components/ui';
import { runHref, snapshotHref } from '../route';
import { store, usePane } from '../store';
import { Drills } from './Drills';

/** One job per repository: the snapshots are the repository's, whichever of its jobs asks. */
export function repositories(status: StatusResponse): Array<{ repository: string; job: string }> {
  const seen = new Map<string, string>();
  for (const j of status.jobs) if (j.type === 'restic-backup' && j.repository && !seen.has(j.repository)) seen.set(j.repository, j.id);
  return [...seen].map(([repository, job]) => ({ repository, job }));
}

export function Snapshots({ status }: { status: StatusResponse }) {
  const repos = repositories(status);
  return (
    <div className="page snapshots">
      <PageHeader title="Snapshots" />
      <Drills status={status} />
      {repos.length === 0 && <p className="muted">No restic backup jobs are configured.</p>}
      {repos.map((r) => (
        <RepositorySnapshots key={r.repository} job={r.job} repository={r.repository} />
      ))}
    </div>
  );
}

function RepositorySnapshots({ job, repository }: { job: string; repository: string }) {
  const { syncGeneration, model } = usePane();
  const [data, setData] = useState<SnapshotsResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Runs of the repository's jobs that ended change the list (pillarsd reads it again then).
  const ended = [...model.runs.values()].filter((r) => r.finishedAt && data?.jobs.includes(r.jobId)).length;
  useEffect(() => {
    let cancelled = false;
    store.api
      .snapshots(job)
      .then((d) => !cancelled && (setData(d), setError(null)))
      .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
    };
  }, [job, syncGeneration, ended]);
  const refresh = async () => {
    setData(await store.api.snapshots(job, true));
    setError(null);
  };
  const snaps = data ? [...data.snapshots].reverse() : [];
  return (
    <Section
      title={`Repository ${repository}`}
      actions={
        <ActionButton action={refresh} title="Read the list from the repository again">
          Refresh
        </ActionButton>
      }
    >
      {/* An unreadable repository is an error, never an empty list. */}
      <ErrorNote error={error} />
      {data && (
        <p className="muted small">
          {snaps.length === 1 ? '1 snapshot' : `${snaps.length} snapshots`}, newest first · jobs {data.jobs.join(', ')} · read from the repository {formatDateTime(data.refreshedAt)}
        </p>
      )}
      {!data && !error && <p className="muted">Loading…</p>}
      {data && snaps.length === 0 && <p className="muted">The repository holds no snapshots yet.</p>}
      {snaps.length > 0 && (
        <table className="data cards">
          <caption className="sr-only">Snapshots in {repository}</caption>
          <thead>
            <tr>
              <th scope="col">Snapshot</th>
              <th scope="col">Time</th>
              <th scope="col">Host</th>
              <th scope="col">Paths</th>
              <th scope="col">Files</th>
              <th scope="col">Size</th>
              <th scope="col">Made by</th>
            </tr>
          </thead>
          <tbody>
            {snaps.map((s) => (
              <tr key={s.id}>
                <th scope="row">
                  <a href={snapshotHref(data!.job, s.id)} aria-label={`Browse snapshot ${s.shortId}`}>
                    <code>{s.shortId}</code>
                  </a>
                  {s.tags.length > 0 && <span className="muted small"> {s.tags.join(', ')}</span>}
                </th>
                <td data-label="Time">{formatDateTime(s.time)}</td>
                <td data-label="Host">{s.hostname}</td>
                <td data-label="Paths" className="path">
                  {s.paths.join(', ')}
                </td>
                <td data-label="Files">{s.files === null ? '—' : s.files.toLocaleString('en')}</td>
                <td data-label="Size">{s.bytes === null ? '—' : formatBytes(s.bytes)}</td>
                <td data-label="Made by">{s.runId ? <a href={runHref(s.runId)}>{s.jobId ?? 'run'}</a> : <span className="muted">not pillarsd</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}
