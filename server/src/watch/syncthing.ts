// A small Syncthing REST client (v1.19 API): the API key comes from a secret reference and is
// sent only in the X-API-Key header.
export interface StFolder {
  id: string;
  label: string;
  path: string;
  type: string;
  paused: boolean;
  devices: Array<{ deviceID: string }>;
}

export interface StFolderStatus {
  state: string;
  globalBytes: number;
  inSyncBytes: number;
  needBytes: number;
  errors: number;
  pullErrors: number;
}

export class SyncthingError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'SyncthingError';
  }
}

export interface SyncthingClientOptions {
  url: string;
  apiKey: () => Promise<string>;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class SyncthingClient {
  constructor(private readonly o: SyncthingClientOptions) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const key = await this.o.apiKey();
    const f = this.o.fetch ?? fetch;
    let res: Response;
    try {
      res = await f(new URL(path, this.o.url), {
        method,
        headers: { 'X-API-Key': key, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
      });
    } catch (e) {
      throw new SyncthingError(`Syncthing at ${this.o.url} did not answer ${method} ${path}: ${(e as Error).message}`, null);
    }
    const text = await res.text();
    if (!res.ok) {
      const why = res.status === 403 ? 'the API key was refused' : text.trim().slice(0, 200);
      throw new SyncthingError(`Syncthing ${method} ${path}: HTTP ${res.status}: ${why}`, res.status);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  folders(): Promise<StFolder[]> {
    return this.call('GET', '/rest/config/folders');
  }
  status(folder: string): Promise<StFolderStatus> {
    return this.call('GET', `/rest/db/status?folder=${encodeURIComponent(folder)}`);
  }
  setPaused(folder: string, paused: boolean): Promise<void> {
    return this.call('PATCH', `/rest/config/folders/${encodeURIComponent(folder)}`, { paused });
  }
  addFolder(f: Partial<StFolder> & { id: string; path: string }): Promise<void> {
    return this.call('POST', '/rest/config/folders', f);
  }
  async myId(): Promise<string> {
    return (await this.call<{ myID: string }>('GET', '/rest/system/status')).myID;
  }
}
