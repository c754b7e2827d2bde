// One logger for the glue: every message passes the redactor before any transport sees it, so
// a token or password in an error never reaches the log file (electron-log, rotated by size).
import { redact, redactArgs } from '../core/server/redact';

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface LogSink {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export function createLogger(sink: LogSink): Logger {
  return {
    info: (m) => sink.info(redact(m)),
    warn: (m) => sink.warn(redact(m)),
    error: (m) => sink.error(redact(m)),
  };
}

/** The shape of electron-log's main logger this module configures (kept narrow for tests). */
export interface ElectronLogLike extends LogSink {
  transports: { file: { maxSize: number; level: string | false }; console: { level: string | false } };
  hooks: Array<(message: { data: unknown[] }) => { data: unknown[] } | false>;
}

export const LOG_MAX_BYTES = 1024 * 1024; // electron-log keeps one rotated file (main.old.log)

export function configureElectronLog(log: ElectronLogLike, opts: { console: boolean }): Logger {
  log.transports.file.maxSize = LOG_MAX_BYTES;
  log.transports.file.level = 'info';
  log.transports.console.level = opts.console ? 'info' : false;
  // Also catches what libraries log through electron-log directly, not only our own calls.
  log.hooks.push((message) => ({ ...message, data: redactArgs(message.data) }));
  return createLogger(log);
}
