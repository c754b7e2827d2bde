// Time Machine bundles on the Time pillar: one per Mac (`NAME.sparsebundle`, or
// `NAME.backupbundle` from macOS 11 on APFS), at the top of Time or in a user's folder.
//
// Last backup time, from the bundle's contents (no Mac needed):
// - `com.apple.TimeMachine.SnapshotHistory.plist` (inside the bundle) lists completed snapshots;
//   its newest `<date>` is the last completed backup when the Mac writes one;
// - otherwise the newest mtime among `bands/*` and the bundle's plists: bands are written during
//   every backup, and `com.apple.TimeMachine.MachineID.plist` / `Info.plist` when it finishes.
// (Bundle layout: Apple's hdiutil(1) sparse bundle format; MachineID.plist contents as described
// at porkrind.org "Snow Leopard Time Machine Tweaks".)
import type { TimeMachineBundle } from '../contract/api';
import { formatBytes, percentText } from '../domain/size';

export interface BundleScan {
  /** e.g. "count-zero.sparsebundle" */
  name: string;
  /** Path relative to the Time root, e.g. "mike/count-zero.sparsebundle". */
  rel: string;
  sizeBytes: number;
  /** Newest mtime among bands/* and the top-level plists (ms since epoch), or null. */
  newestContentMs: number | null;
  /** The text of com.apple.TimeMachine.SnapshotHistory.plist when present and XML. */
  snapshotHistory: string | null;
}

export interface TimeMachineScanPort {
  scan(root: string): Promise<BundleScan[]>;
}

/** Completion dates from a SnapshotHistory.plist (XML): every <date> value. */
export function snapshotDates(xml: string): number[] {
  const out: number[] = [];
  for (const m of xml.matchAll(/<date>([^<]{10,40})<\/date>/g)) {
    const t = Date.parse(m[1]!);
    if (Number.isFinite(t)) out.push(t);
  }
  return out;
}

export interface TimeMachineEvaluation {
  bundles: TimeMachineBundle[];
  warnings: string[];
  totalBytes: number;
}

/**
 * `perUser`: the share is <time>/%U, so Samba's cap applies to each user's folder on its own;
 * otherwise to all bundles on the share together.
 */
export function evaluateBundles(scans: readonly BundleScan[], o: { capBytes: number | null; staleDays: number; now: Date; perUser?: boolean }): TimeMachineEvaluation {
  const warnings: string[] = [];
  const staleMs = o.staleDays * 86_400_000;
  const bundles = scans.map((s): TimeMachineBundle => {
    const fromHistory = s.snapshotHistory ? snapshotDates(s.snapshotHistory) : [];
    const last = fromHistory.length > 0 ? Math.max(...fromHistory) : s.newestContentMs;
    const stale = last === null || o.now.getTime() - last > staleMs;
    let warning: string | null = null;
    if (stale) {
      warning = last === null ? `Time Machine: ${s.rel} shows no completed backup` : `Time Machine: ${s.rel} last backed up ${Math.floor((o.now.getTime() - last) / 86_400_000)} days ago (more than ${o.staleDays})`;
      warnings.push(warning);
    }
    return {
      name: s.name,
      mac: s.name.replace(/\.(sparsebundle|backupbundle)$/, ''),
      sizeBytes: s.sizeBytes,
      lastBackupAt: last === null ? null : new Date(last).toISOString(),
      capBytes: o.capBytes,
      capShare: o.capBytes ? Math.round((s.sizeBytes / o.capBytes) * 1000) / 1000 : null,
      stale,
      staleAfterDays: o.staleDays,
      warning,
      folder: s.rel.includes('/') ? s.rel.slice(0, s.rel.lastIndexOf('/')) : null,
    };
  });
  const totalBytes = scans.reduce((a, s) => a + s.sizeBytes, 0);
  // Time Machine thins old backups near the cap; warn before a Mac has to.
  const groups = new Map<string, number>();
  for (const s of scans) {
    const key = o.perUser ? (s.rel.includes('/') ? s.rel.slice(0, s.rel.indexOf('/')) : '') : '';
    groups.set(key, (groups.get(key) ?? 0) + s.sizeBytes);
  }
  for (const [group, bytes] of groups) {
    if (o.capBytes && bytes > 0.9 * o.capBytes) {
      const who = group ? ` in ${group}/` : '';
      const w = `Time Machine: bundles${who} use ${formatBytes(bytes)} of the ${formatBytes(o.capBytes)} cap (${percentText((bytes / o.capBytes) * 100)}%)`;
      warnings.push(w);
      // Each Mac of that folder carries it too, unless it already has a stale warning.
      for (const b of bundles) if (!b.warning && (o.perUser ? ((b.folder ?? '').split('/')[0] ?? '') : '') === group) b.warning = w;
    }
  }
  return { bundles, warnings, totalBytes };
}
