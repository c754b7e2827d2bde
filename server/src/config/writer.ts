// The one writer of pillarsd.yaml for edits made through the API (the schedule editor, a job's
// notification choices). It knows the text pillarsd last loaded or wrote, so an edit never lands
// over a hand edit made on disk since, and every editor shares that knowledge: one editor's write
// is not mistaken for a hand edit by the next.
import { ConfigError, formatProblem } from './load';
import type { Config } from './schema';
import { fileMode, readText, realPath, writeFileAtomic } from '../infra/fs';
import { BadRequestError, ConflictError } from '../ports/errors';

export interface ConfigWriter {
  readonly file: string;
  /** The text pillarsd last loaded or wrote (what the settings it serves are read from). */
  text(): string;
  /**
   * Reads pillarsd.yaml, applies `edit` to its text, writes the result when the whole file still
   * loads, and returns the configuration it gives. BadRequestError when it would not load (the
   * message names the key); ConflictError when the file changed on disk since pillarsd read it or
   * cannot be written. `manual` says what the owner can do by hand instead.
   */
  apply(edit: (text: string) => { text: string; config: Config }, manual: string): Config;
}

export function configWriter(file: string, loadedText: string): ConfigWriter {
  let known = loadedText;
  return {
    file,
    text: () => known,
    apply(edit, manual) {
      let target: string;
      let current: string;
      try {
        target = realPath(file);
        current = readText(target);
      } catch (e) {
        throw new ConflictError(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); nothing was changed`);
      }
      if (current !== known) throw new ConflictError(`${file} changed on disk since pillarsd loaded it; nothing was written. Restart pillarsd to load that edit, then try again (or ${manual} in the file)`);
      let next: { text: string; config: Config };
      try {
        next = edit(current);
      } catch (e) {
        // each field that was wrong, by its key path, for a form to show next to the field
        if (e instanceof ConfigError)
          throw new BadRequestError(
            e.problems.map(formatProblem).join('; '),
            e.problems.map((p) => ({ path: p.path, message: p.message })),
          );
        throw new ConflictError(`${(e as Error).message}; nothing was written`);
      }
      try {
        writeFileAtomic(target, next.text, fileMode(target));
      } catch (e) {
        throw new ConflictError(`pillarsd cannot write ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); ${manual} there and restart pillarsd`);
      }
      known = next.text;
      return next.config;
    },
  };
}
