// kafkajs's consumer (`kafka.consumer(config)`) over our Consumer. One loop per run(): it takes a
// batch with consumeBatch, splits it per partition, runs the handlers (partitionsConsumedConcurrently
// at a time, never two for one partition), commits what they resolved, and only then reads again.
// librdkafka applies rebalances inside a read, so a partition is never revoked (and handed to
// another member) while its handler runs: the group waits for this member's next read.
import { Admin, type GroupDescription as AdminGroupDescription } from '../admin';
import { Consumer, type PackedRecords, type RebalanceEvent, type TopicPartition } from '../consumer';
import { log } from '../logger';
import { topicNameProblem } from '../validate';
import { capi, PACKED_FIELDS, type HeaderTuple, type KafkaHandle } from '../native';
import { viewsOf } from '../record';
import type { ConsumerGroupState, GroupDescription } from './admin';
import { connectConfig, type BrokersFunction } from './config';
import type { ClientContext, RetryOptions } from './context';
import { KafkaJSError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, toKafkaJSError } from './errors';
import type { KafkaJSLogger, logLevel } from './logger';

// ----- kafkajs's types (types/index.d.ts), as the consumer uses them -----

export interface IHeaders {
  [key: string]: Buffer | string | (Buffer | string)[] | undefined;
}

export interface KafkaMessage {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  attributes: number;
  offset: string;
  headers: IHeaders;
  /** kafkajs sets it only for the MessageSet format of Kafka before 0.11, never for a record batch's message. */
  size?: never;
}

export interface Batch {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: KafkaMessage[];
  isEmpty(): boolean;
  firstOffset(): string | null;
  lastOffset(): string;
  offsetLag(): string;
  offsetLagLow(): string;
}

export interface PartitionOffset {
  partition: number;
  offset: string;
}
export interface TopicOffsets {
  topic: string;
  partitions: PartitionOffset[];
}
export interface OffsetsByTopicPartition {
  topics: TopicOffsets[];
}

export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: KafkaMessage;
  heartbeat(): Promise<void>;
  pause(): () => void;
}

export interface EachBatchPayload {
  batch: Batch;
  resolveOffset(offset: string | number): void;
  heartbeat(): Promise<void>;
  pause(): () => void;
  commitOffsetsIfNecessary(offsets?: OffsetsByTopicPartition): Promise<void>;
  uncommittedOffsets(): OffsetsByTopicPartition;
  isRunning(): boolean;
  isStale(): boolean;
}

export type EachMessageHandler = (payload: EachMessagePayload) => Promise<void>;
export type EachBatchHandler = (payload: EachBatchPayload) => Promise<void>;

export interface ConsumerRunConfig {
  autoCommit?: boolean;
  autoCommitInterval?: number | null;
  autoCommitThreshold?: number | null;
  eachBatchAutoResolve?: boolean;
  partitionsConsumedConcurrently?: number;
  eachBatch?: EachBatchHandler;
  eachMessage?: EachMessageHandler;
}

export interface ConsumerSubscribeTopics {
  topics: (string | RegExp)[];
  fromBeginning?: boolean;
}
/** @deprecated kafkajs's older form: use `topics`. */
export interface ConsumerSubscribeTopic {
  topic: string | RegExp;
  fromBeginning?: boolean;
}

/** A kafkajs partition assigner (`PartitionAssigners.roundRobin`), or librdkafka's assignor name. */
// Only its name is read (librdkafka assigns), so it is called without a cluster or logger: `never` takes kafkajs's typed assigners.
export type PartitionAssigner = string | ((config: { cluster: never; groupId: string; logger: never }) => { name: string });

/** kafkajs's consumer options. */
export interface KafkaJSConsumerOptions {
  groupId?: string;
  partitionAssigners?: PartitionAssigner[];
  /** The @confluentinc/kafka-javascript name of `partitionAssigners`. */
  partitionAssignors?: PartitionAssigner[];
  metadataMaxAge?: number;
  sessionTimeout?: number;
  rebalanceTimeout?: number;
  heartbeatInterval?: number;
  maxBytesPerPartition?: number;
  minBytes?: number;
  maxBytes?: number;
  maxWaitTimeInMs?: number;
  retry?: RetryOptions;
  allowAutoTopicCreation?: boolean;
  maxInFlightRequests?: number;
  readUncommitted?: boolean;
  rackId?: string;
}

/** The consumer block of the @confluentinc/kafka-javascript shape: kafkajs's options, and where offsets start and how they are committed. */
export interface ConfluentConsumerOptions extends KafkaJSConsumerOptions {
  fromBeginning?: boolean;
  autoCommit?: boolean;
  autoCommitInterval?: number;
}

/**
 * kafkajs's options; in the @confluentinc/kafka-javascript shape, `{ kafkaJS: {...}, 'group.id': ... }`.
 * Keys with a dot are librdkafka properties, passed on as they are.
 */
export interface ConsumerConfig extends KafkaJSConsumerOptions {
  kafkaJS?: ConfluentConsumerOptions;
  [librdkafkaProperty: string]: unknown;
}

export interface InstrumentationEvent<T> {
  id: string;
  type: string;
  timestamp: number;
  payload: T;
}

export type RemoveInstrumentationEventListener = () => void;

// describeGroup() describes the group as admin.describeGroups() does.
export type { GroupDescription, MemberDescription } from './admin';

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** What `committed()` (the @confluentinc/kafka-javascript addition) resolves with. */
export interface TopicPartitionOffsetAndMetadata {
  topic: string;
  partition: number;
  offset: string;
  metadata: string | null;
}


export const CONSUMER_EVENTS = {
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
} as const;

export type ConsumerEvents = typeof CONSUMER_EVENTS;
export type ConsumerEventName = ConsumerEvents[keyof ConsumerEvents];

// The events' payloads, as kafkajs declares them (a kafkajs program types its listeners with these).
export type ConsumerHeartbeatEvent = InstrumentationEvent<{ groupId: string; memberId: string; groupGenerationId: number }>;
export type ConsumerCommitOffsetsEvent = InstrumentationEvent<{ groupId: string; memberId: string; groupGenerationId: number; topics: TopicOffsets[] }>;
export interface IMemberAssignment {
  [key: string]: number[];
}
export type ConsumerGroupJoinEvent = InstrumentationEvent<{
  duration: number;
  groupId: string;
  isLeader: boolean;
  leaderId: string;
  groupProtocol: string;
  memberId: string;
  memberAssignment: IMemberAssignment;
}>;
export type ConsumerFetchStartEvent = InstrumentationEvent<{ nodeId: number }>;
export type ConsumerFetchEvent = InstrumentationEvent<{ numberOfBatches: number; duration: number; nodeId: number }>;
export interface IBatchProcessEvent {
  topic: string;
  partition: number;
  highWatermark: string;
  offsetLag: string;
  offsetLagLow: string;
  batchSize: number;
  firstOffset: string;
  lastOffset: string;
}
export type ConsumerStartBatchProcessEvent = InstrumentationEvent<IBatchProcessEvent>;
export type ConsumerEndBatchProcessEvent = InstrumentationEvent<IBatchProcessEvent & { duration: number }>;
export type ConsumerCrashEvent = InstrumentationEvent<{ error: Error; groupId: string; restart: boolean }>;
export type ConsumerRebalancingEvent = InstrumentationEvent<{ groupId: string; memberId: string }>;
export type ConsumerReceivedUnsubcribedTopicsEvent = InstrumentationEvent<{
  groupId: string;
  generationId: number;
  memberId: string;
  assignedTopics: string[];
  topicsSubscribed: string[];
  topicsNotSubscribed: string[];
}>;

// ----- mapping kafkajs's options onto librdkafka's -----

