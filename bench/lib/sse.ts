// A minimal SSE reader over fetch for the benches (Node's fetch + eventsource-parser, the parser
// the client core uses): every event with its arrival time, taken when the chunk arrives.
import { createParser } from 'eventsource-parser';

export interface Arrived {
  at: number;
  event: string | undefined;
  id: string | undefined;
  data: string;
}

export interface SseClient {
  events: Arrived[];
  /** resolves once the response headers arrived (the stream is open) */
  open: Promise<void>;
  /** set when the stream ended or broke without close() being called: how it ended */
  ended: string | null;
  close(): void;
  onEvent?: (e: Arrived) => void;
}

export function sse(url: string, token: string, headers: Record<string, string> = {}): SseClient {
  const ac = new AbortController();
  const c: SseClient = { events: [], open: Promise.resolve(), ended: null, close: () => ac.abort() };
  c.open = (async () => {
    const res = await fetch(url, { headers: { accept: 'text/event-stream', authorization: `Bearer ${token}`, ...headers }, signal: ac.signal });
    if (!res.ok || !res.body) throw new Error(`SSE ${url}: HTTP ${res.status}`);
    let at = 0;
    const parser = createParser({
      onEvent: (ev) => {
        const a = { at, event: ev.event, id: ev.id, data: ev.data };
        c.events.push(a);
        c.onEvent?.(a);
      },
    });
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) {
            c.ended = 'the server ended the stream';
            break;
          }
          at = Date.now();
          parser.feed(dec.decode(value, { stream: true }));
        }
      } catch (e) {
        if (!ac.signal.aborted) c.ended = `the stream broke: ${(e as Error).message}`;
      }
    })();
  })();
  return c;
}
