// What needs the owner's attention, derived from one status snapshot. Pure, so the rules are tested
// without a browser. Order: errors first, then warnings, then information.
import type { SambaState, StatusResponse } from '../../server/src/contract/api';
import { formatAge, formatBytes, formatDateTime, formatDuration, formatMoney, formatShare } from '../shared/format';

export type Severity = 'error' | 'warning' | 'info';

export interface Alert {
  id: string;
  severity: Severity;
  title: string;
  detail: string;
  href: string;
}

/** A pillar below this share of free space raises a low-space warning. */
export const LOW_SPACE_SHARE = 0.1;

function sentence(s: string): string {
  const t = s.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

/**
 * What is wrong with an unavailable pillar, in a few words, from whether its folder is there and
 * the guard's message (domain/guards.ts pillarGuard), which names the cause.
 */
function pillarProblem(exists: boolean, why: string): string {
  if (!exists || /does not exist/.test(why)) return 'is offline';
  if (/not a mount point/.test(why)) return 'is not mounted';
  if (/\.pillar names /.test(why)) return 'holds a different disk';
  return 'is missing its .pillar sentinel';
}

export function deriveAlerts(s: StatusResponse, now: number): Alert[] {
  const out: Alert[] = [];
  for (const j of s.jobs) {
    const last = j.lastRun;
    if (j.state === 'blocked' || last?.status === 'blocked') {
      const run = last?.status === 'blocked' ? last : null;
      out.push({
        id: `blocked:${j.id}`,
        severity: 'error',
        title: `${j.id} is blocked`,
        detail: run?.block ? `${sentence(run.block.message)}${run.block.needsApproval ? ' Needs approval.' : ''}` : 'A safety guard stopped the run.',
        href: run ? `#/runs/${encodeURIComponent(run.id)}` : '#/jobs',
      });
    } else if (last && (last.status === 'failed' || last.status === 'interrupted')) {
      out.push({
        id: `failed:${j.id}`,
        severity: 'error',
        title: `${j.id} ${last.status}`,
        detail: `${last.error ?? 'no message'} (${formatAge(last.finishedAt ?? last.queuedAt, now)})`,
        href: `#/runs/${encodeURIComponent(last.id)}`,
      });
    } else if (last?.status === 'succeeded-with-warnings') {
      out.push({
        id: `warnings:${j.id}`,
        severity: 'warning',
        title: `${j.id} succeeded with warnings`,
        detail: `${last.error ?? 'see the run log'} (${formatAge(last.finishedAt ?? last.queuedAt, now)})`,
        href: `#/runs/${encodeURIComponent(last.id)}`,
      });
    }
    if (j.overdue && j.enabled) {
      out.push({
        id: `overdue:${j.id}`,
        severity: 'warning',
        title: `${j.id} is overdue`,
        detail: `Last success ${formatAge(j.lastSuccessAt, now)}; scheduled ${j.schedule ?? 'manually'}.`,
        href: '#/jobs',
      });
    }
  }
  // a pillar's own warnings (why it is unavailable) are told once, by its alert
  const told = new Set<string>();
  for (const p of s.pillars) {
    if (!p.online || !p.sentinel) {
      const why = p.warnings[0] ?? '';
      for (const w of p.warnings) told.add(w);
      out.push({
        id: `pillar:${p.id}`,
        severity: 'error',
        title: `${p.id} ${pillarProblem(p.totalBytes !== null, why)}`,
        detail: `${sentence(why.replace(/^pillar [^:]+: /, '') || p.path)} Jobs touching it are refused until it is back.`,
        href: '#/',
      });
    } else if (p.totalBytes && p.freeBytes != null && p.freeBytes / p.totalBytes < LOW_SPACE_SHARE) {
      out.push({
        id: `space:${p.id}`,
        severity: 'warning',
        title: `${p.id} is low on space`,
        detail: `${formatBytes(p.freeBytes)} free of ${formatBytes(p.totalBytes)} (${formatShare(p.freeBytes / p.totalBytes)}).`,
        href: '#/',
      });
    }
    // from the status's own field (its marker), where the owner follows and finishes it
    if (p.recovery) {
      const r = p.recovery;
      out.push({
        id: `recovery:${p.id}`,
        severity: 'warning',
        title: `${p.id} is being recovered${r.remote ? ` from ${r.remote}` : ''}`,
        detail: `${r.startedAt ? `Started ${formatDateTime(r.startedAt)}` : 'Its .pillars-recover marker cannot be read'}: backups and syncs reading ${p.id} are blocked until the recovery has been verified.`,
        href: '#/recover',
      });
    }
    for (const w of p.warnings) {
      if (told.has(w)) continue;
      told.add(w);
      out.push({ id: `pw:${p.id}:${w}`, severity: 'warning', title: `${p.id}`, detail: w, href: '#/' });
    }
  }
  for (const tm of s.timeMachine) {
    if (tm.stale) {
      out.push({
        id: `tm:${tm.name}`,
        severity: 'warning',
        title: `Time Machine: ${tm.name.replace(/\.sparsebundle$/, '')} is stale`,
        detail: `Last backup ${formatAge(tm.lastBackupAt, now)}.`,
        href: '#/samba',
      });
    }
    if (tm.capShare != null && tm.capShare >= 0.9) {
      out.push({
        id: `tmcap:${tm.name}`,
        severity: 'warning',
        title: `Time Machine: ${tm.name.replace(/\.sparsebundle$/, '')} is near its cap`,
        detail: `${formatBytes(tm.sizeBytes)} of ${formatBytes(tm.capBytes)} (${formatShare(tm.capShare)}).`,
        href: '#/samba',
      });
    }
  }
  for (const h of s.hotSets) {
    if (h.errors > 0 || h.state === 'error' || h.conflicts.length > 0) {
      const parts = [];
      if (h.state === 'error') parts.push('in error');
      if (h.errors > 0) parts.push(`${h.errors} error${h.errors === 1 ? '' : 's'}`);
      if (h.conflicts.length) parts.push(`${h.conflicts.length} conflict${h.conflicts.length === 1 ? '' : 's'}`);
      out.push({ id: `hot:${h.id}`, severity: h.errors > 0 || h.state === 'error' ? 'error' : 'warning', title: `Hot-set ${h.label}`, detail: parts.join(', '), href: '#/hotsets' });
    }
  }
  // pillarsd repeats job problems in its warnings; those already have their own alert above.
  const alerted = new Set(out.map((a) => a.id.split(':')[1]));
  for (const w of s.warnings) {
    const about = /^job (\S+) /.exec(w)?.[1];
    if ((about && alerted.has(about)) || told.has(w)) continue;
    out.push({ id: `w:${w}`, severity: 'warning', title: 'pillarsd', detail: w, href: '#/' });
  }
  // pillarsd's open Samba incidents, for every role (the Samba page itself is admin-only)
  for (const [id, i] of [
    [SAMBA_STATUS_DRIFT, s.samba.drift],
    ['samba:status-reload', s.samba.reloadFailed],
  ] as const) {
    if (i) out.push({ id, severity: 'warning', title: 'Samba', detail: sentence(`${i.title} (${i.text})`), href: '#/samba' });
  }
  if (s.b2) {
    const b = s.b2;
    const eta =
      b.seedEtaSeconds != null ? `seeding ${formatBytes(b.spaceBytes)} takes about ${formatDuration(b.seedEtaSeconds)}${b.uplinkMbps ? ` at ${b.uplinkMbps} Mbit/s` : ''}` : `${formatBytes(b.spaceBytes)} to keep offsite`;
    const cost = b.monthlyCost != null ? `; about ${formatMoney(b.monthlyCost, b.currency)} a month (${formatMoney(b.pricePerTbMonth, b.currency)}/TB, prices of ${b.priceDate})` : '';
    out.push({ id: 'b2', severity: 'info', title: 'Backblaze B2', detail: `${eta[0]!.toUpperCase()}${eta.slice(1)}${cost}.`, href: '#/jobs' });
  }
  return byUrgency(out);
}

/** The alert of the status's drift incident, which an admin's own drift alert stands for. */
const SAMBA_STATUS_DRIFT = 'samba:status-drift';

/**
 * The Overview's alerts: the status's, and Samba's own state where this token may read it. That
 * state's drift alert (with the reason) stands for the status's shorter drift warning.
 */
export function overviewAlerts(status: StatusResponse, now: number, samba: SambaState | null, error: string | null): Alert[] {
  const own = sambaAlerts(samba, error);
  const fromStatus = deriveAlerts(status, now).filter((a) => !(samba && a.id === SAMBA_STATUS_DRIFT));
  return byUrgency([...fromStatus, ...own]);
}

const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
/** Errors first, then warnings, then information; the order within each kept. */
export function byUrgency(alerts: Alert[]): Alert[] {
  return alerts.sort((a, b) => rank[a.severity] - rank[b.severity]);
}

/**
 * Samba's own state (GET /api/v1/samba, not part of the status): an invalid rendered config, or a
 * live smb.conf that is not the one pillarsd applied (a hand edit, a half-done apply). `error`:
 * the state could not be read, which is said, never taken for "fine".
 */
export function sambaAlerts(samba: SambaState | null, error: string | null): Alert[] {
  if (error) return [{ id: 'samba:unread', severity: 'warning', title: 'Samba: its state could not be read', detail: sentence(error), href: '#/samba' }];
  if (!samba) return [];
  const out: Alert[] = [];
  if (!samba.valid) {
    out.push({ id: 'samba:invalid', severity: 'error', title: 'Samba: the configuration pillarsd renders is not valid', detail: sentence(samba.messages[0] ?? 'testparm refused it'), href: '#/samba' });
  }
  if (samba.drift) {
    const why = samba.messages.find((m) => /drift|differs|hand/i.test(m));
    out.push({
      id: 'samba:drift',
      severity: 'warning',
      title: 'Samba: the live smb.conf is not the one pillarsd applied',
      detail: sentence(why ?? 'it was edited by hand or an apply did not finish: see the diff, then apply or adopt the change in pillarsd.yaml'),
      href: '#/samba',
    });
  }
  return out;
}
