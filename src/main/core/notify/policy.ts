// The pure notification policy: what deserves a notification, graded, and never twice.
// USERS.md: one notification per run, remembered across restarts; a lost pillar only after a
// debounce and never while asleep or away from home (away is information, not an error); a
// recovery is told once after a problem was told. `decide` is a reducer: (state, input) → (state,
// notifications); the part of the state that must survive a restart is `toMemory(state)`.
import type { JobInfo, Run, StatusResponse } from '../../../../server/src/contract/api';
import { jobHealth, jobLabel } from '../tray/jobs';
import type { ConnectionState, Location, PillarView, TrayAction } from '../tray/types';

export type NotifySeverity = 'info' | 'warning' | 'critical';

export interface NotificationSpec {
  /** Stable identity of what is told (also the de-duplication key). */
  key: string;
  severity: NotifySeverity;
  title: string;
  body: string;
  /** What a click does: a run opens in the admin pane. */
  action: TrayAction | null;
}

export interface PolicyInput {
  now: number;
  asleep: boolean;
  location: Location;
  pillars: PillarView[];
  connection: ConnectionState;
  host: string | null;
  status: StatusResponse | null;
  /** Runs carried by live events since the last call (run.finished, run.blocked). */
  runs: Run[];
}

/** What survives a restart (kept small: `seen` is bounded). */
export interface NotifyMemory {
  version: 1;
  /** Keys of run outcomes and overdue episodes already told, oldest first. */
  seen: string[];
  /** Jobs whose trouble was told and whose recovery is still to be told. */
  troubled: string[];
}

export interface PolicyState {
  memory: NotifyMemory;
  pillarDownSince: Record<string, number>;
  pillarWasMounted: Record<string, boolean>;
  pillarTold: Record<string, boolean>;
  serverDownSince: number | null;
  serverTold: boolean;
  refusedTold: ConnectionState | null;
}

export const SEEN_LIMIT = 500;
export const PILLAR_DEBOUNCE_MS = 60_000;
export const SERVER_DEBOUNCE_MS = 120_000;

export function emptyMemory(): NotifyMemory {
  return { version: 1, seen: [], troubled: [] };
}

export function initialState(memory: NotifyMemory = emptyMemory()): PolicyState {
  return { memory: { version: 1, seen: [...memory.seen], troubled: [...memory.troubled] }, pillarDownSince: {}, pillarWasMounted: {}, pillarTold: {}, serverDownSince: null, serverTold: false, refusedTold: null };
}

export function toMemory(state: PolicyState): NotifyMemory {
  return { version: 1, seen: state.memory.seen.slice(-SEEN_LIMIT), troubled: [...state.memory.troubled] };
}

const LOST: ReadonlySet<PillarView['state']> = new Set(['stale', 'failed-network', 'unmounted']);

