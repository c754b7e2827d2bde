// Recovery from the cloud (issue 16): a pillar's folders copied back from the remote its offsite
// jobs copy to, after a lost disk. The plan is read from the remote (GET /api/v1/recover/plan: what
// would be copied from where into where, its size, whether the disk is empty or a recovery there
// may go on); the owner confirms a restatement of exactly that plan, and the start names its digest:
// pillarsd lists the plan again and refuses (409, naming what changed) unless it is still that one
// (POST /api/v1/recover); the new plan is then shown. The run page follows a started one live. While a
// recovery's marker is on a pillar, the status says so and backups and syncs reading it are
// blocked. Viewers see the state and the recovery runs; the plan and the start are an admin's.
import { useState } from 'react';
import type { PillarStatus, RecoverPlan, StatusResponse } from '../../../server/src/contract/api';
import { formatAge, formatBytes, formatDateTime } from '../../shared/format';
import { ApiError } from '../api';
import { ActionButton, ErrorNote, PageHeader, Section, StatusBadge } from '../components/ui';
import { useJobRuns, useNow } from '../hooks';
import { planTotals, recoverChoices, type RecoverChoice } from '../recovery';
import { runHref } from '../route';
import { store, usePane, viewerReason } from '../store';

export function Recover({ status }: { status: StatusResponse }) {
  const choices = recoverChoices(status);
  return (
    <div className="page recover">
      <PageHeader title="Recover from the cloud" />
      <p className="muted">
        After a lost disk, a pillar's folders come back from the remote its offsite jobs copy them to. A recovery only copies (it deletes nothing, here or on the remote), and only into an empty or new disk, or into one
        where a recovery from the same remote started and did not finish: it then goes on, copying only what is missing. Until it has been verified, backups and syncs reading the pillar wait.
      </p>
      {status.pillars.map((p) => (
        <PillarRecovery key={p.id} pillar={p} choices={choices.filter((c) => c.pillar === p.id)} />
      ))}
    </div>
  );
}

function PillarRecovery({ pillar, choices }: { pillar: PillarStatus; choices: RecoverChoice[] }) {
  const now = useNow();
  const { runs } = useJobRuns([`recover:${pillar.id}`], 5);
  const r = pillar.recovery;
  return (
    <Section title={`Pillar ${pillar.id}`}>
      <p className={r ? 'recovering' : 'muted small'} role={r ? 'status' : undefined}>
        {r ? (
          <>
            <strong>Recovery in progress</strong>
            {r.remote ? ` from ${r.remote}` : ''}
            {r.startedAt ? `, started ${formatDateTime(r.startedAt)}` : ' (its marker cannot be read)'}: backups and syncs reading {pillar.id} are blocked until it has been verified.
          </>
        ) : (
          <>
            <code>{pillar.path}</code> · no recovery in progress
          </>
        )}
      </p>
      {runs.length > 0 && (
        <ul className="plain recover-runs" aria-label={`Recoveries of ${pillar.id}`}>
          {runs.map((run) => (
            <li key={run.id}>
              <a href={runHref(run.id)}>Recovery {run.task?.kind === 'recover' ? `from ${run.task.remote}` : ''}</a> <StatusBadge status={run.status} />{' '}
              <span className="muted small">{formatAge(run.finishedAt ?? run.startedAt ?? run.queuedAt, now)}</span>
            </li>
          ))}
        </ul>
      )}
      {choices.length === 0 && <p className="muted">No offsite job copies {pillar.id} to a remote: there is nothing to recover it from.</p>}
      {choices.map((c) => (
        <RecoverFrom key={c.remote} choice={c} />
      ))}
    </Section>
  );
}

type Stage = { step: 'idle' } | { step: 'plan'; plan: RecoverPlan; note: string | null } | { step: 'confirm'; plan: RecoverPlan };

