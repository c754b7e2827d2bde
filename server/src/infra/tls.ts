// The server's TLS key pair. `tls: auto` makes a self-signed certificate in the state folder on
// first start (clients pin its SHA-256 fingerprint, so no CA is involved); `{cert, key}` loads
// files the operator provides. The key is written 0600 before the certificate, so a crash between
// the two leaves no certificate without its key.
import fs from 'node:fs';
import path from 'node:path';
import { X509Certificate, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
// selfsigned (node-forge) is loaded only when a key pair is made: once per server, never per command.
const requireLazy = createRequire(import.meta.url);
import type SelfSigned from 'selfsigned';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** SHA-256 of the DER certificate: upper-case hex pairs joined by colons */
  fingerprint: string;
  certPath: string;
  keyPath: string;
  /** true when this call created the pair */
  created: boolean;
}

function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

function tlsPaths(stateDir: string): { certPath: string; keyPath: string } {
  return { certPath: path.join(stateDir, 'tls', 'server.crt'), keyPath: path.join(stateDir, 'tls', 'server.key') };
}

function writeAtomic(file: string, content: string, mode: number): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, content, { mode, flag: 'wx' });
  fs.renameSync(tmp, file);
}

/** Loads the pair from `stateDir/tls`, creating it when absent. `hosts` go into subjectAltName. */
export function ensureSelfSigned(stateDir: string, hosts: readonly string[] = [], days = 3650): TlsMaterial {
  const { certPath, keyPath } = tlsPaths(stateDir);
  if (fs.existsSync(certPath) && fs.existsSync(keyPath)) return { ...loadTlsFiles(certPath, keyPath), created: false };
  fs.mkdirSync(path.dirname(keyPath), { recursive: true, mode: 0o700 });
  // Node makes the RSA key (native, fast); selfsigned (node-forge) wraps it in the certificate.
  const pair = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const ips = hosts.filter((h) => /^[\d.]+$|:/.test(h));
  const names = hosts.filter((h) => !ips.includes(h));
  const altNames = [...new Set(['localhost', ...names])].map((value) => ({ type: 2, value })).concat([...new Set(['127.0.0.1', '::1', ...ips])].map((ip) => ({ type: 7, ip }) as never));
  const cn = names[0] ?? 'pillarsd';
  const selfsigned = requireLazy('selfsigned') as typeof SelfSigned;
  const gen = selfsigned.generate(
    [
      { name: 'commonName', value: cn },
      { name: 'organizationName', value: 'pillarsd' },
    ],
    {
      days,
      algorithm: 'sha256',
      keyPair: { privateKey: pair.privateKey, publicKey: pair.publicKey },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames },
      ],
    } as Parameters<typeof selfsigned.generate>[1],
  );
  writeAtomic(keyPath, gen.private, 0o600);
  writeAtomic(certPath, gen.cert, 0o644);
  return { cert: gen.cert, key: gen.private, fingerprint: fingerprintOf(gen.cert), certPath, keyPath, created: true };
}

/** The operator's own files; errors name the file and what is wrong with it. */
export function loadTlsFiles(certPath: string, keyPath: string): TlsMaterial {
  const read = (file: string, what: string) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(`server.tls: cannot read the ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
  };
  const cert = read(certPath, 'certificate');
  const key = read(keyPath, 'private key');
  let fingerprint: string;
  try {
    fingerprint = fingerprintOf(cert);
  } catch (e) {
    throw new Error(`server.tls: ${certPath} is not a PEM certificate (${(e as Error).message})`, { cause: e });
  }
  return { cert, key, fingerprint, certPath, keyPath, created: false };
}
