// pillarsd samba render | diff | apply [--force] | rollback | passwd USER [--rotate]
import type { Command } from 'commander';
import { CliExit, action, loadOrExit, printJson, withCommon, type CommonOpts } from './engine-shared';
import { sambaFromConfig } from '../../samba/compose';
import { SambaApplyError, type ApplyResult } from '../../samba/manager';
import { PasswdError } from '../../samba/passwd';

const actor = () => `cli:${process.env.SUDO_USER ?? process.env.USER ?? 'root'}`;

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof SambaApplyError) throw new CliExit(e.exitCode, e.problems.length > 1 ? `${e.message.split(':')[0]}:\n  ${e.problems.join('\n  ')}` : e.message);
    if (e instanceof PasswdError) throw new CliExit(e.exitCode, e.message);
    throw e;
  }
}

function printResult(r: ApplyResult, json: boolean | undefined): void {
  if (json) printJson({ changed: r.changed, reloaded: r.reloaded, answered: r.answered, restartNeeded: r.restartNeeded, backup: r.backup, messages: r.messages, versions: r.state.versions });
  else for (const m of r.messages) process.stdout.write(`${m}\n`);
}

export function registerSamba(program: Command): void {
  const samba = program.command('samba').description('the Samba configuration pillarsd owns (render, diff, apply, rollback, passwd)');

  withCommon(samba.command('render').description('print the config pillarsd would write (nothing is changed)')).action(
    action(async (opts: CommonOpts) => {
      const { config } = loadOrExit(opts);
      const { manager } = sambaFromConfig(config);
      const { model, text } = await guard(() => manager.plan());
      if (opts.json) printJson({ target: model.targetFile, mode: model.mode, text });
      else process.stdout.write(text);
    }),
  );

  withCommon(samba.command('diff').description('show how the live file differs from the rendered one, and whether it was edited by hand')).action(
    action(async (opts: CommonOpts) => {
      const { config } = loadOrExit(opts);
      const s = await sambaFromConfig(config).manager.state();
      if (opts.json) printJson(s);
      else {
        process.stdout.write(s.diff || 'no difference: the live file is what pillarsd renders\n');
        for (const m of s.messages) process.stderr.write(`${m}\n`);
      }
      return s.valid ? 0 : 2;
    }),
  );

  withCommon(samba.command('apply').description('validate, testparm, replace atomically, reload smbd, check the shares').option('--force', 'overwrite a hand-edited file (it is kept in the version history)')).action(
    action(async (opts: CommonOpts & { force?: boolean }) => {
      const { config } = loadOrExit(opts);
      const r = await guard(() => sambaFromConfig(config).manager.apply(actor(), { force: opts.force }));
      printResult(r, opts.json);
      return r.changed && (r.reloaded === false || r.answered === false) ? 1 : 0;
    }),
  );

  withCommon(samba.command('rollback').description('put the previous config version back, byte for byte, and reload')).action(
    action(async (opts: CommonOpts) => {
      const { config } = loadOrExit(opts);
      const r = await guard(() => sambaFromConfig(config).manager.rollback(actor()));
      printResult(r, opts.json);
      return r.reloaded !== false && r.answered !== false ? 0 : 1;
    }),
  );

  withCommon(
    samba
      .command('passwd')
      .argument('<user>', 'Samba user (a Unix account)')
      .description("set USER's SMB password from its secret (samba.passwords.USER); --rotate writes a new random version to the vault first")
      .option('--rotate', 'generate a new password, store it in the vault, then set it in Samba'),
  ).action(
    action(async (user: string, opts: CommonOpts & { rotate?: boolean }) => {
      const { config } = loadOrExit(opts);
      const r = await guard(() => sambaFromConfig(config).passwd(user, { rotate: opts.rotate }));
      if (opts.json) printJson({ user, rotated: r.rotated });
      else process.stdout.write(`${user}: SMB password ${r.rotated ? 'rotated (new vault version) and ' : ''}set from the vault\n`);
    }),
  );
}
