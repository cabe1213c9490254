// kafkajs's logging: logLevel, the log entry a logCreator receives, the Logger that
// `kafka.logger()` returns, and the bridge that brings librdkafka's lines into it.
import type { LogFields, Logger } from '../logger';

/** kafkajs's levels, with its numbers (a higher number logs more). */
export const logLevel = { NOTHING: 0, ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 } as const;
export type logLevel = (typeof logLevel)[keyof typeof logLevel];

export interface LoggerEntryContent {
  readonly timestamp: string;
  readonly message: string;
  [key: string]: unknown;
}

export interface LogEntry {
  namespace: string;
  level: logLevel;
  label: string;
  log: LoggerEntryContent;
}

export type logCreator = (logLevel: logLevel) => (entry: LogEntry) => void;

/** What `kafka.logger()` and `producer.logger()` return, as kafkajs's. */
export interface KafkaJSLogger {
  info(message: string, extra?: object): void;
  error(message: string, extra?: object): void;
  warn(message: string, extra?: object): void;
  debug(message: string, extra?: object): void;
  namespace(namespace: string, logLevel?: logLevel): KafkaJSLogger;
  setLogLevel(logLevel: logLevel): void;
}

const LABELS = { ERROR: logLevel.ERROR, WARN: logLevel.WARN, INFO: logLevel.INFO, DEBUG: logLevel.DEBUG } as const;

/** KAFKAJS_LOG_LEVEL overrides the configured level, as in kafkajs. */
function fromEnvironment(level: logLevel): logLevel {
  const name = (process.env.KAFKAJS_LOG_LEVEL ?? '').toUpperCase();
  return name in logLevel ? logLevel[name as keyof typeof logLevel] : level;
}

/** kafkajs's default logCreator: one JSON line per entry on the console. */
export const consoleLogCreator: logCreator = () => ({ namespace, level, label, log }) => {
  const line = JSON.stringify({ level: label, ...log, message: `${namespace ? `[${namespace}] ` : ''}${log.message}` });
  if (level === logLevel.ERROR) console.error(line);
  else if (level === logLevel.WARN) console.warn(line);
  else if (level === logLevel.INFO) console.info(line);
  else console.log(line);
};

export function createLogger(level: logLevel, creator: logCreator): KafkaJSLogger {
  let rootLevel = fromEnvironment(level);
  const write = creator(rootLevel);
  const make = (namespace: string, ownLevel: logLevel | undefined): KafkaJSLogger => {
    const at = (label: keyof typeof LABELS) => (message: string, extra: object = {}) => {
      if (LABELS[label] > (ownLevel ?? rootLevel)) return;
      write({ namespace, level: LABELS[label], label, log: { timestamp: new Date().toISOString(), logger: 'kafkajs', message, ...extra } });
    };
    return {
      info: at('INFO'),
      error: at('ERROR'),
      warn: at('WARN'),
      debug: at('DEBUG'),
      namespace: (child, childLevel) => make(child, childLevel === undefined ? undefined : fromEnvironment(childLevel)),
      setLogLevel: (newLevel) => {
        rootLevel = newLevel;
      },
    };
  };
  return make('', undefined);
}

/**
 * Our clients' Logger (librdkafka's lines and the clients' own) writing into a kafkajs logger:
 * each line becomes an entry of namespace `librdkafka` whose log carries the client and facility.
 */
export function clientLogger(logger: KafkaJSLogger): Logger {
  const librdkafka = logger.namespace('librdkafka');
  const extra = (fields: LogFields): object => Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  return {
    error: (fields, message) => librdkafka.error(message, extra(fields)),
    warn: (fields, message) => librdkafka.warn(message, extra(fields)),
    info: (fields, message) => librdkafka.info(message, extra(fields)),
    debug: (fields, message) => librdkafka.debug(message, extra(fields)),
  };
}
