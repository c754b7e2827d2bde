// The layering of docs/architecture.md as one lint rule, written as allow-lists in the spirit of
// VS Code's `code-layering`: every folder of server/ and src/ is a layer, and each layer names what
// it may import — the folders of the repository (its own is always allowed) and the packages,
// Node built-ins included. Anything a layer does not name is refused, so a new edge between
// folders, a new dependency in a folder or a new folder is a reviewed line in this file.
//
// A file belongs to the layer with the longest matching `dir`. Relative imports are resolved
// first, so `../../src/x` from server/ is caught as well as `src/x`. `typesFrom` names folders a
// layer may import types from but no values (an adapter implementing a port another folder
// declares; the renderer and the client reading the API's wire types).
import path from 'node:path';
import { builtinModules } from 'node:module';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const BUILTINS = new Set(builtinModules);

/** What the server's pure code may use of Node: path arithmetic and nothing with an effect. */
const PURE_NODE = ['node:path'];

/**
 * @typedef {object} Layer
 * @property {string} dir       folder (ending in /) or single file, from the repository root
 * @property {string} why       what the layer is, shown with every refusal
 * @property {string[]} [folders]   other folders or files it may import
 * @property {string[]} [typesFrom] folders it may import types from only
 * @property {string[]} [packages]  packages and Node built-ins (`node:fs`; `node:*` for all of them)
 */

