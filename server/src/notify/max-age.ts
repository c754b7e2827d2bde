// `notifications.jobs.<id>.maxAge`: a job is overdue when its last success is older than this,
// whatever its schedule says (a job run by hand, or one whose schedule is wider than the owner's
// tolerance). A status contributor, so the pane, the tray and the notifier all see the same flag.
import type { StatusResponse } from '../contract/api';
import type { NotificationsConfig } from '../config/notify-schema';
import { durationMs } from '../config/notify-schema';

export function maxAgeContributor(settings: () => NotificationsConfig): (s: StatusResponse) => void {
  return (s) => {
    const now = Date.parse(s.time);
    for (const j of s.jobs) {
      const maxAge = settings().jobs[j.id]?.maxAge;
      // a job that never succeeded has no age to measure; its schedule (if any) decides
      if (!maxAge || !j.enabled || j.overdue || !j.lastSuccessAt || j.state === 'running' || j.state === 'queued') continue;
      if (now - Date.parse(j.lastSuccessAt) > durationMs(maxAge)) {
        j.overdue = true;
        s.warnings.push(`job ${j.id} is overdue: no success for more than ${maxAge} (its last was ${j.lastSuccessAt})`);
      }
    }
  };
}
