// The secrets chain: the keychain cache first, then the authoritative sources in order (Key
// Vault, 1Password, stdin). A password enters the cache only after a mount accepted it, and an
// authentication failure drops it and asks the sources once more: a password rotated on the
// server heals every client, while a wrong password everywhere stops after one retry.
import { createHash } from 'node:crypto';
import { NoSecretError, SecretSourceError, firstLine, redact } from './types';
import type { SecretCache, SecretSource, SourceFailure, SourceId } from './types';

export interface Password {
  password: string;
  from: SourceId;
}

export interface Secrets {
  /** The cached password, else the first source that answers. Rejects with NoSecretError listing each source's reason. */
  get(): Promise<Password>;
  /**
   * After the server rejected `rejected`: the cache is dropped and the sources asked again, skipping
   * the cache. Resolves with a different password to retry once with, or null when the sources
   * still hold the rejected one (no retry: it would fail the same way).
   */
  afterAuthFailure(rejected: string): Promise<Password | null>;
  /** A mount accepted this password: keep it in the keychain (failures here are reported, not thrown). */
  accepted(p: Password): Promise<{ cached: boolean; reason?: string }>;
  /** The chain as configured, for doctor and messages. */
  describe(): Array<{ id: SourceId | 'cache'; describe: string }>;
}

const digest = (s: string) => createHash('sha256').update(s).digest('hex');

export function secretsChain(opts: { cache?: SecretCache | null; sources: SecretSource[]; log?: (msg: string) => void }): Secrets {
  const cache = opts.cache ?? null;
  const log = opts.log ?? (() => {});
  const rejected = new Set<string>(); // digests only: the rejected passwords are not kept

  async function fromSources(known: string[]): Promise<Password> {
    const failures: SourceFailure[] = [];
    for (const src of opts.sources) {
      try {
        const password = await src.get();
        return { password, from: src.id };
      } catch (e) {
        const reason = e instanceof SecretSourceError ? e.reason : firstLine(e);
        failures.push({ source: src.id, reason: redact(reason, known), transient: e instanceof SecretSourceError && e.transient });
      }
    }
    throw new NoSecretError(failures);
  }

  return {
    async get() {
      const failures: SourceFailure[] = [];
      if (cache) {
        try {
          const v = await cache.get();
          if (v && !rejected.has(digest(v))) return { password: v, from: 'keychain' };
        } catch (e) {
          // a broken keychain must not block mounting from the vault; remember why for the message
          failures.push({ source: 'keychain', reason: e instanceof SecretSourceError ? e.reason : firstLine(e), transient: false, cache: true });
        }
      }
      try {
        return await fromSources([]);
      } catch (e) {
        if (e instanceof NoSecretError) throw new NoSecretError([...failures, ...e.failures]);
        throw e;
      }
    },
    async afterAuthFailure(bad) {
      rejected.add(digest(bad));
      if (cache) {
        try {
          await cache.delete();
        } catch (e) {
          log(`could not drop the cached password: ${e instanceof SecretSourceError ? e.reason : firstLine(e)}`);
        }
      }
      const fresh = await fromSources([bad]);
      if (rejected.has(digest(fresh.password))) return null;
      return fresh;
    },
    async accepted(p) {
      rejected.delete(digest(p.password));
      if (!cache || p.from === 'keychain') return { cached: p.from === 'keychain' };
      try {
        await cache.set(p.password);
        return { cached: true };
      } catch (e) {
        const reason = e instanceof SecretSourceError ? e.reason : firstLine(e);
        log(`password not cached: ${redact(reason, [p.password])}`);
        return { cached: false, reason };
      }
    },
    describe() {
      return [...(cache ? [{ id: 'cache' as const, describe: cache.describe }] : []), ...opts.sources.map((s) => ({ id: s.id, describe: s.describe }))];
    },
  };
}