const KAFKAJS_OPTIONS: { [name: string]: (value: unknown) => [string, string | number | boolean] | undefined } = {
  groupId: (v) => ['group.id', expectText(v, 'groupId')],
  sessionTimeout: (v) => ['session.timeout.ms', expectMs(v, 'sessionTimeout')],
  // librdkafka sends max.poll.interval.ms as the JoinGroup's rebalance timeout, as Java does.
  rebalanceTimeout: (v) => ['max.poll.interval.ms', expectMs(v, 'rebalanceTimeout')],
  heartbeatInterval: (v) => ['heartbeat.interval.ms', expectMs(v, 'heartbeatInterval')],
  maxBytesPerPartition: (v) => ['max.partition.fetch.bytes', expectMs(v, 'maxBytesPerPartition')],
  minBytes: (v) => ['fetch.min.bytes', expectMs(v, 'minBytes')],
  maxBytes: (v) => ['fetch.max.bytes', expectMs(v, 'maxBytes')],
  maxWaitTimeInMs: (v) => ['fetch.wait.max.ms', expectMs(v, 'maxWaitTimeInMs')],
  metadataMaxAge: (v) => ['topic.metadata.refresh.interval.ms', expectMs(v, 'metadataMaxAge')],
  allowAutoTopicCreation: (v) => ['allow.auto.create.topics', expectFlag(v, 'allowAutoTopicCreation')],
  readUncommitted: (v) => ['isolation.level', expectFlag(v, 'readUncommitted') ? 'read_uncommitted' : 'read_committed'],
  maxInFlightRequests: (v) => ['max.in.flight', expectMs(v, 'maxInFlightRequests')],
  rackId: (v) => ['client.rack', expectText(v, 'rackId')],
  partitionAssigners: (v) => ['partition.assignment.strategy', assignors(v, 'partitionAssigners')],
  partitionAssignors: (v) => ['partition.assignment.strategy', assignors(v, 'partitionAssignors')],
  retry: () => undefined, // the facade's own retry policy
};
const CONFLUENT_BLOCK_OPTIONS = new Set(['fromBeginning', 'autoCommit', 'autoCommitInterval']);

/** librdkafka's names of the assignors kafkajs and @confluentinc/kafka-javascript name. */
const ASSIGNORS: { [name: string]: string } = {
  roundrobin: 'roundrobin',
  RoundRobinAssigner: 'roundrobin',
  range: 'range',
  RangeAssigner: 'range',
  'cooperative-sticky': 'cooperative-sticky',
  CooperativeStickyAssigner: 'cooperative-sticky',
};

/** librdkafka's assignor list; assigners it does not have (custom ones) are left out when a known one is listed too, as kafkajs's docs advise. */
function assignors(value: unknown, option: string): string {
  if (!Array.isArray(value) || value.length === 0) throw new KafkaJSNonRetriableError(`${option} must be a non-empty array of partition assigners`);
  const names = value.map((assigner: unknown) => {
    if (typeof assigner !== 'function') return assigner;
    try {
      return (assigner as (config: object) => { name?: unknown })({ cluster: undefined, groupId: '', logger: undefined })?.name;
    } catch {
      return undefined;
    }
  });
  const known = [...new Set(names.flatMap((name) => (typeof name === 'string' && ASSIGNORS[name] !== undefined ? [ASSIGNORS[name]] : [])))];
  if (known.length === 0) {
    throw new KafkaJSNonRetriableError(
      `No supported partition assigner in ${option} (${names.map((n) => (typeof n === 'string' ? n : String(n))).join(', ')}): librdkafka assigns partitions itself, with roundrobin, range or cooperative-sticky (PartitionAssigners.roundRobin, or those names)`,
    );
  }
  return known.join(',');
}

function expectText(value: unknown, option: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new KafkaJSNonRetriableError(`Consumer ${option} must be a non-empty string (received ${typeof value === 'string' ? "''" : typeof value})`);
  return value;
}

function expectMs(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new KafkaJSNonRetriableError(`Consumer ${option} must be a non-negative integer (received ${String(value)})`);
  }
  return value;
}

function expectFlag(value: unknown, option: string): boolean {
  if (typeof value !== 'boolean') throw new KafkaJSNonRetriableError(`Consumer ${option} must be a boolean (received ${typeof value})`);
  return value;
}

interface Settings {
  /** librdkafka properties for our Consumer (without auto.offset.reset, which subscribe sets). */
  config: { [key: string]: string | number | boolean };
  groupId: string;
  retry: RetryOptions;
  /** From the @confluentinc/kafka-javascript kafkaJS block; these win over subscribe's and run's. */
  fromBeginning?: boolean;
  autoCommit?: boolean;
  autoCommitInterval?: number;
}

function settingsOf(context: ClientContext, given: unknown): Settings {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new KafkaJSNonRetriableError('The consumer config must be an object, e.g. { groupId: "my-group" }');
  const top = given as { [key: string]: unknown };
  const block = top.kafkaJS;
  if (block !== undefined && (typeof block !== 'object' || block === null)) throw new KafkaJSNonRetriableError('The consumer config\'s kafkaJS block must be an object');
  // kafkajs's shape: kafkajs's options at the top. Confluent's: in the kafkaJS block, librdkafka's at the top.
  const options: { [key: string]: unknown } = { ...(block as object | undefined) };
  const config: { [key: string]: string | number | boolean } = {
    'partition.assignment.strategy': 'roundrobin', // kafkajs's default assigner
    'session.timeout.ms': 30000,
    'heartbeat.interval.ms': 3000,
    'max.poll.interval.ms': 60000, // kafkajs's rebalanceTimeout
    'max.partition.fetch.bytes': 1048576,
    'allow.auto.create.topics': true, // kafkajs's allowAutoTopicCreation default
    // librdkafka stops fetching at 100,000 queued messages and resumes late (docs/api.md, Consuming);
    // the queue stays bounded by queued.max.messages.kbytes (64 MiB).
    'queued.min.messages': 1000000,
    ...context.config,
  };
  const confluent = context.confluentShape || block !== undefined;
  for (const [key, value] of Object.entries(top)) {
    if (key === 'kafkaJS') continue;
    if (confluent || key.includes('.')) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        throw new KafkaJSNonRetriableError(`The librdkafka property '${key}' must be a string, number or boolean (received ${typeof value})`);
      }
      config[key] = value;
    } else {
      options[key] = value;
    }
  }
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const map = KAFKAJS_OPTIONS[key];
    if (map !== undefined) {
      const property = map(value);
      if (property !== undefined) config[property[0]] = property[1];
    } else if (!CONFLUENT_BLOCK_OPTIONS.has(key) || !confluent) {
      throw new KafkaJSNonRetriableError(`Unknown consumer option '${key}' (kafkajs's options: ${Object.keys(KAFKAJS_OPTIONS).join(', ')}; librdkafka properties are written with dots, e.g. 'fetch.min.bytes')`);
    }
  }
  const groupId = config['group.id'];
  if (typeof groupId !== 'string' || groupId.length === 0) throw new KafkaJSNonRetriableError('Consumer groupId must be a non-empty string.');
  const session = Number(config['session.timeout.ms']);
  const heartbeat = Number(config['heartbeat.interval.ms']);
  if (heartbeat >= session) {
    throw new KafkaJSNonRetriableError(
      `Consumer heartbeatInterval (${heartbeat}) must be lower than sessionTimeout (${session}). It is recommended to set heartbeatInterval to approximately a third of the sessionTimeout.`,
    );
  }
  // kafkajs's maxBytes (10 MiB) when neither it nor fetch.max.bytes is given, not librdkafka's 50 MB:
  // each fetch response is one allocation of its size, and at 50 MB every one is fresh memory (page
  // faults on librdkafka's broker thread). librdkafka refuses one below message.max.bytes.
  if (config['fetch.max.bytes'] === undefined) config['fetch.max.bytes'] = Math.max(KAFKAJS_MAX_BYTES, Number(config['message.max.bytes'] ?? 0) || 0);
  const userAutoCommit = config['enable.auto.commit'];
  config['enable.auto.commit'] = false; // the facade commits what the handlers resolved
  const retry = { ...context.retry, ...((options.retry as RetryOptions | undefined) ?? {}) };
  if (options.retry !== undefined && (typeof options.retry !== 'object' || options.retry === null)) throw new KafkaJSNonRetriableError('Consumer retry must be an object');
  const settings: Settings = { config, groupId, retry };
  if (options.fromBeginning !== undefined) settings.fromBeginning = expectFlag(options.fromBeginning, 'fromBeginning');
  if (options.autoCommit !== undefined) settings.autoCommit = expectFlag(options.autoCommit, 'autoCommit');
  else if (userAutoCommit !== undefined) settings.autoCommit = userAutoCommit === true || userAutoCommit === 'true';
  if (options.autoCommitInterval !== undefined) settings.autoCommitInterval = expectMs(options.autoCommitInterval, 'autoCommitInterval');
  return settings;
}

// ----- kafkajs's retry timing (src/retry): randomised exponential backoff -----

const RETRY_DEFAULTS = { maxRetryTime: 30000, initialRetryTime: 300, factor: 0.2, multiplier: 2, retries: 5 };

function randomised(factor: number, time: number): number {
  const delta = factor * time;
  return Math.ceil(time - delta + Math.random() * 2 * delta);
}

/** kafkajs's test for an error worth retrying: anything but its non-retriable errors and JavaScript's programming errors. */
function isRetriable(error: unknown): boolean {
  if (!(error instanceof Error)) return true;
  if (['RangeError', 'ReferenceError', 'SyntaxError', 'TypeError'].includes(error.name)) return false;
  return (error as { retriable?: unknown }).retriable !== false;
}

