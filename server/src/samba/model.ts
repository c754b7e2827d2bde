// The typed Samba model: what pillarsd wants smb.conf to say, built from config and validated
// field by field before anything is rendered. One share per pillar; every share carries
// `catia fruit streams_xattr` because mixing fruit and non-fruit shares turns Apple's SMB
// extensions off for the whole session (the first share a Mac opens decides).
import {
  SambaValidationError,
  checkAbsolutePath,
  checkBoolean,
  checkComment,
  checkFruitModel,
  checkInteger,
  checkInterface,
  checkShareName,
  checkSize,
  checkUserName,
  checkWorkgroup,
  type FieldProblem,
} from './values';

export type SambaMode = 'include' | 'whole';

export interface PillarShareInput {
  id: string;
  path: string;
  comment?: string;
  readOnly?: boolean;
  /**
   * Only the Time pillar: marks the share as a Time Machine target with its cap. perUser (default
   * true) points the share at <path>/%U, so each user's Macs back up into time/<user> (created by
   * `layout init`) and the cap applies per user.
   */
  timeMachine?: { maxSize: string; perUser?: boolean };
}

/** Global settings only used in mode `whole`, where pillarsd owns the entire smb.conf. */
export interface SambaGlobalInput {
  workgroup?: string;
  serverString?: string;
  interfaces?: string[];
  bindInterfacesOnly?: boolean;
}

export interface SambaModelInput {
  mode: SambaMode;
  /** smb.conf. In `include` mode it must include `includeFile` as its last [global] line or at the end. */
  configFile: string;
  /** The file pillarsd owns in `include` mode (default: pillars.conf next to configFile). */
  includeFile?: string;
  validUsers: string[];
  pillars: PillarShareInput[];
  fruitModel?: string;
  keepVersions?: number;
  global?: SambaGlobalInput;
}

export interface SambaParam {
  key: string;
  value: string;
  /** The config field the value came from, for messages. */
  field: string;
  /**
   * Set only by buildModel for `path = <validated path>/%U` on a per-user Time share: the one
   * macro we emit, a constant of ours appended to a checked path, never taken from input.
   */
  userMacro?: true;
}

export interface SambaSection {
  name: string;
  params: SambaParam[];
}

export interface SambaModel {
  mode: SambaMode;
  configFile: string;
  /** The file we write: configFile in `whole` mode, includeFile in `include` mode. */
  targetFile: string;
  keepVersions: number;
  global: SambaSection;
  shares: SambaSection[];
  /** For checks after apply: which paths and users must exist, and the Time share's cap. */
  paths: Array<{ field: string; path: string }>;
  users: string[];
  timeMachine: { share: string; maxSize: string } | null;
}

export const DEFAULT_FRUIT_MODEL = 'MacSamba';
export const DEFAULT_KEEP_VERSIONS = 10;
export const VFS_OBJECTS = 'catia fruit streams_xattr';

/** The parameters render may emit; anything else is a bug, never user input. */
export const KNOWN_KEYS = new Set([
  'workgroup',
  'server string',
  'server role',
  'map to guest',
  'disable netbios',
  'load printers',
  'printing',
  'printcap name',
  'disable spoolss',
  'server min protocol',
  'interfaces',
  'bind interfaces only',
  'fruit:aapl',
  'fruit:model',
  'fruit:posix_rename',
  'fruit:zero_file_id',
  'fruit:nfs_aces',
  'path',
  'comment',
  'valid users',
  'read only',
  'browseable',
  'vfs objects',
  'fruit:metadata',
  'fruit:veto_appledouble',
  'fruit:wipe_intentionally_left_blank_rfork',
  'fruit:delete_empty_adfiles',
  'fruit:time machine',
  'fruit:time machine max size',
]);

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

/**
 * Validates the input field by field (syntax only; existence of paths and users is checked by
 * validate.ts with the host) and builds the model. Throws SambaValidationError naming every bad field.
 */
