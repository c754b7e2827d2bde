// The stand-in's promise: calls are type-checked against the real electron.d.ts. These programs are
// compiled in memory with the project's compiler options; the good one must compile, and each
// wrong call (in the glue's style and in a stand-in's) must be rejected by tsc.
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve('.');
const virtual = (name: string) => path.join(ROOT, `test/tray/__typecheck_${name}.ts`);

/** Compiles all sources in one program (one type-check of electron.d.ts) and returns each one's errors. */
function diagnostics(sources: Record<string, string>): Record<string, string[]> {
  const files = new Map(Object.entries(sources).map(([name, text]) => [virtual(name), text]));
  const cfg = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
  const host = ts.createCompilerHost(cfg.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, lang, onError, create) => {
    const text = files.get(path.resolve(file));
    return text !== undefined ? ts.createSourceFile(file, text, lang) : getSourceFile(file, lang, onError, create);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => files.has(path.resolve(f)) || fileExists(f);
  const program = ts.createProgram([...files.keys()], { ...cfg.options, noEmit: true }, host);
  return Object.fromEntries(Object.keys(sources).map((name) => [name, ts.getPreEmitDiagnostics(program, program.getSourceFile(virtual(name))).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))]));
}

const HEADER = `import type * as E from 'electron';
import type { ElectronPort, TrayPort } from '../../src/main/electron/port';
import { createElectronStandin } from '../support/electron-standin';
declare const e: ElectronPort;
declare const img: E.NativeImage;
export {};
`;

const GOOD = `const t = new e.Tray(img); t.setToolTip('Pillars: all good'); t.on('click', () => {});
e.app.setLoginItemSettings({ openAtLogin: true, type: 'mainAppService' });
const port: ElectronPort = createElectronStandin().electron; void port;`;

const BAD: Record<string, string> = {
  'a tray made from a path string (the port takes images)': `new e.Tray('assets/tray.png');`,
  'a tooltip that is not a string': `new e.Tray(img).setToolTip(42);`,
  'an unknown tray event': `new e.Tray(img).on('explode', () => {});`,
  'a wrong login item option': `e.app.setLoginItemSettings({ openAtLogin: 'yes' });`,
  'a notification title that is not a string': `new e.Notification({ title: 1 });`,
  'a window with a misspelt preference': `new e.BrowserWindow({ webPreferences: { contextIsolaton: true } });`,
  'an API outside the port': `e.app.exit(0);`,
  'a stand-in whose method does not match Electron': `class T implements TrayPort { setImage(_i: number) {} setToolTip(_t: string) {} setContextMenu() {} on() { return this as any; } destroy() {} isDestroyed() { return false; } } void T;`,
};

describe('the Electron stand-in is typed against electron.d.ts', () => {
  it('correct calls compile; each wrong call, in the glue or in a stand-in, is rejected', () => {
    const names = Object.keys(BAD);
    const result = diagnostics({ good: HEADER + GOOD, ...Object.fromEntries(names.map((n, i) => [`bad${i}`, HEADER + BAD[n]!])) });
    expect(result.good).toEqual([]);
    names.forEach((n, i) => expect(result[`bad${i}`]!.length, n).toBeGreaterThan(0));
  }, 90_000);
});
