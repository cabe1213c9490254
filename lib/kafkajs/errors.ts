// kafkajs's error classes, with the names, fields and `retriable` flags kafkajs programs test for.
import { KafkaError } from '../errors';

export interface KafkaJSErrorOptions {
  retriable?: boolean;
  cause?: Error;
}

export class KafkaJSError extends Error {
  readonly retriable: boolean;
  readonly helpUrl?: string;
  override readonly cause?: Error;

  constructor(e: Error | string, { retriable = true, cause }: KafkaJSErrorOptions = {}) {
    super(typeof e === 'string' ? e : e.message);
    this.name = 'KafkaJSError';
    this.retriable = retriable;
    this.cause = cause;
  }
}

export class KafkaJSNonRetriableError extends KafkaJSError {
  constructor(e: Error | string, { cause }: { cause?: Error } = {}) {
    super(e, { retriable: false, cause });
    this.name = 'KafkaJSNonRetriableError';
  }
}

/** A broker's (or librdkafka's) error code: `type` is the Kafka protocol's name, e.g. `UNKNOWN_TOPIC_OR_PARTITION`. */
export class KafkaJSProtocolError extends KafkaJSError {
  readonly type: string;
  readonly code: number;

  // A broker error ({ message, type, code, retriable }), or as kafkajs declares it, an Error or a message.
  constructor(e: ProtocolErrorLike | Error | string, options: KafkaJSErrorOptions = {}) {
    const given = (typeof e === 'string' ? {} : e) as Partial<ProtocolErrorLike>;
    super(typeof e === 'string' ? e : e.message, { retriable: options.retriable ?? given.retriable ?? true, cause: options.cause });
    this.type = given.type ?? 'UNKNOWN';
    this.code = given.code ?? -1;
    this.name = 'KafkaJSProtocolError';
  }
}

interface ProtocolErrorLike {
  message: string;
  type: string;
  code: number;
  retriable: boolean;
}

export class KafkaJSOffsetOutOfRange extends KafkaJSProtocolError {
  readonly topic: string;
  readonly partition: number;
  constructor(e: ConstructorParameters<typeof KafkaJSProtocolError>[0], { topic, partition }: { topic: string; partition: number } = { topic: '', partition: -1 }) {
    super(e);
    this.topic = topic;
    this.partition = partition;
    this.name = 'KafkaJSOffsetOutOfRange';
  }
}

export class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  readonly retryCount: number;
  readonly retryTime: number;
  constructor(e: Error | string, { retryCount = 0, retryTime = 0 }: { retryCount?: number; retryTime?: number } = {}) {
    super(e, { cause: typeof e === 'string' ? undefined : e });
    this.stack = `KafkaJSNumberOfRetriesExceeded\n  Caused by: ${typeof e === 'string' ? e : e.stack}`;
    this.retryCount = retryCount;
    this.retryTime = retryTime;
    this.name = 'KafkaJSNumberOfRetriesExceeded';
  }
}

export class KafkaJSConnectionError extends KafkaJSError {
  readonly broker?: string;
  readonly code?: string;
  constructor(e: Error | string, { broker, code, cause }: { broker?: string; code?: string; cause?: Error } = {}) {
    super(e, { cause });
    this.broker = broker;
    this.code = code;
    this.name = 'KafkaJSConnectionError';
  }
}

/** kafkajs's request fields are set when known: librdkafka's _TIMED_OUT does not say which request to which broker timed out. */
export class KafkaJSRequestTimeoutError extends KafkaJSError {
  readonly broker?: string;
  readonly correlationId?: number;
  readonly createdAt?: number;
  readonly sentAt?: number;
  readonly pendingDuration?: number;
  constructor(e: Error | string, options: KafkaJSErrorOptions & { broker?: string; clientId?: string; correlationId?: number; createdAt?: number; sentAt?: number; pendingDuration?: number } = {}) {
    super(e, options);
    this.name = 'KafkaJSRequestTimeoutError';
    this.broker = options.broker;
    this.correlationId = options.correlationId;
    this.createdAt = options.createdAt;
    this.sentAt = options.sentAt;
    this.pendingDuration = options.pendingDuration;
  }
}

