// `pillarsd login-link`: a URL that signs a browser into the admin pane with one click, instead of
// pasting a token. It carries a one-time pairing code (valid 10 minutes, usable once) in the URL's
// fragment, which browsers never send to a server or in a Referer; the pane trades it for a token
// with POST /api/v1/pair, keeps the token in the tab's sessionStorage and drops the code from the
// address bar and the history (history.replaceState) before doing anything else.
import os from 'node:os';
import type { Command } from 'commander';
import type { Role } from '../../contract/api';
import type { Db } from '../../store/db';
import { TokenStore, validRole } from '../../store/tokens';
import { PairingStore, pairingKeyFile } from '../../store/pairing';
import { secretFile } from '../../infra/fs';
import { AuditLog } from '../../store/audit';
import { StateStore } from '../../store/runs';
import { splitListen } from '../../http/listen';
import type { LoadedConfig } from '../../config/load';
import { action, CliExit, loadOrExit, printJson, withCommon, type CommonOpts } from './engine-shared';
import { cliActor, withStores } from './token';

/** Where `serve` records the URL it listens on (the only way to know a port chosen at start). */
export const SERVED_URL_KEY = 'server.url';

export interface LoginLink {
  url: string;
  role: Role;
  expiresAt: string;
}

/** A one-time code for `role`, recorded in the audit log, as a link into the pane at `baseUrl`. */
export function createLoginLink(db: Db, o: { baseUrl: string; role: Role; actor: string; stateDir: string }): LoginLink {
  const code = new PairingStore(db, new TokenStore(db), secretFile(pairingKeyFile(o.stateDir))).create({ role: o.role, name: `browser (login link, ${o.actor})` });
  new AuditLog(db).record({ actor: o.actor, action: 'login.link', target: null, detail: `role ${o.role}, expires ${code.expiresAt}` });
  return { url: `${o.baseUrl.replace(/\/+$/, '')}/#login=${code.code}`, role: o.role, expiresAt: code.expiresAt };
}

/**
 * The pane's address as a browser on the network reaches it: the configured scheme and port, and
 * the listen address unless it is every address (then the first of server.allowedHosts, else this
 * machine's name). A port chosen at start (`:0`) is known only to the running server, which
 * records its URL in the state database.
 */
export function paneBaseUrl(loaded: LoadedConfig, recorded: string | null): string {
  const s = loaded.config.server;
  const { host, port } = splitListen(s.listen);
  if (port === 0) {
    if (recorded) return recorded;
    throw new CliExit(2, `server.listen (${s.listen}) lets pillarsd choose its port when it starts, and no running pillarsd has recorded its URL in ${loaded.config.stateDir}: start it first, or pass --url`);
  }
  const scheme = s.tls === 'off' ? 'http' : 'https';
  const name = host === '0.0.0.0' || host === '::' ? (s.allowedHosts[0] ?? os.hostname()) : host;
  return `${scheme}://${name.includes(':') ? `[${name}]` : name}:${port}`;
}

interface LoginLinkOpts extends CommonOpts {
  role: string;
  url?: string;
}

export function registerLoginLink(program: Command): void {
  withCommon(program.command('login-link').description('print a URL that signs a browser into the admin pane (valid 10 minutes, usable once)'))
    .option('--role <role>', 'viewer or admin', 'admin')
    .option('--url <url>', "the pane's address as the browser reaches it (default: from server.listen)")
    .action(
      action(async (opts: LoginLinkOpts) => {
        if (!validRole(opts.role)) throw new CliExit(2, `--role must be viewer or admin, not "${opts.role}"`);
        const role = opts.role;
        if (opts.url !== undefined && !/^https?:\/\/[^/\s#?]+\/?$/.test(opts.url)) throw new CliExit(2, `--url must be http(s)://HOST[:PORT], not "${opts.url}"`);
        const loaded = loadOrExit(opts);
        const link = withStores(loaded, (db) => {
          const baseUrl = opts.url ?? paneBaseUrl(loaded, new StateStore(db).get(SERVED_URL_KEY));
          return createLoginLink(db, { baseUrl, role, actor: cliActor(), stateDir: loaded.config.stateDir });
        });
        if (opts.json) return printJson(link);
        process.stdout.write(`login link: ${link.url}\n  (${link.role}, valid until ${link.expiresAt}, usable once: open it in the browser that should be signed in)\n`);
      }),
    );
}
