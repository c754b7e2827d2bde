// Download (issue 16), against real restic 0.14: a file and a folder (tar, zip) straight from
// `restic dump` to the HTTP answer or the CLI's stdout, equal to the source byte for byte; admin
// only (a browser link with a ticket), audited; a path that is not there is an error, not an empty file.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../server/src/config/load';
import { startServe } from '../../../server/src/cli/commands/serve';
import { makeSandbox } from '../jobs/sandbox';
import { runOk } from '../../support/proc';
import { hashTree, makeTree, NEWLINE_NAME } from '../../support/trees';
import { useCleanup } from '../../support/tmp';
import { PILLARSD_MAIN, REPO_ROOT } from '../../support/cli';

const reg = useCleanup();
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('download', () => {
  it('a file and a folder (tar and zip) equal the source; admin only; the CLI writes the same bytes', async () => {
    const sb = makeSandbox(reg);
    const work = path.join(sb.flux, 'work');
    await makeTree(work);
    const big = randomBytes(3 << 20);
    writeFileSync(path.join(work, 'big.bin'), big);
    const s = await startServe({ file: sb.configFile, config: parseConfig(sb.yaml, sb.configFile), text: sb.yaml }, { host: '127.0.0.1', port: 0, tls: 'off' });
    reg.add(() => s.stop());
    const admin = s.tokens.create({ role: 'admin', name: 'dl admin' }).token;
    const viewer = s.tokens.create({ role: 'viewer', name: 'dl viewer' }).token;
    const b = await s.rt.engine.waitFor(s.rt.engine.enqueue('flux-backup', 'manual')!.id);
    expect(b.status, b.error ?? '').toBe('succeeded');
    const snap = (b.summary as { snapshotId: string }).snapshotId;
    const url = (p: string, extra = '') => `${s.url}/api/v1/jobs/flux-backup/snapshots/${snap}/dump?path=${encodeURIComponent(p)}${extra}`;
    const get = (u: string, token: string | null = admin) => fetch(u, { headers: token ? { authorization: `Bearer ${token}` } : {} });

    // a file: its bytes, its length, its name
    const file = await get(url(path.join(work, 'big.bin')));
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/octet-stream');
    expect(file.headers.get('content-length')).toBe(String(big.length));
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="big.bin"; filename*=UTF-8''big.bin`);
    expect(sha(Buffer.from(await file.arrayBuffer()))).toBe(sha(big));
    // a name with a newline and unicode: the header carries it encoded
    const nl = await get(url(path.join(work, NEWLINE_NAME)));
    expect(nl.headers.get('content-disposition')).toBe(`attachment; filename="line_break.txt"; filename*=UTF-8''line%0Abreak.txt`);
    expect(await nl.text()).toBe('a newline in the name\n');

    // a folder as tar and as zip: unpacked, the tree is the source's
    const dir = reg.tempDir('pillars-dl-').path;
    for (const format of ['tar', 'zip'] as const) {
      const res = await get(url(work, `&format=${format}`));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(format === 'zip' ? 'application/zip' : 'application/x-tar');
      expect(res.headers.get('content-disposition')).toContain(`filename="work.${format}"`);
      const archive = path.join(dir, `work.${format}`);
      writeFileSync(archive, Buffer.from(await res.arrayBuffer()));
      const out = path.join(dir, format);
      mkdirSync(out);
      if (format === 'tar') await runOk('tar', ['-xf', archive, '-C', out]);
      else await runOk('unzip', ['-q', archive, '-d', out]);
      // restic names the entries by their absolute path without the leading slash
      const unpacked = await hashTree(path.join(out, work.slice(1)));
      const source = await hashTree(work);
      // Info-ZIP's unzip drops control characters from names it writes: the newline name comes out without it
      if (format === 'zip') {
        source[NEWLINE_NAME.replace('\n', '')] = source[NEWLINE_NAME]!;
        delete source[NEWLINE_NAME];
      }
      expect(unpacked).toEqual(source);
    }

    // a browser link: a ticket instead of the header (single use)
    const ticket = ((await (await fetch(`${s.url}/api/v1/events/ticket`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{}' })).json()) as { ticket: string })
      .ticket;
    const viaTicket = await get(url(path.join(work, 'plain.txt'), `&ticket=${ticket}`), null);
    expect(viaTicket.status).toBe(200);
    expect(await viaTicket.text()).toBe('plain text\n');

    // a viewer may browse but not download
    expect((await get(url(path.join(work, 'plain.txt')), viewer)).status).toBe(403);
    // not there: a 404 problem, not an empty download
    const missing = await get(url(path.join(work, 'nope')));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { detail: string }).detail).toMatch(/not in snapshot/);
    // audited: what left motoko, as a JSON string
    const audit = (await (await get(`${s.url}/api/v1/audit?limit=50`)).json()) as { entries: Array<{ action: string; detail: string | null }> };
    expect(audit.entries.filter((e) => e.action === 'snapshot.download').map((e) => e.detail)).toEqual(expect.arrayContaining([expect.stringContaining(JSON.stringify(path.join(work, NEWLINE_NAME)))]));

    // the CLI: stdout redirected to a file holds the same bytes
    await s.stop();
    const target = path.join(dir, 'cli-big.bin');
    await runOk('sh', ['-c', `"${process.execPath}" --import tsx "${PILLARSD_MAIN}" dump flux-backup ${snap} "${path.join(work, 'big.bin')}" --config "${sb.configFile}" > "${target}"`], {
      cwd: REPO_ROOT,
      timeoutMs: 180_000,
    });
    expect(sha(readFileSync(target))).toBe(sha(big));
  }, 300_000);
});
