// `pillars status` without the weight of the full client: the settings peeked (no ajv), the
// platform adapter and a mount manager whose secrets are never asked (a check mounts nothing).
import { completeness, SettingsError } from '../../shared/settings';
import type { PillarSpec, SmbServer } from '../../platform/types';
import { smbProbe } from '../../platform/host';
import { createPlatform, runtimeDir } from '../../platform';
import { readStatusFile, statusFilePath } from './statusFile';
import { mergeRecorded } from './mounts/recorded';
import { expandHome, peekSettings } from './settings/peek';
import { MountManager } from './mounts/manager';
import type { PillarStatus } from './mounts/manager';
import { secretsChain } from './secrets/chain';
import { systemNetworkLocator } from './mounts/network';
import { fileHomeStore } from './homeStore';
import path from 'node:path';
import type { ClientSettings } from '../../shared/settings';

export async function statusCheck(o: { settingsFile?: string; env?: NodeJS.ProcessEnv; probeDeadlineMs?: number; serverTimeoutMs?: number }): Promise<{ settings: ClientSettings; pillars: PillarStatus[] }> {
  const env = o.env ?? process.env;
  const store = peekSettings(o.settingsFile);
  const settings = store.get();
  const missing = completeness(settings);
  if (missing.length) throw new SettingsError(store.path, missing[0]!.key, `${missing[0]!.reason} (fix: ${missing[0]!.fix})`);
  const server: SmbServer = { host: settings.smb.host, username: settings.smb.username, ...(settings.smb.domain ? { domain: settings.smb.domain } : {}) };
  const pillars: PillarSpec[] = settings.pillars.map((p) => ({ id: p.id, share: p.share, label: p.label, ...(p.drive ? { drive: p.drive } : {}) }));
  const manager = new MountManager({
    platform: createPlatform({ mountRoot: expandHome(settings.mountRoot, env.HOME), links: settings.links, linuxBackend: settings.linux.backend, env }),
    secrets: secretsChain({ cache: null, sources: [] }),
    server,
    pillars,
    serverProbe: smbProbe,
    network: systemNetworkLocator(),
    home: fileHomeStore(path.join(path.dirname(store.path), 'home-network.json')),
    probeDeadlineMs: o.probeDeadlineMs,
    serverTimeoutMs: o.serverTimeoutMs,
  });
  const live = await manager.check();
  const { rec, alive } = readStatusFile(statusFilePath(runtimeDir(env)));
  return { settings, pillars: mergeRecorded(live, rec, alive) };
}
