// Stand-ins for what cannot run here. macOS and Windows are not available on this machine, so the
// adapters' commands are checked through a recording Exec that answers like the real tools would
// (from their documentation and the sample outputs in test/fixtures/platform), and file effects go
// to an in-memory FsPort. Used by test/client/mac and test/client/win.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Exec, ExecRequest, ExecResult, FsPort } from '../../../src/platform/types';

const here = path.dirname(fileURLToPath(import.meta.url));
export const fixture = (rel: string): string => readFileSync(path.join(here, '../../fixtures/platform', rel), 'utf8');

/** A password with everything that breaks naive quoting: quotes, $, backticks, newlines, unicode. */
export const SECRET = `p"a'ss$(whoami)\`id\`\n%USERPROFILE%;&|<>^\\u00e9 é 🔑 \u2028end`;

export type Reply = Partial<ExecResult> | 'hang';
export type Responder = (req: ExecRequest, index: number) => Reply | Promise<Reply>;

export interface Recording {
  exec: Exec;
  calls: ExecRequest[];
}

/** Records every request; replies come from the responder ('hang' never resolves, like a hung share). */
export function recordingExec(responder: Responder): Recording {
  const calls: ExecRequest[] = [];
  const exec: Exec = async (req) => {
    calls.push({ ...req, args: [...req.args] });
    const reply = await responder(req, calls.length - 1);
    if (reply === 'hang') return new Promise<ExecResult>(() => {});
    return { code: 0, stdout: '', stderr: '', timedOut: false, ...reply };
  };
  return { exec, calls };
}

/** The argv of every call, as `cmd arg arg`. */
export const argvOf = (calls: ExecRequest[]): string[][] => calls.map((c) => [c.cmd, ...c.args]);

/** Rule 6: the secret (or any line of it, or its JSON form) is in no argv, cwd or env of any call. */
export function expectSecretInNoArgv(calls: ExecRequest[], secret = SECRET): void {
  const pieces = [secret, JSON.stringify(secret).slice(1, -1), ...secret.split('\n').filter((s) => s.length >= 4)];
  for (const c of calls) {
    const visible = [c.cmd, ...c.args, c.cwd ?? '', ...Object.entries(c.env ?? {}).flat()].join('\u0000');
    for (const piece of pieces) expect(visible.includes(piece), `secret piece found in ${c.cmd} ${c.args.join(' ')}`).toBe(false);
  }
}

interface Node {
  kind: 'dir' | 'file' | 'link';
  mode: number;
  data?: string;
  target?: string;
}

/** An in-memory FsPort over POSIX-style or Windows-style absolute paths. */
export class MemoryFs implements FsPort {
  readonly nodes = new Map<string, Node>();
  readonly writes: Array<{ path: string; data: string; mode?: number }> = [];
  /** Immutable paths (the FakeMac's uchg flags): nothing may be added to, removed from or changed on them. */
  locked: Set<string> = new Set();
  watch?: FsPort['watch'];
  private check(p: string, parentToo = true): void {
    if (this.locked.has(p) || (parentToo && this.locked.has(this.parent(p)))) throw Object.assign(new Error(`EPERM: operation not permitted, ${p}`), { code: 'EPERM' });
  }

  constructor(dirs: string[] = []) {
    for (const d of dirs) this.nodes.set(d, { kind: 'dir', mode: 0o755 });
  }
  private parent(p: string): string {
    const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
    return i <= 0 ? '/' : p.slice(0, i);
  }
  private needParent(p: string): void {
    const parent = this.parent(p);
    if (parent !== '/' && this.nodes.get(parent)?.kind !== 'dir') throw Object.assign(new Error(`ENOENT: ${parent}`), { code: 'ENOENT' });
  }
  async lstat(p: string) {
    const n = this.nodes.get(p);
    return n ? { isDirectory: n.kind === 'dir', isSymbolicLink: n.kind === 'link', mode: n.mode } : null;
  }
  async readlink(p: string) {
    const n = this.nodes.get(p);
    return n?.kind === 'link' ? n.target! : null;
  }
  async symlink(target: string, p: string) {
    this.check(p);
    if (this.nodes.has(p)) throw Object.assign(new Error(`EEXIST: ${p}`), { code: 'EEXIST' });
    this.needParent(p);
    this.nodes.set(p, { kind: 'link', mode: 0o777, target });
  }
  async unlink(p: string) {
    this.check(p);
    const n = this.nodes.get(p);
    if (!n || n.kind === 'dir') throw Object.assign(new Error(`cannot unlink ${p}`), { code: 'EPERM' });
    this.nodes.delete(p);
  }
  async mkdir(p: string, mode = 0o755) {
    if (!this.nodes.has(p)) this.check(p);
    if (this.nodes.has(p)) throw Object.assign(new Error(`EEXIST: ${p}`), { code: 'EEXIST' });
    this.needParent(p);
    this.nodes.set(p, { kind: 'dir', mode });
  }
  async rmdir(p: string) {
    this.check(p);
    if ((await this.readdir(p)).length) throw Object.assign(new Error(`ENOTEMPTY: ${p}`), { code: 'ENOTEMPTY' });
    this.nodes.delete(p);
  }
  async chmod(p: string, mode: number) {
    this.check(p, false);
    const n = this.nodes.get(p);
    if (!n) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    n.mode = mode;
  }
  async readdir(p: string) {
    const out: string[] = [];
    for (const k of this.nodes.keys()) if (k !== p && this.parent(k) === p) out.push(k.slice(p.length + 1));
    return out;
  }
  async readFile(p: string) {
    const n = this.nodes.get(p);
    return n?.kind === 'file' ? n.data! : null;
  }
  readKernelFile(): string | null {
    return null;
  }
  async holdDir(p: string) {
    if (this.nodes.get(p)?.kind !== 'dir') throw Object.assign(new Error(`ENOTDIR: ${p}`), { code: 'ENOTDIR' });
    return { chmod: async (mode: number) => void (this.nodes.get(p)!.mode = mode), close: async () => undefined };
  }
  async writeFile(p: string, data: string, mode?: number) {
    this.check(p);
    this.needParent(p);
    this.nodes.set(p, { kind: 'file', mode: mode ?? 0o644, data });
    this.writes.push({ path: p, data, mode });
  }
}
