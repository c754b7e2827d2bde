// The Samba side of `pillarsd check`: the rendered config (our validation, the admin's smb.conf,
// testparm) and the VFS modules it names, as separate lines so an operator sees which one failed.
import { SambaApplyError, type SambaManager } from './manager';
import { missingVfsModules, vfsModulesOf } from './modules';
import type { SambaHost } from './host';

export interface CheckItem {
  what: string;
  ok: boolean;
  detail: string;
}

export async function sambaCheckItems(manager: SambaManager, host: SambaHost): Promise<CheckItem[]> {
  let plan;
  try {
    plan = await manager.plan();
  } catch (e) {
    if (!(e instanceof SambaApplyError)) throw e;
    return [{ what: 'samba config', ok: false, detail: (e.problems.length ? e.problems : [e.message]).join('; ') }];
  }
  const modules = vfsModulesOf(plan.model);
  const missing = await missingVfsModules(modules, host);
  const { problems } = await manager.verify(plan.model, plan.text);
  const other = problems.filter((p) => !missing.includes(p));
  return [
    {
      what: 'samba config',
      ok: other.length === 0,
      detail: other.length === 0 ? `${plan.model.targetFile} as rendered passes testparm (${plan.model.shares.length} shares)` : other.join('; '),
    },
    { what: 'smbd vfs modules', ok: missing.length === 0, detail: missing.length === 0 ? `smbd can load ${modules.join(', ')}` : missing.join('; ') },
  ];
}
