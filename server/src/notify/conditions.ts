// The watchers' findings as conditions, from one status answer (pure). A value the status could not
// read (a pillar whose capacity is unknown, a Time Machine bundle never completed, a hot-set list
// that failed) is `unknown`, which never ends an incident: an error is not "all clear". Subjects
// missing from the answer give no condition at all, for the same reason.
import type { JobInfo, StatusResponse } from '../contract/api';
import { trend, type CapacitySample } from '../watch/capacity';
import type { Condition } from './incidents';

export interface ConditionSettings {
  /** used share of a pillar that is worth a message */
  usedPercent: number;
  /** tell when the trend says the pillar is full within this many days */
  fullWithinDays: number;
  /** days since a Mac's last Time Machine backup; null: the watcher's own `stale` verdict */
  timeMachineDays: number | null;
  /** jobs whose trouble is already an open incident: their overdue is no news */
  jobsInTrouble: ReadonlySet<string>;
}

/** samples closer together than this say nothing about growth (a burst of writes is not a trend) */
const MIN_TREND_SPAN_MS = 2 * 86_400_000;

/** Days until the pillar is full at the growth its samples show; null without two days of samples or without growth. */
export function daysUntilFull(samples: readonly CapacitySample[]): number | null {
  if (samples.length < 3) return null;
  if (Date.parse(samples[samples.length - 1]!.at) - Date.parse(samples[0]!.at) < MIN_TREND_SPAN_MS) return null;
  return trend(samples).daysUntilFull;
}

/** percent points below the threshold before a full pillar counts as cleared (no flapping) */
const CAPACITY_HYSTERESIS = 2;

const pct = (n: number) => `${n.toFixed(n >= 99.5 ? 1 : 0)}%`;
const days = (d: number) => (d < 1 ? 'within a day' : `in about ${Math.round(d)} days`);

export function overdueCondition(j: JobInfo, s: ConditionSettings): Condition {
  const inTrouble = s.jobsInTrouble.has(j.id);
  const last = j.lastSuccessAt ? `its last success was ${j.lastSuccessAt}` : 'it has never succeeded';
  return {
    key: `overdue:${j.id}`,
    kind: 'overdue',
    // a job that already told of its failure or block is not told again as overdue
    state: j.overdue ? (inTrouble ? 'unknown' : 'active') : 'clear',
    severity: 'warning',
    title: `${j.id} is overdue`,
    text: j.overdue ? `${j.id} did not succeed within its expected window: ${last}` : `${j.id} succeeded at ${j.lastSuccessAt ?? '?'}`,
    jobId: j.id,
    subject: null,
    clearTitle: `${j.id} is on time again`,
  };
}

export function capacityCondition(p: StatusResponse['pillars'][number], daysUntilFull: number | null, s: ConditionSettings): Condition {
  const base = { key: `capacity:${p.id}`, kind: 'capacity' as const, jobId: null, subject: p.id, clearTitle: `${p.id} has room again` };
  if (p.totalBytes === null || p.usedBytes === null || p.totalBytes <= 0) {
    return { ...base, state: 'unknown', severity: 'warning', title: `${p.id}: capacity unknown`, text: p.warnings[0] ?? 'its capacity could not be read' };
  }
  const used = (p.usedBytes / p.totalBytes) * 100;
  const over = used >= s.usedPercent;
  const soon = daysUntilFull !== null && daysUntilFull <= s.fullWithinDays;
  const critical = used >= Math.max(s.usedPercent, 95) || (daysUntilFull !== null && daysUntilFull <= Math.min(3, s.fullWithinDays));
  const projection = daysUntilFull !== null ? `; at its current growth it is full ${days(daysUntilFull)}` : '';
  if (over || soon) {
    return {
      ...base,
      state: 'active',
      severity: critical ? 'critical' : 'warning',
      title: over ? `${p.id} is ${pct(used)} full` : `${p.id} will be full ${days(daysUntilFull!)}`,
      text: `${p.id} is ${pct(used)} full${projection}`,
    };
  }
  const clearlyFine = used < s.usedPercent - CAPACITY_HYSTERESIS && (daysUntilFull === null || daysUntilFull > s.fullWithinDays * 1.25);
  return { ...base, state: clearlyFine ? 'clear' : 'unknown', severity: 'warning', title: `${p.id} is ${pct(used)} full`, text: `${p.id} is ${pct(used)} full${projection}` };
}

