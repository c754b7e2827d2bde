// One event stream per client over @fastify/sse: subscribe first, replay what the client missed
// (Last-Event-ID), then forward live events in id order without gaps or repeats. Each client has a
// bounded queue of events waiting for its socket (sends await 'drain'); when a slow or stalled
// client overflows it, the connection is dropped, and the client reconnects with its last id and
// gets the rest by replay, so nothing is lost and nothing grows without bound.
import type { FastifyReply } from 'fastify';
import type { StoredEvent } from '../contract/api';
import type { EventHub } from '../ports/services';

export interface StreamOptions {
  hub: EventHub;
  /** Resume after this id; null: live events only. */
  after: number | null;
  maxQueued: number;
  /** Only events for which this is true are sent (they still advance the position). */
  filter?: (e: StoredEvent) => boolean;
  /** Sent first, before the replay (e.g. the current log of a followed run). */
  preamble?: Array<{ event: string; data: unknown }>;
  /** When this returns true for a sent event, the stream ends after it. */
  endAfter?: (e: StoredEvent) => boolean;
  /** Called once when the stream ends for any reason. */
  onEnd?: () => void;
  /** Counts the streams open (GET /metrics reports it). */
  streams?: { open: number };
}

const REPLAY_PAGE = 500;

/** One JSON text per event, however many clients it goes to (fan-out to hundreds of streams). */
const serialized = new WeakMap<StoredEvent, string>();
function json(e: StoredEvent): string {
  let s = serialized.get(e);
  if (s === undefined) {
    s = JSON.stringify(e);
    serialized.set(e, s);
  }
  return s;
}

/** @fastify/sse route option: data that is already JSON text goes out as it is. */
export const SSE_ROUTE = { serializer: (d: unknown) => (typeof d === 'string' ? d : JSON.stringify(d)) };

export function streamEvents(reply: FastifyReply, o: StreamOptions): void {
  const sse = reply.sse;
  sse.keepAlive();
  const queue: StoredEvent[] = [];
  let closed = false;
  let pumping = false;
  let replaying = true;
  const head = o.hub.lastId();
  // A client that remembers an id we never issued (the store was reset) starts afresh.
  let position = o.after !== null && o.after <= head ? o.after : head;

  if (o.streams) o.streams.open++;
  const end = () => {
    if (closed) return;
    closed = true;
    if (o.streams) o.streams.open--;
    unsubscribe();
    o.onEnd?.();
  };
  const unsubscribe = o.hub.subscribe((e) => {
    if (closed) return;
    if (queue.length >= o.maxQueued) {
      // Overflow: drop the connection; the client resumes from the last id it really received.
      end();
      reply.raw.destroy();
      return;
    }
    queue.push(e);
    if (!replaying) void pump();
  });
  sse.onClose(end);

  const deliver = async (e: StoredEvent): Promise<void> => {
    if (e.id <= position) return;
    position = e.id;
    if (o.filter && !o.filter(e)) return;
    await sse.send({ id: String(e.id), event: e.event.type, data: json(e) });
    if (o.endAfter?.(e)) {
      end();
      sse.close();
    }
  };

  const pump = async (): Promise<void> => {
    if (pumping) return;
    pumping = true;
    try {
      while (!closed && queue.length > 0) await deliver(queue.shift()!);
    } catch {
      end();
    } finally {
      pumping = false;
    }
  };

  void (async () => {
    try {
      sse.sendHeaders();
      // A first line at once: clients (and proxies) know the stream is open before any event.
      reply.raw.write(': connected\n\n');
      for (const p of o.preamble ?? []) await sse.send({ event: p.event, data: p.data });
      if (o.after !== null) {
        while (!closed) {
          const page = o.hub.since(position, REPLAY_PAGE);
          for (const e of page) {
            if (closed) break;
            await deliver(e);
          }
          if (page.length < REPLAY_PAGE) break;
        }
      }
    } catch {
      end();
    } finally {
      replaying = false;
      void pump();
    }
  })();
}
