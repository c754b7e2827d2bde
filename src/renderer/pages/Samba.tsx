import { useEffect, useState } from 'react';
import type { SambaState, StatusResponse } from '../../../server/src/contract/api';
import { formatDateTime } from '../../shared/format';
import { TimeMachineTable } from '../components/TimeMachine';
import { ActionButton, ErrorNote, PageHeader, Section } from '../components/ui';
import { useNow } from '../hooks';
import { store, usePane } from '../store';

function DiffView({ diff }: { diff: string }) {
  if (!diff.trim()) return <p className="muted no-diff">The live configuration matches the rendered one.</p>;
  return (
    <pre className="diff" tabIndex={0} aria-label="Difference between the live and the rendered configuration">
      {diff.split('\n').map((l, i) => {
        const cls = l.startsWith('+++') || l.startsWith('---') ? 'file' : l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : l.startsWith('@@') ? 'hunk' : 'ctx';
        return (
          <span key={i} className={`dl ${cls}`}>
            {l}
            {'\n'}
          </span>
        );
      })}
    </pre>
  );
}

export function Samba({ status }: { status: StatusResponse }) {
  const now = useNow();
  const { syncGeneration } = usePane();
  const [state, setState] = useState<SambaState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = async () => {
    try {
      setState(await store.api.samba());
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  useEffect(() => {
    void load();
  }, [syncGeneration]);
  // A failed apply or rollback may still have changed the file (smbd did not take it): show the
  // server's account of what happened and the state as it is now.
  const failed = (m: string) => {
    setNotice(null);
    setError(m);
    void store.api.samba().then(setState, () => undefined);
  };
  const changed = state ? state.drift || state.diff.trim() !== '' : false;
  return (
    <div className="page samba">
      <PageHeader title="Samba" />
      <Section
        title="Samba configuration"
        actions={
          <button type="button" onClick={() => void load()}>
            Refresh
          </button>
        }
      >
        <ErrorNote error={error} />
        {notice && (
          <p className="ok" role="status">
            {notice}
          </p>
        )}
        {state && (
          <>
            <p className="samba-state">
              <span className={`badge ${state.valid ? 'st-succeeded' : 'st-failed'}`}>{state.valid ? 'valid' : 'invalid'}</span>{' '}
              <span className={`badge ${changed ? 'st-blocked' : 'st-idle'}`}>{changed ? 'changes to apply' : 'in sync'}</span>
            </p>
            {state.messages.length > 0 && (
              // role=alert on the <ul> itself would hide its list semantics (axe: listitem).
              <div role="alert" aria-label="Validation messages">
                <ul className={`messages ${state.valid ? 'warn' : 'bad'}`}>
                  {state.messages.map((m) => (
                    <li key={m}>{m}</li>
                  ))}
                </ul>
              </div>
            )}
            <h3>Live → rendered</h3>
            <DiffView diff={state.diff} />
            <div className="row">
              <ActionButton
                className="primary"
                disabled={!state.valid || !changed}
                title={!state.valid ? 'Fix the validation messages first' : !changed ? 'Nothing to apply' : undefined}
                onError={failed}
                action={async () => {
                  setError(null);
                  const r = await store.api.sambaApply();
                  setState(r.state);
                  setNotice(`Applied at ${formatDateTime(new Date())}: ${r.messages.join('; ')}.`);
                }}
              >
                Apply
              </ActionButton>
              <ActionButton
                disabled={state.versions.length === 0}
                title={state.versions.length === 0 ? 'No earlier version to go back to' : undefined}
                onError={failed}
                action={async () => {
                  setError(null);
                  const r = await store.api.sambaRollback();
                  setState(r.state);
                  setNotice(`Rolled back: ${r.messages.join('; ')}.`);
                }}
              >
                Rollback
              </ActionButton>
            </div>
            {state.versions.length > 0 && (
              <details>
                <summary>{state.versions.length} earlier versions</summary>
                <ul>
                  {state.versions.map((v) => (
                    <li key={v.id}>
                      <code>{v.id}</code> {formatDateTime(v.at)}
                    </li>
                  ))}
                </ul>
              </details>
            )}
            <details>
              <summary>Rendered configuration</summary>
              <pre className="conf">{state.rendered}</pre>
            </details>
          </>
        )}
      </Section>
      <Section title="Time Machine">
        <TimeMachineTable bundles={status.timeMachine} now={now} />
      </Section>
    </div>
  );
}
