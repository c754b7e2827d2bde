// GET /metrics in the Prometheus text format (prom-client). Every value comes from what the status
// answer already shows (jobs, their last run, pillars, Time Machine bundles), the blocked runs and
// the notification channels, read at scrape time: no second bookkeeping that could disagree with
// the pane. A value pillarsd does not know (a pillar whose capacity could not be read) is left
// out, never written as 0.
import type * as PromClientModule from 'prom-client';
import type { Gauge, Registry } from 'prom-client';
import type { NotificationsResponse, RunStatus, StatusResponse } from '../contract/api';
import { RUN_STATUSES } from '../contract/api';
import type { EngineApi, MetricsApi, StatusApi } from '../ports/services';
import { VERSION } from '../version';

export interface MetricsDeps {
  status: StatusApi;
  engine: Pick<EngineApi, 'listRuns'>;
  notifications?: { view(): NotificationsResponse };
}

const seconds = (iso: string | null | undefined): number | null => (iso ? Date.parse(iso) / 1000 : null);

type PromClient = typeof PromClientModule;

export function prometheusMetrics(d: MetricsDeps): MetricsApi {
  // prom-client is loaded, and its process metrics start (an event-loop delay monitor, a GC
  // observer), at the first scrape: a pillarsd nobody scrapes does not keep them
  // (bench/idle-rss.ts). Counters such as the GC histogram count from that first scrape on.
  let loaded: Promise<{ prom: PromClient; processRegistry: Registry }> | null = null;
  const load = () =>
    (loaded ??= import('prom-client').then((prom) => {
      // process and Node.js metrics keep their own state between scrapes (CPU time, GC)
      const processRegistry = new prom.Registry();
      prom.collectDefaultMetrics({ register: processRegistry });
      // gauges named like counters: `promtool check metrics` refuses the suffix on a gauge
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) processRegistry.removeSingleMetric(name);
      return { prom, processRegistry };
    }));
  let contentType = '';
  return {
    /** prom-client's, known once the first scrape has loaded it (the route reads it after render) */
    get contentType() {
      return contentType;
    },
    async render(live) {
      const { prom, processRegistry } = await load();
      contentType = processRegistry.contentType;
      const st = await d.status.status();
      const blocked = d.engine.listRuns({ status: 'blocked', limit: 500 }).runs.length;
      const reg = new prom.Registry();
      fill(prom, reg, st, blocked, live.sseClients, d.notifications?.view() ?? null);
      return prom.Registry.merge([processRegistry, reg]).metrics();
    },
  };
}

function gauge(prom: PromClient, reg: Registry, name: string, help: string, labelNames: string[] = []): Gauge<string> {
  return new prom.Gauge({ name, help, labelNames, registers: [reg] });
}

