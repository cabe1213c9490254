// The kafkajs facade's core and producer (rdkafka-napi/kafkajs): kafkajs's documented producer
// and transaction examples run with only the import changed, keys land where kafkajs puts them,
// RecordMetadata is kafkajs's, bad input is kafkajs's error class with a clear message, and the
// Kafka configuration maps onto librdkafka's properties. On both brokers.
import { execFile } from 'node:child_process';
import path from 'node:path';
import * as realKafkajs from 'kafkajs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { Consumer, KafkaError, MockCluster, Producer, type Record } from '../lib';
import {
  AssignerProtocol,
  CompressionTypes,
  ErrorCodes,
  Kafka,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  kafkaContext,
  logLevel,
  toKafkaJSError,
  Partitioners,
  type LogEntry,
  type Message,
  type PartitionMetadata,
  type RequestTimeoutEvent,
} from '../lib/kafkajs';
import { testBrokers, useBroker, type TestBroker } from './brokers';
import { consumeCount, consumerConfig, uniqueTopic } from './helpers';

const ROOT = path.join(__dirname, '..');
const quiet = { logLevel: logLevel.NOTHING };

/** Every record of a topic's partitions (no group), as a reader with this isolation level sees them. */
async function readAll(broker: TestBroker, topic: string, partitions: number, count: number, isolation = 'read_committed'): Promise<Record[]> {
  const consumer = new Consumer(consumerConfig(broker.bootstrapServers, uniqueTopic('reader'), { 'isolation.level': isolation }));
  consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })));
  try {
    return await consumeCount(consumer, count, 60_000);
  } finally {
    await consumer.close();
  }
}

/** The rejection of a promise (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => new Error('expected a rejection'),
    (error: unknown) => error as Error,
  );
  expect(outcome.message).not.toBe('expected a rejection');
  return outcome;
}

/** kafkajs's partitionMetadata for a topic of n partitions, all led. */
function fakeMetadata(n: number): PartitionMetadata[] {
  return Array.from({ length: n }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 1, replicas: [1], isr: [1] }));
}

/** Keys of many shapes: lengths 0 to 40 (every tail length), UTF-8 beyond ASCII, Buffers. */
function manyKeys(count: number): Array<string | Buffer> {
  const keys: Array<string | Buffer> = [];
  for (let i = 0; i < count; i++) {
    const text = `key-${i}-${'x'.repeat(i % 37)}${i % 5 === 0 ? 'é€😀' : ''}`.slice(0, i % 41);
    keys.push(i % 3 === 0 ? Buffer.from(text) : text);
  }
  return keys;
}

describe('kafkajs partitioners', () => {
  it("DefaultPartitioner and LegacyPartitioner pick kafkajs's partition for 5,000 keys, for 1 to 13 partitions", () => {
    for (const name of ['DefaultPartitioner', 'LegacyPartitioner', 'JavaCompatiblePartitioner'] as const) {
      const ours = Partitioners[name]();
      const theirs = realKafkajs.Partitioners[name]();
      const mismatches: string[] = [];
      for (const key of manyKeys(5000)) {
        for (const n of [1, 2, 3, 7, 13]) {
          const args = { topic: 't', partitionMetadata: fakeMetadata(n), message: { key, value: null } };
          if (ours(args) !== theirs(args)) mismatches.push(`${name} ${String(key)} over ${n}`);
        }
      }
      expect(mismatches).toEqual([]);
    }
  });

  it('a message with a partition keeps it, and keyless messages go round robin over the partitions with a leader', () => {
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = fakeMetadata(4).map((p) => (p.partitionId === 2 ? { ...p, leader: -1 } : p));
    expect(partitioner({ topic: 't', partitionMetadata, message: { key: 'k', value: 'v', partition: 3 } })).toBe(3);
    const chosen = Array.from({ length: 6 }, () => partitioner({ topic: 't', partitionMetadata, message: { value: 'v' } }));
    expect(new Set(chosen)).toEqual(new Set([0, 1, 3]));
  });
});

