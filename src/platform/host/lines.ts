// A long-lived child that talks in lines (the Windows PowerShell helper). Started on the main
// thread: it is started once, not every few seconds, and on Windows CreateProcess does not wait for
// the child to run. Its environment is the same minimal base as every Exec child.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { LineProcess, StartProcess } from '../types';
import { baseEnv } from './exec';

const STDERR_TAIL = 4 * 1024;

export function createStartProcess(opts: { env?: NodeJS.ProcessEnv } = {}): StartProcess {
  const base = baseEnv(opts.env);
  return (req) => {
    const lines = new Set<(l: string) => void>();
    const exits = new Set<(code: number | null, detail: string) => void>();
    let stderr = '';
    let gone = false;
    let exit: { code: number | null; detail: string } | null = null;
    const end = (code: number | null, detail: string) => {
      if (exit) return;
      gone = true;
      exit = { code, detail };
      for (const fn of exits) fn(code, detail);
    };
    const child = spawn(req.cmd, [...req.args], { env: { ...base, ...req.env }, cwd: req.cwd, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true, detached: process.platform !== 'win32' });
    child.stdin.on('error', () => undefined);
    child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString('utf8')).slice(-STDERR_TAIL)));
    createInterface({ input: child.stdout }).on('line', (l) => {
      for (const fn of lines) fn(l);
    });
    child.on('error', (e) => end(null, `cannot start ${req.cmd}: ${e.message}`));
    child.on('close', (code) => end(code, stderr.trim()));
    const proc: LineProcess = {
      get pid() {
        return child.pid ?? null;
      },
      send(line) {
        if (gone || !child.stdin.writable) return false;
        child.stdin.write(`${line}\n`);
        return true;
      },
      onLine(fn) {
        lines.add(fn);
      },
      onExit(fn) {
        if (exit) fn(exit.code, exit.detail);
        else exits.add(fn);
      },
      kill() {
        gone = true;
        try {
          if (child.pid && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
          else child.kill('SIGKILL');
        } catch {
          /* already gone */
        }
        child.stdout.destroy();
        child.stderr.destroy();
        child.unref();
      },
    };
    return proc;
  };
}
