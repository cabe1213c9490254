// rdkafka-napi: a Kafka client for Node over the system librdkafka.
//   capi       the C-style handle API (InitKafka, SetKafkaConf, Produce, DeliveryReport, ...)
//   classes    Producer, Consumer, Admin, Record, TopicPartitionList, MockCluster, KafkaError
export { capi, PACKED_FIELDS } from './native';
export { getDefaultLogger, setDefaultLogger, streamLogger, silentLogger, levelOf, type ClientOptions, type Logger, type LogFields, type LogLevel } from './logger';
export type {
  Bytes,
  CodeAndMessage,
  ConsumeResult,
  DeliveryReportResult,
  HeaderTuple,
  KafkaHandle,
  MessageTuple,
  MockClusterHandle,
  NativeBinding,
  ProduceResult,
  TopicPartitionListHandle,
  TopicPartitionTuple,
  TopicResultTuple,
  BrokerTuple,
  PartitionMetadataTuple,
  TopicMetadataTuple,
  MetadataResult,
  WatermarkResult,
  ResourceTypeCode,
  ConfigEntryTuple,
  ConfigSynonymTuple,
  AlterConfigOpCode,
  ConfigResourceTuple,
  AlterConfigsResultTuple,
  GroupListingTuple,
  GroupMemberTuple,
  GroupDescriptionTuple,
  GroupResultTuple,
  GroupOffsetsTuple,
  RebalanceEventTuple,
  PackedBatch,
  LogLine,
} from './native';
export { KafkaError, ErrorCode, type KafkaErrorFlags } from './errors';
export type { Config, ConfigValue } from './config';
export { Record } from './record';
export { TopicPartitionList, OFFSET_INVALID, type TopicPartitionOffset } from './topic-partition-list';
export { Producer, type ProducerEvents, type DeliveryOutcome, type DeliveryReport, type DeliveryResult, type OutstandingMessage, type Payload, type ProducerRecord } from './producer';
export { Consumer, SpecialOffset, type CommitOffset, type ConsumerEvents, type ConsumerOptions, type RebalanceEvent, type RebalanceListener, type TopicPartition } from './consumer';
export {
  Admin,
  type BrokerMetadata,
  type ClusterMetadata,
  type ConfigEntry,
  type ConfigSynonym,
  type ConfigChange,
  type ConfigSource,
  type GroupDescription,
  type GroupLag,
  type GroupListing,
  type GroupMember,
  type GroupOffset,
  type GroupPartitionLag,
  type NewTopic,
  type PartitionMetadata,
  type PartitionOffset,
  type PartitionTimestamp,
  type ResourceType,
  type TimeoutOption,
  type TopicChangeOptions,
  type TopicMetadata,
  type WatermarkOffsets,
  type OffsetSpec,
  type ListOffsetsRequest,
  type ListedOffset,
  type ClusterDescription,
  type TopicDescription,
  type LeaderElection,
} from './admin';
export type { GroupType } from './native';
export type { ElectionTypeCode, ElectLeadersResultTuple } from './native';
export type { AclBindingTuple, AclFilterTuple } from './native';
export type { AclBinding, AclFilter, AclOperation, AclPatternType, AclPermission, AclResourceType } from './acls';
export type { OAuthBearerProvider, OAuthBearerToken } from './oauth';
export type { TransactionResult } from './native';
export { MockCluster, ApiKey, type MockClusterOptions } from './mock-cluster';

import { capi } from './native';

/**
 * The linked librdkafka: its version and what it was built with (`builtin.features`), e.g.
 * `{ hex: 0x020002ff, text: '2.0.2', features: ['gzip', 'snappy', 'ssl', 'sasl', ..., 'zstd'] }`.
 */
export function librdkafkaVersion(): { hex: number; text: string; features: string[] } {
  const [hex, text, features] = capi.Version();
  return { hex, text, features };
}
// Schema Registry: serializers and deserializers in Confluent's wire format, a registry client, the embedded registry.
export type { ProducerOptions, RecordSerializer } from './producer';
export type { RecordDeserializer } from './consumer';
export * from './schema';
