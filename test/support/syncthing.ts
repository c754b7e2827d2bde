// A private, real Syncthing 1.19 per FIELD-NOTES "Syncthing": generated in a temp home, config.xml
// edited before the first start so it talks to nothing but 127.0.0.1 (GUI and sync on random
// ports; global/local discovery, relays, NAT, usage reporting, crash reporting and upgrades off).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { killGroup, runOk, sleep, stopGroup, tail, waitForExit } from './proc';
import { onProcessExit, once, tempDir } from './tmp';
import { freePort, waitForPort } from './net';

export interface FolderOptions {
  /** other device IDs to share with (this device is always included) */
  devices?: string[];
  type?: 'sendreceive' | 'sendonly' | 'receiveonly';
  label?: string;
  /** default 3600; tests call scan() instead of waiting */
  rescanIntervalS?: number;
  /** default true with a 1 s delay */
  fsWatcherEnabled?: boolean;
  /** any other folder fields, passed through */
  extra?: Record<string, unknown>;
}

export interface Syncthing {
  /** GUI/REST base URL, e.g. http://127.0.0.1:40211 */
  readonly url: string;
  readonly apiKey: string;
  readonly deviceId: string;
  /** the Syncthing home (config, keys, database) */
  readonly home: string;
  /** the sync protocol address other instances dial, e.g. tcp://127.0.0.1:40212 */
  readonly listenAddress: string;
  readonly pid: number;
  /**
   * Calls the REST API with the API key; resolves the parsed JSON (or text, or undefined for an
   * empty body) and throws on a non-2xx answer, with the status and body in the message.
   */
  api<T = unknown>(method: string, apiPath: string, body?: unknown): Promise<T>;
  /** creates a folder (POST /rest/config/folders) shared with `opts.devices` */
  addFolder(id: string, folderPath: string, opts?: FolderOptions): Promise<void>;
  /** adds a remote device that is dialled at `address` (POST /rest/config/devices) */
  addDevice(deviceId: string, address: string, name?: string): Promise<void>;
  /** asks for an immediate rescan of a folder (or of one sub-path) */
  scan(folderId: string, sub?: string): Promise<void>;
  /** the syncthing log so far */
  log(): string;
  /** shuts Syncthing down but keeps its home: what a server that is not up yet looks like (connection refused) */
  down(): Promise<void>;
  /** starts it again from the same home, on the same ports; resolves once its REST API answers */
  up(): Promise<void>;
  /** the current process id (changes with up()) */
  currentPid(): number;
  /** shuts Syncthing down (REST shutdown, then signals) and removes the home. Idempotent. */
  stop(): Promise<void>;
}

function setOption(xml: string, tag: string, value: string): string {
  const re = new RegExp(`<${tag}>[^<]*</${tag}>`);
  return re.test(xml) ? xml.replace(re, `<${tag}>${value}</${tag}>`) : xml.replace('</options>', `    <${tag}>${value}</${tag}>\n    </options>`);
}

