// `pillarsd snapshots JOB`, `pillarsd ls JOB SNAPSHOT [PATH]`, `pillarsd find JOB SNAPSHOT PATTERN`,
// `pillarsd restore JOB SNAPSHOT PATH…`, `pillarsd dump JOB SNAPSHOT PATH` (issue 16): what the job's restic repository holds, read
// from the repository itself, and a restore as a run in history. Exit 0, 1 restic or the restore
// failed, 2 unknown job/snapshot/path or bad input, 3 a guard refused (a pillar not mounted, no sentinel).
import type { Command } from 'commander';
import { EXISTING_CHOICES } from '../../contract/schema';
import type { ExistingChoice, SnapshotEntry } from '../../contract/api';
import { exitCodeFor } from '../../domain/run-state';
import { toWire } from '../../store/runs';
import { formatBytes } from '../../domain/guards';
import { GuardConflict } from '../../jobs/adhoc';
import { openRuntime } from '../../jobs/runtime';
import type { Runtime } from '../../jobs/runtime';
import { BadRequestError, ConflictError, NotFoundError } from '../../ports/errors';
import { action, CliExit, loadOrExit, printJson, withCommon } from './engine-shared';
import type { CommonOpts } from './engine-shared';

/** A name as the terminal should show it: control characters (a newline in a name) escaped. */
// eslint-disable-next-line no-control-regex -- the control characters are what is escaped
const shown = (s: string) => (/[\u0000-\u001f\u007f]/.test(s) ? JSON.stringify(s) : s);

/** A runtime for one command; the service errors become the exit codes above. */
export async function withRuntime<T>(opts: CommonOpts, fn: (rt: Runtime) => Promise<T>, o: { dependents?: boolean } = {}): Promise<T> {
  const rt = openRuntime(loadOrExit(opts), o);
  try {
    return await fn(rt);
  } catch (e) {
    if (e instanceof NotFoundError || e instanceof BadRequestError) throw new CliExit(2, e.message);
    if (e instanceof GuardConflict) throw new CliExit(3, e.message);
    if (e instanceof ConflictError) throw new CliExit(1, e.message);
    throw e;
  } finally {
    await rt.engine.stop();
    rt.close();
  }
}

function intOption(v: string, flag: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliExit(2, `${flag} must be a whole number from ${min} to ${max}, not "${v}"`);
  return n;
}

function entryLine(e: SnapshotEntry): string {
  const kind = e.type === 'dir' ? 'd' : e.type === 'symlink' ? 'l' : e.type === 'file' ? '-' : '?';
  const size = e.size === null ? '' : formatBytes(e.size);
  return `${kind} ${(e.permissions ?? '').padEnd(10)} ${size.padStart(10)}  ${e.mtime ?? ''}  ${shown(e.type === 'dir' ? `${e.name}/` : e.name)}`;
}

