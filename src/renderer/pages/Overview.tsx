import type { JobInfo, Run, StatusResponse } from '../../../server/src/contract/api';
import { formatAge, formatBytes, formatDateTime } from '../../shared/format';
import { deriveAlerts } from '../alerts';
import { CapacityBar, LineChart, type Series } from '../components/charts';
import { Section, StatusBadge } from '../components/ui';
import { TimeMachineTable } from '../components/TimeMachine';
import { useJobRuns, useNow } from '../hooks';
import { runHref } from '../route';

/**
 * Source size per backup run: the history of a pillar's usage the API exposes (the capacity
 * watcher keeps statfs samples, but no route serves them yet). Not mixed with statfs figures,
 * which count the whole file system a pillar lives on.
 */
export function usageSeries(status: StatusResponse, runs: readonly Run[]): Series[] {
  const byPillar = new Map<string, Series>();
  const jobs = new Map(status.jobs.map((j) => [j.id, j]));
  for (const r of runs) {
    const job = jobs.get(r.jobId);
    if (!job || r.summary?.kind !== 'restic-backup' || !r.finishedAt) continue;
    const pillar = (job.source ?? job.id).split(':')[0]!;
    const s = byPillar.get(pillar) ?? { name: pillar, points: [] };
    s.points.push({ t: Date.parse(r.finishedAt), v: r.summary.totalBytesProcessed });
    byPillar.set(pillar, s);
  }
  return [...byPillar.values()];
}

function LastResult({ job, now }: { job: JobInfo; now: number }) {
  const r = job.lastRun;
  if (!r) return <span className="muted">never run</span>;
  return (
    <a href={runHref(r.id)}>
      <StatusBadge status={r.status} /> <span className="age">{formatAge(r.finishedAt ?? r.startedAt ?? r.queuedAt, now)}</span>
    </a>
  );
}

export function Overview({ status }: { status: StatusResponse }) {
  const now = useNow();
  const alerts = deriveAlerts(status, now);
  const backupJobs = status.jobs.filter((j) => j.type === 'restic-backup').map((j) => j.id);
  const { runs } = useJobRuns(backupJobs, 90);
  const series = usageSeries(status, runs);
  return (
    <div className="page overview">
      <Section title="Alerts">
        {alerts.length === 0 ? (
          <p className="all-good">All good: every job succeeded on time and every pillar is online.</p>
        ) : (
          <ul className="alerts">
            {alerts.map((a) => (
              <li key={a.id} className={`alert ${a.severity}`}>
                <a href={a.href}>
                  <strong>{a.title}</strong> <span>{a.detail}</span>
                </a>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <div className="grid2">
        <Section title="Pillars">
          <ul className="pillars">
            {status.pillars.map((p) => (
              <li key={p.id} className="pillar">
                <div className="pillar-head">
                  <strong className="pillar-name">{p.id}</strong>
                  <code>{p.path}</code>
                  <span className={`badge ${p.online && p.sentinel ? 'st-succeeded' : 'st-failed'}`}>{!p.online ? 'offline' : !p.sentinel ? 'no sentinel' : 'online'}</span>
                </div>
                <CapacityBar label={p.id} used={p.usedBytes ?? (p.totalBytes != null && p.freeBytes != null ? p.totalBytes - p.freeBytes : null)} total={p.totalBytes} />
                <div className="pillar-figures">
                  {formatBytes(p.usedBytes)} used · {formatBytes(p.freeBytes)} free · {formatBytes(p.totalBytes)} total
                </div>
              </li>
            ))}
          </ul>
        </Section>
        <Section title="Usage trend">
          <LineChart series={series} label="Backed-up size of each pillar over time" />
        </Section>
      </div>
      {status.pillars.some((p) => p.id === 'time') || status.timeMachine.length > 0 ? (
        <Section title="Time Machine">
          <TimeMachineTable bundles={status.timeMachine} now={now} />
        </Section>
      ) : null}
      <Section title="Jobs">
        <table className="data">
          <caption className="sr-only">Each job's last result</caption>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Type</th>
              <th scope="col">Last result</th>
              <th scope="col">Next run</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {status.jobs.map((j) => (
              <tr key={j.id}>
                <th scope="row">
                  <a href={`#/runs?job=${encodeURIComponent(j.id)}`}>{j.id}</a>
                </th>
                <td>{j.type}</td>
                <td className="lastrun">
                  <LastResult job={j} now={now} />
                </td>
                <td>{j.enabled ? formatDateTime(j.nextRunAt) : 'disabled'}</td>
                <td>
                  <StatusBadge status={j.state} />
                  {j.overdue && <span className="badge st-overdue">overdue</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </div>
  );
}
