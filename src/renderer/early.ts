// The requests the first screen waits on, sent as soon as the pane's script runs (prefetch.ts),
// before React's modules are evaluated: the status (every signed-in page shows it or waits for
// it), the token's role, and on the Runs page the history's first page. Sent from the store's
// effect instead, they went out only after React's first render, one after the other with the
// page's chunk. The store takes each over once (start, openHistory) instead of asking again.
// Free of React, so sending them never waits for React.
import type { RunsPage, RunStatus, StatusResponse, WhoAmI } from '../../server/src/contract/api';
import type { Api } from './api';
import { FIRST_PAGE, historyKey, type FetchPage } from './history';
import type { Route } from './route';

interface Early {
  status: Promise<StatusResponse> | null;
  me: Promise<WhoAmI> | null;
  history: { key: string; page: Promise<RunsPage> } | null;
}

const early: Early = { status: null, me: null, history: null };

/** Pages of one filter's history, as the early request and the store's loader both ask for them. */
export function historyPages(api: Api, job: string, status: string): FetchPage {
  return (before, limit, signal) => api.runs({ job, status: status as RunStatus | '', limit, before }, signal);
}

/** Sends the first screen's requests for `route` with `api` (a signed-in session). */
export function requestEarly(api: Api, route: Route): void {
  // each failure is reported by whoever takes the request over
  early.status = api.status();
  early.status.catch(() => {});
  early.me = api.me();
  early.me.catch(() => {});
  if (route.page === 'runs') {
    const page = historyPages(api, route.job, route.status)(null, FIRST_PAGE);
    page.catch(() => {});
    early.history = { key: historyKey(route.job, route.status), page };
  }
}

/** The early status or role request, once (null if none was sent or it was taken). */
export function takeEarly<K extends 'status' | 'me'>(what: K): Early[K] {
  const p = early[what];
  early[what] = null;
  return p;
}

/** The early first page of this history, once (null if none was requested for it). */
export function takeFirstPage(key: string): Promise<RunsPage> | null {
  if (early.history?.key !== key) return null;
  const { page } = early.history;
  early.history = null;
  return page;
}
