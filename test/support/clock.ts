// A manual clock for the server's Clock seam: time moves only when the test says, and timers due
// by then fire in order (a timer set by a timer that fires is honoured in the same advance).
import type { Clock } from '../../server/src/ports/clock';

export interface ManualClock {
  clock: Clock;
  advanceTo(iso: string): void;
  advance(ms: number): void;
}

export function manualClock(start: string): ManualClock {
  let now = Date.parse(start);
  let timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  const clock: Clock = {
    now: () => new Date(now),
    setTimeout(fn, ms) {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return { cancel: () => (t.live = false) };
    },
  };
  const advanceTo = (iso: string) => {
    const target = Date.parse(iso);
    for (;;) {
      const due = timers.filter((t) => t.live && t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      now = due.at;
      due.live = false;
      due.fn();
    }
    timers = timers.filter((t) => t.live);
    now = target;
  };
  return { clock, advanceTo, advance: (ms) => advanceTo(new Date(now + ms).toISOString()) };
}
