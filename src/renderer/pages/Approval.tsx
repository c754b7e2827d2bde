// What approving a blocked sync would do, in full: the set the run was blocked with (deletions and
// overwrites, GET /api/v1/runs/:id/deletions and /overwrites), paged with sizes, per-folder totals
// and the set's digest; Approve asks for a confirmation that restates the count and digest and,
// for a large set, has the count typed back (as `pillarsd approve` does). What is posted is the
// count and digest of the set shown: pillarsd refuses it if the run's set is another one.
import { useEffect, useState } from 'react';
import type { ApproveRequest, BlockInfo, ChangeSetPage, Run } from '../../../server/src/contract/api';
import { formatBytes, formatShare } from '../../shared/format';
import { ActionButton, ErrorNote, TableBox } from '../components/ui';
import { store } from '../store';

/** Entries per page of the list. */
export const SET_PAGE = 100;
/** Above this many files the count must be typed back before an approval (the CLI's rule too). */
export const TYPE_COUNT_ABOVE = 20;
/** Folders shown before "all folders". */
const FOLDERS_SHOWN = 12;

type Kind = ChangeSetPage['kind'];
export type SetPages = Record<Kind, ChangeSetPage>;

export const count = (n: number) => n.toLocaleString('en');
/** The digest as the confirmation and the list name it: its first 12 hex digits. */
export const shortDigest = (d: string) => d.slice(0, 12);

/**
 * Why the set pillarsd lists now cannot be approved as shown, or null: both lists must be the set
 * the run was blocked with (same count and digest), else what the page shows is not what an
 * approval would name.
 */
export function setMismatch(approval: NonNullable<BlockInfo['approval']>, pages: SetPages): string | null {
  const { deletions: d, overwrites: o } = pages;
  if (d.digest !== o.digest || d.approvalCount !== o.approvalCount) return 'pillarsd answered with two different sets: reload the page.';
  if (d.digest !== approval.digest || d.approvalCount !== approval.count || d.files + o.files !== approval.count)
    return `The set pillarsd lists (${count(d.files + o.files)} files, ${shortDigest(d.digest)}) is not the one this run was blocked with (${count(approval.count)} files, ${shortDigest(approval.digest)}): reload the page.`;
  return null;
}

/** The sentence a confirmation restates: exactly what would be approved. */
export function approvalSentence(pages: SetPages): string {
  const { deletions: d, overwrites: o } = pages;
  const parts = [
    d.files > 0 ? `delete ${count(d.files)} file${d.files === 1 ? '' : 's'} (${formatBytes(d.bytes)})` : '',
    o.files > 0 ? `overwrite ${count(o.files)} file${o.files === 1 ? '' : 's'} (${formatBytes(o.bytes)})` : '',
  ].filter(Boolean);
  const total = d.files + o.files;
  return `Approve exactly ${count(total)} file${total === 1 ? '' : 's'} (set ${shortDigest(d.digest)}): the run will ${parts.join(' and ') || 'change nothing'} at the destination.`;
}

