import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { RUN_STATUSES, type Run } from '../../../server/src/contract/api';
import { formatBytes, formatDateTime, formatDuration } from '../../shared/format';
import { ErrorNote, PageHeader, Section, StatusBadge } from '../components/ui';
import { historyKey } from '../history';
import { runHref, runsHref } from '../route';
import { store, usePane } from '../store';

const ROW = 36; // px; matches .runs-table tbody tr in the stylesheet

/** How long a run ran: until it finished, or until now while it runs. A blocked run is not running: it has no clock. */
export function runSeconds(r: Run): number | null {
  if (!r.startedAt || r.status === 'blocked') return null;
  const end = r.finishedAt ? Date.parse(r.finishedAt) : Date.now();
  return (end - Date.parse(r.startedAt)) / 1000;
}

export function runDuration(r: Run): string {
  return r.status === 'blocked' ? 'stopped: waiting for a decision' : formatDuration(runSeconds(r));
}

/** One line for the history: a failure's reason in the server's words first, else what the run did. */
export function summaryText(r: Run): string {
  const s = r.summary;
  if (r.status === 'failed' || r.status === 'interrupted' || r.status === 'cancelled') {
    if (r.error) return r.error;
  }
  if (!s) return r.block ? r.block.message : (r.error ?? '');
  switch (s.kind) {
    case 'restic-backup':
      return `${formatBytes(s.bytesAdded)} added, ${s.filesNew} new files${s.unreadableFiles ? `, ${s.unreadableFiles} not read` : ''}`;
    case 'restic-forget':
      return `kept ${s.kept}, removed ${s.removed}${s.pruned ? ', pruned' : ''}`;
    case 'restic-check':
      return s.ok ? 'repository OK' : 'the check found damage in the repository';
    case 'restore':
      return `${s.files} restored (${formatBytes(s.bytes)})${s.skippedCount ? `, ${s.skippedCount} skipped` : ''}${s.keptBothCount ? `, ${s.keptBothCount} kept both` : ''}${s.overwrittenCount ? `, ${s.overwrittenCount} overwritten` : ''}`;
    case 'restic-drill':
      return `${s.restored} of ${s.sampled} sampled files restored, ${s.compared} compared${s.mismatches.length ? `, ${s.mismatches.length} differ` : ''}`;
    case 'recover':
      return s.verified ? 'recovered and verified' : 'recovered, not verified';
    default:
      return `${formatBytes(s.bytesTransferred)} sent, ${s.filesDeleted} deleted${s.errors ? `, ${s.errors} errors` : ''}`;
  }
}

export function matchesFilter(r: Run, job: string, status: string, text: string): boolean {
  if (job && r.jobId !== job) return false;
  if (status && r.status !== status) return false;
  if (text) {
    const t = text.toLowerCase();
    return r.id.toLowerCase().includes(t) || r.jobId.toLowerCase().includes(t) || (r.error ?? '').toLowerCase().includes(t) || r.trigger.includes(t);
  }
  return true;
}

/** One history row; memoized so rows that stay in view are not rendered again while scrolling. */
const RunRow = memo(function RunRow({ run: r, index }: { run: Run; index: number }) {
  return (
    <tr aria-rowindex={index + 2}>
      <td>
        <a href={runHref(r.id)} title={r.id}>
          {formatDateTime(r.queuedAt)}
        </a>
      </td>
      <td>{r.jobId}</td>
      <td>
        <StatusBadge status={r.status} />
      </td>
      <td className="opt">{r.trigger}</td>
      <td className="opt">{runDuration(r)}</td>
      <td className="result">{summaryText(r)}</td>
    </tr>
  );
});

