// The raw binding: the C-style functions exactly as the addon exports them, typed.
// Every function checks its own arguments (a wrong type is a TypeError naming the parameter),
// so this surface is safe to call directly; the classes add friendlier checks on top.
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

/** `[code, message]`: 0 = success. */
export type CodeAndMessage = [code: number, message: string];
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
/** `[topic, partition, offset, error]` */
export type TopicPartitionTuple = [topic: string, partition: number, offset: number, error: number];

/** An admin request's outcome for one topic: `[name, code, message]`. */
export type TopicResultTuple = [name: string, code: number, message: string];

export interface NativeBinding {
  // The handle
  Version(): [hexVersion: number, text: string];
  InitKafka(): KafkaHandle;
  SetKafkaConf(handle: KafkaHandle, key: string, value: string): CodeAndMessage;
  SetWakeup(handle: KafkaHandle, callback: (() => void) | null): void;
  HandleInfo(handle: KafkaHandle): { kind: 'unstarted' | 'producer' | 'consumer'; state: 'configuring' | 'running' | 'closed' };
  DRMessageError(code: number): string;
  ErrorName(code: number): string;
  UninitProducer(handle: KafkaHandle, timeoutMs?: number): number;
  UninitProducerAsync(handle: KafkaHandle, timeoutMs?: number): Promise<number>;
  UninitConsumer(handle: KafkaHandle): number;
  UninitConsumerAsync(handle: KafkaHandle): Promise<number>;
  // Producing
  Produce(
    handle: KafkaHandle,
    topic: string,
    payload: Bytes,
    key: Bytes,
    partition?: number,
    headers?: HeaderTuple[] | [string, Bytes][] | null,
    timestamp?: number,
  ): ProduceResult;
  DeliveryReport(handle: KafkaHandle, max?: number): DeliveryReportResult;
  ProduceBatch(
    handle: KafkaHandle,
    topic: string,
    partition: number,
    payloads: Bytes[],
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
  Commit(handle: KafkaHandle, list: TopicPartitionListHandle | null, async?: boolean): number;
  CommitAsync(handle: KafkaHandle, list: TopicPartitionListHandle | null): Promise<number>;
  Committed(handle: KafkaHandle, list: TopicPartitionListHandle, timeoutMs?: number): [code: number, offsets: TopicPartitionTuple[]];
  CommittedAsync(handle: KafkaHandle, list: TopicPartitionListHandle, timeoutMs?: number): Promise<[code: number, offsets: TopicPartitionTuple[]]>;
  // Topic-partition lists
  NewTopicPartitionList(): TopicPartitionListHandle;
  DestroyTopicPartitionList(list: TopicPartitionListHandle): number;
  SetTopicPartitionList(list: TopicPartitionListHandle, topic: string, partition?: number): number;
  SetOffset(list: TopicPartitionListHandle, topic: string, partition: number, offset: number | bigint): number;
  TopicPartitionListEntries(list: TopicPartitionListHandle): TopicPartitionTuple[];
  // Admin
  CreateTopics(
    handle: KafkaHandle,
    topics: [name: string, partitions: number, replicationFactor: number, configs?: [string, string][]][],
    timeoutMs?: number,
  ): Promise<TopicResultTuple[] | CodeAndMessage>;
  DeleteTopics(handle: KafkaHandle, topics: string[], timeoutMs?: number): Promise<TopicResultTuple[] | CodeAndMessage>;
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

// lib/ (tests) and dist/ (the package) both sit one level below the project root.
const requireNative = createRequire(__filename);
export const capi: NativeBinding = requireNative(path.join(__dirname, '..', 'build', 'Release', 'rdkafka_napi.node'));
