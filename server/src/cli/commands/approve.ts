// `pillarsd approve RUN [--yes COUNT] [--all]`: shows the set a blocked run listed (totals, per-folder
// totals, its files with sizes), asks, and approves exactly that set; the run then goes on in the
// foreground. Nothing is approved that was not shown: the count typed (or --yes) must be the set's,
// and the approval names its digest, which the run checks against the set it stored.
// Exit codes as `pillarsd run`; 2 when there is nothing to approve or the count does not match.
import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import type { ChangeSetPage } from '../../contract/api';
import { formatBytes } from '../../domain/guards';
import { openRuntime } from '../../jobs/runtime';
import { action, CliExit, loadOrExit, printJson, withCommon } from './engine-shared';
import type { CommonOpts } from './engine-shared';
import { foregroundRun } from './foreground';

/** Up to this many files, "y" approves; above, the approver types the count back. */
export const CONFIRM_BY_COUNT_ABOVE = 20;
const SHOWN = 50;

/** One line from stdin after the question (on stderr); empty when stdin ends first. */
export async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  process.stderr.write(question);
  try {
    for await (const line of rl) return line.trim();
    return '';
  } finally {
    rl.close();
  }
}

function show(pages: ChangeSetPage[], all: boolean, runId: string): void {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  for (const p of pages) {
    if (p.files === 0) continue;
    const expected = p.expected?.files ? ` (${p.expected.files} of them removed by a prune of pillarsd, not counted by the guard)` : '';
    out(`\n${p.kind === 'deletions' ? 'to delete at the destination' : 'to overwrite at the destination'}: ${p.files} file(s), ${formatBytes(p.bytes)}${expected}`);
    const top = p.folders.filter((f) => !f.folder.includes('/'));
    if (top.length) {
      out('  by folder:');
      for (const f of top) out(`    ${String(f.files).padStart(8)}  ${formatBytes(f.bytes).padStart(10)}  ${f.folder}/`);
    }
    out('  files:');
    for (const e of p.entries) out(`    ${formatBytes(e.size).padStart(10)}  ${e.path}${e.expected ? '  (pruned)' : ''}`);
    if (!all && p.next !== null) out(`    … and ${p.files - p.entries.length} more (pillarsd approve ${runId} --all lists every file; GET /api/v1/runs/${runId}/${p.kind} pages them)`);
  }
}

export function registerApprove(program: Command): void {
  withCommon(program.command('approve <run>').description('show the set a blocked run listed, approve exactly it, and let the run go on'))
    .option('--yes <count>', 'approve without asking; COUNT must be the number of files the run listed')
    .option('--all', 'list every file of the set, not only the first ones')
    .action(
      action(async (runId: string, opts: CommonOpts & { yes?: string; all?: boolean }) => {
        const loaded = loadOrExit(opts);
        const rt = openRuntime(loaded);
        let pages: ChangeSetPage[];
        let jobId: string;
        let approval: { count: number; digest: string };
        try {
          const run = rt.engine.getRun(runId);
          if (!run) throw new CliExit(2, `no run ${runId} (pillarsd runs lists them)`);
          jobId = run.jobId;
          if (run.status !== 'blocked' || !run.block?.needsApproval)
            throw new CliExit(
              2,
              `run ${runId} of ${run.jobId} is ${run.status}${run.status === 'blocked' ? ` by ${run.block?.guard}, which an approval cannot lift: ${run.block?.message}` : ', not waiting for approval'}`,
            );
          if (!run.block.approval) throw new CliExit(2, `run ${runId} lists no set an approval could name: pillarsd run ${run.jobId} lists it again`);
          approval = run.block.approval;
          process.stdout.write(`run ${runId} of ${run.jobId} is blocked: ${run.block.message}\n`);
          pages = [];
          for (const kind of ['deletions', 'overwrites'] as const) {
            const first = rt.engine.changeSet(runId, kind, { offset: 0, limit: opts.all ? 1000 : SHOWN, set: 'approval' });
            const page = { ...first, entries: [...first.entries] };
            for (let next = first.next; opts.all && next !== null;) {
              const more = rt.engine.changeSet(runId, kind, { offset: next, limit: 1000, set: 'approval' });
              page.entries.push(...more.entries);
              next = more.next;
            }
            pages.push(page);
          }
          if (pages[0]!.digest !== approval.digest) throw new CliExit(1, `run ${runId}'s stored set does not match what it was blocked with; pillarsd run ${run.jobId} lists it again`);
        } finally {
          rt.close();
        }
        if (opts.json) printJson({ runId, approval, sets: pages });
        else show(pages, !!opts.all, runId);

        const n = approval.count;
        if (opts.yes !== undefined) {
          if (Number(opts.yes) !== n || !/^\d+$/.test(opts.yes)) throw new CliExit(2, `--yes ${opts.yes} is not the ${n} file(s) run ${runId} listed: nothing approved`);
        } else {
          const answer = n > CONFIRM_BY_COUNT_ABOVE ? await ask(`\nApprove these ${n} files? Type the number of files (${n}) to approve: `) : await ask(`\nApprove these ${n} file(s)? [y/N] `);
          const yes = n > CONFIRM_BY_COUNT_ABOVE ? answer === String(n) : /^y(es)?$/i.test(answer);
          if (!yes) {
            process.stderr.write(`not approved${n > CONFIRM_BY_COUNT_ABOVE && answer ? ` ("${answer}" is not ${n})` : ''}; run ${runId} still waits\n`);
            return 2;
          }
        }
        const who = `cli:${process.env.SUDO_USER ?? process.env.USER ?? 'root'}`;
        return foregroundRun(loaded, jobId, opts, (r) => {
          r.engine.approve(runId, who, approval);
          return r.runs.get(runId)!;
        });
      }),
    );
}
