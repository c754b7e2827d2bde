// A seed (an rclone-copy job that fills B2 over many nights) in one line: how far, and how long to go.
import type { SeedProgress } from '../../server/src/contract/api';
import { formatBytes, formatDuration, formatShare } from '../shared/format';

export function seedLine(s: SeedProgress): string {
  if (s.complete) return `seed complete: ${formatBytes(s.bytesTotal)} in ${s.filesTotal} files offsite`;
  const share = s.bytesTotal > 0 ? s.bytesDone / s.bytesTotal : 0;
  // no ETA yet (no window has shown a rate) is said, not left out
  const eta = s.etaSeconds != null ? `about ${formatDuration(s.etaSeconds)} to go` : 'no estimate yet';
  return `seed ${formatShare(share)}: ${formatBytes(s.bytesDone)} of ${formatBytes(s.bytesTotal)} (${s.filesDone} of ${s.filesTotal} files), ${eta}`;
}
