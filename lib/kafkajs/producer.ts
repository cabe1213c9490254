// kafkajs's producer over our Producer: send and sendBatch resolve with kafkajs's RecordMetadata
// (one entry per partition written, offsets as strings), transactions on librdkafka's, and
// kafkajs's error classes. A send is one Producer.sendBatch per topic and partition run: no
// promise per message.
import { EventEmitter } from 'node:events';
import { capi } from '../native';
import { KafkaError } from '../errors';
import type { Logger } from '../logger';
import { Producer, type DeliveredColumns, type DeliveryResult, type ProducerRecord as NativeRecord } from '../producer';
import { describe, topicNameProblem } from '../validate';
import type { ClientContext, RetryOptions } from './context';
import { connectConfig, type BrokersFunction } from './config';
import { KafkaJSConnectionError, KafkaJSError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, toKafkaJSError } from './errors';
import { createLogger, logLevel, type KafkaJSLogger } from './logger';
import { DefaultPartitioner, type ICustomPartitioner, type Message, type PartitionMetadata } from './partitioners';

export const CompressionTypes = { None: 0, GZIP: 1, Snappy: 2, LZ4: 3, ZSTD: 4 } as const;
export type CompressionTypes = (typeof CompressionTypes)[keyof typeof CompressionTypes];

/** kafkajs's codec registry: librdkafka has every codec built in, so what is put here is never called. */
export const CompressionCodecs: { [type: number]: () => unknown } = {};

const CODEC_NAMES: { [type: number]: string } = { 0: 'none', 1: 'gzip', 2: 'snappy', 3: 'lz4', 4: 'zstd' };

export type { IHeaders, Message } from './partitioners';

export interface ProducerRecord {
  topic: string;
  messages: Message[];
  acks?: number;
  timeout?: number;
  compression?: CompressionTypes;
}

export interface TopicMessages {
  topic: string;
  messages: Message[];
}

export interface ProducerBatch {
  acks?: number;
  timeout?: number;
  compression?: CompressionTypes;
  topicMessages?: TopicMessages[];
}

export type RecordMetadata = {
  topicName: string;
  partition: number;
  errorCode: number;
  offset?: string;
  timestamp?: string;
  baseOffset?: string;
  logAppendTime?: string;
  logStartOffset?: string;
};

export interface PartitionOffset {
  partition: number;
  offset: string;
}

export interface TopicOffsets {
  topic: string;
  partitions: PartitionOffset[];
}

export interface Offsets {
  topics: TopicOffsets[];
}

export interface ProducerConfig {
  createPartitioner?: ICustomPartitioner;
  retry?: RetryOptions;
  metadataMaxAge?: number;
  allowAutoTopicCreation?: boolean;
  idempotent?: boolean;
  transactionalId?: string;
  transactionTimeout?: number;
  maxInFlightRequests?: number;
  /** @confluentinc/kafka-javascript: the producer's acks, compression and request timeout (kafkajs sets them per send). */
  acks?: number;
  compression?: CompressionTypes;
  timeout?: number;
}

/** @confluentinc/kafka-javascript's shape: kafkajs's options in `kafkaJS`, librdkafka properties beside it. */
export interface ConfluentProducerConfig {
  kafkaJS: ProducerConfig;
  [librdkafkaProperty: string]: string | number | boolean | ProducerConfig | undefined;
}

export const PRODUCER_EVENTS = {
  CONNECT: 'producer.connect',
  DISCONNECT: 'producer.disconnect',
  REQUEST: 'producer.network.request',
  REQUEST_TIMEOUT: 'producer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size',
} as const;

export type ProducerEvents = typeof PRODUCER_EVENTS;
type ValueOf<T> = T[keyof T];

export interface InstrumentationEvent<T> {
  id: string;
  type: string;
  timestamp: number;
  payload: T;
}

export type RemoveInstrumentationEventListener<_T> = () => void;

export type ConnectEvent = InstrumentationEvent<null>;
export type DisconnectEvent = InstrumentationEvent<null>;
export type RequestEvent = InstrumentationEvent<{
  apiKey: number;
  apiName: string;
  apiVersion: number;
  broker: string;
  clientId: string;
  correlationId: number;
  createdAt: number;
  duration: number;
  pendingDuration: number;
  sentAt: number;
  size: number;
}>;
/** From librdkafka's request time-out lines: apiVersion and correlationId are -1 (librdkafka does not say them). */
export type RequestTimeoutEvent = InstrumentationEvent<{
  apiKey: number;
  apiName: string;
  apiVersion: number;
  broker: string;
  clientId: string;
  correlationId: number;
  createdAt: number;
  pendingDuration: number;
  sentAt: number;
}>;
export type RequestQueueSizeEvent = InstrumentationEvent<{ broker: string; clientId: string; queueSize: number }>;

