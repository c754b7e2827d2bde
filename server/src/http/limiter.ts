// Failed-authentication limit per client address. @fastify/rate-limit counts every request; we must
// count only failures (a busy tray must never be throttled), so this is a small fixed-window bucket.
export interface FailureLimitOptions {
  /** failures allowed per window before the address is refused */
  max: number;
  windowMs: number;
  /** addresses tracked at most (oldest windows dropped first) */
  maxTracked?: number;
}

export class FailureLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly opts: FailureLimitOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the address may try again, or 0 when it may try now. */
  retryAfter(ip: string): number {
    const w = this.windows.get(ip);
    if (!w) return 0;
    const left = w.start + this.opts.windowMs - this.now();
    if (left <= 0) {
      this.windows.delete(ip);
      return 0;
    }
    return w.count >= this.opts.max ? Math.ceil(left / 1000) : 0;
  }

  fail(ip: string): void {
    const now = this.now();
    let w = this.windows.get(ip);
    if (!w || now - w.start >= this.opts.windowMs) {
      this.windows.delete(ip);
      w = { start: now, count: 0 };
      this.windows.set(ip, w);
      const cap = this.opts.maxTracked ?? 10_000;
      if (this.windows.size > cap) this.windows.delete(this.windows.keys().next().value!);
    }
    w.count++;
  }
}
