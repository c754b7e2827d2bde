// A stand-in for Backblaze B2's native API over local HTTPS (B2 itself cannot be reached from
// here): the answers of test/fixtures/b2 (Backblaze's documented examples), for the calls rclone 1.60
// makes (v1) and those `pillarsd check` makes (v2). It checks the key on b2_authorize_account and the
// token on every other call, answers B2's error shape, and records each request.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { issueCert } from './tls';
import { tempDir } from './tmp';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/b2');
const fixture = <T>(name: string): T => JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as T;

export interface B2Options {
  keyId: string;
  key: string;
  /** the key's capabilities (default: the fixture's, deleteFiles included) */
  capabilities?: string[];
  /** limit the key to this bucket */
  bucketName?: string;
  /** the bucket's lifecycle rules (default: the fixture's 30 days) */
  lifecycleRules?: Array<{ fileNamePrefix: string; daysFromHidingToDeleting: number | null; daysFromUploadingToHiding: number | null }>;
}

export interface B2Stub {
  /** what a b2 remote's `endpoint` is set to */
  url: string;
  requests: Array<{ method: string; path: string }>;
  stop(): Promise<void>;
}

type Authorization = {
  accountId: string;
  authorizationToken: string;
  apiUrl: string;
  downloadUrl: string;
  allowed: { capabilities: string[]; bucketId: string | null; bucketName: string | null; namePrefix: string | null };
};
type Bucket = { bucketId: string; bucketName: string; lifecycleRules: unknown[] };

export async function startB2(o: B2Options): Promise<B2Stub> {
  const dir = tempDir('pillars-b2-');
  const cert = issueCert(dir.path, { ips: ['127.0.0.1'], dns: ['localhost'] });
  const requests: B2Stub['requests'] = [];
  const auth = fixture<Authorization>('authorize-account.json');
  const buckets = fixture<{ buckets: Bucket[] }>('list-buckets.json');
  if (o.lifecycleRules) buckets.buckets[0]!.lifecycleRules = o.lifecycleRules;
  const files = fixture<{ files: unknown[] }>('list-file-names.json');
  const unauthorized = fixture<{ code: string; status: number }>('unauthorized.json');
  const bucket = buckets.buckets[0]!;
  const server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://localhost');
      requests.push({ method: req.method ?? '', path: url.pathname });
      const send = (status: number, v: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const call = /^\/b2api\/v[12]\/(\w+)$/.exec(url.pathname)?.[1];
      if (call === 'b2_authorize_account') {
        const expected = `Basic ${Buffer.from(`${o.keyId}:${o.key}`).toString('base64')}`;
        if (req.headers.authorization !== expected) return send(401, unauthorized);
        return send(200, {
          ...auth,
          apiUrl: base,
          downloadUrl: base,
          allowed: { ...auth.allowed, capabilities: o.capabilities ?? auth.allowed.capabilities, bucketName: o.bucketName ?? null, bucketId: o.bucketName ? bucket.bucketId : null },
        });
      }
      if (req.headers.authorization !== auth.authorizationToken) return send(401, { code: 'bad_auth_token', message: 'Invalid authorization token', status: 401 });
      const caps = o.capabilities ?? auth.allowed.capabilities;
      if (call === 'b2_list_buckets') {
        if (!caps.includes('listBuckets')) return send(401, { code: 'unauthorized', message: 'not entitled', status: 401 });
        const want = (JSON.parse(body || '{}') as { bucketName?: string }).bucketName;
        return send(200, { buckets: buckets.buckets.filter((b) => !want || b.bucketName === want) });
      }
      if (call === 'b2_list_file_names') {
        if (!caps.includes('listFiles')) return send(401, { code: 'unauthorized', message: 'not entitled', status: 401 });
        return send(200, files);
      }
      // rclone asks whether the root is a file: it is not
      if (url.pathname.startsWith('/file/')) return send(404, { code: 'not_found', message: 'File not present', status: 404 });
      send(400, { code: 'bad_request', message: `not served by the stand-in: ${url.pathname}`, status: 400 });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      dir.cleanup();
    },
  };
}