/** @type {Layer[]} */
export const LAYERS = [
  // ---- pillarsd (server/) ----------------------------------------------------------------------
  { dir: 'server/bin/', why: 'the launcher: the built server, else the source through tsx', packages: ['node:fs', 'node:url', 'tsx'] },
  { dir: 'server/src/version.ts', why: 'the version string', packages: [] },
  // schema.ts declares the API in zod; api.ts derives the types from it type-only and holds the
  // plain-data lists, so clients (src/) import api.ts without pulling zod into their bundles
  { dir: 'server/src/contract/', why: 'the API, declared once, shared with the tray, the CLI and the pane', packages: ['zod'] },
  { dir: 'server/src/ports/', why: 'the transport-neutral services, errors and clock the rest of the server implements', folders: ['server/src/contract/api.ts'], packages: [] },
  { dir: 'server/src/domain/', why: 'pure decisions (guards, run states, schedules, resources)', folders: ['server/src/contract/', 'server/src/config/'], packages: [...PURE_NODE, 'croner'] },
  { dir: 'server/src/tools/', why: 'pure argv, env and parsers of restic and rclone', folders: ['server/src/contract/', 'server/src/config/'], packages: [...PURE_NODE] },
  { dir: 'server/src/layout/', why: 'the folder layout policy and its audit', packages: [...PURE_NODE, 'yaml', 'zod'] },
  {
    dir: 'server/src/config/',
    why: 'pillarsd.yaml: schema, loader, edits',
    folders: ['server/src/infra/', 'server/src/contract/', 'server/src/ports/errors.ts', 'server/src/domain/size.ts'],
    packages: [...PURE_NODE, 'croner', 'yaml', 'zod'],
  },
  {
    dir: 'server/src/infra/',
    why: 'the only server code touching processes, files and the network',
    folders: ['server/src/ports/', 'server/src/contract/api.ts'],
    typesFrom: ['server/src/samba/', 'server/src/watch/', 'server/src/layout/'],
    packages: ['node:*', '@azure/identity', '@azure/keyvault-secrets', 'selfsigned', 'systeminformation', 'nodemailer', 'pino'],
  },
  { dir: 'server/src/secrets/', why: 'secret references and their resolvers', folders: ['server/src/infra/'], packages: ['@azure/identity', '@azure/keyvault-secrets'] },
  {
    dir: 'server/src/store/',
    why: 'SQLite: runs, events, tokens, audit, pairing',
    folders: ['server/src/contract/', 'server/src/ports/', 'server/src/domain/', 'server/src/infra/'],
    // the notifications' tables hold the incidents that notify/ defines
    typesFrom: ['server/src/notify/'],
    packages: [...PURE_NODE, 'node:crypto', 'better-sqlite3'],
  },
  {
    dir: 'server/src/jobs/',
    why: 'the engine, the job types, the scheduler and the status',
    folders: ['server/src/contract/', 'server/src/ports/', 'server/src/config/', 'server/src/domain/', 'server/src/tools/', 'server/src/secrets/', 'server/src/store/', 'server/src/infra/', 'server/src/version.ts'],
    packages: [...PURE_NODE],
  },
  {
    dir: 'server/src/samba/',
    why: 'the Samba manager: render, validate, apply, roll back; Bonjour; per-user Time folders',
    folders: ['server/src/contract/', 'server/src/ports/', 'server/src/config/', 'server/src/secrets/', 'server/src/infra/', 'server/src/domain/size.ts'],
    typesFrom: ['server/src/layout/'],
    packages: [...PURE_NODE, 'node:crypto', 'diff'],
  },
  {
    dir: 'server/src/watch/',
    why: 'the watchers: capacity, Time Machine, hot-sets, B2',
    // domain/: the B2 plan's seed estimate (domain/seed-eta.ts) and sizes (domain/size.ts) are pure decisions the engine shares
    folders: ['server/src/contract/', 'server/src/ports/', 'server/src/config/', 'server/src/secrets/', 'server/src/infra/', 'server/src/domain/'],
    typesFrom: ['server/src/store/', 'server/src/jobs/'],
    packages: [...PURE_NODE],
  },
  {
    dir: 'server/src/notify/',
    why: 'notifications: incidents, routing, messages, the outbox and the notifier',
    folders: ['server/src/contract/', 'server/src/ports/', 'server/src/config/', 'server/src/secrets/', 'server/src/store/', 'server/src/watch/capacity.ts', 'server/src/domain/size.ts', 'server/src/version.ts'],
    typesFrom: ['server/src/infra/'],
    packages: [...PURE_NODE, 'node:crypto'],
  },
  {
    dir: 'server/src/updates/',
    why: 'tray builds: the electron-updater feed files, what `pillarsd updates add` may publish, serving them by channel',
    folders: ['server/src/ports/', 'server/src/infra/'],
    packages: [...PURE_NODE, 'semver', 'yaml', 'zod'],
  },
  {
    dir: 'server/src/metrics/',
    why: 'GET /metrics: the Prometheus text format from the status, the runs and the channels',
    folders: ['server/src/contract/', 'server/src/ports/', 'server/src/version.ts'],
    packages: ['prom-client'],
  },
  {
    dir: 'server/src/http/',
    why: 'the HTTP API over the ports: routes, auth, SSE, problems; no files, no processes',
    folders: ['server/src/contract/', 'server/src/ports/', 'server/src/version.ts'],
    packages: ['node:http', 'node:https', 'node:net', 'node:crypto', 'fastify', '@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', '@fastify/sse', '@fastify/static', 'zod'],
  },
  {
    dir: 'server/src/cli/',
    why: "pillarsd's commands: the composition root",
    folders: ['server/src/'],
    // node:readline: `pillarsd approve` asks the approver to type the count back
    packages: [...PURE_NODE, 'node:os', 'node:net', 'node:readline', 'commander'],
  },

  // ---- the client (src/) -----------------------------------------------------------------------
  { dir: 'src/shared/', why: 'pure helpers the tray, the CLI and the pane share (they run in a browser too)', packages: [] },
  { dir: 'src/platform/', why: 'the platform seams and the adapter picker', folders: ['src/platform/'], packages: ['node:os', 'node:path', 'node:fs'] },
  { dir: 'src/platform/host/', why: 'the real Exec, FsPort, SMB server check and control socket behind the platform seams', folders: ['src/platform/types.ts'], packages: ['node:*'] },
  { dir: 'src/platform/common/', why: 'helpers every OS adapter shares, over the injected effects', folders: ['src/platform/types.ts'], packages: [...PURE_NODE] },
  { dir: 'src/platform/linux/', why: 'the Linux adapter: reaches the OS only through the injected Exec/fs', folders: ['src/platform/types.ts', 'src/platform/common/'], packages: [...PURE_NODE] },
  { dir: 'src/platform/mac/', why: 'the macOS adapter: reaches the OS only through the injected Exec/fs', folders: ['src/platform/types.ts', 'src/platform/common/'], packages: [...PURE_NODE, 'plist'] },
  { dir: 'src/platform/win/', why: 'the Windows adapter: reaches the OS only through the injected Exec/fs', folders: ['src/platform/types.ts', 'src/platform/common/'], packages: [...PURE_NODE] },
  {
    dir: 'src/main/core/',
    why: 'the client core: settings, secrets, mounts, the pillarsd connection; no Electron',
    folders: ['src/shared/', 'src/platform/', 'server/src/contract/api.ts'],
    // builder-util-runtime: electron-updater's HTTP base class, so its feed and download code runs over the pinned TLS
    packages: ['node:*', '@azure/identity', '@azure/keyvault-secrets', 'conf', 'eventsource-parser', 'keytar', 'builder-util-runtime'],
  },
  {
    dir: 'src/main/electron/',
    why: "the tray's Electron glue: the only main-process code importing electron",
    folders: ['src/shared/', 'src/platform/', 'src/main/core/', 'src/preload/', 'server/src/contract/api.ts'],
    packages: ['node:fs', 'node:fs/promises', 'node:os', 'node:path', 'node:url', 'electron', 'electron-log', 'electron-store', 'electron-updater'],
  },
  { dir: 'src/preload/', why: 'window.pillars, the typed bridge; no logic', packages: ['electron'] },
  {
    dir: 'src/renderer/',
    why: 'the admin pane: talks HTTP only, runs in a browser',
    folders: ['src/shared/', 'server/src/contract/api.ts'],
    packages: ['react', 'react-dom', '@tanstack/react-virtual', 'croner', 'cronstrue'],
  },
  {
    dir: 'src/cli/',
    why: 'pillars, the client CLI: composition root without a tray',
    folders: ['src/shared/', 'src/platform/', 'src/main/core/', 'server/src/contract/api.ts'],
    packages: ['commander', 'node:perf_hooks', 'node:path'],
  },
];

