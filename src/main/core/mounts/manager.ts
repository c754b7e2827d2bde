// The mount manager: keeps every wanted pillar mounted, in parallel, and tells the truth about
// each one. Every round (2 s) it makes only cheap checks: the SMB server is asked (an ECHO on a
// kept connection; a fresh NEGOTIATE when that fails, which tells a dead, a hung and an
// unreachable server apart) and the platform looks at its own mount table; every pillar that is
// not mounted gets its guard put back (rule 9), whatever unmounted it. The expensive probe, which
// touches the share in a child with a deadline, runs rarely: after a mount, once a minute on a
// healthy one, and when a cheap check says something changed. A mount is broken loose only when a
// cheap check confirms the mount itself is at fault (its FUSE daemon died, calls are stuck while
// the server answers) and nothing is open on it; a probe timing out alone, or the server being
// away, never takes a drive from the user.
import type { MountLook, PillarSpec, PillarState, Platform, ServerProbe, ServerProbeResult, SmbServer } from '../../../platform/types';
import { BusyError } from '../../../platform/common/errors';
import type { Secrets, Password } from '../secrets/chain';
import { GIVE_PASSWORD, NoSecretError, SecretSourceError, firstLine } from '../secrets/types';
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
  /** set when the last unmount or remount was refused because files are open on the share */
  openFiles?: number;
}

export interface ManagerOptions {
  platform: Platform;
  secrets: Secrets;
  server: SmbServer;
  pillars: PillarSpec[];
  serverProbe: ServerProbe;
  network?: NetworkLocator;
  home?: HomeNetworkStore;
  /** how often the cheap round runs (default 2 s) */
  checkIntervalMs?: number;
  /** how often the platform's own look runs, a multiple of the round (default: every round; Windows asks its helper every 10 s) */
  lookEveryMs?: number;
  /** how often a healthy mount is probed through the share (default 60 s) */
  probeEveryMs?: number;
  /** deadline of one probe (default 3 s) */
  probeDeadlineMs?: number;
  /** deadline of the SMB server check (default 1.5 s) */
  serverTimeoutMs?: number;
  backoff?: Partial<Backoff>;
  smbPort?: number;
  now?: () => number;
  log?: (msg: string) => void;
  /** decorate (links/labels) after a mount; default true */
  decorate?: boolean;
  /** called with every change (the Node composition writes it where `pillars status` finds it) */
  persist?: (s: PillarStatus[]) => void;
}

/** What a running core may change without a restart (settings applied live). */
export interface ManagerConfig {
  platform: Platform;
  secrets: Secrets;
  server: SmbServer;
  pillars: PillarSpec[];
}

interface PillarWatch {
  /** when the share was last probed through the mount */
  probedAt: number;
  /** the last cheap look (Windows looks less often than the round runs) */
  look: MountLook | null;
  /** open files found when a recovery was due; re-counted at most every 30 s */
  heldAt: number;
  held?: string;
  /** files open when the last unmount/remount request was refused */
  refused?: number;
}

const sameServer = (a: SmbServer, b: SmbServer) => a.host === b.host && a.username === b.username && (a.domain ?? '') === (b.domain ?? '');
const samePillar = (a: PillarSpec, b: PillarSpec) => a.share === b.share && (a.drive ?? '') === (b.drive ?? '');

export class MountManager {
  private readonly rt = new Map<string, PillarRuntime>();
  private readonly watch = new Map<string, PillarWatch>();
  private readonly busy = new Set<string>();
  private readonly listeners = new Set<(s: PillarStatus[]) => void>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private ticking: Promise<void> | null = null;
  /** pillar rounds still running (stop() waits for them) */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly b: Backoff;
  private readonly now: () => number;
  private readonly log: (msg: string) => void;
  private cfg: ManagerConfig;
  private serverDown = false;
  private lookedAt = -Infinity;
  /** mount attempts made against the server, per pillar (tests count retry storms with it) */
  readonly attempts = new Map<string, number>();
  /** probes made through the share, per pillar (the probing benchmark counts them) */
  readonly probes = new Map<string, number>();