/** Generates, configures and starts a Syncthing instance; resolves once its REST API answers. */
export async function startSyncthing(opts: { name?: string; startTimeoutMs?: number } = {}): Promise<Syncthing> {
  const tmp = tempDir('pillars-syncthing-');
  const home = tmp.path;
  let child: ChildProcess | undefined;
  let unregister = () => {};
  const out = tail(16_000);
  try {
    const env = { ...process.env, STNOUPGRADE: '1', STNODEFAULTFOLDER: '1', STNORESTART: '1', HOME: home };
    await runOk('syncthing', ['generate', `--home=${home}`, '--no-default-folder'], { env });
    const configPath = path.join(home, 'config.xml');
    let xml = readFileSync(configPath, 'utf8');
    const deviceId = /<device id="([A-Z0-9-]+)"/.exec(xml)?.[1];
    if (!deviceId) throw new Error(`syncthing helper: no device id in ${configPath}`);
    const guiPort = await freePort();
    let listenPort = await freePort();
    while (listenPort === guiPort) listenPort = await freePort();
    const apiKey = randomBytes(18).toString('base64url');
    xml = xml
      .replace(/<address>127\.0\.0\.1:\d+<\/address>/, `<address>127.0.0.1:${guiPort}</address>`)
      .replace(/<apikey>[^<]*<\/apikey>/, `<apikey>${apiKey}</apikey>`)
      .replace(/(<device id="[A-Z0-9-]+" name=")[^"]*"/, `$1${opts.name ?? 'test'}"`);
    const options: Record<string, string> = {
      listenAddress: `tcp://127.0.0.1:${listenPort}`,
      globalAnnounceEnabled: 'false',
      localAnnounceEnabled: 'false',
      relaysEnabled: 'false',
      natEnabled: 'false',
      urAccepted: '-1',
      autoUpgradeIntervalH: '0',
      crashReportingEnabled: 'false',
      startBrowser: 'false',
      setLowPriority: 'false',
      reconnectionIntervalS: '1',
      stunServer: '',
    };
    for (const [k, v] of Object.entries(options)) xml = setOption(xml, k, v);
    writeFileSync(configPath, xml);

    const url = `http://127.0.0.1:${guiPort}`;
    const api = async <T>(method: string, apiPath: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${url}${apiPath}`, {
        method,
        headers: { 'X-API-Key': apiKey, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`syncthing ${method} ${apiPath} → ${res.status}: ${text.trim()}`);
      if (!text) return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        return text as T;
      }
    };

    const launch = async (): Promise<ChildProcess> => {
      const c = spawn('syncthing', ['serve', `--home=${home}`, '--no-browser', '--no-restart', '--no-upgrade', `--gui-address=${url}`, `--gui-apikey=${apiKey}`, '--logflags=0'], {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env,
      });
      child = c;
      c.stdout?.on('data', (b: Buffer) => out.push(b));
      c.stderr?.on('data', (b: Buffer) => out.push(b));
      const pid = c.pid;
      unregister();
      unregister = onProcessExit(() => {
        if (pid) killGroup(pid, 'SIGKILL');
      });
      const timeoutMs = opts.startTimeoutMs ?? 30_000;
      const deadline = Date.now() + timeoutMs;
      await waitForPort('127.0.0.1', guiPort, { timeoutMs, what: 'syncthing', alive: () => c.exitCode === null });
      for (;;) {
        try {
          const pong = await api<{ ping: string }>('GET', '/rest/system/ping');
          if (pong.ping === 'pong') break;
        } catch (e) {
          if (Date.now() > deadline || c.exitCode !== null) throw new Error(`syncthing REST did not answer: ${(e as Error).message}\n${out.text()}`, { cause: e });
        }
        await sleep(100);
      }
      return c;
    };
    const halt = async (c: ChildProcess) => {
      if (c.exitCode === null && c.signalCode === null) {
        try {
          await api('POST', '/rest/system/shutdown');
        } catch {
          // already going down or hung: the signals below take over
        }
        await waitForExit(c, 5_000);
      }
      await stopGroup(c, 3_000);
    };
    let c = await launch();

    const handle: Syncthing = {
      url,
      apiKey,
      deviceId,
      home,
      listenAddress: `tcp://127.0.0.1:${listenPort}`,
      pid: c.pid ?? -1,
      api,
      async addFolder(id, folderPath, o = {}) {
        await api('POST', '/rest/config/folders', {
          id,
          label: o.label ?? id,
          path: folderPath,
          type: o.type ?? 'sendreceive',
          devices: [deviceId, ...(o.devices ?? [])].map((d) => ({ deviceID: d })),
          rescanIntervalS: o.rescanIntervalS ?? 3600,
          fsWatcherEnabled: o.fsWatcherEnabled ?? true,
          fsWatcherDelayS: 1,
          ...(o.extra ?? {}),
        });
      },
      async addDevice(id, address, name) {
        await api('POST', '/rest/config/devices', { deviceID: id, name: name ?? id.slice(0, 7), addresses: [address], autoAcceptFolders: false });
      },
      async scan(folderId, sub) {
        const q = new URLSearchParams({ folder: folderId, ...(sub ? { sub } : {}) });
        await api('POST', `/rest/db/scan?${q.toString()}`);
      },
      log: () => out.text(),
      async down() {
        await halt(c);
      },
      async up() {
        if (c.exitCode === null && c.signalCode === null) return;
        c = await launch();
      },
      currentPid: () => c.pid ?? -1,
      stop: once(async () => {
        await halt(c);
        unregister();
        await tmp.cleanup();
      }),
    };
    return handle;
  } catch (e) {
    if (child) await stopGroup(child, 2_000);
    unregister();
    await tmp.cleanup();
    throw e;
  }
}

/**
 * Introduces two instances to each other, shares `folderId` between `pathA` (on a) and `pathB`
 * (on b), and resolves once they are connected.
 */
export async function pairSyncthing(a: Syncthing, b: Syncthing, folderId: string, pathA: string, pathB: string, timeoutMs = 30_000): Promise<void> {
  await a.addDevice(b.deviceId, b.listenAddress, 'b');
  await b.addDevice(a.deviceId, a.listenAddress, 'a');
  await a.addFolder(folderId, pathA, { devices: [b.deviceId] });
  await b.addFolder(folderId, pathB, { devices: [a.deviceId] });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const conns = await a.api<{ connections: Record<string, { connected: boolean }> }>('GET', '/rest/system/connections');
    if (conns.connections[b.deviceId]?.connected) return;
    if (Date.now() > deadline) throw new Error(`syncthing instances did not connect within ${timeoutMs} ms\n--- a ---\n${a.log()}\n--- b ---\n${b.log()}`);
    await sleep(200);
  }
}
