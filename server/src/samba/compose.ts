// Builds the Samba manager, its API and the passwd action from a loaded pillarsd.yaml. The CLI
// (samba commands) and `serve` (SambaApi for the HTTP layer) both call this.
import type { Config } from '../config/schema';
import { nodeExec, type Exec } from '../infra/exec';
import { systemClock } from '../infra/clock';
import type { Clock } from '../ports/clock';
import { createSambaHost, createSmbclientProbe } from '../infra/samba-host';
import { createLayoutFs } from '../infra/layout-fs';
import { akvPasswordSecret } from '../infra/akv-password';
import { realBackends } from '../secrets/sources';
import { runSecrets } from '../secrets/resolver';
import { parseSecretRef } from '../secrets/refs';
import type { SambaApi } from '../ports/services';
import { SambaManager } from './manager';
import { sambaInputFromConfig } from './from-config';
import { createSambaApi } from './api';
import { PasswdError, setSmbPasswordFromSecret, type PasswordSecret } from './passwd';
import type { SambaHost } from './host';

export interface SambaComposeDeps {
  exec?: Exec;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  audit?: (actor: string, action: string, target: string, detail: string) => void;
}

export interface SambaWiring {
  manager: SambaManager;
  api: SambaApi;
  host: SambaHost;
  /** The password secret of a Samba user (samba.passwords.USER names an entry under secrets:). */
  passwordSecret(user: string): PasswordSecret;
  passwd(user: string, opts: { rotate?: boolean }): Promise<{ rotated: boolean }>;
}

export function sambaFromConfig(config: Config, deps: SambaComposeDeps = {}): SambaWiring {
  const exec = deps.exec ?? nodeExec;
  const env = deps.env ?? process.env;
  // avahi-browse and dbus-send reach avahi-daemon over the system bus; a non-default bus address
  // (a container, the tests' private bus) travels with them.
  const host = createSambaHost({
    exec,
    testparmBin: config.samba?.testparm,
    smbcontrolBin: config.samba?.smbcontrol,
    smbdBin: config.samba?.smbd,
    env: { PATH: env.PATH, LANG: 'C', ...(env.DBUS_SYSTEM_BUS_ADDRESS ? { DBUS_SYSTEM_BUS_ADDRESS: env.DBUS_SYSTEM_BUS_ADDRESS } : {}) },
  });
  const backends = realBackends({ env, exec, akv: config.akv });

  const passwordSecret = (user: string): PasswordSecret => {
    const name = config.samba?.passwords?.[user];
    if (!name) throw new PasswdError(`samba.passwords has no entry for '${user}' (name the secret under secrets: that holds this user's SMB password)`, 2);
    const ref = config.secrets[name];
    if (!ref) throw new PasswdError(`samba.passwords.${user}: '${name}' is not declared under secrets:`, 2);
    const parsed = parseSecretRef(ref);
    if (parsed.kind === 'akv') {
      return akvPasswordSecret({
        vault: parsed.vault,
        name: parsed.name,
        endpoint: config.akv?.endpoint,
        disableChallengeResourceVerification: config.akv?.disableChallengeResourceVerification,
        env,
      });
    }
    // env:, file: and op: references can be read but not rotated.
    return { ref, get: () => runSecrets({ [name]: ref }, backends).get(name) };
  };

  const check = config.samba?.check;
  const probe = check ? createSmbclientProbe({ exec, host: check.host, user: check.user, password: () => passwordSecret(check.user).get(), configFile: check.smbclientConf }) : undefined;
  const manager = new SambaManager({
    host,
    clock: deps.clock ?? systemClock,
    stateDir: config.stateDir,
    input: () => sambaInputFromConfig(config),
    probe,
    folders: createLayoutFs(exec),
    audit: deps.audit,
  });
  return {
    manager,
    api: createSambaApi(manager),
    host,
    passwordSecret,
    passwd: (user, opts) => setSmbPasswordFromSecret({ host, configFile: config.samba?.configFile ?? '/etc/samba/smb.conf', secret: passwordSecret(user) }, user, opts),
  };
}
