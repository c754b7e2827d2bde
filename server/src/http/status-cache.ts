// GET /status aggregates the engine, the pillars and the watchers: milliseconds of work that many
// clients (every tray, every open pane) ask for at once. Concurrent requests share one computation
// and its answer is reused for up to `ttlMs`; any hub event (a run changed, status.changed)
// invalidates it at once, so what moves is never stale and only slow figures (free space) may lag
// by up to a second.
import type { StatusResponse } from '../contract/api';
import type { EventHub, StatusApi } from '../ports/services';

export function cachedStatus(source: StatusApi, hub: EventHub, ttlMs: number, now: () => number): { status(): Promise<StatusResponse>; stop(): void } {
  let entry: { at: number; value: Promise<StatusResponse> } | null = null;
  const stop = ttlMs > 0 ? hub.subscribe(() => (entry = null)) : () => {};
  return {
    status() {
      if (ttlMs <= 0) return source.status();
      const t = now();
      if (!entry || t - entry.at >= ttlMs) {
        const value = source.status();
        const mine = { at: t, value };
        entry = mine;
        // a failed computation is not reused
        value.catch(() => {
          if (entry === mine) entry = null;
        });
      }
      return entry.value;
    },
    stop,
  };
}
