// Data hooks over the store: fetch what a page needs, refetch after each resync, keep the error.
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type { Run } from '../../server/src/contract/api';
import { parseRoute, type Route } from './route';
import { store, usePane } from './store';

/** The clock for ages ("5 min ago"), ticking every `ms`. */
export function useNow(ms = 15_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** The recent runs of some jobs (newest first), kept live from the store. */
export function useJobRuns(jobIds: readonly string[], limit = 60): { runs: Run[]; error: string | null } {
  const { model, syncGeneration } = usePane();
  const [error, setError] = useState<string | null>(null);
  const key = jobIds.join('\n');
  useEffect(() => {
    let cancelled = false;
    const ids = key ? key.split('\n') : [];
    Promise.all(ids.map((job) => store.api.runs({ job, limit })))
      .then((pages) => {
        if (cancelled) return;
        store.putRuns(pages.flatMap((p) => p.runs));
        setError(null);
      })
      .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
    };
  }, [key, limit, syncGeneration]);
  const runs = useMemo(() => {
    const want = new Set(key ? key.split('\n') : []);
    return [...model.runs.values()].filter((r) => want.has(r.jobId)).sort((a, b) => (a.queuedAt < b.queuedAt ? 1 : -1));
  }, [model.runs, key]);
  return { runs, error };
}

function subscribeHash(fn: () => void): () => void {
  window.addEventListener('hashchange', fn);
  return () => window.removeEventListener('hashchange', fn);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribeHash, () => window.location.hash);
  return parseRoute(hash);
}
