import type { ResticBackupSummary, Run, StatusResponse } from '../../../server/src/contract/api';
import { formatBytes, formatDateTime } from '../../shared/format';
import { BarChart } from '../components/charts';
import { ErrorNote, PageHeader, Section, TableBox } from '../components/ui';
import { useJobRuns } from '../hooks';
import { runHref } from '../route';

type SnapshotRun = Run & { summary: ResticBackupSummary };

/** Data added per night (local date of the run's end), oldest first, for the last `nights` nights that had backups. */
export function addedPerNight(runs: readonly SnapshotRun[], nights = 30): Array<{ key: string; label: string; v: number }> {
  const byDay = new Map<string, number>();
  for (const r of runs) {
    const day = formatDateTime(r.finishedAt ?? r.queuedAt).slice(0, 10);
    byDay.set(day, (byDay.get(day) ?? 0) + r.summary.bytesAdded);
  }
  return [...byDay.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .slice(-nights)
    .map(([day, v]) => ({ key: day, label: day.slice(5), v }));
}

export function Snapshots({ status }: { status: StatusResponse }) {
  // pillarsd has no snapshot listing route: each successful restic backup run names its snapshot
  // and what it added, which is what this page needs.
  const backupJobs = status.jobs.filter((j) => j.type === 'restic-backup');
  const { runs, error } = useJobRuns(
    backupJobs.map((j) => j.id),
    200,
  );
  const repos = new Map<string, string[]>();
  for (const j of backupJobs) {
    const repo = j.repository ?? j.id;
    repos.set(repo, [...(repos.get(repo) ?? []), j.id]);
  }
  return (
    <div className="page snapshots">
      <PageHeader title="Snapshots" />
      <ErrorNote error={error} />
      {repos.size === 0 && <p className="muted">No restic backup jobs are configured.</p>}
      {[...repos.entries()].map(([repo, jobIds]) => {
        const snaps = runs.filter((r): r is SnapshotRun => jobIds.includes(r.jobId) && r.summary?.kind === 'restic-backup' && (r.status === 'succeeded' || r.status === 'succeeded-with-warnings' || r.status === 'failed'));
        return (
          <Section key={repo} title={`Repository ${repo}`}>
            <BarChart bars={addedPerNight(snaps)} label={`Data added per night to ${repo}`} width={1200} />
            <TableBox label={`Snapshots in ${repo}, scrollable`}>
            <table className="data">
              <caption className="sr-only">Snapshots in {repo}</caption>
              <thead>
                <tr>
                  <th scope="col">Snapshot</th>
                  <th scope="col">Job</th>
                  <th scope="col">Time</th>
                  <th scope="col">Size</th>
                  <th scope="col">Files</th>
                  <th scope="col">Data added</th>
                </tr>
              </thead>
              <tbody>
                {snaps.slice(0, 100).map((r) => (
                  <tr key={r.id}>
                    <th scope="row">
                      <a href={runHref(r.id)}>
                        <code>{r.summary.snapshotId.slice(0, 8)}</code>
                      </a>
                    </th>
                    <td>{r.jobId}</td>
                    <td>{formatDateTime(r.finishedAt)}</td>
                    <td>{formatBytes(r.summary.totalBytesProcessed)}</td>
                    <td>{r.summary.totalFilesProcessed.toLocaleString('en')}</td>
                    <td>{formatBytes(r.summary.bytesAdded)}</td>
                  </tr>
                ))}
                {snaps.length === 0 && (
                  <tr>
                    <td colSpan={6} className="muted">
                      No snapshots yet.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
            </TableBox>
          </Section>
        );
      })}
    </div>
  );
}