export class KafkaJSMetadataNotLoaded extends KafkaJSError {
  constructor(e: Error | string = 'KafkaJSMetadataNotLoaded') {
    super(e);
    this.name = 'KafkaJSMetadataNotLoaded';
  }
}

export class KafkaJSTopicMetadataNotLoaded extends KafkaJSMetadataNotLoaded {
  readonly topic: string;
  constructor(e: Error | string, { topic }: { topic: string }) {
    super(e);
    this.topic = topic;
    this.name = 'KafkaJSTopicMetadataNotLoaded';
  }
}

export class KafkaJSStaleTopicMetadataAssignment extends KafkaJSError {
  readonly topic: string;
  readonly unknownPartitions: number[];
  constructor(e: Error | string, { topic, unknownPartitions }: { topic: string; unknownPartitions: number[] }) {
    super(e);
    this.topic = topic;
    this.unknownPartitions = unknownPartitions;
    this.name = 'KafkaJSStaleTopicMetadataAssignment';
  }
}

export class KafkaJSDeleteGroupsError extends KafkaJSError {
  readonly groups: Array<{ groupId: string; errorCode: number; error?: KafkaJSError }>;
  constructor(e: Error | string, groups: KafkaJSDeleteGroupsError['groups'] = []) {
    super(e);
    this.groups = groups;
    this.name = 'KafkaJSDeleteGroupsError';
  }
}

export class KafkaJSServerDoesNotSupportApiKey extends KafkaJSNonRetriableError {
  readonly apiKey?: number;
  readonly apiName?: string;
  constructor(e: Error | string, { apiKey, apiName }: { apiKey?: number; apiName?: string } = {}) {
    super(e);
    this.apiKey = apiKey;
    this.apiName = apiName;
    this.name = 'KafkaJSServerDoesNotSupportApiKey';
  }
}

export class KafkaJSBrokerNotFound extends KafkaJSError {
  constructor(e: Error | string = 'KafkaJSBrokerNotFound') {
    super(e);
    this.name = 'KafkaJSBrokerNotFound';
  }
}

export class KafkaJSPartialMessageError extends KafkaJSNonRetriableError {
  constructor(e: Error | string = 'KafkaJSPartialMessageError') {
    super(e);
    this.name = 'KafkaJSPartialMessageError';
  }
}

export class KafkaJSSASLAuthenticationError extends KafkaJSNonRetriableError {
  constructor(e: Error | string = 'KafkaJSSASLAuthenticationError', options: { cause?: Error } = {}) {
    super(e, options);
    this.name = 'KafkaJSSASLAuthenticationError';
  }
}

export class KafkaJSGroupCoordinatorNotFound extends KafkaJSNonRetriableError {
  constructor(e: Error | string = 'KafkaJSGroupCoordinatorNotFound') {
    super(e);
    this.name = 'KafkaJSGroupCoordinatorNotFound';
  }
}

export class KafkaJSNotImplemented extends KafkaJSNonRetriableError {
  constructor(e: Error | string = 'KafkaJSNotImplemented') {
    super(e);
    this.name = 'KafkaJSNotImplemented';
  }
}

export class KafkaJSTimeout extends KafkaJSNonRetriableError {
  constructor(e: Error | string = 'KafkaJSTimeout', options: { cause?: Error } = {}) {
    super(e, options);
    this.name = 'KafkaJSTimeout';
  }
}

export class KafkaJSLockTimeout extends KafkaJSTimeout {
  constructor(e: Error | string = 'KafkaJSLockTimeout') {
    super(e);
    this.name = 'KafkaJSLockTimeout';
  }
}

export class KafkaJSUnsupportedMagicByteInMessageSet extends KafkaJSNonRetriableError {
  constructor(e: Error | string = 'KafkaJSUnsupportedMagicByteInMessageSet') {
    super(e);
    this.name = 'KafkaJSUnsupportedMagicByteInMessageSet';
  }
}

export class KafkaJSDeleteTopicRecordsError extends KafkaJSError {
  readonly partitions: Array<{ partition: number; offset: string; error?: KafkaJSError }>;
  constructor({ partitions }: { topic?: string; partitions: KafkaJSDeleteTopicRecordsError['partitions'] }) {
    // Retriable only when every failed partition's error is.
    const retriable = partitions.filter(({ error }) => error != null).every(({ error }) => error?.retriable === true);
    super('Error while deleting records', { retriable });
    this.partitions = partitions;
    this.name = 'KafkaJSDeleteTopicRecordsError';
  }
}

