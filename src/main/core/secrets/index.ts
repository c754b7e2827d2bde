// Builds the secrets chain the settings describe: the keychain cache, then the authoritative
// source (Key Vault or 1Password), with 1Password after the vault when both are configured and
// stdin last (CLI only, `--password-stdin`).
import type { Exec } from '../../../platform/types';
import type { ClientSettings } from '../../../shared/settings';
import { akvSource } from './akv';
import type { AkvOptions } from './akv';
import { secretsChain } from './chain';
import type { Secrets } from './chain';
import { KeychainStore, keychainAccount, keychainSource } from './keychain';
import { onePasswordSource } from './onepassword';
import { stdinSource } from './stdin';
import { passwordFileSource } from './file';
import type { SecretCache, SecretSource } from './types';

export { secretsChain } from './chain';
export type { Secrets, Password } from './chain';
export { KeychainStore, keychainAccount, KEYCHAIN_SERVICE } from './keychain';
export { NoSecretError, SecretSourceError } from './types';
export type { SecretSource, SecretCache, SourceId } from './types';

export interface SecretsEnv {
  exec: Exec;
  env?: NodeJS.ProcessEnv;
  /** CLI only: the stream `--password-stdin` reads */
  stdin?: NodeJS.ReadableStream | null;
  /** device-code prompt (CLI: stderr; tray: a notification) */
  prompt?: (message: string) => void;
  /** tests and doctor may swap the keychain */
  cache?: SecretCache | null;
  /** `--password-file`: a 0600 file, asked before the configured sources */
  passwordFile?: string;
}

/** The Key Vault source's options from the client settings: one mapping for the chain and `pillars doctor`. */
export function akvOptions(s: ClientSettings, extra: Pick<AkvOptions, 'clientSecret' | 'prompt'>): AkvOptions {
  return {
    vaultUrl: s.secret.vaultUrl,
    name: s.secret.name,
    credential: s.secret.credential,
    tenantId: s.secret.tenantId || undefined,
    clientId: s.secret.clientId || undefined,
    authorityHost: s.secret.authorityHost || undefined,
    disableChallengeResourceVerification: s.secret.disableChallengeResourceVerification,
    ...extra,
  };
}

export function buildSecrets(s: ClientSettings, e: SecretsEnv): Secrets {
  const env = e.env ?? process.env;
  const store = new KeychainStore(keychainAccount(s.smb.username, s.smb.host));
  const cache = e.cache !== undefined ? e.cache : store;
  const sources: SecretSource[] = e.passwordFile ? [passwordFileSource(e.passwordFile)] : [];
  const akv = () =>
    akvSource(
      akvOptions(s, {
        clientSecret: async () => env.AZURE_CLIENT_SECRET || (await new KeychainStore('azure-client-secret').get().catch(() => null)),
        prompt: e.prompt,
      }),
    );
  const op = () => onePasswordSource({ ref: s.secret.opRef, exec: e.exec, env });
  switch (s.secret.source) {
    case 'keychain':
      return secretsChain({ cache: null, sources: [...sources, keychainSource(store), ...(e.stdin ? [stdinSource(e.stdin)] : [])] });
    case 'akv':
      sources.push(akv());
      if (s.secret.opRef) sources.push(op());
      break;
    case '1password':
      sources.push(op());
      break;
    case 'stdin':
      break;
  }
  if (e.stdin) sources.push(stdinSource(e.stdin));
  return secretsChain({ cache, sources });
}
