// The raw binding: the C-style functions exactly as the addon exports them, typed.
// Every function checks its own arguments (a wrong type is a TypeError naming the parameter),
// so this surface is safe to call directly; the classes add friendlier checks on top.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

/** An opaque client handle (`kafka_struct`) from `InitKafka()`. */
export interface KafkaHandle {
  readonly __kafkaHandle: unique symbol;
}
/** An opaque topic-partition list from `NewTopicPartitionList()`. */
export interface TopicPartitionListHandle {
  readonly __topicPartitionList: unique symbol;
}
/** An opaque mock cluster from `MockClusterNew()`. */
export interface MockClusterHandle {
  readonly __mockCluster: unique symbol;
}

/** Bytes as the binding accepts them: `null` is a Kafka null, distinct from empty. */
export type Bytes = Buffer | Uint8Array | string | null;
export type HeaderTuple = [name: string, value: Buffer | null];

/**
 * An ACL binding as the ACL functions take and give it, with librdkafka's enum numbers:
 * resourceType 1 any, 2 topic, 3 group, 4 broker (Kafka's cluster); patternType 1 any, 2 match,
 * 3 literal, 4 prefixed; operation 1 any, 2 all, 3 read, 4 write, 5 create, 6 delete, 7 alter,
 * 8 describe, 9 cluster-action, 10 describe-configs, 11 alter-configs, 12 idempotent-write;
 * permission 1 any, 2 deny, 3 allow. In a filter, null name, principal or host match any.
 */
export type AclBindingTuple = [resourceType: number, name: string, patternType: number, principal: string, host: string, operation: number, permission: number];
export type AclFilterTuple = [resourceType: number, name: string | null, patternType: number, principal: string | null, host: string | null, operation: number, permission: number];

/** `[code, message]`: 0 = success. */
export type CodeAndMessage = [code: number, message: string];
/** The arguments of `Produce` and `ProduceMsgid`. */
export type ProduceArguments = [
  handle: KafkaHandle,
  topic: string,
  payload: Bytes,
  key: Bytes,
  partition?: number,
  headers?: HeaderTuple[] | [string, Bytes][] | null,
  timestamp?: number,
];
/** `Produce`'s result: msgid is 0 unless the message was accepted. */
export type ProduceResult = [code: number, msgid: number, message: string];
/** `DeliveryReport`'s result, oldest first. */
export type DeliveryReportResult = [msgids: number[], errors: number[], partitions: number[], offsets: number[]];
/** A consumed message. */
export type MessageTuple = [
  code: 0,
  topic: string,
  payload: Buffer | null,
  key: Buffer | null,
  partition: number,
  offset: number,
  timestamp: number,
  headers: HeaderTuple[],
];
/** `Consume`'s result: a message, `[1]` when there is nothing yet, or `[code, message]`. */
export type ConsumeResult = MessageTuple | [1] | CodeAndMessage;
/** Numbers per message in `ConsumeBatchPacked`'s `fields`. */
export const PACKED_FIELDS = 8;
/**
 * `ConsumeBatchPacked`'s result: `count` messages as columns, or `[code, message]`. Message i's
 * numbers are `fields[i * PACKED_FIELDS + k]` for k = 0 topic index into `topics` (-1: an error
 * row), 1 partition, 2 offset, 3 timestamp, 4 start in `data`, 5 payload length (-1: null),
 * 6 key length (-1: null; the key follows the payload), 7 index into `extras` (-1: none) of the
 * message's headers, or of an error row's `[code, message]`.
 */
export type PackedBatch = [code: 0, count: number, topics: string[], fields: Float64Array, data: Buffer, extras: Array<HeaderTuple[] | CodeAndMessage> | null];
/** `[topic, partition, offset, error]` */
export type TopicPartitionTuple = [topic: string, partition: number, offset: number, error: number];

