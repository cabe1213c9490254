// The Admin class: cluster metadata, topics, configs, offsets and consumer groups. Each method
// calls the C-style functions (Metadata, CreateTopics, ListConsumerGroupOffsets, ...), turns their
// tuples into objects and their codes into KafkaError. Everything waits on a thread of its own.
//
// The embedded broker (librdkafka 2.0.2's mock cluster) answers metadata, watermarks, offsets for
// times and a group's committed offsets; every other request is refused with
// ERR__UNSUPPORTED_FEATURE and a message saying the embedded broker does not support it.
import { bindingOf, bindingTuple, filterTuple, type AclBinding, type AclFilter } from './acls';
import { newClientHandle } from './client-handle';
import { setConfig, type Config } from './config';
import { expectLogger, type ClientOptions, type Logger } from './logger';
import type { TopicPartition } from './consumer';
import { ErrorCode, KafkaError } from './errors';
import {
  capi,
  type CodeAndMessage,
  type BrokerTuple,
  type ConfigEntryTuple,
  type DescribeClusterResult,
  type ElectionTypeCode,
  type AlterConfigOpCode,
  type GroupDescriptionTuple,
  type GroupType,
  type KafkaHandle,
  type ResourceTypeCode,
  type TopicPartitionTuple,
} from './native';
import { TopicPartitionList } from './topic-partition-list';
import { expectInteger, expectString, expectTimeout, invalidParameter, INT32_MAX, topicNameProblem } from './validate';

export interface BrokerMetadata {
  id: number;
  host: string;
  port: number;
}

export interface PartitionMetadata {
  partition: number;
  /** The leader's broker id; -1 when there is none. */
  leader: number;
  replicas: number[];
  /** The in-sync replicas. */
  isr: number[];
  /** librdkafka's code for this partition, 0 when fine. */
  error: number;
}

export interface TopicMetadata {
  name: string;
  /** Sorted by partition. */
  partitions: PartitionMetadata[];
  /** 0, or e.g. 3 (UNKNOWN_TOPIC_OR_PART) for a topic asked for by name that does not exist. */
  error: number;
}

export interface ClusterMetadata {
  /** The cluster's id; the embedded broker's starts with `mockCluster`. */
  clusterId: string;
  /** The controller's broker id, -1 when unknown. */
  controllerId: number;
  brokers: BrokerMetadata[];
  topics: TopicMetadata[];
}

export interface NewTopic {
  name: string;
  /** Default -1: the broker's default (num.partitions). */
  partitions?: number;
  /** Default -1: the broker's default (default.replication.factor). */
  replicationFactor?: number;
  /** Topic properties, e.g. `{ 'retention.ms': 60000, 'cleanup.policy': 'compact' }`. */
  configs?: { [key: string]: string | number | boolean };
  /** The replicas' broker ids of partition 0, 1, ... (replicationFactor must then be left out; partitions defaults to its length). */
  replicaAssignment?: number[][];
}

export type ResourceType = 'topic' | 'group' | 'broker';
export type ConfigSource = 'unknown' | 'dynamic-topic' | 'dynamic-broker' | 'dynamic-default-broker' | 'static-broker' | 'default';

export interface ConfigEntry {
  name: string;
  /** null when the value is sensitive or unset. */
  value: string | null;
  source: ConfigSource;
  readOnly: boolean;
  isDefault: boolean;
  sensitive: boolean;
  /** Where else the value could come from, highest precedence first (the broker's synonyms). */
  synonyms: ConfigSynonym[];
}

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: ConfigSource;
}

/** One change of `incrementalAlterConfigs`: set a value, delete it (back to its default), append to or subtract from a list. */
export interface ConfigChange {
  name: string;
  op: 'set' | 'delete' | 'append' | 'subtract';
  /** Needed for every op but delete. */
  value?: string;
}

export interface WatermarkOffsets {
  /** The first offset still in the partition. */
  low: number;
  /** The offset the next message will get (the log end offset). */
  high: number;
}

export interface PartitionOffset extends TopicPartition {
  offset: number;
}

export interface PartitionTimestamp extends TopicPartition {
  /** Milliseconds since the epoch; -1 asks for the end, -2 for the beginning. */
  timestamp: number;
}

/** What `listOffsets` finds in a partition. */
export type OffsetSpec = 'earliest' | 'latest' | 'max-timestamp' | { timestamp: number };

export interface ListOffsetsRequest extends TopicPartition {
  offset: OffsetSpec;
}

export interface ListedOffset extends TopicPartition {
  /** The offset found; -1 when no message matches (a timestamp after every message's). */
  offset: number;
  /** The found message's timestamp (ms), -1 when unknown (earliest, latest). */
  timestamp: number;
}

export interface ClusterDescription {
  /** null when the brokers do not report one. */
  clusterId: string | null;
  /** null when unknown. */
  controller: BrokerMetadata | null;
  /** Sorted by id. */
  brokers: BrokerMetadata[];
}

export interface TopicDescription {
  name: string;
  /** Kafka's own topics, e.g. __consumer_offsets. */
  internal: boolean;
  /** Sorted by partition; leader -1 when there is none. */
  partitions: { partition: number; leader: number; replicas: number[]; isr: number[] }[];
}

/** A partition's leader election (`electLeaders`). */
export interface LeaderElection extends TopicPartition {
  /** true: a leader was elected; false: the partition already had that leader (ELECTION_NOT_NEEDED). */
  elected: boolean;
}

export interface GroupListing {
  groupId: string;
  /** A group that only commits offsets (no members, no protocol). */
  simple: boolean;
  /** Stable, Empty, PreparingRebalance, CompletingRebalance, Dead or Unknown. */
  state: string;
}

export interface GroupMember {
  memberId: string;
  clientId: string;
  host: string;
  groupInstanceId: string | null;
  assignment: TopicPartition[];
}

export interface GroupDescription {
  groupId: string;
  simple: boolean;
  partitionAssignor: string;
  state: string;
  coordinator: BrokerMetadata | null;
  members: GroupMember[];
}

export interface GroupOffset extends TopicPartition {
  /** The committed offset (the next to read), or undefined when the group committed none. */
  offset: number | undefined;
}

