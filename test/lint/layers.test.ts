// Proves each layering rule of DESIGN.md bites: a violating import in a file of that layer is
// rejected by the real ESLint with the project's config, and an allowed one passes.
import { ESLint } from 'eslint';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (res?.messages ?? []).filter((m) => m.ruleId === 'pillars/layers').map((m) => m.message);
}

const cases: Array<[string, string, string, RegExp]> = [
  ['electron outside the glue', 'src/main/core/x.ts', "import { app } from 'electron';\nexport const a = app;", /only be imported in src\/main\/electron/],
  ['electron via require', 'src/platform/mac/x.ts', "const e = require('electron');\nexport default e;", /only be imported/],
  ['electron in the CLI', 'src/cli/x.ts', "import 'electron';", /only be imported/],
  ['node:fs in the renderer', 'src/renderer/x.ts', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;", /not allowed in src\/renderer/],
  ['bare fs in shared', 'src/shared/x.ts', "import fs from 'fs';\nexport default fs;", /node built-in 'fs'/],
  ['react in shared', 'src/shared/x.ts', "import React from 'react';\nexport default React;", /may not import react/],
  ['server importing the client', 'server/src/jobs/x.ts', "import { a } from '../../../src/shared/format';\nexport const b = a;", /never imports from the client/],
  ['child_process in a platform adapter', 'src/platform/linux/x.ts', "import { spawn } from 'node:child_process';\nexport const s = spawn;", /injected Exec\/fs/],
  ['fs in a platform adapter', 'src/platform/win/x.ts', "import { promises } from 'node:fs';\nexport const p = promises;", /injected Exec\/fs/],
  ['core importing the glue', 'src/main/core/x.ts', "import { t } from '../electron/tray';\nexport const u = t;", /may not import the Electron glue/],
  ['renderer importing the server engine', 'src/renderer/x.ts', "import { e } from '../../server/src/jobs/engine';\nexport const f = e;", /only src\/shared and server\/src\/contract/],
  ['contract importing a package', 'server/src/contract/x.ts', "import { z } from 'zod';\nexport const y = z;", /contract imports nothing/],
  ['child_process outside server infra', 'server/src/jobs/x.ts', "import { spawn } from 'node:child_process';\nexport const s = spawn;", /only server\/src\/infra/],
  ['node:fs in the server domain', 'server/src/domain/x.ts', "import { statSync } from 'node:fs';\nexport const s = statSync;", /pure/],
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
  ])('allows %s', async (_name, file, code) => {
    expect(await layerErrors(file, code)).toEqual([]);
  });
});
