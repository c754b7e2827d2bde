// The real secret backends: environment, 0600 files, Azure Key Vault (SecretClient with
// DefaultAzureCredential) and 1Password's `op read` (the reference in argv, the value on stdout).
import type { TokenCredential } from '@azure/identity';
import type { SecretClient } from '@azure/keyvault-secrets';
import type { SecretBackends } from './resolver';
import { fileMode, readText } from '../infra/fs';
import type { Exec } from '../infra/exec';

export interface AkvOptions {
  /** URL template; {vault} is replaced by the vault name */
  endpoint: string;
  disableChallengeResourceVerification: boolean;
  authorityHost?: string;
  credential?: TokenCredential;
}

function readFileSecret(path: string): string {
  let mode: number;
  try {
    mode = fileMode(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path}: ${code ?? (e as Error).message}`, { cause: e });
  }
  if (mode & 0o077) {
    throw new Error(`${path} has mode 0${mode.toString(8)}; a secret file must be 0600 or stricter (chmod 600 ${path})`);
  }
  let text: string;
  try {
    text = readText(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { cause: e });
  }
  return text.replace(/\r?\n$/, '');
}

export function realBackends(deps: { env: NodeJS.ProcessEnv; exec: Exec; akv?: AkvOptions }): SecretBackends {
  const clients = new Map<string, SecretClient>();
  let credential: TokenCredential | undefined = deps.akv?.credential;
  return {
    env: (name) => deps.env[name],
    file: async (path) => readFileSecret(path),
    async akv(vault, name) {
      const url = (deps.akv?.endpoint ?? 'https://{vault}.vault.azure.net').replace('{vault}', vault);
      let client = clients.get(url);
      if (!client) {
        const authorityHost = deps.akv?.authorityHost ?? deps.env.AZURE_AUTHORITY_HOST;
        // loaded on first use: the Azure SDK costs start-up time every other command would pay
        const [{ DefaultAzureCredential }, { SecretClient }] = await Promise.all([import('@azure/identity'), import('@azure/keyvault-secrets')]);
        credential ??= new DefaultAzureCredential(authorityHost ? { authorityHost, disableInstanceDiscovery: true } : {});
        client = new SecretClient(url, credential, {
          disableChallengeResourceVerification: deps.akv?.disableChallengeResourceVerification ?? false,
          retryOptions: { maxRetries: 2 },
        });
        clients.set(url, client);
      }
      try {
        const s = await client.getSecret(name);
        if (s.value === undefined) throw new Error('the vault returned no value');
        return s.value;
      } catch (e) {
        const err = e as { statusCode?: number; code?: string; message?: string };
        if (err.statusCode === 404) throw new Error(`no secret "${name}" in vault ${vault}`, { cause: e });
        if (err.statusCode === 403) throw new Error(`access to "${name}" in vault ${vault} denied (check the identity's permissions)`, { cause: e });
        throw new Error(`Key Vault ${vault}: ${(err.message ?? String(e)).split('\n')[0]}`, { cause: e });
      }
    },
    async op(ref) {
      const pass: Record<string, string | undefined> = { PATH: deps.env.PATH, HOME: deps.env.HOME };
      for (const [k, v] of Object.entries(deps.env)) if (k.startsWith('OP_')) pass[k] = v;
      let r;
      try {
        r = await deps.exec({ cmd: 'op', args: ['read', '--no-newline', ref], env: pass, timeoutMs: 30_000 });
      } catch (e) {
        throw new Error((e as Error).message, { cause: e });
      }
      if (r.code !== 0) throw new Error(`op read failed (exit ${r.code}): ${r.stderr.trim().split('\n').pop()?.slice(0, 200) ?? ''}`);
      return r.stdout;
    },
  };
}
