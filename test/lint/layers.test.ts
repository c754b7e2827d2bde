// Proves the allow-list layering bites: a probe file in a layer importing what the layer's
// allow-list does not name is rejected by the real ESLint with the project's config, and an import
// it names passes. Every layer of eslint/layers.js gets its own probes, plus the edges the
// architecture calls out by name.
import { ESLint } from 'eslint';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module without types (the lint plugin itself)
import { LAYERS } from '../../eslint/layers.js';

interface Layer {
  dir: string;
  folders?: string[];
  typesFrom?: string[];
  packages?: string[];
}

const root = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath: path.join(root, file) });
  const messages = res?.messages ?? [];
  // a probe that does not parse would pass for the wrong reason
  expect(messages.filter((m) => m.fatal)).toEqual([]);
  return messages.filter((m) => m.ruleId === 'pillars/layers').map((m) => m.message);
}

/** An import of `target` (repository-relative) written relative to `file`. */
function rel(file: string, target: string): string {
  const r = path.posix.relative(path.posix.dirname(file), target.replace(/\/$/, '/x'));
  return r.startsWith('.') ? r : `./${r}`;
}

const cases: Array<[string, string, string, RegExp]> = [
  // the two edges the issue names
  ['the HTTP layer from the engine', 'server/src/jobs/probe.ts', "import { buildApp } from '../http/app';\nexport const b = buildApp;", /server\/src\/jobs\/ .* may not import 'server\/src\/http\/app'/],
  ['the HTTP layer from the engine, types only', 'server/src/jobs/probe.ts', "import type { AppDeps } from '../http/context';\nexport type D = AppDeps;", /may not import 'server\/src\/http\/context'/],
  ['infra from the HTTP layer', 'server/src/http/probe.ts', "import { nodeExec } from '../infra/exec';\nexport const e = nodeExec;", /server\/src\/http\/ .* may not import 'server\/src\/infra\/exec'/],
  ['the store from the HTTP layer', 'server/src/http/routes/probe.ts', "import { RunStore } from '../../store/runs';\nexport const r = RunStore;", /may not import 'server\/src\/store\/runs'/],
  ['files from the HTTP layer', 'server/src/http/probe.ts', "import fs from 'node:fs';\nexport default fs;", /may not import 'node:fs'/],
  ['the HTTP layer from samba', 'server/src/samba/probe.ts', "import type { AppDeps } from '../http/context';\nexport type D = AppDeps;", /may not import 'server\/src\/http\/context'/],
  ['the HTTP layer from the watchers', 'server/src/watch/probe.ts', "import { problem } from '../http/problem';\nexport const p = problem;", /may not import 'server\/src\/http\/problem'/],
  // what the old deny-list said, now as allow-lists
  ['electron outside the glue', 'src/main/core/x.ts', "import { app } from 'electron';\nexport const a = app;", /may not import 'electron'/],
  ['electron via require', 'src/platform/mac/x.ts', "const e = require('electron');\nexport default e;", /may not import 'electron'/],
  ['electron by dynamic import', 'src/cli/x.ts', "export const e = () => import('electron');", /may not import 'electron'/],
  ['node:fs in the renderer', 'src/renderer/x.ts', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;", /src\/renderer\/ .* may not import 'node:fs'/],
  ['bare fs in shared', 'src/shared/x.ts', "import fs from 'fs';\nexport default fs;", /may not import 'node:fs'/],
  ['react in shared', 'src/shared/x.ts', "import React from 'react';\nexport default React;", /may not import 'react'/],
  ['server importing the client', 'server/src/jobs/x.ts', "import { a } from '../../../src/shared/format';\nexport const b = a;", /may not import 'src\/shared\/format'/],
  ['child_process in a platform adapter', 'src/platform/linux/x.ts', "import { spawn } from 'node:child_process';\nexport const s = spawn;", /may not import 'node:child_process'/],
  ['the host effects from a platform adapter', 'src/platform/win/x.ts', "import { nodeExec } from '../host/exec';\nexport const e = nodeExec;", /may not import 'src\/platform\/host\/exec'/],
  ['core importing the glue', 'src/main/core/x.ts', "import { t } from '../electron/tray';\nexport const u = t;", /may not import 'src\/main\/electron\/tray'/],
  ['renderer importing the server engine', 'src/renderer/x.ts', "import { e } from '../../server/src/jobs/engine';\nexport const f = e;", /may not import 'server\/src\/jobs\/engine'/],
  ['a package other than the schema library in the contract', 'server/src/contract/x.ts', "import { parse } from 'yaml';\nexport const y = parse;", /may not import 'yaml'/],
  ['the schema itself from the renderer', 'src/renderer/x.ts', "import { Run } from '../../server/src/contract/schema';\nexport const r = Run;", /may not import 'server\/src\/contract\/schema'/],
  ['the schema library in the renderer', 'src/renderer/x.ts', "import { z } from 'zod';\nexport const y = z;", /may not import 'zod'/],
  ['child_process outside server infra', 'server/src/jobs/x.ts', "import { spawn } from 'node:child_process';\nexport const s = spawn;", /may not import 'node:child_process'/],
  ['node:fs in the server domain', 'server/src/domain/x.ts', "import { statSync } from 'node:fs';\nexport const s = statSync;", /may not import 'node:fs'/],
  ['a value from a folder it may take only types from', 'server/src/infra/x.ts', "import { buildModel } from '../samba/model';\nexport const b = buildModel;", /may import only types from 'server\/src\/samba\/model'/],
  ['a file in a folder no layer claims', 'server/src/newthing/x.ts', 'export const a = 1;', /server\/src\/newthing\/x\.ts is in no layer/],
  ['a type imported through import()', 'server/src/http/x.ts', "export type E = import('../jobs/engine').Engine;", /may not import 'server\/src\/jobs\/engine'/],
];

describe('layering lint', () => {
  it.each(cases)('rejects %s', async (_name, file, code, message) => {
    const errors = await layerErrors(file, code);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(message);
  });

  it.each([
    ['electron in the glue', 'src/main/electron/x.ts', "import { app } from 'electron';\nexport const a = app;"],
    ['electron in the preload', 'src/preload/x.ts', "import { contextBridge } from 'electron';\nexport const c = contextBridge;"],
    ['node:child_process in the host effects', 'src/platform/host/x.ts', "import { spawn } from 'node:child_process';\nexport const s = spawn;"],
    ['the contract from the renderer', 'src/renderer/x.ts', "import type { Run } from '../../server/src/contract/api';\nexport type R = Run;"],
    ['child_process in server infra', 'server/src/infra/x.ts', "import { spawn } from 'node:child_process';\nexport const s = spawn;"],
    ['the ports from the HTTP layer', 'server/src/http/x.ts', "import { NotFoundError } from '../ports/errors';\nexport const n = NotFoundError;"],
    ['the ports from the engine', 'server/src/jobs/x.ts', "import { ConflictError } from '../ports/errors';\nexport const c = ConflictError;"],
    ['types from a folder it may take types from', 'server/src/infra/x.ts', "import type { SambaHost } from '../samba/host';\nexport type H = SambaHost;"],
    ['anything from the composition root', 'server/src/cli/x.ts', "import { buildApp } from '../http/app';\nimport { nodeExec } from '../infra/exec';\nexport const a = [buildApp, nodeExec];"],
  ])('allows %s', async (_name, file, code) => {
    expect(await layerErrors(file, code)).toEqual([]);
  });
});

describe('every layer refuses what its allow-list does not name', () => {
  const layers = LAYERS as Layer[];
  const probeIn = (l: Layer) => (l.dir.endsWith('/') ? `${l.dir}layer-probe.ts` : l.dir);
  const named = (l: Layer, target: string) => [l.dir, ...(l.folders ?? []), ...(l.typesFrom ?? [])].some((f) => (f.endsWith('/') ? target.startsWith(f) : target === f));
  /** A folder of the repository this layer may not reach (its own sub-layers aside). */
  const foreign = (l: Layer) => ['server/src/http/', 'server/src/infra/', 'server/src/jobs/', 'src/main/electron/', 'src/renderer/', 'server/src/cli/'].find((d) => !named(l, d) && !d.startsWith(l.dir));

  it.each(layers.map((l) => [l.dir, l] as const))('%s', async (_dir, l) => {
    const file = probeIn(l);
    const other = foreign(l);
    expect(other, `${l.dir} may reach every probe folder`).toBeDefined();
    const folderErrors = await layerErrors(file, `import * as x from '${rel(file, `${other}probe`)}';\nexport default x;`);
    expect(folderErrors.join('\n')).toMatch(/its allow-list does not name it/);
    const pkgErrors = await layerErrors(file, "import * as x from 'left-pad';\nexport default x;");
    expect(pkgErrors.join('\n')).toMatch(/may not import 'left-pad'/);
    if (!(l.packages ?? []).includes('node:*')) {
      const nodeErrors = await layerErrors(file, "import * as x from 'node:child_process';\nexport default x;");
      expect(nodeErrors.join('\n')).toMatch(/may not import 'node:child_process'/);
    }
    // and what it names passes
    for (const pkg of l.packages ?? []) {
      const spec = pkg === 'node:*' ? 'node:fs' : pkg;
      expect(await layerErrors(file, `import * as x from '${spec}';\nexport default x;`), `${l.dir} → ${spec}`).toEqual([]);
    }
    for (const f of l.folders ?? []) {
      expect(await layerErrors(file, `import * as x from '${rel(file, f.endsWith('/') ? `${f}probe` : f.replace(/\.ts$/, ''))}';\nexport default x;`), `${l.dir} → ${f}`).toEqual([]);
    }
  });
});
