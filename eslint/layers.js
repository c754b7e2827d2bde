// The layering of DESIGN.md as one lint rule. Each layer is matched by the file's path from the
// repository root; it lists bare modules it may not import and folders it may not reach into.
// Relative imports are resolved first, so `../../src/x` from server/ is caught as well as `src/x`.
import path from 'node:path';
import { builtinModules } from 'node:module';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const isNodeBuiltin = (spec) => spec.startsWith('node:') || NODE_BUILTINS.has(spec.split('/')[0]) || NODE_BUILTINS.has(spec);
const OS_EFFECTS = ['child_process', 'fs', 'fs/promises', 'net', 'dgram', 'http', 'https', 'http2', 'os', 'worker_threads', 'cluster'];
const isOsEffect = (spec) => OS_EFFECTS.includes(spec.replace(/^node:/, ''));

/** @type {Array<{name:string, files:RegExp, except?:RegExp, forbid:(spec:string)=>string|undefined, forbidDirs?:Array<[RegExp,string]>}>} */
export const LAYERS = [
  {
    name: 'electron-only-in-glue',
    files: /^src\//,
    except: /^src\/(main\/electron|preload)\//,
    forbid: (s) => (s === 'electron' || s.startsWith('electron/') ? "'electron' may only be imported in src/main/electron and src/preload" : undefined),
  },
  {
    name: 'web-layers-are-node-free',
    files: /^src\/(renderer|shared)\//,
    forbid: (s) => (isNodeBuiltin(s) ? `node built-in '${s}' is not allowed in src/renderer or src/shared (they run in a browser)` : undefined),
  },
  {
    name: 'shared-is-wire-free',
    files: /^src\/shared\//,
    forbid: (s) => (s === 'react' || s.startsWith('react/') || s === 'react-dom' ? 'src/shared may not import react' : undefined),
    forbidDirs: [[/^(src\/(main|platform|renderer|preload|cli)|server)\//, 'src/shared imports nothing from other layers']],
  },
  {
    name: 'platform-adapters-use-injected-effects',
    files: /^src\/platform\/(mac|win|linux)\//,
    forbid: (s) => (isOsEffect(s) ? `platform adapters reach the OS only through the injected Exec/fs, not '${s}'` : undefined),
    forbidDirs: [[/^src\/platform\/host\//, 'platform adapters get the host effects injected; they may not import src/platform/host']],
  },
  {
    name: 'client-core-is-electron-free',
    files: /^src\/(main\/core|platform|cli|shared)\//,
    forbidDirs: [[/^src\/(main\/electron|preload|renderer)\//, 'the client core and CLI may not import the Electron glue, the preload or the renderer']],
    forbid: () => undefined,
  },
  {
    name: 'renderer-talks-http-only',
    files: /^src\/renderer\//,
    forbidDirs: [[/^(src\/(main|platform|cli|preload)|server\/src\/(?!contract\/))/, 'the renderer may import only src/shared and server/src/contract']],
    forbid: () => undefined,
  },
  {
    name: 'server-is-separate',
    files: /^server\//,
    forbidDirs: [[/^(src|test|bench)\//, 'server/ never imports from the client (src/) or the tests']],
    forbid: (s) => (s === 'electron' ? 'server/ never imports electron' : undefined),
  },
  {
    name: 'contract-imports-nothing',
    files: /^server\/src\/contract\//,
    forbid: (s) => (s.startsWith('.') ? undefined : `server/src/contract imports nothing ('${s}')`),
    forbidDirs: [[/^server\/src\/(?!contract\/)/, 'server/src/contract imports nothing outside itself']],
  },
  {
    name: 'server-domain-and-tools-are-pure',
    files: /^server\/src\/(domain|tools|samba\/render)/,
    forbid: (s) => (isNodeBuiltin(s) && !['node:path', 'path', 'node:path/posix', 'path/posix'].includes(s) ? `server/src/domain and server/src/tools are pure: no '${s}'` : undefined),
    forbidDirs: [[/^server\/src\/(infra|store|http|jobs)\//, 'pure layers may not import effects (infra, store, http, jobs)']],
  },
  {
    name: 'server-effects-only-in-infra',
    files: /^server\/src\//,
    except: /^server\/src\/infra\//,
    forbid: (s) => (['child_process', 'fs', 'fs/promises'].includes(s.replace(/^node:/, '')) ? `only server/src/infra touches '${s}'` : undefined),
  },
];

function relFromRoot(file) {
  return path.relative(ROOT, file).split(path.sep).join('/');
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the layering of DESIGN.md' },
    schema: [],
    messages: { layer: '{{reason}} [{{layer}}]' },
  },
  create(context) {
    const file = relFromRoot(context.filename ?? context.getFilename());
    const layers = LAYERS.filter((l) => l.files.test(file) && !(l.except && l.except.test(file)));
    if (layers.length === 0) return {};
    const check = (node, spec) => {
      if (typeof spec !== 'string') return;
      const target = spec.startsWith('.') ? relFromRoot(path.resolve(ROOT, path.dirname(file), spec)) : undefined;
      for (const l of layers) {
        const reason = l.forbid(spec);
        if (reason) context.report({ node, messageId: 'layer', data: { reason, layer: l.name } });
        const reach = target ?? spec;
        for (const [dir, why] of l.forbidDirs ?? []) {
          if (dir.test(reach)) context.report({ node, messageId: 'layer', data: { reason: `${why} ('${spec}')`, layer: l.name } });
        }
      }
    };
    return {
      ImportDeclaration: (n) => check(n, n.source.value),
      ExportNamedDeclaration: (n) => n.source && check(n, n.source.value),
      ExportAllDeclaration: (n) => check(n, n.source.value),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n, n.source.value),
      CallExpression: (n) => {
        if (n.callee.type === 'Identifier' && n.callee.name === 'require' && n.arguments[0]?.type === 'Literal') check(n, n.arguments[0].value);
      },
    };
  },
};

export default { rules: { layers: rule } };