export function decide(prev: PolicyState, input: PolicyInput): { state: PolicyState; notifications: NotificationSpec[] } {
  const s: PolicyState = {
    memory: { version: 1, seen: [...prev.memory.seen], troubled: [...prev.memory.troubled] },
    pillarDownSince: { ...prev.pillarDownSince },
    pillarWasMounted: { ...prev.pillarWasMounted },
    pillarTold: { ...prev.pillarTold },
    serverDownSince: prev.serverDownSince,
    serverTold: prev.serverTold,
    refusedTold: prev.refusedTold,
  };
  const out: NotificationSpec[] = [];
  const seen = new Set(s.memory.seen);
  const troubled = new Set(s.memory.troubled);
  const tell = (n: NotificationSpec, remember: boolean) => {
    if (remember) {
      if (seen.has(n.key)) return;
      seen.add(n.key);
      s.memory.seen.push(n.key);
    }
    out.push(n);
  };
  const jobs = new Map<string, JobInfo>((input.status?.jobs ?? []).map((j) => [j.id, j]));
  const labelOf = (jobId: string) => {
    const j = jobs.get(jobId);
    return j ? jobLabel(j) : jobId;
  };

  // Run outcomes: from live events first (they carry runs the status may already have replaced),
  // then each job's last run (catches what happened while the app was closed).
  const runs = [...input.runs, ...[...jobs.values()].map((j) => j.lastRun).filter((r): r is Run => r !== null)];
  for (const run of runs) {
    const label = labelOf(run.jobId);
    const open: TrayAction = { kind: 'open-run', runId: run.id };
    if (run.status === 'failed' || run.status === 'interrupted') {
      tell({ key: `run:${run.id}:failed`, severity: 'critical', title: `${label} ${run.status}`, body: run.error ?? 'Open the run to see its log.', action: open }, true);
      troubled.add(run.jobId);
    } else if (run.status === 'blocked') {
      const approval = run.block?.needsApproval === true;
      tell(
        {
          key: `run:${run.id}:blocked`,
          severity: approval ? 'warning' : 'critical',
          title: approval ? `${label} needs your approval` : `${label} blocked by a safety guard`,
          body: run.block?.message ?? 'Open the run to see why.',
          action: open,
        },
        true,
      );
      troubled.add(run.jobId);
    } else if (run.status === 'succeeded' && troubled.has(run.jobId)) {
      troubled.delete(run.jobId);
      tell({ key: `run:${run.id}:recovered`, severity: 'info', title: `${label} succeeded again`, body: 'The last run went through.', action: open }, true);
    }
  }

  // Missed runs: an overdue schedule is a failure the user would otherwise never see.
  for (const job of jobs.values()) {
    if (jobHealth(job).kind !== 'overdue') continue;
    tell(
      {
        key: `overdue:${job.id}:${job.lastSuccessAt ?? 'never'}`,
        severity: 'warning',
        title: `${jobLabel(job)} is overdue`,
        body: job.lastSuccessAt ? `No successful run since ${job.lastSuccessAt}.` : 'It has never run successfully.',
        action: job.lastRun ? { kind: 'open-run', runId: job.lastRun.id } : { kind: 'open-admin' },
      },
      true,
    );
    troubled.add(job.id);
  }

  // Pillars: only at home and awake; a drop must last PILLAR_DEBOUNCE_MS before it is told.
  const quiet = input.asleep || input.location !== 'home';
  for (const p of input.pillars) {
    if (quiet || p.state === 'away') {
      delete s.pillarDownSince[p.id];
      delete s.pillarTold[p.id]; // the situation changed; a later drop is a new episode
      continue;
    }
    if (p.state === 'mounted') {
      s.pillarWasMounted[p.id] = true;
      delete s.pillarDownSince[p.id];
      if (s.pillarTold[p.id]) {
        delete s.pillarTold[p.id];
        tell({ key: `pillar:${p.id}:back`, severity: 'info', title: `${p.label} is back`, body: `${p.label} is mounted again.`, action: { kind: 'open-pillar', id: p.id } }, false);
      }
    } else if (p.state === 'failed-auth') {
      if (!s.pillarTold[p.id]) {
        s.pillarTold[p.id] = true;
        tell(
          {
            key: `pillar:${p.id}:auth`,
            severity: 'critical',
            title: `${p.label}: password rejected`,
            body: p.reason ?? 'The SMB password was refused. Check the vault settings in Preferences.',
            action: { kind: 'preferences' },
          },
          false,
        );
      }
    } else if (LOST.has(p.state) && s.pillarWasMounted[p.id]) {
      const since = (s.pillarDownSince[p.id] ??= input.now);
      if (!s.pillarTold[p.id] && input.now - since >= PILLAR_DEBOUNCE_MS) {
        s.pillarTold[p.id] = true;
        tell({ key: `pillar:${p.id}:lost`, severity: 'warning', title: `${p.label} lost`, body: p.reason ?? `${p.label} is no longer reachable.`, action: { kind: 'remount', id: p.id } }, false);
      }
    }
  }

  // The server: unreachable at home (debounced), or refusing us (told at once: it needs the user).
  const host = input.host ?? 'The server';
  if (input.connection === 'unreachable' && !quiet) {
    s.serverDownSince ??= input.now;
    if (!s.serverTold && input.now - s.serverDownSince >= SERVER_DEBOUNCE_MS) {
      s.serverTold = true;
      tell({ key: 'server:down', severity: 'warning', title: `${host} unreachable`, body: 'Backups and live status are unknown until it answers again.', action: { kind: 'open-admin' } }, false);
    }
  } else {
    if (input.connection === 'connected') {
      if (s.serverTold) tell({ key: 'server:back', severity: 'info', title: `${host} is back`, body: 'Live status restored.', action: null }, false);
      s.serverTold = false;
      s.refusedTold = null;
    }
    s.serverDownSince = null; // also when unreachable while away or asleep: expected then
  }
  if ((input.connection === 'unauthorized' || input.connection === 'pin-mismatch') && s.refusedTold !== input.connection) {
    s.refusedTold = input.connection;
    const body =
      input.connection === 'unauthorized' ? 'Its token was revoked or is unknown. Pair again in Preferences.' : 'Its certificate is not the one this device paired with. Pair again in Preferences only if you changed it.';
    tell({ key: `server:${input.connection}`, severity: 'critical', title: `${host} refused the connection`, body, action: { kind: 'preferences' } }, false);
  }

  s.memory.seen = s.memory.seen.slice(-SEEN_LIMIT);
  s.memory.troubled = [...troubled];
  return { state: s, notifications: out };
}