/** The folders the rule governs: a file in them that no layer claims is refused until one does. */
const GOVERNED = /^(server|src)\//;

export function relFromRoot(file) {
  return path.relative(ROOT, file).split(path.sep).join('/');
}

/** The layer a file belongs to: the one with the longest `dir` that contains it. */
export function layerOf(file) {
  let best;
  for (const l of LAYERS) {
    const hit = l.dir.endsWith('/') ? file.startsWith(l.dir) : file === l.dir || file.startsWith(`${l.dir.replace(/\.[tj]sx?$/, '')}.`);
    if (hit && (!best || l.dir.length > best.dir.length)) best = l;
  }
  return best;
}

/** `node:fs` for `fs` and `node:fs/promises`; the package's name for a bare import or subpath. */
export function packageOf(spec) {
  const bare = spec.replace(/^node:/, '');
  if (spec.startsWith('node:') || BUILTINS.has(bare) || BUILTINS.has(bare.split('/')[0])) return `node:${bare}`;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function packageAllowed(layer, pkg) {
  const allowed = layer.packages ?? [];
  if (allowed.includes(pkg)) return true;
  if (pkg.startsWith('node:')) return allowed.includes('node:*') || allowed.includes(pkg.split('/')[0]);
  return false;
}

const within = (target, entry) =>
  entry.endsWith('/') ? target.startsWith(entry) || target === entry.slice(0, -1) : target === entry || target.startsWith(`${entry.replace(/\.[tj]sx?$/, '')}.`) || target === entry.replace(/\.[tj]sx?$/, '');

/**
 * Why `spec`, imported from `file` (repository-relative), breaks the layering, or undefined.
 * `typeOnly`: the import brings in types and nothing else.
 */
export function refusal(file, spec, typeOnly) {
  if (!GOVERNED.test(file)) return undefined;
  const layer = layerOf(file);
  if (!layer) return `${file} is in no layer: give its folder an allow-list in eslint/layers.js`;
  const where = `${layer.dir} (${layer.why})`;
  if (!spec.startsWith('.')) {
    const pkg = packageOf(spec);
    return packageAllowed(layer, pkg) ? undefined : `${where} may not import '${pkg}': its allow-list does not name it`;
  }
  const target = relFromRoot(path.resolve(ROOT, path.dirname(file), spec.replace(/\?.*$/, '')));
  if (within(target, layer.dir)) return undefined;
  if ((layer.folders ?? []).some((f) => within(target, f))) return undefined;
  if ((layer.typesFrom ?? []).some((f) => within(target, f))) return typeOnly ? undefined : `${where} may import only types from '${target}' (use import type)`;
  return `${where} may not import '${target}': its allow-list does not name it`;
}

const isTypeOnly = (n) =>
  n.importKind === 'type' ||
  n.exportKind === 'type' ||
  (n.type === 'ImportDeclaration' && n.specifiers.length > 0 && n.specifiers.every((s) => s.importKind === 'type')) ||
  (n.type === 'ExportNamedDeclaration' && n.specifiers.length > 0 && n.specifiers.every((s) => s.exportKind === 'type'));

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the allow-list layering of docs/architecture.md' },
    schema: [],
    messages: { layer: '{{reason}}' },
  },
  create(context) {
    const file = relFromRoot(context.filename ?? context.getFilename());
    if (!GOVERNED.test(file)) return {};
    if (!layerOf(file)) return { Program: (n) => context.report({ node: n, messageId: 'layer', data: { reason: refusal(file, '.', false) } }) };
    const check = (node, spec, typeOnly = false) => {
      if (typeof spec !== 'string') return;
      const reason = refusal(file, spec, typeOnly);
      if (reason) context.report({ node, messageId: 'layer', data: { reason } });
    };
    return {
      ImportDeclaration: (n) => check(n, n.source.value, isTypeOnly(n)),
      ExportNamedDeclaration: (n) => n.source && check(n, n.source.value, isTypeOnly(n)),
      ExportAllDeclaration: (n) => check(n, n.source.value, n.exportKind === 'type'),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n, n.source.value),
      TSImportType: (n) => {
        // typescript-eslint 8 names the literal `source`; older versions wrapped it in `argument`
        const a = n.source ?? (n.argument?.type === 'TSLiteralType' ? n.argument.literal : n.argument);
        if (a?.type === 'Literal') check(n, a.value, true);
      },
      CallExpression: (n) => {
        if (n.callee.type === 'Identifier' && n.callee.name === 'require' && n.arguments[0]?.type === 'Literal') check(n, n.arguments[0].value);
      },
    };
  },
};

export default { rules: { layers: rule } };
