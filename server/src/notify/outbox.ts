// Delivers the outbox: each channel on its own (one that is down never holds another back), its
// items in the order they were queued (a heartbeat's start before its fail). A message waits
// `groupSeconds` so a burst goes out as one; the rows a delivery carries and its idempotency key
// are written before the send, so a retry (after an error or a restart) sends the same thing
// under the same key. Failures back off from `retry.firstSeconds` up to `retry.maxSeconds`; after
// `retry.giveUpHours` an item is dropped with its last error, which stays visible.
import type { ChannelConfig, NotificationsConfig } from '../config/notify-schema';
import type { Clock } from '../ports/clock';
import type { NotifyTransport } from '../infra/notify-transport';
import type { RunSecrets } from '../secrets/resolver';
import type { NotifyStore, OutboxRow } from '../store/notify';
import { deliver } from './channels';
import { deliveryKey } from './messages';

export interface OutboxDeps {
  store: NotifyStore;
  clock: Clock;
  /** the current settings (they change when the pane edits pillarsd.yaml) */
  settings(): NotificationsConfig;
  /** a fresh secret cache for one delivery; disposed after it */
  secrets(): RunSecrets;
  transport: NotifyTransport;
  server(): string;
  log(msg: string): void;
  /** per request (default 15 s) */
  timeoutMs?: number;
}

const BATCH_MAX = 50;

/** Seconds before the next try after `attempts` failed ones. */
function retryDelaySeconds(attempts: number, first: number, max: number): number {
  return Math.min(max, first * 2 ** Math.max(0, attempts - 1));
}

/** Replaces every resolved secret value in a text (defence in depth: errors should hold none). */
export function masked(text: string, values: readonly string[]): string {
  let out = text;
  for (const v of values) if (v.length >= 4) out = out.split(v).join('***');
  return out;
}

export class Outbox {
  private readonly busy = new Set<string>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, { at: number; cancel(): void }>();
  private readonly running = new Set<Promise<void>>();
  /** channels whose last delivery failed: a failure is logged once, not at every retry */
  private readonly failing = new Set<string>();
  private stopped = false;

  constructor(private readonly d: OutboxDeps) {}

  /** Looks at these channels (default: every channel with something pending) soon, off the caller's stack. */
  kick(channels?: Iterable<string>): void {
    if (this.stopped) return;
    const names = channels ? [...channels] : this.d.store.channelsWithPending();
    for (const name of names) this.wake(name, this.d.clock.now().getTime());
  }

  /** Waits for deliveries under way; no new ones start. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }

  /** Resolves when no delivery is under way (tests, `notify test`). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  private wake(name: string, atMs: number): void {
    const prev = this.timers.get(name);
    if (prev && prev.at <= atMs) return;
    prev?.cancel();
    const delay = Math.max(0, atMs - this.d.clock.now().getTime());
    const t = this.d.clock.setTimeout(() => {
      this.timers.delete(name);
      this.start(name);
    }, delay);
    this.timers.set(name, { at: atMs, cancel: () => t.cancel() });
  }

  private start(name: string): void {
    if (this.stopped) return;
    if (this.busy.has(name)) {
      this.again.add(name);
      return;
    }
    this.busy.add(name);
    const p = this.drain(name)
      .catch((e: unknown) => this.d.log(`notifications: channel ${name}: ${(e as Error).message}`))
      .finally(() => {
        this.busy.delete(name);
        this.running.delete(p);
        if (this.again.delete(name)) this.start(name);
      });
    this.running.add(p);
  }

  private async drain(name: string): Promise<void> {
    const s = this.d.settings();
    while (!this.stopped) {
      const rows = this.d.store.pending(name, BATCH_MAX);
      if (rows.length === 0) return;
      const ch = s.channels[name];
      const now = this.d.clock.now();
      if (!ch || !ch.enabled) {
        const why = ch ? `channel ${name} is disabled` : `channel ${name} is no longer in pillarsd.yaml`;
        const key =
          rows[0]!.batch ??
          deliveryKey(
            name,
            rows.map((r) => r.itemId),
          );
        this.d.store.atomically(() =>
          this.d.store.formBatch(
            rows.map((r) => r.id),
            key,
          ),
        );
        this.d.store.batchFailed(name, key, now.toISOString(), why, null);
        continue;
      }
      const batch = this.pick(name, ch, rows, now.getTime(), s);
      if (!batch) return;
      if (!(await this.send(name, ch, batch.key, batch.rows, s))) return; // the retry is scheduled
    }
  }

  /** The next delivery of a channel, formed and stored; null when nothing is due yet (a wake-up is set). */
  private pick(name: string, ch: ChannelConfig, rows: OutboxRow[], now: number, s: NotificationsConfig): { key: string; rows: OutboxRow[] } | null {
    const head = rows[0]!;
    if (head.batch) {
      const at = head.nextAt ? Date.parse(head.nextAt) : 0;
      if (at > now) {
        this.wake(name, at);
        return null;
      }
      return { key: head.batch, rows: rows.filter((r) => r.batch === head.batch) };
    }
    const waitMs = ch.type === 'heartbeat' ? 0 : s.groupSeconds * 1000;
    const due = Date.parse(head.createdAt) + waitMs;
    if (due > now) {
      this.wake(name, due);
      return null;
    }
    // pings go one by one (each is its own URL); messages of a burst go together
    const taken = ch.type === 'heartbeat' ? [head] : rows.filter((r) => r.batch === null);
    const key = deliveryKey(
      name,
      taken.map((r) => r.itemId),
    );
    this.d.store.atomically(() =>
      this.d.store.formBatch(
        taken.map((r) => r.id),
        key,
      ),
    );
    return { key, rows: taken };
  }

  private async send(name: string, ch: ChannelConfig, key: string, rows: OutboxRow[], s: NotificationsConfig): Promise<boolean> {
    const secrets = this.d.secrets();
    const started = this.d.clock.now();
    try {
      await deliver(
        ch,
        key,
        rows.map((r) => JSON.parse(r.payload) as unknown),
        { server: this.d.server(), now: started, secret: (n) => secrets.get(n), transport: this.d.transport, timeoutMs: this.d.timeoutMs ?? 15_000 },
      );
      this.d.store.batchSent(name, key, this.d.clock.now().toISOString());
      if (this.failing.delete(name)) this.d.log(`notifications: channel ${name} delivers again`);
      return true;
    } catch (e) {
      const error = masked((e as Error).message, secrets.values()).slice(0, 500);
      const now = this.d.clock.now();
      const attempts = rows[0]!.attempts + 1;
      const age = now.getTime() - Date.parse(rows[0]!.createdAt);
      const giveUp = age > s.retry.giveUpHours * 3_600_000;
      const nextAt = giveUp ? null : new Date(now.getTime() + retryDelaySeconds(attempts, s.retry.firstSeconds, s.retry.maxSeconds) * 1000);
      this.d.store.batchFailed(name, key, now.toISOString(), error, nextAt?.toISOString() ?? null);
      if (giveUp) this.d.log(`notifications: channel ${name}: gave up on ${rows.length} item(s) after ${attempts} attempts: ${error}`);
      else if (!this.failing.has(name)) this.d.log(`notifications: channel ${name}: delivery failed (${error}); retrying with back-off`);
      this.failing.add(name);
      if (nextAt) this.wake(name, nextAt.getTime());
      return giveUp; // a dropped delivery lets the next one go
    } finally {
      secrets.dispose();
    }
  }
}
