// pillarsd notify test [CHANNEL]: sends a test message now (past the outbox) to one channel or to
// every channel, prints what happened, and records it as the channel's last delivery (the pane's
// Notifications page shows it). Exit 0 when every channel took it, 1 when one did not, 2 for a
// channel that is not in pillarsd.yaml.
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { CliExit, action, loadOrExit, printJson, withCommon, type CommonOpts } from './engine-shared';
import { openDb, stateDbPath } from '../../store/db';
import { EventStore } from '../../store/events';
import { NotifyStore } from '../../store/notify';
import { Notifier } from '../../notify/service';
import { describeTarget } from '../../notify/channels';
import { nodeNotifyTransport } from '../../infra/notify-transport';
import { systemClock } from '../../infra/clock';
import { nodeExec } from '../../infra/exec';
import { realBackends } from '../../secrets/sources';
import { NotFoundError } from '../../ports/errors';

const actor = () => `cli:${process.env.SUDO_USER ?? process.env.USER ?? 'root'}`;

export function registerNotify(program: Command): void {
  const notify = program.command('notify').description('notification channels (notifications: in pillarsd.yaml)');
  withCommon(notify.command('test').argument('[channel]', 'one channel (default: all of them)').description('send a test message now and say whether it arrived')).action(
    action(async (channel: string | undefined, opts: CommonOpts) => {
      const { config } = loadOrExit(opts);
      const channels = config.notifications?.channels ?? {};
      if (Object.keys(channels).length === 0) throw new CliExit(2, 'pillarsd.yaml has no notification channels (notifications.channels)');
      const db = openDb(stateDbPath(config.stateDir));
      try {
        const notifier = new Notifier({
          config,
          store: new NotifyStore(db),
          hub: new EventStore(db),
          clock: systemClock,
          secretBackends: realBackends({ env: process.env, exec: nodeExec, akv: config.akv }),
          transport: nodeNotifyTransport,
          hostname: hostname(),
          log: (m) => process.stderr.write(`pillarsd: ${m}\n`),
        });
        let results;
        try {
          results = await notifier.test(channel, actor());
        } catch (e) {
          if (e instanceof NotFoundError) throw new CliExit(2, e.message);
          throw e;
        }
        if (opts.json) printJson({ results });
        else for (const r of results) process.stdout.write(`${r.ok ? 'sent' : 'FAILED'}  ${r.channel}  ${describeTarget(channels[r.channel]!)}${r.error ? `: ${r.error}` : ''}\n`);
        return results.every((r) => r.ok) ? 0 : 1;
      } finally {
        db.close();
      }
    }),
  );
}
