// The run history's first page, requested as soon as the pane's script runs (prefetch.ts), before
// React's modules are evaluated. The store takes it over when it opens the same history. Free of
// React, so requesting it never waits for React.
import type { RunsPage, RunStatus } from '../../server/src/contract/api';
import type { Api } from './api';
import { FIRST_PAGE, historyKey, type FetchPage } from './history';

let early: { key: string; page: Promise<RunsPage> } | null = null;

/** Pages of one filter's history, as the early request and the store's loader both ask for them. */
export function historyPages(api: Api, job: string, status: string): FetchPage {
  return (before, limit, signal) => api.runs({ job, status: status as RunStatus | '', limit, before }, signal);
}

export function requestFirstPage(api: Api, job: string, status: string): void {
  const page = historyPages(api, job, status)(null, FIRST_PAGE);
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