/** Kafka's API keys by the names librdkafka's time-out lines use (e.g. "ProduceRequest"). */
const API_KEYS: { [name: string]: number } = {
  Produce: 0, Fetch: 1, ListOffsets: 2, Offset: 2, Metadata: 3, OffsetCommit: 8, OffsetFetch: 9, FindCoordinator: 10, JoinGroup: 11, Heartbeat: 12,
  LeaveGroup: 13, SyncGroup: 14, DescribeGroups: 15, ListGroups: 16, SaslHandshake: 17, ApiVersion: 18, CreateTopics: 19, DeleteTopics: 20,
  DeleteRecords: 21, InitProducerId: 22, AddPartitionsToTxn: 24, AddOffsetsToTxn: 25, EndTxn: 26, TxnOffsetCommit: 28, SaslAuthenticate: 36,
};

export interface Transaction {
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>;
  /** kafkajs: `{ consumerGroupId, topics }`; @confluentinc/kafka-javascript: `{ consumer, topics }` (a consumer with `groupId()` or our Consumer). */
  sendOffsets(offsets: Offsets & { consumerGroupId?: string; consumer?: unknown }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  isActive(): boolean;
}

const PRODUCER_KEYS = new Set(['createPartitioner', 'retry', 'metadataMaxAge', 'allowAutoTopicCreation', 'idempotent', 'transactionalId', 'transactionTimeout', 'maxInFlightRequests', 'acks', 'compression', 'timeout']);
/** Send settings a producer serves with librdkafka instances of their own, at most this many besides its first. */
const MAX_EXTRA_PROFILES = 4;
const DEFAULT_REQUEST_TIMEOUT_MS = 30000;
/** librdkafka's linger for a kafkajs producer: 1 ms keeps a send's messages in one request without delaying it. */
const DEFAULT_LINGER_MS = 1;
const CONNECT_TIMEOUT_MS = 10000;
/** Metadata of a topic a custom partitioner is called for, fetched once per send that misses it. */
const METADATA_TIMEOUT_MS = 10000;

type Status = 'disconnected' | 'connecting' | 'connected' | 'disconnecting';

/** One message ready for our Producer, with the partition a JavaScript partitioner chose. */
type Prepared = NativeRecord<Buffer | string | null, Buffer | string | null> & { partition: number };

/** The acks, compression and request timeout a send asks for. */
interface Profile {
  acks: number;
  compression: CompressionTypes;
  timeout: number;
}

function bad(message: string): KafkaJSNonRetriableError {
  return new KafkaJSNonRetriableError(message);
}

function isBytes(value: unknown): value is Buffer | string {
  return typeof value === 'string' || value instanceof Uint8Array;
}

/**
 * The producer `kafka.producer(config)` returns. Messages go through one librdkafka producer (and,
 * for sends asking other acks, compression or timeout than the producer's, one more per such set).
 */
export class KafkaJSProducer {
  readonly events: ProducerEvents = PRODUCER_EVENTS;
  readonly #context: ClientContext & { brokers?: BrokersFunction };
  readonly #properties: ClientContext['config'];
  readonly #logger: KafkaJSLogger;
  readonly #clientLogger: Logger;
  /** A JavaScript partitioner (null: librdkafka's murmur2_random, which is kafkajs's default placement). */
  readonly #partitioner: ReturnType<ICustomPartitioner> | null;
  readonly #idempotent: boolean;
  readonly #transactional: boolean;
  readonly #base: Profile;
  readonly #metadataMaxAge: number;
  readonly #emitter = new EventEmitter();
  #eventId = 0;
  #status: Status = 'disconnected';
  /** The producers by profile key; the first is the producer's own settings. */
  #producers = new Map<string, Producer>();
  #metadata = new Map<string, { partitions: PartitionMetadata[]; at: number }>();
  #transactionsReady = false;
  #transaction: { ended: boolean } | undefined;

