// Where librdkafka's log lines and the clients' own warnings go: a logger with error, warn, info
// and debug, called as pino calls them, (fields, message). Lines arrive on the JavaScript thread;
// librdkafka's threads only queue them. Nothing is written raw to stderr.
import type { OAuthBearerProvider } from './oauth';
import { capi, type LogLine } from './native';

/** What a line carries besides its text. */
export interface LogFields {
  /** The client's name, e.g. `rdkafka#consumer-1`. */
  client?: string;
  /** librdkafka's facility, e.g. `FAIL`, `CONFWARN`. */
  facility?: string;
  /** A Kafka error code, for lines about one. */
  code?: number;
  [key: string]: unknown;
}

/** A pino logger fits, and so does any object with these four methods. */
export interface Logger {
  error(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  debug(fields: LogFields, message: string): void;
}

/** What every client's constructor takes besides its configuration. */
export interface ClientOptions {
  /** Receives librdkafka's log lines (and a consumer's errors); default: `getDefaultLogger()`. */
  logger?: Logger;
  /** Gives OAUTHBEARER tokens (`sasl.mechanism=OAUTHBEARER`): called when librdkafka needs one and again before it expires. */
  oauthBearerProvider?: OAuthBearerProvider;
  /** How long the provider may take before the attempt counts as failed (librdkafka tries again); default 10 000 ms. */
  oauthBearerProviderTimeoutMs?: number;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/** librdkafka's syslog levels as a logger's: 0–3 error, 4 warning, 5–6 info, 7 debug. */
export function levelOf(syslogLevel: number): LogLevel {
  if (syslogLevel <= 3) return 'error';
  if (syslogLevel === 4) return 'warn';
  if (syslogLevel <= 6) return 'info';
  return 'debug';
}

/**
 * A logger writing one line per entry to a stream (standard error by default), at `level` and
 * above: `2026-11-26T02:30:00.123Z WARN rdkafka#producer-1 FAIL: 127.0.0.1:9092/bootstrap: …`.
 */
export function streamLogger(level: LogLevel = 'warn', stream: { write(text: string): unknown } = process.stderr): Logger {
  if (!LEVELS.includes(level)) throw new TypeError(`Expected one of ${LEVELS.join(', ')} for level but received ${String(level)}`);
  const rank = LEVELS.indexOf(level);
  const line = (name: LogLevel) => (fields: LogFields, message: string) => {
    if (LEVELS.indexOf(name) > rank) return;
    const source = [fields.client, fields.facility && `${fields.facility}:`].filter(Boolean).join(' ');
    stream.write(`${new Date().toISOString()} ${name.toUpperCase()} ${source ? `${source} ` : ''}${message}\n`);
  };
  return { error: line('error'), warn: line('warn'), info: line('info'), debug: line('debug') };
}

/** A logger that drops everything. */
export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };

let defaultLogger: Logger = streamLogger('warn');

/** The logger of clients created without one: warnings and errors to standard error. */
export function getDefaultLogger(): Logger {
  return defaultLogger;
}

/** Replaces the logger of every client created without one (and of the embedded broker). */
export function setDefaultLogger(logger: Logger): void {
  defaultLogger = expectLogger(logger, 'logger');
}

export function expectLogger(value: unknown, parameter: string): Logger {
  const candidate = value as { [method: string]: unknown } | null;
  if (typeof candidate !== 'object' || candidate === null || LEVELS.some((m) => typeof candidate[m] !== 'function')) {
    throw new TypeError(`Expected a logger (an object with error, warn, info and debug methods) for ${parameter} but received ${candidate === null ? 'null' : typeof candidate}`);
  }
  return value as Logger;
}

/** Calls one method of a logger; a logger's own failure surfaces as an uncaught exception, never as the caller's. */
export function log(logger: Logger, level: LogLevel, fields: LogFields, message: string): void {
  try {
    logger[level](fields, message);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** The native side's callback for a logger: batches of librdkafka's lines. */
export function nativeLogCallback(logger: () => Logger): (lines: LogLine[]) => void {
  return (lines) => {
    const target = logger();
    for (const [syslogLevel, facility, message, client] of lines) log(target, levelOf(syslogLevel), { client, facility }, message);
  };
}

/** Routes a client's librdkafka lines to `logger`, or to the default logger when undefined. */
export function attachLogger(handle: Parameters<typeof capi.SetLogger>[0], logger: Logger | undefined): void {
  if (logger !== undefined) capi.SetLogger(handle, nativeLogCallback(() => logger));
}

// Clients without a logger of their own, capi handles included, log through the default one.
capi.SetDefaultLogger(nativeLogCallback(() => defaultLogger));
