// `pillars doctor`: every link of the chain checked on its own — settings, keychain, vault,
// server reachability, each share's login — with a fix printed for each failure. Never prints a
// secret: the password is only handed to smbclient through its environment.
import type { Exec, TcpProbe } from '../platform/types';
import type { ClientSettings } from '../shared/settings';
import { completeness } from '../shared/settings';
import { KeychainStore, akvOptions, keychainAccount } from '../main/core/secrets';
import type { Secrets } from '../main/core/secrets';
import { akvSource } from '../main/core/secrets/akv';
import { onePasswordSource } from '../main/core/secrets/onepassword';
import { SecretSourceError, firstLine, redact } from '../main/core/secrets/types';
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
  tcpProbe: TcpProbe;
  secrets: Secrets | null;
  env: NodeJS.ProcessEnv;
}

export async function doctor(d: DoctorDeps): Promise<Check[]> {
  const out: Check[] = [];
  if (!d.settings) {
    out.push({ name: 'settings', ok: false, detail: d.settingsError ?? `cannot read ${d.settingsPath}`, fix: `correct ${d.settingsPath} (or point --config at the right file)` });
    return out;
  }
  const s = d.settings;
  const missing = completeness(s);
  out.push(missing.length ? { name: 'settings', ok: false, detail: missing.map((m) => `${m.key}: ${m.reason}`).join('; '), fix: missing.map((m) => m.fix).join('; ') } : { name: 'settings', ok: true, detail: d.settingsPath });

  // keychain: reachable, and whether it holds the cached password
  const kc = new KeychainStore(keychainAccount(s.smb.username, s.smb.host));
  try {
    const v = await kc.get();
    out.push({ name: 'keychain', ok: true, detail: v ? `${kc.describe} holds the cached password` : `reachable; no cached password yet (${kc.describe})` });
  } catch (e) {
    out.push({ name: 'keychain', ok: false, detail: e instanceof SecretSourceError ? e.reason : firstLine(e), fix: 'unlock the login keyring (Linux: a running gnome-keyring with a D-Bus session; macOS: the login keychain)' });
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

  const smbUp = await d.tcpProbe(s.smb.host, 445, 2_000);
  out.push(smbUp ? { name: 'smb server', ok: true, detail: `${s.smb.host}:445 answers` } : { name: 'smb server', ok: false, detail: `${s.smb.host}:445 does not answer`, fix: `check that you are on the home network (or VPN) and that smbd runs on ${s.smb.host}` });
  if (s.server.url) {
    const h = await serverHealth(s.server.url, s.server.fingerprint, 3_000);
    out.push(h.ok ? { name: 'pillarsd', ok: true, detail: `${h.url} ok${h.version ? ` (version ${h.version})` : ''}${h.pinned ? ', certificate pinned' : ''}` } : { name: 'pillarsd', ok: false, detail: `${h.url}: ${h.error ?? 'not healthy'}`, fix: h.reachable ? 'pair again (`pillarsd pair`) to record the current certificate fingerprint' : `check that pillarsd runs on ${s.smb.host} (systemctl status pillarsd)` });
  }

  // each share's login, with the password the chain would use (vault first: it is the truth)
  let password = vaultPassword;
  if (!password && d.secrets) password = await d.secrets.get().then((p) => p.password, () => null);
  if (smbUp && password) {
    for (const p of s.pillars) {
      const r = await d.exec({ cmd: 'smbclient', args: [`//${s.smb.host}/${p.share}`, '-U', s.smb.domain ? `${s.smb.domain}/${s.smb.username}` : s.smb.username, '-c', 'ls .pillar'], env: { PASSWD: password }, timeoutMs: 10_000 });
      const text = redact(`${r.stdout}\n${r.stderr}`, [password]);
      if (r.code === null && /cannot start/.test(r.stderr)) {
        out.push({ name: `login ${p.id}`, ok: false, detail: 'smbclient is not installed, the login could not be checked', fix: 'install smbclient (Debian: apt-get install smbclient)' });
        break;
      }
      if (r.code === 0 || /NT_STATUS_NO_SUCH_FILE|NT_STATUS_OBJECT_NAME_NOT_FOUND/.test(text)) out.push({ name: `login ${p.id}`, ok: true, detail: `${s.smb.username} can open //${s.smb.host}/${p.share}` });
      else if (/LOGON_FAILURE|WRONG_PASSWORD|ACCESS_DENIED/.test(text)) out.push({ name: `login ${p.id}`, ok: false, detail: `//${s.smb.host}/${p.share} rejected ${s.smb.username}'s password`, fix: `set the same password in the vault and on the server (pillarsd samba passwd ${s.smb.username})` });
      else if (/BAD_NETWORK_NAME/.test(text)) out.push({ name: `login ${p.id}`, ok: false, detail: `no share ${p.share} on ${s.smb.host}`, fix: `check pillars[].share in the settings against the server's shares` });
      else out.push({ name: `login ${p.id}`, ok: false, detail: firstLine(text.trim() || `smbclient exit ${r.code}`), fix: `check the server's Samba log` });
    }
  } else if (smbUp) {
    out.push({ name: 'logins', ok: false, detail: 'no password available to check the share logins', fix: 'fix the vault or keychain check above' });
  }
  return out;
}

function vaultFix(reason: string, s: ClientSettings): string {
  if (/az login/.test(reason)) return 'run `az login` (or choose another secret.credential)';
  if (/denied/.test(reason)) return `grant your identity "Key Vault Secrets User" on ${s.secret.vaultUrl}`;
  if (/not found/.test(reason)) return `create the secret ${s.secret.name} in ${s.secret.vaultUrl}, or correct secret.name`;
  if (/cannot reach|in time/.test(reason)) return `check the network and secret.vaultUrl (${s.secret.vaultUrl})`;
  if (/tenantId|clientId|AZURE_CLIENT_SECRET/.test(reason)) return 'set secret.tenantId/secret.clientId and provide AZURE_CLIENT_SECRET';
  return 'check secret.vaultUrl, secret.name and secret.credential';
}