export function buildModel(input: SambaModelInput): SambaModel {
  const problems: FieldProblem[] = [];
  const check = (field: string, p: string | null) => {
    if (p) problems.push({ field, message: p });
    return !p;
  };
  const raw = input as unknown as Record<string, unknown>;
  if (raw === null || typeof raw !== 'object') throw new SambaValidationError([{ field: 'samba', message: 'must be an object' }]);

  if (input.mode !== 'include' && input.mode !== 'whole') check('samba.mode', `must be 'include' or 'whole'`);
  check('samba.configFile', checkAbsolutePath(input.configFile));
  const includeFile = input.includeFile ?? (typeof input.configFile === 'string' ? `${dirname(input.configFile)}/pillars.conf` : '');
  if (input.mode === 'include') {
    check('samba.includeFile', checkAbsolutePath(includeFile));
    if (includeFile === input.configFile) check('samba.includeFile', 'must differ from samba.configFile');
  }
  const keepVersions = input.keepVersions ?? DEFAULT_KEEP_VERSIONS;
  check('samba.keepVersions', checkInteger(keepVersions, 1, 100));
  const fruitModel = input.fruitModel ?? DEFAULT_FRUIT_MODEL;
  check('samba.fruitModel', checkFruitModel(fruitModel));

  const users: string[] = [];
  if (!Array.isArray(input.validUsers) || input.validUsers.length === 0) check('samba.validUsers', 'must list at least one user');
  else {
    input.validUsers.forEach((u, i) => {
      if (check(`samba.validUsers[${i}]`, checkUserName(u))) {
        if (users.includes(u)) check(`samba.validUsers[${i}]`, `'${u}' is listed twice`);
        else users.push(u);
      }
    });
  }

  const global: SambaSection = { name: 'global', params: [] };
  const g = (key: string, value: string, field: string) => global.params.push({ key, value, field });
  if (input.mode === 'whole') {
    const gi = input.global ?? {};
    const wg = gi.workgroup ?? 'WORKGROUP';
    check('samba.global.workgroup', checkWorkgroup(wg));
    g('workgroup', wg, 'samba.global.workgroup');
    const ss = gi.serverString ?? 'pillars';
    check('samba.global.serverString', checkComment(ss));
    g('server string', ss, 'samba.global.serverString');
    g('server role', 'standalone server', 'samba.global');
    g('map to guest', 'Never', 'samba.global');
    g('disable netbios', 'Yes', 'samba.global');
    g('load printers', 'No', 'samba.global');
    g('printing', 'bsd', 'samba.global');
    g('printcap name', '/dev/null', 'samba.global');
    g('disable spoolss', 'Yes', 'samba.global');
    // SMB2 is Samba's name for SMB2_10 (testparm prints it back as SMB2): no SMB1, no 2.02.
    g('server min protocol', 'SMB2', 'samba.global');
    if (gi.interfaces !== undefined) {
      if (!Array.isArray(gi.interfaces) || gi.interfaces.length === 0) check('samba.global.interfaces', 'must list at least one interface');
      else {
        const ok = gi.interfaces.every((x, i) => check(`samba.global.interfaces[${i}]`, checkInterface(x)));
        if (ok) g('interfaces', gi.interfaces.join(' '), 'samba.global.interfaces');
      }
    }
    if (gi.bindInterfacesOnly !== undefined && check('samba.global.bindInterfacesOnly', checkBoolean(gi.bindInterfacesOnly))) {
      g('bind interfaces only', gi.bindInterfacesOnly ? 'Yes' : 'No', 'samba.global.bindInterfacesOnly');
    }
  }
  // Global-only fruit options (vfs_fruit(8) reads them with snum -1): in `include` mode they go
  // into a [global] section at the top of pillars.conf.
  g('fruit:aapl', 'yes', 'samba');
  g('fruit:model', fruitModel, 'samba.fruitModel');
  g('fruit:posix_rename', 'yes', 'samba');
  g('fruit:zero_file_id', 'yes', 'samba');
  g('fruit:nfs_aces', 'no', 'samba');

  const shares: SambaSection[] = [];
  const paths: SambaModel['paths'] = [];
  let timeMachine: SambaModel['timeMachine'] = null;
  if (!Array.isArray(input.pillars) || input.pillars.length === 0) check('pillars', 'must define at least one pillar');
  else {
    const seen = new Set<string>();
    input.pillars.forEach((p, i) => {
      const base = `pillars.${typeof p?.id === 'string' && /^[A-Za-z0-9_-]{1,32}$/.test(p.id) ? p.id : `[${i}]`}`;
      if (p === null || typeof p !== 'object') {
        check(base, 'must be an object');
        return;
      }
      const nameOk = check(`${base}.id`, checkShareName(p.id));
      if (nameOk && seen.has(p.id.toLowerCase())) check(`${base}.id`, `share '${p.id}' is defined twice (share names are case-insensitive)`);
      if (nameOk) seen.add(p.id.toLowerCase());
      const pathOk = check(`${base}.path`, checkAbsolutePath(p.path));
      if (pathOk) paths.push({ field: `${base}.path`, path: p.path });
      const s: SambaSection = { name: nameOk ? p.id : `invalid-${i}`, params: [] };
      const add = (key: string, value: string, field: string) => s.params.push({ key, value, field });
      const perUser = p.timeMachine !== undefined && p.timeMachine !== null && p.timeMachine.perUser !== false;
      if (p.timeMachine?.perUser !== undefined) check(`${base}.timeMachine.perUser`, checkBoolean(p.timeMachine.perUser));
      if (perUser && pathOk) s.params.push({ key: 'path', value: `${p.path.replace(/\/$/, '')}/%U`, field: `${base}.path`, userMacro: true });
      else add('path', pathOk ? p.path : '/invalid', `${base}.path`);
      if (p.comment !== undefined && check(`${base}.comment`, checkComment(p.comment))) add('comment', p.comment, `${base}.comment`);
      if (users.length > 0) add('valid users', users.join(' '), 'samba.validUsers');
      if (p.readOnly !== undefined) check(`${base}.readOnly`, checkBoolean(p.readOnly));
      add('read only', p.readOnly === true ? 'Yes' : 'No', `${base}.readOnly`);
      add('browseable', 'Yes', base);
      add('vfs objects', VFS_OBJECTS, base);
      add('fruit:metadata', 'stream', base);
      add('fruit:veto_appledouble', 'no', base);
      add('fruit:wipe_intentionally_left_blank_rfork', 'yes', base);
      add('fruit:delete_empty_adfiles', 'yes', base);
      if (p.timeMachine !== undefined) {
        if (p.timeMachine === null || typeof p.timeMachine !== 'object') check(`${base}.timeMachine`, 'must be an object');
        else if (check(`${base}.timeMachine.maxSize`, checkSize(p.timeMachine.maxSize))) {
          if (timeMachine) check(`${base}.timeMachine`, `only one pillar may be the Time Machine target (already: ${timeMachine.share})`);
          else {
            add('fruit:time machine', 'yes', `${base}.timeMachine`);
            add('fruit:time machine max size', p.timeMachine.maxSize, `${base}.timeMachine.maxSize`);
            timeMachine = { share: s.name, maxSize: p.timeMachine.maxSize };
          }
        }
      }
      shares.push(s);
    });
  }
  if (problems.length > 0) throw new SambaValidationError(problems);
  return {
    mode: input.mode,
    configFile: input.configFile,
    targetFile: input.mode === 'whole' ? input.configFile : includeFile,
    keepVersions,
    global,
    shares,
    paths,
    users,
    timeMachine,
  };
}
