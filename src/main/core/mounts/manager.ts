// The mount manager: keeps every wanted pillar mounted, in parallel, and tells the truth about
// each one. It only reaches the share through the Platform (children with deadlines) and the
// server through a TCP connect with a deadline, so its event loop never waits on a hung mount.
import type { PillarSpec, PillarState, Platform, SmbServer, TcpProbe } from '../../../platform/types';
import type { Secrets, Password } from '../secrets/chain';
import { NoSecretError, SecretSourceError, firstLine } from '../secrets/types';
import { DEFAULT_BACKOFF, decide, initial, step } from './machine';
import type { Backoff, Observation, PillarRuntime } from './machine';
import type { HomeNetworkStore, NetworkLocator } from './network';

export interface PillarStatus {
  id: string;
  label: string;
  state: PillarState;
  reason: string;
  path: string;
  freeBytes: number | null;
  since: string;
  wanted: boolean;
}

export interface ManagerOptions {
  platform: Platform;
  secrets: Secrets;
  server: SmbServer;
  pillars: PillarSpec[];
  tcpProbe: TcpProbe;
  network?: NetworkLocator;
  home?: HomeNetworkStore;
  /** how often the health loop looks (default 2 s) */
  checkIntervalMs?: number;
  /** deadline of one probe child (default 3 s) */
  probeDeadlineMs?: number;
  /** deadline of the TCP connect to port 445 (default 1.5 s) */
  tcpTimeoutMs?: number;
  backoff?: Partial<Backoff>;
  smbPort?: number;
  now?: () => number;
  log?: (msg: string) => void;
  /** decorate (links/labels) after a mount; default true */
  decorate?: boolean;
  /** called with every change (the Node composition writes it where `pillars status` finds it) */
  persist?: (s: PillarStatus[]) => void;
}

export class MountManager {
  private readonly rt = new Map<string, PillarRuntime>();
  private readonly busy = new Set<string>();
  private readonly listeners = new Set<(s: PillarStatus[]) => void>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private ticking: Promise<void> | null = null;
  private readonly b: Backoff;
  private readonly now: () => number;
  private readonly log: (msg: string) => void;
  /** mount attempts made against the server, per pillar (tests count retry storms with it) */
  readonly attempts = new Map<string, number>();

  constructor(private readonly o: ManagerOptions) {
    this.b = { ...DEFAULT_BACKOFF, ...o.backoff };
    this.now = o.now ?? Date.now;
    this.log = o.log ?? (() => {});
    for (const p of o.pillars) this.rt.set(p.id, initial(this.now(), false));
  }

  // ---- queries ----------------------------------------------------------------------------

  status(): PillarStatus[] {
    return this.o.pillars.map((p) => {
      const r = this.rt.get(p.id) ?? initial(this.now(), false);
      return { id: p.id, label: p.label, state: r.state, reason: r.reason, path: this.o.platform.mountPath(p), freeBytes: r.freeBytes, since: new Date(r.since).toISOString(), wanted: r.wanted };
    });
  }

