// A sync's change set, per run, as files in the state folder (`plans/<run>/`), never a database row:
// the deletions and overwrites its listings found (sorted, with sizes), their per-folder totals and
// a digest. The set a run was blocked with is what an approval names (count + digest) and what the
// approved run may delete; the API pages through it. A set of millions of files is written and
// read a buffer at a time.
import path from 'node:path';
import type { ChangeEntry, ChangeSetPage, FolderTotal } from '../contract/api';
import { keyPath } from '../domain/sync-plan';
import { exists, ensurePrivateDir, readText, removeTree, renameReplacing, writeFileAtomic } from '../infra/fs';
import { LineReader, LineWriter } from '../infra/line-files';
import { createHash } from 'node:crypto';

export type ChangeKind = 'deletions' | 'overwrites';
export const CHANGE_KINDS: readonly ChangeKind[] = ['deletions', 'overwrites'];
/** `approval`: the set a run was blocked with; `run`: the set the run last worked from. */
export type ChangeSetName = 'approval' | 'run';

/** every this many entries the byte offset is kept, so a page far down the set is a seek away */
const INDEX_EVERY = 1000;
/** per-folder totals stop growing here (a set spread over more folders lumps the rest together) */
const MAX_FOLDERS = 5000;
export const OTHER_FOLDERS = '(other folders)';
const SAMPLE = 10;

export interface ChangeSetSummary {
  version: 1;
  files: Record<ChangeKind, number>;
  bytes: Record<ChangeKind, number>;
  /** deletions a prune pillarsd ran made at the source: they never count against the guard */
  expected: { files: number; bytes: number };
  /** SHA-256 over both sorted files: what an approval names */
  digest: string;
  folders: Record<ChangeKind, FolderTotal[]>;
  index: Record<ChangeKind, number[]>;
  sample: Record<ChangeKind, string[]>;
}

interface Line {
  /** sort key (domain/sync-plan pathKey) */
  k: string;
  s: number;
  /** overwrites: the destination's size */
  d?: number;
  /** deletions: expected (a prune of pillarsd removed it at the source) */
  e?: 1;
}

class KindWriter {
  readonly out: LineWriter;
  readonly index: number[] = [];
  readonly sample: string[] = [];
  bytes = 0;
  private readonly folders = new Map<string, FolderTotal>();

  constructor(file: string) {
    this.out = new LineWriter(file, { hash: true });
  }

  add(l: Line): void {
    if (this.out.lines % INDEX_EVERY === 0) this.index.push(this.out.offset());
    this.out.write(JSON.stringify(l));
    this.bytes += Math.max(0, l.s);
    const p = keyPath(l.k);
    if (this.sample.length < SAMPLE) this.sample.push(p);
    for (const depth of [1, 2]) {
      const parts = p.split('/');
      if (parts.length <= depth) continue;
      let name = parts.slice(0, depth).join('/');
      if (!this.folders.has(name) && this.folders.size >= MAX_FOLDERS) name = OTHER_FOLDERS;
      const f = this.folders.get(name) ?? { folder: name, files: 0, bytes: 0 };
      f.files++;
      f.bytes += Math.max(0, l.s);
      this.folders.set(name, f);
    }
  }

  finish(): { digest: string; folders: FolderTotal[] } {
    const digest = this.out.close()!;
    return { digest, folders: [...this.folders.values()].sort((a, b) => (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0)) };
  }
}

/** Writes one change set; entries must come in key order (they come out of the merge that way). */
export class ChangeSetWriter {
  private readonly kinds: Record<ChangeKind, KindWriter>;
  private expected = { files: 0, bytes: 0 };

  constructor(readonly dir: string) {
    this.kinds = { deletions: new KindWriter(path.join(dir, 'deletions.jsonl')), overwrites: new KindWriter(path.join(dir, 'overwrites.jsonl')) };
  }

  addDeletion(key: string, size: number, expected: boolean): void {
    this.kinds.deletions.add(expected ? { k: key, s: size, e: 1 } : { k: key, s: size });
    if (expected) {
      this.expected.files++;
      this.expected.bytes += Math.max(0, size);
    }
  }

  addOverwrite(key: string, size: number, destinationSize: number): void {
    this.kinds.overwrites.add({ k: key, s: size, d: destinationSize });
  }

