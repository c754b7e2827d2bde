// `pillarsd pair`: a one-time code, valid 10 minutes, that a client trades for a token.
import type { Command } from 'commander';
import { action, CliExit, loadOrExit, printJson, withCommon, type CommonOpts } from './engine-shared';
import { TokenStore, validRole } from '../../store/tokens';
import { PairingStore, pairingKeyFile } from '../../store/pairing';
import { secretFile } from '../../infra/fs';
import { AuditLog } from '../../store/audit';
import { cliActor, fingerprintFor, withStores } from './token';

interface PairOpts extends CommonOpts {
  role: string;
  name?: string;
}

export function registerPair(program: Command): void {
  withCommon(program.command('pair').description('print a one-time pairing code (10 minutes) a client trades for a token'))
    .option('--role <role>', 'viewer or admin', 'viewer')
    .option('--name <name>', 'name for the token the client gets (else the client names itself)')
    .action(
      action(async (opts: PairOpts) => {
        if (!validRole(opts.role)) throw new CliExit(2, `--role must be viewer or admin, not "${opts.role}"`);
        const role = opts.role;
        const loaded = loadOrExit(opts);
        const fingerprint = fingerprintFor(loaded);
        const code = withStores(loaded, (db) => {
          const c = new PairingStore(db, new TokenStore(db), secretFile(pairingKeyFile(loaded.config.stateDir))).create({ role, name: opts.name });
          new AuditLog(db).record({ actor: cliActor(), action: 'pair.code', target: null, detail: `role ${role}, expires ${c.expiresAt}` });
          return c;
        });
        if (opts.json) return printJson({ ...code, fingerprint });
        process.stdout.write(
          `pairing code: ${code.code}  (${code.role}, valid until ${code.expiresAt}, usable once)\n` +
            (fingerprint ? `server certificate SHA-256: ${fingerprint}\n  (check that the client shows the same fingerprint before you confirm)\n` : ''),
        );
      }),
    );
}
