// kafkajs's admin client over our Admin: the same methods, arguments, results and error classes
// as kafkajs 2.2.4's, so that a kafkajs program changes only its import. Each method checks its
// arguments as kafkajs does (KafkaJSNonRetriableError naming what was wrong), runs on Admin, and
// retries retriable failures with kafkajs's retry policy (then KafkaJSNumberOfRetriesExceeded).
// Where librdkafka works differently, docs/kafkajs.md ("Admin") says what we do and why.
import { EventEmitter } from 'node:events';
import { Admin, type ClusterMetadata, type ResourceType } from '../admin';
import type { AclBinding, AclFilter, AclOperation, AclPatternType, AclPermission, AclResourceType } from '../acls';
import { KafkaError } from '../errors';
import { describe as describeValue, topicNameProblem } from '../validate';
import { connectConfig, type BrokersFunction } from './config';
import type { ClientContext, RetryOptions } from './context';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ConfigResourceTypes, ResourcePatternTypes } from './enums';
import {
  KafkaJSAggregateError,
  KafkaJSBrokerNotFound,
  KafkaJSCreateTopicError,
  KafkaJSDeleteGroupsError,
  KafkaJSDeleteTopicRecordsError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNotImplemented,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSServerDoesNotSupportApiKey,
  KafkaJSTimeout,
  toKafkaJSError,
} from './errors';
import type { PartitionMetadata } from './partitioners';

export interface AdminConfig {
  retry?: RetryOptions;
}

export interface ReplicaAssignment {
  partition: number;
  replicas: number[];
}

export interface IResourceConfigEntry {
  name: string;
  value: string;
}

export interface ITopicConfig {
  topic: string;
  numPartitions?: number;
  replicationFactor?: number;
  replicaAssignment?: ReplicaAssignment[];
  configEntries?: IResourceConfigEntry[];
}

export interface ITopicPartitionConfig {
  topic: string;
  count: number;
  assignments?: number[][];
}


export interface ITopicMetadata {
  name: string;
  partitions: PartitionMetadata[];
}

/** A partition and an offset, as kafkajs writes them: the offset is a string. */
export interface SeekEntry {
  partition: number;
  offset: string;
}

export interface FetchOffsetsPartition extends SeekEntry {
  metadata: string | null;
}

export interface ResourceConfigQuery {
  type: ConfigResourceTypes;
  name: string;
  configNames?: string[];
}

export interface ConfigSynonyms {
  configName: string;
  configValue: string;
  configSource: number;
}

export interface ConfigEntries {
  configName: string;
  /** null for a sensitive value (as in kafkajs, whose declaration says string). */
  configValue: string;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  readOnly: boolean;
  configSynonyms: ConfigSynonyms[];
}

export interface DescribeConfigResponse {
  /** errorMessage is null (as in kafkajs, whose declaration says string). */
  resources: { configEntries: ConfigEntries[]; errorCode: number; errorMessage: string; resourceName: string; resourceType: ConfigResourceTypes }[];
  throttleTime: number;
}

export interface IResourceConfig {
  type: ConfigResourceTypes;
  name: string;
  configEntries: IResourceConfigEntry[];
}

export interface AlterConfigResponse {
  resources: { errorCode: number; errorMessage: string | null; resourceName: string; resourceType: ConfigResourceTypes }[];
  throttleTime: number;
}

export interface GroupOverview {
  groupId: string;
  protocolType: string;
}

export interface MemberDescription {
  clientHost: string;
  clientId: string;
  memberId: string;
  memberAssignment: Buffer;
  memberMetadata: Buffer;
}

/** Kafka's group states, as librdkafka names them too. */
export type ConsumerGroupState = 'Unknown' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead' | 'Empty';

export interface GroupDescription {
  errorCode: number;
  groupId: string;
  members: MemberDescription[];
  protocol: string;
  protocolType: string;
  state: ConsumerGroupState;
}

export interface DeleteGroupsResult {
  groupId: string;
  errorCode?: number;
  error?: KafkaJSProtocolError;
}

export interface Acl {
  principal: string;
  host: string;
  operation: AclOperationTypes;
  permissionType: AclPermissionTypes;
}

export interface AclResource {
  resourceType: AclResourceTypes;
  resourceName: string;
  resourcePatternType: ResourcePatternTypes;
}

export type AclEntry = Acl & AclResource;

export interface AclFilterEntry {
  resourceType: AclResourceTypes;
  resourceName?: string;
  resourcePatternType: ResourcePatternTypes;
  principal?: string;
  host?: string;
  operation: AclOperationTypes;
  permissionType: AclPermissionTypes;
}

/** errorMessage fields are null, as in kafkajs (whose declarations say string). */
export interface DescribeAclResponse {
  throttleTime: number;
  errorCode: number;
  errorMessage?: string;
  resources: (AclResource & { acls: Acl[] })[];
}

export interface MatchingAcl extends AclEntry {
  errorCode: number;
  errorMessage?: string;
}

export interface DeleteAclResponse {
  throttleTime: number;
  filterResponses: { errorCode: number; errorMessage?: string; matchingAcls: MatchingAcl[] }[];
}

export interface PartitionReassignment {
  topic: string;
  partitionAssignment: ReplicaAssignment[];
}

export interface ListPartitionReassignmentsResponse {
  topics: { topic: string; partitions: { partitionIndex: number; replicas: number[]; addingReplicas?: number[]; removingReplicas?: number[] }[] }[];
}

/** kafkajs's admin events; only CONNECT and DISCONNECT are emitted (see docs/kafkajs.md). */
export const AdminEvents = Object.freeze({
  CONNECT: 'admin.connect',
  DISCONNECT: 'admin.disconnect',
  REQUEST: 'admin.network.request',
  REQUEST_TIMEOUT: 'admin.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'admin.network.request_queue_size',
} as const);
export type AdminEventName = (typeof AdminEvents)[keyof typeof AdminEvents];

export interface InstrumentationEvent<T> {
  id: string;
  type: string;
  timestamp: number;
  payload: T;
}

/** kafkajs's logger, as `admin.logger()` returns it: (message, extra). Levels are kafkajs's logLevel numbers. */
export interface KafkaJSLogger {
  info(message: string, extra?: object): void;
  error(message: string, extra?: object): void;
  warn(message: string, extra?: object): void;
  debug(message: string, extra?: object): void;
  namespace(namespace: string, logLevel?: number): KafkaJSLogger;
  setLogLevel(logLevel: number): void;
}

