// One store for the whole pane: the token, the live model, the SSE connection. Components read it
// with useSyncExternalStore; every server event goes through model.applyEvent, and every
// (re)connection of the event stream triggers a resync so nothing missed while away stays stale.
import { useSyncExternalStore } from 'react';
import { TERMINAL_STATUSES, type PairResponse, type Role, type Run, type RunStatus, type ServerEvent, type ServerEventType, type StatusResponse, type WhoAmI } from '../../server/src/contract/api';
import { Api, ApiError, storedToken, TOKEN_KEY } from './api';
import { historyPages, takeEarly, takeFirstPage } from './early';
import { HistoryLoader, historyKey, type HistoryProgress } from './history';
import { applyEvent, withRun, withRuns, withStatus, type LiveModel } from './model';
import { bridge } from './bridge';
import { takeLoginCode } from './login-link';

const TOKEN_REFUSED = 'Your token was not accepted (it may have been revoked). Enter a valid token.';

export type Connection = 'offline' | 'connecting' | 'live';

export interface PaneState {
  token: string | null;
  model: LiveModel;
  connection: Connection;
  /** Bumped after each resync so pages holding their own fetched lists refetch them. */
  syncGeneration: number;
  loginError: string | null;
  statusError: string | null;
  /** The token's role; null until known (actions stay enabled and the server decides). */
  role: Role | null;
  /** How far the run history of the Runs page's filter has loaded; null before it is opened. */
  history: HistoryProgress | null;
  /** A login link's code is being traded for a token. */
  signingIn: boolean;
}

/** A run in one of these states never changes again (a blocked one may still be approved). */
const FINISHED: ReadonlySet<RunStatus> = new Set(TERMINAL_STATUSES);
const EVENT_TYPES: readonly ServerEventType[] = ['run.queued', 'run.started', 'run.progress', 'run.finished', 'run.blocked', 'run.log', 'status.changed'];

type LogListener = (runId: string, lines: string[]) => void;

export class Store {
  private state: PaneState;
  private listeners = new Set<() => void>();
  private logListeners = new Set<LogListener>();
  private source: EventSource | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryDelay = 1000;
  private statusTimer: ReturnType<typeof setTimeout> | null = null;
  /** Id of the last event received, so a new stream replays what we missed (besides the resync). */
  private lastEventId: string | null = null;
  readonly api: Api;

  constructor(baseUrl = '') {
    this.state = {
      token: storedToken(),
      model: { status: null, runs: new Map() },
      connection: 'offline',
      syncGeneration: 0,
      loginError: null,
      statusError: null,
      role: null,
      history: null,
      signingIn: false,
    };
    this.api = new Api(
      baseUrl,
      () => this.state.token,
      () => this.logout(TOKEN_REFUSED),
    );
  }

  get = (): PaneState => this.state;

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  private set(patch: Partial<PaneState>): void {
    this.state = { ...this.state, ...patch };
    for (const fn of this.listeners) fn();
  }

  private historyLoad: { loader: HistoryLoader; generation: number } | null = null;

  /**
   * Loads the run history of a filter: its first page at once, the rest in the background
   * (history.ts). boot.tsx calls it before React's first render, holding the background back; the
   * Runs page calls it once its first rows are committed (releasing the background), and again
   * after each resync, which catches up on the newest runs instead of starting over.
   */
  openHistory(job: string, status: string, { holdBackground = false } = {}): void {
    if (!this.state.token) return;
    const key = historyKey(job, status);
    const generation = this.state.syncGeneration;
    if (this.historyLoad && this.historyLoad.loader.state.key === key) {
      if (this.historyLoad.generation !== generation) {
        this.historyLoad.generation = generation;
        this.historyLoad.loader.catchUp(this.settledNow());
      }
      if (!holdBackground) this.historyLoad.loader.releaseBackground();
      return;
    }
    this.historyLoad?.loader.cancel();
    const loader: HistoryLoader = new HistoryLoader(
      {
        key,
        firstPage: takeFirstPage(key),
        fetchPage: historyPages(this.api, job, status),
        onRuns: (runs, first) => {
          // For bench/renderer-bundle.ts: the first page of the session is parsed and in the model.
          if (first && !performance.getEntriesByName('pillars:runs-loaded').length) performance.mark('pillars:runs-loaded', { detail: { rows: runs.length } });
          this.putRuns(runs);
        },
        onProgress: (p) => {
          if (this.historyLoad?.loader !== loader) return;
          if (p.complete && !performance.getEntriesByName('pillars:runs-complete').length) performance.mark('pillars:runs-complete', { detail: { rows: p.loaded } });
          this.set({ history: p });
        },
      },
      { holdBackground },
    );
    this.historyLoad = { loader, generation };
    loader.start();
  }