export function timeMachineCondition(b: StatusResponse['timeMachine'][number], now: Date, s: ConditionSettings): Condition {
  const mac = b.name.replace(/\.(sparsebundle|backupbundle)$/, '');
  const who = b.folder ? `${b.folder}/${mac}` : mac;
  const base = {
    key: `time-machine:${b.folder ? `${b.folder}/` : ''}${b.name}`,
    kind: 'time-machine' as const,
    jobId: null,
    subject: who,
    severity: 'warning' as const,
    clearTitle: `${who} backs up to Time Machine again`,
  };
  if (b.lastBackupAt === null) return { ...base, state: 'unknown', title: `${who}: no finished Time Machine backup`, text: `${who} has no finished Time Machine backup on record` };
  const ageDays = (now.getTime() - Date.parse(b.lastBackupAt)) / 86_400_000;
  const stale = s.timeMachineDays === null ? b.stale : ageDays > s.timeMachineDays;
  const age = `${Math.floor(ageDays)} days`;
  return {
    ...base,
    state: stale ? 'active' : 'clear',
    title: `${who}'s last Time Machine backup is ${age} old`,
    text: stale ? `${who} last backed up to Time Machine at ${b.lastBackupAt} (${age} ago)` : `${who} backed up at ${b.lastBackupAt}`,
  };
}

function conflictsCondition(h: StatusResponse['hotSets'][number]): Condition {
  const n = h.conflicts.length;
  return {
    key: `conflicts:${h.id}`,
    kind: 'conflicts',
    state: n > 0 ? 'active' : 'clear',
    severity: 'warning',
    title: `hot-set ${h.label || h.id} has ${n} Syncthing conflict${n === 1 ? '' : 's'}`,
    text: n > 0 ? `${h.path}: ${h.conflicts.slice(0, 5).join(', ')}${n > 5 ? `, and ${n - 5} more` : ''}` : `${h.path} has no conflicts`,
    jobId: null,
    subject: h.label || h.id,
    clearTitle: `hot-set ${h.label || h.id} has no conflicts any more`,
  };
}

/** Every condition one status answer shows. */
export function conditionsFromStatus(st: StatusResponse, trends: ReadonlyMap<string, number | null>, s: ConditionSettings): Condition[] {
  const now = new Date(st.time);
  return [
    ...st.jobs.map((j) => overdueCondition(j, s)),
    ...st.pillars.map((p) => capacityCondition(p, trends.get(p.id) ?? null, s)),
    ...st.timeMachine.map((b) => timeMachineCondition(b, now, s)),
    ...st.hotSets.map((h) => conflictsCondition(h)),
  ];
}

/** The incident keys of Samba's two conditions; the status's `samba` field is read from them. */
export const SAMBA_DRIFT_KEY = 'samba:drift';
export const SAMBA_RELOAD_KEY = 'samba:reload';

export function sambaCondition(state: { drift: boolean; messages: string[] } | null, error: string | null): Condition {
  return {
    key: SAMBA_DRIFT_KEY,
    kind: 'samba',
    state: state === null ? 'unknown' : state.drift ? 'active' : 'clear',
    severity: 'warning',
    title: 'the Samba config was edited outside pillarsd',
    text:
      state === null
        ? (error ?? 'the Samba state could not be read')
        : state.drift
          ? (state.messages.find((m) => /drift/.test(m)) ?? 'the live smb.conf differs from the last apply')
          : 'the live Samba config is the one pillarsd applied',
    jobId: null,
    subject: 'samba',
    clearTitle: "the Samba config is pillarsd's again",
  };
}

/** A samba apply that smbd did not reload (`message`), or did (null). */
export function sambaReloadCondition(message: string | null): Condition {
  return {
    key: SAMBA_RELOAD_KEY,
    kind: 'samba',
    state: message === null ? 'clear' : 'active',
    severity: 'critical',
    title: 'smbd did not reload the Samba config',
    text: message ?? 'smbd reloaded the Samba config',
    jobId: null,
    subject: 'samba',
    clearTitle: 'smbd reloaded the Samba config',
  };
}
