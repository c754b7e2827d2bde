// The test certificate authority: made once (by openssl, from Debian) at a stable path shared by
// every vitest run on the machine, and trusted by the test processes through NODE_EXTRA_CA_CERTS,
// which `global-setup.ts` sets before the forked workers start (Node reads it only at start-up).
// Its key never leaves the temp folder and signs nothing but test server certificates.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';

/** Bump the suffix when the layout changes, so an old folder is never half-reused. */
export const TEST_CA_DIR = path.join(os.tmpdir(), 'pillars-test-ca-v1');

export interface TestCa {
  dir: string;
  /** PEM file of the CA certificate (what NODE_EXTRA_CA_CERTS names) */
  caPath: string;
  caPem: string;
  /** a server certificate for 127.0.0.1, ::1 and localhost, signed by the CA */
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Writes key + certificate for the given names into `dir`, signed by the CA in `caDir`. */
function signServerCert(caDir: string, dir: string, name: string, hosts: { ips: string[]; dns: string[] }): void {
  const san = [...hosts.ips.map((i) => `IP:${i}`), ...hosts.dns.map((d) => `DNS:${d}`)].join(',');
  const ext = path.join(dir, `${name}.ext`);
  writeFileSync(ext, `subjectAltName=${san}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${hosts.dns[0] ?? hosts.ips[0] ?? 'test'}`], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      path.join(caDir, 'ca.pem'),
      '-CAkey',
      path.join(caDir, 'ca.key'),
      '-CAcreateserial',
      '-CAserial',
      path.join(dir, `${name}.srl`),
      '-out',
      `${name}.pem`,
      '-days',
      '3650',
      '-sha256',
      '-extfile',
      ext,
    ],
    dir,
  );
}

function load(dir: string): TestCa {
  const caPath = path.join(dir, 'ca.pem');
  const certPath = path.join(dir, 'server.pem');
  const keyPath = path.join(dir, 'server.key');
  return { dir, caPath, caPem: readFileSync(caPath, 'utf8'), certPath, keyPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}

/**
 * Returns the machine's test CA, creating it when absent. Concurrent callers (two vitest runs at
 * once) are safe: each builds in a private folder and renames it into place; the loser uses the
 * winner's.
 */
export function ensureTestCa(): TestCa {
  if (existsSync(path.join(TEST_CA_DIR, 'server.key'))) return load(TEST_CA_DIR);
  const work = mkdtempSync(path.join(os.tmpdir(), 'pillars-test-ca-build-'));
  try {
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'ca.key',
        '-out',
        'ca.pem',
        '-days',
        '3650',
        '-sha256',
        '-subj',
        '/CN=Pillars test CA',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      work,
    );
    signServerCert(work, work, 'server', { ips: ['127.0.0.1', '::1'], dns: ['localhost'] });
    try {
      renameSync(work, TEST_CA_DIR);
    } catch (e) {
      if (!existsSync(path.join(TEST_CA_DIR, 'server.key'))) throw e;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return load(TEST_CA_DIR);
}

export interface IssuedCert {
  cert: string;
  key: string;
  certPath: string;
  keyPath: string;
}

/**
 * A server certificate for other names (e.g. a random loopback address) signed by the test CA,
 * written into `dir` (which the caller cleans up).
 */
export function issueCert(dir: string, hosts: { ips?: string[]; dns?: string[] }): IssuedCert {
  const ca = ensureTestCa();
  mkdirSync(dir, { recursive: true });
  const name = `cert-${randomBytes(4).toString('hex')}`;
  signServerCert(ca.dir, dir, name, { ips: hosts.ips ?? [], dns: hosts.dns ?? [] });
  const certPath = path.join(dir, `${name}.pem`);
  const keyPath = path.join(dir, `${name}.key`);
  return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), certPath, keyPath };
}

/**
 * The value NODE_EXTRA_CA_CERTS should have so that the test CA is trusted in addition to any
 * bundle already named there (a combined file is written next to the CA in that case).
 */
export function extraCaCertsValue(current: string | undefined, ca: TestCa): string {
  if (!current || current === ca.caPath) return ca.caPath;
  const extra = readFileSync(current, 'utf8');
  const combined = path.join(ca.dir, `combined-${createHash('sha256').update(extra).digest('hex').slice(0, 16)}.pem`);
  if (!existsSync(combined)) {
    const tmp = `${combined}.${process.pid}.tmp`;
    writeFileSync(tmp, `${extra.trimEnd()}\n${ca.caPem}`);
    renameSync(tmp, combined);
  }
  return combined;
}