  /**
   * Which runs the model holds now that cannot change any more: finished, and queued before every
   * run that still could (queued, running or blocked), so nothing at or below one of them in the
   * history needs fetching again after a reconnect. Taken once, before the catch-up's pages land.
   */
  private settledNow(): (run: Run) => boolean {
    const runs = this.state.model.runs;
    let floor: string | null = null;
    for (const r of runs.values()) if (!FINISHED.has(r.status) && (floor === null || r.queuedAt < floor)) floor = r.queuedAt;
    const settled = new Set<string>();
    for (const r of runs.values()) if (FINISHED.has(r.status) && (floor === null || r.queuedAt < floor)) settled.add(r.id);
    return (run) => settled.has(run.id);
  }

  /** Loads past where the history stopped: after an error, or one page more past the background's cap. */
  moreHistory(): void {
    this.historyLoad?.loader.more();
  }

  private closeHistory(): void {
    this.historyLoad?.loader.cancel();
    this.historyLoad = null;
  }

  onLog(fn: LogListener): () => void {
    this.logListeners.add(fn);
    return () => this.logListeners.delete(fn);
  }

  /** Checks the token against the server before keeping it. */
  async login(token: string): Promise<boolean> {
    const t = token.trim();
    if (!t) {
      this.set({ loginError: 'Enter the token printed by `pillarsd demo` or `pillarsd token create`.' });
      return false;
    }
    this.set({ token: t, loginError: null });
    try {
      const status = await this.api.status();
      try {
        sessionStorage.setItem(TOKEN_KEY, t);
      } catch {
        // storage disabled: the token lives for this page only
      }
      this.set({ model: withStatus(this.state.model, status), statusError: null });
      void this.loadRole();
      this.connect();
      return true;
    } catch (e) {
      const msg = e instanceof ApiError && e.status === 401 ? 'That token was not accepted.' : e instanceof Error ? e.message : String(e);
      this.set({ token: null, loginError: msg });
      return false;
    }
  }