function RecoverFrom({ choice }: { choice: RecoverChoice }) {
  const readOnly = viewerReason(usePane().role);
  const [stage, setStage] = useState<Stage>({ step: 'idle' });
  const [bwlimit, setBwlimit] = useState('');
  const [writeSentinel, setWriteSentinel] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { pillar, remote } = choice;
  const readPlan = () => store.api.recoverPlan(pillar, remote);
  const name = `${pillar} from ${remote}`;
  return (
    <div className="recover-from" role="group" aria-label={`Recover ${name}`}>
      <h3>
        From {remote} <span className="muted small">(copied there by {choice.jobs.join(', ')})</span>
      </h3>
      {stage.step === 'idle' && (
        <div className="row">
          <ActionButton
            title={readOnly}
            disabled={!!readOnly}
            onError={setError}
            action={async () => {
              setError(null);
              setStage({ step: 'plan', plan: await readPlan(), note: null });
            }}
          >
            Show the plan
          </ActionButton>
          {readOnly && <span className="muted small">{readOnly}</span>}
        </div>
      )}
      {stage.step !== 'idle' && <PlanView plan={stage.plan} />}
      {stage.step === 'plan' && (
        <>
          {stage.note && (
            <p className="error" role="alert">
              {stage.note}
            </p>
          )}
          {!stage.plan.refusal && (
            <div className="recover-options">
              <label>
                Bandwidth limit (optional, rclone --bwlimit, e.g. 8M) <input type="text" value={bwlimit} onChange={(e) => setBwlimit(e.target.value.trim())} placeholder="no limit" />
              </label>
              {stage.plan.pillarState.sentinel === null && (
                <label>
                  <input type="checkbox" checked={writeSentinel} onChange={(e) => setWriteSentinel(e.target.checked)} /> This is the new, empty disk for {pillar}: write its <code>.pillar</code> sentinel first
                </label>
              )}
            </div>
          )}
          <div className="row">
            <button type="button" disabled={!!stage.plan.refusal || (stage.plan.pillarState.sentinel === null && !writeSentinel)} onClick={() => setStage({ step: 'confirm', plan: stage.plan })}>
              Recover…
            </button>
            <button type="button" className="link" onClick={() => setStage({ step: 'idle' })}>
              Close
            </button>
          </div>
        </>
      )}
      {stage.step === 'confirm' && (
        <section className="confirm" aria-label={`Confirm the recovery of ${name}`}>
          <h4>Confirm</h4>
          <Restatement plan={stage.plan} bwlimit={bwlimit} writeSentinel={stage.plan.pillarState.sentinel === null && writeSentinel} />
          <div className="row">
            <ActionButton
              className="danger"
              onError={setError}
              action={async () => {
                setError(null);
                let runId: string;
                try {
                  ({ runId } = await store.api.recover({
                    pillar,
                    from: remote,
                    digest: stage.plan.digest,
                    ...(bwlimit ? { bwlimit } : {}),
                    ...(stage.plan.pillarState.sentinel === null && writeSentinel ? { writeSentinel: true } : {}),
                  }));
                } catch (e) {
                  // pillarsd listed the plan again and it is not the one confirmed: show the new one
                  if (!(e instanceof ApiError) || e.status !== 409) throw e;
                  setStage({ step: 'plan', plan: await readPlan(), note: `${e.message} Above is the plan as it is now.` });
                  return;
                }
                store.putRun(await store.api.run(runId));
                window.location.hash = runHref(runId);
              }}
            >
              Start the recovery
            </ActionButton>
            <button type="button" className="link" onClick={() => setStage({ step: 'plan', plan: stage.plan, note: null })}>
              Back
            </button>
          </div>
        </section>
      )}
      <ErrorNote error={error} />
    </div>
  );
}

