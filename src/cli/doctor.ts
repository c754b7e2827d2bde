// `pillars doctor`: every link of the chain checked on its own — settings, what mounting needs on
// this machine, keychain, vault, the SMB server, pillarsd, each share's login — with a fix printed
// for each failure. Bounded: the server checks run side by side under short deadlines, so a hung
// server is reported as hung within a few seconds. Never prints a secret: the password only goes
// to smbclient on its stdin.
import type { Exec, FsPort, ServerProbe } from '../platform/types';
import type { ClientSettings } from '../shared/settings';
import { completeness } from '../shared/settings';
import { KeychainStore, akvOptions, keychainAccount } from '../main/core/secrets';
import type { Secrets } from '../main/core/secrets';
import { akvSource } from '../main/core/secrets/akv';
import { onePasswordSource } from '../main/core/secrets/onepassword';
import { SecretSourceError, firstLine } from '../main/core/secrets/types';
import { checkLogin } from '../platform/linux/login';
import { linuxMountRequirements } from '../platform/linux/requirements';
import { serverHealth } from './serverHealth';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

export interface DoctorDeps {
  settingsPath: string;
  settings: ClientSettings | null;
  settingsError?: string;
  exec: Exec;
  fs: FsPort;
  serverProbe: ServerProbe;
  secrets: Secrets | null;
  env: NodeJS.ProcessEnv;
  os: NodeJS.Platform;
  uid: number;
  /** deadline of each server-side check (default 3 s: doctor answers within about 5 s whatever the server does) */
  timeoutMs?: number;
}

