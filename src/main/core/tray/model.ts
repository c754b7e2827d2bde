// The pure tray model: from what the client core knows to icon, tooltip and menu. The icon tells the
// truth at a glance (USERS.md: silent failure hurts most): a failed, blocked or missed run turns it
// red, not just a menu line; being away from home is information, never an error.
import { formatAge, formatBytes } from '../../../shared/format';
import type { JobInfo } from '../../../../server/src/contract/api';
import { isAlarm, isBackupLine, jobHealth, jobLabel } from './jobs';
import type { JobHealth } from './jobs';
import type { MenuItemSpec, PillarView, Problem, TrayIcon, TrayInput, TrayModel } from './types';

export const TOOLTIP_MAX = 127; // Windows' NOTIFYICONDATA szTip limit (128 with the NUL)
/** A Mac whose last Time Machine backup is older than this gets a warning line. */
export const TIME_MACHINE_STALE_MS = 7 * 24 * 3600_000;

const PILLAR_TEXT: Record<PillarView['state'], string> = {
  mounted: 'mounted',
  mounting: 'mounting…',
  unmounted: 'not mounted',
  stale: 'not responding',
  'failed-auth': 'password rejected',
  'failed-network': 'server unreachable',
  away: 'away from home',
};

function pillarProblem(p: PillarView, input: TrayInput): Problem | null {
  if (input.location === 'away' || p.state === 'away') return null;
  switch (p.state) {
    case 'failed-auth':
      return { severity: 'error', text: `${p.label}: password rejected` };
    case 'stale':
    case 'failed-network':
    case 'unmounted':
      return { severity: 'warning', text: `${p.label} ${PILLAR_TEXT[p.state]}` };
    default:
      return null;
  }
}

function healthText(h: JobHealth, now: number): string {
  switch (h.kind) {
    case 'never':
      return 'never run';
    case 'running': {
      const pct = h.run.progress?.percent;
      return h.run.status === 'queued' ? 'queued' : pct != null ? `running, ${Math.round(pct)} %` : 'running';
    }
    case 'failed':
      return `${h.run.status === 'interrupted' ? 'interrupted' : 'FAILED'} ${formatAge(h.run.finishedAt ?? h.run.queuedAt, now)}`;
    case 'blocked':
      return h.run.block?.needsApproval ? 'waiting for approval' : `BLOCKED: ${h.run.block?.message ?? 'a safety guard stopped it'}`;
    case 'overdue':
      return `OVERDUE, last ok ${h.run?.status === 'succeeded' || h.run?.status === 'succeeded-with-warnings' ? formatAge(h.run.finishedAt, now) : 'never'}`;
    case 'warning':
      return `${formatAge(h.run.finishedAt, now)}, with warnings`;
    case 'ok':
      return `${formatAge(h.run?.finishedAt ?? null, now)}, ${h.run?.status ?? 'ok'}`;
  }
}

function jobProblem(job: JobInfo, h: JobHealth): Problem | null {
  const label = jobLabel(job);
  switch (h.kind) {
    case 'failed':
      return { severity: 'error', text: `${label} ${h.run.status}` };
    case 'blocked':
      return h.run.block?.needsApproval ? { severity: 'error', text: `${label} awaits approval` } : { severity: 'error', text: `${label} blocked` };
    case 'overdue':
      return { severity: 'error', text: `${label} overdue` };
    case 'warning':
      return { severity: 'warning', text: `${label} succeeded with warnings` };
    default:
      return null;
  }
}

function pillarItem(p: PillarView): MenuItemSpec {
  const free = p.state === 'mounted' && p.freeBytes != null ? ` · ${formatBytes(p.freeBytes)} free` : '';
  const items: MenuItemSpec[] = [];
  if (p.reason && p.state !== 'mounted') items.push({ type: 'text', label: p.reason }, { type: 'separator' });
  items.push(
    { type: 'action', label: 'Open', action: { kind: 'open-pillar', id: p.id }, enabled: p.state === 'mounted' },
    { type: 'action', label: 'Remount', action: { kind: 'remount', id: p.id }, enabled: p.state !== 'mounting' && p.state !== 'away' },
  );
  return { type: 'submenu', label: `${p.label}: ${PILLAR_TEXT[p.state]}${free}`, items };
}

function timeMachineLine(input: TrayInput): { item: MenuItemSpec; problem: Problem | null } | null {
  if (input.os !== 'darwin' || !input.timeMachine) return null;
  const at = input.timeMachine.latestBackupAt;
  const stale = !at || input.now - Date.parse(at) > TIME_MACHINE_STALE_MS;
  const text = at ? `Time Machine: this Mac ${formatAge(at, input.now)}` : 'Time Machine: no backup of this Mac yet';
  return { item: { type: 'text', label: text }, problem: stale ? { severity: 'warning', text: at ? 'Time Machine backup is old' : 'no Time Machine backup yet' } : null };
}

function serverProblem(input: TrayInput): Problem | null {
  const host = input.server.host ?? 'the server';
  switch (input.server.connection) {
    case 'unpaired':
      return { severity: 'warning', text: 'not set up: open Preferences' };
    case 'unreachable':
      return input.location === 'away' ? null : { severity: 'warning', text: `${host} unreachable` };
    case 'unauthorized':
      return { severity: 'error', text: `${host} refused this device: pair again` };
    case 'pin-mismatch':
      return { severity: 'error', text: `${host} certificate changed: pair again` };
    default:
      return null;
  }
}

