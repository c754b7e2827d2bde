// The notifier of `pillarsd serve`: it follows the event hub from its own cursor (so runs of a
// `pillarsd run` next to it, and events stored just before a crash, are seen too), polls the
// watchers' state on a timer, keeps the incidents, and fills the outbox. The hub's subscribers are
// called inside the engine's publish: this one only schedules work, so sending never delays a job.
import type { Config } from '../config/schema';
import type { NotificationsConfig } from '../config/notify-schema';
import { durationMs } from '../config/notify-schema';
import type { ChannelState, IncidentInfo, JobNotifyChoices, Notice, NoticeKind, NotificationsResponse, NotifyTestResult, Run, SambaIncident, SambaIncidents, StatusResponse, StoredEvent } from '../contract/api';
import { JOB_NOTICE_KINDS, NOTICE_KINDS, SUCCESS_STATUSES } from '../contract/api';
import type { EventHub, NotificationsApi, SambaApi, StatusApi } from '../ports/services';
import { BadRequestError, NotFoundError } from '../ports/errors';
import { withJobNotify } from '../config/edit';
import type { ConfigWriter } from '../config/writer';
import type { Clock } from '../ports/clock';
import type { NotifyTransport } from '../infra/notify-transport';
import { runSecrets, type SecretBackends } from '../secrets/resolver';
import type { NotifyStore } from '../store/notify';
import { describeTarget, deliver } from './channels';
import { conditionsFromStatus, SAMBA_DRIFT_KEY, SAMBA_RELOAD_KEY, sambaCondition, sambaReloadCondition } from './conditions';
import { noticeId, onCondition, onRun, onTick, type Condition, type Incident, type NoticeDraft, type Transition } from './incidents';
import { channelsFor, withLink, type Ping } from './messages';
import { masked, Outbox } from './outbox';

export interface NotifierDeps {
  config: Config;
  store: NotifyStore;
  hub: Pick<EventHub, 'subscribe'>;
  status?: StatusApi;
  samba?: Pick<SambaApi, 'state'>;
  /** days until a pillar is full at its current growth (the capacity samples' trend), or null */
  daysUntilFull?: (pillar: string) => number | null;
  clock: Clock;
  secretBackends: SecretBackends;
  transport: NotifyTransport;
  /** how the server names itself when notifications.serverName is not set */
  hostname: string;
  log(msg: string): void;
  timeoutMs?: number;
  /** pillarsd.yaml's writer, where the pane's edits of a job's choices go (serve has one) */
  writer?: ConfigWriter;
}

const DEFAULTS: NotificationsConfig = {
  groupSeconds: 20,
  reminders: ['1h', '6h', '24h'],
  pollSeconds: 60,
  sambaPollMinutes: 15,
  retry: { firstSeconds: 10, maxSeconds: 600, giveUpHours: 168 },
  capacity: { fullWithinDays: 14 },
  channels: {},
  jobs: {},
};

const RUN_EVENTS = new Set(['run.queued', 'run.started', 'run.finished', 'run.blocked']);

export class Notifier implements NotificationsApi {
  private config: Config;
  private readonly outbox: Outbox;
  private unsubscribe: (() => void) | null = null;
  private pollTimer: { cancel(): void } | null = null;
  private drainTimer: { cancel(): void } | null = null;
  private polling: Promise<void> | null = null;
  private lastSambaPoll = 0;
  private stopped = false;

  constructor(private readonly d: NotifierDeps) {
    this.config = d.config;
    this.outbox = new Outbox({
      store: d.store,
      clock: d.clock,
      settings: () => this.settings(),
      secrets: () => runSecrets(this.config.secrets, d.secretBackends),
      transport: d.transport,
      server: () => this.server(),
      log: d.log,
      timeoutMs: d.timeoutMs,
    });
  }

  settings(): NotificationsConfig {
    return this.config.notifications ?? DEFAULTS;
  }

  private server(): string {
    return this.settings().serverName ?? this.d.hostname;
  }

  /** A new configuration (the pane changed a job's choices): routing follows it from now on. */
  setConfig(c: Config): void {
    this.config = c;
  }

