// A real avahi-daemon (0.8) in a network namespace of its own, on a private D-Bus system bus, and
// an mDNS browser (npm multicast-dns) on the host end of the veth pair: "the other side of the
// LAN", as a Mac would browse. Nothing is shared with the host's own avahi or system bus:
// - the daemon runs under `ip netns exec` (its own network and mount namespace) with a private
//   tmpfs on /run (its pid file and socket) and this instance's folder bound on /etc/avahi, so
//   its services folder is `servicesDir` here (avahi-daemon has no option for that folder);
// - its system bus is a dbus-daemon of our own (`busAddress`): tools that talk to avahi
//   (avahi-browse, dbus-send, pillarsd check) reach it with DBUS_SYSTEM_BUS_ADDRESS (`env`);
// - it answers only on the namespace's veth end (allow-interfaces), IPv4 only.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import mdnsFactory from 'multicast-dns';
import type { Answer } from 'dns-packet';
import { startNetns, type Netns } from './netns';
import { killGroup, run, sleep, stopGroup, tail } from './proc';
import { onProcessExit, once, tempDir } from './tmp';

export interface Avahi {
  readonly netns: Netns;
  /** The folder avahi-daemon reads static services from (its /etc/avahi/services). */
  readonly servicesDir: string;
  /** avahi's host name (services named `%h` get it), e.g. pillars-1a2b3c */
  readonly hostName: string;
  /** `unix:path=…` of the private system bus */
  readonly busAddress: string;
  /** Environment for tools that talk to this avahi-daemon over D-Bus. */
  readonly env: Record<string, string>;
  log(): string;
  stop(): Promise<void>;
}

