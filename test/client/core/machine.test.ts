// The per-pillar state machine, as scenario steps.
import { describe, expect, it } from 'vitest';
import { backoffMs, decide, initial, step } from '../../../src/main/core/mounts/machine';
import type { Backoff, PillarRuntime } from '../../../src/main/core/mounts/machine';

const B: Backoff = { initialMs: 1_000, maxMs: 8_000, authRetryMs: 600_000, staleGraceMs: 4_000 };
const ok = { kind: 'ok' as const, freeBytes: 5, totalBytes: 10 };

describe('pillar state machine', () => {
  it('mounting → mounted, a lost mount is remounted at once', () => {
    let rt: PillarRuntime = initial(0, true);
    expect(decide(rt, 0, B)).toBe('mount');
    rt = step(rt, { type: 'mount-started' }, 10, B);
    expect(rt.state).toBe('mounting');
    rt = step(rt, { type: 'mounted' }, 20, B);
    expect([rt.state, decide(rt, 20, B)]).toEqual(['mounted', 'none']);
    rt = step(rt, { type: 'probe', result: { kind: 'missing', reason: 'not mounted' } }, 30, B);
    expect(rt.state).toBe('unmounted');
    expect(rt.reason).toMatch(/mount lost/);
    expect(decide(rt, 30, B)).toBe('mount');
  });

  it('network failures back off exponentially up to the cap, and a retry keeps showing the failure', () => {
    let rt = step(initial(0, true), { type: 'mount-started' }, 0, B);
    const waits: number[] = [];
    let now = 0;
    for (let i = 0; i < 6; i++) {
      rt = step(rt, { type: 'mount-failed', kind: 'network', reason: 'no answer' }, now, B);
      waits.push(rt.nextAttemptAt - now);
      expect(decide(rt, now, B)).toBe('none');
      now = rt.nextAttemptAt;
      expect(decide(rt, now, B)).toBe('mount');
      rt = step(rt, { type: 'mount-started' }, now, B);
      expect(rt.state).toBe('failed-network');
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    expect(backoffMs(0, B)).toBe(0);
  });

  it('a rejected password waits long and a nudge (wake, network change) does not shorten it', () => {
    let rt = step(initial(0, true), { type: 'mount-failed', kind: 'auth', reason: 'rejected' }, 0, B);
    expect(rt.state).toBe('failed-auth');
    expect(decide(rt, 599_999, B)).toBe('none');
    rt = step(rt, { type: 'nudge' }, 1_000, B);
    expect(decide(rt, 1_000, B)).toBe('none');
    expect(decide(rt, 600_000, B)).toBe('mount');
  });

  it('a nudge retries network failures now', () => {
    let rt = step(initial(0, true), { type: 'mount-failed', kind: 'network', reason: 'x' }, 0, B);
    rt = step(rt, { type: 'mount-failed', kind: 'network', reason: 'x' }, 1, B);
    expect(decide(rt, 2, B)).toBe('none');
    rt = step(rt, { type: 'nudge' }, 2, B);
    expect(decide(rt, 2, B)).toBe('mount');
  });

  it('stale is recovered only after the grace period; unreachable is failed-network, or a calm away', () => {
    let rt = step(step(initial(0, true), { type: 'mounted' }, 0, B), { type: 'probe', result: { kind: 'stale', reason: 'no answer within 3 s' } }, 1_000, B);
    expect(rt.state).toBe('stale');
    expect(decide(rt, 4_999, B)).toBe('none');
    expect(decide(rt, 5_000, B)).toBe('recover');
    rt = step(rt, { type: 'unreachable', away: false, host: 'motoko' }, 6_000, B);
    expect([rt.state, rt.reason]).toEqual(['failed-network', 'motoko does not answer on port 445']);
    rt = step(rt, { type: 'unreachable', away: true, host: 'motoko' }, 7_000, B);
    expect(rt.state).toBe('away');
    expect(rt.reason).toMatch(/away from home/);
    rt = step(rt, { type: 'probe', result: ok }, 8_000, B);
    expect([rt.state, rt.freeBytes, rt.failures]).toEqual(['mounted', 5, 0]);
  });

  it('an unwanted pillar is never mounted and unreachable does not touch it', () => {
    let rt = initial(0, false);
    expect(decide(rt, 0, B)).toBe('none');
    rt = step(rt, { type: 'unreachable', away: false, host: 'motoko' }, 1, B);
    expect(rt.state).toBe('unmounted');
    rt = step(step(initial(0, true), { type: 'mounted' }, 0, B), { type: 'unmounted', wanted: false }, 5, B);
    expect([rt.state, rt.wanted, decide(rt, 10, B)]).toEqual(['unmounted', false, 'none']);
  });

  it('a local problem (files in the mount folder) waits at least the cap', () => {
    const rt = step(initial(0, true), { type: 'mount-failed', kind: 'error', reason: '/x holds local files' }, 0, B);
    expect(rt.state).toBe('unmounted');
    expect(rt.nextAttemptAt).toBe(8_000);
  });
});
