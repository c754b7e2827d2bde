// The password typed or piped into the CLI (`--password-stdin`): the first line of stdin. The
// tray never uses it.
import { SecretSourceError } from './types';
import type { SecretSource } from './types';

export function stdinSource(input: NodeJS.ReadableStream, opts: { timeoutMs?: number } = {}): SecretSource {
  let cached: Promise<string> | null = null; // stdin can be read once; a retry reuses the line
  return {
    id: 'stdin',
    describe: 'standard input',
    get() {
      cached ??= new Promise<string>((resolve, reject) => {
        let buf = '';
        const timer = setTimeout(() => done(new SecretSourceError('stdin', `no password on standard input within ${Math.round((opts.timeoutMs ?? 120_000) / 1000)} s`)), opts.timeoutMs ?? 120_000);
        const onData = (b: Buffer | string) => {
          buf += b.toString();
          if (buf.includes('\n')) done(null);
        };
        const onEnd = () => done(null);
        const done = (err: Error | null) => {
          clearTimeout(timer);
          input.removeListener('data', onData);
          input.removeListener('end', onEnd);
          input.pause?.();
          if (err) return reject(err);
          const line = (buf.split(/\r?\n/)[0] ?? '').trimEnd();
          if (!line) reject(new SecretSourceError('stdin', 'standard input was empty'));
          else resolve(line);
        };
        input.on('data', onData);
        input.once('end', onEnd);
        input.resume?.();
      });
      return cached;
    },
  };
}