describe('new Kafka(config): librdkafka properties', () => {
  it('maps brokers, clientId, TLS options, SASL/SCRAM and the timeouts', () => {
    const { config, confluentShape } = kafkaContext({
      clientId: 'my-app',
      brokers: ['kafka1:9092', 'kafka2:9092'],
      ssl: { rejectUnauthorized: false, ca: ['-----CA1-----', Buffer.from('-----CA2-----')], cert: '-----CERT-----', key: Buffer.from('-----KEY-----'), passphrase: 'secret' },
      sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-secret' },
      connectionTimeout: 3000,
      authenticationTimeout: 2000,
      requestTimeout: 25000,
      ...quiet,
    });
    expect(confluentShape).toBe(false);
    expect(config).toEqual({
      'bootstrap.servers': 'kafka1:9092,kafka2:9092',
      'client.id': 'my-app',
      'security.protocol': 'sasl_ssl',
      'ssl.ca.pem': '-----CA1-----\n-----CA2-----',
      'ssl.certificate.pem': '-----CERT-----',
      'ssl.key.pem': '-----KEY-----',
      'ssl.key.password': 'secret',
      'enable.ssl.certificate.verification': false,
      'ssl.endpoint.identification.algorithm': 'none',
      'sasl.mechanisms': 'SCRAM-SHA-512',
      'sasl.username': 'alice',
      'sasl.password': 'alice-secret',
      'socket.connection.setup.timeout.ms': 5000,
      'socket.timeout.ms': 25000,
    });
  });

  it('ssl: true alone is TLS with the system trust store; sasl plain alone is SASL_PLAINTEXT', () => {
    expect(kafkaContext({ brokers: ['b:9093'], ssl: true, ...quiet }).config).toEqual({ 'bootstrap.servers': 'b:9093', 'client.id': 'kafkajs', 'security.protocol': 'ssl' });
    expect(kafkaContext({ brokers: ['b:9092'], sasl: { mechanism: 'plain', username: 'u', password: 'p' }, ...quiet }).config).toMatchObject({
      'security.protocol': 'sasl_plaintext',
      'sasl.mechanisms': 'PLAIN',
      'sasl.username': 'u',
      'sasl.password': 'p',
    });
  });

  it("oauthbearer: librdkafka asks kafkajs's oauthBearerProvider for tokens", async () => {
    const context = kafkaContext({ brokers: ['b:9092'], ssl: true, sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: 'token-1', lifetime: 1, principal: 'me' }) }, ...quiet });
    expect(context.config).toMatchObject({ 'security.protocol': 'sasl_ssl', 'sasl.mechanisms': 'OAUTHBEARER' });
    expect(await context.oauthBearerProvider!('')).toEqual({ value: 'token-1', lifetime: 1, principal: 'me' });
  });

  it("@confluentinc/kafka-javascript's shape: kafkaJS options plus librdkafka properties, which win", () => {
    const { config, confluentShape } = kafkaContext({ kafkaJS: { brokers: ['b:9092'], clientId: 'c', ssl: true, ...quiet }, 'security.protocol': 'sasl_ssl', 'linger.ms': 5 });
    expect(confluentShape).toBe(true);
    expect(config).toEqual({ 'bootstrap.servers': 'b:9092', 'client.id': 'c', 'security.protocol': 'sasl_ssl', 'linger.ms': 5 });
    expect(kafkaContext({ kafkaJS: quiet, 'bootstrap.servers': 'x:1' }).config['bootstrap.servers']).toBe('x:1');
  });

  it('refuses what librdkafka cannot do, naming it: no brokers, AWS IAM, an unknown option, an unsupported TLS option', () => {
    const refusal = (config: unknown): Error => {
      try {
        new Kafka(config as ConstructorParameters<typeof Kafka>[0]);
      } catch (error) {
        expect(error).toBeInstanceOf(KafkaJSNonRetriableError);
        return error as Error;
      }
      throw new Error('expected new Kafka() to throw');
    };
    expect(refusal({ clientId: 'x' }).message).toMatch(/expected brokers array and got undefined/);
    expect(refusal({ brokers: ['b:1'], sasl: { mechanism: 'aws', accessKeyId: 'a' } }).message).toMatch(/Unsupported SASL mechanism 'aws'.*AWS IAM/);
    expect(refusal({ brokers: ['b:1'], brokerz: 1 }).message).toMatch(/Unknown Kafka configuration option 'brokerz'/);
    expect(refusal({ brokers: ['b:1'], ssl: { pfx: Buffer.alloc(1) } }).message).toMatch(/ssl\.pfx is not supported/);
    expect(refusal({ brokers: ['b:1'], logLevel: 3 }).message).toMatch(/logLevel/);
    expect(refusal({ brokers: ['b:1'], ssl: { servername: 'other' } }).message).toMatch(/ssl\.servername is not supported/);
    expect(refusal({ brokers: ['b:1'], socketFactory: () => null }).message).toMatch(/socketFactory is not supported: librdkafka opens its own sockets/);
    expect(refusal({ brokers: ['b:1'], sasl: { mechanism: 'plain', username: 'u' } }).message).toMatch(/Expected a string for sasl.password but received undefined/);
  });

  it("librdkafka's errors become the class a kafkajs program tests for", () => {
    const as = (code: number) => toKafkaJSError(new KafkaError(code, 'why'));
    expect(as(58)).toMatchObject({ name: 'KafkaJSSASLAuthenticationError', retriable: false, message: 'why' });
    expect(as(-169)).toMatchObject({ name: 'KafkaJSSASLAuthenticationError', retriable: false });
    expect(as(-188)).toMatchObject({ name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true });
    expect(as(3)).toMatchObject({ name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true });
    expect(as(-181)).toMatchObject({ name: 'KafkaJSConnectionError' });
    expect(as(-195)).toMatchObject({ name: 'KafkaJSConnectionError', retriable: true });
    expect(as(10)).toMatchObject({ name: 'KafkaJSProtocolError', type: 'MESSAGE_TOO_LARGE' });
    expect(as(-185)).toMatchObject({ name: 'KafkaJSRequestTimeoutError' });
    expect((as(-184) as KafkaJSError).cause).toBeInstanceOf(KafkaError);
  });

  it("AssignerProtocol encodes and decodes the consumer protocol's structures byte for byte as kafkajs's", () => {
    const metadata = { version: 1, topics: ['orders', 'unicode-é'], userData: Buffer.from([1, 2, 3]) };
    const assignment = { version: 0, assignment: { orders: [0, 2, 4], other: [1] }, userData: Buffer.alloc(0) };
    const ours = AssignerProtocol;
    const theirs = realKafkajs.AssignerProtocol;
    expect(ours.MemberMetadata.encode(metadata)).toEqual(theirs.MemberMetadata.encode(metadata));
    expect(ours.MemberAssignment.encode(assignment)).toEqual(theirs.MemberAssignment.encode(assignment));
    expect(ours.MemberMetadata.decode(theirs.MemberMetadata.encode(metadata))).toEqual(theirs.MemberMetadata.decode(theirs.MemberMetadata.encode(metadata)));
    expect(ours.MemberAssignment.decode(theirs.MemberAssignment.encode(assignment))).toEqual(theirs.MemberAssignment.decode(theirs.MemberAssignment.encode(assignment)));
    expect(ours.MemberAssignment.decode(Buffer.alloc(0))).toBeNull();
  });

  it('ErrorCodes are librdkafka\'s names and numbers', () => {
    expect(ErrorCodes.ERR__QUEUE_FULL).toBe(-184);
    expect(ErrorCodes.ERR_UNKNOWN_TOPIC_OR_PART).toBe(3);
    expect(ErrorCodes.ERR__TIMED_OUT).toBe(-185);
  });
});

