// `new Kafka(config)`'s configuration, kafkajs's or @confluentinc/kafka-javascript's shape, as
// librdkafka properties and the logger, retry policy and token provider its clients share.
import type { ConnectionOptions } from 'node:tls';
import type { OAuthBearerToken } from '../oauth';
import { describe } from '../validate';
import type { ClientContext, RetryOptions } from './context';
import { KafkaJSConnectionError, KafkaJSNonRetriableError } from './errors';
import { clientLogger, consoleLogCreator, createLogger, logLevel, type KafkaJSLogger, type logCreator } from './logger';

export type BrokersFunction = () => string[] | Promise<string[]>;

export interface OauthbearerProviderResponse {
  value: string;
  /** When the token expires, in ms since the epoch (default: the JWT's `exp`). */
  lifetime?: number;
  /** The principal (default: the JWT's `sub`). */
  principal?: string;
  extensions?: { [key: string]: string };
}

export type SASLOptions =
  | { mechanism: 'plain'; username: string; password: string }
  | { mechanism: 'scram-sha-256'; username: string; password: string }
  | { mechanism: 'scram-sha-512'; username: string; password: string }
  | { mechanism: 'oauthbearer'; oauthBearerProvider: () => Promise<OauthbearerProviderResponse> };

export interface KafkaConfig {
  brokers: string[] | BrokersFunction;
  ssl?: ConnectionOptions | boolean;
  sasl?: SASLOptions;
  clientId?: string;
  connectionTimeout?: number;
  authenticationTimeout?: number;
  reauthenticationThreshold?: number;
  requestTimeout?: number;
  enforceRequestTimeout?: boolean;
  retry?: RetryOptions;
  socketFactory?: unknown;
  logLevel?: logLevel;
  logCreator?: logCreator;
}

/** @confluentinc/kafka-javascript's shape: the kafkajs options in `kafkaJS`, librdkafka properties beside it. */
export interface ConfluentKafkaConfig {
  kafkaJS: Partial<KafkaConfig>;
  [librdkafkaProperty: string]: string | number | boolean | Partial<KafkaConfig> | undefined;
}

/** The context plus what `kafka.logger()` returns and, for `brokers` as a function, when to ask it. */
export interface KafkaContext extends ClientContext {
  kafkaLogger: KafkaJSLogger;
  /** `brokers` given as a function: clients call it on connect (see `connectConfig`). */
  brokers?: BrokersFunction;
}

const KAFKA_KEYS = new Set(['brokers', 'ssl', 'sasl', 'clientId', 'connectionTimeout', 'authenticationTimeout', 'reauthenticationThreshold', 'requestTimeout', 'enforceRequestTimeout', 'retry', 'socketFactory', 'logLevel', 'logCreator']);
const SSL_OPTIONS = new Set(['ca', 'cert', 'key', 'passphrase', 'rejectUnauthorized', 'ciphers']);
const SASL_MECHANISMS: { [mechanism: string]: string } = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512', oauthbearer: 'OAUTHBEARER' };

function bad(message: string): KafkaJSNonRetriableError {
  return new KafkaJSNonRetriableError(message);
}

function milliseconds(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw bad(`Expected a number of milliseconds for ${name} but received ${describe(value)}`);
  return value;
}

/** PEM text from what Node's tls takes: a string, a Buffer, or an array of them. */
function pem(value: unknown, name: string): string {
  const parts = Array.isArray(value) ? value : [value];
  return parts
    .map((part, i) => {
      if (typeof part === 'string') return part;
      if (Buffer.isBuffer(part)) return part.toString('utf8');
      if (typeof part === 'object' && part !== null && 'pem' in part && (typeof part.pem === 'string' || Buffer.isBuffer(part.pem))) return part.pem.toString();
      throw bad(`Expected PEM text (a string or Buffer) for ssl.${name}${Array.isArray(value) ? `[${i}]` : ''} but received ${describe(part)}`);
    })
    .join('\n');
}

function brokerList(brokers: unknown): string {
  if (!Array.isArray(brokers) || brokers.length === 0 || brokers.some((b) => typeof b !== 'string' || b.length === 0)) {
    throw bad(`Failed to connect: expected brokers array and got ${describe(brokers)}`);
  }
  return brokers.join(',');
}

