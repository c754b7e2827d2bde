// Alerts clear when their cause does. Runs and job edits announce themselves on the event hub, but
// nothing announced a sentinel written back, a disk remounted, space freed or a Time Machine bundle
// that caught up: an open pane kept the alert until its next full refresh. So the status is
// computed every `intervalMs`, and when anything an alert is made of changed (a pillar's
// availability, a recovery's marker, the warnings, a bundle's staleness, a hot-set's state, an open
// Samba incident),
// `status.changed` goes out and every pane and tray fetches the status again.
import type { StatusResponse } from '../contract/api';
import type { Clock } from '../ports/clock';

export interface StatusChangeDeps {
  status(): Promise<StatusResponse>;
  publish(reason: string): void;
  clock: Clock;
  intervalMs: number;
  log?: (msg: string) => void;
}

/** What the alerts of a status are made of, as one comparable string. */
function alertFacts(s: StatusResponse): string {
  return JSON.stringify({
    pillars: s.pillars.map((p) => [p.id, p.online, p.sentinel, p.mounted, p.warnings, p.recovery ?? null]),
    warnings: [...s.warnings].sort(),
    samba: s.samba,
    timeMachine: s.timeMachine.map((t) => [t.name, t.stale]),
    hotSets: s.hotSets.map((h) => [h.id, h.state, h.errors, h.conflicts.length]),
  });
}

/** Starts watching; returns the stop function. The first status is the baseline (nothing is published). */
export function watchStatusChanges(d: StatusChangeDeps): () => void {
  let last: string | null = null;
  let timer: { cancel(): void } | null = null;
  let stopped = false;
  const check = async () => {
    try {
      const facts = alertFacts(await d.status());
      if (last !== null && facts !== last) d.publish('alerts changed');
      last = facts;
    } catch (e) {
      d.log?.(`status check failed: ${(e as Error).message}`);
    }
    // the next check is timed from the end of this one, so a slow status never piles up
    if (!stopped) timer = d.clock.setTimeout(() => void check(), d.intervalMs);
  };
  void check();
  return () => {
    stopped = true;
    timer?.cancel();
  };
}