/** One row of a group's lag, as Kafka's kafka-consumer-groups.sh --describe prints it. */
export interface GroupPartitionLag extends TopicPartition {
  /** The committed offset; undefined when the group committed none for this partition. */
  currentOffset: number | undefined;
  /** The partition's end offset; undefined when it could not be read. */
  logEndOffset: number | undefined;
  /** logEndOffset − currentOffset; undefined when either is. */
  lag: number | undefined;
  /** The member the partition is assigned to now, if any. */
  consumerId: string | undefined;
  host: string | undefined;
  clientId: string | undefined;
}

export interface GroupLag {
  groupId: string;
  /** The group's state; undefined when the broker cannot describe groups (the embedded one). */
  state: string | undefined;
  /** The members; undefined when the broker cannot describe groups (the embedded one). */
  members: GroupMember[] | undefined;
  /** Committed and assigned partitions, sorted by topic and partition. */
  partitions: GroupPartitionLag[];
}

export interface TimeoutOption {
  /** How long the request may take; default 30000 (10000 for metadata and offsets). */
  timeoutMs?: number;
}

export interface TopicChangeOptions extends TimeoutOption {
  /** Wait until the cluster's metadata shows the change (default true). */
  wait?: boolean;
}

const RESOURCE_TYPES: { [type in ResourceType]: ResourceTypeCode } = { topic: 2, group: 3, broker: 4 };
const ALTER_OPS: { [op: string]: AlterConfigOpCode } = { set: 0, delete: 1, append: 2, subtract: 3 };
const CONFIG_SOURCES: ConfigSource[] = ['unknown', 'dynamic-topic', 'dynamic-broker', 'dynamic-default-broker', 'static-broker', 'default'];
const DEFAULT_TIMEOUT_MS = 30_000;
const QUERY_TIMEOUT_MS = 10_000;
/** ListOffsets' "timestamp" for the end of a partition. */
const LATEST = -1;
const GROUP_ID_NOT_FOUND = 69;
const ELECTION_NOT_NEEDED = 84;
const ELECTION_TYPES: { [type in 'preferred' | 'unclean']: ElectionTypeCode } = { preferred: 0, unclean: 1 };
/** ERR__UNSUPPORTED_FEATURE: how the native layer refuses requests the embedded broker cannot take. */
const UNSUPPORTED_FEATURE = -165;

/** True when an admin function answered with [code, message] instead of its results. */
function failed<T>(result: T[] | CodeAndMessage): result is CodeAndMessage {
  return typeof result[0] === 'number';
}

/** The KafkaError for a request that failed as a whole; the message names the request once. */
function requestError(request: string, [code, message]: CodeAndMessage): KafkaError {
  return new KafkaError(code, message.includes(request) ? message : `${request}: ${message}`);
}

/** Throws one KafkaError naming every failed item, with the first failure's code. */
function checkItems(kind: string, items: { name: string; code: number; message: string }[]): void {
  const failures = items.filter((item) => item.code !== 0);
  if (failures.length === 0) return;
  const text = failures
    .map((f) => {
      const why = f.message || capi.DRMessageError(f.code);
      return why.includes(f.name) ? why.replace(/\.$/, '') : `${kind} '${f.name}': ${why}`;
    })
    .join('; ');
  throw new KafkaError(failures[0].code, text);
}

function tupleToPartitions(entries: TopicPartitionTuple[]): TopicPartition[] {
  return entries.map(([topic, partition]) => ({ topic, partition }));
}

function expectTopicPartitions<T extends TopicPartition>(items: unknown, parameter: string): T[] {
  if (!Array.isArray(items)) throw invalidParameter('an array of { topic, partition }', parameter, items);
  items.forEach((item: unknown, i) => {
    if (typeof item !== 'object' || item === null) throw invalidParameter('{ topic, partition }', `${parameter}[${i}]`, item);
    const tp = item as TopicPartition;
    expectString(tp.topic, `${parameter}[${i}].topic`);
    expectInteger(tp.partition, `${parameter}[${i}].partition`, 0, INT32_MAX);
  });
  return items as T[];
}

/** Replica placements: one array of broker ids per partition. */
function expectAssignment(value: unknown, parameter: string): number[][] {
  if (!Array.isArray(value)) throw invalidParameter('an array of broker id arrays, one per partition', parameter, value);
  return value.map((ids: unknown, i) => {
    if (!Array.isArray(ids) || ids.length === 0) throw invalidParameter('a non-empty array of broker ids', `${parameter}[${i}]`, ids);
    return ids.map((id: unknown, j) => expectInteger(id, `${parameter}[${i}][${j}]`, 0, INT32_MAX));
  });
}

function expectOffsetValue(value: unknown, parameter: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalidParameter('an integer', parameter, value);
  return value;
}

/** "t [0], t [1]", up to 5 partitions then how many more. */
function partitionNames(items: TopicPartition[]): string {
  const names = items.slice(0, 5).map((p) => `${p.topic} [${p.partition}]`).join(', ');
  return items.length > 5 ? `${names} and ${items.length - 5} more` : names;
}

/** ListOffsets' code for an OffsetSpec: -2 earliest, -1 latest, -3 max timestamp, else the timestamp. */
function offsetSpecCode(spec: unknown, parameter: string): number {
  if (spec === 'earliest') return -2;
  if (spec === 'latest') return -1;
  if (spec === 'max-timestamp') return -3;
  if (typeof spec === 'object' && spec !== null && 'timestamp' in spec) return expectInteger((spec as { timestamp: unknown }).timestamp, `${parameter}.timestamp`, 0, Number.MAX_SAFE_INTEGER);
  throw invalidParameter("'earliest', 'latest', 'max-timestamp' or { timestamp }", parameter, spec);
}

