// What is worth a message, as pure functions of (the open incident, what just happened, the time).
// One incident per subject: a job's trouble (failed, blocked, interrupted, warnings), an overdue
// job, a full pillar, a stale Time Machine backup, hot-set conflicts, Samba drift. Only opening,
// a change of trouble, a reminder while a block waits and the end ("back to normal") produce a
// notice; a repeat of the same trouble is only counted, so a job failing 100 times tells once.
import { createHash } from 'node:crypto';
import type { BlockInfo, Notice, NoticeKind, Run } from '../contract/api';

export type Severity = Notice['severity'];

export interface Incident {
  key: string;
  kind: NoticeKind;
  severity: Severity;
  title: string;
  text: string;
  jobId: string | null;
  runId: string | null;
  subject: string | null;
  openedAt: string;
  lastAt: string;
  count: number;
  /** since when a run waits for a person (a block): reminders count from here; null: nobody is awaited */
  waitingSince: string | null;
  reminders: number;
  /** notices made so far (numbers the next notice's id) */
  seq: number;
  /** the channels told about it: the "back to normal" goes to them */
  sentTo: string[];
}

/** A notice before it gets a link (that needs the pane's address). */
export type NoticeDraft = Omit<Notice, 'link'>;

export interface Transition {
  /** the incident after the change; null: closed (or none) */
  next: Incident | null;
  notice: NoticeDraft | null;
}

const NONE: Transition = { next: null, notice: null };

/** Stable and unique per notice, and safe as an ntfy sequence id and inside a Message-ID. */
export function noticeId(incidentKey: string, openedAt: string, seq: number): string {
  return `n-${createHash('sha256').update(`${incidentKey}\u0000${openedAt}\u0000${seq}`).digest('hex').slice(0, 32)}`;
}

function notice(inc: Incident, phase: Notice['phase'], over: Partial<NoticeDraft> = {}): NoticeDraft {
  return {
    id: noticeId(inc.key, inc.openedAt, inc.seq),
    incident: inc.key,
    kind: inc.kind,
    phase,
    severity: inc.severity,
    title: inc.title,
    text: inc.text,
    at: inc.lastAt,
    jobId: inc.jobId,
    runId: inc.runId,
    subject: inc.subject,
    count: inc.count,
    deletes: null,
    ...over,
  };
}

type Opening = Pick<Incident, 'key' | 'kind' | 'severity' | 'title' | 'text' | 'jobId' | 'runId' | 'subject'>;

function open(base: Opening, now: string, o: { waiting?: boolean; notice?: Partial<NoticeDraft> } = {}): Transition {
  const inc: Incident = { ...base, openedAt: now, lastAt: now, count: 1, waitingSince: o.waiting ? now : null, reminders: 0, seq: 0, sentTo: [] };
  return { next: { ...inc, seq: 1 }, notice: notice(inc, 'opened', o.notice) };
}

function resolve(inc: Incident, now: string, title: string, text: string, runId: string | null = inc.runId): Transition {
  const n = notice({ ...inc, lastAt: now }, 'resolved', { severity: 'info', title, text, runId });
  return { next: null, notice: n };
}

// ---- a job's runs --------------------------------------------------------------------------

type Trouble = { kind: NoticeKind; severity: Severity; title: string; text: string; waiting: boolean; deletes: Notice['deletes'] };

function blockTitle(jobId: string, b: BlockInfo | null): string {
  return b?.needsApproval ? `${jobId} is blocked and waits for approval` : `${jobId} is blocked`;
}

function deletesOf(b: BlockInfo | null): Notice['deletes'] {
  return b?.deletes ? { count: b.deletes.count, bytes: b.deletes.bytes, percent: b.deletes.percent } : null;
}

function troubleOf(run: Run): Trouble | null {
  const j = run.jobId;
  const status = run.status;
  if (status === 'failed') return { kind: 'failed', severity: 'critical', title: `${j} failed`, text: run.error ?? `the run ended with exit code ${run.exitCode ?? '?'}`, waiting: false, deletes: null };
  if (status === 'blocked')
    return { kind: 'blocked', severity: 'critical', title: blockTitle(j, run.block), text: run.block?.message ?? run.error ?? 'a guard stopped the run', waiting: true, deletes: deletesOf(run.block) };
  if (status === 'interrupted') return { kind: 'interrupted', severity: 'warning', title: `${j} was interrupted`, text: run.error ?? 'the run did not finish', waiting: false, deletes: null };
  if (status === 'succeeded-with-warnings') {
    const unreadable = run.summary?.kind === 'restic-backup' ? run.summary.unreadableFiles : undefined;
    const text = run.error ?? (unreadable ? `${unreadable} files could not be read; the snapshot was written without them` : 'the run succeeded with warnings');
    return { kind: 'warnings', severity: 'warning', title: `${j} succeeded with warnings`, text, waiting: false, deletes: null };
  }
  return null;
}

