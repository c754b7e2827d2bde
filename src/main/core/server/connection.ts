// The client's connection to pillarsd: the live event stream plus the status it summarises. Run
// events are passed on at once (the notification policy wants each finished run); the status is
// re-read after every (re)connect, shortly after run and status events (coalesced), and on a slow
// timer so "overdue" (computed by the server from the clock) shows up even on a quiet day.
import type { Run, StatusResponse, StoredEvent } from '../../../../server/src/contract/api';
import { createEventStream } from './events';
import type { EventStream, StreamState } from './events';
import { HttpStatusError, PinMismatchError, requestJson } from './http';
import type { ServerTarget } from './http';
import type { Timers } from '../tray/throttle';
import type { ConnectionState } from '../tray/types';

export interface ConnectionSnapshot {
  connection: ConnectionState;
  status: StatusResponse | null;
  host: string | null;
  lastError: string | null;
}

export interface ServerConnectionOptions {
  target: () => ServerTarget | null;
  timers: Timers;
  onChange: (s: ConnectionSnapshot) => void;
  /** Each run carried by run.finished / run.blocked, as it arrives. */
  onRun: (run: Run) => void;
  onEvent?: (e: StoredEvent) => void;
  refreshMs?: number;
  coalesceMs?: number;
  idleMs?: number;
  backoffMs?: readonly number[];
}

export interface ServerConnection {
  start(): void;
  stop(): void;
  /** Re-check now: after resume from sleep, a network change, or new settings. */
  recheck(): void;
  snapshot(): ConnectionSnapshot;
}

export function classifyError(e: unknown): ConnectionState {
  if (e instanceof PinMismatchError) return 'pin-mismatch';
  if (e instanceof HttpStatusError && (e.status === 401 || e.status === 403)) return 'unauthorized';
  return 'unreachable';
}

export function createServerConnection(o: ServerConnectionOptions): ServerConnection {
  let snap: ConnectionSnapshot = { connection: o.target() ? 'connecting' : 'unpaired', status: null, host: hostOf(o.target()), lastError: null };
  let running = false;
  let refreshTimer: unknown = null;
  let slowTimer: unknown = null;
  let inFlight = false;
  let again = false;

  const set = (patch: Partial<ConnectionSnapshot>) => {
    const next = { ...snap, ...patch };
    if (next.connection === snap.connection && next.status === snap.status && next.lastError === snap.lastError && next.host === snap.host) return;
    snap = next;
    o.onChange(snap);
  };

  const refresh = async () => {
    if (!running) return;
    if (inFlight) {
      again = true;
      return;
    }
    const target = o.target();
    if (!target) return set({ connection: 'unpaired', host: null });
    inFlight = true;
    try {
      const status = await requestJson<StatusResponse>(target, { path: 'api/v1/status' });
      if (running) set({ connection: 'connected', status, host: hostOf(target), lastError: null });
    } catch (e) {
      // The last status stays: a known failure must stay red while the server is unreachable.
      if (running) set({ connection: classifyError(e), host: hostOf(target), lastError: e instanceof Error ? e.message : String(e) });
    } finally {
      inFlight = false;
      if (again && running) {
        again = false;
        void refresh();
      }
    }
  };

  const soon = () => {
    if (refreshTimer !== null) return;
    refreshTimer = o.timers.setTimeout(() => {
      refreshTimer = null;
      void refresh();
    }, o.coalesceMs ?? 500);
  };

  const slow = () => {
    slowTimer = o.timers.setTimeout(() => {
      void refresh();
      slow();
    }, o.refreshMs ?? 60_000);
  };

  const stream: EventStream = createEventStream({
    target: o.target,
    timers: o.timers,
    idleMs: o.idleMs,
    backoffMs: o.backoffMs,
    onResync: () => void refresh(),
    onState: (s: StreamState) => {
      // An open stream proves the server is reachable and takes our token; the status follows.
      if (s.kind === 'open') set({ connection: 'connected', lastError: null });
      else if (s.kind === 'down') {
        if (!o.target()) set({ connection: 'unpaired' });
        else set({ connection: classifyError(s.error), lastError: s.error.message });
      }
    },
    onEvent: (e) => {
      o.onEvent?.(e);
      const ev = e.event;
      if (ev.type === 'run.finished' || ev.type === 'run.blocked') o.onRun(ev.run);
      if (ev.type === 'run.finished' || ev.type === 'run.blocked' || ev.type === 'run.started' || ev.type === 'run.queued' || ev.type === 'status.changed' || ev.type === 'hotset.conflicts') soon();
    },
  });

  return {
    start() {
      if (running) return;
      running = true;
      stream.start();
      slow();
    },
    stop() {
      running = false;
      stream.stop();
      if (refreshTimer !== null) o.timers.clearTimeout(refreshTimer);
      if (slowTimer !== null) o.timers.clearTimeout(slowTimer);
      refreshTimer = slowTimer = null;
    },
    recheck() {
      if (!running) return;
      const t = o.target();
      if (!t) return set({ connection: 'unpaired', host: null, status: null });
      set({ host: hostOf(t) });
      stream.reconnectNow();
    },
    snapshot: () => snap,
  };
}

function hostOf(t: ServerTarget | null): string | null {
  if (!t) return null;
  try {
    return new URL(t.url).hostname;
  } catch {
    return null;
  }
}
