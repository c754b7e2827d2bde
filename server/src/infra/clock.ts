// The real clock behind the Clock seam (ports/clock.ts).
import type { Clock } from '../ports/clock';

export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};
