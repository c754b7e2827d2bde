// The run history's first page, requested as soon as the pane's script runs (prefetch.ts), before
// React's modules are evaluated. The store takes it over when it opens the same history. Free of
// React, so requesting it never waits for React.
import type { RunsPage } from '../../server/src/contract/api';
import type { Api } from './api';
import { FIRST_PAGE, historyKey } from './history';

let early: { key: string; page: Promise<RunsPage> } | null = null;

export function requestFirstPage(api: Api, job: string, status: string): void {
  const page = api.runs({ job, status: status as RunsPage['runs'][number]['status'] | '', limit: FIRST_PAGE });
  page.catch(() => {}); // reported by whoever takes it
  early = { key: historyKey(job, status), page };
}

/** The early first page of this history, once (null if none was requested for it). */
export function takeFirstPage(key: string): Promise<RunsPage> | null {
  if (early?.key !== key) return null;
  const { page } = early;
  early = null;
  return page;
}
