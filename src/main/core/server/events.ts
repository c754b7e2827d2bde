// The live event stream from pillarsd (SSE /api/v1/events). Reconnects with backoff and resumes
// with Last-Event-ID; after every (re)connect it asks the caller to resync (re-read the status),
// because events can be missed across a gap that is longer than the server's replay window. A
// silent stream (no heartbeat for `idleMs`) counts as dead: Wi-Fi drops don't always close TCP.
import { createParser } from 'eventsource-parser';
import type { ServerEvent, StoredEvent } from '../../../../server/src/contract/api';
import { HttpStatusError, openRequest, readBody } from './http';
import type { ServerTarget } from './http';
import type { Timers } from '../tray/throttle';

export type StreamState = { kind: 'connecting' } | { kind: 'open' } | { kind: 'down'; error: Error; retryInMs: number | null };

export interface EventStreamOptions {
  target: () => ServerTarget | null;
  onEvent: (e: StoredEvent) => void;
  onState: (s: StreamState) => void;
  /** Called once the stream is open after a (re)connect: fetch the status again. */
  onResync: () => void;
  timers: Timers;
  idleMs?: number;
  backoffMs?: readonly number[];
  lastEventId?: number | null;
}

export interface EventStream {
  start(): void;
  stop(): void;
  /** Drop the current attempt and connect at once (after resume from sleep or a network change). */
  reconnectNow(): void;
  lastEventId(): number | null;
}

export const DEFAULT_BACKOFF = [1_000, 2_000, 5_000, 10_000, 30_000] as const;

/** Turns one SSE message into a stored event; accepts `data` as the bare event or as {id, at, event}. */
export function toStoredEvent(msg: { id?: string; event?: string; data: string }, now: () => number): StoredEvent | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(msg.data);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== 'object') return null;
  const o = parsed as Record<string, unknown>;
  const idNum = msg.id !== undefined && msg.id !== '' ? Number(msg.id) : NaN;
  if (o.event && typeof o.event === 'object' && typeof (o.event as { type?: unknown }).type === 'string') {
    const id = typeof o.id === 'number' ? o.id : idNum;
    return { id: Number.isFinite(id) ? id : 0, at: typeof o.at === 'string' ? o.at : new Date(now()).toISOString(), event: o.event as ServerEvent };
  }
  const type = typeof o.type === 'string' ? o.type : msg.event;
  if (!type) return null;
  return { id: Number.isFinite(idNum) ? idNum : 0, at: new Date(now()).toISOString(), event: { ...o, type } as ServerEvent };
}

export function createEventStream(o: EventStreamOptions): EventStream {
  const backoff = o.backoffMs ?? DEFAULT_BACKOFF;
  const idleMs = o.idleMs ?? 45_000;
  let lastId: number | null = o.lastEventId ?? null;
  let running = false;
  let attempt = 0;
  let abort: AbortController | null = null;
  let retryTimer: unknown = null;
  let idleTimer: unknown = null;
  let generation = 0;

  const clearTimers = () => {
    if (retryTimer !== null) o.timers.clearTimeout(retryTimer);
    if (idleTimer !== null) o.timers.clearTimeout(idleTimer);
    retryTimer = idleTimer = null;
  };

  const scheduleRetry = (gen: number, error: Error) => {
    if (!running || gen !== generation) return;
    abort?.abort();
    abort = null;
    clearTimers();
    // A refused token or a changed certificate won't heal by retrying fast: back off to the maximum.
    const hopeless = error instanceof HttpStatusError && (error.status === 401 || error.status === 403);
    const wait = hopeless ? backoff[backoff.length - 1]! : backoff[Math.min(attempt, backoff.length - 1)]!;
    attempt++;
    o.onState({ kind: 'down', error, retryInMs: wait });
    retryTimer = o.timers.setTimeout(() => {
      retryTimer = null;
      connect();
    }, wait);
  };

  const armIdle = (gen: number) => {
    if (idleTimer !== null) o.timers.clearTimeout(idleTimer);
    idleTimer = o.timers.setTimeout(() => scheduleRetry(gen, new Error(`no event or heartbeat for ${Math.round(idleMs / 1000)} s`)), idleMs);
  };

  const connect = () => {
    if (!running) return;
    const target = o.target();
    const gen = ++generation;
    if (!target) {
      o.onState({ kind: 'down', error: new Error('not paired with a server'), retryInMs: null });
      return;
    }
    abort = new AbortController();
    o.onState({ kind: 'connecting' });
    const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache' };
    if (lastId !== null) headers['last-event-id'] = String(lastId);
    openRequest(target, { path: 'api/v1/events', headers, signal: abort.signal, timeoutMs: idleMs })
      .then(async (res) => {
        if (gen !== generation) return res.destroy();
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          const text = await readBody(res).catch(() => '');
          throw new HttpStatusError(status, text.slice(0, 200));
        }
        res.setEncoding('utf8');
        // The socket timeout was for connecting; the idle timer below watches the open stream.
        res.socket?.setTimeout(0);
        attempt = 0;
        o.onState({ kind: 'open' });
        o.onResync();
        armIdle(gen);
        const parser = createParser({
          onEvent: (msg) => {
            const e = toStoredEvent(msg, o.timers.now);
            if (!e) return;
            if (e.id) lastId = e.id;
            o.onEvent(e);
          },
          onComment: () => undefined, // heartbeats: the data handler below already re-armed the idle timer
        });
        res.on('data', (chunk: string) => {
          if (gen !== generation) return;
          armIdle(gen);
          parser.feed(chunk);
        });
        res.once('end', () => scheduleRetry(gen, new Error('the server closed the event stream')));
        res.once('error', (e) => scheduleRetry(gen, e));
      })
      .catch((e: unknown) => scheduleRetry(gen, e instanceof Error ? e : new Error(String(e))));
  };

  return {
    start() {
      if (running) return;
      running = true;
      connect();
    },
    stop() {
      running = false;
      generation++;
      clearTimers();
      abort?.abort();
      abort = null;
    },
    reconnectNow() {
      if (!running) return;
      generation++;
      clearTimers();
      abort?.abort();
      abort = null;
      attempt = 0;
      connect();
    },
    lastEventId: () => lastId,
  };
}