/** librdkafka's TLS properties for kafkajs's `ssl` (Node's tls.ConnectionOptions). */
function sslProperties(ssl: unknown, out: ClientContext['config']): void {
  if (ssl === true) return;
  if (typeof ssl !== 'object' || ssl === null || Array.isArray(ssl)) throw bad(`Expected true or TLS options for ssl but received ${describe(ssl)}`);
  const options = ssl as { [key: string]: unknown };
  const unknown = Object.keys(options).filter((key) => options[key] !== undefined && !SSL_OPTIONS.has(key));
  if (unknown.length > 0) {
    throw bad(`ssl.${unknown[0]} is not supported: librdkafka does TLS itself and takes ${[...SSL_OPTIONS].join(', ')} (other settings: librdkafka's ssl.* properties next to the kafkaJS block)`);
  }
  if (options.ca !== undefined) out['ssl.ca.pem'] = pem(options.ca, 'ca');
  if (options.cert !== undefined) out['ssl.certificate.pem'] = pem(options.cert, 'cert');
  if (options.key !== undefined) out['ssl.key.pem'] = pem(options.key, 'key');
  if (options.passphrase !== undefined) {
    if (typeof options.passphrase !== 'string') throw bad(`Expected a string for ssl.passphrase but received ${describe(options.passphrase)}`);
    out['ssl.key.password'] = options.passphrase;
  }
  if (options.ciphers !== undefined) {
    if (typeof options.ciphers !== 'string') throw bad(`Expected a string for ssl.ciphers but received ${describe(options.ciphers)}`);
    out['ssl.cipher.suites'] = options.ciphers;
  }
  if (options.rejectUnauthorized === false) {
    // Node's rejectUnauthorized: false trusts any certificate for any name.
    out['enable.ssl.certificate.verification'] = false;
    out['ssl.endpoint.identification.algorithm'] = 'none';
  }
}

/** librdkafka's SASL properties for kafkajs's `sasl`, and the token provider for OAUTHBEARER. */
function saslProperties(sasl: unknown, out: ClientContext['config']): ClientContext['oauthBearerProvider'] {
  if (typeof sasl !== 'object' || sasl === null) throw bad(`Expected SASL options ({ mechanism, ... }) for sasl but received ${describe(sasl)}`);
  const options = sasl as { [key: string]: unknown };
  const mechanism = typeof options.mechanism === 'string' ? options.mechanism.toLowerCase() : options.mechanism;
  if (typeof mechanism !== 'string' || !(mechanism in SASL_MECHANISMS)) {
    const why = mechanism === 'aws' ? ' (AWS IAM is not a mechanism librdkafka has)' : typeof options.authenticationProvider === 'function' ? ' (custom authentication providers need kafkajs\'s own network layer)' : '';
    throw bad(`Unsupported SASL mechanism ${describe(options.mechanism)}${why}: use plain, scram-sha-256, scram-sha-512 or oauthbearer`);
  }
  out['sasl.mechanisms'] = SASL_MECHANISMS[mechanism];
  if (mechanism === 'oauthbearer') {
    const provider = options.oauthBearerProvider;
    if (typeof provider !== 'function') throw bad(`Expected a function for sasl.oauthBearerProvider but received ${describe(provider)}`);
    return () => (provider as () => Promise<OAuthBearerToken>)();
  }
  for (const field of ['username', 'password'] as const) {
    if (typeof options[field] !== 'string') throw bad(`Expected a string for sasl.${field} but received ${describe(options[field])}`);
  }
  out['sasl.username'] = options.username as string;
  out['sasl.password'] = options.password as string;
  return undefined;
}

/**
 * The context `new Kafka(config)` hands its clients. kafkajs's options map onto librdkafka's
 * properties; in the @confluentinc/kafka-javascript shape, a librdkafka property given beside the
 * `kafkaJS` block wins over what the block maps to (it is the more specific of the two).
 */
