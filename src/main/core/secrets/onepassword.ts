// 1Password's CLI: `op read op://vault/item/field`. The reference is not a secret and goes in
// argv; the secret comes back on stdout and never touches argv, a file or a log.
import type { Exec } from '../../../platform/types';
import { SecretSourceError, firstLine, redact } from './types';
import type { SecretSource } from './types';

/** op's own variables (service-account token, session) pass through to the child's env only. */
function opEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && /^OP_/.test(k)) out[k] = v;
  return out;
}

export function onePasswordSource(opts: { ref: string; exec: Exec; env?: NodeJS.ProcessEnv; timeoutMs?: number; bin?: string }): SecretSource {
  return {
    id: '1password',
    describe: `1Password ${opts.ref}`,
    async get() {
      if (!/^op:\/\/[^/\s][^\r\n\0]*$/.test(opts.ref)) throw new SecretSourceError('1password', `secret.opRef ${JSON.stringify(opts.ref)} is not an op:// reference`);
      const r = await opts.exec({ cmd: opts.bin ?? 'op', args: ['read', '--no-newline', opts.ref], env: opEnv(opts.env ?? process.env), timeoutMs: opts.timeoutMs ?? 60_000 });
      if (r.timedOut) throw new SecretSourceError('1password', `op read ${opts.ref} did not answer within ${Math.round((opts.timeoutMs ?? 60_000) / 1000)} s (is the 1Password app waiting for approval?)`, true);
      if (r.code === null && /cannot start|ENOENT/.test(r.stderr)) throw new SecretSourceError('1password', "the 1Password CLI 'op' is not installed or not on PATH");
      if (r.code !== 0) {
        const why = redact(firstLine(r.stderr || `exit ${r.code}`), [r.stdout]);
        const hint = /signed in|sign in|no accounts|session/i.test(why) ? ' (run `op signin`, or set OP_SERVICE_ACCOUNT_TOKEN)' : '';
        throw new SecretSourceError('1password', `op read ${opts.ref} failed: ${why}${hint}`);
      }
      const v = r.stdout.replace(/\r?\n$/, '');
      if (!v) throw new SecretSourceError('1password', `op read ${opts.ref} returned an empty value`);
      return v;
    },
  };
}