  constructor(context: ClientContext, config: ProducerConfig | ConfluentProducerConfig = {}) {
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw bad(`Expected producer options for kafka.producer() but received ${describe(config)}`);
    this.#context = context;
    const confluent = 'kafkaJS' in config;
    const options = (confluent ? ((config as ConfluentProducerConfig).kafkaJS ?? {}) : config) as ProducerConfig & { [key: string]: unknown };
    const unknown = Object.keys(options).filter((key) => !PRODUCER_KEYS.has(key));
    if (unknown.length > 0) throw bad(`Unknown producer option '${unknown[0]}' (kafkajs's producer options: ${[...PRODUCER_KEYS].join(', ')}${confluent ? '; librdkafka properties go beside the kafkaJS block' : ''})`);
    const kafkaLogger = (context as { kafkaLogger?: KafkaJSLogger }).kafkaLogger ?? createLogger(logLevel.INFO, () => () => undefined);
    this.#logger = kafkaLogger.namespace('Producer');
    this.#clientLogger = this.#tapRequestTimeouts(context.logger);

    const properties: ClientContext['config'] = { ...context.config };
    const retry = { ...context.retry, ...options.retry };
    this.#idempotent = options.idempotent === true || options.transactionalId !== undefined;
    this.#transactional = options.transactionalId !== undefined;
    // As kafkajs: the producer's retry over the Kafka config's, checked together.
    if (options.idempotent === true && retry.retries !== undefined && retry.retries < 1) throw bad('Idempotent producer must allow retries to protect against transient errors');
    if (options.idempotent === true) properties['enable.idempotence'] = true;
    if (options.transactionalId !== undefined) {
      if (typeof options.transactionalId !== 'string' || options.transactionalId === '') throw bad(`Expected a non-empty string for transactionalId but received ${describe(options.transactionalId)}`);
      properties['transactional.id'] = options.transactionalId;
    }
    if (options.transactionTimeout !== undefined) properties['transaction.timeout.ms'] = options.transactionTimeout;
    // kafkajs: "if falsey then no limit" (librdkafka's default is practically none).
    if (options.maxInFlightRequests) properties['max.in.flight.requests.per.connection'] = options.maxInFlightRequests;
    if (options.allowAutoTopicCreation !== undefined) properties['allow.auto.create.topics'] = options.allowAutoTopicCreation;
    this.#metadataMaxAge = options.metadataMaxAge ?? 300000;
    if (options.metadataMaxAge !== undefined) properties['metadata.max.age.ms'] = options.metadataMaxAge;
    if (retry.retries !== undefined) properties['message.send.max.retries'] = retry.retries;
    if (retry.initialRetryTime !== undefined) properties['retry.backoff.ms'] = retry.initialRetryTime;

    const createPartitioner = options.createPartitioner;
    if (createPartitioner !== undefined && typeof createPartitioner !== 'function') throw bad(`Expected a function for createPartitioner but received ${describe(createPartitioner)}`);
    const native = createPartitioner === undefined || createPartitioner === DefaultPartitioner;
    this.#partitioner = native ? null : createPartitioner();
    if (native && !('partitioner' in properties)) properties.partitioner = 'murmur2_random';

    this.#base = { acks: -1, compression: CompressionTypes.None, timeout: DEFAULT_REQUEST_TIMEOUT_MS };
    const base = this.#profile(options.acks, options.compression, options.timeout, this.#base);
    this.#base = base;
    properties.acks = base.acks;
    properties['compression.type'] = CODEC_NAMES[base.compression];
    properties['request.timeout.ms'] = base.timeout;
    // kafkajs sends each send() at once; librdkafka's 5 ms default linger made every send wait that long.
    if (!('linger.ms' in properties) && !('queue.buffering.max.ms' in properties)) properties['linger.ms'] = DEFAULT_LINGER_MS;
    // A librdkafka property given beside the kafkaJS block wins (see config.ts).
    if (confluent) {
      for (const [key, value] of Object.entries(config)) {
        if (key === 'kafkaJS') continue;
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw bad(`Expected a string, number or boolean for librdkafka property '${key}' but received ${describe(value)}`);
        properties[key] = value;
      }
    }
    this.#properties = properties;
  }

