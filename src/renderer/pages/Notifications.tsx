// Notifications (admin): each channel with its last delivery and last error, a Send test button,
// the incidents being tracked, and per job what it sends to which channel (written into
// pillarsd.yaml by pillarsd, comments kept).
import { useEffect, useState } from 'react';
import type { ChannelState, JobNotifyChoices, NoticeKind, NotificationsResponse, NotifyTestResult } from '../../../server/src/contract/api';
import { JOB_NOTICE_KINDS } from '../../../server/src/contract/api';
import { formatAge, formatDateTime } from '../../shared/format';
import { ActionButton, ErrorNote, PageHeader, Section, TableBox } from '../components/ui';
import { useNow } from '../hooks';
import { store, usePane } from '../store';

const KIND_LABEL: Record<NoticeKind, string> = {
  failed: 'failed',
  blocked: 'blocked',
  interrupted: 'interrupted',
  warnings: 'warnings',
  overdue: 'overdue',
  drill: 'drill failed',
  capacity: 'pillar full',
  'time-machine': 'Time Machine',
  samba: 'Samba',
  conflicts: 'conflicts',
};

function ChannelRow({ c, now, onTested }: { c: ChannelState; now: number; onTested: (r: NotifyTestResult) => void }) {
  const told = c.type === 'heartbeat' ? `pings for ${c.jobs.join(', ')}` : c.events.length === Object.keys(KIND_LABEL).length ? 'everything' : c.events.map((k) => KIND_LABEL[k]).join(', ');
  return (
    <tr className={c.lastError && (!c.lastSuccessAt || (c.lastErrorAt ?? '') > c.lastSuccessAt) ? 'failing' : ''}>
      <th scope="row">
        {c.name}
        {!c.enabled && <span className="badge st-idle"> off</span>}
      </th>
      <td>{c.type}</td>
      <td>
        <code>{c.target}</code>
      </td>
      <td>{told}</td>
      <td>
        {c.lastSuccessAt ? (
          <time dateTime={c.lastSuccessAt} title={formatDateTime(c.lastSuccessAt)}>
            {formatAge(c.lastSuccessAt, now)}
          </time>
        ) : (
          'never'
        )}
      </td>
      <td>
        {c.lastError ? (
          <span className="bad">
            {c.lastError}
            {c.lastErrorAt && <span className="muted small"> ({formatAge(c.lastErrorAt, now)})</span>}
          </span>
        ) : (
          '—'
        )}
      </td>
      <td>{c.pending}</td>
      <td>
        <ActionButton action={async () => (await store.api.notifyTest(c.name)).results.forEach(onTested)}>
          Send test<span className="sr-only"> to {c.name}</span>
        </ActionButton>
      </td>
    </tr>
  );
}

/** One job's choices: per channel, the channel's own events or a list of the job's kinds. */
function JobChoices({ job, channels, onSaved }: { job: JobNotifyChoices; channels: ChannelState[]; onSaved: (j: JobNotifyChoices) => void }) {
  const [draft, setDraft] = useState(job.send);
  useEffect(() => setDraft(job.send), [job]);
  const dirty = JSON.stringify(draft) !== JSON.stringify(job.send);
  return (
    <tr>
      <th scope="row">
        {job.jobId}
        {job.maxAge && <span className="muted small"> (overdue after {job.maxAge})</span>}
      </th>
      {channels.map((c) => {
        const own = draft[c.name] ?? null;
        const inherited = c.events.filter((k) => (JOB_NOTICE_KINDS as readonly NoticeKind[]).includes(k));
        return (
          <td key={c.name}>
            <fieldset className="choices">
              <legend className="sr-only">
                {job.jobId} to {c.name}
              </legend>
              <label>
                <input type="checkbox" checked={own === null} onChange={(e) => setDraft({ ...draft, [c.name]: e.target.checked ? null : [...inherited] })} /> channel default
              </label>
              {JOB_NOTICE_KINDS.map((k) => (
                <label key={k}>
                  <input
                    type="checkbox"
                    disabled={own === null}
                    checked={(own ?? inherited).includes(k)}
                    onChange={(e) => setDraft({ ...draft, [c.name]: e.target.checked ? [...(own ?? []), k] : (own ?? []).filter((x) => x !== k) })}
                  />{' '}
                  {KIND_LABEL[k]}
                </label>
              ))}
            </fieldset>
          </td>
        );
      })}
      <td>
        <ActionButton disabled={!dirty} action={async () => onSaved(await store.api.setNotifyChoices(job.jobId, draft))}>
          Save<span className="sr-only"> {job.jobId}</span>
        </ActionButton>
      </td>
    </tr>
  );
}