function originalCause(error: unknown): unknown {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause === undefined || cause === null ? error : originalCause(cause);
}

// ----- messages and batches -----

function headersOf(tuples: HeaderTuple[]): IHeaders {
  const headers: IHeaders = {};
  for (const [name, value] of tuples) {
    const bytes = value ?? Buffer.alloc(0);
    const known = headers[name];
    if (known === undefined) headers[name] = bytes;
    else if (Array.isArray(known)) known.push(bytes);
    else headers[name] = [known, bytes];
  }
  return headers;
}

/** Records one read takes at most. */
const READ_MAX = 10000;
/** kafkajs's default maxBytes: what one of its fetches brings at most. */
const KAFKAJS_MAX_BYTES = 10485760;

function countOf({ rest }: PackedRecords): number {
  return 1 + (rest === undefined ? 0 : rest[1]);
}

/**
 * The records still on the broker behind the consumer's position, by librdkafka's cached high
 * watermarks (no request), over every assigned partition it has read from. A read comes short also
 * while librdkafka waits for another partition's fetch response: with a read's worth or more still
 * behind, that is a backlog, not caught up.
 */
function backlogOf(consumer: Consumer): number {
  let backlog = 0;
  for (const { topic, partition } of consumer.assignment()) {
    const [code, , high] = capi.GetWatermarkOffsets(consumer.handle, topic, partition);
    let position: number | undefined;
    try {
      position = consumer.position(topic, partition);
    } catch {
      position = undefined; // no longer assigned: nothing behind it for this consumer
    }
    if (code === 0 && position !== undefined) backlog += Math.max(0, high - position);
    if (backlog >= READ_MAX) break;
  }
  return backlog;
}

/** The payload and key bytes of a read. */
function bytesOf({ first, rest }: PackedRecords): number {
  return (first.payload?.length ?? 0) + (first.key?.length ?? 0) + (rest === undefined ? 0 : rest[4].length);
}

/** The last timestamp's text: the records of a batch mostly share their millisecond, so it is made once for them. */
let lastTimestamp = NaN;
let lastTimestampText = '';

/** kafkajs's message: the same object shape for every message, so that V8 keeps one hidden class for them. */
function kafkaJSMessage(key: Buffer | null, value: Buffer | null, timestamp: number, offset: number, headers: IHeaders): KafkaMessage {
  if (timestamp !== lastTimestamp) {
    lastTimestamp = timestamp;
    lastTimestampText = String(timestamp);
  }
  return { key, value, timestamp: lastTimestampText, attributes: 0, offset: String(offset), headers };
}

/**
 * A round's kafkajs messages, made from the read's columns as its handler is about to run: only
 * the batch in hand is JavaScript objects (the columns are one buffer the garbage collector does
 * not scan), so a collection meanwhile has fewer live objects to move.
 */
function messagesOf({ read: { first, rest }, rows }: PartitionRound): KafkaMessage[] {
  const messages: KafkaMessage[] = new Array<KafkaMessage>(rows.length);
  const [, , , fields, data, extras] = rest ?? [0, 0, [], new Float64Array(0), Buffer.alloc(0), null];
  const view = viewsOf(data);
  for (let i = 0; i < rows.length; i++) {
    const f = rows[i];
    if (f < 0) {
      messages[i] = kafkaJSMessage(first.key, first.payload, first.timestamp, first.offset, first.headers.length === 0 ? {} : headersOf(first.headers));
      continue;
    }
    // One row of ConsumeBatchPacked: topic index, partition, offset, timestamp, start, payload and key lengths (-1: null), headers index (-1: none).
    const start = fields[f + 4];
    const valueLength = fields[f + 5];
    const keyLength = fields[f + 6];
    const headers = fields[f + 7];
    messages[i] = kafkaJSMessage(
      keyLength < 0 ? null : view(valueLength > 0 ? start + valueLength : start, keyLength),
      valueLength < 0 ? null : view(start, valueLength),
      fields[f + 3],
      fields[f + 2],
      headers < 0 ? {} : headersOf(extras![headers] as HeaderTuple[]),
    );
  }
  return messages;
}

class KafkaJSBatch implements Batch {
  #highWatermark: string | undefined;
  readonly #offsets: number[];
  readonly #handle: KafkaHandle;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly messages: KafkaMessage[],
    offsets: number[],
    handle: KafkaHandle,
  ) {
    this.#offsets = offsets;
    this.#handle = handle;
  }

  /** The partition's end offset as librdkafka last saw it in a fetch (no request is made). */
  get highWatermark(): string {
    if (this.#highWatermark === undefined) {
      const [code, , high] = capi.GetWatermarkOffsets(this.#handle, this.topic, this.partition);
      const last = this.#offsets[this.#offsets.length - 1];
      this.#highWatermark = String(code === 0 && high > last ? high : last + 1);
    }
    return this.#highWatermark;
  }

  isEmpty(): boolean {
    return this.messages.length === 0;
  }

  firstOffset(): string | null {
    return this.#offsets.length === 0 ? null : String(this.#offsets[0]);
  }

  lastOffset(): string {
    return this.#offsets.length === 0 ? String(Number(this.highWatermark) - 1) : String(this.#offsets[this.#offsets.length - 1]);
  }

  offsetLag(): string {
    return String(Number(this.highWatermark) - 1 - Number(this.lastOffset()));
  }

  offsetLagLow(): string {
    return this.#offsets.length === 0 ? '0' : String(Number(this.highWatermark) - 1 - this.#offsets[0]);
  }
}

const key = (topic: string, partition: number): string => `${partition}:${topic}`;

/** What a partition's batch in a round came to. */
interface PartitionRound {
  topic: string;
  partition: number;
  /** The read the records came in, and each record's row in its columns (-1: the read's first record). */
  read: PackedRecords;
  rows: number[];
  /** The records' offsets (not always consecutive: compaction, transaction markers). */
  offsets: number[];
  /** The next offset to read once the handler is done: the one after the last resolved. */
  next: number;
  /** seek() was called for this partition meanwhile: the rest of the batch is dropped. */
  stale: boolean;
}

let nextEventId = 0;

/** run()'s options with kafkajs's defaults applied. */
interface RunSettings {
  autoCommit: boolean;
  autoCommitInterval: number | null;
  autoCommitThreshold: number | null;
  eachBatchAutoResolve: boolean;
  partitionsConsumedConcurrently: number;
  eachBatch?: EachBatchHandler;
  eachMessage?: EachMessageHandler;
}

// ----- the consumer -----

/**
 * kafkajs's Consumer over our Consumer. Built by `kafka.consumer(config)`; see docs/kafkajs.md
 * ("Consumer") for what each option and method does here and what differs from kafkajs.
 */
export class KafkaJSConsumer {
  readonly events: ConsumerEvents = CONSUMER_EVENTS;
  readonly #context: ClientContext & { brokers?: BrokersFunction };
  readonly #settings: Settings;
  /** bootstrap.servers from `brokers` given as a function, asked at connect() (empty otherwise). */
  #bootstrap: ClientContext['config'] | undefined;
  readonly #listeners = new Map<string, Set<(event: InstrumentationEvent<unknown>) => unknown>>();
  #consumer: Consumer | undefined;
  #connected = false;
  /** librdkafka subscription patterns: topic names, and `^regex` for RegExps. */
  readonly #topics = new Set<string>();
  #fromBeginning: boolean | undefined;
  #run: RunSettings | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  /** Wakes a retry backoff early when the consumer stops. */
  #wakeBackoff: (() => void) | undefined;
  /** Offsets resolved (the next to read) and not yet committed, per partition. */
  readonly #resolved = new Map<string, { topic: string; partition: number; offset: number }>();
  readonly #committed = new Map<string, number>();
  #lastCommit = Date.now();
  /** The auto-commits under way (librdkafka sends them in order). */
  #commits: Promise<void> = Promise.resolve();
  /** Paused partitions: a topic's set, or 'all' for every partition of it (those assigned later too). */
  readonly #paused = new Map<string, Set<number> | 'all'>();
  /**
   * Seeks to make when a partition's first records come: seek() before its assignment, and the
   * resolved offsets of a partition that a rebalance took away and gave back. A seek made as
   * librdkafka assigns would be overridden by its look-up of the committed offset.
   */
  readonly #pendingSeeks = new Map<string, { topic: string; partition: number; offset: number }>();
  /** Resolved offsets of revoked partitions whose commit failed (a commit during a rebalance): kept in case they come back. */
  readonly #carried = new Map<string, { topic: string; partition: number; offset: number }>();
  /** The partitions of the round in progress, for isStale(). */
  readonly #round = new Map<string, PartitionRound>();
  #rebalanced = false;
  #joinStarted = Date.now();
  #lastHeartbeatEvent = 0;
  #failures = 0;
  #retryTime = 0;

