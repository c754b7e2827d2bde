// Client settings: one JSON Schema shared by `conf` (CLI, tests) and electron-store (the app), so
// both read and validate the same file. No secret ever lives here: every object is closed
// (additionalProperties: false) and no key can carry a password; secrets are references
// (vault URL + secret name, an op:// reference) resolved by the secrets chain at run time.

export type SecretSourceName = 'akv' | 'keychain' | '1password' | 'stdin';
export type AzureCredentialKind = 'azure-cli' | 'interactive-browser' | 'device-code' | 'client-secret';
export type LinuxBackend = 'auto' | 'smbnetfs' | 'gvfs';

export interface PillarSetting {
  id: string;
  share: string;
  label: string;
  drive?: string;
}

export interface ClientSettings {
  server: { url: string; fingerprint: string };
  smb: { host: string; username: string; domain: string };
  secret: {
    source: SecretSourceName;
    vaultUrl: string;
    name: string;
    credential: AzureCredentialKind;
    /** client-secret / interactive-browser: the app registration; the client secret itself comes from AZURE_CLIENT_SECRET or the keychain */
    tenantId: string;
    clientId: string;
    /** sovereign clouds or a test authority; empty: Azure public cloud */
    authorityHost: string;
    /** the vault's challenge names a resource outside *.vault.azure.net (Azure Stack, tests) */
    disableChallengeResourceVerification: boolean;
    /** 1Password: `op://vault/item/field` (source 1password, or a fallback after the vault) */
    opRef: string;
  };
  pillars: PillarSetting[];
  mountRoot: string;
  links: boolean;
  startAtLogin: boolean;
  notifications: boolean;
  linux: { backend: LinuxBackend };
}

/** Where secrets may come from; the stdin source exists for the CLI only. */
export const SECRET_SOURCES: readonly SecretSourceName[] = ['akv', 'keychain', '1password', 'stdin'];
export const AZURE_CREDENTIALS: readonly AzureCredentialKind[] = ['azure-cli', 'interactive-browser', 'device-code', 'client-secret'];

const str = (extra: Record<string, unknown> = {}) => ({ type: 'string', ...extra });
const HOSTNAME = '^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$|^$';
const PILLAR_ID = '^[a-z][a-z0-9-]{0,30}$';
const SHARE = '^[A-Za-z0-9][A-Za-z0-9 _.$-]{0,79}$';

/** The JSON Schema of the whole file (draft 2020-12 subset that ajv 8, conf and electron-store accept). */
export const SETTINGS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    server: {
      type: 'object',
      additionalProperties: false,
      properties: {
        url: str({ pattern: '^(https?://[^\\s]+)?$' }),
        fingerprint: str({ pattern: '^(([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}|[0-9A-Fa-f]{64})?$' }),
      },
      default: {},
    },
    smb: {
      type: 'object',
      additionalProperties: false,
      properties: {
        host: str({ pattern: HOSTNAME }),
        username: str({ pattern: '^[^\\s"\\\\/:]{0,64}$' }),
        domain: str({ pattern: '^[^\\s"\\\\/:]{0,64}$' }),
      },
      default: {},
    },
    secret: {
      type: 'object',
      additionalProperties: false,
      properties: {
        source: { enum: [...SECRET_SOURCES] },
        vaultUrl: str({ pattern: '^(https://[^\\s/]+/?)?$' }),
        name: str({ pattern: '^[0-9A-Za-z-]{0,127}$' }),
        credential: { enum: [...AZURE_CREDENTIALS] },
        tenantId: str({ pattern: '^[0-9A-Za-z.-]{0,64}$' }),
        clientId: str({ pattern: '^[0-9A-Za-z-]{0,64}$' }),
        authorityHost: str({ pattern: '^(https://[^\\s]+)?$' }),
        disableChallengeResourceVerification: { type: 'boolean' },
        opRef: str({ pattern: '^(op://[^/\\s][^\\r\\n]*)?$' }),
      },
      default: {},
    },
    pillars: {
      type: 'array',
      maxItems: 16,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'share', 'label'],
        properties: {
          id: str({ pattern: PILLAR_ID }),
          share: str({ pattern: SHARE }),
          label: str({ minLength: 1, maxLength: 32 }),
          drive: str({ pattern: '^[D-Zd-z]:$' }),
        },
      },
    },
    mountRoot: str({ minLength: 1 }),
    links: { type: 'boolean' },
    startAtLogin: { type: 'boolean' },
    notifications: { type: 'boolean' },
    linux: {
      type: 'object',
      additionalProperties: false,
      properties: { backend: { enum: ['auto', 'smbnetfs', 'gvfs'] } },
      default: {},
    },
  },
} as const;

export const DEFAULT_PILLARS: PillarSetting[] = [
  { id: 'flux', share: 'flux', label: 'Flux', drive: 'X:' },
  { id: 'space', share: 'space', label: 'Space', drive: 'S:' },
  { id: 'time', share: 'time', label: 'Time', drive: 'T:' },
];