describe('logging', () => {
  it("logCreator receives librdkafka's lines as kafkajs log entries, at the level asked; connect() fails with KafkaJSConnectionError", async () => {
    const entries: LogEntry[] = [];
    let levelGiven: number | undefined;
    let firstEntry!: () => void;
    const arrived = new Promise<void>((resolve) => (firstEntry = resolve));
    const kafka = new Kafka({
      clientId: 'logging-test',
      brokers: ['127.0.0.1:1'], // nothing listens: librdkafka logs each refused connection
      logLevel: logLevel.WARN,
      logCreator: (level) => {
        levelGiven = level;
        return (entry) => {
          entries.push(entry);
          firstEntry();
        };
      },
    });
    const producer = kafka.producer();
    const connecting = rejection(producer.connect());
    await arrived;
    expect(levelGiven).toBe(logLevel.WARN);
    const entry = entries[0];
    expect(entry).toMatchObject({ namespace: 'librdkafka', log: { logger: 'kafkajs', client: expect.stringMatching(/^logging-test#producer/) } });
    expect(['ERROR', 'WARN']).toContain(entry.label);
    expect(entry.level).toBeLessThanOrEqual(logLevel.WARN);
    expect(entry.log.message).toMatch(/127\.0\.0\.1:1/);
    expect(new Date(entry.log.timestamp).getTime()).not.toBeNaN();
    const error = await connecting;
    expect(error.name).toBe('KafkaJSConnectionError');
  }, 60_000);

  it("kafka.logger() writes through logCreator as kafkajs's logger does, and setLogLevel changes what passes", () => {
    const entries: LogEntry[] = [];
    const kafka = new Kafka({ brokers: ['b:1'], logLevel: logLevel.INFO, logCreator: () => (entry) => entries.push(entry) });
    const logger = kafka.logger();
    logger.info('hello', { extra: 1 });
    logger.debug('not at INFO');
    logger.namespace('Mine').error('oops');
    logger.setLogLevel(logLevel.ERROR);
    logger.info('not at ERROR');
    expect(entries.map(({ namespace, level, label, log: { message, logger: name, extra } }) => ({ namespace, level, label, message, name, extra }))).toEqual([
      { namespace: '', level: 4, label: 'INFO', message: 'hello', name: 'kafkajs', extra: 1 },
      { namespace: 'Mine', level: 1, label: 'ERROR', message: 'oops', name: 'kafkajs', extra: undefined },
    ]);
  });
});

describe('types', () => {
  // A kafkajs-typed program: it must compile against kafkajs's own declarations and against ours.
  const PROGRAM = `
import { Kafka, CompressionTypes, logLevel, Partitioners, KafkaJSError, KafkaJSProtocolError, type Producer, type RecordMetadata, type Message, type LogEntry, type Transaction, type RequestTimeoutEvent } from 'KAFKAJS';

const kafka = new Kafka({
  clientId: 'my-app',
  brokers: ['kafka1:9092', 'kafka2:9092'],
  ssl: { rejectUnauthorized: false, ca: ['ca'], key: 'key', cert: 'cert' },
  sasl: { mechanism: 'plain', username: 'my-username', password: 'my-password' },
  connectionTimeout: 3000,
  requestTimeout: 25000,
  retry: { initialRetryTime: 100, retries: 8 },
  logLevel: logLevel.ERROR,
  logCreator: (level: logLevel) => ({ namespace, label, log }: LogEntry) => console.log(level, namespace, label, log.message),
});
const producer: Producer = kafka.producer({ createPartitioner: Partitioners.LegacyPartitioner, allowAutoTopicCreation: false, transactionTimeout: 30000 });
const MyPartitioner = () => ({ topic, partitionMetadata, message }: { topic: string; partitionMetadata: { partitionId: number }[]; message: Message }) => (topic && message ? partitionMetadata[0].partitionId : 0);
kafka.producer({ createPartitioner: MyPartitioner, idempotent: true, maxInFlightRequests: 1, transactionalId: 'txn' });

export async function run(): Promise<RecordMetadata[]> {
  await producer.connect();
  const removeListener = producer.on(producer.events.CONNECT, (e) => console.log(e.timestamp));
  removeListener();
  producer.on(producer.events.REQUEST_TIMEOUT, (e: RequestTimeoutEvent) => console.log(e.payload.broker, e.payload.apiName));
  const messages: Message[] = [{ key: 'key1', value: 'hello world', headers: { 'correlation-id': '2bfb68bb', list: ['a', Buffer.from('b')] } }, { value: Buffer.from('x'), partition: 0, timestamp: '1700000000000' }];
  const sent = await producer.send({ topic: 'topic-name', messages, acks: 1, timeout: 30000, compression: CompressionTypes.GZIP });
  await producer.sendBatch({ topicMessages: [{ topic: 'topic-a', messages: [{ key: 'key', value: 'hello topic-a' }] }] });
  const transaction: Transaction = await producer.transaction();
  try {
    await transaction.send({ topic: 'topic-name', messages });
    await transaction.sendOffsets({ consumerGroupId: 'group', topics: [{ topic: 'input', partitions: [{ partition: 0, offset: '42' }] }] });
    await transaction.commit();
  } catch (e) {
    if (e instanceof KafkaJSProtocolError) console.log(e.type, e.retriable);
    else if (e instanceof KafkaJSError) console.log(e.retriable);
    await transaction.abort();
  }
  await producer.disconnect();
  return sent.map((m) => ({ ...m, baseOffset: m.baseOffset ?? '0' }));
}
`;

  // The consumer, admin and error side of a kafkajs-typed program: handlers and listeners typed
  // with kafkajs's payload and event types, the admin's calls, the error classes and their fields.
  const CONSUMER_PROGRAM = `
import {
  Kafka, PartitionAssigners, AssignerProtocol, ConfigResourceTypes, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes, logLevel,
  KafkaJSError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSConnectionError, KafkaJSProtocolError, KafkaJSOffsetOutOfRange,
  KafkaJSRequestTimeoutError, KafkaJSServerDoesNotSupportApiKey, KafkaJSAggregateError, KafkaJSDeleteGroupsError, KafkaJSNotImplemented,
  KafkaJSMetadataNotLoaded, KafkaJSBrokerNotFound, KafkaJSSASLAuthenticationError, KafkaJSTimeout, KafkaJSDeleteTopicRecordsError,
  type Consumer, type Admin, type ConsumerConfig, type ConsumerRunConfig, type EachMessagePayload, type EachBatchPayload, type EachBatchHandler,
  type EachMessageHandler, type KafkaMessage, type Batch, type ConsumerCrashEvent, type ConsumerGroupJoinEvent, type ConsumerCommitOffsetsEvent,
  type ConsumerEndBatchProcessEvent, type ConsumerStartBatchProcessEvent, type ConsumerFetchEvent, type ConsumerFetchStartEvent, type ConsumerRebalancingEvent,
  type ConsumerHeartbeatEvent, type InstrumentationEvent, type ITopicConfig, type GroupDescription, type TopicPartitionOffsetAndMetadata,
  type BrokersFunction, type KafkaConfig, type RetryOptions, type SeekEntry, type DescribeConfigResponse, type OffsetsByTopicPartition,
  type ConsumerSubscribeTopics, type IHeaders, type Logger, type GroupOverview, type DeleteGroupsResult, type ITopicMetadata, type AdminConfig,
} from 'KAFKAJS';

const brokers: BrokersFunction = async () => ['kafka1:9092'];
const retry: RetryOptions = { retries: 3, restartOnFailure: async (error: Error) => error.name !== 'KafkaJSNonRetriableError' };
const config: KafkaConfig = { clientId: 'my-app', brokers, retry, logLevel: logLevel.WARN };
const kafka = new Kafka(config);
const consumerConfig: ConsumerConfig = {
  groupId: 'test-group', sessionTimeout: 30000, rebalanceTimeout: 60000, heartbeatInterval: 3000, maxBytesPerPartition: 1048576, minBytes: 1,
  maxBytes: 10485760, maxWaitTimeInMs: 5000, allowAutoTopicCreation: false, readUncommitted: false, retry, partitionAssigners: [PartitionAssigners.roundRobin],
};
const consumer: Consumer = kafka.consumer(consumerConfig);

const eachMessage: EachMessageHandler = async ({ topic, partition, message, heartbeat, pause }: EachMessagePayload) => {
  const m: KafkaMessage = message;
  const headers: IHeaders = m.headers ?? {};
  console.log(topic, partition, m.key?.toString(), m.value?.toString(), m.offset, m.timestamp, headers['correlation-id']?.toString());
  await heartbeat();
  if (m.offset === '10') setTimeout(pause(), 1000);
};
const eachBatch: EachBatchHandler = async (payload: EachBatchPayload) => {
  const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, uncommittedOffsets, isRunning, isStale, pause }: EachBatchPayload = payload;
  const b: Batch = batch;
  for (const message of b.messages) {
    if (!isRunning() || isStale()) break;
    resolveOffset(message.offset);
    await heartbeat();
  }
  const pending: OffsetsByTopicPartition = uncommittedOffsets();
  await commitOffsetsIfNecessary(pending);
  await commitOffsetsIfNecessary();
  console.log(b.topic, b.partition, b.highWatermark, b.isEmpty(), b.firstOffset(), b.lastOffset(), b.offsetLag(), b.offsetLagLow());
  if (b.messages.length === 0) pause()();
};
const runConfig: ConsumerRunConfig = { eachBatch, eachBatchAutoResolve: false, autoCommit: true, autoCommitInterval: 5000, autoCommitThreshold: 100, partitionsConsumedConcurrently: 3 };

export async function consume(): Promise<void> {
  await consumer.connect();
  const subscription: ConsumerSubscribeTopics = { topics: ['topic-A', /topic-(eu|us)-.*/i], fromBeginning: true };
  await consumer.subscribe(subscription);
  await consumer.subscribe({ topic: 'topic-B' });
  const { CRASH, GROUP_JOIN, COMMIT_OFFSETS, END_BATCH_PROCESS, START_BATCH_PROCESS, FETCH, FETCH_START, REBALANCING, HEARTBEAT, STOP, CONNECT } = consumer.events;
  const removers = [
    consumer.on(CRASH, (e: ConsumerCrashEvent) => console.log(e.payload.error.message, e.payload.groupId, e.payload.restart)),
    consumer.on(GROUP_JOIN, (e: ConsumerGroupJoinEvent) => console.log(e.payload.duration, e.payload.memberId, e.payload.isLeader, e.payload.memberAssignment)),
    consumer.on(COMMIT_OFFSETS, (e: ConsumerCommitOffsetsEvent) => console.log(e.payload.topics.map((t) => t.partitions))),
    consumer.on(START_BATCH_PROCESS, (e: ConsumerStartBatchProcessEvent) => console.log(e.payload.batchSize, e.payload.offsetLag)),
    consumer.on(END_BATCH_PROCESS, (e: ConsumerEndBatchProcessEvent) => console.log(e.payload.duration, e.payload.firstOffset)),
    consumer.on(FETCH, (e: ConsumerFetchEvent) => console.log(e.payload.numberOfBatches)),
    consumer.on(FETCH_START, (e: ConsumerFetchStartEvent) => console.log(e.payload.nodeId)),
    consumer.on(REBALANCING, (e: ConsumerRebalancingEvent) => console.log(e.payload.memberId)),
    consumer.on(HEARTBEAT, (e: ConsumerHeartbeatEvent) => console.log(e.payload.groupGenerationId)),
    consumer.on(STOP, (e: InstrumentationEvent<null>) => console.log(e.id, e.type, e.timestamp)),
    consumer.on(CONNECT, (e) => console.log(e.timestamp)),
  ];
  removers.forEach((remove) => remove());
  await consumer.run(runConfig);
  await consumer.run({ eachMessage, partitionsConsumedConcurrently: 1 });
  await consumer.run();
  consumer.seek({ topic: 'topic-A', partition: 0, offset: '12' });
  consumer.pause([{ topic: 'topic-A' }, { topic: 'topic-B', partitions: [0, 1] }]);
  consumer.resume(consumer.paused());
  const offsets: TopicPartitionOffsetAndMetadata[] = [{ topic: 'topic-A', partition: 0, offset: '13', metadata: null }];
  await consumer.commitOffsets(offsets);
  const group: GroupDescription = await consumer.describeGroup();
  console.log(group.state, group.members.map((m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment));
  const logger: Logger = consumer.logger();
  logger.info('done', { group: group.groupId });
  await consumer.stop();
  await consumer.disconnect();
}

const adminConfig: AdminConfig = { retry: { retries: 2 } };
const admin: Admin = kafka.admin(adminConfig);

export async function administer(): Promise<void> {
  await admin.connect();
  const topics: ITopicConfig[] = [{ topic: 'topic-A', numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }];
  const created: boolean = await admin.createTopics({ topics, validateOnly: false, waitForLeaders: true, timeout: 5000 });
  await admin.createPartitions({ topicPartitions: [{ topic: 'topic-A', count: 5 }] });
  const metadata: { topics: ITopicMetadata[] } = await admin.fetchTopicMetadata({ topics: ['topic-A'] });
  const names: string[] = await admin.listTopics();
  const ends = await admin.fetchTopicOffsets('topic-A');
  const at: SeekEntry[] = await admin.fetchTopicOffsetsByTimestamp('topic-A', Date.now());
  const fetched = await admin.fetchOffsets({ groupId: 'test-group', topics: ['topic-A'] });
  await admin.resetOffsets({ groupId: 'test-group', topic: 'topic-A', earliest: true });
  await admin.setOffsets({ groupId: 'test-group', topic: 'topic-A', partitions: [{ partition: 0, offset: '35' }] });
  await admin.deleteTopicRecords({ topic: 'topic-A', partitions: [{ partition: 0, offset: '-1' }] });
  const cluster = await admin.describeCluster();
  const groups: GroupOverview[] = (await admin.listGroups()).groups;
  const described = await admin.describeGroups(['test-group']);
  const deleted: DeleteGroupsResult[] = await admin.deleteGroups(['test-group']);
  const configs: DescribeConfigResponse = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'topic-A', configNames: ['cleanup.policy'] }] });
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'topic-A', configEntries: [{ name: 'cleanup.policy', value: 'delete' }] }] });
  const acl = { resourceType: AclResourceTypes.TOPIC, resourceName: 'topic-A', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:bob', host: '*', operation: AclOperationTypes.ALL, permissionType: AclPermissionTypes.ALLOW };
  await admin.createAcls({ acl: [acl] });
  const acls = await admin.describeAcls(acl);
  const removed = await admin.deleteAcls({ filters: [acl] });
  admin.on(admin.events.CONNECT, (e) => console.log(e.type));
  await admin.deleteTopics({ topics: ['topic-A'], timeout: 5000 });
  console.log(created, metadata.topics[0].partitions[0].leader, names, ends[0].high, at[0].offset, fetched[0].partitions[0].metadata, cluster.controller, groups[0].protocolType,
    described.groups[0].members, deleted[0].errorCode, configs.resources[0].configEntries[0].configValue, acls.resources[0].acls, removed.filterResponses[0].errorCode);
  await admin.disconnect();
}

export function handle(e: unknown): void {
  if (e instanceof KafkaJSNumberOfRetriesExceeded) console.log(e.retryCount, e.retryTime, e.cause?.message, e.retriable);
  else if (e instanceof KafkaJSOffsetOutOfRange) console.log(e.topic, e.partition, e.type);
  else if (e instanceof KafkaJSProtocolError) console.log(e.code, e.type, e.retriable);
  else if (e instanceof KafkaJSRequestTimeoutError) console.log(e.broker, e.pendingDuration);
  else if (e instanceof KafkaJSConnectionError) console.log(e.broker);
  else if (e instanceof KafkaJSServerDoesNotSupportApiKey) console.log(e.apiKey, e.apiName);
  else if (e instanceof KafkaJSDeleteGroupsError) console.log(e.groups.map((g) => g.groupId));
  else if (e instanceof KafkaJSNotImplemented || e instanceof KafkaJSNonRetriableError) console.log(e.message);
  else if (e instanceof KafkaJSAggregateError) console.log(e.errors.length);
  else if (e instanceof KafkaJSError) console.log(e.name, e.retriable, e.helpUrl, e.cause?.stack);
  const wrapped: KafkaJSError = new KafkaJSError(e instanceof Error ? e : String(e), { retriable: true });
  const nonRetriable: KafkaJSError = new KafkaJSNonRetriableError(wrapped);
  console.log(nonRetriable.retriable);
}

// The error classes constructed as kafkajs declares their constructors (a handler's own errors, a test's fakes).
export const made: Error[] = [
  new KafkaJSProtocolError('broker said no'), new KafkaJSProtocolError(new Error('broker said no')),
  new KafkaJSOffsetOutOfRange('out of range', { topic: 'topic-A', partition: 0 }),
  new KafkaJSNumberOfRetriesExceeded('gave up', { retryCount: 5, retryTime: 300 }), new KafkaJSNumberOfRetriesExceeded(new Error('gave up')),
  new KafkaJSConnectionError('refused', { broker: 'kafka1:9092' }),
  new KafkaJSRequestTimeoutError('timed out', { broker: 'kafka1:9092', clientId: 'my-app', correlationId: 1, createdAt: 0, sentAt: 0, pendingDuration: 30000 }),
  new KafkaJSServerDoesNotSupportApiKey('unsupported', { apiKey: 19, apiName: 'CreateTopics' }),
  new KafkaJSNotImplemented(), new KafkaJSMetadataNotLoaded(), new KafkaJSBrokerNotFound(), new KafkaJSSASLAuthenticationError(), new KafkaJSTimeout(),
  new KafkaJSDeleteGroupsError('not deleted', [{ groupId: 'test-group', errorCode: 68, error: new KafkaJSError('NON_EMPTY_GROUP') }]),
  new KafkaJSDeleteTopicRecordsError({ topic: 'topic-A', partitions: [{ partition: 0, offset: '10', error: new KafkaJSError('x') }] }),
  new KafkaJSAggregateError('several', [new Error('one'), 'two']),
];
`;

  // Our clients where code typed with kafkajs's own declarations expects kafkajs's (a library taking a kafkajs Producer, say).
  const ASSIGNMENT_PROGRAM = `
import type * as kafkajs from 'kafkajs';
import { Kafka } from 'KAFKAJS';

const kafka = new Kafka({ clientId: 'my-app', brokers: ['kafka1:9092'] });
const consumerConfig: kafkajs.ConsumerConfig = { groupId: 'test-group', partitionAssigners: [] };
export const producer: kafkajs.Producer = kafka.producer();
export const consumer: kafkajs.Consumer = kafka.consumer(consumerConfig);
export const admin: kafkajs.Admin = kafka.admin();
export const clients: Pick<kafkajs.Kafka, 'producer' | 'consumer' | 'admin' | 'logger'> = kafka;
`;

  /** The program's type errors, its import resolved to `target` (a path), or to the package's own subpath export (undefined). */
  function typeErrors(target: string | undefined, text = PROGRAM): string[] {
    const file = path.join(ROOT, 'test/.kafkajs-typed-program.ts');
    const source = target === undefined ? text.replace("from 'KAFKAJS'", "from 'rdkafka-napi/kafkajs'") : text;
    // Through the package: Node16 resolution reads package.json's exports (the built dist/ declarations).
    const resolution: ts.CompilerOptions =
      target === undefined
        ? { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 }
        : { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, baseUrl: ROOT, paths: { KAFKAJS: [target] } };
    const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, skipLibCheck: true, types: ['node'], ...resolution };
    const host = ts.createCompilerHost(options);
    const { getSourceFile, fileExists, readFile } = host;
    host.fileExists = (f) => f === file || fileExists(f);
    host.readFile = (f) => (f === file ? source : readFile(f));
    host.getSourceFile = (f, lang, ...rest) => (f === file ? ts.createSourceFile(f, source, lang) : getSourceFile(f, lang, ...rest));
    const program = ts.createProgram([file], options, host);
    return ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  }

  it("a program typed against kafkajs's declarations type-checks against rdkafka-napi/kafkajs unchanged", () => {
    expect(typeErrors('node_modules/kafkajs/types/index.d.ts')).toEqual([]); // it is a kafkajs program
    expect(typeErrors('lib/kafkajs/index.ts')).toEqual([]);
    expect(typeErrors(undefined)).toEqual([]); // import ... from 'rdkafka-napi/kafkajs', as an installed package is (needs npm run build:ts)
  }, 120_000);

  it("the consumer, admin and error side of a kafkajs-typed program (handlers, payloads, events, admin calls, error fields and constructors) type-checks against rdkafka-napi/kafkajs", () => {
    expect(typeErrors('node_modules/kafkajs/types/index.d.ts', CONSUMER_PROGRAM)).toEqual([]); // it is a kafkajs program
    expect(typeErrors('lib/kafkajs/index.ts', CONSUMER_PROGRAM)).toEqual([]);
    expect(typeErrors(undefined, CONSUMER_PROGRAM)).toEqual([]); // through the package's declarations (dist/)
  }, 120_000);

  it("our Producer, Consumer, Admin and Kafka are assignable to kafkajs's own types", () => {
    expect(typeErrors('lib/kafkajs/index.ts', ASSIGNMENT_PROGRAM)).toEqual([]);
    expect(typeErrors(undefined, ASSIGNMENT_PROGRAM)).toEqual([]);
  }, 120_000);

  it('the package exports rdkafka-napi/kafkajs to require() and import (one instance)', async () => {
    const script = [
      "const cjs = require('rdkafka-napi/kafkajs');",
      "import('rdkafka-napi/kafkajs').then((esm) => {",
      '  console.log(JSON.stringify({ same: esm.Kafka === cjs.Kafka && esm.default.Kafka === cjs.Kafka, kafka: typeof esm.Kafka, error: typeof esm.KafkaJSProtocolError, gzip: esm.CompressionTypes.GZIP }));',
      '});',
    ].join('\n');
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['-e', script], { cwd: ROOT }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout))),
    );
    expect(JSON.parse(out)).toEqual({ same: true, kafka: 'function', error: 'function', gzip: 1 });
  });
});