  onChange(fn: (s: PillarStatus[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  // ---- commands ---------------------------------------------------------------------------

  /** Mounts the given pillars (all when empty) in parallel; resolves with the statuses afterwards. */
  async mount(ids: string[] = []): Promise<PillarStatus[]> {
    const ps = this.select(ids);
    for (const p of ps) this.apply(p, { type: 'nudge' }, { wanted: true });
    if (!(await this.reachable())) {
      const away = await this.isAway();
      for (const p of ps) this.apply(p, { type: 'unreachable', away, host: this.o.server.host });
      return this.status();
    }
    await Promise.all(ps.map((p) => this.exclusive(p, () => this.mountOne(p), true)));
    return this.status();
  }

  async unmount(ids: string[] = []): Promise<PillarStatus[]> {
    const ps = this.select(ids);
    await Promise.all(
      ps.map((p) =>
        this.exclusive(p, async () => {
          this.patch(p, { wanted: false });
          await this.o.platform.unmount(p);
          this.apply(p, { type: 'unmounted', wanted: false });
        }, true),
      ),
    );
    return this.status();
  }

  async remount(ids: string[] = []): Promise<PillarStatus[]> {
    const ps = this.select(ids);
    await Promise.all(
      ps.map((p) =>
        this.exclusive(p, async () => {
          await this.o.platform.unmount(p, { force: true });
          this.apply(p, { type: 'unmounted', wanted: true });
        }, true),
      ),
    );
    return this.mount(ids);
  }

  /** One look at every pillar (server, mount table, probe child), no mount attempts. */
  async check(): Promise<PillarStatus[]> {
    // everything at once: the answer takes one deadline, not the sum of them
    const [reachable, probes] = await Promise.all([
      this.reachable(),
      Promise.all(this.o.pillars.map(async (p) => (this.busy.has(p.id) ? null : this.o.platform.probe(p, this.o.probeDeadlineMs ?? 3_000)))),
    ]);
    const away = reachable ? false : await this.isAway();
    this.o.pillars.forEach((p, i) => {
      const r = probes[i];
      if (!r) return;
      if (!reachable && r.kind !== 'ok' && r.kind !== 'missing') this.apply(p, { type: 'unreachable', away, host: this.o.server.host }, { wanted: true });
      else this.apply(p, { type: 'probe', result: r }, r.kind === 'ok' ? { wanted: true } : {});
    });
    return this.status();
  }

  /** Starts the health loop; pillars listed (all when empty) are wanted mounted. */
  start(ids: string[] = []): void {
    if (this.running) return;
    this.running = true;
    for (const p of this.select(ids)) this.patch(p, { wanted: true });
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
  }

  /** Wake from sleep, network change: look again now and retry what failed on the network. */
  nudge(_why: 'wake' | 'network-change' | 'user' = 'user'): void {
    for (const p of this.o.pillars) this.apply(p, { type: 'nudge' });
    if (this.running) this.schedule(0);
  }

  // ---- the loop ---------------------------------------------------------------------------

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.ticking = this.tick()
        .catch((e) => this.log(`health check failed: ${firstLine(e)}`))
        .finally(() => {
          this.ticking = null;
          this.schedule(this.o.checkIntervalMs ?? 2_000);
        });
    }, ms);
  }

  private async tick(): Promise<void> {
    const reachable = await this.reachable();
    const away = reachable ? false : await this.isAway();
    const work: Promise<void>[] = [];
    for (const p of this.o.pillars) {
      const rt = this.rt.get(p.id);
      if (!rt?.wanted || this.busy.has(p.id)) continue;
      if (!reachable) {
        // the mounts stay: smbnetfs, gvfs and the OS clients reconnect once the server is back
        this.apply(p, { type: 'unreachable', away, host: this.o.server.host });
        continue;
      }
      // probes and remounts run detached from the loop: one hung pillar never delays the others
      work.push(
        this.exclusive(p, async () => {
          const r = await this.o.platform.probe(p, this.o.probeDeadlineMs ?? 3_000);
          this.apply(p, { type: 'probe', result: r });
          if (r.kind === 'ok') void this.recordHome();
          const cur = this.rt.get(p.id)!;
          const act = decide(cur, this.now(), this.b);
          if (act === 'recover') {
            this.log(`${p.id}: stale (${cur.reason}); breaking the mount loose and remounting`);
            await this.o.platform.unmount(p, { force: true });
            this.apply(p, { type: 'mount-failed', kind: 'network', reason: `stale: ${cur.reason}` });
          } else if (act === 'mount') {
            await this.mountOne(p);
          }
        }),
      );
    }
    // wait for this round, but never longer than one interval + deadline: a stuck mount attempt
    // keeps running under its own deadline while the next round goes on
    await Promise.race([Promise.all(work), new Promise((r) => setTimeout(r, (this.o.checkIntervalMs ?? 2_000) + (this.o.probeDeadlineMs ?? 3_000)).unref?.())]);
  }

  // ---- one mount, with the secrets chain's healing ------------------------------------------