/** An admin request's outcome for one topic: `[name, code, message]`. */
export type TopicResultTuple = [name: string, code: number, message: string];
/** A broker: `[id, host, port]`. */
export type BrokerTuple = [id: number, host: string, port: number];
/** A partition in `Metadata`: leader, replicas and in-sync replicas are broker ids. */
export type PartitionMetadataTuple = [partition: number, error: number, leader: number, replicas: number[], isrs: number[]];
export type TopicMetadataTuple = [name: string, error: number, partitions: PartitionMetadataTuple[]];
/** `Metadata`'s result, or `[code, message]`. */
export type MetadataResult = [code: 0, brokers: BrokerTuple[], topics: TopicMetadataTuple[], clusterId: string, controllerId: number] | CodeAndMessage;
/** One partition of `ListOffsets`' result: timestamp is the found message's, -1 when none. */
export type ListOffsetsResultTuple = [topic: string, partition: number, offset: number, error: number, timestamp: number];
/** `DescribeCluster`'s result: the controller is null when unknown. */
export type DescribeClusterResult = [clusterId: string | null, controller: BrokerTuple | null, brokers: BrokerTuple[]];
/** A partition in `DescribeTopics`: leader (-1: none), replicas and in-sync replicas are broker ids. */
export type TopicPartitionInfoTuple = [partition: number, leader: number, replicas: number[], isr: number[]];
/** One topic of `DescribeTopics`: code 0, or e.g. 3 (UNKNOWN_TOPIC_OR_PART) with a message. */
export type TopicDescriptionTuple = [name: string, code: number, message: string, internal: boolean, partitions: TopicPartitionInfoTuple[]];
/** A consumer group's protocol (KIP-848): 'classic' or 'consumer'. */
export type GroupType = 'classic' | 'consumer';
/** `ListConsumerGroupsByType`'s groups: type is 'unknown' when the broker does not say. */
export type TypedGroupListingTuple = [groupId: string, isSimple: boolean, state: string, type: GroupType | 'unknown'];
/** `ElectLeaders`' election type: 0 the preferred replica, 1 unclean (any live replica). */
export type ElectionTypeCode = 0 | 1;
/** One partition of `ElectLeaders`: code 0 elected, 84 (ELECTION_NOT_NEEDED) it had that leader already, else an error. */
export type ElectLeadersResultTuple = [topic: string, partition: number, code: number, message: string];
/** `[code, low, high]`: a partition's first offset and the offset after its last message. */
export type WatermarkResult = [code: number, low: number, high: number];
/** Resource types of `DescribeConfigs` / `AlterConfigs`: 2 topic, 3 group, 4 broker. */
export type ResourceTypeCode = 2 | 3 | 4;
/** One property: source is librdkafka's rd_kafka_ConfigSource_t (1 dynamic topic config, 5 default, ...). */
export type ConfigEntryTuple = [name: string, value: string | null, source: number, readOnly: boolean, isDefault: boolean, sensitive: boolean, synonyms: ConfigSynonymTuple[]];
/** Where else a property's value could come from, highest precedence first. */
export type ConfigSynonymTuple = [name: string, value: string | null, source: number];
/** `IncrementalAlterConfigs`' operation on one property: 0 set, 1 delete (back to the default), 2 append, 3 subtract. */
export type AlterConfigOpCode = 0 | 1 | 2 | 3;
export type ConfigResourceTuple = [type: number, name: string, code: number, message: string, entries: ConfigEntryTuple[]];
export type AlterConfigsResultTuple = [type: number, name: string, code: number, message: string];
/** `[groupId, isSimple, state]` */
export type GroupListingTuple = [groupId: string, isSimple: boolean, state: string];
export type GroupMemberTuple = [memberId: string, clientId: string, host: string, groupInstanceId: string | null, assignment: TopicPartitionTuple[]];
export type GroupDescriptionTuple = [
  groupId: string,
  code: number,
  message: string,
  isSimple: boolean,
  partitionAssignor: string,
  state: string,
  coordinator: BrokerTuple | null,
  members: GroupMemberTuple[],
];
/** An admin request's outcome for one group: `[groupId, code, message]`. */
export type GroupResultTuple = [groupId: string, code: number, message: string];
/** `ListConsumerGroupOffsets`' outcome: the group's committed offsets (-1001: none). */
export type GroupOffsetsTuple = [groupId: string, code: number, message: string, offsets: TopicPartitionTuple[]];
/** A rebalance event: code -175 assigned, -174 revoked (lost: not handed over), else an error. */
export type RebalanceEventTuple = [code: number, partitions: TopicPartitionTuple[], lost: boolean, protocol: string];

