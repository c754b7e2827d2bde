// Measurement helpers for the benches that are not timings: resident memory and CPU time of a
// process read from /proc (Linux; the benches run on the server's OS), and target verdicts in the
// one wording bench/run.ts looks for ("met" / "MISSED").
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) is 100 on every Linux Node supports

/** VmRSS of a process in bytes (null when it is gone). */
export function rssOf(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** user + system CPU seconds a process has used so far (its reaped children included when `children`). */
export function cpuOf(pid: number, children = false): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may hold spaces and parentheses: fields start after the last ')'
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields 14..17 of stat(5) are utime stime cutime cstime; f[0] is field 3
    const [ut, st, cut, cst] = [f[11], f[12], f[13], f[14]].map(Number);
    return ((ut ?? 0) + (st ?? 0) + (children ? (cut ?? 0) + (cst ?? 0) : 0)) / CLK_TCK;
  } catch {
    return null;
  }
}

/**
 * CPU seconds of a process, the children it reaped and its live child processes with theirs: the
 * client core on Linux starts its children from a spawner process of its own (src/platform/host/exec.ts),
 * so what those children cost is reaped there, not in the core.
 */
export function cpuOfTree(pid: number): number | null {
  const own = cpuOf(pid, true);
  if (own === null) return null;
  let kids: number[] = [];
  try {
    kids = readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    /* no /proc children lists: the process alone */
  }
  return kids.reduce((sum, k) => sum + (cpuOf(k, true) ?? 0), own);
}

export const MB = 1024 * 1024;

/** "met" or "MISSED", with how the value compares to the target. */
export function verdict(value: number, target: number, lowerIsBetter = true): string {
  const ok = lowerIsBetter ? value <= target : value >= target;
  return `${ok ? 'met' : 'MISSED'} (${(value / target).toFixed(2)}× the target)`;
}

export const isMet = (v: string) => v.startsWith('met');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