export function Runs({ jobs, job, statusFilter }: { jobs: string[]; job: string; statusFilter: string }) {
  const { model, syncGeneration, history } = usePane();
  const [text, setText] = useState('');
  const parentRef = useRef<HTMLDivElement>(null);

  // The first page shows at once; older pages arrive in the background while the table is in use
  // (store.openHistory). They wait until the first page has been rendered (this effect runs after
  // that commit), so they don't compete with the first rows for the main thread. After a resync
  // only the newest runs are fetched again (HistoryLoader.catchUp).
  const h = history?.key === historyKey(job, statusFilter) ? history : null;
  const firstIn = (h?.loaded ?? 0) > 0;
  useEffect(() => store.openHistory(job, statusFilter, { holdBackground: !firstIn }), [job, statusFilter, syncGeneration, firstIn]);

  const rows = useMemo(() => {
    const list: Run[] = [];
    for (const r of model.runs.values()) if (matchesFilter(r, job, statusFilter, text)) list.push(r);
    return list.sort((a, b) => (a.queuedAt < b.queuedAt ? 1 : a.queuedAt > b.queuedAt ? -1 : 0));
  }, [model.runs, job, statusFilter, text]);

  // initialRect: the window's height until the scroll box is measured, so the very first commit
  // already has rows in it (without it the first commit is empty and rows come one render later).
  const v = useVirtualizer({ count: rows.length, getScrollElement: () => parentRef.current, estimateSize: () => ROW, overscan: 12, initialRect: { width: 0, height: window.innerHeight } });
  const items = v.getVirtualItems();
  const padTop = items[0]?.start ?? 0;
  const padBottom = v.getTotalSize() - (items.at(-1)?.end ?? 0);

  // Mark for bench/renderer-bundle.ts: the first commit with history rows in the DOM after the
  // first page arrived.
  useLayoutEffect(() => {
    if (!performance.getEntriesByName('pillars:runs-loaded').length || performance.getEntriesByName('pillars:runs-rendered').length) return;
    const dom = document.querySelectorAll('.runs-table tbody tr:not(.spacer)').length;
    if (dom) performance.mark('pillars:runs-rendered', { detail: { rows: rows.length, dom } });
  }, [rows.length, items.length]);

  // Past the background's cap, reaching the end of the table asks for the next page.
  const lastIndex = items.at(-1)?.index ?? 0;
  const more = h !== null && h.next !== null && !h.loading && !h.error;
  useEffect(() => {
    if (more && lastIndex >= rows.length - 50) store.moreHistory();
  }, [more, lastIndex, rows.length]);

  const go = (j: string, s: string) => {
    window.location.hash = runsHref(j, s);
  };

  return (
    <div className="page runs">
      <PageHeader title="Runs" />
      <Section title="History">
        <form className="filters" role="search" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
          <label>
            Job
            <select value={job} onChange={(e) => go(e.target.value, statusFilter)}>
              <option value="">all jobs</option>
              {jobs.map((j) => (
                <option key={j} value={j}>
                  {j}
                </option>
              ))}
            </select>
          </label>
          <label>
            Status
            <select value={statusFilter} onChange={(e) => go(job, e.target.value)}>
              <option value="">any status</option>
              {RUN_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label>
            Search
            <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="run id, job, error…" />
          </label>
          {/* aria-busy: screen readers hear the count once the background loading is over, not per page. */}
          <span className="muted" aria-live="polite" aria-busy={h?.loading ?? false}>
            {rows.length.toLocaleString('en')} runs
            {h?.loading ? (h.loaded ? ' · loading older runs…' : ' · loading…') : more ? ' (more on scroll)' : ''}
          </span>
        </form>
        {h?.error && (
          <div className="history-error">
            <ErrorNote error={`${h.loaded ? 'Older runs could not be loaded' : 'The run history could not be loaded'}: ${h.error}`} />
            <button type="button" onClick={() => store.moreHistory()}>
              {h.loaded ? 'Load older runs' : 'Try again'}
            </button>
          </div>
        )}
        <div className="runs-scroll" ref={parentRef} tabIndex={0} aria-label="Run history, scrollable">
          <table className="data runs-table" aria-rowcount={rows.length + 1}>
            <thead>
              <tr>
                <th scope="col">Queued</th>
                <th scope="col">Job</th>
                <th scope="col">Status</th>
                <th scope="col" className="opt">
                  Trigger
                </th>
                <th scope="col" className="opt">
                  Duration
                </th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {padTop > 0 && (
                <tr aria-hidden="true" className="spacer">
                  <td colSpan={6} style={{ height: padTop }} />
                </tr>
              )}
              {items.map((it) => (
                <RunRow key={rows[it.index]!.id} run={rows[it.index]!} index={it.index} />
              ))}
              {padBottom > 0 && (
                <tr aria-hidden="true" className="spacer">
                  <td colSpan={6} style={{ height: padBottom }} />
                </tr>
              )}
            </tbody>
          </table>
          {rows.length === 0 && !h?.loading && <p className="muted">No runs match.</p>}
        </div>
      </Section>
    </div>
  );
}
