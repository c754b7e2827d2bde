// The Samba side of `pillarsd check`: the rendered config (our validation, the admin's smb.conf,
// testparm), the VFS modules it names, and Bonjour (avahi-daemon running, the records published),
// as separate lines so an operator sees which one failed.
import { SambaApplyError, type SambaManager } from './manager';
import { missingVfsModules, vfsModulesOf } from './modules';
import type { SambaHost } from './host';
import { bonjourRecords } from './bonjour';

export interface CheckItem {
  what: string;
  ok: boolean;
  detail: string;
}

export async function sambaCheckItems(manager: SambaManager, host: SambaHost): Promise<CheckItem[]> {
  let plan;
  try {
    plan = await manager.plan();
  } catch (e) {
    if (!(e instanceof SambaApplyError)) throw e;
    return [{ what: 'samba config', ok: false, detail: (e.problems.length ? e.problems : [e.message]).join('; ') }];
  }
  const modules = vfsModulesOf(plan.model);
  const missing = await missingVfsModules(modules, host);
  const { problems } = await manager.verify(plan.model, plan.text);
  const other = problems.filter((p) => !missing.includes(p));
  return [
    {
      what: 'samba config',
      ok: other.length === 0,
      detail: other.length === 0 ? `${plan.model.targetFile} as rendered passes testparm (${plan.model.shares.length} shares)` : other.join('; '),
    },
    { what: 'smbd vfs modules', ok: missing.length === 0, detail: missing.length === 0 ? `smbd can load ${modules.join(', ')}` : missing.join('; ') },
    ...(plan.model.bonjour
      ? await bonjourCheckItems(bonjourRecords(plan.model), host, plan.model.bonjour.file)
      : [{ what: 'bonjour', ok: true, detail: 'off (samba.bonjour: false): Macs do not find Time Machine by themselves' }]),
  ];
}

/** Unescapes a name from `avahi-browse --parsable` (`\032` is a space, `\.` a dot). */
function unescapeName(s: string): string {
  return s.replace(/\\(\d{3}|.)/g, (_, e: string) => (e.length === 3 ? String.fromCharCode(Number(e)) : e));
}

/** `=` lines of `avahi-browse --parsable --resolve`: service name → TXT records (per line). */
export function parseBrowse(stdout: string): Array<{ name: string; type: string; txt: string[] }> {
  const out: Array<{ name: string; type: string; txt: string[] }> = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('=;')) continue;
    // =;iface;proto;name;type;domain;host;address;port;txt — the name may hold an escaped ';' only as \059.
    const f = line.split(';');
    if (f.length < 10) continue;
    const txt = [
      ...f
        .slice(9)
        .join(';')
        .matchAll(/"((?:[^"\\]|\\.)*)"/g),
    ].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
    out.push({ name: unescapeName(f[3]!), type: f[4]!, txt });
  }
  return out;
}

/**
 * The Bonjour side: avahi-daemon installed and reachable on the system D-Bus, and each record
 * pillarsd renders published under avahi's host name with exactly the rendered TXT records.
 */
export async function bonjourCheckItems(expected: Map<string, string[]>, host: SambaHost, serviceFile: string): Promise<CheckItem[]> {
  const named = await host.avahiHostName();
  if (named === null) return [{ what: 'avahi-daemon', ok: false, detail: 'dbus-send is not installed: apt-get install dbus-bin' }];
  if (named.code !== 0) {
    const installed = await host.isFile('/usr/sbin/avahi-daemon');
    const why = (named.stderr || named.stdout).trim().split('\n')[0] ?? '';
    return [
      {
        what: 'avahi-daemon',
        ok: false,
        detail: installed
          ? `avahi-daemon does not answer on the system D-Bus (${why}): start it (systemctl enable --now avahi-daemon); until then Macs do not find Time Machine`
          : 'avahi-daemon is not installed: apt-get install avahi-daemon avahi-utils; until then Macs do not find Time Machine',
      },
    ];
  }
  const hostName = /string "([^"]*)"/.exec(named.stdout)?.[1] ?? '';
  const items: CheckItem[] = [{ what: 'avahi-daemon', ok: true, detail: `running, publishing as ${hostName}.local` }];
  const problems: string[] = [];
  const seen: string[] = [];
  for (const [type, txt] of expected) {
    const r = await host.avahiBrowse(type);
    if (r === null) {
      problems.push('avahi-browse is not installed: apt-get install avahi-utils');
      break;
    }
    const mine = parseBrowse(r.stdout).filter((e) => e.name === hostName && e.type === type);
    if (mine.length === 0) {
      problems.push(`${type} is not published under ${hostName}${r.code !== 0 ? ` (avahi-browse: ${(r.stderr || `exit ${r.code}`).trim().split('\n')[0]})` : ''}`);
      continue;
    }
    const want = [...txt].sort().join(' ');
    const bad = mine.find((e) => [...e.txt].sort().join(' ') !== want);
    if (bad) problems.push(`${type} publishes ${JSON.stringify(bad.txt.sort())}, pillarsd renders ${JSON.stringify([...txt].sort())}`);
    else seen.push(txt.length ? `${type} (${txt.join(', ')})` : type);
  }
  items.push({
    what: 'bonjour records',
    ok: problems.length === 0,
    detail: problems.length === 0 ? `published: ${seen.join('; ')}` : `${problems.join('; ')} (from ${serviceFile}: run 'pillarsd samba apply' if it is not applied yet)`,
  });
  return items;
}