  start(): void {
    this.unsubscribe = this.d.hub.subscribe((e) => {
      if (RUN_EVENTS.has(e.event.type)) this.scheduleDrain();
    });
    this.drain();
    this.outbox.kick();
    const tick = () => {
      this.pollTimer = null;
      void this.poll().finally(() => {
        if (!this.stopped) this.pollTimer = this.d.clock.setTimeout(tick, this.settings().pollSeconds * 1000);
      });
    };
    this.pollTimer = this.d.clock.setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.pollTimer?.cancel();
    this.drainTimer?.cancel();
    await this.polling;
    await this.outbox.stop();
  }

  /** Resolves when no delivery is under way. */
  idle(): Promise<void> {
    return this.outbox.idle();
  }

  private scheduleDrain(): void {
    if (this.drainTimer || this.stopped) return;
    this.drainTimer = this.d.clock.setTimeout(() => {
      this.drainTimer = null;
      this.drain();
    }, 0);
  }

  /** Acts on every run event stored after the cursor; each chunk with its outbox rows and the cursor in one transaction. */
  drain(): void {
    const touched = new Set<string>();
    try {
      for (;;) {
        const more = this.d.store.atomically(() => {
          const cursor = this.d.store.cursor();
          const { events, upTo } = this.d.store.eventsAfter(cursor, 200);
          for (const e of events) this.onEvent(e, touched);
          if (upTo !== cursor) this.d.store.setCursor(upTo);
          return events.length === 200;
        });
        if (!more) break;
      }
    } catch (e) {
      // the database is busy (a CLI run holds it): the next event or poll drains again
      this.d.log(`notifications: could not read new events yet: ${(e as Error).message}`);
    }
    if (touched.size) this.outbox.kick(touched);
  }

  private onEvent(e: StoredEvent, touched: Set<string>): void {
    const ev = e.event;
    if (!('run' in ev)) return;
    const run: Run = ev.run;
    const at = e.at;
    if (ev.type === 'run.started') this.ping(e.id, run, 'start', touched);
    if (ev.type === 'run.finished' || ev.type === 'run.blocked') {
      if (SUCCESS_STATUSES.includes(run.status)) this.ping(e.id, run, 'success', touched);
      else if (run.status !== 'cancelled' || run.startedAt) this.ping(e.id, run, 'fail', touched);
    }
    if (ev.type === 'run.started') return;
    const key = `job:${run.jobId}`;
    this.apply(key, onRun(this.d.store.incident(key), run, at), touched);
  }

  private ping(eventId: number, run: Run, which: Ping['which'], touched: Set<string>): void {
    for (const [name, ch] of Object.entries(this.settings().channels)) {
      if (ch.type !== 'heartbeat' || !ch.enabled || !ch.jobs[run.jobId]) continue;
      const body = which === 'start' ? `${run.jobId}: run ${run.id} started` : `${run.jobId}: run ${run.id} ${run.status}${run.error ? `: ${run.error}` : ''}`;
      const p: Ping = { id: `p-${eventId}-${which}`, jobId: run.jobId, runId: run.id, which, body };
      if (this.d.store.enqueue(name, p.id, p, this.d.clock.now().toISOString())) touched.add(name);
    }
  }

  /** Writes an incident's new state and queues its notice for the channels that want it. */
  private apply(key: string, t: Transition, touched: Set<string>): void {
    const before = this.d.store.incident(key);
    let next = t.next;
    if (t.notice) {
      const channels = channelsFor(t.notice, before ?? null, this.settings());
      const n = withLink(t.notice, this.settings().paneUrl);
      const now = this.d.clock.now().toISOString();
      for (const name of channels) if (this.d.store.enqueue(name, n.id, n, now)) touched.add(name);
      if (next && t.notice.phase !== 'resolved') next = { ...next, sentTo: [...new Set([...next.sentTo, ...channels])] };
    }
    if (next !== before) this.d.store.putIncident(key, next);
  }