export function buildTrayModel(input: TrayInput): TrayModel {
  const problems: Problem[] = [];
  const menu: MenuItemSpec[] = [];
  const status = input.server.status;
  const jobs = status?.jobs ?? [];
  const healths = jobs.map((j) => ({ job: j, health: jobHealth(j) }));

  const sp = serverProblem(input);
  if (sp) problems.push(sp);
  for (const { job, health } of healths) {
    const p = jobProblem(job, health);
    if (p) problems.push(p);
  }
  for (const sp2 of status?.pillars ?? []) {
    if (!sp2.online) problems.push({ severity: 'warning', text: `${sp2.id} offline on ${input.server.host ?? 'the server'}` });
  }
  // two edits of the same file in a hot-set: Syncthing kept both, someone has to choose
  for (const h of status?.hotSets ?? []) {
    const n = h.conflicts.length;
    if (n > 0) problems.push({ severity: 'warning', text: `hot-set ${h.label}: ${n}${n >= 100 ? '+' : ''} sync conflict${n === 1 ? '' : 's'}` });
  }
  for (const p of input.pillars) {
    const pp = pillarProblem(p, input);
    if (pp) problems.push(pp);
  }
  const tm = timeMachineLine(input);
  if (tm?.problem) problems.push(tm.problem);
  for (const x of input.extras ?? []) problems.push(...x.problems);

  // Pillars
  if (input.pillars.length > 0) {
    for (const p of input.pillars) menu.push(pillarItem(p));
    menu.push({ type: 'action', label: 'Remount all', action: { kind: 'remount-all' }, enabled: input.location !== 'away' });
    menu.push({ type: 'separator' });
  }

  // Backups: one line each for the jobs that carry data, any other job only when it is in trouble.
  const lines: MenuItemSpec[] = [];
  for (const { job, health } of healths) {
    if (!isBackupLine(job) && !isAlarm(health)) continue;
    const label = `${jobLabel(job)}: ${healthText(health, input.now)}`;
    const run = health.kind === 'never' ? null : health.run;
    lines.push(run ? { type: 'action', label, action: { kind: 'open-run', runId: run.id } } : { type: 'text', label });
  }
  if (tm) lines.push(tm.item);
  if (!status && input.server.connection !== 'unpaired') lines.push({ type: 'text', label: 'Backups: no status from the server yet' });
  if (lines.length) menu.push(...lines, { type: 'separator' });

  // Approvals waiting: a blocked sync an admin can let go on.
  const approvals = healths.filter((x) => x.health.kind === 'blocked' && x.health.run.block?.needsApproval);
  if (approvals.length) {
    menu.push({ type: 'text', label: `Approvals waiting: ${approvals.length}` });
    for (const { job, health } of approvals) {
      if (health.kind !== 'blocked') continue;
      const d = health.run.block?.deletes;
      const what = d ? ` would delete ${d.count} files (${d.percent.toFixed(1)} %)` : '';
      menu.push({ type: 'action', label: `Review ${jobLabel(job)}${what}…`, action: { kind: 'open-run', runId: health.run.id } });
    }
    menu.push({ type: 'separator' });
  }

  for (const x of input.extras ?? []) if (x.menu.length) menu.push(...x.menu, { type: 'separator' });

  menu.push(
    { type: 'action', label: 'Open admin pane', action: { kind: 'open-admin' }, enabled: input.server.connection !== 'unpaired' },
    { type: 'action', label: input.server.connection === 'unpaired' ? 'Set up Pillars…' : 'Preferences…', action: { kind: 'preferences' } },
    { type: 'checkbox', label: 'Start at login', checked: input.startAtLogin, action: { kind: 'toggle-start-at-login' } },
    { type: 'separator' },
    { type: 'action', label: 'Quit Pillars', action: { kind: 'quit' } },
  );

  const icon = pickIcon(
    input,
    problems,
    healths.map((h) => h.health),
  );
  const header = headline(input, problems);
  menu.unshift({ type: 'text', label: header }, { type: 'separator' });
  return { icon, tooltip: clip(`Pillars: ${header}`), menu, problems };
}

function pickIcon(input: TrayInput, problems: Problem[], healths: JobHealth[]): TrayIcon {
  if (problems.some((p) => p.severity === 'error')) return 'error';
  if (problems.some((p) => p.severity === 'warning')) return 'warning';
  if (healths.some((h) => h.kind === 'running') || input.pillars.some((p) => p.state === 'mounting') || waitingForStatus(input)) return 'working';
  if (input.location === 'away' || input.server.connection === 'unreachable') return 'offline';
  return 'ok';
}

function headline(input: TrayInput, problems: Problem[]): string {
  const ranked = [...problems].sort((a, b) => rank(b.severity) - rank(a.severity));
  if (ranked.length === 1) return ranked[0]!.text;
  if (ranked.length > 1) return `${ranked.length} problems: ${ranked[0]!.text}`;
  if (input.location === 'away') return 'away from home, pillars unmounted';
  if (waitingForStatus(input)) return 'connecting…';
  return 'all good';
}

/** Connecting, or connected with no status yet: green would claim what we don't know. */
const waitingForStatus = (input: TrayInput) => input.server.connection === 'connecting' || (input.server.connection === 'connected' && !input.server.status);

const rank = (s: Problem['severity']) => (s === 'error' ? 2 : s === 'warning' ? 1 : 0);

function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length <= TOOLTIP_MAX ? one : one.slice(0, TOOLTIP_MAX - 1) + '…';
}