/** A transactional call's outcome: code 0 and all flags false on success. */
export type TransactionResult = [code: number, message: string, fatal: boolean, retriable: boolean, abortable: boolean];

/** One librdkafka log line: syslog level (0 emergency … 7 debug), facility, text, client name. */
export type LogLine = [level: number, facility: string, message: string, client: string];

export interface NativeBinding {
  // The handle
  /** librdkafka's version, and its `builtin.features` ("ssl", "zstd", ...). */
  Version(): [hexVersion: number, text: string, features: string[]];
  InitKafka(): KafkaHandle;
  SetKafkaConf(handle: KafkaHandle, key: string, value: string): CodeAndMessage;
  SetWakeup(handle: KafkaHandle, callback: (() => void) | null): void;
  /** The client's log lines go to `callback` (batches, on the JS thread); null: the default logger. */
  SetLogger(handle: KafkaHandle, callback: ((lines: LogLine[]) => void) | null): void;
  /** The logger of clients without one of their own, and of the embedded broker. */
  SetDefaultLogger(callback: ((lines: LogLine[]) => void) | null): void;
  /** The client's fatal error (`rd_kafka_fatal_error`), or `[0, '']`. */
  FatalError(handle: KafkaHandle): CodeAndMessage;
  /** The client's errors since the last call (transport, all brokers down, fatal), or null. */
  ClientErrors(handle: KafkaHandle): CodeAndMessage[] | null;
  HandleInfo(handle: KafkaHandle): { kind: 'unstarted' | 'producer' | 'consumer'; state: 'configuring' | 'running' | 'closed' };
  Statistics(handle: KafkaHandle): string | null;
  DRMessageError(code: number): string;
  ErrorName(code: number): string;
  UninitProducer(handle: KafkaHandle, timeoutMs?: number): number;
  UninitProducerAsync(handle: KafkaHandle, timeoutMs?: number): Promise<number>;
  UninitConsumer(handle: KafkaHandle): number;
  UninitConsumerAsync(handle: KafkaHandle): Promise<number>;
  // Producing
  Produce(...args: ProduceArguments): ProduceResult;
  /** `Produce` that returns just the msgid when the message is accepted, else Produce's tuple. */
  ProduceMsgid(...args: ProduceArguments): number | ProduceResult;
  DeliveryReport(handle: KafkaHandle, max?: number): DeliveryReportResult;
  ProduceBatch(
    handle: KafkaHandle,
    topic: string,
    partition: number,
    payloads: Bytes[],
    keys?: Bytes[] | null,
  ): [code: number, firstMsgid: number, count: number, errors: Int32Array | null, message: string];
  /** ProduceBatch with the payloads one after another in `data`: payload i is the next lengths[i] bytes (-1: null). */
  ProduceBatchPacked(
    handle: KafkaHandle,
    topic: string,
    partition: number,
    data: Buffer,
    lengths: Int32Array,
    keys?: Bytes[] | null,
  ): [code: number, firstMsgid: number, count: number, errors: Int32Array | null, message: string];
  DeliveryReportInto(handle: KafkaHandle, msgids: Float64Array, errors: Int32Array, partitions: Int32Array, offsets: Float64Array): number;
  Flush(handle: KafkaHandle, timeoutMs: number): number;
  FlushAsync(handle: KafkaHandle, timeoutMs: number): Promise<number>;
  OutstandingCount(handle: KafkaHandle): number;
  // Consuming
  SubscribeConsumerTPList(handle: KafkaHandle, list: TopicPartitionListHandle): CodeAndMessage;
  Consume(handle: KafkaHandle, timeoutMs?: number): ConsumeResult;
  ConsumeBatch(handle: KafkaHandle, max: number): (MessageTuple | CodeAndMessage)[];
  ConsumeBatchPacked(handle: KafkaHandle, max: number): PackedBatch | CodeAndMessage;
  Commit(handle: KafkaHandle, list: TopicPartitionListHandle | null, async?: boolean): number;
  CommitAsync(handle: KafkaHandle, list: TopicPartitionListHandle | null): Promise<number>;
  Committed(handle: KafkaHandle, list: TopicPartitionListHandle, timeoutMs?: number): [code: number, offsets: TopicPartitionTuple[]];
  CommittedAsync(handle: KafkaHandle, list: TopicPartitionListHandle, timeoutMs?: number): Promise<[code: number, offsets: TopicPartitionTuple[]]>;
  EnableConsumerEvents(handle: KafkaHandle): number;
  ConsumerEvents(handle: KafkaHandle, max?: number): [code: number, events: RebalanceEventTuple[]];
  Assign(handle: KafkaHandle, list: TopicPartitionListHandle | null): CodeAndMessage;
  Unsubscribe(handle: KafkaHandle): number;
  Assignment(handle: KafkaHandle): [code: number, partitions: TopicPartitionTuple[]];
  Seek(handle: KafkaHandle, list: TopicPartitionListHandle, timeoutMs?: number): [code: number, partitions: TopicPartitionTuple[]];
  Position(handle: KafkaHandle, list: TopicPartitionListHandle): [code: number, partitions: TopicPartitionTuple[]];
  Pause(handle: KafkaHandle, list: TopicPartitionListHandle): [code: number, partitions: TopicPartitionTuple[]];
  Resume(handle: KafkaHandle, list: TopicPartitionListHandle): [code: number, partitions: TopicPartitionTuple[]];
  // Topic-partition lists
  NewTopicPartitionList(): TopicPartitionListHandle;
  DestroyTopicPartitionList(list: TopicPartitionListHandle): number;
  SetTopicPartitionList(list: TopicPartitionListHandle, topic: string, partition?: number): number;
  SetOffset(list: TopicPartitionListHandle, topic: string, partition: number, offset: number | bigint): number;
  TopicPartitionListEntries(list: TopicPartitionListHandle): TopicPartitionTuple[];
  // Admin
  CreateTopics(
    handle: KafkaHandle,
    topics: [name: string, partitions: number, replicationFactor: number, configs?: [string, string][], assignment?: number[][]][],
    timeoutMs?: number,
    /** The broker only checks the request; nothing is created. */
    validateOnly?: boolean,
  ): Promise<TopicResultTuple[] | CodeAndMessage>;
  DeleteTopics(handle: KafkaHandle, topics: string[], timeoutMs?: number): Promise<TopicResultTuple[] | CodeAndMessage>;
  CreatePartitions(handle: KafkaHandle, topics: [topic: string, totalCount: number, assignment?: number[][]][], timeoutMs?: number, validateOnly?: boolean): Promise<TopicResultTuple[] | CodeAndMessage>;
  DescribeConfigs(handle: KafkaHandle, resources: [type: ResourceTypeCode, name: string][], timeoutMs?: number): Promise<ConfigResourceTuple[] | CodeAndMessage>;
  AlterConfigs(
    handle: KafkaHandle,
    resources: [type: ResourceTypeCode, name: string, configs: [key: string, value: string | null][]][],
    timeoutMs?: number,
    validateOnly?: boolean,
  ): Promise<AlterConfigsResultTuple[] | CodeAndMessage>;
  /** librdkafka ≥ 2.2.0 (else resolves [-170 ERR__NOT_IMPLEMENTED, message naming the version]). */
  IncrementalAlterConfigs(
    handle: KafkaHandle,
    resources: [type: ResourceTypeCode, name: string, configs: [key: string, op: AlterConfigOpCode, value: string | null][]][],
    timeoutMs?: number,
    validateOnly?: boolean,
  ): Promise<AlterConfigsResultTuple[] | CodeAndMessage>;
  DeleteRecords(handle: KafkaHandle, list: TopicPartitionListHandle, timeoutMs?: number): Promise<TopicPartitionTuple[] | CodeAndMessage>;
  ListConsumerGroups(handle: KafkaHandle, timeoutMs?: number): Promise<[groups: GroupListingTuple[], errors: CodeAndMessage[]] | CodeAndMessage>;
  DescribeConsumerGroups(handle: KafkaHandle, groups: string[], timeoutMs?: number): Promise<GroupDescriptionTuple[] | CodeAndMessage>;
  ListConsumerGroupOffsets(
    handle: KafkaHandle,
    groupId: string,
    list: TopicPartitionListHandle | null,
    timeoutMs?: number,
    requireStable?: boolean,
  ): Promise<GroupOffsetsTuple[] | CodeAndMessage>;
  DeleteGroups(handle: KafkaHandle, groups: string[], timeoutMs?: number): Promise<GroupResultTuple[] | CodeAndMessage>;
  /** Commits the list's offsets for a group from outside it; refused while members consume those topics. */
  AlterConsumerGroupOffsets(handle: KafkaHandle, groupId: string, list: TopicPartitionListHandle, timeoutMs?: number): Promise<GroupOffsetsTuple[] | CodeAndMessage>;
  // Metadata and offsets
  Metadata(handle: KafkaHandle, topics?: string[] | null, timeoutMs?: number): Promise<MetadataResult>;
  QueryWatermarkOffsets(handle: KafkaHandle, topic: string, partition: number, timeoutMs?: number): Promise<WatermarkResult>;
  GetWatermarkOffsets(handle: KafkaHandle, topic: string, partition: number): WatermarkResult;
  OffsetsForTimes(handle: KafkaHandle, list: TopicPartitionListHandle, timeoutMs?: number): Promise<[code: number, offsets: TopicPartitionTuple[]] | CodeAndMessage>;
  /**
   * librdkafka ≥ 2.3.0 (else resolves [-170 ERR__NOT_IMPLEMENTED, message naming the version]).
   * Each entry's offset asks for: -1 the end, -2 the first offset, -3 the message with the largest
   * timestamp, ≥ 0 the first offset whose timestamp is at least that (ms).
   */
  ListOffsets(handle: KafkaHandle, list: TopicPartitionListHandle, timeoutMs?: number, readCommitted?: boolean): Promise<ListOffsetsResultTuple[] | CodeAndMessage>;
  /** librdkafka ≥ 2.3.0 (else resolves [-170 ERR__NOT_IMPLEMENTED, message naming the version]). */
  DescribeCluster(handle: KafkaHandle, timeoutMs?: number): Promise<DescribeClusterResult | CodeAndMessage>;
  /** librdkafka ≥ 2.3.0 (else resolves [-170 ERR__NOT_IMPLEMENTED, message naming the version]). */
  DescribeTopics(handle: KafkaHandle, topics: string[], timeoutMs?: number): Promise<TopicDescriptionTuple[] | CodeAndMessage>;
  /** librdkafka ≥ 2.6.0 (else resolves [-170 ERR__NOT_IMPLEMENTED, message naming the version]). */
  ListConsumerGroupsByType(handle: KafkaHandle, types: GroupType[], timeoutMs?: number): Promise<[groups: TypedGroupListingTuple[], errors: CodeAndMessage[]] | CodeAndMessage>;
  /**
   * librdkafka ≥ 2.6.0 (else resolves [-170 ERR__NOT_IMPLEMENTED, message naming the version]).
   * `list` null: every partition (the result then lists only those with an election or an error).
   */
  ElectLeaders(handle: KafkaHandle, electionType: ElectionTypeCode, list: TopicPartitionListHandle | null, timeoutMs?: number): Promise<ElectLeadersResultTuple[] | CodeAndMessage>;
  /**
   * Purges a producer's messages without waiting: flags 1 those still queued, 2 those in flight.
   * Their delivery reports say ERR__PURGE_QUEUE (-152) / ERR__PURGE_INFLIGHT (-151).
   */
  Purge(handle: KafkaHandle, flags: number): number;
  // ACLs (refused on the embedded broker)
  /** One [code, message] per binding, in order; code 0: created. */
  CreateAcls(handle: KafkaHandle, bindings: AclBindingTuple[], timeoutMs?: number): Promise<CodeAndMessage[] | CodeAndMessage>;
  DescribeAcls(handle: KafkaHandle, filter: AclFilterTuple, timeoutMs?: number): Promise<[code: 0, bindings: AclBindingTuple[]] | CodeAndMessage>;
  /** Per filter: its error and the bindings it matched (and deleted). */
  DeleteAcls(handle: KafkaHandle, filters: AclFilterTuple[], timeoutMs?: number): Promise<[code: number, message: string, deleted: AclBindingTuple[]][] | CodeAndMessage>;
  // OAUTHBEARER tokens
  /**
   * Before the client starts: `callback(oauthbearerConfig)` runs on the JS thread whenever
   * librdkafka needs a token (first, and again before the last expires), and answers with
   * OAuthBearerSetToken or OAuthBearerSetTokenFailure.
   */
  SetOAuthBearerRefresh(handle: KafkaHandle, callback: (oauthbearerConfig: string) => void): void;
  /** lifetimeMs: when the token expires (ms since the epoch); extensions: [key, value, ...]. */
  OAuthBearerSetToken(handle: KafkaHandle, value: string, lifetimeMs: number, principal: string, extensions?: string[]): CodeAndMessage;
  OAuthBearerSetTokenFailure(handle: KafkaHandle, reason: string): number;
  // Transactions: [code, message, fatal, retriable, abortable] as librdkafka classifies the error
  /** Needs transactional.id; fences earlier producers with the same id. */
  InitTransactions(handle: KafkaHandle, timeoutMs?: number): Promise<TransactionResult>;
  /** Local: never waits. */
  BeginTransaction(handle: KafkaHandle): TransactionResult;
  /** The offsets (the next to read) join the transaction; null: the consumer's current positions. */
  SendOffsetsToTransaction(handle: KafkaHandle, list: TopicPartitionListHandle | null, consumerHandle: KafkaHandle | string, timeoutMs?: number): Promise<TransactionResult>;
  CommitTransaction(handle: KafkaHandle, timeoutMs?: number): Promise<TransactionResult>;
  AbortTransaction(handle: KafkaHandle, timeoutMs?: number): Promise<TransactionResult>;
  // The embedded broker
  MockClusterNew(brokers: number): MockClusterHandle;
  MockClusterBootstraps(cluster: MockClusterHandle): string;
  MockTopicCreate(cluster: MockClusterHandle, topic: string, partitions: number, replicationFactor?: number): number;
  MockBrokerSetDown(cluster: MockClusterHandle, brokerId: number): number;
  MockBrokerSetUp(cluster: MockClusterHandle, brokerId: number): number;
  MockBrokerSetRtt(cluster: MockClusterHandle, brokerId: number, rttMs: number): number;
  MockPartitionSetLeader(cluster: MockClusterHandle, topic: string, partition: number, brokerId: number): number;
  MockPushRequestErrors(cluster: MockClusterHandle, apiKey: number, errors: number[]): void;
  MockClearRequestErrors(cluster: MockClusterHandle, apiKey: number): void;
  MockClusterDestroy(cluster: MockClusterHandle): number;
}