/** kafkajs's defaults (src/retry/defaults.js). */
const RETRY_DEFAULTS = { maxRetryTime: 30_000, initialRetryTime: 300, factor: 0.2, multiplier: 2, retries: 5 };
/** kafkajs's default timeout of createTopics, deleteTopics and createPartitions. */
const TOPIC_TIMEOUT_MS = 5000;
/** How long deleteTopics and createPartitions wait for the metadata to show the change. */
const METADATA_WAIT_MS = 30_000;
const UNSUPPORTED_FEATURE = -165;
const NOT_IMPLEMENTED = -170;
const TOPIC_ALREADY_EXISTS = 36;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const LATEST = -1;
/** Kafka's null error message, typed as kafkajs declares it (string). */
const NO_MESSAGE = null as unknown as string;
const EARLIEST = -2;

const ACL_RESOURCES: { [code: number]: AclResourceType | 'any' } = { 1: 'any', 2: 'topic', 3: 'group', 4: 'cluster' };
const ACL_PATTERNS: { [code: number]: AclPatternType | 'any' | 'match' } = { 1: 'any', 2: 'match', 3: 'literal', 4: 'prefixed' };
const ACL_OPERATIONS: { [code: number]: AclOperation | 'any' } = {
  1: 'any', 2: 'all', 3: 'read', 4: 'write', 5: 'create', 6: 'delete', 7: 'alter', 8: 'describe',
  9: 'cluster-action', 10: 'describe-configs', 11: 'alter-configs', 12: 'idempotent-write',
};
const ACL_PERMISSIONS: { [code: number]: AclPermission | 'any' } = { 1: 'any', 2: 'deny', 3: 'allow' };

let eventId = 0;

/** kafkajs's own wording for a bad argument: "Invalid <what> <value>". */
function invalid(what: string, value: unknown): KafkaJSNonRetriableError {
  return new KafkaJSNonRetriableError(`Invalid ${what} ${describeValue(value)}`);
}

/** Our failures as kafkajs's classes; what the embedded broker or librdkafka 2.0.2 cannot do gets its own. */
function kafkaJSError(error: unknown): Error {
  if (error instanceof KafkaError && error.code === UNSUPPORTED_FEATURE) return new KafkaJSServerDoesNotSupportApiKey(error.message);
  if (error instanceof KafkaError && error.code === NOT_IMPLEMENTED) return new KafkaJSNotImplemented(error.message);
  // Our argument checks throw TypeError; kafkajs programs catch KafkaJSError.
  if (error instanceof TypeError) return new KafkaJSNonRetriableError(error.message, { cause: error });
  return toKafkaJSError(error);
}

function protocolError(error: KafkaError): { message: string; type: string; code: number; retriable: boolean } {
  const converted = toKafkaJSError(error);
  const type = converted instanceof KafkaJSProtocolError ? converted.type : error.codeName.replace(/^ERR_/, '');
  return { message: error.message, type, code: error.code, retriable: error.retriable };
}

/** A kafkajs offset ('35', 35, '-1' latest, '-2' earliest) as a number; undefined when it is none of these. */
function offsetNumber(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^-?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= EARLIEST ? n : undefined;
}

/** The consumer protocol's MemberAssignment (version 0, no user data), as kafkajs's AssignerProtocol decodes it. */
function encodeAssignment(partitions: { topic: string; partition: number }[]): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  const parts: Buffer[] = [int16(0), int32(byTopic.size)];
  for (const [topic, list] of byTopic) {
    const name = Buffer.from(topic, 'utf8');
    parts.push(int16(name.length), name, int32(list.length), ...list.map(int32));
  }
  parts.push(int32(0)); // userData: zero bytes
  return Buffer.concat(parts);
}

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

/** Requests one facade call has open at once: each holds a thread until its answer comes. */
const REQUESTS_AT_ONCE = 8;

/** fn on each item, at most REQUESTS_AT_ONCE at a time, settled in the items' order (a few lines; no library needed). */
async function settleEach<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await fn(items[i]) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(REQUESTS_AT_ONCE, items.length) }, worker));
  return results;
}