export function Notifications() {
  const now = useNow();
  const { syncGeneration } = usePane();
  const [view, setView] = useState<NotificationsResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [results, setResults] = useState<NotifyTestResult[]>([]);
  const load = async () => {
    try {
      setView(await store.api.notifications());
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  useEffect(() => {
    void load();
  }, [syncGeneration]);
  const messageChannels = view?.channels.filter((c) => c.type !== 'heartbeat') ?? [];
  return (
    <div className="page notifications">
      <PageHeader title="Notifications" />
      <Section
        title="Channels"
        actions={
          <button type="button" onClick={() => void load()}>
            Refresh
          </button>
        }
      >
        <ErrorNote error={error} />
        {results.length > 0 && (
          <ul className="messages" role="status" aria-label="Test results">
            {results.map((r) => (
              <li key={`${r.channel}${r.at}`} className={r.ok ? 'ok' : 'bad'}>
                {r.ok ? `Test message delivered to ${r.channel}.` : `Test message to ${r.channel} failed: ${r.error ?? 'unknown error'}`}
              </li>
            ))}
          </ul>
        )}
        {view && view.channels.length === 0 && (
          <p className="muted">
            No channels yet: add <code>notifications.channels</code> to pillarsd.yaml (a webhook, ntfy, email or heartbeat pings) and restart pillarsd.
          </p>
        )}
        {view && view.channels.length > 0 && (
          <TableBox label="Notification channels, scrollable">
            <table className="data">
              <caption className="sr-only">Notification channels</caption>
              <thead>
                <tr>
                  <th scope="col">Channel</th>
                  <th scope="col">Type</th>
                  <th scope="col">Where</th>
                  <th scope="col">Told about</th>
                  <th scope="col">Last delivery</th>
                  <th scope="col">Last error</th>
                  <th scope="col">Queued</th>
                  <th scope="col">
                    <span className="sr-only">Test</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {view.channels.map((c) => (
                  <ChannelRow
                    key={c.name}
                    c={c}
                    now={now}
                    onTested={(r) => {
                      setResults((old) => [r, ...old.filter((x) => x.channel !== r.channel)]);
                      void load();
                    }}
                  />
                ))}
              </tbody>
            </table>
          </TableBox>
        )}
      </Section>
      {view && (
        <Section title="Open incidents">
          {view.open.length === 0 ? (
            <p className="muted">Nothing needs anyone: no incident is open.</p>
          ) : (
            <ul className="incidents">
              {view.open.map((i) => (
                <li key={i.key}>
                  <strong>{i.title}</strong>{' '}
                  <span className="muted small">
                    since {formatAge(i.openedAt, now)}
                    {i.count > 1 ? `, ${i.count} times` : ''}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </Section>
      )}
      {view && messageChannels.length > 0 && (
        <Section title="What each job sends where">
          <TableBox label="Per job choices, scrollable">
            <table className="data choices-table">
              <caption className="sr-only">Per job, what it sends to each channel</caption>
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  {messageChannels.map((c) => (
                    <th scope="col" key={c.name}>
                      {c.name}
                    </th>
                  ))}
                  <th scope="col">
                    <span className="sr-only">Save</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {view.jobs.map((j) => (
                  <JobChoices key={j.jobId} job={j} channels={messageChannels} onSaved={(saved) => setView({ ...view, jobs: view.jobs.map((x) => (x.jobId === saved.jobId ? saved : x)) })} />
                ))}
              </tbody>
            </table>
          </TableBox>
        </Section>
      )}
    </div>
  );
}
