// pillarsd.yaml → the Samba model input. Validation of the values happens in buildModel.
import type { Config } from '../config/schema';
import type { SambaModelInput } from './model';

export function sambaInputFromConfig(config: Config): SambaModelInput {
  const s = config.samba;
  return {
    mode: s?.mode ?? 'include',
    configFile: s?.configFile ?? '/etc/samba/smb.conf',
    includeFile: s?.includeFile,
    validUsers: [...(s?.validUsers ?? [])],
    keepVersions: s?.keepVersions,
    fruitModel: s?.fruitModel,
    pillars: Object.entries(config.pillars).map(([id, p]) => ({
      id,
      path: p.path,
      comment: p.label,
      timeMachine: p.timeMachine ? { maxSize: p.timeMachine.maxSize === undefined ? '' : String(p.timeMachine.maxSize), perUser: p.timeMachine.perUser } : undefined,
    })),
  };
}