  // kafkajs's options alone (a kafkajs-typed ConsumerConfig has no index signature), or with librdkafka properties.
  constructor(context: ClientContext, config: ConsumerConfig | KafkaJSConsumerOptions) {
    this.#context = context;
    this.#settings = settingsOf(context, config);
  }

  /** Creates the client; its first broker connection is made when run() subscribes. */
  async connect(): Promise<void> {
    try {
      this.#bootstrap = await connectConfig({ ...this.#context, config: {} });
    } catch (error) {
      throw toKafkaJSError(error);
    }
    if (this.#consumer === undefined) this.#consumer = this.#newConsumer();
    this.#connected = true;
    this.#emit(CONSUMER_EVENTS.CONNECT, undefined);
  }

  /** Stops the run (waiting for the running handlers), commits what they resolved, leaves the group. */
  async disconnect(): Promise<void> {
    await this.stop();
    const consumer = this.#consumer;
    this.#consumer = undefined;
    if (consumer !== undefined) await consumer.close();
    if (this.#connected) {
      this.#connected = false;
      this.#emit(CONSUMER_EVENTS.DISCONNECT, undefined);
    }
  }

  async subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void> {
    if (this.#run !== undefined) throw new KafkaJSNonRetriableError('Cannot subscribe to topic while consumer is running');
    if (typeof subscription !== 'object' || subscription === null) throw new KafkaJSNonRetriableError('subscribe() takes { topics: [...], fromBeginning? } (or { topic })');
    const { topic, topics, fromBeginning } = subscription as Partial<ConsumerSubscribeTopics & ConsumerSubscribeTopic>;
    if (topic === undefined && topics === undefined) throw new KafkaJSNonRetriableError('Missing required argument "topics"');
    if (topics !== undefined && !Array.isArray(topics)) throw new KafkaJSNonRetriableError('Argument "topics" must be an array');
    if (fromBeginning !== undefined && typeof fromBeginning !== 'boolean') throw new KafkaJSNonRetriableError(`fromBeginning must be a boolean (received ${typeof fromBeginning})`);
    const list = topics ?? [topic];
    for (const t of list) {
      if (!(typeof t === 'string' && t.length > 0) && !(t instanceof RegExp)) {
        throw new KafkaJSNonRetriableError(`Invalid topic ${String(t)} (${typeof t}), the topic name has to be a String or a RegExp`);
      }
      // A string is a name (librdkafka would take one starting with '^' as a regex).
      const problem = typeof t === 'string' ? topicNameProblem(t) : undefined;
      if (problem !== undefined) throw new KafkaJSNonRetriableError(`Invalid topic '${t}': ${problem}`);
    }
    const patterns: string[] = [];
    for (const t of list as (string | RegExp)[]) {
      const pattern = typeof t === 'string' ? t : regexSubscription(t);
      if (pattern !== undefined) patterns.push(pattern);
      // A RegExp with flags librdkafka's regex lacks: matched against today's topics, as kafkajs does.
      else patterns.push(...(await this.#topicsMatching(t as RegExp)));
    }
    // librdkafka has one auto.offset.reset per consumer: two subscribe calls cannot differ.
    const from = fromBeginning ?? false;
    if (this.#fromBeginning !== undefined && this.#fromBeginning !== from && this.#settings.fromBeginning === undefined) {
      throw new KafkaJSNonRetriableError(
        `subscribe() with fromBeginning: ${from} after one with fromBeginning: ${this.#fromBeginning}: librdkafka starts every topic of a consumer the same way (auto.offset.reset); use one consumer per setting`,
      );
    }
    this.#fromBeginning = from;
    for (const p of patterns) this.#topics.add(p);
  }

  async #topicsMatching(pattern: RegExp): Promise<string[]> {
    const admin = new Admin({ ...this.#context.config, ...(await this.#brokers()) }, { logger: this.#context.logger, oauthBearerProvider: this.#context.oauthBearerProvider });
    try {
      const test = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')); // no lastIndex state between names
      return (await admin.listTopics()).filter((name) => test.test(name));
    } catch (error) {
      throw toKafkaJSError(error);
    } finally {
      await admin.close();
    }
  }

  async run(config: ConsumerRunConfig = {}): Promise<void> {
    if (this.#run !== undefined) throw new KafkaJSNonRetriableError('The consumer is already running: call stop() before run() again');
    if (typeof config !== 'object' || config === null) throw new KafkaJSNonRetriableError('run() takes { eachMessage } or { eachBatch }');
    const { eachMessage, eachBatch } = config;
    if (eachMessage !== undefined && typeof eachMessage !== 'function') throw new KafkaJSNonRetriableError(`eachMessage must be a function (received ${typeof eachMessage})`);
    if (eachBatch !== undefined && typeof eachBatch !== 'function') throw new KafkaJSNonRetriableError(`eachBatch must be a function (received ${typeof eachBatch})`);
    if (eachMessage === undefined && eachBatch === undefined) throw new KafkaJSNonRetriableError('run() needs an eachMessage or an eachBatch handler');
    const concurrency = config.partitionsConsumedConcurrently ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new KafkaJSNonRetriableError(`partitionsConsumedConcurrently must be a positive integer (received ${String(concurrency)})`);
    for (const name of ['autoCommitInterval', 'autoCommitThreshold'] as const) {
      const value = config[name];
      if (value !== undefined && value !== null && (typeof value !== 'number' || !Number.isInteger(value) || value < 0)) {
        throw new KafkaJSNonRetriableError(`${name} must be a non-negative integer or null (received ${String(value)})`);
      }
    }
    for (const name of ['autoCommit', 'eachBatchAutoResolve'] as const) {
      if (config[name] !== undefined && typeof config[name] !== 'boolean') throw new KafkaJSNonRetriableError(`${name} must be a boolean (received ${typeof config[name]})`);
    }
    if (this.#topics.size === 0) throw new KafkaJSNonRetriableError('The consumer has no subscription: call subscribe() before run()');
    this.#run = {
      autoCommit: this.#settings.autoCommit ?? config.autoCommit ?? true,
      autoCommitInterval: this.#settings.autoCommitInterval ?? config.autoCommitInterval ?? null,
      autoCommitThreshold: config.autoCommitThreshold ?? null,
      eachBatchAutoResolve: config.eachBatchAutoResolve ?? true,
      partitionsConsumedConcurrently: concurrency,
      eachBatch: eachMessage === undefined ? eachBatch : undefined,
      eachMessage,
    };
    try {
      if (this.#consumer === undefined) await this.#brokers(); // run() without connect()
      this.#start();
    } catch (error) {
      this.#run = undefined;
      throw toKafkaJSError(error);
    }
  }

  /** Ends the run: waits for the running handlers, commits what they resolved, leaves the group. Calls made meanwhile share it. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop().finally(() => (this.#stopping = undefined));
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    const wasRunning = this.#run !== undefined;
    this.#running = false;
    this.#wakeBackoff?.();
    await this.#loop;
    this.#loop = undefined;
    if (this.#consumer !== undefined && wasRunning) {
      if (this.#run?.autoCommit) await this.#commitResolved();
      // Leaving the group: a new run() joins again with a fresh client, as kafkajs's stop does.
      const consumer = this.#consumer;
      this.#consumer = undefined;
      await consumer.close();
      if (this.#connected) this.#consumer = this.#newConsumer();
    }
    this.#run = undefined;
    this.#round.clear();
    if (wasRunning) this.#emit(CONSUMER_EVENTS.STOP, undefined);
  }

  /** Commits these offsets (the next offset to read) now. */
  async commitOffsets(topicPartitions: Array<{ topic: string; partition: number; offset: string | number; metadata?: string | null }> = []): Promise<void> {
    if (!Array.isArray(topicPartitions)) throw new KafkaJSNonRetriableError('commitOffsets() takes an array of { topic, partition, offset }');
    const offsets = topicPartitions.map(({ topic, partition, offset, metadata }) => {
      const at = checkTopicPartition(topic, partition);
      const next = parseOffset(offset);
      if (next < 0) throw new KafkaJSNonRetriableError('Offset must not be a negative number');
      if (metadata !== undefined && metadata !== null && typeof metadata !== 'string') throw new KafkaJSNonRetriableError(`Invalid offset metadata, expected string or null, received ${String(metadata)}`);
      return { ...at, offset: next };
    });
    const consumer = this.#started();
    await this.#commit(consumer, offsets);
  }

  /** The next record of an assigned partition comes from `offset` ('-2': the beginning, '-1': the end). */
  seek({ topic, partition, offset }: { topic: string; partition: number; offset: string | number }): void {
    const at = checkTopicPartition(topic, partition);
    const to = parseOffset(offset);
    if (to < -2) throw new KafkaJSNonRetriableError('Offset must not be a negative number');
    const consumer = this.#started();
    const id = key(at.topic, at.partition);
    const round = this.#round.get(id);
    if (round !== undefined) round.stale = true;
    if (!this.#isAssigned(consumer, at) || this.#pendingSeeks.has(id)) {
      this.#pendingSeeks.set(id, { ...at, offset: to });
      return;
    }
    this.#applySeek(consumer, { ...at, offset: to });
  }

  pause(topicPartitions: Array<{ topic: string; partitions?: number[] }> = []): void {
    const items = checkTopicPartitionsList(topicPartitions, 'pause');
    const consumer = this.#started();
    for (const { topic, partitions } of items) {
      if (partitions === undefined) {
        this.#paused.set(topic, 'all');
      } else {
        const known = this.#paused.get(topic);
        if (known === 'all') continue;
        const set = known ?? new Set<number>();
        partitions.forEach((p) => set.add(p));
        this.#paused.set(topic, set);
      }
    }
    const now = this.#assignment(consumer).filter((tp) => this.#isPaused(tp.topic, tp.partition));
    if (now.length > 0) consumer.pause(now);
  }

  resume(topicPartitions: Array<{ topic: string; partitions?: number[] }> = []): void {
    const items = checkTopicPartitionsList(topicPartitions, 'resume');
    const consumer = this.#started();
    const assigned = this.#assignment(consumer);
    const resumed: TopicPartition[] = [];
    for (const { topic, partitions } of items) {
      const known = this.#paused.get(topic);
      if (known === undefined) continue;
      if (partitions === undefined) {
        this.#paused.delete(topic);
        resumed.push(...assigned.filter((tp) => tp.topic === topic && (known === 'all' || known.has(tp.partition))));
        continue;
      }
      // Resuming some partitions of a topic paused whole: the others stay paused.
      const set = known === 'all' ? new Set(assigned.filter((tp) => tp.topic === topic).map((tp) => tp.partition)) : known;
      for (const p of partitions) {
        if (set.delete(p) && assigned.some((tp) => tp.topic === topic && tp.partition === p)) resumed.push({ topic, partition: p });
      }
      if (set.size === 0) this.#paused.delete(topic);
      else this.#paused.set(topic, set);
    }
    if (resumed.length > 0) consumer.resume(resumed);
  }

  /** The paused partitions: those named in pause(), and for a topic paused whole, its assigned ones. */
  paused(): TopicPartitions[] {
    if (this.#run === undefined || this.#consumer === undefined) return [];
    const assigned = this.#assignment(this.#consumer);
    const result: TopicPartitions[] = [];
    for (const [topic, set] of this.#paused) {
      const partitions = set === 'all' ? assigned.filter((tp) => tp.topic === topic).map((tp) => tp.partition) : [...set];
      result.push({ topic, partitions: partitions.sort((a, b) => a - b) });
    }
    return result;
  }

  /** kafkajs's describeGroup(): the group's state and members, from the group coordinator. */
  async describeGroup(): Promise<GroupDescription> {
    const admin = new Admin({ ...this.#context.config, ...(await this.#brokers()) }, { logger: this.#context.logger, oauthBearerProvider: this.#context.oauthBearerProvider });
    try {
      const [group] = await admin.describeGroups(this.#settings.groupId);
      return groupDescriptionOf(group);
    } catch (error) {
      throw toKafkaJSError(error);
    } finally {
      await admin.close();
    }
  }

  /** @confluentinc/kafka-javascript: the partitions this member reads now. */
  assignment(): TopicPartition[] {
    return this.#consumer === undefined || this.#run === undefined ? [] : this.#assignment(this.#consumer);
  }

  /** @confluentinc/kafka-javascript: the group's committed offsets, for these partitions or for the assignment. */
  async committed(topicPartitions?: TopicPartition[], timeout = 5000): Promise<TopicPartitionOffsetAndMetadata[]> {
    const consumer = this.#started();
    const partitions = topicPartitions ?? this.#assignment(consumer);
    if (!Array.isArray(partitions)) throw new KafkaJSNonRetriableError('committed() takes an array of { topic, partition }');
    const result: TopicPartitionOffsetAndMetadata[] = [];
    try {
      for (const p of partitions) {
        const at = checkTopicPartition(p?.topic, p?.partition);
        const offset = await consumer.committed(at.topic, at.partition, timeout);
        result.push({ ...at, offset: String(offset ?? -1), metadata: null });
      }
    } catch (error) {
      throw toKafkaJSError(error);
    }
    return result;
  }

  on(eventName: ConsumerEvents['HEARTBEAT'], listener: (event: ConsumerHeartbeatEvent) => void): RemoveInstrumentationEventListener;
  on(eventName: ConsumerEvents['COMMIT_OFFSETS'], listener: (event: ConsumerCommitOffsetsEvent) => void): RemoveInstrumentationEventListener;
  on(eventName: ConsumerEvents['GROUP_JOIN'], listener: (event: ConsumerGroupJoinEvent) => void): RemoveInstrumentationEventListener;
  on(eventName: ConsumerEvents['FETCH_START'], listener: (event: ConsumerFetchStartEvent) => void): RemoveInstrumentationEventListener;
  on(eventName: ConsumerEvents['FETCH'], listener: (event: ConsumerFetchEvent) => void): RemoveInstrumentationEventListener;
  on(eventName: ConsumerEvents['START_BATCH_PROCESS'], listener: (event: ConsumerStartBatchProcessEvent) => void): RemoveInstrumentationEventListener;
  on(eventName: ConsumerEvents['END_BATCH_PROCESS'], listener: (event: ConsumerEndBatchProcessEvent) => void): RemoveInstrumentationEventListener;
  on(eventName: ConsumerEvents['CONNECT' | 'DISCONNECT' | 'STOP'], listener: (event: InstrumentationEvent<null>) => void): RemoveInstrumentationEventListener;
  on(eventName: ConsumerEvents['CRASH'], listener: (event: ConsumerCrashEvent) => void): RemoveInstrumentationEventListener;
  on(eventName: ConsumerEvents['REBALANCING'], listener: (event: ConsumerRebalancingEvent) => void): RemoveInstrumentationEventListener;
  on(eventName: ConsumerEvents['RECEIVED_UNSUBSCRIBED_TOPICS'], listener: (event: ConsumerReceivedUnsubcribedTopicsEvent) => void): RemoveInstrumentationEventListener;
  /** Accepted as in kafkajs, never emitted: librdkafka reports no per-request events to the consumer. */
  on(eventName: ConsumerEvents['REQUEST' | 'REQUEST_TIMEOUT' | 'REQUEST_QUEUE_SIZE'], listener: (event: InstrumentationEvent<never>) => void): RemoveInstrumentationEventListener;
  on(eventName: ConsumerEventName, listener: (event: InstrumentationEvent<never>) => void): RemoveInstrumentationEventListener;
  on(eventName: ConsumerEventName, typedListener: (event: InstrumentationEvent<never>) => unknown): RemoveInstrumentationEventListener {
    const listener = typedListener as (event: InstrumentationEvent<unknown>) => unknown; // each event name's payload is its overload's
    const names: string[] = Object.values(CONSUMER_EVENTS);
    if (!names.includes(eventName)) {
      throw new KafkaJSNonRetriableError(`Event name should be one of ${Object.keys(CONSUMER_EVENTS).map((k) => `consumer.events.${k}`).join(', ')}`);
    }
    if (typeof listener !== 'function') throw new KafkaJSNonRetriableError(`The listener for ${eventName} must be a function`);
    let set = this.#listeners.get(eventName);
    if (set === undefined) this.#listeners.set(eventName, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  logger(): KafkaJSLogger {
    return kafkaJSLogger(this.#context, 'Consumer');
  }

  // ----- the run loop -----

  /** bootstrap.servers from `brokers` as a function: asked at connect(), or here by what needs a broker before it. */
  async #brokers(): Promise<ClientContext['config']> {
    this.#bootstrap ??= await connectConfig({ ...this.#context, config: {} });
    return this.#bootstrap;
  }

  #newConsumer(): Consumer {
    try {
      return new Consumer({ ...this.#settings.config, ...this.#bootstrap }, undefined, {
        logger: this.#context.logger,
        oauthBearerProvider: this.#context.oauthBearerProvider,
        onRebalance: (event) => this.#onRebalance(event),
      });
    } catch (error) {
      throw toKafkaJSError(error);
    }
  }

  /** Subscribes (a fresh client after a crash) and starts the loop. */
  #start(): void {
    const consumer = (this.#consumer ??= this.#newConsumer());
    // The kafkaJS block's fromBeginning, else a librdkafka auto.offset.reset given, else subscribe's.
    const from = this.#settings.fromBeginning ?? (this.#settings.config['auto.offset.reset'] !== undefined ? undefined : (this.#fromBeginning ?? false));
    if (from !== undefined) consumer.configure('auto.offset.reset', from ? 'earliest' : 'latest');
    consumer.subscribe([...this.#topics]);
    this.#running = true;
    this.#failures = 0;
    this.#joinStarted = Date.now();
    this.#loop = this.#consume(consumer).catch((error: unknown) => this.#crash(consumer, toKafkaJSError(error)));
  }

  /** The run loop; anything it throws (a bug of ours, not a handler's error) crashes the consumer. */
  async #consume(consumer: Consumer): Promise<void> {
    const run = this.#run!;
    // A wait for the first record of a round; short, so that stop() is prompt.
    const waitMs = 500;
    // kafkajs commits after each fetch, which brings up to maxBytes; a read of ours is far less.
    const fetchBytes = Number(this.#settings.config['fetch.max.bytes'] ?? KAFKAJS_MAX_BYTES);
    let readBytes = 0;
    while (this.#running) {
      let read: PackedRecords | undefined;
      const fetchStart = Date.now();
      this.#emit(CONSUMER_EVENTS.FETCH_START, { nodeId: -1 });
      try {
        this.#rebalanced = false;
        read = await consumer.consumePacked(READ_MAX, waitMs);
      } catch (error) {
        // consumePacked throws only a fatal error (retriable ones are logged and never end a read).
        await this.#crash(consumer, toKafkaJSError(error));
        return;
      }
      const rounds = read === undefined ? [] : this.#roundsOf(consumer, read);
      this.#emit(CONSUMER_EVENTS.FETCH, { numberOfBatches: rounds.length, duration: Date.now() - fetchStart, nodeId: -1 });
      if (!this.#running) {
        this.#rewind(consumer, rounds);
        break;
      }
      let failure: unknown;
      if (rounds.length > 0) {
        failure = await this.#process(consumer, rounds, run);
        this.#rewind(consumer, rounds);
        this.#round.clear();
      }
      readBytes += read === undefined ? 0 : bytesOf(read);
      // During a backlog (reads come full, or short with a read's worth still behind them), a
      // commit per fetch's worth of bytes: a commit per read (64 partitions each) cost the broker
      // and librdkafka a third of the throughput.
      const caughtUp = read === undefined || (countOf(read) < READ_MAX && backlogOf(consumer) < READ_MAX);
      const due = failure !== undefined || this.#rebalanced || caughtUp || readBytes >= fetchBytes;
      if (run.autoCommit && due) {
        readBytes = 0;
        // The commit goes out before the next read (which may rebalance), and runs while it waits.
        const committing = this.#commitResolved();
        if (failure !== undefined) await committing;
      }
      this.#heartbeatEvent();
      if (failure === undefined) {
        if (rounds.length > 0) this.#failures = 0;
        continue;
      }
      if (!(await this.#retryAfter(consumer, failure))) return;
    }
  }

  /**
   * The batch per partition, kafkajs's messages made straight from the read's columns; records of
   * paused partitions are put back (read again on resume), those of partitions revoked in the read
   * that brought them are dropped.
   */
  #roundsOf(consumer: Consumer, read: PackedRecords): PartitionRound[] {
    const { first, rest } = read;
    const rounds = new Map<string, PartitionRound>();
    const assigned = this.#rebalanced ? new Set(this.#assignment(consumer).map((tp) => key(tp.topic, tp.partition))) : undefined;
    let round: PartitionRound | undefined;
    // Records come in runs of one partition: the round is looked up (a key string made) only when the partition changes.
    const roundOf = (topic: string, partition: number, offset: number): PartitionRound | undefined => {
      if (round !== undefined && round.partition === partition && round.topic === topic) return round;
      const id = key(topic, partition);
      if (assigned !== undefined && !assigned.has(id)) return (round = undefined);
      round = rounds.get(id);
      if (round === undefined) {
        round = { topic, partition, read, rows: [], offsets: [], next: offset, stale: false };
        rounds.set(id, round);
      }
      return round;
    };
    const firstRound = roundOf(first.topic, first.partition, first.offset);
    if (firstRound !== undefined) {
      firstRound.rows.push(-1);
      firstRound.offsets.push(first.offset);
    }
    if (rest !== undefined) {
      const [, count, topics, fields] = rest;
      for (let f = 0; f < count * PACKED_FIELDS; f += PACKED_FIELDS) {
        if (fields[f] < 0) continue; // an error row, reported by consumePacked
        const offset = fields[f + 2];
        const into = roundOf(topics[fields[f]], fields[f + 1], offset);
        if (into === undefined) continue;
        into.rows.push(f);
        into.offsets.push(offset);
      }
    }
    const result: PartitionRound[] = [];
    for (const [id, round] of rounds) {
      const seek = this.#pendingSeeks.get(id);
      if (seek !== undefined) {
        this.#pendingSeeks.delete(id);
        if (round.offsets[0] !== seek.offset) {
          this.#applySeek(consumer, seek);
          continue; // read again from there
        }
      }
      if (this.#isPaused(round.topic, round.partition)) {
        this.#seekQuietly(consumer, round.topic, round.partition, round.next);
        continue;
      }
      this.#round.set(id, round);
      result.push(round);
    }
    return result;
  }

  /** Runs the handlers, `partitionsConsumedConcurrently` partitions at a time; the first failure, if any. */
  async #process(consumer: Consumer, rounds: PartitionRound[], run: RunSettings): Promise<unknown> {
    let failure: unknown;
    let at = 0;
    const worker = async (): Promise<void> => {
      while (at < rounds.length && this.#running && failure === undefined) {
        const round = rounds[at++];
        try {
          await this.#processBatch(consumer, round, run);
        } catch (error) {
          failure ??= error;
        }
      }
    };
    const workers = Math.min(run.partitionsConsumedConcurrently, rounds.length);
    if (workers === 1) await worker();
    else await Promise.all(Array.from({ length: workers }, worker));
    return failure;
  }

  async #processBatch(consumer: Consumer, round: PartitionRound, run: RunSettings): Promise<void> {
    const { topic, partition } = round;
    const batch = new KafkaJSBatch(topic, partition, messagesOf(round), round.offsets, consumer.handle);
    const started = Date.now();
    const withEvents = this.#listens(CONSUMER_EVENTS.START_BATCH_PROCESS) || this.#listens(CONSUMER_EVENTS.END_BATCH_PROCESS);
    const payload = withEvents
      ? {
          topic,
          partition,
          highWatermark: batch.highWatermark,
          offsetLag: batch.offsetLag(),
          offsetLagLow: batch.offsetLagLow(),
          batchSize: batch.messages.length,
          firstOffset: batch.firstOffset(),
          lastOffset: batch.lastOffset(),
        }
      : undefined;
    if (payload !== undefined) this.#emit(CONSUMER_EVENTS.START_BATCH_PROCESS, payload);
    const pause = (): (() => void) => {
      this.pause([{ topic, partitions: [partition] }]);
      return () => this.resume([{ topic, partitions: [partition] }]);
    };
    const heartbeat = async (): Promise<void> => this.#heartbeatEvent();
    if (run.eachMessage !== undefined) {
      const interim = run.autoCommit && (run.autoCommitInterval !== null || run.autoCommitThreshold !== null);
      for (let i = 0; i < batch.messages.length; i++) {
        if (!this.#running || round.stale || this.#isPaused(topic, partition)) break;
        await run.eachMessage({ topic, partition, message: batch.messages[i], heartbeat, pause });
        this.#resolve(round, round.offsets[i] + 1);
        if (interim) await this.#commitIfNecessary(run);
      }
    } else {
      const last = round.offsets[round.offsets.length - 1];
      await run.eachBatch!({
        batch,
        resolveOffset: (offset) => {
          const value = parseOffset(offset);
          if (value >= round.offsets[0] && value <= last) this.#resolve(round, value + 1);
        },
        heartbeat,
        pause,
        commitOffsetsIfNecessary: async (offsets) => {
          if (offsets !== undefined) {
            const list = (offsets?.topics ?? []).flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: parseOffset(p.offset) })));
            await this.#commit(consumer, list);
          } else if (run.autoCommit) {
            await this.#commitIfNecessary(run);
          }
        },
        uncommittedOffsets: () => this.#uncommitted(),
        isRunning: () => this.#running,
        isStale: () => round.stale,
      });
      if (run.eachBatchAutoResolve && !round.stale) this.#resolve(round, last + 1);
    }
    if (payload !== undefined) this.#emit(CONSUMER_EVENTS.END_BATCH_PROCESS, { ...payload, duration: Date.now() - started });
  }

  #resolve(round: PartitionRound, next: number): void {
    if (round.stale || next <= round.next) return;
    round.next = next;
    const id = key(round.topic, round.partition);
    const known = this.#resolved.get(id);
    if (known === undefined || known.offset < next) this.#resolved.set(id, { topic: round.topic, partition: round.partition, offset: next });
  }

  /** Partitions whose records were not all resolved read again from the first unresolved one. */
  #rewind(consumer: Consumer, rounds: PartitionRound[]): void {
    for (const round of rounds) {
      if (round.stale) continue;
      const end = round.offsets[round.offsets.length - 1] + 1;
      if (round.next < end) this.#seekQuietly(consumer, round.topic, round.partition, round.next);
    }
  }

  #seekQuietly(consumer: Consumer, topic: string, partition: number, offset: number): void {
    try {
      consumer.seek(topic, partition, offset);
    } catch {
      // no longer assigned: its next owner reads from the committed offset
    }
  }

  /**
   * After a handler's failure: kafkajs's backoff, then the loop reads again from the failed
   * record. Past the retries (or for an error not worth retrying), the consumer crashes.
   * Resolves false when the loop must end.
   */
  async #retryAfter(consumer: Consumer, failure: unknown): Promise<boolean> {
    const retry = { ...RETRY_DEFAULTS, ...this.#settings.retry };
    if (!(failure instanceof KafkaJSError) && failure instanceof Error) {
      log(this.#context.logger, 'error', { groupId: this.#settings.groupId }, `Error when calling ${this.#run?.eachMessage ? 'eachMessage' : 'eachBatch'}: ${failure.message}`);
    }
    if (!isRetriable(failure)) {
      await this.#crash(consumer, new KafkaJSNonRetriableError(failure instanceof Error ? failure : String(failure), { cause: failure instanceof Error ? failure : undefined }));
      return false;
    }
    this.#retryTime = this.#failures === 0 ? randomised(retry.factor, retry.initialRetryTime) : Math.min(randomised(retry.factor, this.#retryTime) * retry.multiplier, retry.maxRetryTime);
    if (this.#failures >= retry.retries) {
      const error = failure instanceof Error ? failure : new Error(String(failure));
      await this.#crash(consumer, new KafkaJSNumberOfRetriesExceeded(error, { retryCount: this.#failures, retryTime: this.#retryTime }));
      return false;
    }
    this.#failures++;
    // kafkajs's backoff between attempts: a timer the user's retry settings ask for.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.#retryTime);
      this.#wakeBackoff = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wakeBackoff = undefined;
    return true;
  }

  /** kafkajs's onCrash: leave the group, emit CRASH, and restart later when the error allows it. */
  async #crash(consumer: Consumer, error: Error): Promise<void> {
    this.#running = false;
    log(this.#context.logger, 'error', { groupId: this.#settings.groupId, retryCount: (error as { retryCount?: number }).retryCount }, `Crash: ${error.name}: ${error.message}`);
    if (this.#run?.autoCommit) await this.#commitResolved();
    this.#consumer = undefined;
    await consumer.close().catch(() => undefined);
    const retriable = error.name === 'KafkaJSNumberOfRetriesExceeded' || (originalCause(error) as { retriable?: unknown }).retriable === true;
    let restart = retriable;
    const decide = this.#settings.retry.restartOnFailure;
    if (retriable && typeof decide === 'function') {
      restart = await decide(error).catch((e: unknown) => {
        log(this.#context.logger, 'error', { groupId: this.#settings.groupId, error: String(e) }, 'Caught error when invoking user-provided "restartOnFailure" callback. Defaulting to restarting.');
        return true;
      });
    }
    this.#emit(CONSUMER_EVENTS.CRASH, { error, groupId: this.#settings.groupId, restart });
    if (!restart) {
      this.#run = undefined;
      return;
    }
    const retryTime = (error as { retryTime?: number }).retryTime ?? this.#settings.retry.initialRetryTime ?? RETRY_DEFAULTS.initialRetryTime;
    log(this.#context.logger, 'error', { groupId: this.#settings.groupId, retryTime }, `Restarting the consumer in ${retryTime}ms`);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#run === undefined) return;
      try {
        this.#start();
      } catch (e) {
        this.#run = undefined;
        log(this.#context.logger, 'error', { groupId: this.#settings.groupId }, `The restart failed: ${String(e)}`);
      }
    }, retryTime);
  }

  // ----- offsets -----

  #uncommitted(): OffsetsByTopicPartition {
    const topics = new Map<string, PartitionOffset[]>();
    for (const [id, { topic, partition, offset }] of this.#resolved) {
      if (this.#committed.get(id) === offset) continue;
      let list = topics.get(topic);
      if (list === undefined) topics.set(topic, (list = []));
      list.push({ partition, offset: String(offset) });
    }
    return { topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) };
  }

  async #commitIfNecessary(run: RunSettings): Promise<void> {
    const intervalReached = run.autoCommitInterval !== null && Date.now() >= this.#lastCommit + run.autoCommitInterval;
    let thresholdReached = false;
    if (run.autoCommitThreshold !== null) {
      let count = 0;
      for (const [id, { offset }] of this.#resolved) count += offset - (this.#committed.get(id) ?? 0);
      thresholdReached = count >= run.autoCommitThreshold;
    }
    if (intervalReached || thresholdReached) await this.#commitResolved();
  }

  /**
   * Commits the resolved offsets not committed yet. The commit is handed to librdkafka now, before
   * the next read: a rebalance that read applies then waits for it (handed over later, it went out
   * after the rejoin and Kafka refused its old generation). Resolves once every commit under way is done.
   */
  #commitResolved(): Promise<void> {
    const pending = this.#uncommitted().topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.offset) })));
    const committing = this.#commitPending(this.#consumer, pending);
    this.#commits = Promise.all([this.#commits, committing]).then(() => undefined);
    return this.#commits;
  }

  /** A retriable failure keeps the offsets for the next commit. */
  async #commitPending(consumer: Consumer | undefined, pending: Array<{ topic: string; partition: number; offset: number }>): Promise<void> {
    if (consumer === undefined || pending.length === 0) {
      this.#lastCommit = Date.now();
      return;
    }
    try {
      await this.#commit(consumer, pending);
    } catch (error) {
      const e = error as KafkaJSError;
      log(this.#context.logger, e.retriable ? 'warn' : 'error', { groupId: this.#settings.groupId }, `Committing offsets failed (they are committed with the next commit): ${e.message}`);
    }
  }

  async #commit(consumer: Consumer, offsets: Array<{ topic: string; partition: number; offset: number }>): Promise<void> {
    if (offsets.length === 0) return;
    try {
      await consumer.commit(offsets);
    } catch (error) {
      throw toKafkaJSError(error);
    }
    this.#lastCommit = Date.now();
    const topics = new Map<string, PartitionOffset[]>();
    for (const { topic, partition, offset } of offsets) {
      const id = key(topic, partition);
      this.#committed.set(id, offset);
      const resolved = this.#resolved.get(id);
      if (resolved !== undefined && resolved.offset <= offset) this.#resolved.delete(id);
      let list = topics.get(topic);
      if (list === undefined) topics.set(topic, (list = []));
      list.push({ partition, offset: String(offset) });
    }
    if (this.#listens(CONSUMER_EVENTS.COMMIT_OFFSETS)) {
      this.#emit(CONSUMER_EVENTS.COMMIT_OFFSETS, {
        groupId: this.#settings.groupId,
        memberId: '',
        groupGenerationId: -1,
        topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
      });
    }
  }

  // ----- rebalances, assignment, pause -----

  /** Runs inside a read, after librdkafka applied the change (see Consumer.onRebalance). */
  #onRebalance(event: RebalanceEvent): void {
    try {
      this.#rebalance(event);
    } catch (error) {
      // e.g. pausing a partition revoked again meanwhile: logged, never thrown into the read
      log(this.#context.logger, 'warn', { groupId: this.#settings.groupId }, `Applying a rebalance failed: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  #rebalance(event: RebalanceEvent): void {
    this.#rebalanced = true;
    const consumer = this.#consumer;
    if (event.type === 'revoke') {
      for (const { topic, partition } of event.partitions) {
        const id = key(topic, partition);
        const resolved = this.#resolved.get(id);
        if (resolved !== undefined) this.#carried.set(id, resolved);
        this.#resolved.delete(id); // the next owner starts from the committed offset
        this.#committed.delete(id);
      }
      this.#joinStarted = Date.now();
      this.#emit(CONSUMER_EVENTS.REBALANCING, { groupId: this.#settings.groupId, memberId: '' });
      return;
    }
    if (event.type !== 'assign' || consumer === undefined) return;
    const toPause = event.partitions.filter((tp) => this.#isPaused(tp.topic, tp.partition));
    if (toPause.length > 0) consumer.pause(toPause);
    // A partition back with offsets resolved before the rebalance (their commit failed): no other
    // member had it meanwhile, so go on from there and commit them.
    for (const tp of event.partitions) {
      const id = key(tp.topic, tp.partition);
      const carried = this.#carried.get(id);
      if (carried !== undefined && !this.#pendingSeeks.has(id)) {
        this.#resolved.set(id, carried);
        this.#pendingSeeks.set(id, carried);
      }
    }
    this.#carried.clear();
    if (this.#listens(CONSUMER_EVENTS.GROUP_JOIN)) {
      const memberAssignment: { [topic: string]: number[] } = {};
      for (const { topic, partition } of this.#assignment(consumer)) (memberAssignment[topic] ??= []).push(partition);
      const strategy = String(this.#settings.config['partition.assignment.strategy']).split(',')[0];
      this.#emit(CONSUMER_EVENTS.GROUP_JOIN, {
        duration: Date.now() - this.#joinStarted,
        groupId: this.#settings.groupId,
        isLeader: false,
        leaderId: '',
        groupProtocol: Object.keys(ASSIGNORS).find((name) => name.endsWith('Assigner') && ASSIGNORS[name] === strategy) ?? strategy,
        memberId: '',
        memberAssignment,
      });
    }
  }

  #applySeek(consumer: Consumer, { topic, partition, offset }: { topic: string; partition: number; offset: number }): void {
    try {
      consumer.seek(topic, partition, offset);
    } catch (error) {
      throw toKafkaJSError(error);
    }
    if (offset >= 0) {
      // kafkajs commits a seek's offset (autoCommit) or resolves it: here, with the next commit.
      this.#resolved.set(key(topic, partition), { topic, partition, offset });
      this.#committed.delete(key(topic, partition));
    }
  }

  #isPaused(topic: string, partition: number): boolean {
    const set = this.#paused.get(topic);
    return set !== undefined && (set === 'all' || set.has(partition));
  }

  #isAssigned(consumer: Consumer, at: TopicPartition): boolean {
    return this.#assignment(consumer).some((tp) => tp.topic === at.topic && tp.partition === at.partition);
  }

  #assignment(consumer: Consumer): TopicPartition[] {
    try {
      return consumer.assignment();
    } catch {
      return [];
    }
  }

  #started(): Consumer {
    if (this.#run === undefined || this.#consumer === undefined) throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first');
    return this.#consumer;
  }

  // ----- instrumentation -----

  #listens(type: string): boolean {
    return (this.#listeners.get(type)?.size ?? 0) > 0;
  }

  /** librdkafka heartbeats on its own thread; the event says the member is alive, at most once per heartbeatInterval. */
  #heartbeatEvent(): void {
    const now = Date.now();
    if (!this.#listens(CONSUMER_EVENTS.HEARTBEAT) || now - this.#lastHeartbeatEvent < Number(this.#settings.config['heartbeat.interval.ms'])) return;
    this.#lastHeartbeatEvent = now;
    this.#emit(CONSUMER_EVENTS.HEARTBEAT, { groupId: this.#settings.groupId, memberId: '', groupGenerationId: -1 });
  }

  #emit(type: string, payload: unknown): void {
    const listeners = this.#listeners.get(type);
    if (listeners === undefined || listeners.size === 0) return;
    const event: InstrumentationEvent<unknown> = { id: String(nextEventId++), type, timestamp: Date.now(), payload };
    for (const listener of [...listeners]) {
      try {
        Promise.resolve(listener(event)).catch((e: unknown) => this.#listenerFailed(type, e));
      } catch (e) {
        this.#listenerFailed(type, e);
      }
    }
  }

  #listenerFailed(eventName: string, error: unknown): void {
    log(this.#context.logger, 'error', { eventName, stack: (error as Error)?.stack }, `Failed to execute listener: ${(error as Error)?.message ?? String(error)}`);
  }
}

/** A RegExp librdkafka's topic regex can take (`^...`): an unanchored one matches anywhere in the name, as RegExp.test does. Undefined for flags it has no equal of (i, m, u). */
function regexSubscription(pattern: RegExp): string | undefined {
  if (pattern.flags.replace(/[gsyd]/g, '') !== '') return undefined;
  return pattern.source.startsWith('^') ? pattern.source : `^.*${pattern.source}`;
}

function checkTopicPartition(topic: unknown, partition: unknown): TopicPartition {
  if (typeof topic !== 'string' || topic.length === 0) throw new KafkaJSNonRetriableError(`Invalid topic ${String(topic)}`);
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0) throw new KafkaJSNonRetriableError(`Invalid partition, expected a number received ${String(partition)}`);
  return { topic, partition };
}

