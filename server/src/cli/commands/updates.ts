// `pillarsd updates add|list|channel`: the tray builds pillarsd offers its paired clients
// (electron-updater's generic feed, GET /api/v1/updates/…). `add` checks every file against its
// feed and the channel's current version before it writes anything.
import type { Command } from 'commander';
import { action, CliExit, loadOrExit, printJson, withCommon, type CommonOpts } from './engine-shared';
import { cliActor, withStores } from './token';
import { TokenStore } from '../../store/tokens';
import { AuditLog } from '../../store/audit';
import { UpdateRefused, UpdateService } from '../../updates/service';
import { validChannel, type Channel } from '../../updates/feed';

interface AddOpts extends CommonOpts {
  channel?: string;
}

function channelOpt(x: string | undefined, flag: string): Channel {
  const c = x ?? 'stable';
  if (!validChannel(c)) throw new CliExit(2, `${flag} must be stable or beta, not "${c.slice(0, 40)}"`);
  return c;
}

export function registerUpdates(program: Command): void {
  const updates = program.command('updates').description('tray builds offered to the paired clients: add, list, channel');

  withCommon(
    updates
      .command('add')
      .description("publish a tray release: electron-builder's latest*.yml and the builds they name (found beside the feed when not given)")
      .argument('<file...>', 'latest.yml, latest-mac.yml, latest-linux.yml and their builds'),
  )
    .option('--channel <channel>', 'stable or beta', 'stable')
    .action(
      action(async (files: string[], opts: AddOpts) => {
        const channel = channelOpt(opts.channel, '--channel');
        const loaded = loadOrExit(opts);
        let r;
        try {
          r = await new UpdateService(loaded.config.stateDir).add(files, channel);
        } catch (e) {
          if (e instanceof UpdateRefused) throw new CliExit(1, e.message);
          throw e;
        }
        if (r.published.length) {
          withStores(loaded, (db) => new AuditLog(db).record({ actor: cliActor(), action: 'updates.add', target: channel, detail: r.published.map((p) => `${p.feed} ${p.version}`).join(', ') }));
        }
        if (opts.json) return printJson(r);
        for (const p of r.published) process.stdout.write(`${channel}: ${p.feed} now offers ${p.version}${p.previous ? ` (was ${p.previous})` : ''}\n`);
        for (const u of r.unchanged) process.stdout.write(`${channel}: ${u} already offers this release; nothing changed\n`);
      }),
    );

  withCommon(updates.command('list').description('what each channel offers')).action(
    action(async (opts: CommonOpts) => {
      const listing = new UpdateService(loadOrExit(opts).config.stateDir).list();
      if (opts.json) return printJson({ channels: listing });
      for (const c of listing) {
        if (!c.feeds.length) {
          process.stdout.write(`${c.channel}: nothing published (pillarsd updates add${c.channel === 'beta' ? ' --channel beta' : ''} latest.yml …)\n`);
          continue;
        }
        for (const f of c.feeds) process.stdout.write(`${c.channel}: ${f.name.padEnd(18)} ${f.version.padEnd(12)} ${f.files.map((x) => x.name).join(', ')}\n`);
      }
    }),
  );

  withCommon(
    updates.command('channel').description('set which builds a client is offered, by its token id (pillarsd token list)').argument('<token-id>', 'the client token id').argument('<channel>', 'stable or beta'),
  ).action(
    action(async (id: string, ch: string, opts: CommonOpts) => {
      if (!/^[0-9a-f]{16}$/.test(id)) throw new CliExit(2, `"${id.slice(0, 40)}" is not a token id (16 hex digits, see pillarsd token list)`);
      const channel = channelOpt(ch, 'the channel');
      const t = withStores(loadOrExit(opts), (db) => {
        const r = new TokenStore(db).setChannel(id, channel);
        if (r) new AuditLog(db).record({ actor: cliActor(), action: 'updates.channel', target: id, detail: channel });
        return r;
      });
      if (!t) throw new CliExit(1, `no token ${id}`);
      if (opts.json) return printJson(t);
      process.stdout.write(`${t.id} ("${t.name}") is offered ${channel} builds\n`);
    }),
  );
}
