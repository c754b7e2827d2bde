// Helpers every platform adapter uses around the injected Exec: a hard deadline that holds even if
// an Exec implementation misbehaves (rule 8 of docs/architecture.md), and redaction so that no message we build from a
// child's output can carry the password back out (rule 6).
import type { Exec, ExecRequest, ExecResult } from '../types';

/** Resolves with the child's result, or with a timed-out result once `ms` has passed — never later. */
export function execWithDeadline(exec: Exec, req: ExecRequest, ms: number): Promise<ExecResult> {
  const budget = Math.max(1, Math.floor(ms));
  return new Promise<ExecResult>((resolve) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      resolve({ code: null, stdout: '', stderr: '', timedOut: true });
    }, budget);
    exec({ ...req, timeoutMs: Math.min(req.timeoutMs ?? budget, budget) }).then(
      (r) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      },
      (e: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ code: null, stdout: '', stderr: e instanceof Error ? e.message : String(e), timedOut: false });
      },
    );
  });
}

/** Removes every occurrence of the secret (and of its JSON-escaped form) from a text meant for people. */
export function redact(text: string, secret: string | undefined): string {
  if (!secret) return text;
  let out = text;
  // Whole forms first, then each line of a multi-line secret: a tool may print only part of it.
  const lines = secret.split(/\r?\n/).filter((l) => l.length >= 4);
  for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1), ...lines])) {
    if (form) out = out.split(form).join('***');
  }
  return out;
}

export function firstLine(text: string): string {
  return (
    text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? ''
  );
}

/** JSON.stringify, then \uXXXX for everything outside printable ASCII: safe in any code page. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
