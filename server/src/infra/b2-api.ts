// The two read-only calls of Backblaze B2's native API (v2) that `pillarsd check` makes for a b2
// remote (rclone cannot show either): b2_authorize_account (what the key may do, which bucket it
// is limited to) and b2_list_buckets (the bucket's type and lifecycle rules). Nothing is written.
// https://www.backblaze.com/apidocs/b2-authorize-account, .../b2-list-buckets

export const B2_DEFAULT_ENDPOINT = 'https://api.backblazeb2.com';

export interface B2Authorization {
  accountId: string;
  apiUrl: string;
  authorizationToken: string;
  allowed: { capabilities: string[]; bucketId: string | null; bucketName: string | null; namePrefix: string | null };
}

export interface B2LifecycleRule {
  fileNamePrefix: string;
  daysFromHidingToDeleting: number | null;
  daysFromUploadingToHiding: number | null;
}

export interface B2Bucket {
  bucketName: string;
  bucketId: string;
  bucketType: string;
  lifecycleRules: B2LifecycleRule[];
}

/** A B2 error answer: its HTTP status and B2's own code (unauthorized, bad_auth_token, …). */
export class B2Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'B2Error';
  }
}

async function call<T>(url: string, init: RequestInit, what: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new B2Error(0, cause?.code ?? 'network', `${what}: cannot reach ${new URL(url).origin}: ${cause?.message ?? (e as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) {
    let code = `http_${res.status}`;
    let message = text.slice(0, 200);
    try {
      const o = JSON.parse(text) as { code?: string; message?: string };
      code = o.code ?? code;
      message = o.message ?? '';
    } catch {
      /* not B2's JSON: the status says enough */
    }
    throw new B2Error(res.status, code, `${what}: B2 answered ${res.status} ${code}${message ? `: ${message}` : ''}`);
  }
  return JSON.parse(text) as T;
}

export function b2Authorize(endpoint: string, keyId: string, key: string): Promise<B2Authorization> {
  const basic = Buffer.from(`${keyId}:${key}`).toString('base64');
  return call<B2Authorization>(`${endpoint.replace(/\/+$/, '')}/b2api/v2/b2_authorize_account`, { headers: { authorization: `Basic ${basic}` } }, 'b2_authorize_account');
}

export async function b2ListBuckets(auth: B2Authorization, bucketName: string): Promise<B2Bucket[]> {
  const r = await call<{ buckets: B2Bucket[] }>(
    `${auth.apiUrl.replace(/\/+$/, '')}/b2api/v2/b2_list_buckets`,
    { method: 'POST', headers: { authorization: auth.authorizationToken, 'content-type': 'application/json' }, body: JSON.stringify({ accountId: auth.accountId, bucketName }) },
    'b2_list_buckets',
  );
  return r.buckets;
}