function checkTopicPartitionsList(items: unknown, what: string): Array<{ topic: string; partitions?: number[] }> {
  if (!Array.isArray(items)) throw new KafkaJSNonRetriableError(`${what}() takes an array of { topic, partitions? }`);
  return items.map((item: unknown) => {
    const { topic, partitions } = (item ?? {}) as { topic?: unknown; partitions?: unknown };
    if (typeof topic !== 'string' || topic.length === 0) throw new KafkaJSNonRetriableError(`Invalid topic ${String(topic ?? item)}`);
    if (partitions !== undefined && (!Array.isArray(partitions) || partitions.some((p) => typeof p !== 'number' || !Number.isInteger(p) || p < 0))) {
      throw new KafkaJSNonRetriableError(`Array of valid partitions required to ${what} specific partitions instead of ${String(partitions)}`);
    }
    return { topic, partitions: partitions as number[] | undefined };
  });
}

/** kafkajs's offsets are strings of 64-bit integers. */
function parseOffset(offset: unknown): number {
  const value = typeof offset === 'string' && /^-?\d+$/.test(offset.trim()) ? Number(offset) : typeof offset === 'number' || typeof offset === 'bigint' ? Number(offset) : NaN;
  if (!Number.isSafeInteger(value)) throw new KafkaJSNonRetriableError(`Invalid offset, expected a long received ${String(offset)}`);
  return value;
}