function PlanView({ plan }: { plan: RecoverPlan }) {
  const st = plan.pillarState;
  const total = planTotals(plan);
  return (
    <div className="recover-plan">
      <table className="data cards">
        <caption>
          What would be copied back: {total.files.toLocaleString('en')} files, {formatBytes(total.bytes)}
        </caption>
        <thead>
          <tr>
            <th scope="col">From</th>
            <th scope="col">Into</th>
            <th scope="col">Files</th>
            <th scope="col">Size</th>
            <th scope="col">Checked after</th>
          </tr>
        </thead>
        <tbody>
          {plan.task.pairs.map((p, i) => {
            const holds = plan.remoteHolds[i];
            return (
              <tr key={p.from}>
                <th scope="row" className="path">
                  <code>{p.from}</code>
                </th>
                <td data-label="Into" className="path">
                  <code>{p.to}</code>
                </td>
                <td data-label="Files">{holds ? holds.files.toLocaleString('en') : '—'}</td>
                <td data-label="Size">{holds ? formatBytes(holds.bytes) : '—'}</td>
                <td data-label="Checked after">{p.repositories.length ? `restic check of ${p.repositories.join(', ')}` : 'counts and sizes'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {plan.notOnRemote.length > 0 && (
        <p className="not-on-remote">
          Not on the remote, so nothing of {plan.notOnRemote.length === 1 ? 'it' : 'them'} comes back:{' '}
          {plan.notOnRemote.map((n, i) => (
            <span key={n.from}>
              {i > 0 && ', '}
              <code>{n.from}</code> (job {n.job} never finished a copy there)
            </span>
          ))}
          .
        </p>
      )}
      <p className="pillar-state">
        Target <code>{st.path}</code>: {st.mounted ? 'mounted' : 'not a mount point'}, {st.sentinel === null ? 'no .pillar sentinel (a new disk)' : `sentinel ${st.sentinel}`}, {st.empty ? 'empty' : 'holds data'}
        {plan.resumes ? `; a recovery from ${plan.resumes.remote} started ${formatDateTime(plan.resumes.startedAt)} and did not finish: this one goes on with it` : ''}.
      </p>
      {plan.refusal && (
        <p className="error" role="alert">
          Refused: {plan.refusal}
        </p>
      )}
    </div>
  );
}

/** The confirmation restates the plan shown: every folder, its size, the disk, what else happens. */
function Restatement({ plan, bwlimit, writeSentinel }: { plan: RecoverPlan; bwlimit: string; writeSentinel: boolean }) {
  const total = planTotals(plan);
  const st = plan.pillarState;
  return (
    <div className="restatement">
      <p>
        Copy {total.files.toLocaleString('en')} files ({formatBytes(total.bytes)}) from {plan.task.remote} into pillar {plan.task.pillar} at <code>{st.path}</code>:
      </p>
      <ul>
        {plan.task.pairs.map((p, i) => (
          <li key={p.from}>
            <code>{p.from}</code> → <code>{p.to}</code> ({plan.remoteHolds[i]?.files.toLocaleString('en') ?? '?'} files, {formatBytes(plan.remoteHolds[i]?.bytes ?? null)})
          </li>
        ))}
      </ul>
      <ul>
        {plan.notOnRemote.map((n) => (
          <li key={n.from}>
            <code>{n.from}</code> is not on the remote (job {n.job} never finished a copy there): nothing of it comes back.
          </li>
        ))}
        <li>
          {plan.resumes
            ? `It goes on with the recovery from ${plan.resumes.remote} started ${formatDateTime(plan.resumes.startedAt)}: files already there and whole are kept.`
            : 'The disk is empty: nothing on it is replaced.'}
        </li>
        {writeSentinel && <li>The sentinel .pillar naming {plan.task.pillar} is written first.</li>}
        <li>{bwlimit ? `Bandwidth limit ${bwlimit}.` : 'No bandwidth limit.'}</li>
        <li>Nothing is deleted, on the disk or on the remote. Backups and syncs reading {plan.task.pillar} wait until the copy has been verified.</li>
      </ul>
    </div>
  );
}
