// Process-group helpers for recovery: a kill -9 of pillarsd leaves its children (restic, rclone)
// running in their own groups; at start-up we find them by the pid recorded in the run and end them.
import fs from 'node:fs';
import os from 'node:os';
import { killGroup } from './exec';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** argv[0] of a live process (Linux /proc), or null. Used to avoid killing a recycled pid. */
export function processName(pid: number): string | null {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0')[0] ?? null;
  } catch {
    return null;
  }
}

/** Process start time in clock ticks since boot (field 22 of /proc/pid/stat), or null. */
export function processStartTicks(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

/**
 * Pids of the processes whose environment holds KEY=VALUE (Linux /proc; root reads every one).
 * Finds a child started for a run even when a killed pillarsd never got to record its pid.
 */
export function pidsWithEnv(key: string, value: string): number[] {
  const needle = `${key}=${value}`;
  const out: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/environ`, 'latin1').split('\0').includes(needle)) out.push(Number(e));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

/** The state letter of /proc/pid/stat (R, S, D, Z...), or null once the pid is gone. */
export function processState(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) || null;
  } catch {
    return null;
  }
}

/**
 * Waits until `pid` has left the process table. A dead orphan stays a zombie until init reaps
 * it (seconds on a slow reaper), and while it does, restic counts its lock as live: `kill(pid, 0)`
 * still succeeds, so `restic unlock` keeps the lock. True if it went within `ms`.
 */
export async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (processState(pid) !== null) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** SIGTERM to the group, SIGKILL after `graceMs` if its leader is still alive. */
/** Alive and not yet exited: a zombie has run its course (its signals go nowhere). */
function running(pid: number): boolean {
  return isAlive(pid) && processState(pid) !== 'Z';
}

export async function endGroup(pid: number, graceMs = 3000): Promise<void> {
  killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && running(pid)) await new Promise((r) => setTimeout(r, 50));
  killGroup(pid, 'SIGKILL');
  const d2 = Date.now() + 2000;
  while (Date.now() < d2 && running(pid)) await new Promise((r) => setTimeout(r, 50));
}

/** The host name restic writes into a snapshot when no --host is given (Go's os.Hostname). */
export function hostName(): string {
  return os.hostname();
}