/** Kafka's ConsumerProtocol assignment (version 0): what kafkajs's AssignerProtocol.MemberAssignment.decode reads. */
function encodeAssignment(assignment: TopicPartition[]): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of assignment) {
    const list = byTopic.get(topic) ?? [];
    list.push(partition);
    byTopic.set(topic, list);
  }
  const parts: Buffer[] = [];
  const int16 = (n: number): Buffer => {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    return b;
  };
  const int32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  parts.push(int16(0), int32(byTopic.size));
  for (const [topic, partitions] of byTopic) {
    const name = Buffer.from(topic);
    parts.push(int16(name.length), name, int32(partitions.length), ...partitions.map(int32));
  }
  parts.push(int32(0)); // empty user data, as kafkajs's MemberAssignment.encode writes it
  return Buffer.concat(parts);
}

function groupDescriptionOf(group: AdminGroupDescription): GroupDescription {
  return {
    groupId: group.groupId,
    members: group.members.map((m) => ({
      clientHost: m.host,
      clientId: m.clientId,
      memberId: m.memberId,
      memberAssignment: encodeAssignment(m.assignment),
      memberMetadata: Buffer.alloc(0), // librdkafka's DescribeConsumerGroups does not return it
    })),
    protocol: group.partitionAssignor,
    protocolType: group.simple ? '' : 'consumer',
    errorCode: 0,
    state: group.state as ConsumerGroupState,
  };
}

function kafkaJSLogger(context: ClientContext, namespace: string, level = 5): KafkaJSLogger {
  let threshold: number = level;
  const levels = { error: 1, warn: 2, info: 4, debug: 5 } as const; // kafkajs's logLevel numbers
  const at =
    (name: keyof typeof levels) =>
    (message: string, extra: object = {}): void => {
      if (levels[name] <= threshold) log(context.logger, name, { namespace, ...extra }, message);
    };
  return {
    info: at('info'),
    error: at('error'),
    warn: at('warn'),
    debug: at('debug'),
    namespace: (name: string, childLevel?: logLevel) => kafkaJSLogger(context, name, childLevel ?? threshold),
    setLogLevel: (newLevel: logLevel) => {
      threshold = newLevel;
    },
  };
}

