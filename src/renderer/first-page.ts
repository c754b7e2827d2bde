// The run history's first page, requested by the entry (main.tsx) as soon as the page runs: before
// the app's chunk (React and the pages, most of the pane's bytes) has downloaded and evaluated.
// The store takes it over when it opens the same history. Free of React, so it stays in the entry.
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
