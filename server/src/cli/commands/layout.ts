// pillarsd layout init | audit
import type { Command } from 'commander';
import { CliExit, action, loadOrExit, printJson, withCommon, type CommonOpts } from './engine-shared';
import type { Config } from '../../config/schema';
import { nodeExec } from '../../infra/exec';
import { createLayoutFs, findBundledPolicy, readTextFile } from '../../infra/layout-fs';
import { parsePolicy, PolicyError, type LayoutPolicy } from '../../layout/policy';
import { auditLayout, type LayoutPillar } from '../../layout/audit';
import { initLayout } from '../../layout/init';

type LayoutOpts = CommonOpts & { policy?: string };

async function loadPolicy(config: Config, flag: string | undefined): Promise<LayoutPolicy> {
  const file = flag ?? config.layout?.policy ?? (await findBundledPolicy());
  if (!file) throw new CliExit(2, 'no layout policy: give --policy FILE or set layout.policy in pillarsd.yaml');
  let text: string;
  try {
    text = await readTextFile(file);
  } catch (e) {
    throw new CliExit(2, `${file}: cannot read the layout policy: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return parsePolicy(text, file);
  } catch (e) {
    if (e instanceof PolicyError) throw new CliExit(2, e.message);
    throw e;
  }
}

function pillarsOf(config: Config): LayoutPillar[] {
  return Object.entries(config.pillars).map(([id, p]) => ({ id, path: p.path, requireMount: p.requireMount }));
}

export function registerLayout(program: Command): void {
  const layout = program.command('layout').description('the folder layout inside the pillars (layout-policy.yaml)');
  const withPolicy = (c: Command) => withCommon(c).option('--policy <file>', 'layout policy (default: layout.policy, else the bundled layout-policy.yaml)');

  withPolicy(layout.command('init').description('create the missing folders and .pillar sentinels with their owners and modes')).action(
    action(async (opts: LayoutOpts) => {
      const { config } = loadOrExit(opts);
      const policy = await loadPolicy(config, opts.policy);
      let actions;
      try {
        actions = await initLayout(policy, pillarsOf(config), config.samba?.validUsers ?? [], createLayoutFs(nodeExec));
      } catch (e) {
        throw new CliExit(2, (e as Error).message);
      }
      if (opts.json) printJson({ actions });
      else for (const a of actions) process.stdout.write(`${a.action.padEnd(16)} ${a.path}  ${a.detail}\n`);
      return actions.some((a) => a.action === 'skipped') ? 1 : 0;
    }),
  );

  withPolicy(layout.command('audit').description('report drift from the policy; exit 1 when there is any')).action(
    action(async (opts: LayoutOpts) => {
      const { config } = loadOrExit(opts);
      const policy = await loadPolicy(config, opts.policy);
      const r = await auditLayout(policy, pillarsOf(config), config.samba?.validUsers ?? [], createLayoutFs(nodeExec));
      if (opts.json) printJson(r);
      else if (r.ok) process.stdout.write(`no drift (${r.checked} folders checked)\n`);
      else for (const d of r.drift) process.stdout.write(`${d.kind.padEnd(16)} ${d.message}\n`);
      return r.ok ? 0 : 1;
    }),
  );
}