export function kafkaContext(config: unknown): KafkaContext {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw bad(`Expected a configuration object for new Kafka() but received ${describe(config)}`);
  const confluentShape = 'kafkaJS' in config;
  const outer: { [key: string]: unknown } = confluentShape ? { ...config } : {};
  delete outer.kafkaJS;
  const options = (confluentShape ? ((config as ConfluentKafkaConfig).kafkaJS ?? {}) : config) as { [key: string]: unknown };
  if (typeof options !== 'object' || options === null) throw bad(`Expected an object for kafkaJS but received ${describe(options)}`);
  const unknown = Object.keys(options).filter((key) => !KAFKA_KEYS.has(key));
  if (unknown.length > 0) throw bad(`Unknown Kafka configuration option '${unknown[0]}' (kafkajs's options: ${[...KAFKA_KEYS].join(', ')}${confluentShape ? '; librdkafka properties go beside the kafkaJS block' : ''})`);

  if (options.socketFactory !== undefined) throw bad('socketFactory is not supported: librdkafka opens its own sockets (a proxy or custom TLS goes in librdkafka properties beside a kafkaJS block)');

  const out: ClientContext['config'] = {};
  let brokers: BrokersFunction | undefined;
  if (typeof options.brokers === 'function') brokers = options.brokers as BrokersFunction;
  else if (options.brokers !== undefined || !('bootstrap.servers' in outer)) out['bootstrap.servers'] = brokerList(options.brokers);
  out['client.id'] = options.clientId === undefined ? 'kafkajs' : String(options.clientId);

  const ssl = options.ssl !== undefined && options.ssl !== false;
  if (ssl) sslProperties(options.ssl, out);
  const oauthBearerProvider = options.sasl === undefined || options.sasl === null ? undefined : saslProperties(options.sasl, out);
  if (ssl || 'sasl.mechanisms' in out) out['security.protocol'] = `${'sasl.mechanisms' in out ? 'sasl_' : ''}${ssl ? 'ssl' : 'plaintext'}`;

  // kafkajs times connecting and authenticating apart; librdkafka has one limit for both.
  if (options.connectionTimeout !== undefined || options.authenticationTimeout !== undefined) {
    const connect = options.connectionTimeout === undefined ? 1000 : milliseconds(options.connectionTimeout, 'connectionTimeout');
    const authenticate = options.authenticationTimeout === undefined ? 10000 : milliseconds(options.authenticationTimeout, 'authenticationTimeout');
    out['socket.connection.setup.timeout.ms'] = Math.max(1000, connect + authenticate);
  }
  if (options.requestTimeout !== undefined) out['socket.timeout.ms'] = Math.max(10, milliseconds(options.requestTimeout, 'requestTimeout'));
  if (options.enforceRequestTimeout === false) out['socket.timeout.ms'] = 300000; // librdkafka always times requests out: 5 minutes

  if (options.retry !== undefined && (typeof options.retry !== 'object' || options.retry === null)) throw bad(`Expected retry options for retry but received ${describe(options.retry)}`);
  const level = options.logLevel === undefined ? logLevel.INFO : options.logLevel;
  if (!Object.values(logLevel).includes(level as logLevel)) throw bad(`Expected one of logLevel's values (${Object.entries(logLevel).map(([k, v]) => `${k}=${v}`).join(', ')}) for logLevel but received ${describe(level)}`);
  if (options.logCreator !== undefined && typeof options.logCreator !== 'function') throw bad(`Expected a function for logCreator but received ${describe(options.logCreator)}`);
  const kafkaLogger = createLogger(level as logLevel, (options.logCreator as logCreator | undefined) ?? consoleLogCreator);

  for (const [key, value] of Object.entries(outer)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw bad(`Expected a string, number or boolean for librdkafka property '${key}' but received ${describe(value)}`);
    out[key] = value;
  }
  return {
    config: out,
    logger: clientLogger(kafkaLogger),
    retry: (options.retry as RetryOptions | undefined) ?? {},
    oauthBearerProvider,
    confluentShape,
    kafkaLogger,
    brokers,
  };
}

/** The librdkafka properties a client connects with: the context's, with `brokers` asked now when it is a function. */
export async function connectConfig(context: ClientContext & { brokers?: BrokersFunction }): Promise<ClientContext['config']> {
  if (context.brokers === undefined) return context.config;
  let brokers: string[];
  try {
    brokers = await context.brokers();
  } catch (error) {
    // As kafkajs: a function that throws is a connection error (retriable), naming what it threw.
    throw new KafkaJSConnectionError(`Failed to connect: "config.brokers" threw: ${error instanceof Error ? error.message : String(error)}`, { cause: error instanceof Error ? error : undefined });
  }
  return { ...context.config, 'bootstrap.servers': brokerList(brokers) };
}
