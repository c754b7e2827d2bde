// The SecretSource seam: each source answers with the SMB password or fails with a reason that
// names the source and never contains a secret.

export type SourceId = 'keychain' | 'akv' | '1password' | 'stdin' | 'file';

export interface SecretSource {
  readonly id: SourceId;
  /** A short description for messages: "Key Vault https://kv.vault.azure.net secret smb-mike". */
  readonly describe: string;
  /** Resolves with the secret, or rejects with a SecretSourceError. */
  get(): Promise<string>;
}

/** The keychain as a cache in front of the authoritative sources. */
export interface SecretCache {
  readonly describe: string;
  get(): Promise<string | null>;
  set(secret: string): Promise<void>;
  delete(): Promise<boolean>;
}

export class SecretSourceError extends Error {
  constructor(
    readonly source: SourceId,
    readonly reason: string,
    /** true when retrying later may help (network), false for configuration or permission problems */
    readonly transient = false,
  ) {
    super(`${source}: ${reason}`);
    this.name = 'SecretSourceError';
  }
}

export interface SourceFailure {
  source: SourceId;
  reason: string;
  /** retrying later may help (the vault did not answer); false for configuration and permission problems */
  transient: boolean;
  /** the keychain asked as a cache in front of the sources, not as a source */
  cache?: boolean;
}

/** What to do when no source has the password: the ways to give one. */
export const GIVE_PASSWORD = 'give it with `pillars mount --password-stdin` (or `pillars watch --password-file FILE` on a host without a keychain), or set secret.source in the settings';

export class NoSecretError extends Error {
  constructor(readonly failures: ReadonlyArray<SourceFailure>) {
    // only the keychain was asked (as a cache, or as the configured source): say how else to give it
    const onlyKeychain = failures.every((f) => f.source === 'keychain');
    super(
      failures.length
        ? `no SMB password: ${failures.map((f) => `${f.source}: ${f.reason}`).join('; ')}${onlyKeychain ? `; no other source is configured: ${GIVE_PASSWORD}` : ''}`
        : `no SMB password: no secret source is configured: ${GIVE_PASSWORD}`,
    );
    this.name = 'NoSecretError';
  }
}

/** Removes every occurrence of each secret from a message (defence in depth for third-party errors). */
export function redact(message: string, secrets: ReadonlyArray<string | null | undefined>): string {
  let out = message;
  for (const s of secrets) if (s && s.length >= 3) out = out.split(s).join('[redacted]');
  return out;
}

/** First line of an error message, trimmed to a readable length. */
export function firstLine(e: unknown, max = 240): string {
  const msg = e instanceof Error ? e.message : String(e);
  const line = msg.split(/\r?\n/).find((l) => l.trim()) ?? msg;
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
