// `pillarsd check`: configuration and environment — tools present, pillars mounted with their
// sentinels, state folder writable, secret references reachable (metadata only: no value is read),
// every remote a job uses answering a real read-only call (its credentials resolved for it; for b2
// also the key's capabilities and the bucket's lifecycle rule), rclone jobs that would hold a
// restic repository, and with a samba: section the rendered Samba config and the VFS modules smbd must load.
import type { Command } from 'commander';
import { action, loadOrExit, printJson, withCommon } from './engine-shared';
import type { CommonOpts } from './engine-shared';
import { pillarStatus } from '../../jobs/status';
import { toolchain } from '../../jobs/toolchain';
import { JOB_TYPES } from '../../jobs/types/registry';
import { nodeExec } from '../../infra/exec';
import { ensureDir, fileMode } from '../../infra/fs';
import { parseSecretRef } from '../../secrets/refs';
import { runSecrets } from '../../secrets/resolver';
import { realBackends } from '../../secrets/sources';
import { fmtVersion } from '../../tools/versions';

interface Item {
  what: string;
  ok: boolean;
  /** ok, but the owner should look (printed `warn`) */
  warn?: boolean;
  detail: string;
}

export function registerCheck(program: Command): void {
  withCommon(program.command('check').description('check the configuration and the environment'))
    // a machine that cannot reach the remotes (or their secrets) can still check the rest
    .option('--offline', 'call no remote (and resolve none of their secrets)')
    .action(
      action(async (opts: CommonOpts & { offline?: boolean }) => {
        const loaded = loadOrExit(opts);
        const c = loaded.config;
        const items: Item[] = [{ what: 'config', ok: true, detail: `${loaded.file} is valid (${Object.keys(c.jobs).length} jobs)` }];
        const tools = toolchain(nodeExec, process.env);
        const needed = new Set(Object.values(c.jobs).map((j) => JOB_TYPES[j.type].tool));
        if (needed.has('restic')) {
          await tools.restic().then(
            (r) =>
              items.push({ what: 'restic', ok: true, detail: `restic ${fmtVersion(r.caps.version)}${r.caps.exitCodes ? '' : ' (before 0.17: exit codes 10-12 and --retry-lock unavailable, messages used instead)'}` }),
            (e: Error) => items.push({ what: 'restic', ok: false, detail: e.message }),
          );
        }
        if (needed.has('rclone')) {
          await tools.rclone().then(
            (r) => items.push({ what: 'rclone', ok: true, detail: `rclone ${fmtVersion(r.caps.version)}${r.caps.b2UploadConcurrency ? '' : ' (before 1.64: no --b2-upload-concurrency, left out)'}` }),
            (e: Error) => items.push({ what: 'rclone', ok: false, detail: e.message }),
          );
        }
        for (const [id, p] of Object.entries(c.pillars)) {
          const s = pillarStatus(id, p);
          items.push({ what: `pillar ${id}`, ok: s.online, detail: s.online ? `${p.path}: ${s.mounted ? 'mounted' : 'plain folder (requireMount: false)'}, sentinel ok` : s.warnings.join('; ') });
        }
        try {
          ensureDir(c.stateDir, 0o750);
          items.push({ what: 'stateDir', ok: true, detail: c.stateDir });
        } catch (e) {
          items.push({ what: 'stateDir', ok: false, detail: `${c.stateDir}: ${(e as Error).message}` });
        }
        for (const [name, ref] of Object.entries(c.secrets)) {
          const r = parseSecretRef(ref);
          if (r.kind === 'env') items.push({ what: `secret ${name}`, ok: !!process.env[r.name], detail: process.env[r.name] ? `${ref} is set` : `${ref}: environment variable ${r.name} is not set` });
          else if (r.kind === 'file') {
            try {
              const m = fileMode(r.path);
              items.push({ what: `secret ${name}`, ok: (m & 0o077) === 0, detail: (m & 0o077) === 0 ? `${ref} (mode 0${m.toString(8)})` : `${ref} has mode 0${m.toString(8)}; it must be 0600 or stricter` });
            } catch (e) {
              items.push({ what: `secret ${name}`, ok: false, detail: `${ref}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
            }
          } else items.push({ what: `secret ${name}`, ok: true, detail: `${ref} (resolved when a job runs)` });
        }
        const remotes = await import('../../jobs/remote-check');
        items.push(...remotes.repositoryHolds(c));
        if (opts.offline) {
          const used = [...remotes.remotePaths(c).keys()];
          if (used.length) items.push({ what: 'remotes', ok: true, warn: true, detail: `not called (--offline): ${used.join(', ')}` });
        } else {
          const secrets = runSecrets(c.secrets, realBackends({ env: process.env, exec: nodeExec, akv: c.akv }));
          try {
            items.push(...(await remotes.checkRemotes(c, { exec: nodeExec, env: process.env, tools, secrets })));
          } finally {
            secrets.dispose();
          }
        }
        if (c.samba) {
          const { manager, host } = (await import('../../samba/compose')).sambaFromConfig(c);
          items.push(...(await (await import('../../samba/check')).sambaCheckItems(manager, host)));
        }
        const ok = items.every((i) => i.ok);
        if (opts.json) printJson({ ok, items });
        else for (const i of items) process.stdout.write(`${!i.ok ? 'FAIL' : i.warn ? 'warn' : 'ok  '} ${i.what.padEnd(18)} ${i.detail}\n`);
        return ok ? 0 : 1;
      }),
    );
}
