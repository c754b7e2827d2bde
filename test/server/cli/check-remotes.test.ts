// `pillarsd check` and the remotes (issue 22): a real read-only call to every remote a job uses, with
// what failed named (a credential, the endpoint), and for b2 the key's capabilities and the bucket's
// lifecycle rule. B2 itself is not reachable from here: its API is a local HTTPS stand-in serving
// Backblaze's documented answers (test/support/b2.ts), which rclone 1.60 and pillarsd both call.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runPillarsd } from '../../support/cli';
import { startB2 } from '../../support/b2';
import { ensureTestCa } from '../../support/tls';
import { useCleanup } from '../../support/tmp';
import { makeSandbox } from '../jobs/sandbox';

const reg = useCleanup();

interface Item {
  what: string;
  ok: boolean;
  warn?: boolean;
  detail: string;
}

async function check(configFile: string): Promise<{ code: number | null; items: Item[] }> {
  // rclone (Go) trusts the stand-in's certificate through SSL_CERT_FILE, which pillarsd passes on
  const r = await runPillarsd(['check', '--json', '--config', configFile], { env: { SSL_CERT_FILE: ensureTestCa().caPath }, timeoutMs: 180_000 });
  return { code: r.code, items: (JSON.parse(r.stdout) as { items: Item[] }).items };
}

const find = (items: Item[], what: string, detail: RegExp) => items.find((i) => i.what === what && detail.test(i.detail));

describe('pillarsd check calls every remote', () => {
  it('a b2 remote: it answers, the key can do what the jobs need, deleteFiles is a warning, the lifecycle rule is read; an unreachable sftp fails by name', { timeout: 240_000 }, async () => {
    const b2 = reg.track(await startB2({ keyId: '0012a4b6c8d00000000000001', key: 'K002good' }));
    const sb = makeSandbox(reg, {
      remotes: `  b2: { type: b2, account: "0012a4b6c8d00000000000001", key: b2key, endpoint: "${b2.url}" }
  box: { type: sftp, host: 127.0.0.1, port: 1, user: backup, pass: b2key }`,
      jobs: `  space-offsite:
    type: rclone-sync
    source: space:/
    destination: b2:miket-space/space
  boxed:
    type: rclone-copy
    source: space:/media
    destination: box:media
  flux-backup:
    type: restic-backup
    source: flux:/
    repository: space:/backups/restic/flux
    password: restic`,
    });
    const keyFile = path.join(sb.dir, 'b2.key');
    writeFileSync(keyFile, 'K002good', { mode: 0o600 });
    writeFileSync(sb.configFile, sb.yaml.replace('secrets:\n', `secrets:\n  b2key: file:${keyFile}\n`));
    const { code, items } = await check(sb.configFile);
    expect(code).toBe(1);
    expect(find(items, 'remote b2', /b2:miket-space\/space answers/)?.ok).toBe(true);
    expect(find(items, 'b2 b2', /key capabilities: listBuckets, listFiles, readFiles, shareFiles, writeFiles, deleteFiles/)?.ok).toBe(true);
    expect(find(items, 'b2 b2', /can delete file versions for good \(deleteFiles\)/)).toMatchObject({ ok: true, warn: true });
    expect(find(items, 'b2 b2', /hidden versions are kept 30 day\(s\)/)?.ok).toBe(true);
    expect(find(items, 'remote box', /cannot reach the endpoint of remotes\.box/)?.ok).toBe(false);
    // the long Space sync reads the repository the backup writes
    expect(find(items, 'job space-offsite', /reads the restic repository space:\/backups\/restic\/flux .*"\/backups\/restic\/flux\/\*\*"/)).toMatchObject({ ok: true, warn: true });
    // rclone listed the bucket through the v1 API, pillarsd read the key and the bucket through v2
    const paths = b2.requests.map((r) => r.path);
    expect(paths).toEqual(expect.arrayContaining(['/b2api/v1/b2_authorize_account', '/b2api/v1/b2_list_file_names', '/b2api/v2/b2_authorize_account', '/b2api/v2/b2_list_buckets']));
    // no secret in what check prints
    expect(JSON.stringify(items)).not.toContain('K002good');
  });

  it("a wrong key is named as the remote's account and key; a bucket without a lifecycle rule and a narrow key are reported", { timeout: 240_000 }, async () => {
    const b2 = reg.track(await startB2({ keyId: 'kid', key: 'right', capabilities: ['listBuckets', 'listFiles', 'readFiles', 'writeFiles'], bucketName: 'miket-space', lifecycleRules: [] }));
    const jobs = `  space-offsite:
    type: rclone-sync
    source: space:/
    destination: b2:miket-space/space
    exclude: ["/backups/restic/**"]`;
    const wrong = makeSandbox(reg, { remotes: `  b2: { type: b2, account: kid, key: wrong, endpoint: "${b2.url}" }`, jobs });
    const bad = await check(wrong.configFile);
    expect(bad.code).toBe(1);
    expect(find(bad.items, 'remote b2', /refused the credentials in remotes\.b2\.\{account and key\}/)?.ok).toBe(false);
    expect(find(bad.items, 'b2 b2', /B2 refused the key of remotes\.b2 \(account and key\): unauthorized/)?.ok).toBe(false);
    const right = makeSandbox(reg, { remotes: `  b2: { type: b2, account: kid, key: right, endpoint: "${b2.url}" }`, jobs });
    const good = await check(right.configFile);
    expect(find(good.items, 'remote b2', /answers/)?.ok).toBe(true);
    expect(find(good.items, 'b2 b2', /key capabilities: listBuckets, listFiles, readFiles, writeFiles; limited to bucket miket-space/)?.ok).toBe(true);
    expect(find(good.items, 'b2 b2', /deleteFiles/)).toBeUndefined();
    expect(find(good.items, 'b2 b2', /has no lifecycle rule that deletes hidden versions under space\/: B2 keeps \(and bills\) every old version for ever/)).toMatchObject({ ok: true, warn: true });
    expect(good.code).toBe(0);
    // the Space sync that excludes the repository is not reported
    expect(good.items.find((i) => i.what === 'job space-offsite')).toBeUndefined();
  });
});
