// `pillarsd token create|list|revoke`: API tokens, shown once, stored as hashes.
import os from 'node:os';
import type { Command } from 'commander';
import { action, CliExit, loadOrExit, printJson, withCommon, type CommonOpts } from './engine-shared';
import type { LoadedConfig } from '../../config/load';
import { openDb, stateDbPath, type Db } from '../../store/db';
import { TokenStore, validRole } from '../../store/tokens';
import { AuditLog } from '../../store/audit';
import { resolveTls } from '../http';

/** Who ran a CLI command, for the audit log (the shell user; sudo keeps the invoking one). */
export function cliActor(env: NodeJS.ProcessEnv = process.env): string {
  let user = env.SUDO_USER || env.USER;
  if (!user) {
    try {
      user = os.userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  return `cli:${user}`;
}

export function withStores<T>(loaded: LoadedConfig, fn: (db: Db) => T): T {
  const db = openDb(stateDbPath(loaded.config.stateDir));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** The certificate fingerprint clients pin (the auto pair is created now if it isn't yet). */
export function fingerprintFor(loaded: LoadedConfig): string | null {
  try {
    return resolveTls(loaded.config.server, loaded.config.stateDir)?.fingerprint ?? null;
  } catch (e) {
    throw new CliExit(2, (e as Error).message);
  }
}

interface CreateOpts extends CommonOpts {
  role?: string;
  name?: string;
}

export function registerToken(program: Command): void {
  const token = program.command('token').description('API tokens: create (shown once), list, revoke');

  withCommon(token.command('create').description('create a token and print it once'))
    .requiredOption('--role <role>', 'admin or viewer')
    .option('--name <name>', 'how the token shows in lists and the audit log')
    .action(
      action(async (opts: CreateOpts) => {
        if (!validRole(opts.role)) throw new CliExit(2, `--role must be admin or viewer, not "${String(opts.role)}"`);
        const role = opts.role;
        const loaded = loadOrExit(opts);
        const fingerprint = fingerprintFor(loaded);
        const created = withStores(loaded, (db) => {
          let c;
          try {
            c = new TokenStore(db).create({ role, name: opts.name });
          } catch (e) {
            throw new CliExit(2, (e as Error).message);
          }
          new AuditLog(db).record({ actor: cliActor(), action: 'token.create', target: c.id, detail: `role ${role}, name ${c.info.name}` });
          return c;
        });
        if (opts.json) return printJson({ id: created.id, token: created.token, fingerprint });
        process.stdout.write(
          `token ${created.id} (${created.info.role}, "${created.info.name}"):\n\n  ${created.token}\n\n` +
            `It is shown only this once; pillarsd keeps a hash of it.\n` +
            (fingerprint ? `Server certificate SHA-256: ${fingerprint}\n` : 'TLS is off: clients connect over plain HTTP (loopback only).\n'),
        );
      }),
    );

  withCommon(token.command('list').description('list tokens (never their secrets)')).action(
    action(async (opts: CommonOpts) => {
      const tokens = withStores(loadOrExit(opts), (db) => new TokenStore(db).list());
      if (opts.json) return printJson({ tokens });
      if (tokens.length === 0) return void process.stdout.write('no tokens (pillarsd token create --role admin)\n');
      for (const t of tokens) {
        const state = t.revokedAt ? `revoked ${t.revokedAt}` : `last used ${t.lastUsedAt ?? 'never'}`;
        const client = t.clientVersion ? `  client ${t.clientVersion}${t.clientOs ? ` ${t.clientOs}` : ''}` : '';
        process.stdout.write(`${t.id}  ${t.role.padEnd(6)}  ${t.name.padEnd(24)}  created ${t.createdAt}  ${state}${client}  updates ${t.updateChannel}\n`);
      }
    }),
  );

  withCommon(token.command('revoke').description('revoke a token by id').argument('<id>', 'the token id (pillarsd token list)')).action(
    action(async (id: string, opts: CommonOpts) => {
      if (!/^[0-9a-f]{16}$/.test(id)) throw new CliExit(2, `"${id.slice(0, 40)}" is not a token id (16 hex digits, see pillarsd token list)`);
      const t = withStores(loadOrExit(opts), (db) => {
        const r = new TokenStore(db).revoke(id);
        if (r) new AuditLog(db).record({ actor: cliActor(), action: 'token.revoke', target: id, detail: null });
        return r;
      });
      if (!t) throw new CliExit(1, `no token ${id}`);
      if (opts.json) return printJson(t);
      process.stdout.write(`revoked ${t.id} (${t.role}, "${t.name}")\n`);
    }),
  );
}