describe('producer events on a slowed broker', () => {
  it("REQUEST_TIMEOUT: a produce request librdkafka timed out is an event naming the broker and the API; the send then succeeds", async () => {
    // An embedded broker of its own: its round-trip time is what can be slowed on purpose.
    const mock = new MockCluster({ brokers: 1 });
    try {
      mock.createTopic('slow', 1);
      const producer = new Kafka({ brokers: [mock.bootstrapServers], requestTimeout: 1000, ...quiet }).producer();
      await producer.connect();
      // A producer in its steady state: its connection to the partition's leader is up (newer
      // librdkafka opens it on the first send, and that connection's ApiVersion would time out first).
      await producer.send({ topic: 'slow', messages: [{ value: 'first' }] });
      const events: RequestTimeoutEvent[] = [];
      producer.on(producer.events.REQUEST_TIMEOUT, (event) => {
        events.push(event);
        mock.setBrokerRtt(1, 0); // the retry goes through
      });
      mock.setBrokerRtt(1, 3000);
      const [metadata] = await producer.send({ topic: 'slow', messages: [{ value: 'slow' }] });
      await producer.disconnect();
      expect(metadata).toMatchObject({ topicName: 'slow', partition: 0, errorCode: 0 });
      expect(events.length).toBeGreaterThan(0);
      expect(events[0]).toMatchObject({ type: 'producer.network.request_timeout', payload: { apiName: 'Produce', apiKey: 0, broker: mock.bootstrapServers, clientId: 'kafkajs' } });
      expect(events[0].payload.pendingDuration).toBeGreaterThanOrEqual(1000);
    } finally {
      mock.close();
    }
  });
});