const BUS_CONF = (socket: string) => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`;

export async function startAvahi(): Promise<Avahi> {
  const tmp = tempDir('pillars-avahi-');
  const netns = await startNetns();
  const hostName = `pillars-${randomBytes(3).toString('hex')}`;
  const etc = path.join(tmp.path, 'etc-avahi');
  const servicesDir = path.join(etc, 'services');
  mkdirSync(servicesDir, { recursive: true });
  const socket = path.join(tmp.path, 'system_bus_socket');
  const busAddress = `unix:path=${socket}`;
  writeFileSync(path.join(tmp.path, 'bus.conf'), BUS_CONF(socket));
  writeFileSync(
    path.join(etc, 'avahi-daemon.conf'),
    `[server]\nhost-name=${hostName}\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=${netns.nsIf}\nenable-dbus=yes\n[wide-area]\nenable-wide-area=no\n[publish]\npublish-hinfo=no\npublish-workstation=no\n`,
  );
  const out = tail(16_000);
  const children: ChildProcess[] = [];
  const unregister = onProcessExit(() => {
    for (const c of children) if (c.pid) killGroup(c.pid, 'SIGKILL');
  });
  const daemon = (cmd: string, args: string[], env: NodeJS.ProcessEnv) => {
    const c = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
    c.stdout?.on('data', (b: Buffer) => out.push(b));
    c.stderr?.on('data', (b: Buffer) => out.push(b));
    children.push(c);
    return c;
  };
  const env = { DBUS_SYSTEM_BUS_ADDRESS: busAddress };
  const stop = once(async () => {
    for (const c of [...children].reverse()) await stopGroup(c, 2_000);
    unregister();
    await netns.stop();
    await tmp.cleanup();
  });
  try {
    const bus = daemon('dbus-daemon', [`--config-file=${path.join(tmp.path, 'bus.conf')}`, '--nofork', '--nopidfile'], process.env);
    for (let i = 0; ; i++) {
      if ((await run('dbus-send', ['--system', '--print-reply', '--dest=org.freedesktop.DBus', '/', 'org.freedesktop.DBus.GetId'], { env: { ...process.env, ...env } })).code === 0) break;
      if (i > 100 || bus.exitCode !== null) throw new Error(`avahi helper: the private D-Bus did not start\n${out.text()}`);
      await sleep(50);
    }
    // A fixed script with its arguments: private /run, this instance's /etc/avahi, then avahi.
    const script = 'mount -t tmpfs tmpfs /run && mount --bind "$1" /etc/avahi && exec avahi-daemon --no-drop-root --no-chroot --no-rlimits --no-proc-title';
    const av = daemon('ip', ['netns', 'exec', netns.name, 'sh', '-c', script, 'sh', etc], { ...process.env, ...env });
    for (let i = 0; ; i++) {
      const r = await run('dbus-send', ['--system', '--print-reply', '--dest=org.freedesktop.Avahi', '/', 'org.freedesktop.Avahi.Server.GetState'], { env: { ...process.env, ...env } });
      // AVAHI_SERVER_RUNNING = 2: the host name is established.
      if (r.code === 0 && /int32 2\b/.test(r.stdout)) break;
      if (i > 200 || av.exitCode !== null) throw new Error(`avahi helper: avahi-daemon did not come up\n${out.text()}`);
      await sleep(50);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { netns, servicesDir, hostName, busAddress, env, log: () => out.text(), stop };
}

export interface MdnsRecord {
  name: string;
  type: string;
  ttl: number;
  /** TXT strings, or the record's data as text */
  data: string[];
}

/**
 * An mDNS listener on the host end of the namespace's link: what a Mac on the LAN would hear.
 * `query` asks and collects every answer heard for `ms`; `heard` is everything heard so far.
 */
type Question = { name: string; type: 'PTR' | 'TXT' | 'SRV' };

export interface MdnsBrowser {
  /** Asks, then returns what was heard during the next `ms`. */
  query(names: Question[], ms: number): Promise<MdnsRecord[]>;
  /** Asks every half second until a record heard since the call satisfies `pred`; throws after `timeoutMs`. */
  waitFor(names: Question[], pred: (r: MdnsRecord) => boolean, timeoutMs?: number): Promise<MdnsRecord>;
  /** Everything heard from the avahi-daemon, in order (announcements and goodbyes included). */
  heard: MdnsRecord[];
  close(): void;
}

export async function mdnsBrowser(avahi: Avahi): Promise<MdnsBrowser> {
  // bind 0.0.0.0: a socket bound to the unicast address never receives the multicast answers.
  const mdns = mdnsFactory({ interface: avahi.netns.hostAddress, bind: '0.0.0.0', multicast: true, loopback: false, reuseAddr: true });
  const heard: MdnsRecord[] = [];
  const toRecord = (a: Answer): MdnsRecord => {
    const data: unknown = 'data' in a ? a.data : null;
    return {
      name: a.name,
      type: a.type,
      ttl: 'ttl' in a ? (a.ttl ?? 0) : 0,
      data: a.type === 'TXT' ? (Array.isArray(data) ? data : [data]).map((d) => String(d)) : [typeof data === 'object' && !Buffer.isBuffer(data) ? JSON.stringify(data) : String(data)],
    };
  };
  mdns.on('response', (r, rinfo) => {
    if (rinfo.address !== avahi.netns.address) return;
    for (const a of [...r.answers, ...r.additionals]) heard.push(toRecord(a));
  });
  await new Promise<void>((resolve, reject) => {
    mdns.once('ready', resolve);
    mdns.once('error', reject);
  });
  return {
    heard,
    async query(names, ms) {
      const from = heard.length;
      mdns.query({ questions: names.map((n) => ({ name: n.name, type: n.type })) });
      await sleep(ms);
      return heard.slice(from);
    },
    async waitFor(names, pred, timeoutMs = 15_000) {
      const from = heard.length;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = heard.slice(from).find(pred);
        if (hit) return hit;
        if (Date.now() > deadline)
          throw new Error(
            `mDNS: nothing matching was heard in ${timeoutMs} ms; heard:\n${heard
              .slice(from)
              .map((r) => `${r.name} ${r.type} ${r.ttl} ${r.data.join(' ')}`)
              .join('\n')}`,
          );
        mdns.query({ questions: names.map((n) => ({ name: n.name, type: n.type })) });
        await sleep(500);
      }
    },
    close: () => mdns.destroy(),
  };
}