function sortPartitions<T extends TopicPartition>(rows: T[]): T[] {
  return rows.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

/** The group of the handle that reads groups' committed offsets (see Admin's #offsetsHandle); it never joins it. */
const OFFSETS_LOOKUP_GROUP = 'rdkafka-napi-offsets-lookup';

export class Admin {
  readonly #handle: KafkaHandle;
  readonly #config: Config | undefined;
  readonly #options: ClientOptions;
  readonly #logger: Logger | undefined;
  #offsets: KafkaHandle | undefined;
  #closed = false;

  /** `config`: librdkafka properties, at least `bootstrap.servers`. `options.logger` receives librdkafka's log lines. */
  constructor(config?: Config, options: ClientOptions = {}) {
    this.#logger = options.logger === undefined ? undefined : expectLogger(options.logger, 'options.logger');
    this.#handle = newClientHandle(config, options, this.#logger);
    this.#config = config;
    this.#options = options;
  }

  /** The C-style handle, for the `capi` functions. */
  get handle(): KafkaHandle {
    return this.#handle;
  }

  /** Brokers, topics and partitions (leader, replicas, in-sync replicas). `topics`: only these. */
  async metadata(options: { topics?: string[] } & TimeoutOption = {}): Promise<ClusterMetadata> {
    this.#checkOpen();
    if (options.topics !== undefined && !Array.isArray(options.topics)) throw invalidParameter('an array of topic names', 'options.topics', options.topics);
    const topics = options.topics === undefined ? null : options.topics.map((t, i) => expectString(t, `topics[${i}]`));
    const result = await capi.Metadata(this.#handle, topics, this.#timeout(options, QUERY_TIMEOUT_MS));
    if (result.length !== 5) throw requestError('Metadata', result);
    const [, brokers, topicTuples, clusterId, controllerId] = result;
    return {
      clusterId,
      controllerId,
      brokers: brokers.map(([id, host, port]) => ({ id, host, port })),
      topics: topicTuples.map(([name, error, partitions]) => ({
        name,
        error,
        partitions: partitions.map(([partition, perror, leader, replicas, isr]) => ({ partition, leader, replicas, isr, error: perror })),
      })),
    };
  }

  /** Whether the cluster is librdkafka's embedded mock broker. */
  async isEmbeddedBroker(options: TimeoutOption = {}): Promise<boolean> {
    return (await this.metadata({ topics: [], ...options })).clusterId.startsWith('mockCluster');
  }

  /** Every topic's name, sorted (internal ones such as __consumer_offsets included). */
  async listTopics(options: TimeoutOption = {}): Promise<string[]> {
    return (await this.metadata(options)).topics.map((t) => t.name).sort();
  }

  /**
   * Creates topics and, unless `wait` is false, waits until the metadata shows them with every
   * partition led. Any topic the broker refuses (e.g. it exists), or librdkafka refuses before
   * sending (partitions or replication factor out of its range: ERR__INVALID_ARG), makes the call
   * reject; nothing is created in place of what was asked. `validateOnly`: the broker only checks
   * the request (the topics are not created, nothing is waited for).
   */
  async createTopics(topics: NewTopic | NewTopic[], options: TopicChangeOptions & { validateOnly?: boolean } = {}): Promise<void> {
    this.#checkOpen();
    const list = Array.isArray(topics) ? topics : [topics];
    const specs = list.map((t, i): [string, number, number, [string, string][], number[][] | undefined] => {
      if (typeof t !== 'object' || t === null) throw invalidParameter('{ name, partitions?, replicationFactor?, configs? }', `topics[${i}]`, t);
      const configs = Object.entries(t.configs ?? {}).map(([key, value]): [string, string] => [key, String(value)]);
      const assignment = t.replicaAssignment === undefined ? undefined : expectAssignment(t.replicaAssignment, `topics[${i}].replicaAssignment`);
      // librdkafka wants the partition count beside a placement (it sends Kafka -1 for both).
      const partitions = t.partitions ?? assignment?.length ?? -1;
      return [expectString(t.name, `topics[${i}].name`), expectInteger(partitions, `topics[${i}].partitions`, -1, 1000000), expectInteger(t.replicationFactor ?? -1, `topics[${i}].replicationFactor`, -1, 32767), configs, assignment];
    });
    const validateOnly = options.validateOnly ?? false;
    if (typeof validateOnly !== 'boolean') throw invalidParameter('a boolean', 'options.validateOnly', validateOnly);
    const timeoutMs = this.#timeout(options, DEFAULT_TIMEOUT_MS);
    const result = await capi.CreateTopics(this.#handle, specs, timeoutMs, validateOnly);
    if (failed(result)) throw requestError('CreateTopics', result);
    checkItems('Topic', result.map(([name, code, message]) => ({ name, code, message })));
    if (options.wait !== false && !validateOnly) {
      const wanted = new Map(specs.map(([name, partitions]) => [name, partitions]));
      await this.#waitForMetadata(timeoutMs, 'the new topics', (md) =>
        md.topics.every((t) => t.error === 0 && t.partitions.length > 0 && (wanted.get(t.name)! < 0 || t.partitions.length === wanted.get(t.name)) && t.partitions.every((p) => p.leader >= 0)),
      [...wanted.keys()]);
    }
  }

  /** Deletes topics and, unless `wait` is false, waits until the metadata no longer lists them. */
  async deleteTopics(names: string | string[], options: TopicChangeOptions = {}): Promise<void> {
    this.#checkOpen();
    const list = (Array.isArray(names) ? names : [names]).map((n, i) => expectString(n, `topics[${i}]`));
    const timeoutMs = this.#timeout(options, DEFAULT_TIMEOUT_MS);
    const result = await capi.DeleteTopics(this.#handle, list, timeoutMs);
    if (failed(result)) throw requestError('DeleteTopics', result);
    checkItems('Topic', result.map(([name, code, message]) => ({ name, code, message })));
    if (options.wait !== false) {
      await this.#waitForMetadata(timeoutMs, 'the deleted topics to disappear', (md) => md.topics.every((t) => t.error === ErrorCode.UNKNOWN_TOPIC_OR_PART), list);
    }
  }

  /** Grows a topic to `totalCount` partitions; unless `wait` is false, waits for the metadata. `validateOnly`: the broker only checks the request. */
  async createPartitions(topic: string, totalCount: number, options: TopicChangeOptions & { validateOnly?: boolean; assignments?: number[][] } = {}): Promise<void> {
    this.#checkOpen();
    expectString(topic, 'topic');
    expectInteger(totalCount, 'totalCount', 1, 1000000);
    const assignments = options.assignments === undefined ? undefined : expectAssignment(options.assignments, 'options.assignments');
    const validateOnly = options.validateOnly ?? false;
    if (typeof validateOnly !== 'boolean') throw invalidParameter('a boolean', 'options.validateOnly', validateOnly);
    const timeoutMs = this.#timeout(options, DEFAULT_TIMEOUT_MS);
    const result = await capi.CreatePartitions(this.#handle, [[topic, totalCount, assignments]], timeoutMs, validateOnly);
    if (failed(result)) throw requestError('CreatePartitions', result);
    checkItems('Topic', result.map(([name, code, message]) => ({ name, code, message })));
    if (options.wait !== false && !validateOnly) {
      await this.#waitForMetadata(timeoutMs, 'the new partitions', (md) => md.topics[0].partitions.length >= totalCount && md.topics[0].partitions.every((p) => p.leader >= 0), [topic]);
    }
  }

  /** A resource's configuration: every property with its value and where the value comes from. */
  async describeConfigs(type: ResourceType, name: string, options: TimeoutOption = {}): Promise<ConfigEntry[]> {
    this.#checkOpen();
    const typeCode = this.#resourceType(type);
    expectString(name, 'name');
    const result = await capi.DescribeConfigs(this.#handle, [[typeCode, name]], this.#timeout(options, DEFAULT_TIMEOUT_MS));
    if (failed(result)) throw requestError('DescribeConfigs', result);
    const [[, , code, message, entries]] = result;
    checkItems(type === 'broker' ? 'Broker' : type === 'group' ? 'Group' : 'Topic', [{ name, code, message }]);
    return entries.map(configEntry).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Sets properties of a resource (null: back to the default). By default the other properties
   * that were set on the resource keep their values (librdkafka 2.0.2 only has Kafka's
   * whole-resource AlterConfigs, so this reads them first); with `replace: true` the resource's
   * configuration becomes exactly `configs`. `validateOnly`: the broker only checks the request.
   */
  async alterConfigs(type: ResourceType, name: string, configs: { [key: string]: string | number | boolean | null }, options: { replace?: boolean; validateOnly?: boolean } & TopicChangeOptions = {}): Promise<void> {
    this.#checkOpen();
    const typeCode = this.#resourceType(type);
    expectString(name, 'name');
    if (typeof configs !== 'object' || configs === null) throw invalidParameter('an object of properties', 'configs', configs);
    const validateOnly = options.validateOnly ?? false;
    if (typeof validateOnly !== 'boolean') throw invalidParameter('a boolean', 'options.validateOnly', validateOnly);
    const merged = new Map<string, string | null>();
    if (options.replace !== true) {
      const dynamicSource: ConfigSource = type === 'topic' ? 'dynamic-topic' : 'dynamic-broker';
      for (const entry of await this.describeConfigs(type, name, options)) {
        if (entry.source !== dynamicSource || entry.name in configs) continue;
        if (entry.value === null) {
          throw new KafkaError(ErrorCode._INVALID_ARG, `alterConfigs cannot keep the value of '${entry.name}' (it is sensitive): pass it too, or use replace: true`);
        }
        merged.set(entry.name, entry.value);
      }
    }
    for (const [key, value] of Object.entries(configs)) merged.set(key, value === null ? null : String(value));
    const timeoutMs = this.#timeout(options, DEFAULT_TIMEOUT_MS);
    const deadline = Date.now() + timeoutMs;
    const result = await capi.AlterConfigs(this.#handle, [[typeCode, name, [...merged.entries()]]], timeoutMs, validateOnly);
    if (failed(result)) throw requestError('AlterConfigs', result);
    checkItems(type === 'broker' ? 'Broker' : type === 'group' ? 'Group' : 'Topic', result.map(([, n, code, message]) => ({ name: n, code, message })));
    if (options.wait !== false && !validateOnly) {
      await this.#waitForConfigs(type, name, Object.entries(configs).map(([key, value]) => [key, value === null ? null : String(value)]), deadline, timeoutMs);
    }
  }

  /**
   * Kafka's IncrementalAlterConfigs: changes only the properties named, in one request (no read
   * first, so nothing else of the resource is touched). `validateOnly`: the broker only checks the
   * changes. Needs librdkafka 2.2.0 or newer: on an older one it rejects with ERR__NOT_IMPLEMENTED
   * (-170) and a message naming the version needed (`alterConfigs` works on every version).
   */
  async incrementalAlterConfigs(type: ResourceType, name: string, changes: ConfigChange[], options: { validateOnly?: boolean } & TopicChangeOptions = {}): Promise<void> {
    this.#checkOpen();
    const typeCode = this.#resourceType(type);
    expectString(name, 'name');
    if (!Array.isArray(changes) || changes.length === 0) throw invalidParameter('a non-empty array of { name, op, value? }', 'changes', changes);
    const triples = changes.map((change, i): [string, AlterConfigOpCode, string | null] => {
      if (typeof change !== 'object' || change === null) throw invalidParameter('{ name, op, value? }', `changes[${i}]`, change);
      const op = typeof change.op === 'string' && Object.hasOwn(ALTER_OPS, change.op) ? ALTER_OPS[change.op] : undefined;
      if (op === undefined) throw invalidParameter("'set', 'delete', 'append' or 'subtract'", `changes[${i}].op`, change.op);
      if (op !== 1 && typeof change.value !== 'string') throw invalidParameter('a string', `changes[${i}].value`, change.value);
      return [expectString(change.name, `changes[${i}].name`), op, op === 1 ? null : (change.value as string)];
    });
    const validateOnly = options.validateOnly ?? false;
    if (typeof validateOnly !== 'boolean') throw invalidParameter('a boolean', 'options.validateOnly', validateOnly);
    const timeoutMs = this.#timeout(options, DEFAULT_TIMEOUT_MS);
    const deadline = Date.now() + timeoutMs;
    const result = await capi.IncrementalAlterConfigs(this.#handle, [[typeCode, name, triples]], timeoutMs, validateOnly);
    if (failed(result)) throw requestError('IncrementalAlterConfigs', result);
    checkItems(type === 'broker' ? 'Broker' : type === 'group' ? 'Group' : 'Topic', result.map(([, n, code, message]) => ({ name: n, code, message })));
    if (options.wait !== false && !validateOnly) {
      const expected = triples.filter(([, op]) => op < 2).map(([key, op, value]): [string, string | null] => [key, op === 1 ? null : value]);
      await this.#waitForConfigs(type, name, expected, deadline, timeoutMs);
    }
  }

  /** A partition's first offset and end offset, asked of its leader. */
  async watermarkOffsets(topic: string, partition: number, options: TimeoutOption = {}): Promise<WatermarkOffsets> {
    this.#checkOpen();
    expectString(topic, 'topic');
    expectInteger(partition, 'partition', 0, INT32_MAX);
    // A retriable refusal (a leader that has just been elected, e.g. right after createTopics) is
    // asked again within the timeout, as Kafka's own admin client does.
    return this.#retrying(this.#timeout(options, QUERY_TIMEOUT_MS), async (leftMs) => {
      const [code, low, high] = await capi.QueryWatermarkOffsets(this.#handle, topic, partition, leftMs);
      if (code !== 0) throw new KafkaError(code, `Watermark offsets of ${topic} [${partition}]: ${capi.DRMessageError(code)}`);
      return { low, high };
    });
  }

  /**
   * For each partition, the first offset whose message timestamp is at least `timestamp`; -1 when
   * every message is older (the end). Timestamp -1 gives the end offset, -2 the first offset.
   */
  async offsetsForTimes(partitions: PartitionTimestamp[], options: TimeoutOption = {}): Promise<PartitionOffset[]> {
    this.#checkOpen();
    const items = expectTopicPartitions<PartitionTimestamp>(partitions, 'partitions');
    const list = new TopicPartitionList();
    try {
      items.forEach((p, i) => list.add(p.topic, p.partition).setOffset(p.topic, p.partition, expectOffsetValue(p.timestamp, `partitions[${i}].timestamp`)));
      const [code, entries] = await capi.OffsetsForTimes(this.#handle, list.handle, this.#timeout(options, QUERY_TIMEOUT_MS));
      if (typeof entries === 'string') throw new KafkaError(code, `Offsets for times: ${entries}`);
      if (code !== 0) throw new KafkaError(code, `Offsets for times: ${capi.DRMessageError(code)}`);
      checkItems('Partition', entries.map(([topic, partition, , error]) => ({ name: `${topic} [${partition}]`, code: error, message: '' })));
      return entries.map(([topic, partition, offset]) => ({ topic, partition, offset }));
    } finally {
      list.destroy();
    }
  }

  /**
   * Kafka's ListOffsets for each partition: its first offset (`'earliest'`), its end offset
   * (`'latest'`), the message with the largest timestamp (`'max-timestamp'`), or the first offset
   * whose message timestamp is at least `{ timestamp }`. `isolationLevel` 'read_committed' ends
   * before open transactions. Needs librdkafka 2.3.0 or newer: on an older one it rejects with
   * ERR__NOT_IMPLEMENTED (-170) and a message naming the version needed.
   */
  async listOffsets(partitions: ListOffsetsRequest[], options: { isolationLevel?: 'read_committed' | 'read_uncommitted' } & TimeoutOption = {}): Promise<ListedOffset[]> {
    this.#checkOpen();
    const items = expectTopicPartitions<ListOffsetsRequest>(partitions, 'partitions');
    const isolation = options.isolationLevel ?? 'read_uncommitted';
    if (isolation !== 'read_committed' && isolation !== 'read_uncommitted') throw invalidParameter("'read_committed' or 'read_uncommitted'", 'options.isolationLevel', isolation);
    const list = new TopicPartitionList();
    try {
      items.forEach((p, i) => list.add(p.topic, p.partition).setOffset(p.topic, p.partition, offsetSpecCode(p.offset, `partitions[${i}].offset`)));
      const result = await capi.ListOffsets(this.#handle, list.handle, this.#timeout(options, QUERY_TIMEOUT_MS), isolation === 'read_committed');
      // librdkafka's request-wide errors (e.g. "No leaders found") do not say which partitions.
      if (failed(result)) throw requestError(`ListOffsets of ${partitionNames(items)}`, result);
      checkItems('Partition', result.map(([topic, partition, , error]) => ({ name: `${topic} [${partition}]`, code: error, message: '' })));
      return sortPartitions(result.map(([topic, partition, offset, , timestamp]) => ({ topic, partition, offset, timestamp })));
    } finally {
      list.destroy();
    }
  }

  /**
   * The cluster as Kafka's DescribeCluster reports it: its id, controller and brokers. Needs
   * librdkafka 2.3.0 or newer: on an older one it rejects with ERR__NOT_IMPLEMENTED (-170).
   */
  async describeCluster(options: TimeoutOption = {}): Promise<ClusterDescription> {
    this.#checkOpen();
    const result = await capi.DescribeCluster(this.#handle, this.#timeout(options, QUERY_TIMEOUT_MS));
    if (typeof result[0] === 'number') throw requestError('DescribeCluster', result as CodeAndMessage);
    const [clusterId, controller, brokers] = result as DescribeClusterResult;
    const broker = ([id, host, port]: BrokerTuple): BrokerMetadata => ({ id, host, port });
    return { clusterId, controller: controller === null ? null : broker(controller), brokers: brokers.map(broker).sort((a, b) => a.id - b.id) };
  }

  /**
   * Each named topic's partitions (leader, replicas, in-sync replicas), in the order asked. A
   * topic that does not exist is a KafkaError naming it. Needs librdkafka 2.3.0 or newer: on an
   * older one it rejects with ERR__NOT_IMPLEMENTED (-170).
   */
  async describeTopics(names: string[], options: TimeoutOption = {}): Promise<TopicDescription[]> {
    this.#checkOpen();
    if (!Array.isArray(names) || names.length === 0) throw invalidParameter('a non-empty array of topic names', 'names', names);
    names.forEach((name, i) => {
      const problem = topicNameProblem(expectString(name, `names[${i}]`));
      if (problem !== undefined) throw invalidParameter(`a legal topic name (${problem})`, `names[${i}]`, name);
    });
    const result = await capi.DescribeTopics(this.#handle, names, this.#timeout(options, QUERY_TIMEOUT_MS));
    if (failed(result)) throw requestError('DescribeTopics', result);
    checkItems('Topic', result.map(([name, code, message]) => ({ name, code, message })));
    return result.map(([name, , , internal, partitions]) => ({
      name,
      internal,
      partitions: partitions.map(([partition, leader, replicas, isr]) => ({ partition, leader, replicas, isr })).sort((a, b) => a.partition - b.partition),
    }));
  }

  /**
   * Asks the controller to elect a leader for each partition (KIP-460): 'preferred' makes the
   * first of its replicas the leader again (after a broker came back), 'unclean' takes any live
   * replica when no in-sync one is left (records may be lost). Without `partitions`: every
   * partition, and the result lists only those where an election happened. Resolves with each
   * partition, `elected` false when it already had that leader; any other refusal is a KafkaError
   * naming the partitions. Needs librdkafka 2.6.0 or newer: on an older one it rejects with
   * ERR__NOT_IMPLEMENTED (-170). Refused on the embedded broker.
   */
  async electLeaders(type: 'preferred' | 'unclean', partitions?: TopicPartition[], options: TimeoutOption = {}): Promise<LeaderElection[]> {
    this.#checkOpen();
    const code = ELECTION_TYPES[type];
    if (code === undefined) throw invalidParameter("'preferred' or 'unclean'", 'type', type);
    const items = partitions === undefined ? undefined : expectTopicPartitions<TopicPartition>(partitions, 'partitions');
    if (items?.length === 0) throw invalidParameter('a non-empty array of { topic, partition } (leave it out for every partition)', 'partitions', partitions);
    const list = items === undefined ? undefined : new TopicPartitionList();
    try {
      items?.forEach((p) => list!.add(p.topic, p.partition));
      const result = await capi.ElectLeaders(this.#handle, code, list?.handle ?? null, this.#timeout(options, DEFAULT_TIMEOUT_MS));
      if (failed(result)) throw requestError(items === undefined ? 'ElectLeaders' : `ElectLeaders of ${partitionNames(items)}`, result);
      checkItems('Partition', result.map(([topic, partition, error, message]) => ({ name: `${topic} [${partition}]`, code: error === ELECTION_NOT_NEEDED ? 0 : error, message })));
      return sortPartitions(result.map(([topic, partition, error]) => ({ topic, partition, elected: error === 0 })));
    } finally {
      list?.destroy();
    }
  }

  /** Deletes the records before each offset (-1: all); resolves with each partition's new first offset. */
  async deleteRecords(offsets: PartitionOffset[], options: TimeoutOption = {}): Promise<{ topic: string; partition: number; lowWatermark: number }[]> {
    this.#checkOpen();
    const items = expectTopicPartitions<PartitionOffset>(offsets, 'offsets');
    const list = new TopicPartitionList();
    try {
      items.forEach((p, i) => list.add(p.topic, p.partition).setOffset(p.topic, p.partition, expectOffsetValue(p.offset, `offsets[${i}].offset`)));
      const result = await capi.DeleteRecords(this.#handle, list.handle, this.#timeout(options, DEFAULT_TIMEOUT_MS));
      if (failed(result)) throw requestError('DeleteRecords', result);
      checkItems('Partition', result.map(([topic, partition, , error]) => ({ name: `${topic} [${partition}]`, code: error, message: '' })));
      return result.map(([topic, partition, lowWatermark]) => ({ topic, partition, lowWatermark }));
    } finally {
      list.destroy();
    }
  }

  /** Every consumer group the brokers know, sorted by id. */
  async listGroups(options: TimeoutOption = {}): Promise<GroupListing[]> {
    this.#checkOpen();
    const result = await capi.ListConsumerGroups(this.#handle, this.#timeout(options, DEFAULT_TIMEOUT_MS));
    if (failed(result)) throw requestError('ListConsumerGroups', result);
    const [groups, errors] = result;
    if (errors.length > 0) throw new KafkaError(errors[0][0], `ListConsumerGroups: ${errors.map(([, m]) => m).join('; ')}`);
    return groups.map(([groupId, simple, state]) => ({ groupId, simple, state })).sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
  }

  /**
   * The groups of the given protocol types (KIP-848: 'classic' or 'consumer'), sorted by id, each
   * with its type. Needs librdkafka 2.6.0 or newer: on an older one it rejects with
   * ERR__NOT_IMPLEMENTED (-170).
   */
  async listGroupsByType(types: GroupType[], options: TimeoutOption = {}): Promise<(GroupListing & { type: GroupType | 'unknown' })[]> {
    this.#checkOpen();
    if (!Array.isArray(types) || types.length === 0) throw invalidParameter("a non-empty array of 'classic' or 'consumer'", 'types', types);
    types.forEach((type, i) => {
      if (type !== 'classic' && type !== 'consumer') throw invalidParameter("'classic' or 'consumer'", `types[${i}]`, type);
    });
    const result = await capi.ListConsumerGroupsByType(this.#handle, types, this.#timeout(options, DEFAULT_TIMEOUT_MS));
    if (failed(result)) throw requestError('ListConsumerGroups', result);
    const [groups, errors] = result;
    if (errors.length > 0) throw new KafkaError(errors[0][0], `ListConsumerGroups: ${errors.map(([, m]) => m).join('; ')}`);
    return groups.map(([groupId, simple, state, type]) => ({ groupId, simple, state, type })).sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
  }

  /** Each group's state, assignor, coordinator and members with their partitions. */
  async describeGroups(groupIds: string | string[], options: TimeoutOption = {}): Promise<GroupDescription[]> {
    this.#checkOpen();
    const ids = (Array.isArray(groupIds) ? groupIds : [groupIds]).map((g, i) => expectString(g, `groupIds[${i}]`));
    const result = await capi.DescribeConsumerGroups(this.#handle, ids, this.#timeout(options, DEFAULT_TIMEOUT_MS));
    if (failed(result)) throw requestError('DescribeConsumerGroups', result);
    checkItems('Group', result.map(([name, code, message]) => ({ name, code, message })));
    return result.map(groupDescription);
  }

  /** A group's committed offsets: for `partitions`, or for every partition it committed. */
  async groupOffsets(groupId: string, partitions?: TopicPartition[], options: TimeoutOption = {}): Promise<GroupOffset[]> {
    this.#checkOpen();
    expectString(groupId, 'groupId');
    if (partitions !== undefined) expectTopicPartitions(partitions, 'partitions');
    try {
      return await this.#listGroupOffsets(groupId, partitions, options);
    } catch (error) {
      if (partitions !== undefined || !(error instanceof KafkaError && error.code === UNSUPPORTED_FEATURE)) throw error;
    }
    // The embedded broker answers only for named partitions: name every partition of every topic.
    const all = (await this.metadata(options)).topics.flatMap((t) => t.partitions.map(({ partition }) => ({ topic: t.name, partition })));
    if (all.length === 0) return [];
    return (await this.#listGroupOffsets(groupId, all, options)).filter((o) => o.offset !== undefined);
  }

  async #listGroupOffsets(groupId: string, partitions: TopicPartition[] | undefined, options: TimeoutOption): Promise<GroupOffset[]> {
    const list = partitions === undefined ? undefined : new TopicPartitionList();
    try {
      partitions?.forEach((p) => list!.add(p.topic, p.partition));
      const result = await this.#retrying(this.#timeout(options, DEFAULT_TIMEOUT_MS), async (leftMs) => {
        const answer = await capi.ListConsumerGroupOffsets(this.#offsetsHandle(), groupId, list?.handle ?? null, leftMs);
        if (failed(answer)) throw requestError('ListConsumerGroupOffsets', answer);
        return answer;
      });
      const [[name, code, message, entries]] = result;
      checkItems('Group', [{ name, code, message }]);
      checkItems('Partition', entries.map(([topic, partition, , error]) => ({ name: `${topic} [${partition}]`, code: error, message: '' })));
      return sortPartitions(entries.map(([topic, partition, offset]) => ({ topic, partition, offset: offset < 0 ? undefined : offset })));
    } finally {
      list?.destroy();
    }
  }

  /**
   * A group's position per partition: committed offset, log end offset, lag, and the member that
   * holds the partition, as `kafka-consumer-groups.sh --describe` shows them. Partitions that are
   * committed or assigned are listed. On the embedded broker, which cannot describe groups, the
   * member columns and the state are undefined.
   */
  async groupLag(groupId: string, options: TimeoutOption = {}): Promise<GroupLag> {
    this.#checkOpen();
    expectString(groupId, 'groupId');
    let description: GroupDescription | undefined;
    try {
      [description] = await this.describeGroups(groupId, options);
    } catch (error) {
      if (!(error instanceof KafkaError && error.code === UNSUPPORTED_FEATURE)) throw error;
    }
    const committed = await this.groupOffsets(groupId, undefined, options);
    if (description?.state === 'Dead' && committed.length === 0) {
      throw new KafkaError(GROUP_ID_NOT_FOUND, `Consumer group '${groupId}' does not exist`);
    }
    const rows = new Map<string, GroupPartitionLag>();
    const row = (topic: string, partition: number): GroupPartitionLag => {
      const id = `${partition}:${topic}`;
      let r = rows.get(id);
      if (r === undefined) {
        r = { topic, partition, currentOffset: undefined, logEndOffset: undefined, lag: undefined, consumerId: undefined, host: undefined, clientId: undefined };
        rows.set(id, r);
      }
      return r;
    };
    for (const member of description?.members ?? []) {
      for (const { topic, partition } of member.assignment) Object.assign(row(topic, partition), { consumerId: member.memberId, host: member.host, clientId: member.clientId });
    }
    for (const { topic, partition, offset } of committed) row(topic, partition).currentOffset = offset;
    if (rows.size > 0) {
      // One ListOffsets round for every partition: "timestamp" -1 is each partition's end.
      const list = new TopicPartitionList();
      try {
        for (const r of rows.values()) list.add(r.topic, r.partition).setOffset(r.topic, r.partition, LATEST);
        const [code, entries] = await capi.OffsetsForTimes(this.#handle, list.handle, this.#timeout(options, QUERY_TIMEOUT_MS));
        if (typeof entries === 'string') throw new KafkaError(code, `Log end offsets: ${entries}`);
        if (code !== 0 && entries.every(([, , , error]) => error !== 0)) throw new KafkaError(code, `Log end offsets: ${capi.DRMessageError(code)}`);
        for (const [topic, partition, offset, error] of entries) {
          const r = row(topic, partition);
          if (error === 0 && offset >= 0) r.logEndOffset = offset;
          if (r.logEndOffset !== undefined && r.currentOffset !== undefined) r.lag = r.logEndOffset - r.currentOffset;
        }
      } finally {
        list.destroy();
      }
    }
    return { groupId, state: description?.state, members: description?.members, partitions: sortPartitions([...rows.values()]) };
  }

  /** Deletes consumer groups (they must have no members). Refused on the embedded broker. */
  async deleteGroups(groupIds: string | string[], options: TimeoutOption = {}): Promise<void> {
    this.#checkOpen();
    const ids = (Array.isArray(groupIds) ? groupIds : [groupIds]).map((g, i) => expectString(g, `groupIds[${i}]`));
    const result = await capi.DeleteGroups(this.#handle, ids, this.#timeout(options, DEFAULT_TIMEOUT_MS));
    if (failed(result)) throw requestError('DeleteGroups', result);
    checkItems('Group', result.map(([name, code, message]) => ({ name, code, message })));
  }

  /**
   * Commits offsets for a group from outside it (Kafka's OffsetCommit as AdminClient sends it):
   * each `offset` is the next one the group will read. Kafka refuses it while members of the group
   * consume those topics (UNKNOWN_MEMBER_ID); any refused partition makes the call reject.
   */
  async alterGroupOffsets(groupId: string, offsets: PartitionOffset[], options: TimeoutOption = {}): Promise<void> {
    this.#checkOpen();
    expectString(groupId, 'groupId');
    const items = expectTopicPartitions<PartitionOffset>(offsets, 'offsets');
    const list = new TopicPartitionList();
    try {
      items.forEach((p, i) => list.add(p.topic, p.partition).setOffset(p.topic, p.partition, expectInteger(p.offset, `offsets[${i}].offset`, 0, Number.MAX_SAFE_INTEGER)));
      await this.#retrying(this.#timeout(options, DEFAULT_TIMEOUT_MS), async (leftMs) => {
        const result = await capi.AlterConsumerGroupOffsets(this.#handle, groupId, list.handle, leftMs);
        if (failed(result)) throw requestError(`AlterConsumerGroupOffsets of group '${groupId}'`, result);
        const [[name, code, message, entries]] = result;
        checkItems('Group', [{ name, code, message }]);
        checkItems('Partition', entries.map(([topic, partition, , error]) => ({ name: `${topic} [${partition}]`, code: error, message: '' })));
      });
    } finally {
      list.destroy();
    }
  }

  /** Creates ACLs (Kafka's CreateAcls); all or none are checked before anything is sent. Refused on the embedded broker. */
  async createAcls(bindings: AclBinding | AclBinding[], options: TimeoutOption = {}): Promise<void> {
    this.#checkOpen();
    const list = Array.isArray(bindings) ? bindings : [bindings];
    const tuples = list.map((b, i) => bindingTuple(b, Array.isArray(bindings) ? `bindings[${i}]` : 'binding'));
    const result = await capi.CreateAcls(this.#handle, tuples, this.#timeout(options, DEFAULT_TIMEOUT_MS));
    if (failed(result)) throw requestError('CreateAcls', result);
    checkItems('ACL', result.map(([code, message], i) => ({ name: aclText(list[i]), code, message })));
  }

  /** The ACLs matching `filter` (default: every ACL). Refused on the embedded broker. */
  async describeAcls(filter: AclFilter = {}, options: TimeoutOption = {}): Promise<Required<AclBinding>[]> {
    this.#checkOpen();
    const tuple = filterTuple(filter, 'filter');
    const result = await capi.DescribeAcls(this.#handle, tuple, this.#timeout(options, DEFAULT_TIMEOUT_MS));
    if (typeof result[1] === 'string') throw requestError('DescribeAcls', result as CodeAndMessage);
    return result[1].map(bindingOf);
  }

  /** Deletes the ACLs matching any of `filters`; resolves to those deleted. Refused on the embedded broker. */
  async deleteAcls(filters: AclFilter | AclFilter[], options: TimeoutOption = {}): Promise<Required<AclBinding>[]> {
    this.#checkOpen();
    const list = Array.isArray(filters) ? filters : [filters];
    const tuples = list.map((f, i) => filterTuple(f, Array.isArray(filters) ? `filters[${i}]` : 'filter'));
    const result = await capi.DeleteAcls(this.#handle, tuples, this.#timeout(options, DEFAULT_TIMEOUT_MS));
    if (failed(result)) throw requestError('DeleteAcls', result);
    checkItems('ACL filter', result.map(([code, message], i) => ({ name: String(i), code, message })));
    return result.flatMap(([, , deleted]) => deleted.map(bindingOf));
  }

  /** Frees the client. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#offsets !== undefined) await capi.UninitConsumerAsync(this.#offsets);
    await capi.UninitProducerAsync(this.#handle, 0);
  }

  /**
   * The handle groups' committed offsets are read on: a consumer's, in a group of its own that it
   * never joins. When a group coordinator answers that request "not coordinator" or "coordinator
   * not available", librdkafka asks the client's own consumer group to look for the coordinator
   * again; an admin handle has none, and librdkafka dereferences a null pointer: the process dies
   * (librdkafka issue 5040, in 2.0.2 as in 2.4.0). On a consumer's handle the request fails with
   * that error instead, and is asked again.
   */
  #offsetsHandle(): KafkaHandle {
    if (this.#offsets === undefined) {
      const handle = newClientHandle(this.#config, this.#options, this.#logger);
      setConfig(handle, 'group.id', OFFSETS_LOOKUP_GROUP);
      setConfig(handle, 'enable.auto.commit', false);
      const [code, message] = capi.Assign(handle, null); // starts it as a consumer, reading nothing
      if (code !== 0) throw new KafkaError(code, message);
      this.#offsets = handle;
    }
    return this.#offsets;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** `attempt` (given the time left) again after a retriable failure, such as a group coordinator moving or loading, until `timeoutMs` is over. */
  async #retrying<T>(timeoutMs: number, attempt: (leftMs: number) => Promise<T>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (let backoffMs = 50; ; backoffMs = Math.min(1000, backoffMs * 2)) {
      try {
        return await attempt(Math.max(1, deadline - Date.now()));
      } catch (error) {
        if (!(error instanceof KafkaError && error.retriable) || Date.now() + backoffMs >= deadline) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new KafkaError(ErrorCode._STATE, 'The admin client is closed');
  }

  #timeout(options: TimeoutOption, fallback: number): number {
    if (typeof options !== 'object' || options === null) throw invalidParameter('an options object', 'options', options);
    return options.timeoutMs === undefined ? fallback : expectTimeout(options.timeoutMs, 'options.timeoutMs') || 1;
  }

  #resourceType(type: ResourceType): ResourceTypeCode {
    const code = RESOURCE_TYPES[type];
    if (code === undefined) throw invalidParameter("'topic', 'group' or 'broker'", 'type', type);
    return code;
  }

  /** Polls the metadata of `topics` until `done` holds (after a create or delete). */
  /**
   * Waits until the resource's described configs show each [key, value] (null: no longer set on
   * the resource): a KRaft broker applies an accepted change after the controller answered, and
   * a read-then-write alterConfigs that came next would otherwise send the old values again.
   * Sensitive values (described as null) and properties not described are taken as shown.
   */
  async #waitForConfigs(type: ResourceType, name: string, expected: [string, string | null][], deadline: number, timeoutMs: number): Promise<void> {
    if (type === 'group' || expected.length === 0) return;
    const dynamicSource: ConfigSource = type === 'topic' ? 'dynamic-topic' : 'dynamic-broker';
    for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
      const entries = new Map((await this.describeConfigs(type, name, { timeoutMs: Math.max(1, deadline - Date.now()) })).map((e) => [e.name, e]));
      const shown = expected.every(([key, value]) => {
        const entry = entries.get(key);
        if (entry === undefined || entry.sensitive) return true;
        return value === null ? entry.source !== dynamicSource : entry.value === value && entry.source === dynamicSource;
      });
      if (shown) return;
      if (Date.now() + delay > deadline) throw new KafkaError(ErrorCode._TIMED_OUT, `The cluster accepted the config change of ${type} '${name}', but did not show it within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  async #waitForMetadata(timeoutMs: number, what: string, done: (md: ClusterMetadata) => boolean, topics: string[]): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
      if (done(await this.metadata({ topics, timeoutMs: Math.max(1, deadline - Date.now()) }))) return;
      if (Date.now() + delay > deadline) throw new KafkaError(ErrorCode._TIMED_OUT, `The cluster accepted the request, but its metadata did not show ${what} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

function aclText(b: AclBinding): string {
  return `${b.permission ?? 'allow'} ${b.principal} ${b.operation} on ${b.resourceType} ${b.resourceName}`;
}

function configEntry([name, value, source, readOnly, isDefault, sensitive, synonyms]: ConfigEntryTuple): ConfigEntry {
  return {
    name,
    value,
    source: CONFIG_SOURCES[source] ?? 'unknown',
    readOnly,
    isDefault,
    sensitive,
    synonyms: synonyms.map(([synonym, synonymValue, synonymSource]) => ({ name: synonym, value: synonymValue, source: CONFIG_SOURCES[synonymSource] ?? 'unknown' })),
  };
}

function groupDescription([groupId, , , simple, partitionAssignor, state, coordinator, members]: GroupDescriptionTuple): GroupDescription {
  return {
    groupId,
    simple,
    partitionAssignor,
    state,
    coordinator: coordinator ? { id: coordinator[0], host: coordinator[1], port: coordinator[2] } : null,
    members: members.map(([memberId, clientId, host, groupInstanceId, assignment]) => ({ memberId, clientId, host, groupInstanceId, assignment: tupleToPartitions(assignment) })),
  };
}
