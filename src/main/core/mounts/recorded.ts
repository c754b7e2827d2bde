// What a running core (the tray, `pillars watch`) last reported, for a one-shot `pillars status`:
// a check can see that a pillar is not mounted, but only the core that tried knows why (a
// rejected password, the backoff after a network failure). Pure merge; the file I/O is in
// statusFile.ts.
import type { PillarStatus } from './manager';

export interface RecordedStatus {
  pid: number;
  at: string;
  pillars: PillarStatus[];
}

const EXPLAINS: ReadonlyArray<PillarStatus['state']> = ['failed-auth', 'failed-network', 'away', 'stale', 'mounting'];

/** Live states win, except an unmounted pillar that the live core wants and knows more about. */
export function mergeRecorded(live: PillarStatus[], rec: RecordedStatus | null, coreAlive: boolean): PillarStatus[] {
  if (!rec || !coreAlive) return live;
  return live.map((p) => {
    const r = rec.pillars.find((x) => x.id === p.id);
    if (!r || p.state !== 'unmounted' || !r.wanted || !EXPLAINS.includes(r.state)) return p;
    return { ...p, state: r.state, reason: r.reason, since: r.since, wanted: true };
  });
}
