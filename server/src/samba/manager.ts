// render → validate → testparm → atomic replace (keeping versions) → reload → probe, and rollback.
// Drift policy: a live file that differs from what we last wrote (a hand edit) is never silently
// discarded. `apply` refuses (DriftError, exit 3) unless forced; forced, the hand-edited file is
// first saved in the version history, so `rollback` brings it back.
import type { SambaState } from '../contract/api';
import type { Clock } from '../ports/clock';
import { ConflictError } from '../ports/errors';
import { buildModel, type SambaModel, type SambaModelInput } from './model';
import { missingVfsModules, vfsModulesOf } from './modules';
import { renderBonjour } from './bonjour';
import { createTimeFolders, planTimeFolders, type FolderHost } from './folders';
import { renderModel } from './render';
import { checkFacts } from './validate';
import { compareWithModel, parseTestparm, sectionNames, testparmProblems } from './testparm';
import { checkIncludePlacement, withIncludeAt } from './include';
import { unifiedDiff } from './diff';
import { SambaValidationError } from './values';
import type { SambaHost, ShareProbe } from './host';

export type SambaErrorKind = 'invalid' | 'testparm' | 'modules' | 'drift' | 'no-version' | 'io' | 'busy';

/** A conflict for the API: the request is fine, the server's state or config does not allow it. */
export class SambaApplyError extends ConflictError {
  constructor(
    readonly kind: SambaErrorKind,
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message);
    this.name = 'SambaApplyError';
  }
  /** pillarsd exit codes: 2 invalid config, 3 refused by a guard, 1 the action failed. */
  get exitCode(): number {
    return this.kind === 'invalid' ? 2 : this.kind === 'drift' ? 3 : 1;
  }
}

export interface SambaManagerDeps {
  host: SambaHost;
  clock: Clock;
  /** Where versions and the last-applied copy live: <stateDir>/samba. */
  stateDir: string;
  /** Read at every call, so config reloads take effect. */
  input: () => SambaModelInput;
  probe?: ShareProbe;
  /**
   * How long the probe after a reload keeps retrying a share that does not answer yet:
   * `smbcontrol reload-config` returns before smbd has read the new file (default 10 s).
   */
  reloadWaitMs?: number;
  /** Creates per-user Time Machine folders (infra/layout-fs.ts); without it apply only reports them. */
  folders?: FolderHost;
  audit?: (actor: string, action: string, target: string, detail: string) => void;
}

export interface ApplyResult {
  changed: boolean;
  /** smbcontrol delivered the reload (false: smbd is not running or refused it); null when smb.conf did not change. */
  reloaded: boolean | null;
  /** Every share answered the probe after the reload; null when nothing was probed. */
  answered: boolean | null;
  backup: string | null;
  /** Settings smbd reads only when it starts that this apply changed (the operator restarts it). */
  restartNeeded: string[];
  messages: string[];
  state: SambaState;
}

interface Version {
  id: string;
  at: string;
  kind: 'previous' | 'drift' | 'undone';
  file: string;
}

const VERSION_RE = /^(\d{8}T\d{9}Z)-(\d{3})\.(previous|drift|undone)\.conf$/;

/** The file we own, even when the rest of the input is invalid (for state and rollback). */
function targetOf(raw: SambaModelInput): string {
  if (raw.mode === 'whole') return raw.configFile;
  return raw.includeFile ?? `${raw.configFile.slice(0, raw.configFile.lastIndexOf('/'))}/pillars.conf`;
}

/** A live file we did not write. An empty one (the admin just created it for the include) holds nothing to lose. */
function isDrift(live: string | null, applied: string | null): boolean {
  return live !== null && live.trim() !== '' && live !== applied;
}

/** Settings smbd reads only at start: a reload does not apply them (smbd(8), smb.conf(5)). */
const START_ONLY = ['interfaces', 'bind interfaces only', 'multicast dns register', 'smb ports'];

function startOnlyChanges(live: string | null, next: string): string[] {
  const before = parseTestparm(live ?? '').get('global') ?? new Map<string, string>();
  const after = parseTestparm(next).get('global') ?? new Map<string, string>();
  const norm = (v: string | undefined) => (v ?? '').trim().replace(/\s+/g, ' ').toLowerCase();
  return START_ONLY.filter((k) => norm(before.get(k)) !== norm(after.get(k)));
}

