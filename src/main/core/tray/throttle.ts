// Rebuilds the tray at most once per interval: the first change renders at once, changes arriving
// inside the interval coalesce into one trailing render at the interval's end, so a burst of
// progress events costs one menu rebuild a second and the last state is never lost.
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface Throttle {
  /** Asks for a render; it runs now or at the end of the current interval. */
  request(): void;
  /** Drops a pending render (on quit). */
  cancel(): void;
}

export function createThrottle(run: () => void, intervalMs: number, timers: Timers): Throttle {
  let last = -Infinity;
  let pending: unknown = null;
  const fire = () => {
    pending = null;
    last = timers.now();
    run();
  };
  return {
    request() {
      if (pending !== null) return;
      const wait = last + intervalMs - timers.now();
      if (wait <= 0) fire();
      else pending = timers.setTimeout(fire, wait);
    },
    cancel() {
      if (pending !== null) timers.clearTimeout(pending);
      pending = null;
    },
  };
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};
