// Restoring a file, a folder or a whole snapshot: by default into a new folder of the restore area
// (nothing there yet, so nothing is overwritten); or back to its original place, where the owner
// must say what happens to what is already there (skip, keep both, overwrite) — never a default.
// pillarsd's preview shows where each path will be written and whether something is there before
// anything starts; the restore itself is a run, and its page (progress, log, cancel) opens.
import { useEffect, useRef, useState } from 'react';
import type { ExistingChoice, RestorePlan, RestoreRequest, SnapshotEntry } from '../../../server/src/contract/api';
import { ActionButton, ErrorNote } from '../components/ui';
import { runHref } from '../route';
import { store } from '../store';

export interface RestoreItem {
  path: string;
  type: SnapshotEntry['type'];
  /** the snapshot's root: everything in it */
  whole: boolean;
}

const EXISTING: Array<{ value: ExistingChoice; label: string }> = [
  { value: 'skip', label: 'Skip: leave what is there, restore only what is missing' },
  { value: 'keep-both', label: 'Keep both: the restored copy gets a new name beside it' },
  { value: 'overwrite', label: 'Overwrite files with the restored ones (folders are never replaced)' },
];

/** The request the choices make, or null while the owner has not chosen what happens to existing files. */
export function restoreRequest(path: string, to: 'new' | 'original', existing: ExistingChoice | null): RestoreRequest | null {
  if (to === 'new') return { paths: [path], to: 'new' };
  return existing ? { paths: [path], to: 'original', existing } : null;
}

export function RestorePanel({ job, snapshot, item, onClose }: { job: string; snapshot: string; item: RestoreItem; onClose: () => void }) {
  const [to, setTo] = useState<'new' | 'original'>('new');
  const [existing, setExisting] = useState<ExistingChoice | null>(null);
  const [plan, setPlan] = useState<RestorePlan | null>(null);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLElement>(null);
  const req = restoreRequest(item.path, to, existing);
  const key = JSON.stringify(req);

  // braces: Chromium's scrollIntoView now returns a promise, which React would take for a cleanup
  useEffect(() => {
    box.current?.scrollIntoView({ block: 'nearest' });
  }, [item.path]);
  useEffect(() => {
    setPlan(null);
    setError(null);
    if (!req) return;
    let cancelled = false;
    store.api
      .restorePreview(job, snapshot, req)
      .then((p) => !cancelled && setPlan(p))
      .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
    };
  }, [job, snapshot, key]);

  const what = item.whole ? 'the whole snapshot' : item.path;
  return (
    <section className="card restore" aria-label={`Restore ${what}`} ref={box}>
      <header className="card-head">
        <h2>Restore {what}</h2>
        <div className="card-actions">
          <button type="button" className="link" onClick={onClose}>
            Close
          </button>
        </div>
      </header>
      <fieldset className="choices">
        <legend>Where to</legend>
        <label>
          <input type="radio" name="restore-to" checked={to === 'new'} onChange={() => setTo('new')} /> Into a new folder in the restore area (nothing is overwritten)
        </label>
        <label>
          <input type="radio" name="restore-to" checked={to === 'original'} onChange={() => setTo('original')} /> Back to the original place
        </label>
      </fieldset>
      {to === 'original' && (
        <fieldset className="choices">
          <legend>Where something already exists</legend>
          {EXISTING.map((c) => (
            <label key={c.value}>
              <input type="radio" name="restore-existing" checked={existing === c.value} onChange={() => setExisting(c.value)} /> {c.label}
            </label>
          ))}
        </fieldset>
      )}
      {!req && <p className="muted">Choose what happens to files that are already there.</p>}
      {plan && <PlanList plan={plan} existing={existing} />}
      <ErrorNote error={error} />
      <div className="form-actions">
        <ActionButton
          disabled={!req || !plan}
          action={async () => {
            const { runId } = await store.api.restore(job, snapshot, req!);
            window.location.hash = runHref(runId);
          }}
        >
          Restore
        </ActionButton>
      </div>
    </section>
  );
}

const WHEN_EXISTS: Record<ExistingChoice, string> = { skip: 'exists: left as it is', 'keep-both': 'exists: restored beside it', overwrite: 'exists: files overwritten' };

function PlanList({ plan, existing }: { plan: RestorePlan; existing: ExistingChoice | null }) {
  return (
    <div className="plan">
      <h3>What will be written</h3>
      <ul>
        {plan.items.map((i) => (
          <li key={i.path}>
            <code>{i.path}</code> → <code>{i.target}</code>
            {i.exists && <span className="muted"> ({existing ? WHEN_EXISTS[existing] : 'exists'})</span>}
          </li>
        ))}
      </ul>
      <p className="muted small">Nothing is deleted by a restore.</p>
    </div>
  );
}
