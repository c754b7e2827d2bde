// One snapshot, one folder level at a time (GET …/snapshots/:snapshot/ls, paged), with breadcrumbs
// back up, a search by name (…/find), and per entry: restore it (RestorePanel) or download it
// through a ticketed link (a file as it is, a folder as tar or zip). Restoring and downloading are
// admin only (a download is data leaving motoko); a viewer may list, browse and search.
import { useEffect, useRef, useState } from 'react';
import type { DirListing, SnapshotEntry, SnapshotInfo } from '../../../server/src/contract/api';
import { formatBytes, formatDateTime } from '../../shared/format';
import { ActionButton, ErrorNote, PageHeader, Section } from '../components/ui';
import { snapshotHref } from '../route';
import { store, usePane, viewerReason } from '../store';
import { RestorePanel, type RestoreItem } from './RestorePanel';

/** Entries per page of a folder: a screenful or two; "Show more" asks for the next page. */
export const LS_PAGE = 200;
const FIND_LIMIT = 200;

/** The breadcrumbs from the snapshot's root down to `dir`, each with the folder it opens. */
export function crumbs(root: string, dir: string): Array<{ name: string; path: string }> {
  const out = [{ name: root, path: root }];
  if (dir === root || !dir.startsWith(root)) return out;
  const rest = dir
    .slice(root === '/' ? 1 : root.length + 1)
    .split('/')
    .filter(Boolean);
  let at = root === '/' ? '' : root;
  for (const part of rest) {
    at = `${at}/${part}`;
    out.push({ name: part, path: at });
  }
  return out;
}

export function SnapshotBrowser({ job, id, path }: { job: string; id: string; path: string }) {
  const { role } = usePane();
  const readOnly = viewerReason(role);
  const [info, setInfo] = useState<SnapshotInfo | null>(null);
  const [listing, setListing] = useState<DirListing | null>(null);
  const [entries, setEntries] = useState<SnapshotEntry[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [restoring, setRestoring] = useState<RestoreItem | null>(null);

  useEffect(() => {
    let cancelled = false;
    store.api
      .snapshots(job)
      .then((d) => !cancelled && setInfo(d.snapshots.find((s) => s.id === id || s.id.startsWith(id)) ?? null))
      .catch(() => {}); // the listing below reports what is wrong with the snapshot
    return () => {
      cancelled = true;
    };
  }, [job, id]);

  useEffect(() => {
    let cancelled = false;
    setListing(null);
    setEntries([]);
    setError(null);
    setRestoring(null);
    store.api
      .ls(job, id, path, 0, LS_PAGE)
      .then((l) => !cancelled && (setListing(l), setEntries(l.entries)))
      .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
    };
  }, [job, id, path]);

  const more = async () => {
    const l = await store.api.ls(job, id, listing!.path, entries.length, LS_PAGE);
    setListing(l);
    setEntries((e) => [...e, ...l.entries]);
  };

  const short = info?.shortId ?? id.slice(0, 8);
  const root = listing?.root ?? info?.root ?? '/';
  const here = listing?.path ?? path;
  return (
    <div className="page snapshot">
      <PageHeader title={`Snapshot ${short}`}>
        <a href="#/snapshots">All snapshots</a>
      </PageHeader>
      <p className="muted">
        {job}
        {info && ` · ${formatDateTime(info.time)} · ${info.hostname} · ${info.paths.join(', ')}`}
      </p>
      <ErrorNote error={error} />
      {restoring && <RestorePanel job={job} snapshot={id} item={restoring} onClose={() => setRestoring(null)} />}
      <FindBox job={job} id={id} readOnly={readOnly} onRestore={setRestoring} />
      {listing && (
        <Section
          title={`Folder ${here}`}
          actions={
            <>
              <button type="button" disabled={!!readOnly} title={readOnly} onClick={() => setRestoring({ path: here, type: 'dir', whole: here === root })}>
                {here === root ? 'Restore the whole snapshot…' : 'Restore this folder…'}
              </button>
              <DownloadButtons job={job} id={id} entry={{ path: here, type: 'dir', name: here }} readOnly={readOnly} />
            </>
          }
        >
          <nav aria-label="Breadcrumbs" className="crumbs">
            <ol>
              {crumbs(root, here).map((c, i, all) => (
                <li key={c.path}>{i === all.length - 1 ? <span aria-current="location">{c.name}</span> : <a href={snapshotHref(job, id, c.path)}>{c.name}</a>}</li>
              ))}
            </ol>
          </nav>
          <EntryTable job={job} id={id} entries={entries} label={`Contents of ${here}`} readOnly={readOnly} onRestore={setRestoring} />
          <p className="muted small" role="status">
            {entries.length === 0 ? 'This folder is empty.' : `${entries.length.toLocaleString('en')}${listing.total === null ? '' : ` of ${listing.total.toLocaleString('en')}`} entries shown`}
          </p>
          {listing.more && <ActionButton action={more}>Show more</ActionButton>}
        </Section>
      )}
      {!listing && !error && <p className="muted">Loading…</p>}
    </div>
  );
}

