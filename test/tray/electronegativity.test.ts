// electronegativity (Doyensec's Electron security scanner) over the glue and the preload, scanned
// together so its global checks (navigation limits, permission handler, CSP) see the whole main
// process. It reads TypeScript directly. No HIGH finding may remain; a deliberately bad fixture
// shows the scan does find HIGH ones.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../support/proc';

interface Scan {
  globalChecks: number;
  atomicChecks: number;
  errors: number;
  issues: Array<{ id: string; severity: string; confidence: string; file: string; line: number; manualReview: boolean }>;
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pillars-eneg-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const electronVersion = (JSON.parse(readFileSync('node_modules/electron/package.json', 'utf8')) as { version: string }).version;

async function scan(dir: string): Promise<Scan> {
  const r = await run(process.execPath, [path.resolve('test/tray/electronegativity-run.mjs'), dir, electronVersion], { env: { ...process.env, LANG: 'en-US' }, timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  const line = r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .at(-1)!;
  return JSON.parse(line) as Scan;
}

describe('electronegativity', () => {
  it('finds no HIGH issue in src/main/electron + src/preload', async () => {
    const app = path.join(tmp, 'app');
    cpSync('src/main/electron', path.join(app, 'main'), { recursive: true });
    cpSync('src/preload', path.join(app, 'preload'), { recursive: true });
    const s = await scan(app);
    expect(s.errors).toBe(0);
    expect(s.atomicChecks).toBeGreaterThan(20);
    expect(s.globalChecks).toBeGreaterThan(3);
    const high = s.issues.filter((i) => i.severity === 'HIGH');
    expect(high, JSON.stringify(high)).toEqual([]);
    // the global checks are satisfied, not just unseen
    expect(s.issues.map((i) => i.id)).not.toContain('LIMIT_NAVIGATION_GLOBAL_CHECK');
    expect(s.issues.map((i) => i.id)).not.toContain('PERMISSION_REQUEST_HANDLER_GLOBAL_CHECK');
  }, 120_000);

  it('does report HIGH for an insecure window (the scan bites)', async () => {
    const bad = path.join(tmp, 'bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(
      path.join(bad, 'main.ts'),
      "import { BrowserWindow } from 'electron';\nexport const w = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false } });\nw.loadURL('http://example.com');\n",
    );
    const s = await scan(bad);
    const ids = s.issues.filter((i) => i.severity === 'HIGH').map((i) => i.id);
    expect(ids).toEqual(expect.arrayContaining(['CONTEXT_ISOLATION_JS_CHECK', 'LIMIT_NAVIGATION_GLOBAL_CHECK']));
  }, 120_000);
});
