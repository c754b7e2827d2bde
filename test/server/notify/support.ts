// A motoko sandbox with notification channels pointed at real receivers started by the test, and
// the credentials of each channel in 0600 files (secret references, as on a real server).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { makeSandbox, type Sandbox } from '../jobs/sandbox';
import { parseConfig } from '../../../server/src/config/load';
import type { LoadedConfig } from '../../../server/src/config/load';
import type { CleanupRegistry } from '../../support/tmp';

export interface NotifySecrets {
  hookKey: string;
  ntfyToken: string;
  smtpPassword: string;
  /** the heartbeat base URL (itself a credential) */
  pingUrl: string;
}

export interface NotifySandbox extends Sandbox {
  secrets: NotifySecrets;
  /** the whole pillarsd.yaml (written to configFile) */
  text: string;
  load(): LoadedConfig;
}

/** A job that fails at once: its pre hook fails (no tool runs). */
export const FAILING_JOB = `  nightly:
    type: restic-check
    repository: space:/backups/restic/flux
    password: restic
    retries: { count: 0 }
    pre: [{ argv: ["false"], timeoutSeconds: 30 }]
`;

export function notifySandbox(reg: CleanupRegistry, o: { notifications: (s: NotifySecrets) => string; jobs?: string }): NotifySandbox {
  const sb = makeSandbox(reg, { jobs: o.jobs ?? FAILING_JOB });
  const secrets: NotifySecrets = {
    hookKey: `hk-${randomBytes(16).toString('hex')}`,
    ntfyToken: `tk_${randomBytes(16).toString('hex')}`,
    smtpPassword: `smtp-${randomBytes(16).toString('hex')}`,
    pingUrl: '',
  };
  const file = (name: string, value: string) => {
    const p = path.join(sb.dir, `${name}.secret`);
    writeFileSync(p, value, { mode: 0o600 });
    return `file:${p}`;
  };
  const refs = () =>
    [
      `  hookKey: ${file('hook', secrets.hookKey)}`,
      `  ntfyToken: ${file('ntfy', secrets.ntfyToken)}`,
      `  smtpPassword: ${file('smtp', secrets.smtpPassword)}`,
      `  pingBase: ${file('ping', secrets.pingUrl || 'http://127.0.0.1:9/none')}`,
    ].join('\n');
  const build = () => `${sb.yaml.replace('secrets:\n', `secrets:\n${refs()}\n`)}\nnotifications:\n${o.notifications(secrets)}`;
  const out: NotifySandbox = {
    ...sb,
    secrets,
    get text() {
      return build();
    },
    load() {
      const text = build();
      writeFileSync(sb.configFile, text);
      return { file: sb.configFile, config: parseConfig(text, sb.configFile), text };
    },
  };
  return out;
}
