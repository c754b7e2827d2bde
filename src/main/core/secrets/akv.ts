// Azure Key Vault through the official SDK: a credential from @azure/identity (azure-cli,
// interactive-browser, device-code, client-secret) and SecretClient.getSecret. Both packages are
// imported on first use: they are large and most commands never need the vault.
import { SecretSourceError, firstLine } from './types';
import type { SecretSource } from './types';
import type { AzureCredentialKind } from '../../../shared/settings';
import type { TokenCredential } from '@azure/identity';
import type { SecretClient } from '@azure/keyvault-secrets';

export interface AkvOptions {
  vaultUrl: string;
  name: string;
  credential: AzureCredentialKind;
  tenantId?: string;
  clientId?: string;
  authorityHost?: string;
  disableChallengeResourceVerification?: boolean;
  /** client-secret: where the app registration's secret comes from (env AZURE_CLIENT_SECRET or the keychain) */
  clientSecret?: () => Promise<string | null>;
  /** device-code: how to show the code to the user (CLI: stderr; tray: a notification) */
  prompt?: (message: string) => void;
  timeoutMs?: number;
}

async function makeCredential(o: AkvOptions): Promise<TokenCredential> {
  const id = await import('@azure/identity');
  const common = {
    ...(o.authorityHost ? { authorityHost: o.authorityHost, disableInstanceDiscovery: true } : {}),
  };
  switch (o.credential) {
    case 'azure-cli':
      return new id.AzureCliCredential(o.tenantId ? { tenantId: o.tenantId } : {});
    case 'interactive-browser':
      return new id.InteractiveBrowserCredential({ ...common, ...(o.tenantId ? { tenantId: o.tenantId } : {}), ...(o.clientId ? { clientId: o.clientId } : {}) });
    case 'device-code':
      return new id.DeviceCodeCredential({
        ...common,
        ...(o.tenantId ? { tenantId: o.tenantId } : {}),
        ...(o.clientId ? { clientId: o.clientId } : {}),
        userPromptCallback: (info) => (o.prompt ?? ((m: string) => process.stderr.write(`${m}\n`)))(info.message),
      });
    case 'client-secret': {
      if (!o.tenantId || !o.clientId) throw new SecretSourceError('akv', 'the client-secret credential needs secret.tenantId and secret.clientId in the settings');
      const secret = (await o.clientSecret?.()) ?? null;
      if (!secret) throw new SecretSourceError('akv', 'the client-secret credential needs the app secret in AZURE_CLIENT_SECRET or the keychain (pillars/azure-client-secret)');
      return new id.ClientSecretCredential(o.tenantId, o.clientId, secret, common);
    }
  }
}

/** Maps SDK errors to a reason a user can act on; never echoes request bodies or tokens. */
export function explainAkvError(e: unknown, o: Pick<AkvOptions, 'vaultUrl' | 'name' | 'credential'>): SecretSourceError {
  if (e instanceof SecretSourceError) return e;
  const err = e as { name?: string; statusCode?: number; code?: string; message?: string };
  const where = `secret ${o.name} in ${o.vaultUrl}`;
  if (err.name === 'CredentialUnavailableError') {
    const fix = o.credential === 'azure-cli' ? ' (run `az login`)' : '';
    return new SecretSourceError('akv', `credential ${o.credential} unavailable: ${firstLine(e)}${fix}`);
  }
  if (err.name === 'AuthenticationError' || err.name === 'AuthenticationRequiredError') return new SecretSourceError('akv', `credential ${o.credential} could not sign in: ${firstLine(e)}`);
  if (err.name === 'AbortError') return new SecretSourceError('akv', `no answer for ${where} in time`, true);
  if (err.statusCode === 404) return new SecretSourceError('akv', `${where} not found (404 ${err.code ?? 'SecretNotFound'})`);
  if (err.statusCode === 401 || err.statusCode === 403)
    return new SecretSourceError('akv', `access to ${where} denied (${err.statusCode} ${err.code ?? ''}): grant the identity "Key Vault Secrets User" on the vault`.replace(' )', ')'));
  if (typeof err.statusCode === 'number') return new SecretSourceError('akv', `${where}: HTTP ${err.statusCode} ${err.code ?? ''}`.trim(), err.statusCode >= 500);
  if (/ENOTFOUND|ECONNREFUSED|ETIMEDOUT|ECONNRESET|EAI_AGAIN|certificate|self.signed/i.test(err.message ?? '')) return new SecretSourceError('akv', `cannot reach ${o.vaultUrl}: ${firstLine(e)}`, true);
  return new SecretSourceError('akv', `${where}: ${firstLine(e)}`);
}

export function akvSource(o: AkvOptions): SecretSource {
  let client: SecretClient | null = null;
  return {
    id: 'akv',
    describe: `Key Vault ${o.vaultUrl} secret ${o.name}`,
    async get() {
      if (!o.vaultUrl || !o.name) throw new SecretSourceError('akv', 'secret.vaultUrl and secret.name must be set');
      try {
        if (!client) {
          const kv = await import('@azure/keyvault-secrets');
          client = new kv.SecretClient(o.vaultUrl, await makeCredential(o), {
            disableChallengeResourceVerification: o.disableChallengeResourceVerification ?? false,
            retryOptions: { maxRetries: 1 }, // a dead vault fails in seconds, not minutes
          });
        }
        const interactive = o.credential === 'interactive-browser' || o.credential === 'device-code';
        const s = await client.getSecret(o.name, { abortSignal: AbortSignal.timeout(o.timeoutMs ?? (interactive ? 300_000 : 30_000)) });
        if (!s.value) throw new SecretSourceError('akv', `secret ${o.name} in ${o.vaultUrl} is empty or disabled`);
        return s.value;
      } catch (e) {
        client = client && (e as { statusCode?: number }).statusCode ? client : null; // rebuild after credential trouble
        throw explainAkvError(e, o);
      }
    },
  };
}
