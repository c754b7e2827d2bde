// Time as a seam, so schedules, retries and retention are tested without waiting. The real clock
// is `systemClock` in infra/clock.ts.
export interface Clock {
  now(): Date;
  /** A timer that can be cancelled; the real one is unref'd so it never holds the process open. */
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}
