import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Run } from '../../../server/src/contract/api';
import { formatAge, formatBytes, formatDateTime, formatDuration, formatRate, formatShare } from '../../shared/format';
import { ApprovalView } from './Approval';
import { ActionButton, ErrorNote, PageHeader, Section, StatusBadge } from '../components/ui';
import { useNow } from '../hooks';
import { isActive } from '../model';
import { runsHref, snapshotHref } from '../route';
import { store, usePane, viewerReason } from '../store';
import { runDuration } from './Runs';

const MAX_LOG_LINES = 20_000;

function ProgressView({ run }: { run: Run }) {
  const p = run.progress;
  if (!p) return <p className="muted">{run.status === 'queued' ? 'Waiting in the queue…' : 'No progress reported yet.'}</p>;
  const pct = p.percent != null ? Math.max(0, Math.min(100, p.percent)) : null;
  return (
    <div className="progress">
      <div className="progress-line">
        <progress max={100} value={pct ?? undefined} aria-label="Progress">
          {pct != null ? `${pct.toFixed(0)} %` : ''}
        </progress>
        <strong className="pct">{pct != null ? `${pct.toFixed(1)} %` : '…'}</strong>
      </div>
      <dl className="figures">
        <dt>Done</dt>
        <dd>
          {formatBytes(p.bytesDone)}
          {p.bytesTotal != null && ` of ${formatBytes(p.bytesTotal)}`}
        </dd>
        <dt>Files</dt>
        <dd>
          {p.filesDone.toLocaleString('en')}
          {p.filesTotal != null && ` of ${p.filesTotal.toLocaleString('en')}`}
        </dd>
        <dt>Rate</dt>
        <dd className="rate">{formatRate(p.rate)}</dd>
        <dt>ETA</dt>
        <dd className="eta">{formatDuration(p.etaSeconds)}</dd>
      </dl>
      {p.current.length > 0 && (
        <>
          <h3>Current files</h3>
          <ul className="current">
            {p.current.slice(0, 8).map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function SummaryView({ run }: { run: Run }) {
  const s = run.summary;
  if (!s) return null;
  const rows: Array<[string, ReactNode]> = [];
  switch (s.kind) {
    case 'restic-backup':
      // the snapshot opens in the snapshot browser (its folders, restore, download)
      rows.push(
        ['Snapshot', <a href={snapshotHref(run.jobId, s.snapshotId)}>{s.snapshotId}</a>],
        ['Data added', formatBytes(s.bytesAdded)],
        ['Files new / changed / unmodified', `${s.filesNew} / ${s.filesChanged} / ${s.filesUnmodified}`],
        ['Processed', `${formatBytes(s.totalBytesProcessed)} in ${s.totalFilesProcessed} files`],
        ['Duration', formatDuration(s.durationSeconds)],
      );
      if (s.unreadableFiles) rows.push(['Unreadable files', String(s.unreadableFiles)]);
      break;
    case 'restic-forget':
      rows.push(['Kept', String(s.kept)], ['Removed', String(s.removed)], ['Pruned', s.pruned ? 'yes' : 'no']);
      break;
    case 'restic-check':
      rows.push(['Result', s.ok ? 'no errors' : (run.error ?? 'the check found damage in the repository')], ['Data read', s.readDataSubset ?? 'metadata only']);
      break;
    case 'restore':
      rows.push(
        ['Snapshot', s.snapshotId.slice(0, 8)],
        ['Restored into', s.destination ?? 'the original places'],
        ['Written', `${s.files} entries, ${formatBytes(s.bytes)}`],
        ['Skipped / kept both / overwritten', `${s.skippedCount} / ${s.keptBothCount} / ${s.overwrittenCount}`],
      );
      break;
    case 'restic-drill':
      rows.push(
        ['Snapshot', s.snapshotId.slice(0, 8)],
        ['Sampled / restored / compared', `${s.sampled} / ${s.restored} / ${s.compared}`],
        ['Differ', s.mismatches.join(', ') || 'none'],
        ['Not restored', s.unreadable.join(', ') || 'none'],
        ['Data read', s.readDataSubset ?? 'none'],
      );
      break;
    case 'recover':
      rows.push(['From', s.remote], ['Into', `pillar ${s.pillar}`]);
      for (const p of s.pairs)
        rows.push([
          p.from,
          `→ ${p.to}: ${p.transferredFiles} files (${formatBytes(p.transferredBytes)}) copied; the remote holds ${p.remoteFiles} (${formatBytes(p.remoteBytes)})${p.localFiles !== null ? `, the pillar now ${p.localFiles} (${formatBytes(p.localBytes)})` : ''}`,
        ]);
      for (const c of s.repositories) rows.push([`restic check ${c.repository}`, c.checkOk ? 'passed' : 'failed']);
      rows.push(['Verified', s.verified ? 'yes: counts and sizes match the remote and every repository passed restic check' : 'no']);
      break;
    default:
      rows.push(['Transferred', `${formatBytes(s.bytesTransferred)} in ${s.filesTransferred} files`], ['Deleted', String(s.filesDeleted)], ['Errors', String(s.errors)], ['Duration', formatDuration(s.durationSeconds)]);
  }
  return (
    <Section title="Summary">
      <dl className="summary">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </Section>
  );
}

function BlockView({ run }: { run: Run }) {
  const readOnly = viewerReason(usePane().role);
  const b = run.block;
  if (!b) return null;
  const pending = run.status === 'blocked';
  return (
    <Section title={pending ? 'Blocked: needs a decision' : 'Was blocked'}>
      <p className="block-message">
        <strong>{b.guard}</strong>: {b.message}
      </p>
      {pending && b.needsApproval && (b.deletes || b.changes) ? (
        <ApprovalView run={run} readOnly={readOnly} />
      ) : pending && b.needsApproval ? (
        // a block without a change set (a shrunk backup): its message shows what is approved
        <div className="row">
          <ActionButton className="danger" disabled={!!readOnly || !b.approval} title={readOnly} action={async () => b.approval && store.putRun(await store.api.approve(run.id, b.approval))}>
            Approve
          </ActionButton>
          <ActionButton disabled={!!readOnly} title={readOnly} action={async () => store.putRun(await store.api.reject(run.id))}>
            Reject
          </ActionButton>
          {readOnly && <span className="muted">{readOnly}</span>}
        </div>
      ) : (
        b.deletes && (
          <div className="deletes">
            <p>
              It would have deleted <strong className="delete-count">{b.deletes.count.toLocaleString('en')} files</strong> (<strong>{formatBytes(b.deletes.bytes)}</strong>, {formatShare(b.deletes.percent / 100)} of the
              destination).
            </p>
            {b.deletes.sample.length > 0 && (
              <>
                <h3>Sample of what it would have deleted</h3>
                <ul className="sample">
                  {b.deletes.sample.map((s) => (
                    <li key={s}>
                      <code>{s}</code>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </div>
        )
      )}
      {pending && !b.needsApproval && <p className="muted">This guard cannot be overridden: fix the cause and run the job again.</p>}
    </Section>
  );
}

/** `active`: the run may still change (queued, running, blocked); `live`: lines may still come (not blocked). */
function LogView({ runId, active, live, initialTail }: { runId: string; active: boolean; live: boolean; initialTail: string }) {
  const [lines, setLines] = useState<string[]>(() => (initialTail ? initialTail.split('\n') : []));
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [onlyMatches, setOnlyMatches] = useState(false);
  const [follow, setFollow] = useState(true);
  const pre = useRef<HTMLDivElement>(null);
  const pushed = useRef(false);

  // The log file, fetched when the page opens and again when the run ends (so it is complete).
  useEffect(() => {
    let cancelled = false;
    // Lines pushed while the file is being fetched are kept and appended after it.
    let pending: string[] = [];
    let loaded = false;
    const off = store.onLog((id, more) => {
      if (id !== runId) return;
      pushed.current = true;
      if (!loaded) pending.push(...more);
      else setLines((l) => (l.length + more.length > MAX_LOG_LINES ? [...l, ...more].slice(-MAX_LOG_LINES) : [...l, ...more]));
    });
    store.api
      .log(runId)
      .then((text) => {
        if (cancelled) return;
        const base = text ? text.replace(/\n$/, '').split('\n') : [];
        // The stream may have sent lines the fetched file already holds: drop that overlap.
        const tail = base.slice(-pending.length);
        const overlap = pending.length > 0 && tail.join('\n') === pending.join('\n') ? pending.length : 0;
        setLines([...base, ...pending.slice(overlap)].slice(-MAX_LOG_LINES));
        pending = [];
        loaded = true;
      })
      .catch((e: unknown) => {
        if (cancelled) return;
        setError(e instanceof Error ? e.message : String(e));
        loaded = true;
      });
    return () => {
      cancelled = true;
      off();
    };
  }, [runId, active]);

  // A server that publishes no run.log events still shows a live log: re-read it while the run lasts.
  useEffect(() => {
    if (!live) return;
    const t = setInterval(() => {
      if (pushed.current) return;
      store.api
        .log(runId)
        .then((text) => setLines((text ? text.replace(/\n$/, '').split('\n') : []).slice(-MAX_LOG_LINES)))
        .catch(() => {});
    }, 2000);
    return () => clearInterval(t);
  }, [runId, live]);

  useEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [lines, follow]);

  const q = query.toLowerCase();
  const shown = useMemo(() => {
    const all = lines.map((text, i) => ({ n: i + 1, text, hit: q !== '' && text.toLowerCase().includes(q) }));
    return onlyMatches && q ? all.filter((l) => l.hit) : all;
  }, [lines, q, onlyMatches]);
  const hits = q ? lines.filter((l) => l.toLowerCase().includes(q)).length : 0;

  return (
    <Section
      title={live ? 'Log (live)' : 'Log'}
      actions={
        <div className="log-tools" role="search" aria-label="Search the log">
          <label>
            Search log
            <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
          </label>
          <span className="muted" aria-live="polite">
            {q ? `${hits} matching line${hits === 1 ? '' : 's'}` : `${lines.length} lines`}
          </span>
          <label className="check">
            <input type="checkbox" checked={onlyMatches} onChange={(e) => setOnlyMatches(e.target.checked)} /> only matches
          </label>
          <label className="check">
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> follow
          </label>
        </div>
      }
    >
      <ErrorNote error={error} />
      <div className="log" ref={pre} tabIndex={0} role="log" aria-label="Run log">
        {shown.map((l) => (
          <div key={l.n} className={l.hit ? 'line hit' : 'line'}>
            <span className="ln" aria-hidden="true">
              {l.n}
            </span>
            {l.text}
          </div>
        ))}
      </div>
    </Section>
  );
}

export function RunPage({ id }: { id: string }) {
  const { model, syncGeneration, role } = usePane();
  const now = useNow(5_000);
  const run = model.runs.get(id);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    store.api
      .run(id)
      .then((r) => {
        if (!cancelled) {
          store.putRun(r);
          setError(null);
        }
      })
      .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
    };
  }, [id, syncGeneration]);
  if (!run) {
    return (
      <div className="page run">
        <PageHeader title={`Run ${id}`} />
        <ErrorNote error={error} />
        {!error && <p className="muted">Loading run {id}…</p>}
      </div>
    );
  }
  const active = isActive(run.status);
  return (
    <div className="page run">
      <PageHeader title={`Run of ${run.jobId}`}>
        <StatusBadge status={run.status} />
        {active && run.status !== 'blocked' && (
          <ActionButton disabled={!!viewerReason(role)} title={viewerReason(role)} action={async () => store.putRun(await store.api.cancel(run.id))}>
            Cancel
          </ActionButton>
        )}
      </PageHeader>
      <Section title="Details">
        <p className="run-head">
          <a href={runsHref(run.jobId)}>{run.jobId}</a> <StatusBadge status={run.status} /> <span className="muted">{run.trigger}</span>
          {run.attempt > 1 && <span className="muted"> · attempt {run.attempt}</span>} <code className="muted small run-id">{run.id}</code>
        </p>
        <dl className="times">
          <dt>Queued</dt>
          <dd>{formatDateTime(run.queuedAt)}</dd>
          <dt>Started</dt>
          <dd>{formatDateTime(run.startedAt)}</dd>
          <dt>Finished</dt>
          <dd>{run.finishedAt ? `${formatDateTime(run.finishedAt)} (${formatAge(run.finishedAt, now)})` : '—'}</dd>
          <dt>Duration</dt>
          <dd>{runDuration(run)}</dd>
          {run.approvedBy && (
            <>
              <dt>Approved by</dt>
              <dd className="approved">{run.approvedBy}</dd>
            </>
          )}
          {run.exitCode != null && (
            <>
              <dt>Exit code</dt>
              <dd>{run.exitCode}</dd>
            </>
          )}
        </dl>
        {run.error && run.error !== run.block?.message && (
          <p className="error" role="alert">
            {run.error}
          </p>
        )}
        <ErrorNote error={error} />
        {run.status === 'running' && <ProgressView run={run} />}
        {run.status === 'queued' && <p className="muted">Waiting in the queue…</p>}
      </Section>
      <BlockView run={run} />
      <SummaryView run={run} />
      <LogView key={run.id} runId={run.id} active={active} live={active && run.status !== 'blocked'} initialTail={run.logTail} />
    </div>
  );
}
