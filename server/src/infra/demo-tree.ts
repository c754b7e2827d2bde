// The demo sandbox on disk: a realistic sample of Flux, Space and Time with their sentinels, a
// local folder standing in for B2, a restic password in a 0600 file, and the switch that makes
// the next offsite sync blocked (30 % of Space moved aside) or puts things back.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

function write(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

const rnd = (n: number) => randomBytes(n);

export interface DemoLayout {
  dir: string;
  flux: string;
  space: string;
  time: string;
  cloud: string;
  state: string;
  passwordFile: string;
  configFile: string;
}

export function demoLayout(dir: string): DemoLayout {
  const d = path.resolve(dir);
  return {
    dir: d,
    flux: path.join(d, 'flux'),
    space: path.join(d, 'space'),
    time: path.join(d, 'time'),
    cloud: path.join(d, 'cloud'),
    state: path.join(d, 'state'),
    passwordFile: path.join(d, 'secrets', 'restic.pw'),
    configFile: path.join(d, 'pillarsd.yaml'),
  };
}

export function demoConfigText(l: DemoLayout, user: string = os.userInfo().username): string {
  return `# pillarsd demo sandbox: pillars are plain folders (requireMount: false), "cloud" is a local folder.
stateDir: ${l.state}
server:
  listen: 127.0.0.1:0
  tls: off
  allowedHosts: [localhost]
pillars:
  flux:  { path: ${l.flux}, requireMount: false }
  space: { path: ${l.space}, requireMount: false }
  time:  { path: ${l.time}, requireMount: false, timeMachine: { maxSize: 2G } }
secrets:
  restic: file:${l.passwordFile}
remotes:
  cloud: { type: local }
# Samba: the demo owns a whole smb.conf of its own in the sandbox (no smbd runs for it, so an apply
# is validated by testparm and written, and says that smbd did not reload), and its Bonjour file.
samba:
  mode: whole
  configFile: ${l.dir}/samba/smb.conf
  validUsers: [${user}]
  bonjour: { serviceFile: ${l.dir}/samba/avahi/pillars.service }
jobs:
  flux-backup:
    type: restic-backup
    source: flux:/
    repository: space:/backups/restic/flux
    password: restic
    exclude: ["**/node_modules", "**/.cache", "/scratch/"]
    schedule: "0 2 * * *"
  flux-retention:
    type: restic-forget
    repository: space:/backups/restic/flux
    password: restic
    keep: { daily: 7, weekly: 4, monthly: 12, yearly: 3 }
    prune: true
    schedule: "0 4 * * 0"
  flux-verify:
    type: restic-check
    repository: space:/backups/restic/flux
    password: restic
    readDataSubset: 10%
    schedule: "0 5 1 * *"
  # Space offsite without the restic repository: a long sync never holds the repository, so the
  # Flux backup never waits for it; the repository has its own short mirror job (repo-offsite).
  space-offsite:
    type: rclone-sync
    source: space:/
    destination: cloud:${l.cloud}/space
    exclude: ["/backups/restic/**"]
    after: [flux-backup]
    schedule: "30 3 * * *"
    guard: { maxDeletePercent: 1, maxDeleteCount: 1000, maxChangePercent: 25 }
  # the repository, mirrored after each backup: it holds the repository only while it runs, and the
  # files a prune of flux-retention removed are expected deletions, never a blocked sync
  repo-offsite:
    type: rclone-sync
    source: space:/backups/restic/flux
    destination: cloud:${l.cloud}/space/backups/restic/flux
    after: [flux-backup, flux-retention]
  # a first upload in nightly windows: 6 hours from 23:00, then it stops softly and goes on the next night
  media-seed:
    type: rclone-copy
    source: space:/media
    destination: cloud:${l.cloud}/media-seed
    schedule: "0 23 * * *"
    maxDuration: 6h
    bwlimit: "08:00,4M 23:00,off"
    enabled: false
`;
}

/** Builds the sandbox unless it exists; returns true when it was created now. */
export function buildDemo(dir: string): { layout: DemoLayout; created: boolean } {
  const l = demoLayout(dir);
  if (fs.existsSync(l.configFile)) return { layout: l, created: false };
  fs.mkdirSync(l.dir, { recursive: true });
  // Flux: hot working state
  write(path.join(l.flux, '.pillar'), 'flux\n');
  write(path.join(l.flux, 'code/webapp/README.md'), '# webapp\n\nThe family photo site.\n');
  write(path.join(l.flux, 'code/webapp/package.json'), '{ "name": "webapp", "version": "1.4.2" }\n');
  for (let i = 0; i < 12; i++) write(path.join(l.flux, `code/webapp/src/module-${i}.ts`), `export const m${i} = ${i};\n`.repeat(20));
  write(path.join(l.flux, 'code/webapp/node_modules/left-pad/index.js'), 'module.exports = () => {};\n');
  write(path.join(l.flux, 'databases/app-2026-11-25.sql'), 'CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT);\n'.repeat(200));
  write(path.join(l.flux, 'models/llama-finetune/checkpoint-0400.bin'), rnd(512 * 1024));
  write(path.join(l.flux, 'notes/Café menu — été.md'), '# Menu\n');
  write(path.join(l.flux, 'notes/meeting notes 2026.txt'), 'notes\n');
  write(path.join(l.flux, 'scratch/tmp.bin'), rnd(4096));
  // Space: the archive
  write(path.join(l.space, '.pillar'), 'space\n');
  for (let y = 2021; y <= 2025; y++) for (let i = 0; i < 40; i++) write(path.join(l.space, `photos/${y}/IMG_${String(i).padStart(4, '0')}.jpg`), rnd(2048 + i));
  for (let i = 0; i < 30; i++) write(path.join(l.space, `media/music/Album ${Math.floor(i / 10)}/track ${i}.flac`), rnd(4096));
  for (let i = 0; i < 20; i++) write(path.join(l.space, `datasets/weather/station-${i}.csv`), 'date,temp\n2026-01-01,3.2\n'.repeat(50));
  write(path.join(l.space, 'projects/old-site/index.html'), '<h1>old</h1>\n');
  // Time: a Mac's Time Machine bundle
  write(path.join(l.time, '.pillar'), 'time\n');
  write(path.join(l.time, 'count-zero.sparsebundle/Info.plist'), '<?xml version="1.0"?><plist><dict/></plist>\n');
  for (let i = 0; i < 8; i++) write(path.join(l.time, `count-zero.sparsebundle/bands/${i.toString(16)}`), rnd(8192));
  // the "cloud" already holds a full copy of Space (as after the first offsite sync)
  fs.cpSync(l.space, path.join(l.cloud, 'space'), { recursive: true, preserveTimestamps: true, filter: (src) => path.basename(src) !== '.pillar' });
  fs.mkdirSync(path.dirname(l.passwordFile), { recursive: true, mode: 0o700 });
  fs.writeFileSync(l.passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  fs.mkdirSync(path.join(l.dir, 'samba', 'avahi'), { recursive: true });
  fs.writeFileSync(l.configFile, demoConfigText(l), { mode: 0o644 });
  return { layout: l, created: true };
}

function filesUnder(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...filesUnder(root, r));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

/**
 * `blocked-sync`: moves 30 % of Space's photos, music and datasets into DIR/stash (nothing is
 * deleted), so the next offsite sync would delete them in the cloud and the guard blocks it.
 * `restore`: moves them back.
 */
export function applyScenario(dir: string, scenario: string): string {
  const l = demoLayout(dir);
  const stash = path.join(l.dir, 'stash');
  if (scenario === 'blocked-sync') {
    const candidates = ['photos', 'media', 'datasets'].flatMap((d) => (fs.existsSync(path.join(l.space, d)) ? filesUnder(l.space, d) : []));
    const n = Math.ceil(candidates.length * 0.3);
    for (const rel of candidates.slice(0, n)) {
      fs.mkdirSync(path.dirname(path.join(stash, rel)), { recursive: true });
      fs.renameSync(path.join(l.space, rel), path.join(stash, rel));
    }
    return `moved ${n} of ${candidates.length} Space files to ${stash}: the next space-offsite run will be blocked (undo: --scenario restore)`;
  }
  if (scenario === 'restore') {
    if (!fs.existsSync(stash)) return 'nothing to restore';
    const files = filesUnder(stash);
    for (const rel of files) {
      fs.mkdirSync(path.dirname(path.join(l.space, rel)), { recursive: true });
      fs.renameSync(path.join(stash, rel), path.join(l.space, rel));
    }
    fs.rmSync(stash, { recursive: true, force: true });
    return `moved ${files.length} files back into ${l.space}`;
  }
  throw new Error(`unknown scenario "${scenario}" (blocked-sync, restore)`);
}