/** The oldest librdkafka the addon works with: `rd_kafka_version()` of the 2.0.2 release. */
const MIN_LIBRDKAFKA = { hex: 0x020002ff, text: '2.0.2' } as const;

const INSTALL_LIBRDKAFKA = [
  `Install librdkafka ${MIN_LIBRDKAFKA.text} or newer:`,
  '  Debian/Ubuntu: apt-get install librdkafka1 (or librdkafka-dev, which also builds the addon from source)',
  '  Fedora/RHEL:   dnf install librdkafka',
  '  Alpine:        apk add librdkafka',
  '  macOS:         brew install librdkafka',
].join('\n');

/** Why the addon cannot load: `code` is ERR_LIBRDKAFKA_MISSING, ERR_LIBRDKAFKA_TOO_OLD or ERR_ADDON_MISSING. */
function loadError(code: string, message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, { cause }), { code });
}

/** The librdkafka this process has mapped (Linux only: /proc/self/maps), for messages. */
function loadedLibrdkafkaPath(): string | undefined {
  try {
    return /\s(\/\S*librdkafka\.so\S*)$/m.exec(readFileSync('/proc/self/maps', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Loads the addon of the project at `root`: the file named by the environment variable
 * RDKAFKA_NAPI_ADDON if set (an addon built against another librdkafka, as
 * `npm run test:librdkafka-latest` does), else the one built here (build/Release) or the
 * prebuilt binary for this platform (prebuilds/), as node-gyp-build picks them. A missing or too
 * old librdkafka is an error naming what was found, what is needed and how to install it.
 */
function loadAddon(root: string): NativeBinding {
  const requireHere = createRequire(__filename);
  const nodeGypBuild = requireHere('node-gyp-build') as { resolve(dir: string): string };
  const override = process.env.RDKAFKA_NAPI_ADDON;
  let file: string;
  if (override !== undefined && override !== '') {
    if (!existsSync(override)) throw loadError('ERR_ADDON_MISSING', `RDKAFKA_NAPI_ADDON names ${override}, which does not exist.`);
    file = path.resolve(override);
  } else {
    try {
      file = nodeGypBuild.resolve(root);
    } catch (error) {
      throw loadError('ERR_ADDON_MISSING', `rdkafka-napi has no native addon for ${process.platform}-${process.arch}: no prebuilt binary fits and none was built when the package was installed. ` +
        'Build it from source with `npm rebuild rdkafka-napi` (needs cmake, a C++17 compiler, pkg-config and the development files of librdkafka and libuv).', error);
    }
  }
  let binding: NativeBinding;
  try {
    binding = requireHere(file) as NativeBinding;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // An older librdkafka lacks functions the addon calls (when the loader binds them at load time).
    const symbol = /(?:undefined symbol|Symbol not found): _?(rd_kafka_\w+)/.exec(reason)?.[1];
    if (symbol !== undefined) {
      throw loadError('ERR_LIBRDKAFKA_TOO_OLD', `rdkafka-napi needs librdkafka ${MIN_LIBRDKAFKA.text} or newer; the librdkafka found lacks ${symbol}, so it is older (loading ${file}: ${reason}).\n${INSTALL_LIBRDKAFKA}`, error);
    }
    if (/librdkafka(\.\d+)*\.(so|dylib)/.test(reason)) {
      throw loadError('ERR_LIBRDKAFKA_MISSING', `rdkafka-napi needs librdkafka ${MIN_LIBRDKAFKA.text} or newer, and the system has none: loading ${file} failed with "${reason}".\n${INSTALL_LIBRDKAFKA}`, error);
    }
    throw error;
  }
  const [hex, text] = binding.Version();
  if (hex < MIN_LIBRDKAFKA.hex) {
    const where = loadedLibrdkafkaPath();
    throw loadError('ERR_LIBRDKAFKA_TOO_OLD', `rdkafka-napi needs librdkafka ${MIN_LIBRDKAFKA.text} or newer, and found librdkafka ${text}${where === undefined ? '' : ` (${where})`}.\n${INSTALL_LIBRDKAFKA}`);
  }
  return binding;
}

// lib/ (tests) and dist/ (the package) both sit one level below the project root.
export const capi: NativeBinding = loadAddon(path.join(__dirname, '..'));
