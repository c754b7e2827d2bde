// The job settings form's pure parts: which widget a setting gets from its JSON Schema, and the
// edits (paths into the job's mapping) that turn the settings as written into the draft. Free of
// React, so they are tested in plain Node.
import type { JobSettingsEdit } from '../../server/src/contract/api';

export type Path = Array<string | number>;
export type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The edits from `before` (the job's mapping as pillarsd.yaml holds it) to `after` (the form's
 * draft), as small as the change: a changed leaf is one edit, a removed key is `null`. Lists of
 * mappings (hooks) change item by item, grow at the end and shrink from the end, so a hook's
 * hidden environment values ("(set)") are never sent back.
 */
export function settingsEdits(before: unknown, after: unknown, path: Path = []): Array<Omit<JobSettingsEdit, 'section'>> {
  if (same(before, after)) return [];
  if (after === undefined) return [{ path, value: null }];
  if (isObj(before) && isObj(after)) {
    const out: Array<Omit<JobSettingsEdit, 'section'>> = [];
    for (const k of Object.keys(before)) if (!(k in after)) out.push({ path: [...path, k], value: null });
    for (const k of Object.keys(after)) out.push(...settingsEdits(before[k], after[k], [...path, k]));
    return out;
  }
  if (Array.isArray(before) && Array.isArray(after) && [...before, ...after].some(isObj)) {
    const out: Array<Omit<JobSettingsEdit, 'section'>> = [];
    const n = Math.min(before.length, after.length);
    for (let i = 0; i < n; i++) out.push(...settingsEdits(before[i], after[i], [...path, i]));
    for (let i = n; i < after.length; i++) out.push({ path: [...path, i], value: after[i] });
    for (let i = before.length - 1; i >= n; i--) out.push({ path: [...path, i], value: null });
    return out;
  }
  return [{ path, value: after }];
}

/** The value at `path` of a draft. */
export function getAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const k of path) v = isObj(v) || Array.isArray(v) ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}

/** A copy of `root` with `path` set to `value` (undefined removes the key; empty mappings left behind go too). */
export function setAt(root: Json, path: Path, value: unknown): Json {
  const [k, ...rest] = path;
  if (k === undefined) return root;
  const copy: Json | unknown[] = Array.isArray(root) ? [...(root as unknown[])] : { ...root };
  const cur = (copy as Record<string | number, unknown>)[k];
  let next: unknown = rest.length ? setAt(isObj(cur) || Array.isArray(cur) ? (cur as Json) : typeof rest[0] === 'number' ? ([] as unknown as Json) : {}, rest, value) : value;
  if (isObj(next) && Object.keys(next).length === 0 && rest.length) next = undefined;
  if (next === undefined && !Array.isArray(copy)) delete (copy as Json)[k as string];
  else (copy as Record<string | number, unknown>)[k] = next;
  return copy as Json;
}

export type Widget =
  | { kind: 'boolean' }
  | { kind: 'number'; integer: boolean; min?: number; max?: number }
  | { kind: 'text'; pattern?: string }
  | { kind: 'choice'; options: string[] }
  | { kind: 'lines' }
  | { kind: 'group'; properties: Array<[string, Json]> }
  | { kind: 'list'; item: Json }
  | { kind: 'hidden-map' };

/** The JSON Schema node's variants, without the `null` one of an optional value. */
function variants(s: Json): Json[] {
  const alts = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  return alts ? alts.filter((a) => a.type !== 'null') : [s];
}

/** Which widget edits a setting whose JSON Schema is `s`. */
export function widgetFor(s: Json): Widget {
  const vs = variants(s);
  const types = new Set(vs.map((v) => v.type));
  if (vs.length === 1) {
    const v = vs[0]!;
    if (Array.isArray(v.enum)) return { kind: 'choice', options: v.enum.map(String) };
    if (v.type === 'boolean') return { kind: 'boolean' };
    if (v.type === 'integer' || v.type === 'number') return { kind: 'number', integer: v.type === 'integer', min: (v.minimum ?? v.exclusiveMinimum) as number | undefined, max: v.maximum as number | undefined };
    if (v.type === 'array') {
      const item = (v.items ?? {}) as Json;
      return variants(item).every((i) => i.type === 'string') ? { kind: 'lines' } : { kind: 'list', item };
    }
    if (v.type === 'object' || v.properties) {
      if (v.properties) return { kind: 'group', properties: Object.entries(v.properties as Record<string, Json>) };
      return { kind: 'hidden-map' };
    }
  }
  // a size (number or "4T") or anything else written as text
  return types.has('string') || types.size > 1 ? { kind: 'text', pattern: vs.find((v) => v.type === 'string')?.pattern as string | undefined } : { kind: 'text' };
}

/** "maxDeletePercent" → "Max delete percent". */
export function labelOf(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