/** The job incident (`job:<id>`) after a run reached `run.status` (finished, blocked or queued again). */
export function onRun(inc: Incident | undefined, run: Run, now: string): Transition {
  const status = run.status;
  const key = `job:${run.jobId}`;
  if (status === 'queued' || status === 'running') {
    // an approved block runs again: nobody needs reminding while it does
    if (inc?.waitingSince && inc.runId === run.id) return { next: { ...inc, waitingSince: null }, notice: null };
    return { next: inc ?? null, notice: null };
  }
  if (status === 'succeeded') {
    if (!inc) return NONE;
    const since = inc.count > 1 ? ` after ${inc.count} ${inc.kind === 'failed' ? 'failures' : 'troubled runs'}` : '';
    return resolve(inc, now, `${run.jobId} is back to normal`, `run ${run.id} succeeded${since}${run.approvedBy ? ` (approved by ${run.approvedBy})` : ''}`, run.id);
  }
  if (status === 'cancelled') {
    if (!inc || inc.kind !== 'blocked' || inc.runId !== run.id) return { next: inc ?? null, notice: null };
    // superseded by a newer run of the job: that run's outcome decides (it is blocked again, most likely)
    if (/^superseded by/.test(run.error ?? '')) return { next: inc, notice: null };
    return resolve(inc, now, `${run.jobId} is no longer blocked`, `the blocked run ${run.id} was cancelled: ${run.error ?? 'cancelled'}`, run.id);
  }
  const t = troubleOf(run);
  if (!t) return { next: inc ?? null, notice: null };
  const fields = { kind: t.kind, severity: t.severity, title: t.title, text: t.text, runId: run.id, lastAt: now };
  if (!inc) return open({ key, ...fields, jobId: run.jobId, subject: null }, now, { waiting: t.waiting, notice: { deletes: t.deletes } });
  // The same trouble again (the next scheduled run, a new run blocked while the old block still
  // waits): counted, not told. A block after an approval was given is news: someone must look again.
  if (inc.kind === t.kind && !(t.waiting && !inc.waitingSince)) return { next: { ...inc, ...fields, count: inc.count + 1 }, notice: null };
  const changed: Incident = { ...inc, ...fields, count: inc.count + 1, waitingSince: t.waiting ? now : null, reminders: 0 };
  return { next: { ...changed, seq: inc.seq + 1 }, notice: notice(changed, 'changed', { deletes: t.deletes, text: `${t.text} (before: ${inc.title})` }) };
}

/** While a block waits: a reminder once each interval has passed since the block (the last one repeats). */
export function onTick(inc: Incident, now: Date, remindersMs: readonly number[]): Transition {
  if (!inc.waitingSince || remindersMs.length === 0) return { next: inc, notice: null };
  const last = remindersMs[remindersMs.length - 1]!;
  const dueAfter = inc.reminders < remindersMs.length ? remindersMs[inc.reminders]! : last * (inc.reminders - remindersMs.length + 2);
  const waited = now.getTime() - Date.parse(inc.waitingSince);
  if (waited < dueAfter) return { next: inc, notice: null };
  const next: Incident = { ...inc, reminders: inc.reminders + 1, seq: inc.seq + 1 };
  const hours = waited / 3_600_000;
  const since = hours >= 48 ? `${Math.floor(hours / 24)} days` : hours >= 1 ? `${Math.floor(hours)} h` : `${Math.max(1, Math.round(waited / 60_000))} min`;
  return { next, notice: notice(inc, 'reminder', { title: `${inc.jobId ?? inc.subject ?? inc.key} still waits (${since})`, text: inc.text, at: now.toISOString() }) };
}

// ---- conditions the watchers report (polled) ---------------------------------------------

/** active: the trouble is there; clear: it is certainly not; unknown: can't tell (never read as clear). */
export interface Condition {
  key: string;
  kind: NoticeKind;
  state: 'active' | 'clear' | 'unknown';
  severity: Severity;
  title: string;
  text: string;
  jobId: string | null;
  subject: string | null;
  /** the title of the "back to normal" (`text` then says how things are now) */
  clearTitle: string;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export function onCondition(inc: Incident | undefined, c: Condition, now: string): Transition {
  if (c.state === 'unknown') return { next: inc ?? null, notice: null };
  if (c.state === 'clear') return inc ? resolve(inc, now, c.clearTitle, `${c.text} (before: ${inc.title}, since ${inc.openedAt})`) : NONE;
  if (!inc) return open({ key: c.key, kind: c.kind, severity: c.severity, title: c.title, text: c.text, jobId: c.jobId, runId: null, subject: c.subject }, now);
  if (RANK[c.severity] > RANK[inc.severity]) {
    const worse: Incident = { ...inc, severity: c.severity, title: c.title, text: c.text, lastAt: now };
    return { next: { ...worse, seq: inc.seq + 1 }, notice: notice(worse, 'changed') };
  }
  // the same (or a milder) state: keep the words current for the pane, tell nobody
  return { next: { ...inc, title: c.title, text: c.text }, notice: null };
}