function FindBox({ job, id, readOnly, onRestore }: { job: string; id: string; readOnly: string | undefined; onRestore: (i: RestoreItem) => void }) {
  const [pattern, setPattern] = useState('');
  const [found, setFound] = useState<{ pattern: string; matches: SnapshotEntry[]; truncated: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <Section title="Find by name">
      <form
        className="find"
        role="search"
        aria-label="Find in this snapshot"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!pattern.trim()) return;
          setBusy(true);
          setError(null);
          try {
            const r = await store.api.find(job, id, pattern.trim(), FIND_LIMIT);
            setFound({ pattern: r.pattern, matches: r.matches, truncated: r.truncated });
          } catch (err) {
            setError(err instanceof Error ? err.message : String(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        <label>
          Name (<code>*</code> and <code>?</code> match any characters)
          <input type="search" value={pattern} onChange={(e) => setPattern(e.target.value)} placeholder="*.pdf" />
        </label>
        <button type="submit" disabled={busy} aria-busy={busy}>
          Find
        </button>
      </form>
      <ErrorNote error={error} />
      {found && (
        <>
          <p className="muted small" role="status">
            {found.matches.length === 0
              ? `Nothing named ${found.pattern}.`
              : `${found.matches.length} ${found.matches.length === 1 ? 'match' : 'matches'} for ${found.pattern}${found.truncated ? ` (the first ${found.matches.length}; narrow the name for the rest)` : ''}`}
          </p>
          {found.matches.length > 0 && <EntryTable job={job} id={id} entries={found.matches} label={`Matches for ${found.pattern}`} readOnly={readOnly} onRestore={onRestore} showPath />}
        </>
      )}
    </Section>
  );
}

function EntryTable({
  job,
  id,
  entries,
  label,
  readOnly,
  onRestore,
  showPath = false,
}: {
  job: string;
  id: string;
  entries: SnapshotEntry[];
  label: string;
  readOnly: string | undefined;
  onRestore: (i: RestoreItem) => void;
  showPath?: boolean;
}) {
  if (entries.length === 0) return null;
  return (
    <table className="data cards entries">
      <caption className="sr-only">{label}</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Type</th>
          <th scope="col">Size</th>
          <th scope="col">Modified</th>
          <th scope="col">
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.path}>
            <th scope="row" className="path">
              {e.type === 'dir' ? <a href={snapshotHref(job, id, e.path)}>{showPath ? e.path : e.name}/</a> : showPath ? e.path : e.name}
            </th>
            <td data-label="Type">{e.type === 'dir' ? 'folder' : e.type}</td>
            <td data-label="Size">{e.type === 'file' ? formatBytes(e.size) : '—'}</td>
            <td data-label="Modified">{formatDateTime(e.mtime)}</td>
            <td className="actions">
              <button type="button" disabled={!!readOnly} title={readOnly} aria-label={`Restore ${e.name}…`} onClick={() => onRestore({ path: e.path, type: e.type, whole: false })}>
                Restore…
              </button>
              <DownloadButtons job={job} id={id} entry={e} readOnly={readOnly} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A file downloads as it is; a folder as a tar or a zip archive. Links and special files have no download. */
function DownloadButtons({ job, id, entry, readOnly }: { job: string; id: string; entry: Pick<SnapshotEntry, 'path' | 'type' | 'name'>; readOnly: string | undefined }) {
  const link = useRef<HTMLAnchorElement>(null);
  const download = async (format: 'tar' | 'zip' | null) => {
    // The ticket is single use and short-lived: asked for at the click, used at once.
    const a = link.current!;
    a.href = await store.api.dumpUrl(job, id, entry.path, format);
    a.click();
    a.removeAttribute('href');
  };
  if (entry.type !== 'file' && entry.type !== 'dir') return null;
  return (
    <>
      {/* the download itself: pillarsd names the file (content-disposition) */}
      <a ref={link} download hidden aria-hidden="true" tabIndex={-1} />
      {entry.type === 'file' ? (
        <ActionButton disabled={!!readOnly} title={readOnly} label={`Download ${entry.name}`} action={() => download(null)}>
          Download
        </ActionButton>
      ) : (
        <>
          <ActionButton disabled={!!readOnly} title={readOnly} label={`Download ${entry.name} as tar`} action={() => download('tar')}>
            .tar
          </ActionButton>
          <ActionButton disabled={!!readOnly} title={readOnly} label={`Download ${entry.name} as zip`} action={() => download('zip')}>
            .zip
          </ActionButton>
        </>
      )}
    </>
  );
}