  /** The watchers' state and the reminders; the poll timer calls this, tests call it on a manual clock. */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => (this.polling = null));
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    this.drain();
    const conditions: Condition[] = [];
    let st: StatusResponse | null = null;
    if (this.d.status) {
      try {
        st = await this.d.status.status();
      } catch (e) {
        this.d.log(`notifications: status unavailable: ${(e as Error).message}`);
      }
    }
    if (st) {
      const s = this.settings();
      const open = new Set(
        this.d.store
          .incidents()
          .filter((i) => i.key.startsWith('job:') && i.jobId)
          .map((i) => i.jobId!),
      );
      const trends = new Map(st.pillars.map((p) => [p.id, this.d.daysUntilFull?.(p.id) ?? null] as const));
      const warnFree = this.config.capacity?.warnFreePercent ?? 10;
      conditions.push(
        ...conditionsFromStatus(st, trends, {
          usedPercent: s.capacity.usedPercent ?? 100 - warnFree,
          fullWithinDays: s.capacity.fullWithinDays,
          timeMachineDays: s.timeMachineDays ?? null,
          jobsInTrouble: open,
        }),
      );
    }
    const now = this.d.clock.now();
    if (this.d.samba && now.getTime() - this.lastSambaPoll >= this.settings().sambaPollMinutes * 60_000) {
      this.lastSambaPoll = now.getTime();
      try {
        conditions.push(sambaCondition(await this.d.samba.state(), null));
      } catch (e) {
        conditions.push(sambaCondition(null, (e as Error).message));
      }
    }
    const touched = new Set<string>();
    const at = this.d.clock.now();
    const reminders = this.settings().reminders.map(durationMs);
    this.d.store.atomically(() => {
      for (const c of conditions) this.apply(c.key, onCondition(this.d.store.incident(c.key), c, at.toISOString()), touched);
      for (const inc of this.d.store.incidents()) if (inc.waitingSince) this.apply(inc.key, onTick(inc, at, reminders), touched);
      this.d.store.prune(new Date(at.getTime() - 30 * 86_400_000).toISOString());
    });
    if (touched.size) this.outbox.kick(touched);
  }

  /**
   * The open Samba incidents, for the status's `samba` field. Reading Samba's state is admin-only
   * (it holds the whole smb.conf), so without this a viewer's Overview said all is well while smbd
   * ran a hand-edited config or had not taken the last apply.
   */
  sambaIncidents(): SambaIncidents {
    const open = (key: string): SambaIncident | null => {
      const i = this.d.store.incident(key);
      return i ? { title: i.title, text: i.text } : null;
    };
    return { drift: open(SAMBA_DRIFT_KEY), reloadFailed: open(SAMBA_RELOAD_KEY) };
  }

  /** A samba apply that did not reload smbd (the composition root reports it). */
  sambaReloadFailed(message: string | null): void {
    const touched = new Set<string>();
    const c = sambaReloadCondition(message);
    this.d.store.atomically(() => this.apply(c.key, onCondition(this.d.store.incident(c.key), c, this.d.clock.now().toISOString()), touched));
    if (touched.size) this.outbox.kick(touched);
  }

  // ---- what the pane and the CLI see ----------------------------------------------------------

  view(): NotificationsResponse {
    const s = this.settings();
    const pending = this.d.store.pendingCounts();
    const channels: ChannelState[] = Object.entries(s.channels).map(([name, ch]) => {
      const row = this.d.store.channel(name);
      return {
        name,
        type: ch.type,
        enabled: ch.enabled,
        target: describeTarget(ch),
        events: ch.type === 'heartbeat' ? [] : [...(ch.events ?? NOTICE_KINDS)],
        jobs: ch.type === 'heartbeat' ? Object.keys(ch.jobs) : [],
        pending: pending.get(name) ?? 0,
        lastAttemptAt: row?.lastAttemptAt ?? null,
        lastSuccessAt: row?.lastSuccessAt ?? null,
        lastError: row?.lastError ?? null,
        lastErrorAt: row?.lastErrorAt ?? null,
      };
    });
    const jobs = Object.keys(this.config.jobs).map((jobId) => this.choices(jobId));
    const open: IncidentInfo[] = this.d.store.incidents().map((i: Incident) => ({ key: i.key, kind: i.kind, title: i.title, jobId: i.jobId, openedAt: i.openedAt, lastAt: i.lastAt, count: i.count }));
    return { channels, jobs, open };
  }

  private choices(jobId: string): JobNotifyChoices {
    const s = this.settings();
    const j = s.jobs[jobId];
    const send: JobNotifyChoices['send'] = {};
    for (const [name, c] of Object.entries(s.channels)) if (c.type !== 'heartbeat') send[name] = j?.send[name] ? [...j.send[name]!] : null;
    return { jobId, maxAge: j?.maxAge ?? null, send };
  }

  setJobChoices(jobId: string, send: Record<string, NoticeKind[] | null>, actor: string): JobNotifyChoices {
    if (!this.config.jobs[jobId]) throw new NotFoundError(`no job "${jobId}"`);
    const channels = this.settings().channels;
    for (const [name, kinds] of Object.entries(send)) {
      const ch = channels[name];
      if (!ch) throw new BadRequestError(`no channel "${name}" (known: ${Object.keys(channels).join(', ') || 'none'})`);
      if (ch.type === 'heartbeat') throw new BadRequestError(`"${name}" is a heartbeat channel: its pings are set in pillarsd.yaml under notifications.channels.${name}.jobs`);
      // the route's schema refuses these already; other callers may not have one
      const bad = kinds?.find((k) => !(JOB_NOTICE_KINDS as readonly string[]).includes(k));
      if (bad) throw new BadRequestError(`a job sends only ${JOB_NOTICE_KINDS.join(', ')}, not "${bad}"`);
    }
    if (!this.d.writer) throw new BadRequestError('this pillarsd cannot write its pillarsd.yaml; set notifications.jobs there');
    const writer = this.d.writer;
    const config = writer.apply((text) => withJobNotify(text, writer.file, jobId, send), `set notifications.jobs.${jobId}.send`);
    this.config = { ...this.config, notifications: config.notifications };
    this.d.log(
      `${actor} set what ${jobId} sends where: ${Object.entries(send)
        .map(([c, k]) => `${c}=${k ? `[${k.join(',')}]` : 'default'}`)
        .join(' ')} in ${writer.file}`,
    );
    return this.choices(jobId);
  }

  /**
   * Sends a test message now, past the outbox (the answer is what happened), to one channel or all.
   * A heartbeat channel logs to each base ping URL's `/log` (healthchecks.io), which changes no
   * check's state; explicit ping URLs are left alone, since any ping to them reports a run.
   */
  async test(channel: string | undefined, actor = 'pillarsd'): Promise<NotifyTestResult[]> {
    const s = this.settings();
    if (channel !== undefined && !s.channels[channel]) throw new NotFoundError(`no channel "${channel}" (known: ${Object.keys(s.channels).join(', ') || 'none'})`);
    const names = channel ? [channel] : Object.keys(s.channels);
    const out: NotifyTestResult[] = [];
    for (const name of names) {
      const ch = s.channels[name]!;
      const at = this.d.clock.now();
      const secrets = runSecrets(this.config.secrets, this.d.secretBackends);
      let error: string | null = null;
      try {
        if (ch.type === 'heartbeat') {
          const bases = Object.entries(ch.jobs).filter((e): e is [string, string] => typeof e[1] === 'string');
          if (!bases.length) throw new Error('only explicit ping URLs: a test ping would report a run to the monitor, so none is sent');
          for (const [jobId, ref] of bases) {
            const url = `${(await secrets.get(ref)).replace(/\/+$/, '')}/log`;
            await this.d.transport.http({
              url,
              method: 'POST',
              headers: { 'content-type': 'text/plain; charset=utf-8' },
              body: `test from pillarsd on ${this.server()} for ${jobId}`,
              timeoutMs: this.d.timeoutMs ?? 15_000,
            });
          }
        } else {
          const draft: NoticeDraft = {
            id: noticeId(`test:${name}`, at.toISOString(), 0),
            incident: `test:${name}`,
            kind: 'test',
            phase: 'test',
            severity: 'info',
            title: `test message to ${name}`,
            text: `pillarsd on ${this.server()} can reach this channel (${describeTarget(ch)}); sent by ${actor}.`,
            at: at.toISOString(),
            jobId: null,
            runId: null,
            subject: null,
            count: 1,
            deletes: null,
          };
          const n: Notice = withLink(draft, s.paneUrl);
          await deliver(ch, n.id, [n], { server: this.server(), now: at, secret: (x) => secrets.get(x), transport: this.d.transport, timeoutMs: this.d.timeoutMs ?? 15_000 });
        }
      } catch (e) {
        error = masked((e as Error).message, secrets.values()).slice(0, 500);
      } finally {
        secrets.dispose();
      }
      const done = this.d.clock.now().toISOString();
      this.d.store.touchChannel(name, error ? { lastAttemptAt: done, lastError: error, lastErrorAt: done } : { lastAttemptAt: done, lastSuccessAt: done });
      out.push({ channel: name, ok: error === null, error, at: done });
    }
    return out;
  }
}
