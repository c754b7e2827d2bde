// The run history as the Runs page loads it: a small first page that fills the screen at once, then
// the rest in pages of pillarsd's largest size, in the background, while the table is already in
// use. One 10,000-run answer would keep the first rows off the screen until megabytes had crossed
// the wire and been parsed in one block of the main thread; small pages never block it for long.
// Pure: fetching and publishing are injected, so it is tested in plain Node.
import type { Run, RunsPage } from '../../server/src/contract/api';

/** Runs in the first request: more than a tall screen of rows, small enough to arrive and parse at once. */
export const FIRST_PAGE = 100;
/** Runs per background request: pillarsd's largest `limit` (server/src/http/routes/runs.ts). */
export const PAGE = 500;
/**
 * The background stops after this many runs (pillarsd keeps 5,000 by default, `history.keepRuns`);
 * past it, each scroll to the end of the table asks for one more page.
 */
export const BACKGROUND_CAP = 20_000;

/** The filter a history is loaded for, as the Runs route carries it ('' for any). */
export function historyKey(job: string, status: string): string {
  return JSON.stringify([job, status]);
}

export interface HistoryProgress {
  key: string;
  /** Runs received so far for this filter. */
  loaded: number;
  /** Cursor of the next older page; null once the oldest run has arrived. */
  next: string | null;
  loading: boolean;
  complete: boolean;
  /** Why the last request failed; what was loaded before it stays. */
  error: string | null;
}

export type FetchPage = (before: string | null, limit: number, signal?: AbortSignal) => Promise<RunsPage>;

export interface LoaderDeps {
  key: string;
  fetchPage: FetchPage;
  /** Publishes one page's runs; `first` for the page that fills the screen. */
  onRuns: (runs: readonly Run[], first: boolean) => void;
  onProgress: (p: HistoryProgress) => void;
  /** The first page when it was requested already (early.ts); else the loader asks for it. */
  firstPage?: Promise<RunsPage> | null;
  cap?: number;
}

export class HistoryLoader {
  private readonly abort = new AbortController();
  private cap: number;
  private running = false;
  private started = false;
  private holding: boolean;
  private release!: () => void;
  private readonly released = new Promise<void>((r) => (this.release = r));
  state: HistoryProgress;

  /**
   * holdBackground: stop after the first page until release(); the Runs page releases it once its
   * first rows are on screen, so older pages don't compete with the first render for the thread.
   */
  constructor(
    private readonly d: LoaderDeps,
    { holdBackground = false } = {},
  ) {
    this.cap = d.cap ?? BACKGROUND_CAP;
    this.holding = holdBackground;
    this.state = { key: d.key, loaded: 0, next: null, loading: false, complete: false, error: null };
  }

  get cancelled(): boolean {
    return this.abort.signal.aborted;
  }

  /** The first page, then the older ones until the history is complete or the cap is reached. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.loop(null);
  }

  /** Lets the background go on past the first page (see holdBackground). */
  releaseBackground(): void {
    this.holding = false;
    this.release();
  }

  /** Continues where loading stopped: after an error, or one page more past the cap. */
  more(): void {
    if (!this.started || this.running || this.cancelled || this.state.complete) return;
    if (this.state.loaded >= this.cap) this.cap = this.state.loaded + PAGE;
    void this.loop(this.state.next);
  }

  cancel(): void {
    this.abort.abort();
  }

  /**
   * After a reconnect: fetches the newest runs again, newest first, only down to the first page
   * holding a run that `known` says was loaded before and cannot have changed since; what lies
   * below it is loaded already. The history is not downloaded again (up to 20,000 runs after
   * every drop of the stream), and the background goes on where an outage stopped it.
   */
  catchUp(known: (run: Run) => boolean): void {
    if (!this.started || this.cancelled) return; // not started yet: start() loads it all anyway
    void this.catchUpLoop(known);
  }

  private async catchUpLoop(known: (run: Run) => boolean): Promise<void> {
    const signal = this.abort.signal;
    let before: string | null = null;
    let limit = FIRST_PAGE;
    try {
      for (;;) {
        const page: RunsPage = await this.d.fetchPage(before, limit, signal);
        if (signal.aborted) return;
        this.d.onRuns(page.runs, false);
        if (page.next === null || page.runs.some(known)) break;
        before = page.next;
        limit = PAGE;
      }
    } catch (e) {
      if (!signal.aborted) this.set({ error: e instanceof Error ? e.message : String(e) });
      return;
    }
    if (this.state.error) {
      this.set({ error: null });
      this.more();
    }
  }

  private set(patch: Partial<HistoryProgress>): void {
    this.state = { ...this.state, ...patch };
    this.d.onProgress(this.state);
  }

  private async loop(before: string | null): Promise<void> {
    const signal = this.abort.signal;
    this.running = true;
    let first = before === null;
    this.set({ loading: true, error: null });
    try {
      const early = first ? this.d.firstPage : null;
      this.d.firstPage = null; // once: a retry asks again
      let pending: Promise<RunsPage> | null = early ?? this.d.fetchPage(before, first ? FIRST_PAGE : PAGE, signal);
      while (pending) {
        const page: RunsPage = await pending;
        if (signal.aborted) return;
        const loaded = this.state.loaded + page.runs.length;
        const more = page.next !== null && loaded < this.cap;
        const ask = () => (more ? this.d.fetchPage(page.next!, PAGE, signal) : null);
        // The next request goes out before this page is rendered, so the server works meanwhile.
        const hold = first && this.holding;
        pending = hold ? null : ask();
        this.d.onRuns(page.runs, first);
        this.set({ loaded, next: page.next, complete: page.next === null, loading: more });
        if (hold && more) {
          await this.released;
          if (signal.aborted) return;
          pending = ask();
        }
        first = false;
      }
    } catch (e) {
      if (!signal.aborted) this.set({ loading: false, error: e instanceof Error ? e.message : String(e) });
    } finally {
      this.running = false;
    }
  }
}
