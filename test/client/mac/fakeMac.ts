// A stand-in for a Mac (which cannot run here): answers the commands the macOS adapter issues the
// way macOS documents them, keeps a mount table and the immutable flags, and RUNS the JXA mount
// script it receives in a node:vm sandbox whose ObjC bridge stand-in records NetFSMountURLSync's
// arguments. So the tests see what NetFS itself would be handed.
import vm from 'node:vm';
import type { ExecRequest } from '../../../src/platform/types';
import { fixture, recordingExec, type Recording, type Reply } from './fakes';

export interface NetfsCall {
  url: string;
  mountPath: string;
  user: string;
  password: string;
  openOptions: Record<string, unknown>;
  mountOptions: Record<string, unknown>;
}

type Wrapped = { __v: unknown };
const unwrap = (x: unknown): unknown => (x && typeof x === 'object' && '__v' in (x as object) ? (x as Wrapped).__v : x);

/** Evaluates a JXA script the way osascript would call it: run()'s return value is stdout. */
export function runJxa(script: string, netfs: (call: NetfsCall) => { status: number; mountpoints?: string[] }): { stdout: string; calls: NetfsCall[] } {
  const calls: NetfsCall[] = [];
  const dict = () => {
    const d: Record<string, unknown> = {};
    return { setObjectForKey: (v: unknown, k: unknown) => void (d[String(unwrap(k))] = unwrap(v)), __dict: d };
  };
  const $ = Object.assign((v: unknown): Wrapped => ({ __v: v }), {
    NSMutableDictionary: {
      alloc: {
        get init() {
          return dict();
        },
      },
    },
    NSNumber: { numberWithBool: (b: boolean): Wrapped => ({ __v: b }) },
    NSURL: {
      URLWithString: (s: unknown) => ({ url: unwrap(s) }),
      fileURLWithPath: (s: unknown) => ({ path: unwrap(s) }),
    },
    NetFSMountURLSync: (url: { url: string }, mp: { path: string }, user: unknown, pass: unknown, o: { __dict: Record<string, unknown> }, m: { __dict: Record<string, unknown> }, points: unknown[]) => {
      const call: NetfsCall = { url: url.url, mountPath: mp.path, user: String(unwrap(user)), password: String(unwrap(pass)), openOptions: o.__dict, mountOptions: m.__dict };
      calls.push(call);
      const r = netfs(call);
      if (r.mountpoints) points[0] = { __v: r.mountpoints };
      return r.status;
    },
  });
  const imports: string[] = [];
  const context = vm.createContext({
    $,
    ObjC: { import: (name: string) => void imports.push(name), deepUnwrap: (x: unknown) => unwrap(x) },
    Ref: () => [] as unknown[],
    JSON,
    Number,
    String,
  });
  vm.runInContext(script, context, { timeout: 1000 });
  const out = vm.runInContext('run()', context, { timeout: 1000 }) as unknown;
  if (!imports.includes('NetFS')) throw new Error('the script did not import NetFS');
  return { stdout: `${String(out)}\n`, calls };
}

export class FakeMac {
  /** Raw `mount` lines, in order. */
  table: string[] = fixture('mac/mount.txt')
    .split('\n')
    .filter((l) => l && !l.includes('/.mkt/'));
  immutable = new Set<string>();
  netfsStatus = 0;
  netfsCalls: NetfsCall[] = [];
  dfReply: Reply = { stdout: fixture('mac/df.txt') };
  diskutilReply: ((path: string) => Reply) | null = null;
  tmutil: Record<string, Reply> = {};
  /** What `lsof -F n` prints: one `n<path>` line per open file. */
  lsof = '';
  readonly rec: Recording;

  constructor(readonly user = 'alice') {
    this.rec = recordingExec((req) => this.answer(req));
  }

  mounted(path: string): boolean {
    return this.table.some((l) => l.includes(` on ${path} (`));
  }

  private answer(req: ExecRequest): Reply | Promise<Reply> {
    const a = req.args;
    switch (req.cmd) {
      case '/sbin/mount':
        return { stdout: this.table.map((l) => `${l}\n`).join('') };
      case '/usr/bin/osascript': {
        const { stdout, calls } = runJxa(req.stdin ?? '', (call) => {
          if (this.netfsStatus === 0) {
            const m = /^smb:\/\/([^@]*)@([^/]+)\/(.*)$/.exec(call.url)!;
            this.table.push(`//${m[1]}@${m[2]}/${m[3]} on ${call.mountPath} (smbfs, nodev, nosuid, mounted by ${this.user})`);
            return { status: 0, mountpoints: [call.mountPath] };
          }
          return { status: this.netfsStatus };
        });
        this.netfsCalls.push(...calls);
        return { stdout };
      }
      case '/usr/bin/chflags': {
        const [flag, path] = a as [string, string];
        if (flag === 'uchg') this.immutable.add(path);
        else if (flag === 'nouchg') this.immutable.delete(path);
        else return { code: 1, stderr: `chflags: invalid flag: ${flag}` };
        return {};
      }
      case '/bin/df':
        return this.dfReply;
      case '/usr/sbin/diskutil': {
        const path = a[2]!;
        if (this.diskutilReply) return this.diskutilReply(path);
        this.table = this.table.filter((l) => !l.includes(` on ${path} (`));
        return { stdout: `Volume flux on ${path} force-unmounted\n` };
      }
      case '/sbin/umount': {
        const path = a[1]!;
        this.table = this.table.filter((l) => !l.includes(` on ${path} (`));
        return {};
      }
      case '/usr/bin/open':
        return {};
      case '/usr/sbin/lsof':
        return { stdout: this.lsof };
      case '/usr/bin/tmutil':
        return this.tmutil[a.join(' ')] ?? { code: 0 };
      default:
        return { code: 127, stderr: `${req.cmd}: command not found` };
    }
  }
}
