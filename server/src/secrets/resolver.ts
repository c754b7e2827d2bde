// Resolves secret references when a job runs (rule 6): each run gets its own cache, dropped when
// the run ends, and errors name the secret and its reference, never a value.
import { parseSecretRef } from './refs';
import type { SecretRef } from './refs';

export class SecretError extends Error {
  constructor(
    readonly secretName: string,
    readonly ref: string,
    reason: string,
  ) {
    super(`secret "${secretName}" (${ref}): ${reason}`);
    this.name = 'SecretError';
  }
}

/** The effects behind each kind of reference; the real ones are in sources.ts. */
export interface SecretBackends {
  env(name: string): string | undefined;
  /** Reads a file secret; must refuse modes looser than 0600 by throwing with a reason. */
  file(path: string): Promise<string>;
  akv(vault: string, name: string): Promise<string>;
  op(ref: string): Promise<string>;
}

export interface RunSecrets {
  /** The value of `secrets.<name>` from the configuration. */
  get(name: string): Promise<string>;
  /** Values resolved so far: log writers mask them (defence in depth). */
  values(): readonly string[];
  /** Forgets every value. */
  dispose(): void;
}

async function resolveOne(b: SecretBackends, r: SecretRef): Promise<string> {
  switch (r.kind) {
    case 'env': {
      const v = b.env(r.name);
      if (v === undefined || v === '') throw new Error(`environment variable ${r.name} is not set`);
      return v;
    }
    case 'file':
      return b.file(r.path);
    case 'akv':
      return b.akv(r.vault, r.name);
    case 'op':
      return b.op(r.ref);
  }
}

export function runSecrets(refs: Readonly<Record<string, string>>, backends: SecretBackends): RunSecrets {
  let cache = new Map<string, Promise<string>>();
  let resolved: string[] = [];
  return {
    get(name) {
      const ref = refs[name];
      if (!ref) return Promise.reject(new SecretError(name, '?', 'not declared under secrets:'));
      let p = cache.get(name);
      if (!p) {
        p = (async () => {
          let v: string;
          try {
            v = await resolveOne(backends, parseSecretRef(ref));
          } catch (e) {
            throw new SecretError(name, ref, (e as Error).message);
          }
          if (!v) throw new SecretError(name, ref, 'the secret is empty');
          resolved.push(v);
          return v;
        })();
        cache.set(name, p);
      }
      return p;
    },
    values: () => resolved,
    dispose() {
      cache = new Map();
      resolved = [];
    },
  };
}
