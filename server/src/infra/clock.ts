// Time as a seam, so schedules, retries and retention are tested without waiting.
export interface Clock {
  now(): Date;
  /** A timer that can be cancelled; the real one is unref'd so it never holds the process open. */
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};
