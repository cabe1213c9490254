// rdkafka-napi/kafkajs: kafkajs's API over librdkafka. A kafkajs program changes its import and
// runs; @confluentinc/kafka-javascript's configuration shape ({ kafkaJS: {...}, ...librdkafka
// properties }) is taken too. See docs/kafkajs.md for what differs and why.
import { KafkaJSAdmin } from './admin';
import { kafkaContext, type ConfluentKafkaConfig, type KafkaConfig, type KafkaContext } from './config';
import { KafkaJSConsumer } from './consumer';
import type { KafkaJSLogger } from './logger';
import { KafkaJSProducer, type ConfluentProducerConfig, type ProducerConfig } from './producer';

export class Kafka {
  readonly #context: KafkaContext;

  constructor(config: KafkaConfig | ConfluentKafkaConfig) {
    this.#context = kafkaContext(config);
  }

  producer(config?: ProducerConfig | ConfluentProducerConfig): KafkaJSProducer {
    return new KafkaJSProducer(this.#context, config);
  }

  consumer(config: ConstructorParameters<typeof KafkaJSConsumer>[1]): KafkaJSConsumer {
    return new KafkaJSConsumer(this.#context, config);
  }

  admin(config?: ConstructorParameters<typeof KafkaJSAdmin>[1]): KafkaJSAdmin {
    return new KafkaJSAdmin(this.#context, config);
  }

  logger(): KafkaJSLogger {
    return this.#context.kafkaLogger;
  }
}

export { KafkaJSProducer, KafkaJSConsumer, KafkaJSAdmin };
export type Producer = KafkaJSProducer;
export type Consumer = KafkaJSConsumer;
export type Admin = KafkaJSAdmin;
export type { KafkaJSLogger as Logger } from './logger';
export { logLevel, type LogEntry, type LoggerEntryContent, type logCreator } from './logger';
export { kafkaContext, connectConfig, type KafkaConfig, type ConfluentKafkaConfig, type BrokersFunction, type SASLOptions, type OauthbearerProviderResponse } from './config';
export type { ClientContext, RetryOptions } from './context';
export {
  CompressionTypes,
  CompressionCodecs,
  type ProducerConfig,
  type ConfluentProducerConfig,
  type Message,
  type IHeaders,
  type ProducerRecord,
  type ProducerBatch,
  type TopicMessages,
  type RecordMetadata,
  type Transaction,
  type Offsets,
  type TopicOffsets,
  type PartitionOffset,
  type ProducerEvents,
  type InstrumentationEvent,
  type RemoveInstrumentationEventListener,
  type ConnectEvent,
  type DisconnectEvent,
  type RequestEvent,
  type RequestTimeoutEvent,
  type RequestQueueSizeEvent,
} from './producer';
export type {
  ConsumerConfig,
  ConsumerRunConfig,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  ConsumerEvents,
  EachMessagePayload,
  EachBatchPayload,
  EachMessagePayload as ConsumerEachMessagePayload,
  EachBatchPayload as ConsumerEachBatchPayload,
  EachMessageHandler,
  EachBatchHandler,
  KafkaMessage,
  Batch,
  OffsetsByTopicPartition,
  TopicPartitions,
  TopicPartitionOffsetAndMetadata,
  ConsumerHeartbeatEvent,
  ConsumerCommitOffsetsEvent,
  ConsumerGroupJoinEvent,
  ConsumerFetchStartEvent,
  ConsumerFetchEvent,
  ConsumerStartBatchProcessEvent,
  ConsumerEndBatchProcessEvent,
  ConsumerCrashEvent,
  ConsumerRebalancingEvent,
  ConsumerReceivedUnsubcribedTopicsEvent,
  IMemberAssignment,
} from './consumer';
export type {
  AdminConfig,
  ITopicConfig,
  ITopicPartitionConfig,
  ITopicMetadata,
  ReplicaAssignment,
  SeekEntry,
  FetchOffsetsPartition,
  ResourceConfigQuery,
  ConfigEntries,
  ConfigSynonyms,
  DescribeConfigResponse,
  IResourceConfig,
  IResourceConfigEntry,
  GroupOverview,
  GroupDescription,
  MemberDescription,
  ConsumerGroupState,
  DeleteGroupsResult,
  AclEntry,
  DescribeAclResponse,
  DeleteAclResponse,
  PartitionReassignment,
  ListPartitionReassignmentsResponse,
} from './admin';
export { Partitioners, type ICustomPartitioner, type PartitionerArgs, type PartitionMetadata } from './partitioners';
export { AssignerProtocol, ErrorCodes, PartitionAssigners, type MemberAssignment, type MemberMetadata, type PartitionAssigner } from './constants';
export { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ConfigResourceTypes, ConfigSource, ResourcePatternTypes, ResourceTypes } from './enums';
export * from './errors';