export const DEFAULT_SETTINGS: ClientSettings = {
  server: { url: '', fingerprint: '' },
  smb: { host: '', username: '', domain: '' },
  secret: {
    source: 'akv',
    vaultUrl: '',
    name: '',
    credential: 'azure-cli',
    tenantId: '',
    clientId: '',
    authorityHost: '',
    disableChallengeResourceVerification: false,
    opRef: '',
  },
  pillars: DEFAULT_PILLARS,
  mountRoot: '~/.mkt',
  links: true,
  startAtLogin: true,
  notifications: true,
  linux: { backend: 'auto' },
};

/**
 * What the core needs from a settings store; conf (Node) and electron-store (the app) both
 * satisfy it. `get` returns the whole, defaults-merged settings.
 */
export interface SettingsStore {
  readonly path: string;
  get(): ClientSettings;
  /** Validates against the schema before writing; throws SettingsError naming key and reason. */
  set<K extends keyof ClientSettings>(key: K, value: ClientSettings[K]): void;
  /** Called with the new settings after any change (from this process or, where watched, the file). */
  onChange(fn: (s: ClientSettings) => void): () => void;
}

export class SettingsError extends Error {
  constructor(
    readonly file: string,
    readonly key: string,
    readonly reason: string,
  ) {
    super(`${file}: ${key}: ${reason}`);
    this.name = 'SettingsError';
  }
}

/** Fills every missing key with its default (deep for the nested objects). */
export function withDefaults(raw: Partial<Record<keyof ClientSettings, unknown>>): ClientSettings {
  const d = DEFAULT_SETTINGS;
  const obj = <T extends object>(v: unknown, def: T): T => ({ ...def, ...(v && typeof v === 'object' ? (v as Partial<T>) : {}) });
  return {
    server: obj(raw.server, d.server),
    smb: obj(raw.smb, d.smb),
    secret: obj(raw.secret, d.secret),
    pillars: Array.isArray(raw.pillars) ? (raw.pillars as PillarSetting[]) : d.pillars,
    mountRoot: typeof raw.mountRoot === 'string' ? raw.mountRoot : d.mountRoot,
    links: typeof raw.links === 'boolean' ? raw.links : d.links,
    startAtLogin: typeof raw.startAtLogin === 'boolean' ? raw.startAtLogin : d.startAtLogin,
    notifications: typeof raw.notifications === 'boolean' ? raw.notifications : d.notifications,
    linux: obj(raw.linux, d.linux),
  };
}

/**
 * Checks beyond what a JSON Schema expresses: a usable configuration for mounting. Returns
 * problems as `key: reason` pairs (empty when complete). Pure; the doctor prints them with fixes.
 */
export function completeness(s: ClientSettings): Array<{ key: string; reason: string; fix: string }> {
  const out: Array<{ key: string; reason: string; fix: string }> = [];
  if (!s.smb.host) out.push({ key: 'smb.host', reason: 'not set', fix: 'set smb.host to the server name, e.g. motoko' });
  if (!s.smb.username) out.push({ key: 'smb.username', reason: 'not set', fix: 'set smb.username to your Samba user' });
  if (s.pillars.length === 0) out.push({ key: 'pillars', reason: 'no pillar configured', fix: 'add pillars (flux, space, time) to the settings' });
  const ids = new Set<string>();
  for (const p of s.pillars) {
    if (ids.has(p.id)) out.push({ key: 'pillars', reason: `pillar id ${p.id} appears twice`, fix: 'give every pillar its own id' });
    ids.add(p.id);
  }
  if (s.secret.source === 'akv') {
    if (!s.secret.vaultUrl) out.push({ key: 'secret.vaultUrl', reason: 'not set (secret.source is akv)', fix: 'set secret.vaultUrl, e.g. https://kv-example.vault.azure.net' });
    if (!s.secret.name) out.push({ key: 'secret.name', reason: 'not set (secret.source is akv)', fix: 'set secret.name to the Key Vault secret holding the SMB password' });
    if (s.secret.credential === 'client-secret' && (!s.secret.tenantId || !s.secret.clientId))
      out.push({ key: 'secret.tenantId', reason: 'client-secret credential needs tenantId and clientId', fix: 'set secret.tenantId and secret.clientId (the secret itself goes in AZURE_CLIENT_SECRET or the keychain)' });
  }
  if (s.secret.source === '1password' && !s.secret.opRef) out.push({ key: 'secret.opRef', reason: 'not set (secret.source is 1password)', fix: 'set secret.opRef to op://vault/item/field' });
  return out;
}

type SchemaNode = { type?: string; properties?: Record<string, SchemaNode>; items?: SchemaNode; additionalProperties?: boolean };

/**
 * Keys the schema does not allow, as dotted paths: the cheap half of validation (no ajv) that a
 * read-only look still needs, since an unknown key is where a pasted password would sit.
 */
export function unknownKeys(value: unknown, schema: SchemaNode = SETTINGS_SCHEMA as unknown as SchemaNode, at = ''): string[] {
  if (Array.isArray(value)) return schema.items ? value.flatMap((v, i) => unknownKeys(v, schema.items, `${at}.${i}`)) : [];
  if (!value || typeof value !== 'object' || !schema.properties) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const sub = schema.properties[k];
    const key = at ? `${at}.${k}` : k;
    if (!sub) {
      if (schema.additionalProperties === false) out.push(key);
      continue;
    }
    out.push(...unknownKeys(v, sub, key));
  }
  return out;
}
