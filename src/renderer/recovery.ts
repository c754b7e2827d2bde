// Recovery from the cloud in the pane (pure: tested without a browser): which pillar can come back
// from which remote, as the offsite jobs in the status say, and what a plan adds up to.
import type { RecoverPlan, StatusResponse } from '../../server/src/contract/api';

export interface RecoverChoice {
  pillar: string;
  remote: string;
  jobs: string[];
}

/** Every (pillar, remote) an rclone job copies a folder of the pillar to, in the status's order. */
export function recoverChoices(status: StatusResponse): RecoverChoice[] {
  const pillars = new Set(status.pillars.map((p) => p.id));
  const out = new Map<string, RecoverChoice>();
  for (const j of status.jobs) {
    if ((j.type !== 'rclone-sync' && j.type !== 'rclone-copy') || !j.source || !j.destination) continue;
    const pillar = j.source.split(':')[0]!;
    const remote = j.destination.split(':')[0]!;
    if (!pillars.has(pillar) || pillars.has(remote) || !j.destination.includes(':')) continue;
    const key = `${pillar}\n${remote}`;
    const c = out.get(key) ?? { pillar, remote, jobs: [] };
    c.jobs.push(j.id);
    out.set(key, c);
  }
  return [...out.values()];
}

export function planTotals(plan: RecoverPlan): { files: number; bytes: number } {
  return plan.remoteHolds.reduce((t, h) => ({ files: t.files + h.files, bytes: t.bytes + h.bytes }), { files: 0, bytes: 0 });
}
