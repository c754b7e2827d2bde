// The OS keychain through keytar (macOS Keychain, Windows Credential Manager, libsecret on Linux):
// service "pillars", account "user@host". Loaded lazily: keytar is native and needs a session bus
// on Linux, so a CLI command that never asks for a password never pays for it.
import { SecretSourceError, firstLine } from './types';
import type { SecretCache, SecretSource } from './types';

export const KEYCHAIN_SERVICE = 'pillars';

interface Keytar {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

let keytarPromise: Promise<Keytar> | null = null;
async function loadKeytar(): Promise<Keytar> {
  keytarPromise ??= import('keytar').then((m) => (m as { default?: Keytar }).default ?? (m as unknown as Keytar));
  return keytarPromise;
}

export function keychainAccount(username: string, host: string): string {
  return `${username}@${host}`;
}

function explain(e: unknown): string {
  const msg = firstLine(e);
  if (/D-Bus|dbus|org\.freedesktop\.secrets|secret service/i.test(msg)) return `keychain not reachable (${msg}); on Linux a Secret Service (gnome-keyring) in the session is needed`;
  if (/locked|unlock|dismissed|cancel/i.test(msg)) return `keychain refused or is locked (${msg})`;
  return msg;
}

export class KeychainStore implements SecretCache {
  readonly describe: string;
  constructor(
    readonly account: string,
    private readonly lib: () => Promise<Keytar> = loadKeytar,
  ) {
    this.describe = `keychain item ${KEYCHAIN_SERVICE}/${account}`;
  }
  async get(): Promise<string | null> {
    try {
      return await (await this.lib()).getPassword(KEYCHAIN_SERVICE, this.account);
    } catch (e) {
      // no Secret Service at all (an SSH session without D-Bus) will not come back by retrying
      throw new SecretSourceError('keychain', explain(e), !/D-Bus|dbus|secret service/i.test(firstLine(e)));
    }
  }
  async set(secret: string): Promise<void> {
    try {
      await (await this.lib()).setPassword(KEYCHAIN_SERVICE, this.account, secret);
    } catch (e) {
      throw new SecretSourceError('keychain', `cannot store ${this.describe}: ${explain(e)}`, true);
    }
  }
  async delete(): Promise<boolean> {
    try {
      return await (await this.lib()).deletePassword(KEYCHAIN_SERVICE, this.account);
    } catch (e) {
      throw new SecretSourceError('keychain', `cannot delete ${this.describe}: ${explain(e)}`, true);
    }
  }
}

/** The keychain as the authoritative source (secret.source = keychain): the user stored it there. */
export function keychainSource(store: KeychainStore): SecretSource {
  return {
    id: 'keychain',
    describe: store.describe,
    async get() {
      const v = await store.get();
      if (v === null || v === '') throw new SecretSourceError('keychain', `no ${store.describe}`);
      return v;
    },
  };
}