  finish(): ChangeSetSummary {
    const d = this.kinds.deletions.finish();
    const o = this.kinds.overwrites.finish();
    const s: ChangeSetSummary = {
      version: 1,
      files: { deletions: this.kinds.deletions.out.lines, overwrites: this.kinds.overwrites.out.lines },
      bytes: { deletions: this.kinds.deletions.bytes, overwrites: this.kinds.overwrites.bytes },
      expected: this.expected,
      digest: createHash('sha256').update(`deletions ${d.digest}\noverwrites ${o.digest}\n`).digest('hex'),
      folders: { deletions: d.folders, overwrites: o.folders },
      index: { deletions: this.kinds.deletions.index, overwrites: this.kinds.overwrites.index },
      sample: { deletions: this.kinds.deletions.sample, overwrites: this.kinds.overwrites.sample },
    };
    writeFileAtomic(path.join(this.dir, 'summary.json'), JSON.stringify(s), 0o600);
    return s;
  }
}

/** Reads a set's entries of one kind in key order: the approved run walks it beside its own plan. */
export class ChangeSetReader {
  private readonly r: LineReader;
  constructor(file: string) {
    this.r = new LineReader(file);
  }
  next(): { key: string; size: number; expected: boolean } | null {
    const l = this.r.next();
    if (l === null) return null;
    const o = JSON.parse(l) as Line;
    return { key: o.k, size: o.s, expected: o.e === 1 };
  }
  close(): void {
    this.r.close();
  }
}

/** The digest an approval names for a set that is not a file list (a shrunk backup's snapshot and sizes). */
export function approvalDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class ChangeSetStore {
  readonly root: string;
  constructor(stateDir: string) {
    this.root = path.join(stateDir, 'plans');
  }

  private dirOf(runId: string, name: ChangeSetName | 'next'): string {
    if (!/^[A-Za-z0-9_-]+$/.test(runId)) throw new Error(`bad run id ${runId}`);
    return path.join(this.root, runId, name);
  }

  /** A fresh folder for the plan a run is computing now (the run's own lists go there too). */
  begin(runId: string): { dir: string; writer: ChangeSetWriter } {
    const dir = this.dirOf(runId, 'next');
    removeTree(dir);
    ensurePrivateDir(this.root);
    ensurePrivateDir(path.dirname(dir));
    ensurePrivateDir(dir);
    return { dir, writer: new ChangeSetWriter(dir) };
  }

  /** The plan computed now becomes the run's `approval` set (it blocked) or its `run` set (it went on). */
  commit(runId: string, as: ChangeSetName): string {
    const to = this.dirOf(runId, as);
    renameReplacing(this.dirOf(runId, 'next'), to);
    return to;
  }

  has(runId: string, name: ChangeSetName): boolean {
    return exists(path.join(this.dirOf(runId, name), 'summary.json'));
  }

  summary(runId: string, name: ChangeSetName): ChangeSetSummary | null {
    const f = path.join(this.dirOf(runId, name), 'summary.json');
    if (!exists(f)) return null;
    return JSON.parse(readText(f)) as ChangeSetSummary;
  }

  reader(runId: string, name: ChangeSetName, kind: ChangeKind): ChangeSetReader {
    return new ChangeSetReader(path.join(this.dirOf(runId, name), `${kind}.jsonl`));
  }

  /** One page of a set, with the totals the approver needs beside it. */
  page(runId: string, name: ChangeSetName, kind: ChangeKind, offset: number, limit: number): ChangeSetPage | null {
    const s = this.summary(runId, name);
    if (!s) return null;
    const total = s.files[kind];
    const entries: ChangeEntry[] = [];
    if (offset < total) {
      const block = Math.floor(offset / INDEX_EVERY);
      const r = new LineReader(path.join(this.dirOf(runId, name), `${kind}.jsonl`), s.index[kind][block] ?? 0);
      try {
        for (let i = block * INDEX_EVERY; i < offset + limit; i++) {
          const l = r.next();
          if (l === null) break;
          if (i < offset) continue;
          const o = JSON.parse(l) as Line;
          const e: ChangeEntry = { path: keyPath(o.k), size: o.s };
          if (kind === 'overwrites') e.destinationSize = o.d ?? null;
          if (kind === 'deletions') e.expected = o.e === 1;
          entries.push(e);
        }
      } finally {
        r.close();
      }
    }
    return {
      runId,
      set: name,
      kind,
      files: total,
      bytes: s.bytes[kind],
      expected: kind === 'deletions' ? s.expected : null,
      digest: s.digest,
      approvalCount: s.files.deletions + s.files.overwrites,
      offset,
      limit,
      next: offset + entries.length < total ? offset + entries.length : null,
      entries,
      folders: s.folders[kind],
    };
  }

  /** Removes everything of a run (history pruning). */
  remove(runId: string): void {
    if (!/^[A-Za-z0-9_-]+$/.test(runId)) return;
    removeTree(path.join(this.root, runId));
  }
}
