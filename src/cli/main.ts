// `pillars`: the client CLI, the composition root of the client core without a tray.
// Exit codes as for pillarsd: 0 success · 1 the action failed · 2 usage or invalid settings.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Command, CommanderError } from 'commander';
// Only what `status` needs is imported up front; conf/ajv, keytar and the Azure SDK load with the
// commands that use them, so a status answers in what a bare start costs plus its deadlines. The
// HTTPS client (node:https, node:tls) loads with the server check of `status` and `doctor`: the
// long-running `watch` never talks to the server and never holds it.
import { SettingsError } from '../shared/settings';
import type { ClientCore } from '../main/core/client';
import type { PillarStatus } from '../main/core/mounts/manager';
import { defaultSettingsPath } from '../main/core/settings/peek';
import { statusCheck } from '../main/core/statusCheck';
import { runtimeDir } from '../platform';
import { askControl } from '../platform/host/control';
import type { ServerHealth } from './serverHealth';

class UsageError extends Error {}

interface Globals {
  config?: string;
  json?: boolean;
}

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

async function client(g: Globals, extra: { passwordStdin?: boolean; passwordFile?: string } = {}): Promise<ClientCore> {
  const { createClient, preloadClientModules } = await import('../main/core/client');
  const c = createClient({
    settingsFile: g.config ?? process.env.PILLARS_SETTINGS,
    stdin: extra.passwordStdin ? process.stdin : null,
    ...(extra.passwordFile ? { passwordFile: extra.passwordFile } : {}),
    prompt: (m) => err(m),
    log: (m) => err(`pillars: ${m}`),
  });
  await preloadClientModules(c.settings);
  return c;
}

function printPillars(ps: PillarStatus[], json: boolean, server?: ServerHealth, corePid?: number): void {
  if (json) {
    out(JSON.stringify({ pillars: ps.map((p) => ({ id: p.id, state: p.state, reason: p.reason, path: p.path, freeBytes: p.freeBytes })), ...(server ? { server } : {}), ...(corePid ? { core: { pid: corePid } } : {}) }));
    return;
  }
  for (const p of ps) out(`${p.id.padEnd(8)} ${p.state.padEnd(15)} ${p.path}${p.reason ? `  (${p.reason})` : ''}`);
  if (server) out(`server   ${server.ok ? 'ok' : server.reachable ? 'unhealthy' : 'unreachable'}${server.url ? ` ${server.url}` : ''}${server.error ? `  (${server.error})` : ''}`);
  if (corePid) out(`core     pid ${corePid} keeps the pillars mounted (the tray or pillars watch)`);
}

const allMounted = (ps: PillarStatus[]) => ps.every((p) => p.state === 'mounted');

/** The running core (tray or `pillars watch`), when one answers: it does the work, so its state stays the truth. */
async function core(cmd: string, args: Record<string, unknown>, timeoutMs: number): Promise<{ pid: number; pillars: PillarStatus[] } | null> {
  const a = await askControl(runtimeDir(process.env), cmd, args, timeoutMs);
  return a ? (a.result as { pid: number; pillars: PillarStatus[] }) : null;
}

async function readLine(input: NodeJS.ReadableStream): Promise<string> {
  const { stdinSource } = await import('../main/core/secrets/stdin');
  return stdinSource(input).get();
}

