// Secret references (never values) as written in pillarsd.yaml.
export type SecretRef = { kind: 'akv'; vault: string; name: string } | { kind: 'env'; name: string } | { kind: 'file'; path: string } | { kind: 'op'; ref: string };

export function parseSecretRef(ref: string): SecretRef {
  let m = /^akv:\/\/([A-Za-z0-9-]+)\/([A-Za-z0-9-]+)$/.exec(ref);
  if (m) return { kind: 'akv', vault: m[1]!, name: m[2]! };
  m = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(ref);
  if (m) return { kind: 'env', name: m[1]! };
  if (ref.startsWith('file:/')) return { kind: 'file', path: ref.slice('file:'.length) };
  if (/^op:\/\/[^/\s]+\/[^/\s]+(\/[^/\s]+)+$/.test(ref)) return { kind: 'op', ref };
  throw new Error(`not a secret reference: ${ref.slice(0, 6)}…`);
}
