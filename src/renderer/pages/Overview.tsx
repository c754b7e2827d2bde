import { useEffect, useState } from 'react';
import type { JobInfo, Run, SambaState, StatusResponse } from '../../../server/src/contract/api';
import { formatAge, formatBytes, formatDateTime, formatShare } from '../../shared/format';
import { ApiError } from '../api';
import { overviewAlerts, type Alert } from '../alerts';
import { CapacityBar, LineChart, type Series } from '../components/charts';
import { PageHeader, Section, StatusBadge } from '../components/ui';
import { useJobRuns, useNow } from '../hooks';
import { runHref } from '../route';
import { store, usePane } from '../store';

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

/** The one line at the top: all is well, or how many things need the owner, each linked to where it is dealt with. */
function Verdict({ alerts }: { alerts: readonly Alert[] }) {
  const needs = alerts.filter((a) => a.severity !== 'info');
  if (needs.length === 0) return <p className="verdict ok">All is well: every job succeeded on time and every pillar is online.</p>;
  return (
    <p className="verdict needs">
      {needs.length === 1 ? '1 thing needs you: ' : `${needs.length} things need you: `}
      {needs.map((a, i) => (
        <span key={a.id}>
          {i > 0 && ', '}
          <a href={a.href}>{a.title}</a>
        </span>
      ))}
      .
    </p>
  );
}

function TimeMachineMacs({ status, now }: { status: StatusResponse; now: number }) {
  if (status.timeMachine.length === 0) return <p className="muted">No Mac has backed up to Time yet.</p>;
  return (
    <ul className="macs">
      {status.timeMachine.map((t) => {
        const mac = t.mac;
        return (
          <li key={`${t.folder ?? ''}/${t.name}`} title={t.warning ?? undefined}>
            <div className="pillar-head">
              <strong>{mac}</strong>
              {t.folder && <span className="muted small">{t.folder}</span>}
              <span className={`badge ${t.stale ? 'st-failed' : 'st-succeeded'}`}>{t.stale ? `older than ${t.staleAfterDays} days` : 'backing up'}</span>
            </div>
            {t.capBytes != null && <CapacityBar label={`${mac} Time Machine`} used={t.sizeBytes} total={t.capBytes} />}
            <div className="pillar-figures">
              Last backup {formatAge(t.lastBackupAt, now)} · {formatBytes(t.sizeBytes)}
              {t.capBytes != null && ` of ${formatBytes(t.capBytes)} (${formatShare(t.capShare)})`}
            </div>
          </li>
        );
      })}
    </ul>
  );
}

/**
 * Samba's state for the Overview's alerts (it is not in the status: reading it renders and
 * validates the config), read again with each new status and at least every minute (a hand edit
 * of smb.conf changes no status). Admin tokens only (the route is admin's); a pillarsd that
 * manages no Samba (503) has nothing to say.
 */
function useSamba(status: StatusResponse, now: number): { samba: SambaState | null; error: string | null } {
  const minute = Math.floor(now / 60_000);
  const { role } = usePane();
  const [state, setState] = useState<{ samba: SambaState | null; error: string | null }>({ samba: null, error: null });
  useEffect(() => {
    if (role !== 'admin') return;
    let cancelled = false;
    store.api
      .samba()
      .then((samba) => !cancelled && setState({ samba, error: null }))
      .catch((e: unknown) => {
        if (cancelled) return;
        if (e instanceof ApiError && e.status === 503) setState({ samba: null, error: null });
        else setState((s) => ({ samba: s.samba, error: e instanceof Error ? e.message : String(e) }));
      });
    return () => {
      cancelled = true;
    };
  }, [role, status.time, minute]);
  return state;
}

export function Overview({ status }: { status: StatusResponse }) {
  const now = useNow();
  const samba = useSamba(status, now);
  const alerts = overviewAlerts(status, now, samba.samba, samba.error);
  const backupJobs = status.jobs.filter((j) => j.type === 'restic-backup').map((j) => j.id);
  const { runs } = useJobRuns(backupJobs, 90);
  const series = usageSeries(status, runs);
  // For bench/renderer-bundle.ts: the Overview mounts with the status, so its first commit holds the jobs' rows.
  useEffect(() => {
    if (!performance.getEntriesByName('pillars:overview-rendered').length) performance.mark('pillars:overview-rendered');
  }, []);
  return (
    <div className="page overview">
      <PageHeader title="Overview" />
      <Verdict alerts={alerts} />
      {alerts.length > 0 && (
        <Section title="Alerts">
          <ul className="alerts">
            {alerts.map((a) => (
              <li key={a.id} className={`alert ${a.severity}`}>
                <a href={a.href}>
                  <strong>{a.title}</strong> <span>{a.detail}</span>
                </a>
              </li>
            ))}
          </ul>
        </Section>
      )}
      <div className="grid2">
        <Section title="Pillars">
          <ul className="pillars">
            {status.pillars.map((p) => (
              <li key={p.id} className="pillar">
                <div className="pillar-head">
                  <strong className="pillar-name">{p.id}</strong>
                  <code>{p.path}</code>
                  <span className={`badge ${p.online && p.sentinel ? 'st-succeeded' : 'st-failed'}`}>{!p.online ? 'unavailable' : !p.sentinel ? 'no sentinel' : 'online'}</span>
                  {p.recovery && (
                    <a className="badge st-running" href="#/recover">
                      being recovered{p.recovery.remote ? ` from ${p.recovery.remote}` : ''}
                    </a>
                  )}
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
      <Section title="Jobs">
        <table className="data cards">
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
                <td data-label="Type">{j.type}</td>
                <td data-label="Last result" className="lastrun">
                  <LastResult job={j} now={now} />
                </td>
                <td data-label="Next run">{j.enabled ? (j.schedule ? formatDateTime(j.nextRunAt) : 'on demand') : 'disabled'}</td>
                <td data-label="State">
                  <StatusBadge status={j.state} />
                  {j.overdue && <span className="badge st-overdue">overdue</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title="Time Machine">
        <TimeMachineMacs status={status} now={now} />
      </Section>
    </div>
  );
}