async function runMountCommand(g: Globals, ids: string[], what: 'mount' | 'unmount' | 'remount', o: { passwordStdin: boolean; force: boolean }): Promise<number> {
  let ps: PillarStatus[];
  const running = await core('status', {}, 2_000);
  if (running) {
    // the running core mounts and unmounts, so `unmount` sticks until `mount` (it would otherwise undo it)
    const password = o.passwordStdin && what !== 'unmount' ? await readLine(process.stdin) : undefined;
    ps = (await core(what, { ids, force: o.force, ...(password !== undefined ? { password } : {}) }, 180_000))!.pillars;
  } else {
    const c = await client(g, { passwordStdin: o.passwordStdin });
    ps = await (what === 'mount' ? c.manager.mount(ids) : what === 'remount' ? c.manager.remount(ids, { force: o.force }) : c.manager.unmount(ids, { force: o.force }));
  }
  const chosen = ids.length ? ps.filter((p) => ids.includes(p.id)) : ps;
  printPillars(chosen, !!g.json);
  if (what === 'unmount') return chosen.every((p) => p.state === 'unmounted') ? 0 : 1;
  return allMounted(chosen) ? 0 : 1;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('pillars')
    .version('0.1.0')
    .description('mount and check the pillars from a shell')
    .option('--config <file>', "settings file (default: the tray app's, e.g. ~/.config/Pillars/config.json)")
    .option('--json', 'machine-readable output')
    .exitOverride()
    .configureOutput({ writeErr: (s) => err(s.trimEnd()) });
  let code = 0;
  const g = () => program.opts<Globals>();

  program
    .command('status')
    .description('state of each pillar and of the server')
    .option('--json', 'print {"pillars":[…],"server":{…}}')
    .action(async (o: { json?: boolean }) => {
      const { peekSettings } = await import('../main/core/settings/peek');
      const { serverHealth } = await import('./serverHealth');
      const settings = peekSettings(g().config ?? process.env.PILLARS_SETTINGS).get();
      const [running, server] = await Promise.all([core('status', {}, 1_500), serverHealth(settings.server.url, settings.server.fingerprint, 800)]);
      // a running core knows at once; otherwise one look with short deadlines, never awaited past them
      const ps = running?.pillars ?? (await statusCheck({ settingsFile: g().config ?? process.env.PILLARS_SETTINGS, probeDeadlineMs: 800, serverTimeoutMs: 700 })).pillars;
      printPillars(ps, !!(o.json || g().json), server, running?.pid);
      code = allMounted(ps) ? 0 : 1;
    });
  for (const what of ['mount', 'unmount', 'remount'] as const) {
    const cmd = program.command(`${what} [pillars...]`).description(`${what} the given pillars (all when none is named)${what === 'unmount' ? '; they stay unmounted until `pillars mount`' : ''}`);
    if (what !== 'unmount') cmd.option('--password-stdin', 'read the SMB password from standard input (after the keychain and the vault)');
    if (what !== 'mount') cmd.option('--force', 'even when files are open on the share (they are closed under the programs holding them)');
    cmd.action(async (ids: string[], o: { passwordStdin?: boolean; force?: boolean }) => {
      code = await runMountCommand(g(), ids ?? [], what, { passwordStdin: !!o.passwordStdin, force: !!o.force });
    });
  }
  program
    .command('open <pillar>')
    .description('open the pillar in the file manager')
    .action(async (id: string) => {
      const c = await client(g());
      const p = c.pillars.find((x) => x.id === id);
      if (!p) throw new UsageError(`no pillar ${JSON.stringify(id)} (configured: ${c.pillars.map((x) => x.id).join(', ')})`);
      await c.platform.open(p);
    });
  program
    .command('watch [pillars...]')
    .description('keep the pillars mounted in the foreground (a tray without the tray: for systemd --user or a server without a desktop)')
    .option('--password-file <file>', 'read the SMB password from this file (mode 0600, yours): for a host without a keychain')
    .option('--loop-stats', 'on exit, print how long the event loop was ever held up (diagnostics for rule 8)')
    .action(async (ids: string[], o: { loopStats?: boolean; passwordFile?: string }) => {
      if (o.passwordFile) {
        const { passwordFileProblem } = await import('../main/core/secrets/file');
        const problem = await passwordFileProblem(o.passwordFile);
        if (problem) throw new UsageError(`--password-file: ${problem}`);
      }
      const c = await client(g(), o.passwordFile ? { passwordFile: o.passwordFile } : {});
      const loop = o.loopStats ? monitorEventLoopDelay({ resolution: 10 }) : null;
      loop?.enable();
      c.manager.onChange((ps) => printPillars(ps, !!g().json));
      const { hostCore } = await import('../main/core/client');
      const { CoreRunningError } = await import('../platform/host/control');
      let hosted;
      try {
        hosted = await hostCore(c, { ids: ids ?? [], watchSettings: true, ...(o.passwordFile ? { passwordFile: o.passwordFile } : {}), log: (m) => err(`pillars: ${m}`), prompt: (m) => err(m) });
      } catch (e) {
        if (e instanceof CoreRunningError) throw new Error(`${e.message}: it keeps the pillars mounted; \`pillars status\`, \`mount\` and \`unmount\` talk to it`, { cause: e });
        throw e;
      }
      const h = hosted;
      await new Promise<void>((resolve) => {
        const stop = () => void h.stop().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      if (loop) {
        loop.disable();
        out(JSON.stringify({ eventLoop: { maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6 } }));
      }
    });
  program
    .command('systemd')
    .description('systemd integration for a Linux host without a desktop')
    .command('unit')
    .description('print a systemd user unit that runs `pillars watch` (install: see docs/client.md)')
    .option('--password-file <file>', 'the unit reads the SMB password from this file (mode 0600)')
    .action(async (o: { passwordFile?: string }) => {
      const { systemdUnit } = await import('./systemd');
      out(systemdUnit({ node: process.execPath, cli: process.argv[1] ?? 'pillars', config: g().config, passwordFile: o.passwordFile }));
    });
  program
    .command('doctor')
    .description("check settings, keychain, vault, server and each share's login; prints a fix for each failure")
    .action(async () => {
      const file = g().config ?? process.env.PILLARS_SETTINGS;
      let settings = null;
      let settingsError: string | undefined;
      let settingsPath = file ?? defaultSettingsPath();
      let secrets = null;
      try {
        const { openSettings } = await import('../main/core/settings/store');
        const store = openSettings({ file });
        settingsPath = store.path;
        settings = store.get();
        try {
          secrets = (await client(g())).secrets;
        } catch {
          /* incomplete settings: reported by the settings check */
        }
      } catch (e) {
        settingsError = (e as Error).message;
      }
      const { doctor } = await import('./doctor');
      const { createExec, createFs, smbProbe } = await import('../platform/host');
      const t0 = performance.now();
      const checks = await doctor({ settingsPath, settings, settingsError, exec: createExec(), fs: createFs(), serverProbe: smbProbe, secrets, env: process.env, os: process.platform, uid: process.getuid?.() ?? 1000 });
      if (g().json) out(JSON.stringify({ checks, ms: Math.round(performance.now() - t0) }));
      else for (const c of checks) out(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(12)} ${c.detail}${c.ok || !c.fix ? '' : `\n     fix: ${c.fix}`}`);
      code = checks.every((c) => c.ok) ? 0 : 1;
    });

  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof SettingsError || e instanceof UsageError) {
      err(`pillars: ${e.message}`);
      return 2;
    }
    if (e instanceof Error && /^no pillar /.test(e.message)) {
      err(`pillars: ${e.message}`);
      return 2;
    }
    err(`pillars: ${(e as Error).message}`);
    return 1;
  }
}

const code = await main(process.argv);
// the mounts are daemons of their own; nothing here should keep the process alive
process.exitCode = code;
setTimeout(() => process.exit(code), 50).unref();