function fill(prom: PromClient, reg: Registry, st: StatusResponse, blockedRuns: number, sseClients: number, notify: NotificationsResponse | null): void {
  gauge(prom, reg, 'pillars_build_info', 'pillarsd version (always 1)', ['version']).set({ version: VERSION }, 1);

  const lastSuccess = gauge(prom, reg, 'pillars_job_last_success_timestamp_seconds', 'when the job last succeeded (with or without warnings)', ['job_id']);
  const lastStatus = gauge(prom, reg, 'pillars_job_last_run_status', "the status of the job's last run: 1 for its status, 0 for the others", ['job_id', 'status']);
  const lastEnd = gauge(prom, reg, 'pillars_job_last_run_timestamp_seconds', "when the job's last run ended (or was blocked)", ['job_id']);
  const duration = gauge(prom, reg, 'pillars_job_last_run_duration_seconds', "how long the job's last run took", ['job_id']);
  const bytes = gauge(prom, reg, 'pillars_job_last_run_bytes_added', 'bytes the last run added (restic backup: new data; rclone: transferred)', ['job_id']);
  const files = gauge(prom, reg, 'pillars_job_last_run_files_added', 'files the last run added (restic backup: new files; rclone: transferred)', ['job_id']);
  const overdue = gauge(prom, reg, 'pillars_job_overdue', '1 when the job has not succeeded within its expected window (schedule or maxAge)', ['job_id']);
  const enabled = gauge(prom, reg, 'pillars_job_enabled', '1 when the scheduler runs the job', ['job_id']);
  const snapshots = gauge(prom, reg, 'pillars_repository_snapshots', 'snapshots a restic repository kept at its last retention run', ['repository']);
  for (const j of st.jobs) {
    const job = { job_id: j.id };
    overdue.set(job, j.overdue ? 1 : 0);
    enabled.set(job, j.enabled ? 1 : 0);
    const ok = seconds(j.lastSuccessAt);
    if (ok !== null) lastSuccess.set(job, ok);
    const r = j.lastRun;
    if (!r) continue;
    for (const s of RUN_STATUSES as readonly RunStatus[]) lastStatus.set({ job_id: j.id, status: s }, r.status === s ? 1 : 0);
    const end = seconds(r.finishedAt) ?? (r.status === 'blocked' ? seconds(r.startedAt) : null);
    if (end !== null) lastEnd.set(job, end);
    const sum = r.summary;
    const took = sum && 'durationSeconds' in sum ? sum.durationSeconds : r.startedAt && r.finishedAt ? (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000 : null;
    if (took !== null) duration.set(job, took);
    if (sum?.kind === 'restic-backup') {
      bytes.set(job, sum.bytesAdded);
      files.set(job, sum.filesNew);
    } else if (sum?.kind === 'rclone-sync' || sum?.kind === 'rclone-copy') {
      bytes.set(job, sum.bytesTransferred);
      files.set(job, sum.filesTransferred);
    } else if (sum?.kind === 'restic-forget' && j.repository) {
      snapshots.set({ repository: j.repository }, sum.kept);
    }
  }

  const size = gauge(prom, reg, 'pillars_pillar_size_bytes', "the pillar's file system size", ['pillar']);
  const free = gauge(prom, reg, 'pillars_pillar_free_bytes', 'bytes free for ordinary users on the pillar', ['pillar']);
  const used = gauge(prom, reg, 'pillars_pillar_used_bytes', 'bytes used on the pillar', ['pillar']);
  const online = gauge(prom, reg, 'pillars_pillar_online', '1 when the pillar is mounted (or allowed as a folder) and carries its sentinel', ['pillar']);
  for (const p of st.pillars) {
    const pillar = { pillar: p.id };
    online.set(pillar, p.online ? 1 : 0);
    if (p.totalBytes !== null) size.set(pillar, p.totalBytes);
    if (p.freeBytes !== null) free.set(pillar, p.freeBytes);
    if (p.usedBytes !== null) used.set(pillar, p.usedBytes);
  }

  const tmLast = gauge(prom, reg, 'pillars_time_machine_last_backup_timestamp_seconds', "when the Mac's last Time Machine backup finished", ['mac']);
  const tmAge = gauge(prom, reg, 'pillars_time_machine_age_seconds', "how old the Mac's last Time Machine backup is", ['mac']);
  const tmSize = gauge(prom, reg, 'pillars_time_machine_size_bytes', "the size of the Mac's Time Machine bundle", ['mac']);
  const now = Date.parse(st.time) / 1000;
  for (const b of st.timeMachine) {
    const mac = { mac: `${b.folder ? `${b.folder}/` : ''}${b.name.replace(/\.(sparsebundle|backupbundle)$/, '')}` };
    tmSize.set(mac, b.sizeBytes);
    const last = seconds(b.lastBackupAt);
    if (last === null) continue;
    tmLast.set(mac, last);
    tmAge.set(mac, Math.max(0, now - last));
  }

  gauge(prom, reg, 'pillars_runs_blocked', 'runs waiting for approval or stopped by a guard').set(blockedRuns);
  gauge(prom, reg, 'pillars_sse_clients', 'live event streams open (panes, trays)').set(sseClients);

  if (notify) {
    const pending = gauge(prom, reg, 'pillars_notify_pending', 'notifications queued for the channel, not delivered yet', ['channel']);
    const ok = gauge(prom, reg, 'pillars_notify_last_success_timestamp_seconds', 'when the channel last delivered', ['channel']);
    const err = gauge(prom, reg, 'pillars_notify_last_error_timestamp_seconds', 'when a delivery to the channel last failed', ['channel']);
    for (const c of notify.channels) {
      pending.set({ channel: c.name }, c.pending);
      const s = seconds(c.lastSuccessAt);
      if (s !== null) ok.set({ channel: c.name }, s);
      const e = seconds(c.lastErrorAt);
      if (e !== null) err.set({ channel: c.name }, e);
    }
    gauge(prom, reg, 'pillars_incidents_open', 'incidents notifications are tracking (failed or blocked jobs, full pillars, …)').set(notify.open.length);
  }
}