function ChangeList({ runId, first }: { runId: string; first: ChangeSetPage }) {
  const [page, setPage] = useState(first);
  const [error, setError] = useState<string | null>(null);
  const [allFolders, setAllFolders] = useState(false);
  const go = async (offset: number) => {
    setError(null);
    try {
      const p = await store.api.changeSet(runId, first.kind, offset, SET_PAGE);
      if (p.digest !== first.digest) throw new Error('The set changed since the page was opened: reload the page.');
      setPage(p);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const what = first.kind === 'deletions' ? 'Deletions' : 'Overwrites';
  const folders = [...first.folders].sort((a, b) => b.bytes - a.bytes || a.folder.localeCompare(b.folder));
  const shownFolders = allFolders ? folders : folders.slice(0, FOLDERS_SHOWN);
  const from = page.entries.length ? page.offset + 1 : 0;
  const to = page.offset + page.entries.length;
  return (
    <div className="change-list">
      <h3>
        {what}: {count(first.files)} file{first.files === 1 ? '' : 's'}, {formatBytes(first.bytes)}
      </h3>
      {first.expected && first.expected.files > 0 && (
        <p className="muted">
          Of them {count(first.expected.files)} ({formatBytes(first.expected.bytes)}) were removed at the source by a prune pillarsd ran: expected, not counted by the guard.
        </p>
      )}
      <TableBox label={`${what} by folder, scrollable`}>
        <table className="data folders">
          <caption className="sr-only">{what} by folder</caption>
          <thead>
            <tr>
              <th scope="col">Folder</th>
              <th scope="col" className="num">
                Files
              </th>
              <th scope="col" className="num">
                Size
              </th>
            </tr>
          </thead>
          <tbody>
            {shownFolders.map((f) => (
              <tr key={f.folder}>
                <th scope="row" className="path">
                  {f.folder}
                </th>
                <td className="num">{count(f.files)}</td>
                <td className="num">{formatBytes(f.bytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
      {folders.length > FOLDERS_SHOWN && (
        <button type="button" onClick={() => setAllFolders(!allFolders)} aria-expanded={allFolders}>
          {allFolders ? `Largest ${FOLDERS_SHOWN} folders only` : `All ${count(folders.length)} folders`}
        </button>
      )}
      <TableBox label={`${what}, files ${count(from)} to ${count(to)}, scrollable`}>
        <table className="data entries">
          <caption className="sr-only">
            {what}, files {count(from)} to {count(to)} of {count(first.files)}
          </caption>
          <thead>
            <tr>
              <th scope="col">Path</th>
              <th scope="col" className="num">
                Size
              </th>
              {first.kind === 'overwrites' && (
                <th scope="col" className="num">
                  Replaces
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {page.entries.map((e) => (
              <tr key={e.path}>
                <td className="path">
                  <code>{e.path}</code>
                  {e.expected && <span className="muted small"> (pruned)</span>}
                </td>
                <td className="num">{formatBytes(e.size)}</td>
                {first.kind === 'overwrites' && <td className="num">{formatBytes(e.destinationSize)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
      <div className="row pager">
        <button type="button" disabled={page.offset === 0} onClick={() => go(Math.max(0, page.offset - SET_PAGE))}>
          Previous {SET_PAGE}
        </button>
        <span aria-live="polite">
          {count(from)}–{count(to)} of {count(first.files)}
        </span>
        <button type="button" disabled={page.next == null} onClick={() => page.next != null && go(page.next)}>
          Next {SET_PAGE}
        </button>
      </div>
      <ErrorNote error={error} />
    </div>
  );
}

/** Approve / Reject for a run blocked by a guard an approval lifts, over the set it was blocked with. */
export function ApprovalView({ run, readOnly }: { run: Run; readOnly: string | undefined }) {
  const b = run.block!;
  const approval = b.approval;
  const [pages, setPages] = useState<SetPages | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState('');
  useEffect(() => {
    if (!approval) return;
    let cancelled = false;
    Promise.all([store.api.changeSet(run.id, 'deletions', 0, SET_PAGE), store.api.changeSet(run.id, 'overwrites', 0, SET_PAGE)])
      .then(([deletions, overwrites]) => !cancelled && setPages({ deletions, overwrites }))
      .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
    };
  }, [run.id, approval?.digest]);
  const reject = (
    <ActionButton disabled={!!readOnly} title={readOnly} action={async () => store.putRun(await store.api.reject(run.id))}>
      Reject
    </ActionButton>
  );
  if (!approval) {
    return (
      <div className="row">
        <p className="muted">This block lists no set an approval could name: reject it, or fix the cause and run the job again.</p>
        {reject}
      </div>
    );
  }
  if (!pages) {
    return (
      <>
        {error ? <ErrorNote error={`The set this run would change could not be read, so it cannot be approved here: ${error}`} /> : <p className="muted">Reading the set this run would change…</p>}
        <div className="row">{reject}</div>
      </>
    );
  }
  const mismatch = setMismatch(approval, pages);
  const total = pages.deletions.files + pages.overwrites.files;
  const large = total > TYPE_COUNT_ABOVE;
  const seen: ApproveRequest = { count: pages.deletions.approvalCount, digest: pages.deletions.digest };
  const typedOk = !large || typed.trim().replace(/[,\s]/g, '') === String(total);
  return (
    <div className="approval">
      <p>
        Approving lets this run change exactly <strong className="delete-count">{count(total)} files</strong> at the destination
        {b.deletes && <> ({formatShare(b.deletes.percent / 100)} of it deleted)</>}, the set <code className="digest">{pages.deletions.digest}</code>. A deletion the run finds that is not in this set is left for a later
        run, which asks again.
      </p>
      {pages.deletions.files > 0 && <ChangeList runId={run.id} first={pages.deletions} />}
      {pages.overwrites.files > 0 && <ChangeList runId={run.id} first={pages.overwrites} />}
      <ErrorNote error={mismatch} />
      {!confirming ? (
        <div className="row">
          <button type="button" className="danger" disabled={!!readOnly || !!mismatch} title={readOnly} onClick={() => setConfirming(true)}>
            Approve…
          </button>
          {reject}
          {readOnly && <span className="muted">{readOnly}</span>}
        </div>
      ) : (
        <div className="confirm" role="group" aria-label="Confirm the approval">
          <p>
            <strong>{approvalSentence(pages)}</strong>
          </p>
          {large && (
            <div className="field">
              <label htmlFor={`approve-count-${run.id}`}>Type the number of files, {count(total)}, to approve them</label>
              <input id={`approve-count-${run.id}`} type="text" inputMode="numeric" autoComplete="off" value={typed} onChange={(e) => setTyped(e.target.value)} />
            </div>
          )}
          <div className="row">
            <ActionButton className="danger" disabled={!typedOk || !!mismatch} action={async () => store.putRun(await store.api.approve(run.id, seen))}>
              Approve {count(total)} files
            </ActionButton>
            <button
              type="button"
              onClick={() => {
                setConfirming(false);
                setTyped('');
              }}
            >
              Back
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
