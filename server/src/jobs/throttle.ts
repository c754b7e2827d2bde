// At most one value per `intervalMs`, the last one always delivered (a trailing emit).
import type { Clock } from '../ports/clock';

export function throttle<T>(clock: Clock, intervalMs: number, emit: (v: T) => void): { push(v: T): void; flush(): void; cancel(): void } {
  let last = -Infinity;
  let pending: { v: T } | null = null;
  let timer: { cancel(): void } | null = null;
  const fire = () => {
    timer = null;
    if (!pending) return;
    const v = pending.v;
    pending = null;
    last = clock.now().getTime();
    emit(v);
  };
  return {
    push(v) {
      pending = { v };
      const wait = last + intervalMs - clock.now().getTime();
      if (wait <= 0) fire();
      else timer ??= clock.setTimeout(fire, wait);
    },
    flush() {
      timer?.cancel();
      fire();
    },
    cancel() {
      timer?.cancel();
      timer = null;
      pending = null;
    },
  };
}
