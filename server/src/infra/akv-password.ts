// A Key Vault secret that can also be written (for `samba passwd --rotate`), through the real
// SDK. Credential: DefaultAzureCredential (managed identity, environment, Azure CLI…), with a
// custom authority host when AZURE_AUTHORITY_HOST is set (as the engine's secret backend does).
// The SDK is loaded on first use: it costs a third of a second at start-up and most commands never
// touch the vault.
import type { TokenCredential } from '@azure/identity';
import type { SecretClient } from '@azure/keyvault-secrets';
import type { PasswordSecret } from '../samba/passwd';

export interface AkvPasswordOptions {
  vault: string;
  name: string;
  /** URL template, {vault} replaced (config `akv.endpoint`). */
  endpoint?: string;
  disableChallengeResourceVerification?: boolean;
  credential?: TokenCredential;
  env?: NodeJS.ProcessEnv;
}

export function akvPasswordSecret(o: AkvPasswordOptions): PasswordSecret {
  const env = o.env ?? process.env;
  const url = (o.endpoint ?? 'https://{vault}.vault.azure.net').replace('{vault}', o.vault);
  let client: SecretClient | undefined;
  const get = async () => {
    if (!client) {
      const [{ DefaultAzureCredential }, { SecretClient }] = await Promise.all([import('@azure/identity'), import('@azure/keyvault-secrets')]);
      const authorityHost = env.AZURE_AUTHORITY_HOST;
      const credential = o.credential ?? new DefaultAzureCredential(authorityHost ? { authorityHost, disableInstanceDiscovery: true } : {});
      client = new SecretClient(url, credential, { disableChallengeResourceVerification: o.disableChallengeResourceVerification ?? false, retryOptions: { maxRetries: 2 } });
    }
    return client;
  };
  const explain = (e: unknown) => {
    const err = e as { statusCode?: number; message?: string };
    if (err.statusCode === 404) return `no secret "${o.name}" in vault ${o.vault}`;
    if (err.statusCode === 403) return `access to "${o.name}" in vault ${o.vault} denied (the identity needs get and set on secrets)`;
    return `Key Vault ${o.vault}: ${(err.message ?? String(e)).split('\n')[0]}`;
  };
  return {
    ref: `akv://${o.vault}/${o.name}`,
    async get() {
      try {
        const s = await (await get()).getSecret(o.name);
        if (s.value === undefined) throw new Error('the vault returned no value');
        return s.value;
      } catch (e) {
        throw new Error(explain(e), { cause: e });
      }
    },
    async set(value) {
      try {
        await (await get()).setSecret(o.name, value, { contentType: 'smb-password' });
      } catch (e) {
        throw new Error(explain(e), { cause: e });
      }
    },
  };
}