  constructor(private readonly o: ManagerOptions) {
    this.b = { ...DEFAULT_BACKOFF, ...o.backoff };
    this.now = o.now ?? Date.now;
    this.log = o.log ?? (() => {});
    this.cfg = { platform: o.platform, secrets: o.secrets, server: o.server, pillars: o.pillars };
    for (const p of o.pillars) this.rt.set(p.id, initial(this.now(), false));
  }

  get platform(): Platform {
    return this.cfg.platform;
  }

  // ---- queries ----------------------------------------------------------------------------

  status(): PillarStatus[] {
    return this.cfg.pillars.map((p) => {
      const r = this.rt.get(p.id) ?? initial(this.now(), false);
      const refused = this.watch.get(p.id)?.refused;
      return {
        id: p.id,
        label: p.label,
        state: r.state,
        reason: r.reason,
        path: this.cfg.platform.mountPath(p),
        freeBytes: r.freeBytes,
        since: new Date(r.since).toISOString(),
        wanted: r.wanted,
        ...(refused ? { openFiles: refused } : {}),
      };
    });
  }

  onChange(fn: (s: PillarStatus[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  // ---- commands ---------------------------------------------------------------------------

  /**
   * Mounts the given pillars (all when empty) in parallel; resolves with the statuses afterwards.
   * secrets: this once, another chain (a password given to `pillars mount --password-stdin`).
   */
  async mount(ids: string[] = [], opts: { secrets?: Secrets } = {}): Promise<PillarStatus[]> {
    const ps = this.select(ids);
    for (const p of ps) this.apply(p, { type: 'nudge' }, { wanted: true });
    const server = await this.askServer();
    if (!server.ok) {
      const away = await this.isAway();
      for (const p of ps) this.apply(p, this.unreachable(server, away));
      return this.status();
    }
    await Promise.all(ps.map((p) => this.exclusive(p, () => this.mountOne(p, opts.secrets ?? this.cfg.secrets), true)));
    return this.status();
  }

  /**
   * Unmounts and leaves the folders guarded; the pillars stay unwanted until mount(). Without
   * force, a pillar with files open on it is left mounted and says so (status().openFiles).
   */
  async unmount(ids: string[] = [], opts: { force?: boolean } = {}): Promise<PillarStatus[]> {
    const ps = this.select(ids);
    await Promise.all(
      ps.map((p) =>
        this.exclusive(
          p,
          async () => {
            if (!(await this.release(p, opts.force === true))) return;
            this.apply(p, { type: 'unmounted', wanted: false });
          },
          true,
        ),
      ),
    );
    return this.status();
  }

  /** Breaks the mounts loose and mounts them again (the user asked: a hung mount is aborted). */
  async remount(ids: string[] = [], opts: { force?: boolean; secrets?: Secrets } = {}): Promise<PillarStatus[]> {
    const ps = this.select(ids);
    const released: string[] = [];
    await Promise.all(
      ps.map((p) =>
        this.exclusive(
          p,
          async () => {
            if (!(await this.release(p, opts.force === true))) return;
            released.push(p.id);
            this.apply(p, { type: 'unmounted', wanted: true });
          },
          true,
        ),
      ),
    );
    return released.length ? this.mount(released, opts.secrets ? { secrets: opts.secrets } : {}) : this.status();
  }

  /**
   * One look at every pillar, no mount attempts, from the cheap checks alone (the server's answer,
   * the mount table, the mount's own counters): a one-shot `pillars status` starts no child. Only a
   * mount the cheap checks find broken or stuck is probed through the share.
   */
  async check(): Promise<PillarStatus[]> {
    // everything at once: the answer takes one deadline, not the sum of them
    const [server, looks] = await Promise.all([this.askServer(), this.lookAll(true)]);
    const away = server.ok ? false : await this.isAway();
    await Promise.all(
      this.cfg.pillars.map(async (p, i) => {
        const look = looks?.[i];
        if (this.busy.has(p.id) || !look) return;
        if (!look.mounted) return this.apply(p, { type: 'probe', result: { kind: 'missing', reason: 'not mounted' } });
        if (!server.ok) return this.apply(p, this.unreachable(server, away), { wanted: true });
        const r = look.broken !== null || (look.waiting ?? 0) > 0 ? await this.probe(p) : ({ kind: 'ok', freeBytes: null, totalBytes: null } as const);
        this.apply(p, { type: 'probe', result: r }, r.kind === 'ok' ? { wanted: true } : {});
      }),
    );
    return this.status();
  }

  /** Starts the health loop; pillars listed (all when empty) are wanted mounted. */
  start(ids: string[] = []): void {
    if (this.running) return;
    this.running = true;
    for (const p of this.select(ids)) this.patch(p, { wanted: true });
    void this.o.network?.signature().catch(() => null); // known before the server is ever missed
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
    await Promise.all([...this.inFlight]);
  }

  /** Wake from sleep, network change: look again now and retry what failed on the network. */
  nudge(_why: 'wake' | 'network-change' | 'user' = 'user'): void {
    for (const p of this.cfg.pillars) this.apply(p, { type: 'nudge' });
    this.lookedAt = -Infinity;
    if (this.running) this.schedule(0);
  }

  /**
   * New settings, applied live: pillars no longer configured are unmounted, a changed server,
   * platform (mount root, links, backend) or share remounts what it touches, new pillars are
   * wanted when the loop runs.
   */
  async reconfigure(next: ManagerConfig): Promise<void> {
    const prev = this.cfg;
    const moved = prev.platform !== next.platform || !sameServer(prev.server, next.server);
    const leaving = prev.pillars.filter((p) => moved || !next.pillars.some((q) => q.id === p.id && samePillar(p, q)));
    // the old mounts go with the old platform and server, gently (open files keep a pillar)
    await Promise.all(
      leaving.map((p) =>
        this.exclusive(
          p,
          async () => {
            try {
              await prev.platform.unmount(p);
            } catch (e) {
              this.log(`${p.id}: not unmounted for the new settings: ${firstLine(e)}`);
            }
          },
          true,
        ),
      ),
    );
    const wanted = new Map(prev.pillars.map((p) => [p.id, this.rt.get(p.id)?.wanted ?? false]));
    this.cfg = next;
    for (const id of [...this.rt.keys()]) if (!next.pillars.some((p) => p.id === id)) this.rt.delete(id);
    for (const p of next.pillars) {
      const stays = !leaving.some((l) => l.id === p.id) && this.rt.has(p.id);
      if (!stays) this.rt.set(p.id, initial(this.now(), wanted.get(p.id) ?? this.running));
      this.watch.delete(p.id);
    }
    this.serverDown = false;
    this.lookedAt = -Infinity;
    this.emit();
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
    const [server, looks] = await Promise.all([this.askServer(), this.lookAll(false)]);
    if (server.ok && this.serverDown) {
      this.log(`${this.cfg.server.host} answers again: retrying now`);
      for (const p of this.cfg.pillars) this.apply(p, { type: 'server-back' });
    }
    this.serverDown = !server.ok;
    const away = server.ok ? false : await this.isAway();
    this.cfg.pillars.forEach((p, i) => {
      if (this.busy.has(p.id)) return;
      const look = looks?.[i] ?? this.watch.get(p.id)?.look ?? null;
      // each pillar's round runs detached from the loop: a mount attempt or a probe in progress
      // (under its own deadline) never delays the next round's look at the server and the others
      const work = this.exclusive(p, () => this.round(p, look, server, away));
      this.inFlight.add(work);
      void work.finally(() => this.inFlight.delete(work));
    });
  }

  private async round(p: PillarSpec, look: MountLook | null, server: ServerProbeResult, away: boolean): Promise<void> {
    const rt = this.rt.get(p.id)!;
    if (!look) return; // the platform could not look this time (logged): nothing is decided blind
    if (!look.mounted) {
      // rule 9: whatever took the mount away (eject, a dead server, a crash), the guard is back now
      await this.guard(p);
      if (!rt.wanted) return;
      if (rt.state === 'mounted' || rt.state === 'stale' || rt.state === 'mounting') this.apply(p, { type: 'probe', result: { kind: 'missing', reason: 'the mount went away' } });
      if (!server.ok) return this.apply(p, this.unreachable(server, away));
      if (decide(this.rt.get(p.id)!, this.now(), this.b) === 'mount') await this.mountOne(p);
      return;
    }
    if (!rt.wanted) return; // mounted, but not asked of this core (`pillars watch flux` leaves space alone)
    if (!server.ok) return this.apply(p, this.unreachable(server, away));
    const w = this.watchOf(p);
    const due = rt.state !== 'mounted' || look.broken !== null || (look.waiting ?? 0) > 0 || this.now() - w.probedAt >= (this.o.probeEveryMs ?? 60_000);
    if (!due) return;
    const r = await this.probe(p);
    this.apply(p, { type: 'probe', result: r }, { wanted: true });
    if (r.kind === 'ok') {
      delete w.held;
      return void this.recordHome();
    }
    if (r.kind === 'auth' || r.kind === 'missing') return;
    // the server answers, the share through this mount does not: is the mount itself at fault?
    const cur = this.rt.get(p.id)!;
    const confirmed = look.broken ?? ((look.waiting ?? 0) > 0 ? `${look.waiting} calls stuck on the mount while ${this.cfg.server.host} answers` : null);
    if (confirmed && decide(cur, this.now(), this.b) === 'recover') await this.recover(p, look, confirmed);
  }

  /** Breaks a faulty mount loose and lets the loop mount it again, unless files are open on it. */
  private async recover(p: PillarSpec, look: MountLook, why: string): Promise<void> {
    const w = this.watchOf(p);
    const held = (reason: string) => this.apply(p, { type: 'probe', result: { kind: 'stale', reason } });
    if (w.held && this.now() - w.heldAt < 30_000) return held(w.held);
    // a mount whose FUSE daemon is gone can serve nothing any more: its open files are dead already
    const open = look.broken && this.cfg.platform.os === 'linux' ? 0 : (look.openFiles ?? (await this.cfg.platform.openFiles(p)));
    if (open !== 0) {
      const n = open === null ? 'files may be' : `${open} ${open === 1 ? 'file is' : 'files are'}`;
      w.heldAt = this.now();
      w.held = `${why}; ${n} open on it, so Pillars leaves it alone: remount it to close them and mount again`;
      return held(w.held);
    }
    delete w.held;
    this.log(`${p.id}: ${why}; nothing open on it: breaking the mount loose and remounting`);
    await this.cfg.platform.unmount(p, { force: true });
    this.apply(p, { type: 'mount-failed', kind: 'network', reason: `stale: ${why}` });
  }

  /** Unmounts for a command; false (and the pillar says why) when open files stopped it. */
  private async release(p: PillarSpec, force: boolean): Promise<boolean> {
    const w = this.watchOf(p);
    delete w.refused;
    try {
      await this.cfg.platform.unmount(p, { force });
      return true;
    } catch (e) {
      if (!(e instanceof BusyError)) throw e;
      w.refused = e.openFiles;
      this.patchReason(p, `${e.message}; close them first, or force it`);
      return false;
    }
  }

  // ---- one mount, with the secrets chain's healing ------------------------------------------

  private async mountOne(p: PillarSpec, secrets: Secrets = this.cfg.secrets): Promise<void> {
    this.apply(p, { type: 'mount-started' }, { wanted: true });
    let pw: Password;
    try {
      pw = await secrets.get();
    } catch (e) {
      return this.secretFailed(p, e);
    }
    let outcome = await this.attempt(p, pw.password);
    if (!outcome.ok && outcome.kind === 'auth') {
      // rotated on the server? drop the cache, ask the vault once more, retry once
      let fresh: Password | null;
      try {
        fresh = await secrets.afterAuthFailure(pw.password);
      } catch (e) {
        return this.secretFailed(p, e, `${outcome.reason}; `);
      }
      if (!fresh) {
        const sources = secrets.describe().filter((s) => s.id !== 'cache');
        const where = sources.length ? `update it in ${sources.map((s) => s.describe).join(', ')}` : GIVE_PASSWORD;
        this.apply(p, { type: 'mount-failed', kind: 'auth', reason: `${outcome.reason} (password from ${pw.from}); no other source holds a different password: ${where}` });
        return;
      }
      pw = fresh;
      outcome = await this.attempt(p, pw.password);
      if (!outcome.ok && outcome.kind === 'auth') {
        await secrets.afterAuthFailure(pw.password).catch(() => null); // remember it as rejected
        this.apply(p, { type: 'mount-failed', kind: 'auth', reason: `${outcome.reason} (also with the password fetched again from ${pw.from})` });
        return;
      }
    }
    if (outcome.ok) {
      const cached = await secrets.accepted(pw);
      if (!cached.cached && cached.reason) this.log(`${p.id}: mounted, but the password was not cached: ${cached.reason}`);
      if (this.o.decorate !== false) {
        const d = await this.cfg.platform.decorate(this.cfg.server, p).catch((e: Error) => ({ ok: false, note: e.message }));
        if (!d.ok && d.note) this.log(`${p.id}: ${d.note}`);
      }
      this.watchOf(p).probedAt = this.now(); // the mount's own check just proved the share
      this.apply(p, { type: 'mounted' });
      void this.recordHome();
      return;
    }
    this.apply(p, { type: 'mount-failed', kind: outcome.kind === 'busy' ? 'network' : outcome.kind, reason: outcome.reason });
  }

  private async attempt(p: PillarSpec, password: string) {
    this.attempts.set(p.id, (this.attempts.get(p.id) ?? 0) + 1);
    return this.cfg.platform.mount(this.cfg.server, p, password);
  }

  private secretFailed(p: PillarSpec, e: unknown, prefix = ''): void {
    if (e instanceof NoSecretError) {
      // only the sources count: a keychain that cannot be reached (no D-Bus on an SSH host) is no
      // network problem, and a vault that did not answer is not a wrong password
      const sources = e.failures.filter((f) => !f.cache);
      const transient = sources.length > 0 && sources.every((f) => f.transient);
      this.apply(p, { type: 'mount-failed', kind: transient ? 'network' : 'auth', reason: prefix + e.message });
      return;
    }
    const reason = e instanceof SecretSourceError ? `${e.source}: ${e.reason}` : firstLine(e);
    this.apply(p, { type: 'mount-failed', kind: 'auth', reason: prefix + reason });
  }

  // ---- helpers ----------------------------------------------------------------------------

  private askServer(): Promise<ServerProbeResult> {
    return this.o.serverProbe(this.cfg.server.host, this.o.smbPort ?? 445, this.o.serverTimeoutMs ?? 1_500);
  }

  /** The platform's look at every pillar; on rounds between looks (Windows), null: the last one stands. */
  private async lookAll(force: boolean): Promise<MountLook[] | null> {
    if (!force && this.now() - this.lookedAt < (this.o.lookEveryMs ?? 0)) return null;
    this.lookedAt = this.now();
    try {
      const looks = await this.cfg.platform.look(this.cfg.pillars);
      this.cfg.pillars.forEach((p, i) => (this.watchOf(p).look = looks[i] ?? null));
      return looks;
    } catch (e) {
      this.log(`cannot look at the mounts: ${firstLine(e)}`);
      return null;
    }
  }

  private async probe(p: PillarSpec) {
    this.probes.set(p.id, (this.probes.get(p.id) ?? 0) + 1);
    this.watchOf(p).probedAt = this.now();
    return this.cfg.platform.probe(p, this.o.probeDeadlineMs ?? 3_000);
  }

  private async guard(p: PillarSpec): Promise<void> {
    try {
      await this.cfg.platform.guard(p);
    } catch (e) {
      // the folder cannot be guarded (files were written into it, it was replaced): say so
      const rt = this.rt.get(p.id)!;
      const why = `not guarded: ${firstLine(e)}`;
      if (rt.reason !== why) this.log(`${p.id}: ${why}`);
      if (!rt.wanted) this.patchReason(p, why);
    }
  }

  private unreachable(server: ServerProbeResult, away: boolean): Observation {
    return { type: 'unreachable', away, host: this.cfg.server.host, ...(server.ok ? {} : { kind: server.kind, reason: server.reason }) };
  }

  private async isAway(): Promise<boolean> {
    if (!this.o.network || !this.o.home) return false;
    const home = this.o.home.get();
    // the signature may cost a child process (seconds under load): a round uses what is known and
    // lets the read finish in the background, so a dead server is reported at once, as away once known
    const known = this.o.network.known?.();
    let here: string | null;
    if (known !== undefined) here = known;
    else if (this.o.network.known) {
      void this.o.network
        .signature()
        .catch(() => null)
        .then(() => this.nudgeSoon());
      return false;
    } else {
      // unreadable is unknown, not away: the pillars then show the failure they have
      const read = await this.o.network.signature().then(
        (v) => ({ v }),
        () => null,
      );
      if (!read) return false;
      here = read.v;
    }
    if (here === null) return true; // no network at all: nothing to fix from here
    return home !== null && here !== home;
  }

  /** Another round now (the answer a round was waiting for has come). */
  private nudgeSoon(): void {
    if (this.running && !this.ticking) this.schedule(0);
  }

  private async recordHome(): Promise<void> {
    if (!this.o.network || !this.o.home) return;
    const here = await this.o.network.signature().catch(() => null);
    if (here && here !== this.o.home.get()) this.o.home.set(here);
  }

  private select(ids: string[]): PillarSpec[] {
    if (ids.length === 0) return this.cfg.pillars;
    return ids.map((id) => {
      const p = this.cfg.pillars.find((x) => x.id === id);
      if (!p) throw new Error(`no pillar ${JSON.stringify(id)} (configured: ${this.cfg.pillars.map((x) => x.id).join(', ')})`);
      return p;
    });
  }

  private watchOf(p: PillarSpec): PillarWatch {
    let w = this.watch.get(p.id);
    if (!w) this.watch.set(p.id, (w = { probedAt: -Infinity, look: null, heldAt: -Infinity }));
    return w;
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

  private patchReason(p: PillarSpec, reason: string): void {
    const cur = this.rt.get(p.id);
    if (!cur || cur.reason === reason) return;
    this.rt.set(p.id, { ...cur, reason });
    this.emit();
  }

  private emit(): void {
    const s = this.status();
    for (const fn of this.listeners) fn(s);
    this.o.persist?.(s);
  }

  private apply(p: PillarSpec, obs: Observation, patch: Partial<PillarRuntime> = {}): void {
    const cur = { ...(this.rt.get(p.id) ?? initial(this.now(), false)), ...patch };
    const next = step(cur, obs, this.now(), this.b);
    const changed = next.state !== (this.rt.get(p.id)?.state ?? null) || next.reason !== this.rt.get(p.id)?.reason;
    this.rt.set(p.id, next);
    if (changed) this.emit();
  }
}