export function registerSnapshots(program: Command): void {
  withCommon(program.command('snapshots <job>').description("the snapshots in the job's restic repository, read from the repository"))
    .option('--refresh', 'read the repository again now (else the cached list, read again after every run on it)')
    .action(
      action(async (jobId: string, opts: CommonOpts & { refresh?: boolean }) =>
        withRuntime(opts, async (rt) => {
          const r = await rt.snapshots.list(jobId, { refresh: opts.refresh });
          if (opts.json) printJson(r);
          else if (!r.snapshots.length) process.stdout.write(`no snapshots in ${r.repository}\n`);
          else
            for (const s of r.snapshots)
              process.stdout.write(
                `${s.shortId}  ${s.time}  ${s.hostname}  ${s.paths.map(shown).join(', ')}${s.tags.length ? `  [${s.tags.join(', ')}]` : ''}${s.files !== null ? `  ${s.files} files, ${formatBytes(s.bytes ?? 0)}` : ''}${s.runId ? `  run ${s.runId}` : ''}\n`,
              );
        }),
      ),
    );

  withCommon(program.command('ls <job> <snapshot> [path]').description('one folder level of a snapshot (latest, or an id or its first 8+ digits); default: its root'))
    .option('--offset <n>', 'skip this many entries', '0')
    .option('--limit <n>', 'at most this many entries (1-100000)', '1000')
    .action(
      action(async (jobId: string, snapshot: string, p: string | undefined, opts: CommonOpts & { offset: string; limit: string }) => {
        const offset = intOption(opts.offset, '--offset', 0, 10_000_000);
        const limit = intOption(opts.limit, '--limit', 1, 100_000);
        if (p !== undefined && !p.startsWith('/')) throw new CliExit(2, `path "${p}" must be absolute (as in the snapshot, e.g. /srv/flux/docs)`);
        return withRuntime(opts, async (rt) => {
          const r = await rt.snapshots.ls(jobId, snapshot, { path: p, offset, limit });
          if (opts.json) printJson(r);
          else {
            for (const e of r.entries) process.stdout.write(`${entryLine(e)}\n`);
            if (r.more) process.stderr.write(`more entries follow: --offset ${offset + r.entries.length}\n`);
          }
        });
      }),
    );

  withCommon(program.command('find <job> <snapshot> <pattern>').description('files and folders of a snapshot whose name matches (restic find: * and ? wildcards)'))
    .option('--ignore-case', 'match without regard to case')
    .option('--limit <n>', 'at most this many matches (1-100000)', '1000')
    .action(
      action(async (jobId: string, snapshot: string, pattern: string, opts: CommonOpts & { ignoreCase?: boolean; limit: string }) => {
        const limit = intOption(opts.limit, '--limit', 1, 100_000);
        return withRuntime(opts, async (rt) => {
          const r = await rt.snapshots.find(jobId, snapshot, { pattern, ignoreCase: opts.ignoreCase, limit });
          if (opts.json) printJson(r);
          else {
            for (const e of r.matches) process.stdout.write(`${entryLine({ ...e, name: e.path })}\n`);
            if (r.truncated) process.stderr.write(`more matched than --limit ${limit}\n`);
          }
        });
      }),
    );

  withCommon(program.command('restore <job> <snapshot> <paths...>').description('restore files or folders of a snapshot (its root for all of it), as a run in history'))
    .option('--to <dir>', 'new (default: a new folder in the restore area), original (back where each came from), or a folder: pillar:/path or an absolute path inside a pillar', 'new')
    .option('--existing <choice>', `what to do where something is already there: ${EXISTING_CHOICES.join(', ')} (needed unless --to new)`)
    .action(
      action(async (jobId: string, snapshot: string, paths: string[], opts: CommonOpts & { to: string; existing?: string }) => {
        if (opts.existing !== undefined && !(EXISTING_CHOICES as readonly string[]).includes(opts.existing)) throw new CliExit(2, `--existing must be one of ${EXISTING_CHOICES.join(', ')}, not "${opts.existing}"`);
        const bad = paths.find((p) => !p.startsWith('/'));
        if (bad !== undefined) throw new CliExit(2, `path "${bad}" must be absolute (as in the snapshot; pillarsd ls ${jobId} ${snapshot} shows them)`);
        // the foreground restore queues no dependents: nothing would be left to run them
        return withRuntime(
          opts,
          async (rt) => {
            await rt.engine.recover();
            const { run, plan } = await rt.snapshots.restore(jobId, snapshot, { paths, to: opts.to, existing: opts.existing as ExistingChoice | undefined });
            const stop = (sig: NodeJS.Signals) => rt.engine.cancel(run.id, `signal ${sig}`);
            process.once('SIGINT', stop);
            process.once('SIGTERM', stop);
            if (!opts.json) {
              process.stderr.write(
                `restore run ${run.id} queued: snapshot ${plan.task.snapshotId.slice(0, 8)} → ${plan.task.destination ?? 'the original places'}${plan.task.existing ? ` (existing: ${plan.task.existing})` : ''}\n`,
              );
              for (const i of plan.items) process.stderr.write(`  ${shown(i.path)} → ${shown(i.target)}${i.exists ? ' (exists)' : ''}\n`);
            }
            const done = toWire(await rt.engine.waitFor(run.id));
            if (opts.json) printJson(done);
            else {
              process.stdout.write(`restore: ${done.status}${done.error ? ` — ${done.error}` : ''}\n`);
              const s = done.summary;
              if (s?.kind === 'restore') {
                process.stdout.write(
                  `${s.files} entries (${formatBytes(s.bytes)}) written ${s.destination ? `into ${shown(s.destination)}` : 'to their original places'}; ${s.skippedCount} skipped, ${s.keptBothCount} kept both, ${s.overwrittenCount} overwritten\n`,
                );
                for (const p of s.keptBoth) process.stdout.write(`kept both: ${shown(p)}\n`);
              }
              if (done.status !== 'succeeded') process.stdout.write(`log: pillarsd runs --job restore:${jobId} (run ${done.id})\n`);
            }
            return exitCodeFor(done.status);
          },
          { dependents: false },
        );
      }),
    );

  withCommon(program.command('dump <job> <snapshot> <path>').description('a file of a snapshot, or a folder as a tar or zip archive, written to standard output (redirect it to a file)'))
    .option('--archive <format>', 'tar (default) or zip, for a folder')
    .action(
      action(async (jobId: string, snapshot: string, p: string, opts: CommonOpts & { archive?: string }) => {
        if (opts.archive !== undefined && opts.archive !== 'tar' && opts.archive !== 'zip') throw new CliExit(2, `--archive must be tar or zip, not "${opts.archive}"`);
        if (!p.startsWith('/')) throw new CliExit(2, `path "${p}" must be absolute (as in the snapshot)`);
        if (process.stdout.isTTY) throw new CliExit(2, `not writing binary data to a terminal: redirect it, e.g. pillarsd dump ${jobId} ${snapshot} ${p} > file`);
        return withRuntime(opts, async (rt) => {
          const d = await rt.snapshots.dump(jobId, snapshot, { path: p, format: opts.archive as 'tar' | 'zip' | undefined });
          // a cut-off stream (restic failed half way) rejects here: exit 1, never a quiet short file
          await new Promise<void>((resolve, reject) => {
            d.stream.once('error', reject);
            process.stdout.once('error', reject);
            d.stream.once('end', resolve);
            d.stream.pipe(process.stdout);
          });
          process.stderr.write(`${shown(d.filename)}${d.size !== null ? ` (${formatBytes(d.size)})` : ''} written\n`);
        });
      }),
    );
}
