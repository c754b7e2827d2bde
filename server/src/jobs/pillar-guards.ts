// The guards a run meets: before it touches anything (hooks included), every pillar it names is
// there, mounted and carries its sentinel (rule 1) and no source pillar is being recovered; after
// the pre hooks, right before the tool, a source exists and is not empty (rule 3). Pure decisions
// in domain/guards.ts; the facts are read here.
import path from 'node:path';
import type { Config } from '../config/schema';
import { resolveLocation } from '../config/locations';
import type { Location } from '../config/locations';
import { pillarGuard, recoveryGuard, sourceGuard } from '../domain/guards';
import { RECOVER_MARKER } from '../domain/recover-plan';
import { exists, hasEntries, holdsFiles, isDirectory, isMountPoint, readSmallFile } from '../infra/fs';
import { block } from './job-type';
import type { JobRef } from './job-type';

export function checkPillar(c: Config, loc: Location): void {
  if (loc.kind !== 'pillar') return;
  const p = c.pillars[loc.pillar]!;
  const b = pillarGuard({
    id: loc.pillar,
    path: p.path,
    requireMount: p.requireMount,
    exists: isDirectory(p.path),
    mounted: isMountPoint(p.path),
    sentinel: readSmallFile(path.join(p.path, '.pillar')),
  });
  if (b) block(b);
}

/** A source pillar a recovery is still filling: nothing reads it, hooks included. */
export function checkRecovery(loc: Location): void {
  if (loc.kind !== 'pillar') return;
  const r = recoveryGuard({ pillar: loc.pillar, recovering: exists(path.join(loc.root, RECOVER_MARKER)) });
  if (r) block(r);
}

export function checkSource(loc: Location): void {
  if (loc.kind !== 'pillar') return;
  checkRecovery(loc);
  const there = isDirectory(loc.path);
  const b = sourceGuard({ path: loc.path, exists: there || exists(loc.path), hasEntries: there ? hasEntries(loc.path, isPillarRoot(loc) ? ['.pillar'] : []) : exists(loc.path) });
  if (b) block(b);
}

/** Rule 3 for a snapshot: a source of folders with no file anywhere in them is as empty as an empty one. */
export function checkSourceHoldsFiles(loc: Location): void {
  if (loc.kind !== 'pillar' || !isDirectory(loc.path)) return;
  const b = sourceGuard({ path: loc.path, exists: true, hasEntries: true, files: holdsFiles(loc.path, isPillarRoot(loc) ? ['.pillar'] : []) });
  if (b) block(b);
}

const isPillarRoot = (loc: Extract<Location, { kind: 'pillar' }>) => loc.path === loc.root || loc.path === `${loc.root}/`;

/**
 * Before any hook: every pillar first, then no source pillar under recovery. A run blocked here
 * touches nothing, hooks included (a pre hook never writes into a pillar that is not there).
 */
export function preflight(c: Config, refs: readonly JobRef[]): void {
  for (const r of refs) checkPillar(c, resolveLocation(c, r.ref));
  for (const r of refs) if (r.source) checkRecovery(resolveLocation(c, r.ref));
}

/**
 * After the pre hooks, right before the tool: each source exists and holds something (rule 3),
 * judged on what the tool will read. A dump a pre hook writes may be all a source holds (and the
 * hook may make its folder), so an earlier look would block such a job's first run for good. A
 * job without pre hooks meets this at the moment preflight ends, with nothing run in between: the
 * same check, so there is one, not an early one and a late one.
 */
export function sourcesBeforeTool(c: Config, refs: readonly JobRef[]): void {
  for (const r of refs) if (r.source) checkSource(resolveLocation(c, r.ref));
}