  /** Trades a login link's one-time code for a token, then starts as a login with it does. */
  private async redeemLoginCode(code: string): Promise<void> {
    let token: string;
    this.set({ signingIn: true });
    try {
      token = (await this.api.post<PairResponse>('/api/v1/pair', { code })).token;
    } catch (e) {
      const used = e instanceof ApiError && e.status === 401;
      this.set({ signingIn: false });
      this.logout(used ? 'This login link was already used or has expired: run `pillarsd login-link` for a new one, or enter a token.' : `The login link could not be used: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    await this.login(token);
    this.set({ signingIn: false });
  }

  logout(reason: string | null = null): void {
    try {
      sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      // nothing stored
    }
    this.disconnect();
    this.closeHistory();
    this.lastEventId = null;
    this.opened = false;
    this.set({ token: null, loginError: reason, model: { status: null, runs: new Map() }, connection: 'offline', role: null, history: null });
  }

  /** Starts the session: a login link's code, a token from the tray bridge or sessionStorage, then status and the event stream. */
  async start(): Promise<void> {
    const code = takeLoginCode();
    if (code) {
      await this.redeemLoginCode(code);
      return;
    }
    if (!this.state.token) {
      const fromTray = await bridge()
        ?.adminToken?.()
        .catch(() => null);
      if (fromTray) this.set({ token: fromTray });
    }
    if (!this.state.token) return;
    // All at once: the stream's ticket does not wait for the status (its first open fetches the
    // status again anyway), and the status and role sent by the entry (early.ts) are taken over.
    void this.loadRole(takeEarly('me'));
    this.connect();
    await this.refreshStatus(takeEarly('status'));
  }

  private async loadRole(sent: Promise<WhoAmI> | null = null): Promise<void> {
    try {
      this.set({ role: (await this.unlessRefused(sent ?? this.api.me())).role });
    } catch {
      // an older pillarsd without /me: leave the decision to the server
    }
  }

  async refreshStatus(sent: Promise<StatusResponse> | null = null): Promise<void> {
    try {
      const status = await this.unlessRefused(sent ?? this.api.status());
      this.set({ model: withStatus(this.state.model, status), statusError: null });
    } catch (e) {
      this.set({ statusError: e instanceof Error ? e.message : String(e) });
    }
  }

  /** The entry's early requests went out through an Api of their own: a refused token ends the session here, as this.api's would. */
  private async unlessRefused<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401 && this.state.token) this.logout(TOKEN_REFUSED);
      throw e;
    }
  }

  /** Coalesces bursts (a run finishing emits several events) into one status fetch. */
  private refreshStatusSoon(): void {
    if (this.statusTimer) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = null;
      void this.refreshStatus();
    }, 250);
  }

  /** Runs a job now and shows its run queued at once (the event stream brings the rest); its id, for the page to open. */
  async runNow(jobId: string): Promise<string> {
    const { runId } = await this.api.runNow(jobId);
    this.putRun(await this.api.run(runId));
    return runId;
  }

  putRun(run: Run): void {
    this.set({ model: withRun(this.state.model, run) });
  }

  putRuns(runs: readonly Run[]): void {
    if (runs.length) this.set({ model: withRuns(this.state.model, runs) });
  }

  /** Applies a server event (exported for the stream and for tests of the shell). */
  dispatch(e: ServerEvent): void {
    if (e.type === 'run.log') {
      for (const fn of this.logListeners) fn(e.runId, e.lines);
      return;
    }
    if (e.type === 'status.changed') {
      this.refreshStatusSoon();
      return;
    }
    this.set({ model: applyEvent(this.state.model, e) });
    if (e.type === 'run.finished' || e.type === 'run.blocked') this.refreshStatusSoon();
  }

  private opened = false;

  /**
   * After a reconnect, everything is fetched again (pages watch syncGeneration), except the Runs
   * page's history, which catches up on its newest runs only (openHistory). The first open
   * only refreshes the status: pages fetched their data just before, and runs queued in between
   * reach the jobs' lastRun through it.
   */
  private async resync(): Promise<void> {
    await this.refreshStatus();
    if (this.opened) this.set({ syncGeneration: this.state.syncGeneration + 1 });
    this.opened = true;
  }

  private safetyTimer: ReturnType<typeof setInterval> | null = null;

  connect(): void {
    // EventSource cannot see the server's heartbeat comments, so a silently dead connection looks
    // live: a status fetch every minute bounds how stale the pane can get.
    this.safetyTimer ??= setInterval(() => {
      if (this.state.token) void this.refreshStatus();
    }, 60_000);
    // `opening`: a second call while the ticket is on its way (React runs effects twice under
    // StrictMode in development) would open a second stream, whose open counts as a reconnect.
    if (this.source || this.retryTimer || this.opening || !this.state.token) return;
    this.set({ connection: 'connecting' });
    void this.open();
  }

  private opening = false;
  /** Bumped by disconnect(), so a stream whose ticket arrives after it is not opened. */
  private disconnects = 0;

  private async open(): Promise<void> {
    const epoch = this.disconnects;
    let ticket: string;
    this.opening = true;
    try {
      ticket = (await this.api.eventTicket()).ticket;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      if (epoch === this.disconnects) this.scheduleReconnect();
      return;
    } finally {
      this.opening = false;
    }
    if (!this.state.token || epoch !== this.disconnects) return;
    const es = new EventSource(this.api.eventsUrl(ticket, this.lastEventId));
    this.source = es;
    es.onopen = () => {
      this.retryDelay = 1000;
      this.set({ connection: 'live' });
      // Whatever happened while we were away (or before the first open) is fetched again.
      void this.resync();
    };
    es.onerror = () => {
      // A ticket is single-use, so the browser's own retry would be refused: start over with a new one.
      if (this.source !== es) return;
      es.close();
      this.source = null;
      this.scheduleReconnect();
    };
    const handle = (msg: MessageEvent<string>) => {
      if (msg.lastEventId) this.lastEventId = msg.lastEventId;
      try {
        const data = JSON.parse(msg.data) as ServerEvent | { event: ServerEvent };
        this.dispatch('event' in data && typeof data.event === 'object' ? data.event : (data as ServerEvent));
      } catch {
        // a malformed event is ignored; the next resync repairs the model
      }
    };
    for (const t of EVENT_TYPES) es.addEventListener(t, handle as EventListener);
    es.onmessage = handle;
  }

  private scheduleReconnect(): void {
    this.set({ connection: 'offline' });
    if (this.retryTimer || !this.state.token) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, 15_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  disconnect(): void {
    this.disconnects++;
    if (this.safetyTimer) clearInterval(this.safetyTimer);
    this.safetyTimer = null;
    this.source?.close();
    this.source = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}

export const store = new Store(bridge()?.serverUrl ?? '');

export function usePane(): PaneState {
  return useSyncExternalStore(store.subscribe, store.get);
}

/** Why an admin action is unavailable to this token, or undefined when it is allowed. */
export function viewerReason(role: Role | null): string | undefined {
  return role === 'viewer' ? 'This token is a viewer token: actions need an admin token.' : undefined;
}