export class KafkaJSInvariantViolation extends KafkaJSNonRetriableError {
  constructor(e: Error | string) {
    super(e);
    this.name = 'KafkaJSInvariantViolation';
  }
}

export class KafkaJSCreateTopicError extends KafkaJSProtocolError {
  readonly topic: string;
  constructor(e: ConstructorParameters<typeof KafkaJSProtocolError>[0], topicName: string) {
    super(e);
    this.topic = topicName;
    this.name = 'KafkaJSCreateTopicError';
  }
}

export class KafkaJSAlterPartitionReassignmentsError extends KafkaJSProtocolError {
  readonly topic?: string;
  readonly partition?: number;
  constructor(e: ConstructorParameters<typeof KafkaJSProtocolError>[0], topicName?: string, partition?: number) {
    super(e);
    this.topic = topicName;
    this.partition = partition;
    this.name = 'KafkaJSAlterPartitionReassignmentsError';
  }
}

export class KafkaJSAggregateError extends Error {
  readonly errors: (Error | string)[];
  constructor(message: Error | string, errors: (Error | string)[]) {
    super(typeof message === 'string' ? message : message.message);
    this.errors = errors;
    this.name = 'KafkaJSAggregateError';
  }
}

export class KafkaJSNoBrokerAvailableError extends KafkaJSError {
  constructor() {
    super('No broker available');
    this.name = 'KafkaJSNoBrokerAvailableError';
  }
}

/**
 * librdkafka's names for Kafka protocol errors where they differ from the protocol's (and so
 * kafkajs's `type`): librdkafka shortens a few.
 */
const PROTOCOL_NAMES: { [librdkafkaName: string]: string } = {
  UNKNOWN_TOPIC_OR_PART: 'UNKNOWN_TOPIC_OR_PARTITION',
  NOT_LEADER_FOR_PARTITION: 'NOT_LEADER_FOR_PARTITION',
  MSG_SIZE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  INVALID_MSG: 'CORRUPT_MESSAGE',
  INVALID_MSG_SIZE: 'INVALID_FETCH_SIZE',
};

/**
 * A KafkaError as the kafkajs error class a kafkajs program expects: broker codes become
 * KafkaJSProtocolError with the protocol's name in `type`; local ones keep librdkafka's classes.
 * The original error is the `cause`.
 */
export function toKafkaJSError(error: unknown): Error {
  if (error instanceof KafkaJSError || !(error instanceof KafkaError)) return error instanceof Error ? error : new KafkaJSError(String(error));
  const name = error.codeName.replace(/^ERR_/, '');
  // A refused login is kafkajs's SASL error whether the broker or librdkafka said it.
  if (error.code === 58 /* SASL_AUTHENTICATION_FAILED */) return new KafkaJSSASLAuthenticationError(error.message, { cause: error });
  // librdkafka's local "unknown topic" is the broker's UNKNOWN_TOPIC_OR_PARTITION to kafkajs.
  if (error.code === -188 /* _UNKNOWN_TOPIC */) return new KafkaJSProtocolError({ message: error.message, type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true }, { cause: error });
  if (error.code > 0) {
    const type = PROTOCOL_NAMES[name] ?? name;
    return new KafkaJSProtocolError({ message: error.message, type, code: error.code, retriable: error.retriable }, { cause: error });
  }
  if (error.code === -169 /* _AUTHENTICATION */) return new KafkaJSSASLAuthenticationError(error.message, { cause: error });
  if (error.code === -185 /* _TIMED_OUT */) return new KafkaJSRequestTimeoutError(error.message, { cause: error });
  // A TLS handshake that failed (-181 _SSL) is a connection error to kafkajs, as transport failures are.
  if (error.code === -195 || error.code === -187 || error.code === -181) return new KafkaJSConnectionError(error.message, { cause: error });
  return error.retriable ? new KafkaJSError(error.message, { cause: error }) : new KafkaJSNonRetriableError(error.message, { cause: error });
}