  private async mountOne(p: PillarSpec): Promise<void> {
    this.apply(p, { type: 'mount-started' }, { wanted: true });
    let pw: Password;
    try {
      pw = await this.o.secrets.get();
    } catch (e) {
      return this.secretFailed(p, e);
    }
    let outcome = await this.attempt(p, pw.password);
    if (!outcome.ok && outcome.kind === 'auth') {
      // rotated on the server? drop the cache, ask the vault once more, retry once
      let fresh: Password | null;
      try {
        fresh = await this.o.secrets.afterAuthFailure(pw.password);
      } catch (e) {
        return this.secretFailed(p, e, `${outcome.reason}; `);
      }
      if (!fresh) {
        this.apply(p, { type: 'mount-failed', kind: 'auth', reason: `${outcome.reason} (password from ${pw.from}); the secret sources hold the same password: update it (${this.o.secrets.describe().filter((s) => s.id !== 'cache').map((s) => s.describe).join(', ') || 'no source'})` });
        return;
      }
      pw = fresh;
      outcome = await this.attempt(p, pw.password);
      if (!outcome.ok && outcome.kind === 'auth') {
        await this.o.secrets.afterAuthFailure(pw.password).catch(() => null); // remember it as rejected
        this.apply(p, { type: 'mount-failed', kind: 'auth', reason: `${outcome.reason} (also with the password fetched again from ${pw.from})` });
        return;
      }
    }
    if (outcome.ok) {
      const cached = await this.o.secrets.accepted(pw);
      if (!cached.cached && cached.reason) this.log(`${p.id}: mounted, but the password was not cached: ${cached.reason}`);
      if (this.o.decorate !== false) {
        const d = await this.o.platform.decorate(this.o.server, p).catch((e: Error) => ({ ok: false, note: e.message }));
        if (!d.ok && d.note) this.log(`${p.id}: ${d.note}`);
      }
      this.apply(p, { type: 'mounted' });
      void this.recordHome();
      return;
    }
    this.apply(p, { type: 'mount-failed', kind: outcome.kind === 'busy' ? 'network' : outcome.kind, reason: outcome.reason });
  }

  private async attempt(p: PillarSpec, password: string) {
    this.attempts.set(p.id, (this.attempts.get(p.id) ?? 0) + 1);
    return this.o.platform.mount(this.o.server, p, password);
  }

  private secretFailed(p: PillarSpec, e: unknown, prefix = ''): void {
    if (e instanceof NoSecretError) {
      const transient = e.failures.length > 0 && e.failures.every((f) => /not reachable|cannot reach|in time|did not answer/.test(f.reason));
      this.apply(p, { type: 'mount-failed', kind: transient ? 'network' : 'auth', reason: prefix + e.message });
      return;
    }
    const reason = e instanceof SecretSourceError ? `${e.source}: ${e.reason}` : firstLine(e);
    this.apply(p, { type: 'mount-failed', kind: 'auth', reason: prefix + reason });
  }

  // ---- helpers ----------------------------------------------------------------------------

  private async reachable(): Promise<boolean> {
    return this.o.tcpProbe(this.o.server.host, this.o.smbPort ?? 445, this.o.tcpTimeoutMs ?? 1_500);
  }

  private async isAway(): Promise<boolean> {
    if (!this.o.network || !this.o.home) return false;
    const home = this.o.home.get();
    const here = await this.o.network.signature().catch(() => null);
    if (here === null) return true; // no network at all: nothing to fix from here
    return home !== null && here !== home;
  }

  private async recordHome(): Promise<void> {
    if (!this.o.network || !this.o.home) return;
    const here = await this.o.network.signature().catch(() => null);
    if (here && here !== this.o.home.get()) this.o.home.set(here);
  }

  private select(ids: string[]): PillarSpec[] {
    if (ids.length === 0) return this.o.pillars;
    return ids.map((id) => {
      const p = this.o.pillars.find((x) => x.id === id);
      if (!p) throw new Error(`no pillar ${JSON.stringify(id)} (configured: ${this.o.pillars.map((x) => x.id).join(', ')})`);
      return p;
    });
  }

  private async exclusive(p: PillarSpec, fn: () => Promise<void>, wait = false): Promise<void> {
    while (wait && this.busy.has(p.id)) await new Promise((r) => setTimeout(r, 50));
    if (this.busy.has(p.id)) return;
    this.busy.add(p.id);
    try {
      await fn();
    } catch (e) {
      this.log(`${p.id}: ${firstLine(e)}`);
      this.apply(p, { type: 'mount-failed', kind: 'error', reason: firstLine(e) });
    } finally {
      this.busy.delete(p.id);
    }
  }

  private patch(p: PillarSpec, patch: Partial<PillarRuntime>): void {
    const cur = this.rt.get(p.id) ?? initial(this.now(), false);
    this.rt.set(p.id, { ...cur, ...patch });
  }

  private apply(p: PillarSpec, obs: Observation, patch: Partial<PillarRuntime> = {}): void {
    const cur = { ...(this.rt.get(p.id) ?? initial(this.now(), false)), ...patch };
    const next = step(cur, obs, this.now(), this.b);
    const changed = next.state !== (this.rt.get(p.id)?.state ?? null) || next.reason !== this.rt.get(p.id)?.reason;
    this.rt.set(p.id, next);
    if (changed) {
      const s = this.status();
      for (const fn of this.listeners) fn(s);
      this.o.persist?.(s);
    }
  }
}