  /** Opens the connection: resolves once a broker answered (rejects with KafkaJSConnectionError when none did). */
  async connect(): Promise<void> {
    if (this.#status === 'connected') return;
    this.#status = 'connecting';
    try {
      const producer = await this.#producerFor(this.#base);
      const result = await capi.Metadata(producer.handle, [], CONNECT_TIMEOUT_MS);
      if (result[0] !== 0) {
        const [code, message] = result as [number, string];
        const error = toKafkaJSError(new KafkaError(code, message));
        throw error instanceof KafkaJSError && error.name !== 'KafkaJSError' && error.name !== 'KafkaJSNonRetriableError' && error.name !== 'KafkaJSRequestTimeoutError'
          ? error
          : new KafkaJSConnectionError(`Connection error: ${message}`, { cause: error });
      }
    } catch (error) {
      this.#status = 'disconnected';
      await this.#closeAll();
      throw toKafkaJSError(error);
    }
    this.#status = 'connected';
    this.#emit(PRODUCER_EVENTS.CONNECT, null);
  }

  /** Delivers what is in flight, then closes. */
  async disconnect(): Promise<void> {
    // A transaction() before connect() has made a librdkafka producer too: close it as well.
    if (this.#status === 'disconnected' && this.#producers.size === 0) return;
    this.#status = 'disconnecting';
    await this.#closeAll();
    this.#status = 'disconnected';
    this.#transaction = undefined;
    this.#transactionsReady = false;
    this.#emit(PRODUCER_EVENTS.DISCONNECT, null);
  }

  isIdempotent(): boolean {
    return this.#idempotent;
  }

  logger(): KafkaJSLogger {
    return this.#logger;
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (typeof record !== 'object' || record === null) return Promise.reject(bad(`Expected { topic, messages } for send() but received ${describe(record)}`));
    const { topic, messages, acks, timeout, compression } = record;
    return this.sendBatch({ acks, timeout, compression, topicMessages: [{ topic, messages }] });
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    if (this.#transactional) {
      return Promise.reject(bad('A transactional producer sends inside a transaction: const transaction = await producer.transaction(), then transaction.send()'));
    }
    return this.#sendBatch(batch);
  }

  /** @confluentinc/kafka-javascript: waits until every message sent so far is delivered. */
  async flush({ timeout = 30000 }: { timeout?: number } = {}): Promise<void> {
    try {
      await Promise.all([...this.#producers.values()].map((p) => p.flush(timeout)));
    } catch (error) {
      throw toKafkaJSError(error);
    }
  }

  /** Begins a transaction; its `send`, `sendBatch` and `sendOffsets` belong to it until `commit` or `abort`. */
  async transaction(): Promise<Transaction> {
    if (!this.#transactional) throw bad('Must provide transactional id for transactional producer');
    if (this.#transaction !== undefined && !this.#transaction.ended) {
      throw bad('There is already an ongoing transaction for this producer. Please end the transaction before beginning another.');
    }
    const producer = await this.#producerFor(this.#base);
    try {
      if (!this.#transactionsReady) {
        await producer.initTransactions();
        this.#transactionsReady = true;
      }
      producer.beginTransaction();
    } catch (error) {
      throw toKafkaJSError(error);
    }
    const state = { ended: false };
    this.#transaction = state;
    const isActive = (): boolean => !state.ended && this.#transaction === state;
    const guard = <A extends unknown[], R>(call: (...args: A) => Promise<R>) => (...args: A): Promise<R> => {
      if (!isActive()) return Promise.reject(bad('Cannot continue to use transaction once ended'));
      return call(...args);
    };
    const end = (how: (p: Producer) => Promise<void>) => async (): Promise<void> => {
      try {
        await how(producer);
        state.ended = true;
      } catch (error) {
        const kafkaError = error instanceof KafkaError ? error : undefined;
        if (kafkaError?.fatal) state.ended = true; // the producer cannot go on: nothing left to end
        throw toKafkaJSError(error);
      }
    };
    return {
      send: guard((record: ProducerRecord) => {
        if (typeof record !== 'object' || record === null) return Promise.reject(bad(`Expected { topic, messages } for send() but received ${describe(record)}`));
        return this.#sendBatch({ acks: record.acks, timeout: record.timeout, compression: record.compression, topicMessages: [{ topic: record.topic, messages: record.messages }] });
      }),
      sendBatch: guard((batch: ProducerBatch) => this.#sendBatch(batch)),
      sendOffsets: guard(async (offsets: Offsets & { consumerGroupId?: string; consumer?: unknown }) => {
        const list = transactionOffsets(offsets);
        const group = offsets.consumerGroupId ?? consumerGroupOf(offsets.consumer);
        if (typeof group !== 'string' || group === '') throw bad(`Expected a consumer group id for consumerGroupId but received ${describe(offsets.consumerGroupId)}`);
        try {
          await producer.sendOffsets(group, list);
        } catch (error) {
          throw toKafkaJSError(error);
        }
      }),
      commit: guard(end((p) => p.commitTransaction())),
      abort: guard(end((p) => p.abortTransaction())),
      isActive,
    };
  }

  on(eventName: ProducerEvents['CONNECT'], listener: (event: ConnectEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: ProducerEvents['DISCONNECT'], listener: (event: DisconnectEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: ProducerEvents['REQUEST'], listener: (event: RequestEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: ProducerEvents['REQUEST_QUEUE_SIZE'], listener: (event: RequestQueueSizeEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on(eventName: ProducerEvents['REQUEST_TIMEOUT'], listener: (event: RequestTimeoutEvent) => void): RemoveInstrumentationEventListener<typeof eventName>;
  on<E extends ValueOf<ProducerEvents>>(eventName: E, listener: (event: InstrumentationEvent<never>) => void): RemoveInstrumentationEventListener<E>;
  on<E extends ValueOf<ProducerEvents>>(eventName: E, listener: (event: InstrumentationEvent<never>) => void): RemoveInstrumentationEventListener<E> {
    if (!Object.values(PRODUCER_EVENTS).includes(eventName)) {
      throw bad(`Event name should be one of ${Object.keys(PRODUCER_EVENTS).map((k) => `producer.events.${k}`).join(', ')}`);
    }
    if (typeof listener !== 'function') throw bad(`Expected a function for the listener but received ${describe(listener)}`);
    // A listener's failure is logged, never thrown into the producer, as in kafkajs.
    const wrapped = (event: InstrumentationEvent<never>): void => {
      Promise.resolve()
        .then(() => listener(event))
        .catch((error: unknown) => this.#logger.error(`Failed to execute listener: ${error instanceof Error ? error.message : String(error)}`, { eventName }));
    };
    this.#emitter.on(eventName, wrapped);
    return () => void this.#emitter.off(eventName, wrapped);
  }

  #emit(type: string, payload: unknown): void {
    this.#emitter.emit(type, { id: String(++this.#eventId), type, timestamp: Date.now(), payload });
  }

  /** Our Logger, with librdkafka's request time-outs also emitted as REQUEST_TIMEOUT. */
  #tapRequestTimeouts(logger: Logger): Logger {
    const clientId = String(this.#context.config['client.id'] ?? '');
    const tap = (level: 'error' | 'warn' | 'info' | 'debug'): Logger['warn'] => (fields, message) => {
      // e.g. "[thrd:...]: 127.0.0.1:9092/1: Timed out ProduceRequest in flight (after 30001ms, timeout #0)"
      const timedOut = fields.facility === 'REQTMOUT' ? /(?:^|\]: )([^\s/]+)\/\S*: Timed out (\w+?)Request in flight \(after (\d+)ms/.exec(message) : null;
      if (timedOut !== null) {
        const [, broker, apiName, after] = timedOut;
        const pendingDuration = Number(after);
        const sentAt = Date.now() - pendingDuration;
        this.#emit(PRODUCER_EVENTS.REQUEST_TIMEOUT, { apiKey: API_KEYS[apiName] ?? -1, apiName, apiVersion: -1, broker, clientId, correlationId: -1, createdAt: sentAt, pendingDuration, sentAt });
      }
      logger[level](fields, message);
    };
    return { error: tap('error'), warn: tap('warn'), info: tap('info'), debug: tap('debug') };
  }

  #checkConnected(): void {
    if (this.#status === 'disconnecting') throw bad("The producer is disconnecting; therefore, it can't safely accept messages anymore");
    if (this.#status !== 'connected') throw new KafkaJSError('The producer is disconnected');
  }

  /** A send's settings, checked; undefined ones are the producer's. */
  #profile(acks: unknown, compression: unknown, timeout: unknown, base: Profile): Profile {
    if (acks !== undefined && acks !== -1 && acks !== 0 && acks !== 1) throw bad(`Expected -1, 0 or 1 for acks but received ${describe(acks)}`);
    if (compression !== undefined && !(typeof compression === 'number' && compression in CODEC_NAMES)) {
      throw bad(`Expected one of CompressionTypes (${Object.entries(CompressionTypes).map(([k, v]) => `${k}=${v}`).join(', ')}) for compression but received ${describe(compression)}`);
    }
    if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > 900000)) {
      throw bad(`Expected a number of milliseconds (1 to 900000) for timeout but received ${describe(timeout)}`);
    }
    const profile = { acks: (acks as number | undefined) ?? base.acks, compression: (compression as CompressionTypes | undefined) ?? base.compression, timeout: (timeout as number | undefined) ?? base.timeout };
    return profile.acks === base.acks && profile.compression === base.compression && profile.timeout === base.timeout ? base : profile;
  }

  /** The librdkafka producer for a profile, made on first use (the producer's own at connect). */
  async #producerFor(profile: Profile): Promise<Producer> {
    const key = `${profile.acks}/${profile.compression}/${profile.timeout}`;
    const known = this.#producers.get(key);
    if (known !== undefined) return known;
    const bootstrap = await connectConfig({ ...this.#context, config: {} });
    const made = this.#producers.get(key); // by a call that was waiting alongside this one
    if (made !== undefined) return made;
    if (this.#producers.size > 0) {
      if (this.#transactional) throw bad('A transactional producer sends with its own acks, compression and timeout: set them with kafka.producer({ kafkaJS: { acks, compression, timeout } }) or librdkafka properties, not per send');
      if (this.#producers.size > MAX_EXTRA_PROFILES) throw bad(`At most ${MAX_EXTRA_PROFILES + 1} different { acks, compression, timeout } settings per producer: each is a librdkafka producer of its own`);
    }
    // The producer's own settings are in #properties already (where librdkafka properties given beside a kafkaJS block won).
    const own = profile === this.#base;
    const properties = { ...this.#properties, ...bootstrap, ...(own ? {} : { acks: profile.acks, 'compression.type': CODEC_NAMES[profile.compression], 'request.timeout.ms': profile.timeout }) };
    let producer: Producer;
    try {
      producer = new Producer(properties, { logger: this.#clientLogger, oauthBearerProvider: this.#context.oauthBearerProvider });
    } catch (error) {
      throw toKafkaJSError(error);
    }
    // Client-level errors are librdkafka's to retry; they are logged through the logger already.
    producer.on('error', () => undefined);
    this.#producers.set(key, producer);
    return producer;
  }

  async #closeAll(): Promise<void> {
    const producers = [...this.#producers.values()];
    this.#producers.clear();
    await Promise.all(producers.map((p) => p.close()));
  }

  async #sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    if (typeof batch !== 'object' || batch === null) throw bad(`Expected { topicMessages } for sendBatch() but received ${describe(batch)}`);
    const { acks, timeout, compression, topicMessages = [] } = batch;
    if (!Array.isArray(topicMessages)) throw bad(`Expected an array for topicMessages but received ${describe(topicMessages)}`);
    const profile = this.#profile(acks, compression, timeout, this.#base);
    if (this.#idempotent && profile.acks !== -1) throw bad("Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees");
    // Messages of one topic given twice go together, in order, as in kafkajs.
    const byTopic = new Map<string, Message[]>();
    for (const entry of topicMessages) {
      const topic: unknown = entry?.topic;
      if (typeof topic !== 'string' || topic === '') throw bad(`Invalid topic: expected a non-empty string but received ${describe(topic)}`);
      const problem = topicNameProblem(topic);
      if (problem !== undefined) throw new KafkaJSProtocolError({ message: `Invalid topic "${topic}": ${problem}`, type: 'INVALID_TOPIC_EXCEPTION', code: 17, retriable: false });
      const messages: unknown = entry.messages;
      if (!Array.isArray(messages)) throw bad(`Invalid messages array [${String(messages)}] for topic "${topic}"`);
      const known = byTopic.get(topic);
      if (known === undefined) byTopic.set(topic, messages as Message[]);
      else byTopic.set(topic, known.concat(messages as Message[]));
    }
    this.#checkConnected();
    const started = performance.now();
    const producer = await this.#producerFor(profile);
    const runs: Array<Promise<Run>> = [];
    for (const [topic, messages] of byTopic) {
      const prepared = messages.map((message, i) => prepare(topic, message, i));
      if (prepared.length === 0) continue;
      if (this.#partitioner !== null) await this.#place(topic, messages, prepared);
      // One Producer.sendBatch per partition run: its fast path takes one topic and partition.
      const groups = new Map<number, Prepared[]>();
      for (const record of prepared) {
        const group = groups.get(record.partition);
        if (group === undefined) groups.set(record.partition, [record]);
        else group.push(record);
      }
      for (const group of groups.values()) runs.push(sendRun(producer, topic, group));
    }
    let delivered: Run[];
    try {
      delivered = await Promise.all(runs);
    } catch (error) {
      // Our Producer's own argument checks (TypeError) are kafkajs's non-retriable errors.
      if (error instanceof TypeError) throw bad(error.message);
      const kafkajsError = toKafkaJSError(error);
      // A retriable failure reaching us is librdkafka giving up after its retries: kafkajs says that with this class.
      if (error instanceof KafkaError && error.retriable) throw new KafkaJSNumberOfRetriesExceeded(kafkajsError, { retryCount: -1, retryTime: Math.round(performance.now() - started) });
      throw kafkajsError;
    }
    return profile.acks === 0 ? [] : recordMetadata(delivered);
  }

  /** Partitions chosen by the JavaScript partitioner, with kafkajs's partitionMetadata of the topic. */
  async #place(topic: string, messages: Message[], prepared: Prepared[]): Promise<void> {
    const partitionMetadata = await this.#partitionMetadata(topic);
    for (let i = 0; i < prepared.length; i++) {
      const partition = this.#partitioner!({ topic, partitionMetadata, message: messages[i] });
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitionMetadata.length) {
        throw bad(`The partitioner returned ${describe(partition)} for a message of topic "${topic}", which has partitions 0 to ${partitionMetadata.length - 1}`);
      }
      prepared[i].partition = partition;
    }
  }

  async #partitionMetadata(topic: string): Promise<PartitionMetadata[]> {
    const cached = this.#metadata.get(topic);
    if (cached !== undefined && performance.now() - cached.at < this.#metadataMaxAge) return cached.partitions;
    const producer = await this.#producerFor(this.#base);
    const result = await capi.Metadata(producer.handle, [topic], METADATA_TIMEOUT_MS);
    if (result[0] !== 0) throw toKafkaJSError(new KafkaError(...(result as [number, string])));
    const found = (result as Exclude<typeof result, [number, string]>)[2].find(([name]) => name === topic);
    if (found === undefined || found[1] !== 0 || found[2].length === 0) {
      const code = found?.[1] || 3;
      throw toKafkaJSError(new KafkaError(code, `No metadata for topic "${topic}" (${capi.DRMessageError(code)})`));
    }
    const partitions = found[2]
      .map(([partitionId, error, leader, replicas, isr]) => ({ partitionErrorCode: error, partitionId, leader, replicas, isr, offlineReplicas: [] }))
      .sort((a, b) => a.partitionId - b.partitionId);
    this.#metadata.set(topic, { partitions, at: performance.now() });
    return partitions;
  }
}

/** A kafkajs message as our Producer's record; bad fields throw naming the message. */
function prepare(topic: string, message: Message, index: number): Prepared {
  // Named only in an error: a send of 1,000 messages would otherwise build 1,000 of these strings.
  const where = () => `message ${index} of topic "${topic}"`;
  if (typeof message !== 'object' || message === null) throw bad(`Invalid ${where()}: expected { key, value, headers, partition, timestamp } but received ${describe(message)}`);
  const { key, value, partition, headers, timestamp } = message;
  if (value === undefined) throw bad(`Invalid message without value for topic "${topic}": ${safeJson(message)}`);
  if (value !== null && !isBytes(value)) throw bad(`Invalid value of ${where()}: expected a Buffer, string or null but received ${describe(value)}`);
  if (key !== undefined && key !== null && !isBytes(key)) throw bad(`Invalid key of ${where()}: expected a Buffer, string or null but received ${describe(key)}`);
  let chosen = -1;
  if (partition !== undefined && partition !== null) {
    if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0 || partition > 2147483647) throw bad(`Invalid partition of ${where()}: expected an integer ≥ 0 but received ${describe(partition)}`);
    chosen = partition;
  }
  const record: Prepared = { topic, payload: value, key: key ?? null, partition: chosen };
  if (headers !== undefined && headers !== null) record.headers = headerPairs(headers, where());
  if (timestamp !== undefined && timestamp !== null) {
    const ms = typeof timestamp === 'number' ? timestamp : typeof timestamp === 'string' && /^\d+$/.test(timestamp) ? Number(timestamp) : NaN;
    if (!Number.isSafeInteger(ms)) throw bad(`Invalid timestamp of ${where()}: expected milliseconds since the epoch as a string but received ${describe(timestamp)}`);
    record.timestamp = ms;
  }
  return record;
}

/** kafkajs's headers object ({ name: value or values }) as [name, value] pairs, arrays as repeated names. */
function headerPairs(headers: unknown, where: string): Array<[string, Buffer | string]> {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) throw bad(`Invalid headers of ${where}: expected an object of names to values but received ${describe(headers)}`);
  const pairs: Array<[string, Buffer | string]> = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) {
      if (!isBytes(one)) throw bad(`Invalid header "${name}" of ${where}: expected a Buffer or string (or an array of them) but received ${describe(one)}`);
      pairs.push([name, one]);
    }
  }
  return pairs;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return describe(value);
  }
}

/** One topic's records of one partition run, delivered: record i at partitions[i], offsets[i]. */
type Run = DeliveredColumns & { topic: string };

/** A run through our Producer: plain messages as columns (no object per message), others as records. */
async function sendRun(producer: Producer, topic: string, group: Prepared[]): Promise<Run> {
  // One pass over the run, as it may hold thousands of messages.
  const payloads: Array<Buffer | string | null> = new Array(group.length);
  let keys: Array<Buffer | string | null> | null = null;
  let plain = true;
  for (let i = 0; i < group.length && plain; i++) {
    const r = group[i];
    plain = r.headers === undefined && r.timestamp === undefined;
    payloads[i] = r.payload as Buffer | string | null;
    if (r.key !== null) (keys ??= new Array(group.length).fill(null))[i] = r.key as Buffer | string;
  }
  if (plain) return { topic, ...(await producer.sendColumns(topic, group[0].partition, payloads, keys)) };
  const results: DeliveryResult[] = await producer.sendBatch(group);
  return { topic, partitions: Int32Array.from(results, (r) => r.partition), offsets: Float64Array.from(results, (r) => r.offset) };
}

/** kafkajs's answer: one entry per topic and partition written, baseOffset its first message's offset. */
function recordMetadata(delivered: Run[]): RecordMetadata[] {
  // Per topic, the lowest offset by partition number.
  const first = new Map<string, Map<number, number>>();
  for (const { topic, partitions: where, offsets } of delivered) {
    if (where.length === 0) continue;
    let partitions = first.get(topic);
    if (partitions === undefined) first.set(topic, (partitions = new Map()));
    for (let i = 0; i < where.length; i++) {
      const known = partitions.get(where[i]);
      if (known === undefined || offsets[i] < known) partitions.set(where[i], offsets[i]);
    }
  }
  const out: RecordMetadata[] = [];
  for (const [topicName, partitions] of first) {
    for (const [partition, offset] of partitions) out.push({ topicName, partition, errorCode: 0, baseOffset: String(offset), logAppendTime: '-1', logStartOffset: '-1' });
  }
  return out;
}

/** kafkajs's `topics` of sendOffsets as our commit offsets (offsets are strings of the next offset to read). */
function transactionOffsets(offsets: unknown): Array<{ topic: string; partition: number; offset: number }> {
  const topics = (offsets as { topics?: unknown } | null)?.topics;
  if (!Array.isArray(topics)) throw bad(`Expected { consumerGroupId, topics: [{ topic, partitions: [{ partition, offset }] }] } for sendOffsets() but received topics ${describe(topics)}`);
  return topics.flatMap((entry: TopicOffsets, i) => {
    if (typeof entry?.topic !== 'string' || !Array.isArray(entry.partitions)) throw bad(`Expected { topic, partitions } for topics[${i}] but received ${describe(entry)}`);
    return entry.partitions.map(({ partition, offset }, j) => {
      const next = typeof offset === 'string' && /^\d+$/.test(offset) ? Number(offset) : typeof offset === 'number' ? offset : NaN;
      if (!Number.isSafeInteger(next) || next < 0) throw bad(`Expected an offset (a string of digits) for topics[${i}].partitions[${j}].offset but received ${describe(offset)}`);
      return { topic: entry.topic, partition, offset: next };
    });
  });
}

/** The group of a consumer passed as @confluentinc/kafka-javascript passes it. */
function consumerGroupOf(consumer: unknown): string | undefined {
  const candidate = consumer as { groupId?: unknown } | undefined;
  if (typeof candidate?.groupId === 'function') return (candidate.groupId as () => string)();
  return typeof candidate?.groupId === 'string' ? candidate.groupId : undefined;
}