export async function doctor(d: DoctorDeps): Promise<Check[]> {
  const out: Check[] = [];
  const ms = d.timeoutMs ?? 3_000;
  if (!d.settings) {
    out.push({ name: 'settings', ok: false, detail: d.settingsError ?? `cannot read ${d.settingsPath}`, fix: `correct ${d.settingsPath} (or point --config at the right file)` });
    return out;
  }
  const s = d.settings;
  const missing = completeness(s);
  out.push(
    missing.length ? { name: 'settings', ok: false, detail: missing.map((m) => `${m.key}: ${m.reason}`).join('; '), fix: missing.map((m) => m.fix).join('; ') } : { name: 'settings', ok: true, detail: d.settingsPath },
  );

  // what mounting needs on this machine (issue 13: smbnetfs and FUSE, with the apt line)
  if (d.os === 'linux' && s.linux.backend !== 'gvfs') out.push(...(await linuxMountRequirements(d.fs, d.env.PATH ?? '', d.uid)));

  // the server side starts now and runs beside the local checks: it is what can hang
  const smbCheck = d.serverProbe(s.smb.host, 445, ms);
  const healthCheck = s.server.url ? serverHealth(s.server.url, s.server.fingerprint, ms) : null;

  // keychain: reachable, and whether it holds the cached password
  const kc = new KeychainStore(keychainAccount(s.smb.username, s.smb.host));
  try {
    const v = await kc.get();
    out.push({ name: 'keychain', ok: true, detail: v ? `${kc.describe} holds the cached password` : `reachable; no cached password yet (${kc.describe})` });
  } catch (e) {
    out.push({
      name: 'keychain',
      ok: false,
      detail: e instanceof SecretSourceError ? e.reason : firstLine(e),
      fix: 'unlock the login keyring (Linux: a running gnome-keyring with a D-Bus session; on a host without one: `pillars watch --password-file FILE`)',
    });
  }

  let vaultPassword: string | null = null;
  if (s.secret.source === 'akv' || s.secret.vaultUrl) {
    const src = akvSource(akvOptions(s, { clientSecret: async () => d.env.AZURE_CLIENT_SECRET || null }));
    try {
      vaultPassword = await src.get();
      out.push({ name: 'vault', ok: true, detail: `${src.describe} readable` });
    } catch (e) {
      const reason = e instanceof SecretSourceError ? e.reason : firstLine(e);
      out.push({ name: 'vault', ok: false, detail: reason, fix: vaultFix(reason, s) });
    }
  }
  if (s.secret.opRef) {
    const src = onePasswordSource({ ref: s.secret.opRef, exec: d.exec, env: d.env });
    try {
      vaultPassword ??= await src.get();
      out.push({ name: '1password', ok: true, detail: `${src.describe} readable` });
    } catch (e) {
      out.push({ name: '1password', ok: false, detail: e instanceof SecretSourceError ? e.reason : firstLine(e), fix: 'install the 1Password CLI and sign in (`op signin`), or set OP_SERVICE_ACCOUNT_TOKEN' });
    }
  }

  const smb = await smbCheck;
  if (smb.ok) out.push({ name: 'smb server', ok: true, detail: `${s.smb.host} answers SMB (${smb.ms} ms)` });
  else out.push({ name: 'smb server', ok: false, detail: smb.reason, fix: smbFix(smb.kind, s.smb.host) });
  if (healthCheck) {
    const h = await healthCheck;
    out.push(
      h.ok
        ? { name: 'pillarsd', ok: true, detail: `${h.url} ok${h.version ? ` (version ${h.version})` : ''}${h.pinned ? ', certificate pinned' : ''}` }
        : {
            name: 'pillarsd',
            ok: false,
            detail: `${h.url}: ${h.error ?? 'not healthy'}`,
            fix: h.reachable ? 'pair again (`pillarsd pair`) to record the current certificate fingerprint' : `check that pillarsd runs on ${s.smb.host} (systemctl status pillarsd)`,
          },
    );
  }

  // each share's login, with the password the chain would use (vault first: it is the truth)
  let password = vaultPassword;
  if (!password && d.secrets)
    password = await d.secrets.get().then(
      (p) => p.password,
      () => null,
    );
  if (smb.ok && password) {
    const server = { host: s.smb.host, username: s.smb.username, ...(s.smb.domain ? { domain: s.smb.domain } : {}) };
    const pw = password;
    const verdicts = await Promise.all(s.pillars.map((p) => checkLogin(d.exec, server, p.share, pw, ms)));
    s.pillars.forEach((p, i) => {
      const v = verdicts[i]!;
      const name = `login ${p.id}`;
      if (v.kind === 'ok') out.push({ name, ok: true, detail: `${s.smb.username} can open //${s.smb.host}/${p.share}` });
      else if (v.kind === 'wrong-password')
        out.push({ name, ok: false, detail: `//${s.smb.host}/${p.share}: ${v.reason}`, fix: `set the same password in the vault and on the server (pillarsd samba passwd ${s.smb.username})` });
      else if (v.kind === 'no-access')
        out.push({ name, ok: false, detail: v.reason, fix: `on ${s.smb.host}: add ${s.smb.username} to the share's users (pillarsd.yaml samba.validUsers) or fix the folder's permissions` });
      else if (v.kind === 'no-share') out.push({ name, ok: false, detail: v.reason, fix: `check pillars[].share in the settings against the server's shares` });
      else if (v.kind === 'account') out.push({ name, ok: false, detail: v.reason, fix: `on ${s.smb.host}: pdbedit -c '[]' -u ${s.smb.username} (unlock), or set a new password` });
      else out.push({ name, ok: false, detail: `//${s.smb.host}/${p.share}: ${v.reason}`, fix: /not installed/.test(v.reason) ? 'sudo apt-get install smbclient' : `check the server's Samba log` });
    });
  } else if (smb.ok) {
    out.push({ name: 'logins', ok: false, detail: 'no password available to check the share logins', fix: 'fix the vault or keychain check above' });
  }
  return out;
}

function smbFix(kind: string, host: string): string {
  switch (kind) {
    case 'hung':
      return `the server is hung: restart Samba on ${host} (sudo systemctl restart smbd), or the machine if that does not answer either`;
    case 'refused':
      return `start Samba on ${host} (sudo systemctl start smbd)`;
    case 'not-found':
      return `check smb.host in the settings, or your DNS (${host} must resolve, e.g. motoko.local or an entry in /etc/hosts)`;
    case 'not-smb':
      return `something else answers on port 445 of ${host}: check smb.host`;
    default:
      return `check that you are on the home network (or VPN) and that ${host} is up`;
  }
}

function vaultFix(reason: string, s: ClientSettings): string {
  if (/az login/.test(reason)) return 'run `az login` (or choose another secret.credential)';
  if (/denied/.test(reason)) return `grant your identity "Key Vault Secrets User" on ${s.secret.vaultUrl}`;
  if (/not found/.test(reason)) return `create the secret ${s.secret.name} in ${s.secret.vaultUrl}, or correct secret.name`;
  if (/cannot reach|in time/.test(reason)) return `check the network and secret.vaultUrl (${s.secret.vaultUrl})`;
  if (/tenantId|clientId|AZURE_CLIENT_SECRET/.test(reason)) return 'set secret.tenantId/secret.clientId and provide AZURE_CLIENT_SECRET';
  return 'check secret.vaultUrl, secret.name and secret.credential';
}
