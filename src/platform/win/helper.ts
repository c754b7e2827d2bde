// The long-lived PowerShell helper (script.ts), from the adapter's side: started on the first
// request, one JSON line per request (tagged with an id), answers matched by id, every request
// under its own deadline. A helper that misses a deadline may be wedged (a CIM query stuck behind a
// hung share): it is killed, and the next request starts a fresh one. A helper that exits fails
// what it had in flight with its last words, and the next request starts a fresh one too (after a
// pause when it keeps dying at start, so a broken PowerShell is not restarted in a loop).
import type { LineProcess, StartProcess } from '../types';
import { asciiJson, firstLine, redact } from '../common/effects';
import { BOOTSTRAP_ENCODED, PS_ARGS, WIN_HELPER_LINE } from './script';

export type HelperAnswer = ({ ok: true } & Record<string, unknown>) | { ok: false; code: number | null; message: string; timedOut?: boolean; busy?: boolean; openFiles?: number };

export interface WinHelper {
  request(op: Record<string, unknown>, ms: number, secret?: string): Promise<HelperAnswer>;
  /** How many PowerShell processes were started (the probing benchmark counts them). */
  readonly starts: number;
  stop(): void;
}

const RESTART_PAUSE_MS = 10_000;

export function createWinHelper(o: { start: StartProcess; powershell: string; now?: () => number }): WinHelper {
  const now = o.now ?? Date.now;
  let proc: LineProcess | null = null;
  let seq = 0;
  let starts = 0;
  let lastQuickDeath = -Infinity;
  const pending = new Map<number, { resolve: (a: HelperAnswer) => void; secret?: string }>();
  /** helpers we killed ourselves (a missed deadline): their end says nothing about PowerShell */
  const killed = new WeakSet<LineProcess>();

  const failAll = (message: string) => {
    for (const [id, p] of [...pending]) {
      pending.delete(id);
      p.resolve({ ok: false, code: null, message: redact(message, p.secret) });
    }
  };

  function ensure(): LineProcess {
    if (proc) return proc;
    starts++;
    const startedAt = now();
    const p = o.start({ cmd: o.powershell, args: [...PS_ARGS, BOOTSTRAP_ENCODED] });
    proc = p;
    p.onLine((line) => {
      const text = line.replace(/^\uFEFF/, '').trim();
      if (!text.startsWith('{')) return; // PowerShell may print a banner or a warning
      let v: Record<string, unknown>;
      try {
        v = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return;
      }
      const id = typeof v['id'] === 'number' ? v['id'] : null;
      const waiting = id === null ? undefined : pending.get(id);
      if (!waiting || id === null) return;
      pending.delete(id);
      if (v['ok'] === true) waiting.resolve(v as HelperAnswer);
      else
        waiting.resolve({
          ok: false,
          code: typeof v['code'] === 'number' ? v['code'] : null,
          message: redact(String(v['message'] ?? ''), waiting.secret).trim(),
          ...(v['busy'] === true ? { busy: true, openFiles: typeof v['openFiles'] === 'number' ? v['openFiles'] : 0 } : {}),
        });
    });
    p.onExit((code, detail) => {
      if (proc === p) proc = null;
      if (!killed.has(p) && now() - startedAt < 5_000) lastQuickDeath = now();
      killed.delete(p);
      failAll(`PowerShell exited (${code ?? 'no code'})${detail ? `: ${firstLine(detail)}` : ''}`);
    });
    // the helper's program: one line the bootstrap reads and runs
    p.send(WIN_HELPER_LINE);
    return p;
  }

  return {
    get starts() {
      return starts;
    },
    request(op, ms, secret) {
      return new Promise<HelperAnswer>((resolve) => {
        if (!proc && now() - lastQuickDeath < RESTART_PAUSE_MS) {
          resolve({ ok: false, code: null, message: 'PowerShell keeps exiting at start; trying again in a few seconds' });
          return;
        }
        const p = ensure();
        const id = ++seq;
        const timer = setTimeout(() => {
          if (!pending.delete(id)) return;
          // no answer in time: the helper itself may be stuck; a fresh one serves the next request
          if (proc === p) proc = null;
          killed.add(p);
          p.kill();
          resolve({ ok: false, code: null, message: `PowerShell did not answer within ${Math.round(ms / 1000)} s`, timedOut: true });
        }, ms);
        pending.set(id, {
          resolve: (a) => {
            clearTimeout(timer);
            resolve(a);
          },
          ...(secret !== undefined ? { secret } : {}),
        });
        if (!p.send(asciiJson({ id, ...op }))) {
          const w = pending.get(id);
          pending.delete(id);
          w?.resolve({ ok: false, code: null, message: 'PowerShell is not running' });
        }
      });
    },
    stop() {
      if (proc) killed.add(proc);
      proc?.kill();
      proc = null;
      failAll('stopped');
    },
  };
}