describe.each(testBrokers())('kafkajs producer ($name)', (broker) => {
  useBroker(broker);
  const kafka = () => new Kafka({ clientId: 'my-app', brokers: [broker.bootstrapServers], ...quiet });

  it("kafkajs's producing examples run unchanged: keys, a defined partition, headers, compression, sendBatch over three topics", async () => {
    const [topicName, topicA, topicB, topicC] = [uniqueTopic('topic-name'), uniqueTopic('topic-a'), uniqueTopic('topic-b'), uniqueTopic('topic-c')];
    for (const t of [topicName, topicA, topicB, topicC]) await broker.createTopic(t, 2);
    const producer = kafka().producer();
    await producer.connect();
    await producer.send({
      topic: topicName,
      messages: [
        { key: 'key1', value: 'hello world' },
        { key: 'key2', value: 'hey hey!' },
      ],
    });
    await producer.send({
      topic: topicName,
      messages: [
        { key: 'key1', value: 'hello world', partition: 0 },
        { key: 'key2', value: 'hey hey!', partition: 1 },
      ],
    });
    await producer.send({
      topic: topicName,
      messages: [
        {
          key: 'key1',
          value: 'hello world',
          headers: {
            'correlation-id': '2bfb68bb-893a-423b-a7fa-7b568cad5b67',
            'system-id': 'my-system',
          },
        },
      ],
    });
    await producer.send({
      topic: topicName,
      compression: CompressionTypes.GZIP,
      messages: [
        { key: 'key1', value: 'hello world' },
        { key: 'key2', value: 'hey hey!' },
      ],
    });
    const topicMessages = [
      { topic: topicA, messages: [{ key: 'key', value: 'hello topic-a' }] },
      { topic: topicB, messages: [{ key: 'key', value: 'hello topic-b' }] },
      { topic: topicC, messages: [{ key: 'key', value: 'hello topic-c', headers: { 'correlation-id': '2bfb68bb-893a-423b-a7fa-7b568cad5b67' } }] },
    ];
    await producer.sendBatch({ topicMessages });
    await producer.disconnect();

    const records = await readAll(broker, topicName, 2, 7);
    const seen = records.map((r) => `${r.partition}:${r.keyString()}=${r.value()}`).sort();
    const placed = (key: string) => Partitioners.DefaultPartitioner()({ topic: topicName, partitionMetadata: fakeMetadata(2), message: { key, value: null } });
    const [p1, p2] = [placed('key1'), placed('key2')];
    expect(seen).toEqual(
      [`${p1}:key1=hello world`, `${p2}:key2=hey hey!`, '0:key1=hello world', '1:key2=hey hey!', `${p1}:key1=hello world`, `${p1}:key1=hello world`, `${p2}:key2=hey hey!`].sort(),
    );
    const withHeaders = records.find((r) => r.headers.length > 0)!;
    expect(withHeaders.headers.map(([name, value]) => [name, value?.toString()])).toEqual([
      ['correlation-id', '2bfb68bb-893a-423b-a7fa-7b568cad5b67'],
      ['system-id', 'my-system'],
    ]);
    for (const [t, text] of [[topicA, 'hello topic-a'], [topicB, 'hello topic-b'], [topicC, 'hello topic-c']]) {
      expect((await readAll(broker, t, 2, 1)).map((r) => r.value())).toEqual([text]);
    }
  });

  it("send resolves with kafkajs's RecordMetadata: one entry per partition written, baseOffset its first message's offset", async () => {
    const topic = uniqueTopic('metadata');
    await broker.createTopic(topic, 2);
    const producer = kafka().producer();
    await producer.connect();
    const messages = [0, 0, 1, 0, 1].map((partition, i) => ({ value: `m${i}`, partition }));
    const first = await producer.send({ topic, messages });
    const second = await producer.send({ topic, messages });
    await producer.disconnect();
    const byPartition = (list: typeof first) => [...list].sort((a, b) => a.partition - b.partition);
    const entry = (partition: number, baseOffset: string) => ({ topicName: topic, partition, errorCode: 0, baseOffset, logAppendTime: '-1', logStartOffset: '-1' });
    expect(byPartition(first)).toEqual([entry(0, '0'), entry(1, '0')]);
    expect(byPartition(second)).toEqual([entry(0, '3'), entry(1, '2')]);
  });

  it("keys land on kafkajs's partitions: the default partitioner (in librdkafka), the legacy one, and a custom one with partitionMetadata", async () => {
    const partitions = 7;
    const keys = manyKeys(300).map((k) => k.toString()).filter((k) => k.length > 0);
    for (const name of ['DefaultPartitioner', 'LegacyPartitioner'] as const) {
      const topic = uniqueTopic(name);
      await broker.createTopic(topic, partitions);
      const producer = kafka().producer(name === 'LegacyPartitioner' ? { createPartitioner: Partitioners.LegacyPartitioner } : {});
      await producer.connect();
      await producer.send({ topic, messages: keys.map((key) => ({ key, value: key })) });
      await producer.disconnect();
      const reference = realKafkajs.Partitioners[name]();
      const expected = keys.map((key) => `${key}@${reference({ topic, partitionMetadata: fakeMetadata(partitions), message: { key, value: null } })}`).sort();
      const records = await readAll(broker, topic, partitions, keys.length);
      expect(records.map((r) => `${r.keyString()}@${r.partition}`).sort()).toEqual(expected);
    }

    const topic = uniqueTopic('custom');
    await broker.createTopic(topic, 3);
    const seen: Array<{ topic: string; partitions: number[]; leaders: boolean }> = [];
    const MyPartitioner = () => {
      return ({ topic: t, partitionMetadata, message }: { topic: string; partitionMetadata: PartitionMetadata[]; message: { value: Buffer | string | null } }) => {
        seen.push({ topic: t, partitions: partitionMetadata.map((p) => p.partitionId), leaders: partitionMetadata.every((p) => p.leader >= 0) });
        return message.value === 'last' ? partitionMetadata.length - 1 : 0;
      };
    };
    const producer = kafka().producer({ createPartitioner: MyPartitioner });
    await producer.connect();
    const result = await producer.send({ topic, messages: [{ value: 'first' }, { value: 'last' }] });
    await producer.disconnect();
    expect(seen).toEqual([{ topic, partitions: [0, 1, 2], leaders: true }, { topic, partitions: [0, 1, 2], leaders: true }]);
    expect(result.map((r) => r.partition).sort()).toEqual([0, 2]);
  });

  it('headers with arrays and Buffers, timestamps and null values reach the broker as given; acks: 0 resolves with []', async () => {
    const topic = uniqueTopic('fields');
    await broker.createTopic(topic, 1);
    const producer = kafka().producer();
    await producer.connect();
    // A minute ago: a timestamp older than the topic's retention (7 days) is deleted by the broker's next retention check.
    const timestamp = Date.now() - 60_000;
    await producer.send({ topic, messages: [{ key: Buffer.from([1, 2]), value: null, timestamp: String(timestamp), headers: { tag: ['a', Buffer.from('b')], one: 'x' } }] });
    expect(await producer.send({ topic, acks: 0, messages: [{ value: 'unacknowledged' }] })).toEqual([]);
    await producer.disconnect();
    const [first, second] = await readAll(broker, topic, 1, 2);
    expect(first.key).toEqual(Buffer.from([1, 2]));
    expect(first.payload).toBeNull();
    expect(first.timestamp).toBe(timestamp);
    expect(first.headers.map(([name, value]) => `${name}=${value?.toString()}`)).toEqual(['tag=a', 'tag=b', 'one=x']);
    expect(second.value()).toBe('unacknowledged');
  });

  it('one send mixing plain runs (keys and none) and a run with headers: one entry per partition, each baseOffset its first message', async () => {
    const topic = uniqueTopic('mixed-runs');
    await broker.createTopic(topic, 3);
    const producer = kafka().producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'before', partition: 1 }] });
    const messages: Message[] = [
      ...Array.from({ length: 3 }, (_, i) => ({ value: `p0-${i}`, partition: 0 })),
      ...Array.from({ length: 2 }, (_, i) => ({ key: `k${i}`, value: `p1-${i}`, partition: 1 })),
      { value: 'p2-h', partition: 2, headers: { h: 'x' } },
      { value: 'p2-plain', partition: 2 },
    ];
    const result = await producer.send({ topic, messages });
    await producer.disconnect();
    expect(result.sort((a, b) => a.partition - b.partition)).toEqual([0, 1, 2].map((partition) => ({ topicName: topic, partition, errorCode: 0, baseOffset: partition === 1 ? '1' : '0', logAppendTime: '-1', logStartOffset: '-1' })));
    const read = await readAll(broker, topic, 3, 8);
    const byPartition = [0, 1, 2].map((p) => read.filter((r) => r.partition === p).map((r) => `${r.keyString() ?? ''}:${r.value()}`));
    expect(byPartition).toEqual([[':p0-0', ':p0-1', ':p0-2'], [':before', 'k0:p1-0', 'k1:p1-1'], [':p2-h', ':p2-plain']]);
  });

  it("kafkajs's transaction example: a committed transaction is seen by read_committed and read_uncommitted readers, with its sendOffsets", async () => {
    const [topic, input] = [uniqueTopic('txn-out'), uniqueTopic('txn-in')];
    await broker.createTopic(topic, 1);
    await broker.createTopic(input, 1);
    const consumerGroupId = uniqueTopic('txn-group');
    const client = new Kafka({ clientId: 'transactional-client', brokers: [broker.bootstrapServers], ...quiet });
    const producer = client.producer({ transactionalId: uniqueTopic('my-transactional-producer'), maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const messages = [{ key: 'a', value: 'one' }, { key: 'b', value: 'two' }];
    const transaction = await producer.transaction();
    try {
      await transaction.send({ topic, messages });
      await transaction.sendOffsets({ consumerGroupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: '42' }] }] });
      await transaction.commit();
    } catch (e) {
      await transaction.abort();
      throw e;
    }
    expect(transaction.isActive()).toBe(false);
    expect((await rejection(transaction.send({ topic, messages }))).message).toBe('Cannot continue to use transaction once ended');
    await producer.disconnect();

    for (const isolation of ['read_committed', 'read_uncommitted']) expect((await readAll(broker, topic, 1, 2, isolation)).map((r) => r.value())).toEqual(['one', 'two']);
    // librdkafka 2.0.2's embedded broker answers TxnOffsetCommit without storing the offsets.
    if (broker.name === 'mock') return;
    const groupReader = new Consumer(consumerConfig(broker.bootstrapServers, consumerGroupId));
    groupReader.assign([{ topic: input, partition: 0 }]);
    try {
      expect(await groupReader.committed(input, 0, 30_000)).toBe(42);
    } finally {
      await groupReader.close();
    }
  }, 120_000); // on a fresh broker, the first group offsets wait for __consumer_offsets to be created

  it('disconnect() ends a transaction begun before connect(); after connecting again a new one commits', async () => {
    const topic = uniqueTopic('txn-reconnect');
    await broker.createTopic(topic, 1);
    const producer = kafka().producer({ transactionalId: uniqueTopic('reconnecting') });
    const early = await producer.transaction(); // kafkajs allows it before connect()
    await producer.disconnect();
    expect(early.isActive()).toBe(false);
    await producer.connect();
    const transaction = await producer.transaction();
    await transaction.send({ topic, messages: [{ value: 'after reconnecting' }] });
    await transaction.commit();
    await producer.disconnect();
    expect((await readAll(broker, topic, 1, 1)).map((r) => r.value())).toEqual(['after reconnecting']);
  });

  it.skipIf(broker.name === 'mock')("an aborted transaction's messages are hidden from read_committed readers and seen by read_uncommitted ones", async () => {
    // librdkafka 2.0.2's embedded broker writes no transaction markers: its readers see aborted records.
    const topic = uniqueTopic('txn-abort');
    await broker.createTopic(topic, 1);
    const producer = kafka().producer({ transactionalId: uniqueTopic('aborting'), idempotent: true });
    await producer.connect();
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ value: 'aborted' }] });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ value: 'committed' }] });
    await committed.commit();
    await producer.disconnect();
    expect((await readAll(broker, topic, 1, 1, 'read_committed')).map((r) => r.value())).toEqual(['committed']);
    expect((await readAll(broker, topic, 1, 2, 'read_uncommitted')).map((r) => r.value())).toEqual(['aborted', 'committed']);
  });

  it("bad input is kafkajs's error class with a message naming what was wrong", async () => {
    const producer = kafka().producer();
    expect(await rejection(producer.send({ topic: 't', messages: [{ value: 'v' }] }))).toMatchObject({ name: 'KafkaJSError', message: 'The producer is disconnected', retriable: true });
    await producer.connect();
    const refused = async (call: Promise<unknown>, pattern: RegExp, kind: abstract new (...args: never[]) => Error = KafkaJSNonRetriableError) => {
      const error = await rejection(call);
      expect(error).toBeInstanceOf(kind);
      expect(error.message).toMatch(pattern);
      return error;
    };
    const send = producer.send.bind(producer) as (record: unknown) => Promise<unknown>;
    await refused(send({ messages: [{ value: 'v' }] }), /Invalid topic/);
    await refused(send({ topic: 'ok', messages: 'not an array' }), /Invalid messages array \[not an array\] for topic "ok"/);
    await refused(send({ topic: 'ok', messages: [{ value: 42 }] }), /Invalid value of message 0 of topic "ok": expected a Buffer, string or null but received 42 of type number/);
    await refused(send({ topic: 'ok', messages: [{ key: 'k' }] }), /Invalid message without value for topic "ok"/);
    await refused(send({ topic: 'ok', messages: [{ value: 'v', headers: { h: 7 } }] }), /Invalid header "h"/);
    await refused(send({ topic: 'ok', messages: [{ value: 'v', timestamp: 'yesterday' }] }), /Invalid timestamp/);
    await refused(send({ topic: 'ok', messages: [{ value: 'v' }], compression: 9 }), /CompressionTypes/);
    const invalid = await refused(send({ topic: 'bad topic!', messages: [{ value: 'v' }] }), /not ' '/, KafkaJSProtocolError);
    expect(invalid).toMatchObject({ type: 'INVALID_TOPIC_EXCEPTION', retriable: false });
    await refused(send({ topic: 'ok', messages: [{ value: 'v', headers: { '': 'empty name' } }] }), /headers\[0\] name/);
    const tooLarge = await refused(send({ topic: 'ok', messages: [{ value: Buffer.alloc(2_000_000) }] }), /too large/i, KafkaJSProtocolError);
    expect(tooLarge).toMatchObject({ type: 'MESSAGE_TOO_LARGE', retriable: false });
    await refused(producer.transaction(), /Must provide transactional id/);
    expect(() => producer.on('producer.nope' as 'producer.connect', () => undefined)).toThrow(/Event name should be one of producer.events.CONNECT/);
    expect(() => kafka().producer({ idempotent: true, retry: { retries: 0 } })).toThrow(/Idempotent producer must allow retries/);
    // The Kafka config's retry counts too, as in kafkajs (which merges the two).
    const noRetries = { brokers: [broker.bootstrapServers], retry: { retries: 0 }, ...quiet };
    expect(() => new realKafkajs.Kafka(noRetries).producer({ idempotent: true })).toThrow(/Idempotent producer must allow retries/);
    expect(() => new Kafka(noRetries).producer({ idempotent: true })).toThrow(/Idempotent producer must allow retries/);
    expect(() => kafka().producer({ transactionalid: 'x' } as never)).toThrow(/Unknown producer option 'transactionalid'/);
    const idempotent = kafka().producer({ idempotent: true });
    await idempotent.connect();
    await refused(idempotent.send({ topic: 'ok', acks: 1, messages: [{ value: 'v' }] }), /invalidates the idempotent producer's EoS guarantees/);
    await idempotent.disconnect();
    await producer.disconnect();
  });

  it('events: CONNECT and DISCONNECT reach listeners with kafkajs\'s event shape; the remover stops them', async () => {
    const producer = kafka().producer();
    const seen: Array<{ type: string; payload: unknown; id: string; timestamp: number }> = [];
    producer.on(producer.events.CONNECT, (event) => seen.push(event as (typeof seen)[number]));
    const remove = producer.on(producer.events.DISCONNECT, (event) => seen.push(event as (typeof seen)[number]));
    await producer.connect();
    await producer.disconnect();
    remove();
    await producer.connect();
    await producer.disconnect();
    await new Promise((resolve) => setImmediate(resolve)); // listeners run on a later tick, as kafkajs's
    expect(seen.map((e) => e.type)).toEqual(['producer.connect', 'producer.disconnect', 'producer.connect']);
    expect(seen.every((e) => typeof e.id === 'string' && e.timestamp > 0 && e.payload === null)).toBe(true);
  });

  it.skipIf(broker.name === 'mock')("a send librdkafka gave up on is KafkaJSNumberOfRetriesExceeded, caused by the broker's error, as kafkajs's", async () => {
    // The embedded broker creates any topic asked for; the real one, as configured here, does not.
    const producer = new Kafka({ kafkaJS: { brokers: [broker.bootstrapServers], ...quiet } }).producer({ kafkaJS: { allowAutoTopicCreation: false }, 'topic.metadata.propagation.max.ms': 2000 });
    await producer.connect();
    const error = await rejection(producer.send({ topic: uniqueTopic('missing'), messages: [{ value: 'v' }] }));
    await producer.disconnect();
    expect(error).toMatchObject({ name: 'KafkaJSNumberOfRetriesExceeded', retriable: false });
    expect((error as KafkaJSError).cause).toMatchObject({ name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });
  });

  it("underneath: our Producer's sendOffsets takes a group id with the offsets (what transaction.sendOffsets uses), and refuses a group id without them", async () => {
    const [topic, input] = [uniqueTopic('offsets-out'), uniqueTopic('offsets-in')];
    await broker.createTopic(topic, 1);
    await broker.createTopic(input, 1);
    const group = uniqueTopic('offsets-group');
    const producer = new Producer({ 'bootstrap.servers': broker.bootstrapServers, 'transactional.id': uniqueTopic('offsets-txn') });
    try {
      await producer.initTransactions();
      producer.beginTransaction();
      await expect(producer.sendOffsets(group)).rejects.toThrow(/Expected the offsets to commit \(with a group id instead of a consumer\) for offsets but received undefined/);
      await producer.send({ topic, payload: 'out' });
      await producer.sendOffsets(group, [{ topic: input, partition: 0, offset: 7 }]);
      await producer.commitTransaction();
    } finally {
      await producer.close();
    }
    if (broker.name === 'mock') return; // librdkafka 2.0.2's embedded broker does not store transactional offsets
    const reader = new Consumer(consumerConfig(broker.bootstrapServers, group));
    reader.assign([{ topic: input, partition: 0 }]);
    try {
      expect(await reader.committed(input, 0, 30_000)).toBe(7);
    } finally {
      await reader.close();
    }
  }, 120_000); // on a fresh broker, the first group offsets wait for __consumer_offsets to be created

  it('maxInFlightRequests: 0 means no limit, as in kafkajs', async () => {
    const topic = uniqueTopic('in-flight');
    await broker.createTopic(topic, 1);
    const producer = kafka().producer({ maxInFlightRequests: 0 });
    await producer.connect();
    expect(await producer.send({ topic, messages: [{ value: 'v' }] })).toMatchObject([{ topicName: topic, partition: 0, baseOffset: '0' }]);
    await producer.disconnect();
  });

  it("a kafkajs producer lingers 1 ms, not librdkafka's default 5 ms (kafkajs sends at once), unless linger.ms is given at either level", async () => {
    // librdkafka's 'conf' debug lines list the properties it was given (linger.ms is queue.buffering.max.ms).
    const lingerOf = async (kafkaLevel: { [key: string]: unknown }, producerLevel: { [key: string]: unknown }): Promise<string[]> => {
      const lines: string[] = [];
      const logCreator = () => (entry: LogEntry) => void lines.push(entry.log.message);
      const debugKafka = new Kafka({ kafkaJS: { brokers: [broker.bootstrapServers], logLevel: logLevel.DEBUG, logCreator }, debug: 'conf', ...kafkaLevel });
      const producer = debugKafka.producer({ kafkaJS: {}, ...producerLevel });
      await producer.connect();
      await producer.disconnect();
      return lines.flatMap((line) => /queue\.buffering\.max\.ms = (\d+)/.exec(line)?.[1] ?? []);
    };
    expect(await lingerOf({}, {})).toEqual(['1']);
    expect(await lingerOf({ 'linger.ms': 7 }, {})).toEqual(['7']);
    expect(await lingerOf({}, { 'queue.buffering.max.ms': 0 })).toEqual(['0']);
  });

  it('brokers given as an async function are asked at connect()', async () => {
    const topic = uniqueTopic('brokers-fn');
    await broker.createTopic(topic, 1);
    let asked = 0;
    const producer = new Kafka({ brokers: async () => (asked++, [broker.bootstrapServers]), ...quiet }).producer();
    expect(asked).toBe(0);
    await producer.connect();
    expect(asked).toBe(1);
    await producer.send({ topic, messages: [{ value: 'via a function' }] });
    await producer.disconnect();
    expect((await readAll(broker, topic, 1, 1)).map((r) => r.value())).toEqual(['via a function']);
  });

  it("@confluentinc/kafka-javascript's shape: kafkaJS blocks, producer-level acks and compression, flush()", async () => {
    const topic = uniqueTopic('confluent');
    await broker.createTopic(topic, 1);
    const confluentKafka = new Kafka({ kafkaJS: { brokers: [broker.bootstrapServers], ...quiet }, 'linger.ms': 1 });
    const producer = confluentKafka.producer({ kafkaJS: { acks: 1, compression: CompressionTypes.GZIP }, 'linger.ms': 0 });
    await producer.connect();
    const sends = [producer.send({ topic, messages: [{ value: 'a' }] }), producer.send({ topic, messages: [{ value: 'b' }] })];
    await producer.flush({ timeout: 30_000 });
    expect((await Promise.all(sends)).map((r) => r[0].partition)).toEqual([0, 0]);
    await producer.disconnect();
    expect((await readAll(broker, topic, 1, 2)).map((r) => r.value())).toEqual(['a', 'b']);
  });
});
