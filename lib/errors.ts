// One error class for everything Kafka says no to, carrying librdkafka's code and name.
import type { EventEmitter } from 'node:events';
import { capi, type KafkaHandle } from './native';

/** librdkafka error codes this package acts on (rd_kafka_resp_err_t). */
export const ErrorCode = {
  NO_ERROR: 0,
  /** Consume: nothing yet (the C-style API's "no message"). */
  NO_MESSAGE: 1,
  _BAD_MSG: -199,
  _MSG_TIMED_OUT: -192,
  _UNKNOWN_PARTITION: -190,
  _ALL_BROKERS_DOWN: -187,
  _INVALID_ARG: -186,
  _TIMED_OUT: -185,
  _QUEUE_FULL: -184,
  _STATE: -172,
  /** The broker (e.g. the embedded one) does not support the request. */
  _UNSUPPORTED_FEATURE: -165,
  _NO_OFFSET: -168,
  _TRANSPORT: -195,
  _PURGE_QUEUE: -152,
  _FATAL: -150,
  _AUTHENTICATION: -169,
  _PARTITION_EOF: -191,
  UNKNOWN_TOPIC_OR_PART: 3,
  MSG_SIZE_TOO_LARGE: 10,
} as const;

// Failures worth retrying as they are: the broker or the network will likely recover.
const RETRIABLE = new Set<number>([
  -195, // _TRANSPORT
  -193, // _RESOLVE
  -192, // _MSG_TIMED_OUT
  -188, // _UNKNOWN_TOPIC (not in the metadata yet)
  -187, // _ALL_BROKERS_DOWN
  -185, // _TIMED_OUT
  -184, // _QUEUE_FULL
  3, // UNKNOWN_TOPIC_OR_PART
  5, // LEADER_NOT_AVAILABLE
  6, // NOT_LEADER_FOR_PARTITION
  7, // REQUEST_TIMED_OUT
  8, // BROKER_NOT_AVAILABLE
  13, // NETWORK_EXCEPTION
  14, // COORDINATOR_LOAD_IN_PROGRESS
  15, // COORDINATOR_NOT_AVAILABLE
  16, // NOT_COORDINATOR
  19, // NOT_ENOUGH_REPLICAS
  20, // NOT_ENOUGH_REPLICAS_AFTER_APPEND
  27, // REBALANCE_IN_PROGRESS
]);

// Failures after which the client cannot go on as it is: a consumer's reads end with them.
const FATAL = new Set<number>([
  -150, // _FATAL (rd_kafka_fatal_error: e.g. a fenced static member, an idempotence failure)
  -169, // _AUTHENTICATION
  -144, // _FENCED
  29, // TOPIC_AUTHORIZATION_FAILED
  30, // GROUP_AUTHORIZATION_FAILED
  31, // CLUSTER_AUTHORIZATION_FAILED
  58, // SASL_AUTHENTICATION_FAILED
  82, // FENCED_INSTANCE_ID
  90, // PRODUCER_FENCED
]);

/** How librdkafka classified an error, where it says more than the code does. */
export interface KafkaErrorFlags {
  retriable?: boolean;
  fatal?: boolean;
  abortable?: boolean;
}

export class KafkaError extends Error {
  /** librdkafka's numeric code: negative for local errors, positive for broker errors. */
  readonly code: number;
  /** The symbolic name, e.g. `ERR__QUEUE_FULL` or `ERR_UNKNOWN_TOPIC_OR_PART`. */
  readonly codeName: string;
  /** Whether the same call may succeed if tried again later. */
  readonly retriable: boolean;
  /** Whether the client cannot go on: authentication or authorization refused, fenced, or librdkafka's fatal error. */
  readonly fatal: boolean;
  /** Whether the current transaction must be aborted (it cannot be committed). */
  readonly abortable: boolean;

  constructor(code: number, message?: string, flags: KafkaErrorFlags = {}) {
    super(message || capi.DRMessageError(code));
    this.name = 'KafkaError';
    this.code = code;
    this.codeName = `ERR_${capi.ErrorName(code)}`;
    this.fatal = flags.fatal ?? FATAL.has(code);
    this.retriable = !this.fatal && (flags.retriable ?? RETRIABLE.has(code));
    this.abortable = flags.abortable ?? false;
  }
}

/**
 * True for a client error saying the client cannot log in to or trust the cluster: a refused
 * password or token, a certificate we refused or the broker refused (a TLS alert, which
 * librdkafka reports as a transport failure). KafkaHandle::IsSecurityFailure is the same rule.
 */
export function isSecurityFailure(code: number, message: string): boolean {
  return code === -169 || code === -181 || code === 58 || (code === -195 && message.includes('SSL alert'));
}

/** A client's error as a KafkaError; ERR__FATAL carries its cause (rd_kafka_fatal_error). */
export function clientError(handle: KafkaHandle, code: number, message: string, client: 'consumer' | 'producer'): KafkaError {
  if (code !== ErrorCode._FATAL) return new KafkaError(code, message);
  const [cause, reason] = capi.FatalError(handle);
  return new KafkaError(cause === 0 ? code : cause, `Fatal ${client} error: ${reason || message}`, { fatal: true });
}

/**
 * Emits `'error'` when somebody listens: unlike a plain EventEmitter, a client without a listener
 * never throws (its errors are logged), and a listener's own bug surfaces as an uncaught
 * exception, never inside the client.
 */
export function emitError(emitter: EventEmitter<{ error: [KafkaError] }>, error: KafkaError): void {
  if (emitter.listenerCount('error') === 0) return;
  try {
    emitter.emit('error', error);
  } catch (listenerError) {
    queueMicrotask(() => {
      throw listenerError;
    });
  }
}

/** Throws a KafkaError unless `code` is 0. */
export function check(code: number, message?: string): void {
  if (code !== 0) throw new KafkaError(code, message);
}