function outcome(reloaded: boolean | null, answered: boolean | null): string {
  return reloaded === null ? 'smb.conf unchanged' : !reloaded ? 'smbd did not reload' : answered === false ? 'a share did not answer' : answered ? 'reloaded, shares answer' : 'reload requested';
}

function idToIso(id: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-\d{3}$/.exec(id)!;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`;
}

export class SambaManager {
  private queue: Promise<unknown> = Promise.resolve();
  constructor(private readonly d: SambaManagerDeps) {}

  private get dir(): string {
    return `${this.d.stateDir}/samba`;
  }
  private get versionsDir(): string {
    return `${this.dir}/versions`;
  }
  private get appliedFile(): string {
    return `${this.dir}/applied.conf`;
  }
  /** What we last wrote to the avahi service file. */
  private get appliedServiceFile(): string {
    return `${this.dir}/applied.service`;
  }

  /**
   * One apply or rollback at a time: in this process (a queue) and across processes (a lock file,
   * for `pillarsd samba apply` next to `serve`); two writers must not interleave versions.
   */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const locked = async () => {
      const release = await this.d.host.lock(`${this.dir}/apply.lock`);
      if (!release) throw new SambaApplyError('busy', `another pillarsd process is applying the Samba config (${this.dir}/apply.lock); try again in a moment`);
      try {
        return await fn();
      } finally {
        await release();
      }
    };
    const next = this.queue.then(locked, locked);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Builds and renders (smb.conf and the avahi service file); throws SambaApplyError('invalid') naming every bad field. */
  async plan(): Promise<{ model: SambaModel; text: string; bonjour: string | null }> {
    let model: SambaModel;
    try {
      model = buildModel(this.d.input());
    } catch (e) {
      if (e instanceof SambaValidationError)
        throw new SambaApplyError(
          'invalid',
          `invalid Samba settings: ${e.message}`,
          e.problems.map((p) => `${p.field}: ${p.message}`),
        );
      throw e;
    }
    const facts = await checkFacts(model, this.d.host);
    if (facts.length > 0)
      throw new SambaApplyError(
        'invalid',
        `invalid Samba settings: ${facts.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
        facts.map((p) => `${p.field}: ${p.message}`),
      );
    return { model, text: renderModel(model), bonjour: renderBonjour(model) };
  }

  /**
   * What stands between the model and a working smbd: the admin's smb.conf and its include line,
   * testparm on exactly what would be live (compared with the model), and the VFS modules the
   * config names. `testparm` says whether testparm ran, so a message only blames it when it did.
   */
  async verify(model: SambaModel, text: string): Promise<{ problems: string[]; testparm: boolean }> {
    const modules = await missingVfsModules(vfsModulesOf(model), this.d.host);
    const tmp = await this.d.host.tempDir();
    try {
      const candidate = `${tmp.path}/pillars.conf`;
      await this.d.host.writeAtomic(candidate, text);
      let confPath = candidate;
      let base: string[] = [];
      if (model.mode === 'include') {
        const conf = await this.d.host.readText(model.configFile);
        if (conf === null) return { problems: [`samba.configFile: ${model.configFile} does not exist`, ...modules], testparm: false };
        const inc = checkIncludePlacement(conf, model.configFile, model.targetFile);
        if (!inc.ok) return { problems: [inc.problem!, ...modules], testparm: false };
        base = sectionNames(conf);
        confPath = `${tmp.path}/smb.conf`;
        await this.d.host.writeAtomic(confPath, withIncludeAt(conf, inc.line, candidate));
      }
      const r = await this.d.host.testparm(confPath);
      const problems = testparmProblems(r.stderr, r.code);
      if (problems.length > 0) return { problems: [...problems.map((p) => `testparm: ${p}`), ...modules], testparm: true };
      return { problems: [...compareWithModel(model, parseTestparm(r.stdout), base).map((p) => `testparm: ${p}`), ...modules], testparm: true };
    } finally {
      await tmp.cleanup();
    }
  }

  async versions(): Promise<Version[]> {
    const out: Version[] = [];
    for (const f of await this.d.host.list(this.versionsDir)) {
      const m = VERSION_RE.exec(f);
      if (m) out.push({ id: `${m[1]}-${m[2]}`, at: idToIso(`${m[1]}-${m[2]}`), kind: m[3] as Version['kind'], file: `${this.versionsDir}/${f}` });
    }
    return out.sort((a, b) => (a.id < b.id ? 1 : -1));
  }

  /**
   * Saves a version: the Samba file, and beside it (same id, `.service`) the avahi service file as
   * it was when Bonjour is managed (empty text: there was none), so a rollback restores both.
   */
  private async saveVersion(text: string, kind: Version['kind'], service?: string | null): Promise<string> {
    await this.d.host.mkdirp(this.versionsDir);
    const stamp = this.d.clock.now().toISOString().replace(/[-:.]/g, '');
    const existing = new Set((await this.versions()).map((v) => v.id));
    let n = 0;
    let id = `${stamp}-000`;
    while (existing.has(id)) id = `${stamp}-${String(++n).padStart(3, '0')}`;
    if (service !== undefined) await this.d.host.writeAtomic(`${this.versionsDir}/${id}.${kind}.service`, service ?? '');
    await this.d.host.writeAtomic(`${this.versionsDir}/${id}.${kind}.conf`, text);
    return id;
  }

  private async removeVersion(v: Version): Promise<void> {
    await this.d.host.remove(v.file.replace(/\.conf$/, '.service'));
    await this.d.host.remove(v.file);
  }

  private async prune(keep: number): Promise<void> {
    const all = await this.versions();
    for (const v of all.slice(keep)) await this.removeVersion(v);
  }

  async state(): Promise<SambaState> {
    const messages: string[] = [];
    let rendered = '';
    let service: { file: string; rendered: string } | null = null;
    let valid = false;
    let target: string;
    try {
      const { model, text, bonjour } = await this.plan();
      rendered = text;
      target = model.targetFile;
      if (model.bonjour && bonjour !== null) service = { file: model.bonjour.file, rendered: bonjour };
      const { problems } = await this.verify(model, text);
      messages.push(...problems);
      if (this.d.folders) {
        const folders = await planTimeFolders(model, this.d.folders);
        messages.push(...folders.problems);
        for (const f of folders.missing) messages.push(`${f.user}'s Time Machine folder ${f.path} does not exist yet: apply creates it (owner ${f.user}, mode 0700)`);
        problems.push(...folders.problems);
      }
      valid = problems.length === 0;
    } catch (e) {
      if (!(e instanceof SambaApplyError)) throw e;
      messages.push(...(e.problems.length ? e.problems : [e.message]));
      target = targetOf(this.d.input());
    }
    const live = target && target.startsWith('/') ? await this.d.host.readText(target) : null;
    const applied = await this.d.host.readText(this.appliedFile);
    let drift = isDrift(live, applied) && live !== rendered;
    if (drift) messages.push(`${target} was edited outside pillarsd (drift): apply refuses to overwrite it without --force`);
    let diff = rendered ? await unifiedDiff(target, live, rendered) : '';
    let bonjour: SambaState['bonjour'] = null;
    if (service) {
      const svcLive = await this.d.host.readText(service.file);
      const svcDrift = isDrift(svcLive, await this.d.host.readText(this.appliedServiceFile)) && svcLive !== service.rendered;
      if (svcDrift) messages.push(`${service.file} was edited outside pillarsd (drift): apply refuses to overwrite it without --force`);
      drift ||= svcDrift;
      diff += await unifiedDiff(service.file, svcLive, service.rendered);
      bonjour = { file: service.file, rendered: service.rendered, live: svcLive };
    }
    return {
      rendered,
      live,
      diff,
      drift,
      valid,
      messages,
      versions: (await this.versions()).filter((v) => v.kind !== 'undone').map((v) => ({ id: v.id, at: v.at })),
      bonjour,
    };
  }

  apply(actor: string, opts: { force?: boolean } = {}): Promise<ApplyResult> {
    return this.serial(async () => {
      const { model, text, bonjour } = await this.plan();
      const { problems, testparm } = await this.verify(model, text);
      const folders = this.d.folders ? await planTimeFolders(model, this.d.folders) : { missing: [], problems: [] };
      problems.push(...folders.problems);
      if (problems.length > 0) {
        const modules = problems.some((p) => p.startsWith('smbd cannot load'));
        const kind = modules ? 'modules' : testparm && problems.some((p) => p.startsWith('testparm: ')) ? 'testparm' : 'invalid';
        const why = kind === 'testparm' ? 'the rendered Samba config did not pass testparm' : modules ? 'smbd could not load the rendered Samba config' : 'the Samba config cannot be applied';
        throw new SambaApplyError(kind, `${why}; nothing was changed: ${problems.join('; ')}`, problems);
      }
      const messages: string[] = [];
      // Before smbd reads a config that points a user at <time>/<user>, the folder exists.
      if (this.d.folders) {
        try {
          messages.push(...(await createTimeFolders(folders.missing, this.d.folders)));
        } catch (e) {
          throw new SambaApplyError('io', `${(e as Error).message}; nothing else was changed`);
        }
      }
      const live = await this.d.host.readText(model.targetFile);
      const applied = await this.d.host.readText(this.appliedFile);
      const svcFile = model.bonjour?.file ?? null;
      const svcLive = svcFile ? await this.d.host.readText(svcFile) : null;
      const svcApplied = svcFile ? await this.d.host.readText(this.appliedServiceFile) : null;
      const confSame = live === text;
      const svcSame = svcFile === null || svcLive === bonjour;
      if (confSame && svcSame) {
        await this.d.host.mkdirp(this.dir);
        if (applied !== text) await this.d.host.writeAtomic(this.appliedFile, text);
        if (svcFile && svcApplied !== bonjour) await this.d.host.writeAtomic(this.appliedServiceFile, bonjour!);
        messages.push('already up to date');
        return { changed: false, reloaded: null, answered: null, backup: null, restartNeeded: [], messages, state: await this.state() };
      }
      const drift = isDrift(live, applied) && !confSame;
      const svcDrift = svcFile !== null && isDrift(svcLive, svcApplied) && !svcSame;
      if ((drift || svcDrift) && !opts.force) {
        const which = [drift ? model.targetFile : null, svcDrift ? svcFile : null].filter(Boolean).join(' and ');
        throw new SambaApplyError(
          'drift',
          `${which} ${drift && svcDrift ? 'were' : 'was'} changed outside pillarsd since the last apply; review with 'pillarsd samba diff', then apply with --force (the hand-edited file is kept in the version history)`,
        );
      }
      await this.d.host.mkdirp(this.dir);
      const backup = live === null ? null : await this.saveVersion(live, drift || svcDrift ? 'drift' : 'previous', svcFile ? svcLive : undefined);
      if (backup) messages.push(`previous file saved as version ${backup}${drift || svcDrift ? ' (hand-edited)' : ''}`);
      if (!confSame) {
        await this.d.host.writeAtomic(model.targetFile, text);
        await this.d.host.writeAtomic(this.appliedFile, text);
      }
      if (svcFile && !svcSame) {
        await this.d.host.writeAtomic(svcFile, bonjour!);
        await this.d.host.writeAtomic(this.appliedServiceFile, bonjour!);
        messages.push(
          `Bonjour: wrote ${svcFile}${model.timeMachine ? ` (Time Machine share ${model.timeMachine.share})` : ' (no Time Machine share)'}; avahi-daemon applies it by itself ('pillarsd check' shows what it publishes)`,
        );
      }
      await this.prune(model.keepVersions);
      let reloaded: boolean | null = null;
      let answered: boolean | null = null;
      const restartNeeded = confSame ? [] : startOnlyChanges(live, text);
      if (!confSame)
        ({ reloaded, answered } = await this.reloadAndProbe(
          model.configFile,
          model.shares.map((s) => s.name),
          messages,
        ));
      if (restartNeeded.length > 0) {
        messages.push(`smbd reads ${restartNeeded.join(', ')} only when it starts: restart it to apply (systemctl restart smbd; connected Macs reconnect by themselves)`);
      }
      this.d.audit?.(actor, 'samba.apply', model.targetFile, `${backup ? `backup ${backup}` : 'first apply'}; ${outcome(reloaded, answered)}`);
      return { changed: true, reloaded, answered, backup, restartNeeded, messages, state: await this.state() };
    });
  }

  /**
   * Reloads smbd and, when a probe is configured, checks that each share answers. The reload is
   * asynchronous (smbcontrol returns once the message is sent), so a share that does not answer
   * yet is asked again until it does or `reloadWaitMs` has passed; only then is it reported.
   */
  private async reloadAndProbe(configFile: string, shares: string[], messages: string[]): Promise<{ reloaded: boolean; answered: boolean | null }> {
    const r = await this.d.host.reload(configFile);
    const reloaded = r.code === 0;
    if (!reloaded) {
      messages.push(`smbd did not reload (is it running?): ${(r.stderr || r.stdout).trim().split('\n')[0] || `smbcontrol exited ${r.code ?? 'on a signal'}`}`);
      return { reloaded, answered: null };
    }
    messages.push('smbd accepted the reload request');
    if (!this.d.probe || shares.length === 0) return { reloaded, answered: null };
    const waitMs = this.d.reloadWaitMs ?? 10_000;
    const deadline = this.d.clock.now().getTime() + waitMs;
    let pending = shares;
    let failed: Array<{ share: string; problem: string }>;
    for (;;) {
      failed = await this.d.probe.check(pending);
      pending = failed.map((f) => f.share);
      if (failed.length === 0 || this.d.clock.now().getTime() >= deadline) break;
      await new Promise<void>((resolve) => this.d.clock.setTimeout(resolve, 500));
    }
    const ok = shares.filter((s) => !pending.includes(s));
    if (ok.length > 0) messages.push(`shares answer: ${ok.join(', ')}`);
    for (const f of failed) messages.push(`${f.problem} (still after ${Math.round(waitMs / 1000)} s)`);
    return { reloaded, answered: failed.length === 0 };
  }

  /** Puts the newest saved version back byte for byte; the file it replaces is kept as 'undone'. */
  rollback(actor: string): Promise<ApplyResult> {
    return this.serial(async () => {
      const raw = this.d.input();
      const target = targetOf(raw);
      const v = (await this.versions()).find((x) => x.kind !== 'undone');
      if (!v) throw new SambaApplyError('no-version', 'there is no previous Samba config version to roll back to');
      const text = await this.d.host.readText(v.file);
      if (text === null) throw new SambaApplyError('io', `version ${v.id} vanished while rolling back`);
      const live = await this.d.host.readText(target);
      const applied = await this.d.host.readText(this.appliedFile);
      const messages: string[] = [];
      if (live !== null) {
        // A hand edit being rolled over stays a first-class version (listed, restorable).
        const kind = isDrift(live, applied) ? 'drift' : 'undone';
        const svcNow = raw.bonjour?.serviceFile ? await this.d.host.readText(raw.bonjour.serviceFile) : undefined;
        const id = await this.saveVersion(live, kind, svcNow);
        messages.push(`replaced file kept as version ${id} (${kind === 'drift' ? 'hand-edited' : 'undone'})`);
      }
      // The avahi service file saved with this version (none for versions from before Bonjour).
      const svcVersion = await this.d.host.readText(v.file.replace(/\.conf$/, '.service'));
      const svcFile = raw.bonjour?.serviceFile ?? null;
      await this.d.host.writeAtomic(target, text);
      await this.d.host.writeAtomic(this.appliedFile, text);
      if (svcVersion !== null && svcFile) {
        if (svcVersion === '') await this.d.host.remove(svcFile);
        else await this.d.host.writeAtomic(svcFile, svcVersion);
        await this.d.host.writeAtomic(this.appliedServiceFile, svcVersion);
        messages.push(svcVersion === '' ? `Bonjour: removed ${svcFile} (the version had none)` : `Bonjour: restored ${svcFile}`);
      }
      await this.removeVersion(v);
      messages.push(`restored version ${v.id} from ${v.at}`);
      // Probe the shares the restored file defines (the current config may be what is broken).
      const shares = sectionNames(text).filter((n) => n !== 'global');
      const { reloaded, answered } = await this.reloadAndProbe(raw.configFile, shares, messages);
      this.d.audit?.(actor, 'samba.rollback', target, `restored ${v.id}; ${outcome(reloaded, answered)}`);
      return { changed: true, reloaded, answered, backup: null, restartNeeded: startOnlyChanges(live, text), messages, state: await this.state() };
    });
  }
}
