// pillarsd.yaml → the Samba model input. Validation of the values happens in buildModel.
import type { Config } from '../config/schema';
import type { SambaModelInput } from './model';

/** Where avahi-daemon reads static services (Debian's avahi-daemon package). */
export const DEFAULT_SERVICE_FILE = '/etc/avahi/services/pillars.service';

export function sambaInputFromConfig(config: Config): SambaModelInput {
  const s = config.samba;
  return {
    mode: s?.mode ?? 'include',
    configFile: s?.configFile ?? '/etc/samba/smb.conf',
    includeFile: s?.includeFile,
    validUsers: [...(s?.validUsers ?? [])],
    keepVersions: s?.keepVersions,
    fruitModel: s?.fruitModel,
    global: s?.global,
    bonjour: s?.bonjour === false ? null : { serviceFile: s?.bonjour?.serviceFile ?? DEFAULT_SERVICE_FILE },
    pillars: Object.entries(config.pillars).map(([id, p]) => ({
      id,
      path: p.path,
      comment: p.label,
      smbEncrypt: p.smbEncrypt,
      timeMachine: p.timeMachine ? { maxSize: p.timeMachine.maxSize ?? '', perUser: p.timeMachine.perUser } : undefined,
    })),
  };
}