/** Like Promise.all over items, at most REQUESTS_AT_ONCE at a time. */
async function mapEach<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  return (await settleEach(items, fn)).map((o) => {
    if (o.status === 'rejected') throw o.reason;
    return o.value;
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class KafkaJSAdmin {
  readonly events = AdminEvents;
  readonly #context: ClientContext & { brokers?: BrokersFunction };
  readonly #retry: Required<Omit<RetryOptions, 'restartOnFailure'>>;
  readonly #emitter = new EventEmitter();
  readonly #logger: KafkaJSLogger;
  #admin: Admin | undefined;

  constructor(context: ClientContext, config: AdminConfig = {}) {
    if (typeof config !== 'object' || config === null) throw invalid('admin config', config);
    this.#context = context;
    const { restartOnFailure: _ignored, ...retry } = { ...context.retry, ...config.retry };
    this.#retry = { ...RETRY_DEFAULTS, ...retry };
    this.#logger = kafkaJSLogger(context.logger, 'Admin');
  }

  /** Checks that a broker answers; kafkajs programs call it first (the methods also work without it). */
  async connect(): Promise<void> {
    await this.#run(() => this.#client().metadata({ topics: [] }));
    this.#emit(AdminEvents.CONNECT, null);
  }

  async disconnect(): Promise<void> {
    const admin = this.#admin;
    this.#admin = undefined;
    await admin?.close();
    this.#emit(AdminEvents.DISCONNECT, null);
  }

  async listTopics(): Promise<string[]> {
    return this.#run(() => this.#client().listTopics());
  }

  /** true when every topic was created, false when one already existed (as kafkajs). */
  async createTopics(options: { topics: ITopicConfig[]; validateOnly?: boolean; waitForLeaders?: boolean; timeout?: number }): Promise<boolean> {
    const { topics, validateOnly = false, waitForLeaders = true, timeout = TOPIC_TIMEOUT_MS } = options ?? {};
    if (!Array.isArray(topics)) throw new KafkaJSNonRetriableError(`Invalid topics array ${describeValue(topics)}`);
    topics.forEach((t, i) => this.#checkTopic(t?.topic, `topics[${i}].topic`));
    if (new Set(topics.map((t) => t.topic)).size < topics.length) throw new KafkaJSNonRetriableError('Invalid topics array, it cannot have multiple entries for the same topic');
    const assignments = new Map(topics.map((t) => [t.topic, replicaAssignmentOf(t)]));
    for (const { topic, configEntries } of topics) {
      if (configEntries == null) continue;
      if (!Array.isArray(configEntries)) throw new KafkaJSNonRetriableError(`Invalid configEntries for topic "${topic}", must be an array`);
      configEntries.forEach((entry, index) => {
        if (typeof entry !== 'object' || entry === null) throw new KafkaJSNonRetriableError(`Invalid configEntries for topic "${topic}". Entry ${index} must be an object`);
        for (const property of ['name', 'value'] as const) {
          if (typeof entry[property] !== 'string') throw new KafkaJSNonRetriableError(`Invalid configEntries for topic "${topic}". Entry ${index} must have a valid "${property}" property`);
        }
      });
    }
    this.#checkTimeout(timeout, 'timeout');
    const failures = await this.#run(async () => {
      const admin = this.#client();
      // One request per topic: each topic's answer is its own, as in Kafka's response.
      const outcomes = await settleEach(topics, (t) =>
        admin.createTopics(
          {
            name: t.topic,
            partitions: t.numPartitions,
            replicationFactor: t.replicationFactor,
            configs: Object.fromEntries((t.configEntries ?? []).map((e) => [e.name, e.value])),
            replicaAssignment: assignments.get(t.topic),
          },
          { wait: false, validateOnly, timeoutMs: timeout },
        ),
      );
      const failures = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ topic: topics[i].topic, error: o.reason as unknown }] : []));
      const local = failures.find((f) => !(f.error instanceof KafkaError) || f.error.code < 0);
      if (local !== undefined) throw local.error;
      return failures as { topic: string; error: KafkaError }[];
    });
    // Every topic that was created is led before the call returns, also when another was refused.
    const created = topics.filter((t) => !failures.some((f) => f.topic === t.topic));
    if (waitForLeaders && !validateOnly && created.length > 0) {
      const wanted = new Map(created.map((t) => [t.topic, t.numPartitions ?? assignments.get(t.topic)?.length ?? -1]));
      await this.#waitForMetadata([...wanted.keys()], timeout, 'Timed out while waiting for topic leaders', (md) =>
        md.topics.every((t) => t.error === 0 && t.partitions.length > 0 && (wanted.get(t.name)! < 0 || t.partitions.length === wanted.get(t.name)) && t.partitions.every((p) => p.leader >= 0)),
      );
    }
    if (failures.length === 0) return true;
    if (failures.every((f) => f.error.code === TOPIC_ALREADY_EXISTS)) return false;
    const errors = failures.map((f) => new KafkaJSCreateTopicError(protocolError(f.error), f.topic));
    throw new KafkaJSAggregateError(`Topic creation errors: ${errors.map((e) => e.message).join('; ')}`, errors);
  }

  async deleteTopics(options: { topics: string[]; timeout?: number }): Promise<void> {
    const { topics, timeout = TOPIC_TIMEOUT_MS } = options ?? {};
    if (!Array.isArray(topics)) throw new KafkaJSNonRetriableError(`Invalid topics array ${describeValue(topics)}`);
    if (topics.some((t) => typeof t !== 'string' || t === '')) throw new KafkaJSNonRetriableError('Invalid topics array, the names must be a valid string');
    this.#checkTimeout(timeout, 'timeout');
    if (topics.length === 0) return;
    await this.#run(() => this.#client().deleteTopics(topics, { wait: false, timeoutMs: timeout }));
    // So that the next listTopics or fetchTopicMetadata no longer shows them.
    await this.#waitForMetadata(topics, METADATA_WAIT_MS, 'Timed out while waiting for the deleted topics to leave the metadata', (md) =>
      md.topics.every((t) => t.error === UNKNOWN_TOPIC_OR_PARTITION),
    );
  }

  /** Grows topics to `count` partitions each. Resolves true (kafkajs's type; its code resolves undefined). */
  async createPartitions(options: { topicPartitions: ITopicPartitionConfig[]; validateOnly?: boolean; timeout?: number }): Promise<boolean> {
    const { topicPartitions, validateOnly = false, timeout = TOPIC_TIMEOUT_MS } = options ?? {};
    if (!Array.isArray(topicPartitions)) throw new KafkaJSNonRetriableError(`Invalid topic partitions array ${describeValue(topicPartitions)}`);
    if (topicPartitions.length === 0) throw new KafkaJSNonRetriableError('Empty topic partitions array');
    topicPartitions.forEach((t, i) => {
      this.#checkTopic(t?.topic, `topicPartitions[${i}].topic`);
      if (!Number.isInteger(t.count) || t.count < 1) throw new KafkaJSNonRetriableError(`Invalid partition count for topic "${t.topic}": ${describeValue(t.count)} (a whole number of at least 1)`);
      if (t.assignments != null && (!Array.isArray(t.assignments) || t.assignments.some((ids) => !Array.isArray(ids) || ids.length === 0 || ids.some((id) => !Number.isInteger(id) || id < 0)))) {
        throw new KafkaJSNonRetriableError(`Invalid assignments for topic "${t.topic}": ${JSON.stringify(t.assignments)} (one array of broker ids per new partition, e.g. [[1, 2], [2, 3]])`);
      }
    });
    if (new Set(topicPartitions.map((t) => t.topic)).size < topicPartitions.length) {
      throw new KafkaJSNonRetriableError('Invalid topic partitions array, it cannot have multiple entries for the same topic');
    }
    this.#checkTimeout(timeout, 'timeout');
    await this.#run(async () => {
      const admin = this.#client();
      const outcomes = await settleEach(topicPartitions, (t) => admin.createPartitions(t.topic, t.count, { wait: false, validateOnly, timeoutMs: timeout, assignments: t.assignments ?? undefined }));
      const failed = outcomes.find((o) => o.status === 'rejected');
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    });
    if (!validateOnly) {
      const counts = new Map(topicPartitions.map((t) => [t.topic, t.count]));
      await this.#waitForMetadata([...counts.keys()], METADATA_WAIT_MS, 'Timed out while waiting for the new partitions', (md) =>
        md.topics.every((t) => t.partitions.length >= counts.get(t.name)! && t.partitions.every((p) => p.leader >= 0)),
      );
    }
    return true;
  }

  /** Partitions of these topics (every topic when none are given); a topic that does not exist is an error. */
  async fetchTopicMetadata(options: { topics?: string[] } = {}): Promise<{ topics: ITopicMetadata[] }> {
    const topics = options?.topics ?? [];
    if (!Array.isArray(topics)) throw new KafkaJSNonRetriableError(`Invalid topics array ${describeValue(topics)}`);
    topics.forEach((t) => {
      if (typeof t !== 'string' || t === '') throw new KafkaJSNonRetriableError(`Invalid topic ${describeValue(t)}`);
    });
    const md = await this.#run(async () => this.#existing(await this.#client().metadata(topics.length === 0 ? {} : { topics })));
    return {
      topics: md.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionErrorCode: p.error, partitionId: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr })),
      })),
    };
  }

  /** Each partition's end offset (`offset`, `high`) and first offset (`low`), as strings. */
  async fetchTopicOffsets(topic: string): Promise<(SeekEntry & { high: string; low: string })[]> {
    this.#checkTopic(topic, 'topic');
    return this.#run(async () => {
      const { high, low } = await this.#watermarks(topic);
      return [...high].map(([partition, offset]) => ({ partition, offset: String(offset), high: String(offset), low: String(low.get(partition)) }));
    });
  }

  /** Each partition's first offset whose message is at least `timestamp` old; the end offset when none is. */
  async fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<SeekEntry[]> {
    this.#checkTopic(topic, 'topic');
    if (timestamp !== undefined && !Number.isSafeInteger(timestamp)) throw new KafkaJSNonRetriableError(`Invalid timestamp ${describeValue(timestamp)}: milliseconds since the epoch`);
    return this.#run(async () => {
      const admin = this.#client();
      const partitions = await this.#partitions(topic);
      const asked = (time: number) => admin.offsetsForTimes(partitions.map((partition) => ({ topic, partition, timestamp: time })));
      const [found, high] = await Promise.all([asked(timestamp ?? LATEST), asked(LATEST)]);
      const end = new Map(high.map((p) => [p.partition, p.offset]));
      return found.sort((a, b) => a.partition - b.partition).map(({ partition, offset }) => ({ partition, offset: String(offset >= 0 ? offset : end.get(partition)) }));
    });
  }

  /**
   * A group's committed offsets for these topics ('-1': none), or for every topic it committed.
   * `resolveOffsets`: '-1' and '-2' become the end and first offsets, and are committed (as kafkajs).
   */
  async fetchOffsets(options: { groupId: string; topics?: string[]; resolveOffsets?: boolean }): Promise<{ topic: string; partitions: FetchOffsetsPartition[] }[]> {
    const { groupId, topics = [], resolveOffsets = false } = options ?? {};
    this.#checkGroupId(groupId);
    if (!Array.isArray(topics)) throw new KafkaJSNonRetriableError('Expected topics array to be set');
    topics.forEach((t, i) => this.#checkTopic(t, `topics[${i}]`));
    const committed = await this.#run(async () => {
      const admin = this.#client();
      if (topics.length === 0) return admin.groupOffsets(groupId);
      const partitions = (await mapEach(topics, async (topic) => (await this.#partitions(topic)).map((partition) => ({ topic, partition })))).flat();
      return admin.groupOffsets(groupId, partitions);
    });
    const byTopic = new Map<string, SeekEntry[]>((topics.length > 0 ? topics : [...new Set(committed.map((c) => c.topic))]).map((t) => [t, []]));
    for (const { topic, partition, offset } of committed) byTopic.get(topic)?.push({ partition, offset: String(offset ?? LATEST) });
    const result = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    if (resolveOffsets) {
      for (const entry of result) {
        const unresolved = entry.partitions.filter((p) => Number(p.offset) === LATEST || Number(p.offset) === EARLIEST);
        if (unresolved.length === 0) continue;
        const { high, low } = await this.#run(() => this.#watermarks(entry.topic));
        for (const p of unresolved) p.offset = String(Number(p.offset) === LATEST ? high.get(p.partition) : low.get(p.partition));
        await this.setOffsets({ groupId, topic: entry.topic, partitions: unresolved });
      }
    }
    return result.map(({ topic, partitions }) => ({ topic, partitions: partitions.map(({ partition, offset }) => ({ partition, offset, metadata: null })) }));
  }

  /** Commits every partition's end offset (first offset with `earliest`) for the group, which must have no members. */
  async resetOffsets(options: { groupId: string; topic: string; earliest?: boolean }): Promise<void> {
    const { groupId, topic, earliest = false } = options ?? {};
    this.#checkGroupId(groupId);
    this.#checkTopic(topic, 'topic');
    if (typeof earliest !== 'boolean') throw new KafkaJSNonRetriableError(`Invalid earliest ${describeValue(earliest)}: true or false`);
    const partitions = await this.#run(() => this.#partitions(topic));
    await this.setOffsets({ groupId, topic, partitions: partitions.map((partition) => ({ partition, offset: String(earliest ? EARLIEST : LATEST) })) });
  }

  /** Commits these offsets for the group, which must have no members ('-1': the end, '-2': the first offset). */
  async setOffsets(options: { groupId: string; topic: string; partitions: SeekEntry[] }): Promise<void> {
    const { groupId, topic, partitions } = options ?? {};
    this.#checkGroupId(groupId);
    this.#checkTopic(topic, 'topic');
    if (!Array.isArray(partitions) || partitions.length === 0) throw new KafkaJSNonRetriableError(`Invalid partitions ${describeValue(partitions)}: a non-empty array of { partition, offset }`);
    const entries = partitions.map((p, i) => {
      if (typeof p !== 'object' || p === null || !Number.isInteger(p.partition) || p.partition < 0) {
        throw new KafkaJSNonRetriableError(`Invalid partitions[${i}] ${describeValue(p)}: { partition, offset } with a partition number`);
      }
      const offset = offsetNumber(p.offset);
      if (offset === undefined) throw new KafkaJSNonRetriableError(`Invalid offset for partition ${p.partition}: ${describeValue(p.offset)} (a whole number, '-1' for the end or '-2' for the beginning)`);
      return { partition: p.partition, offset };
    });
    await this.#run(async () => {
      const admin = this.#client();
      let state: string | undefined;
      try {
        [{ state }] = await admin.describeGroups(groupId);
      } catch (error) {
        // The embedded broker cannot describe groups; the commit itself is still refused for a consuming group.
        if (!(error instanceof KafkaError && error.code === UNSUPPORTED_FEATURE)) throw error;
      }
      if (state !== undefined && state !== 'Empty' && state !== 'Dead') {
        throw new KafkaJSNonRetriableError(`The consumer group must have no running instances, current state: ${state}`);
      }
      const ends = entries.some((e) => e.offset < 0) ? await this.#watermarks(topic) : undefined;
      const resolved = entries.map(({ partition, offset }) => ({
        topic,
        partition,
        offset: offset === LATEST ? ends!.high.get(partition) : offset === EARLIEST ? ends!.low.get(partition) : offset,
      }));
      const unknown = resolved.filter((r) => r.offset === undefined).map((r) => r.partition);
      if (unknown.length > 0) throw new KafkaJSNonRetriableError(`Topic "${topic}" has no partition ${unknown.join(', ')}`);
      await admin.alterGroupOffsets(groupId, resolved as { topic: string; partition: number; offset: number }[]);
    });
  }

  /** Deletes every record before each offset ('-1': all); per-partition failures come in KafkaJSDeleteTopicRecordsError. */
  async deleteTopicRecords(options: { topic: string; partitions: SeekEntry[] }): Promise<void> {
    const { topic, partitions } = options ?? {};
    if (typeof topic !== 'string' || topic === '') throw new KafkaJSNonRetriableError(`Invalid topic "${String(topic)}"`);
    if (!Array.isArray(partitions) || partitions.length === 0) throw new KafkaJSNonRetriableError(`Invalid partitions ${describeValue(partitions)}: a non-empty array of { partition, offset }`);
    const entries = partitions.map((p, i) => {
      const offset = offsetNumber(p?.offset);
      if (!Number.isInteger(p?.partition) || offset === undefined || offset === EARLIEST) {
        throw new KafkaJSNonRetriableError(`Invalid partitions[${i}] ${describeValue(p)}: { partition, offset } with a whole offset, '-1' for all`);
      }
      return { partition: p.partition, offset: p.offset, value: offset };
    });
    const { low } = await this.#run(() => this.#watermarks(topic));
    const missing = entries.filter((e) => !low.has(e.partition));
    if (missing.length > 0) {
      throw new KafkaJSDeleteTopicRecordsError({
        partitions: missing.map(({ partition, offset }) => ({ partition, offset: String(offset), error: new KafkaJSBrokerNotFound(`Could not find the leader for the partition: topic "${topic}" has no partition ${partition}`) })),
      });
    }
    for (const e of entries) {
      if (e.value !== LATEST && e.value < low.get(e.partition)!) {
        this.#logger.warn('The requested offset is before the earliest offset maintained on the partition - no records will be deleted from this partition', { topic, partition: e.partition, offset: String(e.offset) });
      }
    }
    await this.#run(async () => {
      const admin = this.#client();
      // One request per partition: each partition's refusal is its own.
      const outcomes = await settleEach(entries, (e) => admin.deleteRecords([{ topic, partition: e.partition, offset: e.value }]));
      const failures = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ entry: entries[i], error: o.reason as unknown }] : []));
      const local = failures.find((f) => !(f.error instanceof KafkaError) || f.error.code < 0);
      if (local !== undefined) throw local.error;
      if (failures.length > 0) {
        throw new KafkaJSDeleteTopicRecordsError({
          partitions: failures.map(({ entry, error }) => ({ partition: entry.partition, offset: String(entry.offset), error: new KafkaJSProtocolError(protocolError(error as KafkaError)) })),
        });
      }
    });
  }

  /** { brokers: [{ nodeId, host, port }], controller, clusterId } from the metadata. */
  async describeCluster(): Promise<{ brokers: { nodeId: number; host: string; port: number }[]; controller: number | null; clusterId: string }> {
    const md = await this.#run(() => this.#client().metadata({ topics: [] }));
    return {
      brokers: md.brokers.map(({ id, host, port }) => ({ nodeId: id, host, port })),
      // The embedded broker names no broker of its own as controller (it reports 0): null, as kafkajs gives for none.
      controller: md.brokers.some((b) => b.id === md.controllerId) ? md.controllerId : null,
      clusterId: md.clusterId,
    };
  }

  async listGroups(): Promise<{ groups: GroupOverview[] }> {
    const groups = await this.#run(() => this.#client().listGroups());
    // librdkafka tells only whether a group has a protocol type: consumer groups do, commit-only groups do not.
    return { groups: groups.map((g) => ({ groupId: g.groupId, protocolType: g.simple ? '' : 'consumer' })) };
  }

  async describeGroups(groupIds: string[]): Promise<{ groups: GroupDescription[] }> {
    if (!Array.isArray(groupIds)) throw new KafkaJSNonRetriableError(`Invalid groupIds array ${describeValue(groupIds)}`);
    groupIds.forEach((g) => this.#checkGroupId(g));
    if (groupIds.length === 0) return { groups: [] };
    const described = await this.#run(() => this.#client().describeGroups(groupIds));
    return {
      groups: described.map((g) => ({
        errorCode: 0,
        groupId: g.groupId,
        members: g.members.map((m) => ({ clientHost: m.host, clientId: m.clientId, memberId: m.memberId, memberAssignment: encodeAssignment(m.assignment), memberMetadata: Buffer.alloc(0) })),
        protocol: g.partitionAssignor,
        protocolType: g.simple || g.state === 'Dead' ? '' : 'consumer',
        state: g.state as ConsumerGroupState,
      })),
    };
  }

  /** Deletes groups without members; any group refused makes it reject with KafkaJSDeleteGroupsError naming each. */
  async deleteGroups(groupIds: string[]): Promise<DeleteGroupsResult[]> {
    if (!Array.isArray(groupIds)) throw new KafkaJSNonRetriableError(`Invalid groupIds array ${describeValue(groupIds)}`);
    groupIds.forEach((g) => this.#checkGroupId(g));
    if (groupIds.length === 0) return [];
    const failures = await this.#run(async () => {
      const admin = this.#client();
      const outcomes = await settleEach(groupIds, (g) => admin.deleteGroups(g));
      const refused = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ groupId: groupIds[i], error: o.reason as unknown }] : []));
      const local = refused.find((f) => !(f.error instanceof KafkaError) || f.error.code < 0);
      if (local !== undefined) throw local.error;
      return refused as { groupId: string; error: KafkaError }[];
    });
    // Thrown outside the retries: kafkajs does not retry a group's refusal either.
    if (failures.length > 0) {
      const groups = failures.map(({ groupId, error }) => ({ groupId, errorCode: error.code, error: new KafkaJSProtocolError(protocolError(error)) }));
      throw new KafkaJSDeleteGroupsError(`Error in DeleteGroups: ${groups.map((g) => g.error.message).join('; ')}`, groups);
    }
    return groupIds.map((groupId) => ({ groupId, errorCode: 0 }));
  }

  async describeConfigs(options: { resources: ResourceConfigQuery[]; includeSynonyms?: boolean }): Promise<DescribeConfigResponse> {
    const { resources, includeSynonyms = false } = options ?? {};
    this.#checkResources(resources);
    resources.forEach((r) => {
      if (r.configNames != null && !Array.isArray(r.configNames)) throw new KafkaJSNonRetriableError(`Invalid resource configNames ${describeValue(r.configNames)}: ${JSON.stringify(r)}`);
    });
    if (typeof includeSynonyms !== 'boolean') throw new KafkaJSNonRetriableError(`Invalid includeSynonyms ${describeValue(includeSynonyms)}: true or false`);
    const described = await this.#run(() => mapEach(resources, (r) => this.#client().describeConfigs(configResourceType(r.type), r.name)));
    return {
      resources: resources.map((r, i) => ({
        configEntries: described[i]
          .filter((e) => r.configNames == null || r.configNames.length === 0 || r.configNames.includes(e.name))
          .map((e) => ({
            configName: e.name,
            configValue: e.value as string,
            isDefault: e.isDefault,
            configSource: CONFIG_SOURCE_CODES[e.source],
            isSensitive: e.sensitive,
            readOnly: e.readOnly,
            // librdkafka always asks for synonyms; kafkajs gives them only when asked.
            configSynonyms: includeSynonyms ? e.synonyms.map((y) => ({ configName: y.name, configValue: y.value as string, configSource: CONFIG_SOURCE_CODES[y.source] })) : [],
          })),
        errorCode: 0,
        errorMessage: NO_MESSAGE,
        resourceName: r.name,
        resourceType: r.type,
      })),
      throttleTime: 0,
    };
  }

  /** Kafka's AlterConfigs, as kafkajs sends it: each resource's dynamic configuration becomes exactly `configEntries`. */
  async alterConfigs(options: { validateOnly?: boolean; resources: IResourceConfig[] }): Promise<AlterConfigResponse> {
    const { resources, validateOnly = false } = options ?? {};
    this.#checkResources(resources);
    resources.forEach((r) => {
      if (!Array.isArray(r.configEntries)) throw new KafkaJSNonRetriableError(`Invalid resource configEntries ${describeValue(r.configEntries)}: ${JSON.stringify(r)}`);
      if (r.configEntries.some((e) => typeof e?.name !== 'string' || typeof e.value !== 'string')) throw new KafkaJSNonRetriableError(`Invalid resource config value: ${JSON.stringify(r)}`);
    });
    await this.#run(async () => {
      const admin = this.#client();
      const outcomes = await settleEach(resources, (r) =>
        admin.alterConfigs(configResourceType(r.type), r.name, Object.fromEntries(r.configEntries.map((e) => [e.name, e.value])), { replace: true, validateOnly: validateOnly === true }),
      );
      const failed = outcomes.find((o) => o.status === 'rejected');
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    });
    return { resources: resources.map((r) => ({ errorCode: 0, errorMessage: null, resourceName: r.name, resourceType: r.type })), throttleTime: 0 };
  }

  async createAcls(options: { acl: AclEntry[] }): Promise<boolean> {
    const { acl } = options ?? {};
    if (!Array.isArray(acl)) throw new KafkaJSNonRetriableError(`Invalid ACL array ${describeValue(acl)}`);
    if (acl.length === 0) throw new KafkaJSNonRetriableError('Empty ACL array');
    const bindings = acl.map((entry, i): AclBinding => {
      for (const field of ['principal', 'host', 'resourceName'] as const) {
        if (typeof entry?.[field] !== 'string' || entry[field] === '') throw new KafkaJSNonRetriableError(`Invalid ACL array, acl[${i}].${field} has to be a valid string: ${describeValue(entry?.[field])}`);
      }
      return {
        resourceType: aclCode(ACL_RESOURCES, entry.resourceType, 'resource type', entry, false) as AclResourceType,
        resourceName: entry.resourceName,
        patternType: aclCode(ACL_PATTERNS, entry.resourcePatternType, 'resource pattern type', entry, false) as AclPatternType,
        principal: entry.principal,
        host: entry.host,
        operation: aclCode(ACL_OPERATIONS, entry.operation, 'operation type', entry, false) as AclOperation,
        permission: aclCode(ACL_PERMISSIONS, entry.permissionType, 'permission type', entry, false) as AclPermission,
      };
    });
    await this.#run(() => this.#client().createAcls(bindings));
    return true;
  }

  /** The ACLs matching the filter, grouped by resource as Kafka's DescribeAcls answers. */
  async describeAcls(options: AclFilterEntry): Promise<DescribeAclResponse> {
    const filter = aclFilter(options, 'filter');
    const found = await this.#run(() => this.#client().describeAcls(filter));
    const resources = new Map<string, AclResource & { acls: Acl[] }>();
    for (const b of found) {
      const resource = { resourceType: aclNumber(ACL_RESOURCES, b.resourceType) as AclResourceTypes, resourceName: b.resourceName, resourcePatternType: aclNumber(ACL_PATTERNS, b.patternType) as ResourcePatternTypes };
      const key = JSON.stringify(resource);
      if (!resources.has(key)) resources.set(key, { ...resource, acls: [] });
      resources.get(key)!.acls.push(aclOf(b));
    }
    return { throttleTime: 0, errorCode: 0, errorMessage: NO_MESSAGE, resources: [...resources.values()] };
  }

  /** Deletes the ACLs matching each filter; `filterResponses[i]` lists what filter i deleted. */
  async deleteAcls(options: { filters: AclFilterEntry[] }): Promise<DeleteAclResponse> {
    const { filters } = options ?? {};
    if (!Array.isArray(filters)) throw new KafkaJSNonRetriableError(`Invalid ACL Filter array ${describeValue(filters)}`);
    if (filters.length === 0) throw new KafkaJSNonRetriableError('Empty ACL Filter array');
    const checked = filters.map((f, i) => aclFilter(f, `filters[${i}]`));
    const filterResponses: DeleteAclResponse['filterResponses'] = [];
    // One filter at a time, in order: each response lists only what its own filter deleted.
    for (const filter of checked) {
      const deleted = await this.#run(() => this.#client().deleteAcls(filter));
      filterResponses.push({
        errorCode: 0,
        errorMessage: NO_MESSAGE,
        matchingAcls: deleted.map((b) => ({
          errorCode: 0,
          errorMessage: NO_MESSAGE,
          resourceType: aclNumber(ACL_RESOURCES, b.resourceType) as AclResourceTypes,
          resourceName: b.resourceName,
          resourcePatternType: aclNumber(ACL_PATTERNS, b.patternType) as ResourcePatternTypes,
          ...aclOf(b),
        })),
      });
    }
    return { throttleTime: 0, filterResponses };
  }

  /** librdkafka has no AlterPartitionReassignments (none up to 2.15.1): KafkaJSNotImplemented. */
  async alterPartitionReassignments(_request: { topics: PartitionReassignment[]; timeout?: number }): Promise<void> {
    throw new KafkaJSNotImplemented(
      'alterPartitionReassignments: librdkafka (2.0.2 here, and every version up to 2.15.1) has no AlterPartitionReassignments request; use kafka-reassign-partitions.sh',
    );
  }

  /** librdkafka has no ListPartitionReassignments (none up to 2.15.1): KafkaJSNotImplemented. */
  async listPartitionReassignments(_request: { topics?: { topic: string; partitions: number[] }[]; timeout?: number } = {}): Promise<ListPartitionReassignmentsResponse> {
    throw new KafkaJSNotImplemented(
      'listPartitionReassignments: librdkafka (2.0.2 here, and every version up to 2.15.1) has no ListPartitionReassignments request; use kafka-reassign-partitions.sh --list',
    );
  }

  logger(): KafkaJSLogger {
    return this.#logger;
  }

  /** Calls `listener` for each event of that name; returns the function that removes it. */
  on(eventName: typeof AdminEvents.CONNECT | typeof AdminEvents.DISCONNECT, listener: (event: InstrumentationEvent<null>) => void | Promise<void>): () => void;
  /** Accepted as in kafkajs, never emitted: librdkafka reports no per-request events. */
  on(eventName: typeof AdminEvents.REQUEST | typeof AdminEvents.REQUEST_TIMEOUT | typeof AdminEvents.REQUEST_QUEUE_SIZE, listener: (event: InstrumentationEvent<never>) => void | Promise<void>): () => void;
  on(eventName: AdminEventName, listener: (event: InstrumentationEvent<never>) => void | Promise<void>): () => void {
    if (!Object.values(AdminEvents).includes(eventName)) {
      throw new KafkaJSNonRetriableError(`Event name should be one of ${Object.keys(AdminEvents).map((k) => `admin.events.${k}`).join(', ')}`);
    }
    if (typeof listener !== 'function') throw new KafkaJSNonRetriableError(`Invalid listener ${describeValue(listener)}: a function`);
    const wrapped = (event: InstrumentationEvent<null>) => {
      // A listener's failure is logged, as kafkajs does; it never reaches the admin call.
      Promise.resolve()
        .then(() => listener(event as InstrumentationEvent<never>))
        .catch((e: unknown) => this.#logger.error(`Failed to execute listener: ${e instanceof Error ? e.message : String(e)}`, { eventName }));
    };
    this.#emitter.on(eventName, wrapped);
    return () => {
      this.#emitter.off(eventName, wrapped);
    };
  }

  #emit(type: AdminEventName, payload: null): void {
    this.#emitter.emit(type, { id: String(eventId++), type, timestamp: Date.now(), payload });
  }

  /** The Admin #open made at the start of the call (kafkajs's methods work before connect too; again after disconnect). */
  #client(): Admin {
    this.#admin ??= new Admin(this.#context.config, { logger: this.#context.logger, oauthBearerProvider: this.#context.oauthBearerProvider });
    return this.#admin;
  }

  /** Makes the Admin with `brokers` asked now when given as a function (kafkajs asks it on connecting). */
  async #open(): Promise<void> {
    if (this.#admin !== undefined) return;
    const config = await connectConfig(this.#context);
    this.#admin ??= new Admin(config, { logger: this.#context.logger, oauthBearerProvider: this.#context.oauthBearerProvider });
  }

  /** Runs `fn`, retrying retriable failures as kafkajs's retrier does; failures come out as kafkajs's classes. */
  async #run<T>(fn: () => Promise<T>): Promise<T> {
    const { retries, initialRetryTime, factor, multiplier, maxRetryTime } = this.#retry;
    const randomized = (time: number) => Math.ceil(time * (1 - factor + Math.random() * 2 * factor));
    let retryTime = randomized(initialRetryTime);
    for (let retryCount = 0; ; retryCount++) {
      try {
        await this.#open();
        return await fn();
      } catch (raw) {
        const error = kafkaJSError(raw);
        if (!(error instanceof KafkaJSError) || !error.retriable) throw error;
        if (retryCount >= retries) throw new KafkaJSNumberOfRetriesExceeded(error, { retryCount, retryTime });
        this.#logger.debug(`Retrying after: ${error.message}`, { retryCount, retryTime });
        await sleep(retryTime);
        retryTime = Math.min(randomized(retryTime) * multiplier, maxRetryTime);
      }
    }
  }

  /** The metadata with every named topic in it; one that is missing is an error naming it. */
  #existing(md: ClusterMetadata): ClusterMetadata {
    const failed = md.topics.find((t) => t.error !== 0);
    if (failed !== undefined) throw new KafkaError(failed.error, `Topic "${failed.name}": ${new KafkaError(failed.error).message}`);
    return md;
  }

  async #partitions(topic: string): Promise<number[]> {
    const md = this.#existing(await this.#client().metadata({ topics: [topic] }));
    return md.topics[0].partitions.map((p) => p.partition);
  }

  /** Every partition's end (high) and first (low) offset: two ListOffsets rounds for the whole topic. */
  async #watermarks(topic: string): Promise<{ high: Map<number, number>; low: Map<number, number> }> {
    const admin = this.#client();
    const partitions = await this.#partitions(topic);
    const asked = async (time: number) => new Map((await admin.offsetsForTimes(partitions.map((partition) => ({ topic, partition, timestamp: time })))).map((p) => [p.partition, p.offset]));
    const [high, low] = await Promise.all([asked(LATEST), asked(EARLIEST)]);
    return { high: new Map([...high].sort((a, b) => a[0] - b[0])), low };
  }

  /** Polls the metadata until `done` holds, as kafkajs waits for leaders; KafkaJSTimeout after `timeoutMs`. */
  async #waitForMetadata(topics: string[], timeoutMs: number, timeoutMessage: string, done: (md: ClusterMetadata) => boolean): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const md = await this.#run(() => this.#client().metadata({ topics }));
      if (done(md)) return;
      if (Date.now() + 100 > deadline) throw new KafkaJSTimeout(`${timeoutMessage} (${topics.join(', ')}, ${timeoutMs} ms)`);
      await sleep(100);
    }
  }

  #checkTopic(topic: unknown, parameter: string): void {
    if (typeof topic !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic ${describeValue(topic)} for ${parameter}: the topic names have to be a valid string`);
    const problem = topicNameProblem(topic);
    if (problem !== undefined) throw new KafkaJSNonRetriableError(`Invalid topic name '${topic}' for ${parameter}: ${problem}`);
  }

  #checkGroupId(groupId: unknown): void {
    if (typeof groupId !== 'string' || groupId === '') throw new KafkaJSNonRetriableError(`Invalid groupId ${describeValue(groupId)}`);
  }

  #checkTimeout(value: unknown, parameter: string): void {
    if (!Number.isInteger(value) || (value as number) <= 0) throw new KafkaJSNonRetriableError(`Invalid ${parameter} ${describeValue(value)}: a positive number of milliseconds`);
  }

  #checkResources(resources: unknown): asserts resources is { type: ConfigResourceTypes; name: string }[] {
    if (!Array.isArray(resources)) throw new KafkaJSNonRetriableError(`Invalid resources array ${describeValue(resources)}`);
    if (resources.length === 0) throw new KafkaJSNonRetriableError('Resources array cannot be empty');
    for (const r of resources as { type: unknown; name: unknown }[]) {
      if (!Object.values(ConfigResourceTypes).includes(r?.type as ConfigResourceTypes)) throw new KafkaJSNonRetriableError(`Invalid resource type ${String(r?.type)}: ${JSON.stringify(r)}`);
      if (typeof r.name !== 'string' || r.name === '') throw new KafkaJSNonRetriableError(`Invalid resource name ${String(r.name)}: ${JSON.stringify(r)}`);
    }
  }
}

/** kafkajs's `[{ partition, replicas }]` as one broker-id array per partition from 0 on; undefined when absent or empty. */
function replicaAssignmentOf({ topic, replicaAssignment }: ITopicConfig): number[][] | undefined {
  if (replicaAssignment == null || (Array.isArray(replicaAssignment) && replicaAssignment.length === 0)) return undefined;
  const problem = `Invalid replicaAssignment for topic "${topic}": ${JSON.stringify(replicaAssignment)}`;
  if (!Array.isArray(replicaAssignment)) throw new KafkaJSNonRetriableError(`${problem} (an array of { partition, replicas })`);
  const sorted = [...replicaAssignment].sort((a, b) => a?.partition - b?.partition);
  return sorted.map((entry, i) => {
    if (entry?.partition !== i) throw new KafkaJSNonRetriableError(`${problem} (partitions 0 to ${sorted.length - 1}, each once)`);
    if (!Array.isArray(entry.replicas) || entry.replicas.length === 0 || entry.replicas.some((id) => !Number.isInteger(id) || id < 0)) {
      throw new KafkaJSNonRetriableError(`${problem} (partition ${i} needs a non-empty array of broker ids)`);
    }
    return entry.replicas;
  });
}

/** ConfigSource's number for our source names (the same order as Kafka's). */
const CONFIG_SOURCE_CODES: { [source: string]: number } = {
  unknown: 0, 'dynamic-topic': 1, 'dynamic-broker': 2, 'dynamic-default-broker': 3, 'static-broker': 4, default: 5,
};

function configResourceType(type: ConfigResourceTypes): ResourceType {
  if (type === ConfigResourceTypes.TOPIC) return 'topic';
  if (type === ConfigResourceTypes.BROKER) return 'broker';
  if (type === ConfigResourceTypes.BROKER_LOGGER) throw new KafkaJSNotImplemented('ConfigResourceTypes.BROKER_LOGGER: librdkafka has no broker-logger config resource (its types are topic, group and broker)');
  throw new KafkaJSNonRetriableError(`Invalid resource type ${String(type)}: ConfigResourceTypes.TOPIC or BROKER`);
}

/** An ACL enum number as our name; `filter` allows ANY (and MATCH for patterns). */
function aclCode(table: { [code: number]: string }, value: unknown, what: string, entry: unknown, filter: boolean): string {
  const name = typeof value === 'number' ? table[value] : undefined;
  if (what === 'resource type' && (value === AclResourceTypes.TRANSACTIONAL_ID || value === AclResourceTypes.DELEGATION_TOKEN)) {
    throw new KafkaJSNotImplemented(`ACLs on ${value === 5 ? 'transactional ids' : 'delegation tokens'} are not supported: librdkafka 2.0.2's ACL resource types are topic, group and cluster`);
  }
  if (name === undefined || (!filter && (name === 'any' || name === 'match'))) {
    throw new KafkaJSNonRetriableError(`Invalid ${what} ${String(value)}: ${JSON.stringify(entry)}`);
  }
  return name;
}

