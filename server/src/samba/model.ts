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
  checkHostPattern,
  checkUserName,
  checkWorkgroup,
  type FieldProblem,
} from './values';
import { parseSize } from '../domain/size';

export type SambaMode = 'include' | 'whole';

export interface PillarShareInput {
  id: string;
  path: string;
  comment?: string;
  readOnly?: boolean;
  /** `server smb encrypt` for this share (pillars.<id>.smbEncrypt). */
  smbEncrypt?: string;
  /**
   * Only the Time pillar: marks the share as a Time Machine target with its cap. perUser (default
   * true) points the share at <path>/%U, so each user's Macs back up into time/<user> (created by
   * `layout init`) and the cap applies per user.
   */
  timeMachine?: { maxSize: string | number; perUser?: boolean };
}

/** Global settings only used in mode `whole`, where pillarsd owns the entire smb.conf. */
export interface SambaGlobalInput {
  workgroup?: string;
  serverString?: string;
  interfaces?: string[];
  bindInterfacesOnly?: boolean;
  hostsAllow?: string[];
  hostsDeny?: string[];
  serverMinProtocol?: string;
  serverSigning?: string;
  smbEncrypt?: string;
  logLevel?: number;
  logFile?: string;
}

/** Values offered for the typed options, mapped to what Samba (and testparm) write back. */
export const MIN_PROTOCOLS: Record<string, string> = { SMB2: 'SMB2', SMB3_00: 'SMB3_00', SMB3_02: 'SMB3_02', SMB3: 'SMB3' };
export const SIGNING: Record<string, string> = { default: 'default', if_required: 'if_required', required: 'required' };
export const ENCRYPT: Record<string, string> = { default: 'default', off: 'No', if_required: 'if_required', desired: 'desired', required: 'required' };

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
  /** The avahi service file pillarsd owns (Bonjour for Time Machine), or null for none. */
  bonjour?: { serviceFile: string } | null;
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
  /**
   * The Time Machine share: its cap as rendered for Samba and in bytes (what a Mac sees), and the
   * folder holding each user's own folder when the share is per user.
   */
  timeMachine: { share: string; maxSize: string; bytes: number; perUserRoot: string | null } | null;
  /** The avahi service file to write, or null when Bonjour is off. */
  bonjour: { file: string; model: string } | null;
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
  'hosts allow',
  'hosts deny',
  'server signing',
  'server smb encrypt',
  'log level',
  'log file',
  'multicast dns register',
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
  const gi = input.global ?? {};
  if (input.mode !== 'whole' && Object.values(gi).some((v) => v !== undefined)) {
    check('samba.global', 'is only used with samba.mode: whole; in include mode the [global] section of your smb.conf is yours');
  }
  if (input.mode === 'whole') {
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
    const proto = gi.serverMinProtocol ?? 'SMB2';
    if (check('samba.global.serverMinProtocol', oneOf(proto, MIN_PROTOCOLS))) g('server min protocol', MIN_PROTOCOLS[proto]!, 'samba.global.serverMinProtocol');
    const list = (key: string, field: string, v: unknown, each: (x: unknown) => string | null) => {
      if (v === undefined) return;
      if (!Array.isArray(v) || v.length === 0) check(field, 'must list at least one entry');
      else if (v.every((x, i) => check(`${field}[${i}]`, each(x)))) g(key, v.join(' '), field);
    };
    list('interfaces', 'samba.global.interfaces', gi.interfaces, checkInterface);
    if (gi.bindInterfacesOnly !== undefined && check('samba.global.bindInterfacesOnly', checkBoolean(gi.bindInterfacesOnly))) {
      g('bind interfaces only', gi.bindInterfacesOnly ? 'Yes' : 'No', 'samba.global.bindInterfacesOnly');
    }
    list('hosts allow', 'samba.global.hostsAllow', gi.hostsAllow, checkHostPattern);
    list('hosts deny', 'samba.global.hostsDeny', gi.hostsDeny, checkHostPattern);
    if (gi.serverSigning !== undefined && check('samba.global.serverSigning', oneOf(gi.serverSigning, SIGNING))) g('server signing', SIGNING[gi.serverSigning]!, 'samba.global.serverSigning');
    if (gi.smbEncrypt !== undefined && check('samba.global.smbEncrypt', oneOf(gi.smbEncrypt, ENCRYPT))) g('server smb encrypt', ENCRYPT[gi.smbEncrypt]!, 'samba.global.smbEncrypt');
    if (gi.logLevel !== undefined && check('samba.global.logLevel', checkInteger(gi.logLevel, 0, 10))) g('log level', String(gi.logLevel), 'samba.global.logLevel');
    if (gi.logFile !== undefined && check('samba.global.logFile', checkAbsolutePath(gi.logFile))) g('log file', gi.logFile, 'samba.global.logFile');
  }
  let bonjour: SambaModel['bonjour'] = null;
  if (input.bonjour) {
    if (check('samba.bonjour.serviceFile', checkAbsolutePath(input.bonjour.serviceFile))) {
      if (!input.bonjour.serviceFile.endsWith('.service')) check('samba.bonjour.serviceFile', 'must end in .service (avahi-daemon reads only those)');
      bonjour = { file: input.bonjour.serviceFile, model: fruitModel };
    }
    // pillarsd's service file is the one advertisement: smbd's own would register _smb._tcp a
    // second time under the same name (avahi renames one of them), and only when smbd starts.
    g('multicast dns register', 'No', 'samba.bonjour');
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
      // The YAML key is `label`: errors name what the user wrote.
      if (p.comment !== undefined && check(`${base}.label`, checkComment(p.comment))) add('comment', p.comment, `${base}.label`);
      if (users.length > 0) add('valid users', users.join(' '), 'samba.validUsers');
      if (p.readOnly !== undefined) check(`${base}.readOnly`, checkBoolean(p.readOnly));
      add('read only', p.readOnly === true ? 'Yes' : 'No', `${base}.readOnly`);
      if (p.smbEncrypt !== undefined && check(`${base}.smbEncrypt`, oneOf(p.smbEncrypt, ENCRYPT))) add('server smb encrypt', ENCRYPT[p.smbEncrypt]!, `${base}.smbEncrypt`);
      add('browseable', 'Yes', base);
      add('vfs objects', VFS_OBJECTS, base);
      add('fruit:metadata', 'stream', base);
      add('fruit:veto_appledouble', 'no', base);
      add('fruit:wipe_intentionally_left_blank_rfork', 'yes', base);
      add('fruit:delete_empty_adfiles', 'yes', base);
      if (p.timeMachine !== undefined) {
        if (p.timeMachine === null || typeof p.timeMachine !== 'object') check(`${base}.timeMachine`, 'must be an object');
        else {
          const size = parseSize(p.timeMachine.maxSize);
          if (p.timeMachine.maxSize === '' || p.timeMachine.maxSize === undefined) check(`${base}.timeMachine.maxSize`, 'is required on the Time Machine share: the size Macs see, e.g. 4T');
          else if (!size.ok) check(`${base}.timeMachine.maxSize`, size.error);
          else if (timeMachine) check(`${base}.timeMachine`, `only one pillar may be the Time Machine target (already: ${timeMachine.share})`);
          else {
            add('fruit:time machine', 'yes', `${base}.timeMachine`);
            add('fruit:time machine max size', size.size.samba, `${base}.timeMachine.maxSize`);
            timeMachine = { share: s.name, maxSize: size.size.samba, bytes: size.size.bytes, perUserRoot: perUser && pathOk ? p.path.replace(/\/$/, '') : null };
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
    bonjour,
  };
}

function oneOf(v: unknown, allowed: Record<string, string>): string | null {
  return typeof v === 'string' && Object.hasOwn(allowed, v) ? null : `must be one of ${Object.keys(allowed).join(', ')}`;
}
