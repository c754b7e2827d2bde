// The manual clock fires timers in time order as it is advanced, including timers set by timers.
import { expect, it } from 'vitest';
import { manualClock } from './clock';

it('moves only when told, firing due timers in order', () => {
  const mc = manualClock('2026-01-01T00:00:00Z');
  const fired: string[] = [];
  mc.clock.setTimeout(() => fired.push(`b@${mc.clock.now().toISOString().slice(11, 19)}`), 2000);
  mc.clock.setTimeout(() => {
    fired.push('a');
    mc.clock.setTimeout(() => fired.push('a2'), 500);
  }, 1000);
  const c = mc.clock.setTimeout(() => fired.push('cancelled'), 1500);
  c.cancel();
  mc.advance(999);
  expect(fired).toEqual([]);
  mc.advance(5000);
  expect(fired).toEqual(['a', 'a2', 'b@00:00:02']);
  expect(mc.clock.now().toISOString()).toBe('2026-01-01T00:00:05.999Z');
});