function aclNumber(table: { [code: number]: string }, name: string): number {
  return Number(Object.keys(table).find((code) => table[Number(code)] === name) ?? 0);
}

function aclOf(b: Required<AclBinding>): Acl {
  return { principal: b.principal, host: b.host, operation: aclNumber(ACL_OPERATIONS, b.operation) as AclOperationTypes, permissionType: aclNumber(ACL_PERMISSIONS, b.permission) as AclPermissionTypes };
}

function aclFilter(f: AclFilterEntry, parameter: string): AclFilter {
  if (typeof f !== 'object' || f === null) throw new KafkaJSNonRetriableError(`Invalid ACL filter ${describeValue(f)} for ${parameter}`);
  for (const field of ['principal', 'host', 'resourceName'] as const) {
    if (f[field] !== undefined && typeof f[field] !== 'string') throw new KafkaJSNonRetriableError(`Invalid ${field} ${describeValue(f[field])} for ${parameter}: it has to be a valid string`);
  }
  return {
    resourceType: aclCode(ACL_RESOURCES, f.resourceType, 'resource type', f, true) as AclFilter['resourceType'],
    resourceName: f.resourceName,
    patternType: aclCode(ACL_PATTERNS, f.resourcePatternType, 'resource pattern type', f, true) as AclFilter['patternType'],
    principal: f.principal,
    host: f.host,
    operation: aclCode(ACL_OPERATIONS, f.operation, 'operation type', f, true) as AclFilter['operation'],
    permission: aclCode(ACL_PERMISSIONS, f.permissionType, 'permission type', f, true) as AclFilter['permission'],
  };
}

/** kafkajs's logLevel numbers (NOTHING 0, ERROR 1, WARN 2, INFO 4, DEBUG 5). */
const LOG_LEVELS = { error: 1, warn: 2, info: 4, debug: 5 } as const;

/**
 * kafkajs's logger shape over ours: (message, extra) becomes ({ namespace, ...extra }, message).
 * Our logger already has the Kafka config's level; setLogLevel lowers it further for this logger.
 */
function kafkaJSLogger(logger: ClientContext['logger'], namespace: string, logLevel = LOG_LEVELS.debug as number): KafkaJSLogger {
  let threshold = logLevel;
  const at = (level: keyof typeof LOG_LEVELS) => (message: string, extra: object = {}) => {
    if (LOG_LEVELS[level] <= threshold) logger[level]({ namespace, ...extra }, message);
  };
  return {
    info: at('info'),
    error: at('error'),
    warn: at('warn'),
    debug: at('debug'),
    namespace: (child: string, childLevel?: number) => kafkaJSLogger(logger, child, childLevel ?? threshold),
    setLogLevel: (level: number) => {
      threshold = level;
    },
  };
}
