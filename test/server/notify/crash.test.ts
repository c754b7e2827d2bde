// A real `pillarsd serve` killed with SIGKILL after a failure and before its message went out, and
// a failure stored by `pillarsd run` while serve was down: after the restart each is delivered,
// exactly once.
import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WebhookBody } from '../../../server/src/contract/api';
import { runPillarsd, spawnPillarsd } from '../../support/cli';
import { sleep } from '../../support/proc';
import { startHttpReceiver } from '../../support/receivers';
import { useCleanup } from '../../support/tmp';
import { FAILING_JOB, notifySandbox } from './support';

const reg = useCleanup();

describe('pillarsd killed between the event and the send', () => {
  it('delivers after the restart, exactly once', async () => {
    const web = reg.track(await startHttpReceiver());
    const sb = notifySandbox(reg, {
      // the burst window keeps the first message in the outbox long enough to kill pillarsd
      notifications: () => `  groupSeconds: 6
  channels:
    hook: { type: webhook, url: "${web.url}/hook", signingKey: hookKey }
`,
      jobs: FAILING_JOB + FAILING_JOB.replace('nightly:', 'weekly:'),
    });
    const loaded = sb.load();
    const outbox = () => {
      const db = new Database(path.join(loaded.config.stateDir, 'pillarsd.db'), { readonly: true, fileMustExist: true });
      try {
        return db.prepare('SELECT item_id AS itemId, state, attempts, payload FROM notify_outbox ORDER BY id').all() as Array<{ itemId: string; state: string; attempts: number }>;
      } finally {
        db.close();
      }
    };

    const first = reg.track(spawnPillarsd(['serve', '--config', sb.configFile]));
    await first.waitForLine(/serving http:\/\/\S+/);
    // a failure by `pillarsd run` next to serve: serve's notifier follows the shared database
    const r1 = await runPillarsd(['run', 'nightly', '--config', sb.configFile]);
    expect(r1.code, r1.stderr).toBe(1);
    for (let i = 0; i < 200 && outbox().length === 0; i++) await sleep(25);
    expect(outbox()).toMatchObject([{ state: 'pending', attempts: 0 }]);
    await first.kill('SIGKILL');
    expect(web.requests).toEqual([]);

    // while serve is down, another job fails: only its event is stored
    const r2 = await runPillarsd(['run', 'weekly', '--config', sb.configFile]);
    expect(r2.code, r2.stderr).toBe(1);
    expect(outbox()).toHaveLength(1);

    const second = reg.track(spawnPillarsd(['serve', '--config', sb.configFile]));
    await second.waitForLine(/serving http:\/\/\S+/);
    await web.waitFor(1, () => true, 30_000);
    for (let i = 0; i < 400 && outbox().some((o) => o.state !== 'sent'); i++) await sleep(25);
    // nothing else arrives (a delivery marked sent is never sent again)
    await sleep(2000);
    const notices = web.requests.flatMap((r) => (JSON.parse(r.body) as WebhookBody).notices);
    expect(notices.map((n) => `${n.jobId}:${n.kind}:${n.phase}`).sort()).toEqual(['nightly:failed:opened', 'weekly:failed:opened']);
    expect(
      outbox().map((o) => o.state),
      JSON.stringify(outbox()),
    ).toEqual(['sent', 'sent']);
    expect(web.requests.every((r) => r.status === 200)).toBe(true);
    await second.stop();
  }, 90_000);
});
