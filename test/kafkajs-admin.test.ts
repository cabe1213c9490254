// The kafkajs facade's admin client: kafkajs's documented admin examples (kafka.js.org/docs/admin)
// run as written, except for the import, against the embedded broker and
// a real Kafka broker, with assertions on what they return; kafkajs's error classes for unknown
// topics, existing topics and bad arguments. What librdkafka 2.0.2's embedded broker cannot do
// (create or delete topics, configs, groups listings, records, ACLs) runs on the real broker, and
// on the embedded one the test checks that it says so (KafkaJSServerDoesNotSupportApiKey).
import { readFileSync } from 'node:fs';
import { AssignerProtocol } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer, Producer } from '../lib';
import { Kafka, logLevel } from '../lib/kafkajs';
import { KafkaJSAdmin, type AdminConfig } from '../lib/kafkajs/admin';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ConfigResourceTypes, ResourcePatternTypes } from '../lib/kafkajs/enums';
import {
  KafkaJSAggregateError,
  KafkaJSCreateTopicError,
  KafkaJSDeleteGroupsError,
  KafkaJSDeleteTopicRecordsError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNotImplemented,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSServerDoesNotSupportApiKey,
} from '../lib/kafkajs/errors';
import { testBrokers, useBroker } from './brokers';
import { consumeCount, consumerConfig, uniqueTopic } from './helpers';

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  const real = broker.name === 'kafka';
  let producer: Producer;
  let admin: KafkaJSAdmin;

  /** kafka.admin(config), from new Kafka({ brokers }) as kafkajs's docs make it. */
  function kafkaAdmin(config?: AdminConfig): KafkaJSAdmin {
    return new Kafka({ clientId: 'my-app', brokers: [broker.bootstrapServers], logLevel: logLevel.NOTHING }).admin(config);
  }

  beforeAll(async () => {
    producer = new Producer({ 'bootstrap.servers': broker.bootstrapServers });
    admin = kafkaAdmin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
    await producer.close();
  });

  /** Sends `count` messages to each listed partition. */
  async function fill(topic: string, partitions: number[], count: number): Promise<void> {
    await producer.sendBatch(partitions.flatMap((partition) => Array.from({ length: count }, (_, i) => ({ topic, partition, payload: `${partition}:${i}` }))));
  }

  /** On the embedded broker: the call rejects saying the embedded broker lacks the request. */
  async function refusedByEmbeddedBroker(call: Promise<unknown>, request: string): Promise<void> {
    const error = await call.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaJSServerDoesNotSupportApiKey);
    expect(error).toMatchObject({ retriable: false, message: expect.stringContaining(`embedded broker (librdkafka's mock cluster) does not support ${request}`) });
  }

  describe('connect, disconnect and events', () => {
    it('connect and disconnect emit admin.connect and admin.disconnect; the remover stops a listener', async () => {
      const a = kafkaAdmin();
      const seen: { type: string; payload: unknown }[] = [];
      a.on(a.events.CONNECT, (e) => void seen.push({ type: e.type, payload: e.payload }));
      const remove = a.on(a.events.DISCONNECT, (e) => void seen.push({ type: e.type, payload: e.payload }));
      // remember to connect and disconnect when you are done
      await a.connect();
      await a.disconnect();
      remove();
      await a.connect();
      await a.disconnect();
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toEqual([
        { type: 'admin.connect', payload: null },
        { type: 'admin.disconnect', payload: null },
        { type: 'admin.connect', payload: null },
      ]);
      expect(() => a.on('admin.nothing' as never, () => {})).toThrow(/Event name should be one of admin\.events\.CONNECT, admin\.events\.DISCONNECT/);
    });

    it('brokers given as an async function are asked when the admin first needs a broker, and its calls reach them', async () => {
      const topic = uniqueTopic('kjs-brokers-fn');
      await broker.createTopic(topic, 2);
      let asked = 0;
      const a = new Kafka({ brokers: async () => (asked++, [broker.bootstrapServers]), logLevel: logLevel.NOTHING }).admin();
      expect(asked).toBe(0);
      await a.connect();
      expect(asked).toBe(1);
      const { topics } = await a.fetchTopicMetadata({ topics: [topic] });
      expect(topics.map((t) => [t.name, t.partitions.length])).toEqual([[topic, 2]]);
      await a.disconnect();
    });
  });

  describe('topics', () => {
    it('listTopics lists a new topic', async () => {
      const topic = uniqueTopic('kjs-list');
      await broker.createTopic(topic, 1);
      const topics = await admin.listTopics();
      expect(topics).toContain(topic);
    });

    it('createTopics resolves true when it created the topic, false when it already exists (real broker; refused on the embedded one)', async () => {
      const topic = uniqueTopic('kjs-create');
      const request = {
        topics: [{ topic, numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      };
      if (!real) return refusedByEmbeddedBroker(admin.createTopics(request), 'CreateTopics');
      expect(await admin.createTopics(request)).toBe(true);
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(topics.map((t) => [t.name, t.partitions.length, t.partitions.every((p) => p.leader >= 0)])).toEqual([[topic, 3, true]]);
      expect(await admin.createTopics(request)).toBe(false);
    });

    it('createTopics: a topic Kafka refuses rejects with KafkaJSAggregateError of KafkaJSCreateTopicError, once the topic created beside it is listed; validateOnly creates nothing (real broker)', async () => {
      if (!real) return;
      const good = uniqueTopic('kjs-good');
      const bad = uniqueTopic('kjs-bad');
      const error = await admin
        .createTopics({ topics: [{ topic: good, numPartitions: 1 }, { topic: bad, numPartitions: 1, replicationFactor: 3 }] })
        .then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(KafkaJSAggregateError);
      const { errors } = error as KafkaJSAggregateError;
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(KafkaJSCreateTopicError);
      expect(errors[0]).toMatchObject({ topic: bad, type: 'INVALID_REPLICATION_FACTOR', code: 38, message: expect.stringContaining(bad) });
      expect(await admin.listTopics()).toContain(good);

      const checked = uniqueTopic('kjs-validate');
      expect(await admin.createTopics({ validateOnly: true, topics: [{ topic: checked, numPartitions: 2 }] })).toBe(true);
      expect(await admin.listTopics()).not.toContain(checked);
    });

    it('createTopics with replicaAssignment places each partition on the brokers given (real broker); a bad placement fails naming it', async () => {
      const topic = uniqueTopic('kjs-placed');
      const local = await admin
        .createTopics({ topics: [{ topic, replicationFactor: 1, replicaAssignment: [{ partition: 0, replicas: [1] }] }] })
        .then(() => undefined, (e: unknown) => e);
      expect(local).toBeInstanceOf(KafkaJSNonRetriableError);
      expect((local as Error).message).toMatch(/replication factor and a replica assignment are mutually exclusive/);
      await expect(admin.createTopics({ topics: [{ topic, replicaAssignment: [{ partition: 1, replicas: [1] }] }] })).rejects.toThrow(/Invalid replicaAssignment for topic ".*": .* \(partitions 0 to 0, each once\)/);
      const request = { topics: [{ topic, replicaAssignment: [{ partition: 1, replicas: [1] }, { partition: 0, replicas: [1] }] }] };
      if (!real) return refusedByEmbeddedBroker(admin.createTopics(request), 'CreateTopics');
      expect(await admin.createTopics(request)).toBe(true);
      expect((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.map((p) => [p.partitionId, p.replicas])).toEqual([[0, [1]], [1, [1]]]);
      const elsewhere = uniqueTopic('kjs-nowhere');
      const error = await admin.createTopics({ topics: [{ topic: elsewhere, replicaAssignment: [{ partition: 0, replicas: [7] }] }] }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(KafkaJSAggregateError);
      expect((error as KafkaJSAggregateError).errors[0]).toMatchObject({ topic: elsewhere, type: 'INVALID_REPLICA_ASSIGNMENT' });
    });

    it('deleteTopics removes the topic from listTopics; an unknown topic fails with UNKNOWN_TOPIC_OR_PARTITION once the retries are spent (real broker)', async () => {
      const topic = uniqueTopic('kjs-delete');
      await broker.createTopic(topic, 1);
      if (!real) return refusedByEmbeddedBroker(admin.deleteTopics({ topics: [topic] }), 'DeleteTopics');
      await admin.deleteTopics({ topics: [topic], timeout: 5000 });
      expect(await admin.listTopics()).not.toContain(topic);

      const once = kafkaAdmin({ retry: { retries: 1, initialRetryTime: 50 } });
      const error = await once.deleteTopics({ topics: [topic] }).then(() => undefined, (e: unknown) => e);
      await once.disconnect();
      expect(error).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded);
      expect(error).toMatchObject({ retriable: false, retryCount: 1, message: expect.stringContaining(topic) });
      expect((error as KafkaJSNumberOfRetriesExceeded).cause).toBeInstanceOf(KafkaJSProtocolError);
      expect((error as KafkaJSNumberOfRetriesExceeded).cause).toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3 });
    });

    it('createPartitions grows a topic from 2 to 5 partitions (real broker)', async () => {
      const topic = uniqueTopic('kjs-partitions');
      await broker.createTopic(topic, 2);
      const request = { topicPartitions: [{ topic, count: 5 }] };
      if (!real) return refusedByEmbeddedBroker(admin.createPartitions(request), 'CreatePartitions');
      await admin.createPartitions({ validateOnly: true, ...request });
      expect((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions).toHaveLength(2);
      await admin.createPartitions(request);
      expect((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.map((p) => p.partitionId)).toEqual([0, 1, 2, 3, 4]);
      // assignments: the brokers of each new partition.
      await admin.createPartitions({ topicPartitions: [{ topic, count: 7, assignments: [[1], [1]] }] });
      expect((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.map((p) => p.replicas)).toEqual([[1], [1], [1], [1], [1], [1], [1]]);
      await expect(admin.createPartitions({ topicPartitions: [{ topic, count: 8, assignments: [[]] }] })).rejects.toThrow(/Invalid assignments for topic/);
    });

    it("fetchTopicMetadata gives each partition's leader, replicas and ISR; every topic without arguments; an unknown topic is an error naming it", async () => {
      const topic = uniqueTopic('kjs-md');
      await broker.createTopic(topic, 2);
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(topics).toHaveLength(1);
      expect(topics[0].name).toBe(topic);
      expect(topics[0].partitions.map((p) => p.partitionId)).toEqual([0, 1]);
      for (const p of topics[0].partitions) {
        expect(p).toEqual({ partitionErrorCode: 0, partitionId: p.partitionId, leader: p.leader, replicas: expect.arrayContaining([p.leader]), isr: expect.arrayContaining([p.leader]) });
      }
      expect((await admin.fetchTopicMetadata()).topics.map((t) => t.name)).toContain(topic);

      const once = kafkaAdmin({ retry: { retries: 0 } });
      const missing = uniqueTopic('kjs-missing');
      const error = await once.fetchTopicMetadata({ topics: [missing] }).then(() => undefined, (e: unknown) => e);
      await once.disconnect();
      expect(error).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded);
      expect(error).toMatchObject({ message: expect.stringContaining(missing), cause: expect.objectContaining({ type: 'UNKNOWN_TOPIC_OR_PARTITION' }) });
      expect(await admin.listTopics()).not.toContain(missing); // asking did not create it
    });
  });

  describe('offsets', () => {
    it('fetchTopicOffsets gives offset, high and low of every partition as strings', async () => {
      const topic = uniqueTopic('kjs-offsets');
      await broker.createTopic(topic, 2);
      await fill(topic, [0], 7);
      expect(await admin.fetchTopicOffsets(topic)).toEqual([
        { partition: 0, offset: '7', high: '7', low: '0' },
        { partition: 1, offset: '0', high: '0', low: '0' },
      ]);
    });

    it('fetchTopicOffsetsByTimestamp finds the first message at or after the time, the end offset after the last (real broker)', async () => {
      const topic = uniqueTopic('kjs-bytime');
      await broker.createTopic(topic, 1);
      const base = Date.now() - 60_000;
      for (let i = 0; i < 5; i++) await producer.send({ topic, partition: 0, payload: `m${i}`, timestamp: base + i * 1000 });
      if (!real) return refusedByEmbeddedBroker(admin.fetchTopicOffsetsByTimestamp(topic, base), 'offsets for timestamps');
      expect(await admin.fetchTopicOffsetsByTimestamp(topic, base + 2500)).toEqual([{ partition: 0, offset: '3' }]);
      expect(await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() + 60_000)).toEqual([{ partition: 0, offset: '5' }]);
    });

    it("setOffsets, fetchOffsets and resetOffsets: the documented flow, and a consumer of the group starts where they were set", async () => {
      const topic = uniqueTopic('kjs-set');
      const groupId = uniqueTopic('kjs-group');
      await broker.createTopic(topic, 4);
      await fill(topic, [0, 1, 2, 3], 40);
      await admin.setOffsets({
        groupId,
        topic,
        partitions: [
          { partition: 0, offset: '35' },
          { partition: 3, offset: '19' },
        ],
      });
      expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toEqual([
        {
          topic,
          partitions: [
            { partition: 0, offset: '35', metadata: null },
            { partition: 1, offset: '-1', metadata: null },
            { partition: 2, offset: '-1', metadata: null },
            { partition: 3, offset: '19', metadata: null },
          ],
        },
      ]);
      // Omit topics: every topic with committed offsets.
      expect(await admin.fetchOffsets({ groupId })).toEqual([
        { topic, partitions: [{ partition: 0, offset: '35', metadata: null }, { partition: 3, offset: '19', metadata: null }] },
      ]);

      const consumer = new Consumer(consumerConfig(broker.bootstrapServers, groupId), undefined);
      try {
        consumer.assign([{ topic, partition: 0 }]);
        const records = await consumeCount(consumer, 5);
        expect(records.map((r) => r.offset)).toEqual([35, 36, 37, 38, 39]);
      } finally {
        await consumer.close();
      }

      await admin.resetOffsets({ groupId, topic, earliest: true });
      expect((await admin.fetchOffsets({ groupId, topics: [topic] }))[0].partitions.map((p) => p.offset)).toEqual(['0', '0', '0', '0']);
      await admin.resetOffsets({ groupId, topic }); // latest by default
      expect((await admin.fetchOffsets({ groupId, topics: [topic], resolveOffsets: true }))[0].partitions.map((p) => p.offset)).toEqual(['40', '40', '40', '40']);
    });

    it("fetchOffsets with resolveOffsets commits the end offset where the group had none (as kafkajs)", async () => {
      const topic = uniqueTopic('kjs-resolve');
      const groupId = uniqueTopic('kjs-group');
      await broker.createTopic(topic, 2);
      await fill(topic, [0, 1], 3);
      const resolved = await admin.fetchOffsets({ groupId, topics: [topic], resolveOffsets: true });
      expect(resolved[0].partitions.map((p) => p.offset)).toEqual(['3', '3']);
      expect((await admin.fetchOffsets({ groupId, topics: [topic] }))[0].partitions.map((p) => p.offset)).toEqual(['3', '3']);
    });

    it('reset offsets by timestamp: setOffsets with fetchTopicOffsetsByTimestamp (real broker)', async () => {
      if (!real) return;
      const topic = uniqueTopic('kjs-reset-time');
      const groupId = uniqueTopic('kjs-group');
      await broker.createTopic(topic, 1);
      const timestamp = Date.now() - 60_000;
      for (let i = 0; i < 4; i++) await producer.send({ topic, partition: 0, payload: `m${i}`, timestamp: timestamp + (i - 2) * 1000 });
      await admin.setOffsets({ groupId, topic, partitions: await admin.fetchTopicOffsetsByTimestamp(topic, timestamp) });
      expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toEqual([{ topic, partitions: [{ partition: 0, offset: '2', metadata: null }] }]);
    });

    it('setOffsets is refused while a member of the group consumes the topic (real broker: the group is described first)', async () => {
      if (!real) return;
      const topic = uniqueTopic('kjs-busy');
      const groupId = uniqueTopic('kjs-group');
      await broker.createTopic(topic, 1);
      await fill(topic, [0], 1);
      const consumer = new Consumer(consumerConfig(broker.bootstrapServers, groupId), [topic]);
      try {
        expect(await consumeCount(consumer, 1)).toHaveLength(1);
        const error = await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '0' }] }).then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(KafkaJSNonRetriableError);
        expect((error as Error).message).toBe('The consumer group must have no running instances, current state: Stable');
      } finally {
        await consumer.close();
      }
    });

    it('deleteTopicRecords deletes up to the offsets, -1 all; an unknown partition fails with KafkaJSDeleteTopicRecordsError (real broker)', async () => {
      const topic = uniqueTopic('kjs-records');
      await broker.createTopic(topic, 4);
      await fill(topic, [0, 3], 40);
      const request = {
        topic,
        partitions: [
          { partition: 0, offset: '30' }, // delete up to and including offset 29
          { partition: 3, offset: '-1' }, // delete all available records on this partition
        ],
      };
      if (!real) return refusedByEmbeddedBroker(admin.deleteTopicRecords(request), 'DeleteRecords');
      await admin.deleteTopicRecords(request);
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.map((o) => [o.partition, o.low, o.high])).toEqual([[0, '30', '40'], [1, '0', '0'], [2, '0', '0'], [3, '40', '40']]);

      const error = await admin.deleteTopicRecords({ topic, partitions: [{ partition: 9, offset: '1' }] }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(KafkaJSDeleteTopicRecordsError);
      expect((error as KafkaJSDeleteTopicRecordsError).partitions).toEqual([{ partition: 9, offset: '1', error: expect.objectContaining({ name: 'KafkaJSBrokerNotFound', message: expect.stringContaining('no partition 9') }) }]);
    });
  });

  describe('cluster and groups', () => {
    it('describeCluster gives the brokers, the controller and the cluster id', async () => {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.map((b) => b.nodeId).sort()).toEqual(real ? [1] : [1, 2, 3]);
      for (const b of cluster.brokers) expect(b).toEqual({ nodeId: b.nodeId, host: expect.any(String), port: expect.any(Number) });
      if (real) expect(cluster.controller).toBe(1);
      else expect(cluster.controller).toBeNull(); // the embedded broker has no controller among its brokers
      expect(cluster.clusterId.startsWith('mockCluster')).toBe(!real);
    });

    it("listGroups, describeGroups (the member's assignment decodes with kafkajs's AssignerProtocol) and deleteGroups (real broker)", async () => {
      const topic = uniqueTopic('kjs-groups');
      const groupId = uniqueTopic('kjs-group');
      await broker.createTopic(topic, 2);
      await fill(topic, [0, 1], 1);
      if (!real) {
        await refusedByEmbeddedBroker(admin.listGroups(), 'ListConsumerGroups');
        await refusedByEmbeddedBroker(admin.describeGroups([groupId]), 'DescribeConsumerGroups');
        return refusedByEmbeddedBroker(admin.deleteGroups([groupId]), 'DeleteGroups');
      }
      const consumer = new Consumer(consumerConfig(broker.bootstrapServers, groupId, { 'client.id': 'kjs-reader' }), [topic]);
      try {
        expect(await consumeCount(consumer, 2)).toHaveLength(2);
        await consumer.commit();
        const { groups: listed } = await admin.listGroups();
        expect(listed).toContainEqual({ groupId, protocolType: 'consumer' });

        const { groups } = await admin.describeGroups([groupId]);
        expect(groups).toHaveLength(1);
        const [group] = groups;
        expect(group).toMatchObject({ errorCode: 0, groupId, protocol: 'range', protocolType: 'consumer', state: 'Stable' });
        expect(group.members).toHaveLength(1);
        expect(group.members[0]).toMatchObject({ clientId: 'kjs-reader', clientHost: expect.stringContaining('127.0.0.1'), memberId: expect.stringContaining('kjs-reader') });
        expect(AssignerProtocol.MemberAssignment.decode(group.members[0].memberAssignment)).toEqual({ version: 0, assignment: { [topic]: [0, 1] }, userData: Buffer.alloc(0) });

        const busy = await admin.deleteGroups([groupId]).then(() => undefined, (e: unknown) => e);
        expect(busy).toBeInstanceOf(KafkaJSDeleteGroupsError);
        expect((busy as KafkaJSDeleteGroupsError).groups).toEqual([{ groupId, errorCode: 68, error: expect.objectContaining({ name: 'KafkaJSProtocolError', type: 'NON_EMPTY_GROUP' }) }]);
      } finally {
        await consumer.close();
      }
      expect(await admin.deleteGroups([groupId])).toEqual([{ groupId, errorCode: 0 }]);
      const unknown = uniqueTopic('kjs-nogroup');
      const error = await admin.deleteGroups([unknown]).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(KafkaJSDeleteGroupsError);
      expect(error).toMatchObject({ name: 'KafkaJSDeleteGroupsError', message: expect.stringContaining(unknown) });
      expect((error as KafkaJSDeleteGroupsError).groups).toEqual([{ groupId: unknown, errorCode: 69, error: expect.objectContaining({ type: 'GROUP_ID_NOT_FOUND' }) }]);
      expect((await admin.describeGroups([unknown])).groups).toEqual([{ errorCode: 0, groupId: unknown, members: [], protocol: '', protocolType: '', state: 'Dead' }]);
    });
  });

  describe('configs', () => {
    it('describeConfigs and alterConfigs with ConfigResourceTypes, as documented (real broker)', async () => {
      const topic = uniqueTopic('kjs-configs');
      await broker.createTopic(topic, 1);
      if (!real) return refusedByEmbeddedBroker(admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] }), 'DescribeConfigs');
      const all = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic,
          },
        ],
      });
      expect(all.resources).toHaveLength(1);
      expect(all.resources[0]).toMatchObject({ errorCode: 0, errorMessage: null, resourceName: topic, resourceType: 2 });
      expect(all.resources[0].configEntries.length).toBeGreaterThan(10);

      const cleanupPolicy = async () =>
        (await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }] })).resources[0].configEntries;
      expect(await cleanupPolicy()).toEqual([{ configName: 'cleanup.policy', configValue: 'delete', isDefault: true, configSource: 5, isSensitive: false, readOnly: false, configSynonyms: [] }]);

      const validated = await admin.alterConfigs({
        validateOnly: true,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      });
      expect(validated).toEqual({ resources: [{ errorCode: 0, errorMessage: null, resourceName: topic, resourceType: 2 }], throttleTime: 0 });
      expect((await cleanupPolicy())[0].configValue).toBe('delete');

      await admin.alterConfigs({
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic,
            configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
          },
        ],
      });
      // The broker applies the change from its metadata log a moment after answering: a user reading it back waits as well.
      await expect.poll(cleanupPolicy, { timeout: 15_000 }).toEqual([
        { configName: 'cleanup.policy', configValue: 'compact', isDefault: false, configSource: 1, isSensitive: false, readOnly: false, configSynonyms: [] },
      ]);

      // includeSynonyms: where else the value is set, the one in effect first (here the broker's default).
      const withSynonyms = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }] });
      expect(withSynonyms.resources[0].configEntries[0].configSynonyms).toEqual([
        { configName: 'cleanup.policy', configValue: 'compact', configSource: 1 },
        { configName: 'log.cleanup.policy', configValue: 'delete', configSource: 5 },
      ]);

      const broker1 = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configNames: ['log.retention.hours'] }] });
      expect(broker1.resources[0].configEntries).toEqual([expect.objectContaining({ configName: 'log.retention.hours', configValue: '168' })]);
    });

    it('a config resource librdkafka cannot describe fails with KafkaJSNotImplemented saying so', async () => {
      await expect(admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER_LOGGER, name: '1' }] })).rejects.toThrow(
        /BROKER_LOGGER: librdkafka has no broker-logger config resource/,
      );
    });
  });

  describe('ACLs', () => {
    const acl = [
      {
        resourceType: AclResourceTypes.TOPIC,
        resourceName: 'topic-name',
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: 'User:bob',
        host: '*',
        operation: AclOperationTypes.ALL,
        permissionType: AclPermissionTypes.DENY,
      },
      {
        resourceType: AclResourceTypes.TOPIC,
        resourceName: 'topic-name',
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: 'User:alice',
        host: '*',
        operation: AclOperationTypes.ALL,
        permissionType: AclPermissionTypes.ALLOW,
      },
    ];

    it('on a broker without an authorizer, createAcls and deleteAcls fail with KafkaJSProtocolError SECURITY_DISABLED (as the kafkajs docs say)', async () => {
      const filter = {
        resourceName: 'topic-name',
        resourceType: AclResourceTypes.TOPIC,
        host: '*',
        permissionType: AclPermissionTypes.ALLOW,
        operation: AclOperationTypes.ANY,
        resourcePatternType: ResourcePatternTypes.LITERAL,
      };
      if (!real) {
        await refusedByEmbeddedBroker(admin.createAcls({ acl }), 'CreateAcls');
        return;
      }
      for (const call of [() => admin.createAcls({ acl }), () => admin.deleteAcls({ filters: [filter] })]) {
        const error = await call().then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(KafkaJSProtocolError);
        expect(error).toMatchObject({ type: 'SECURITY_DISABLED', code: 54, retriable: false, message: expect.stringContaining('No Authorizer is configured') });
      }
      // librdkafka (2.0.2, and still 2.15.1) drops DescribeAcls' error code and answers with no
      // ACLs: describeAcls cannot tell a broker without an authorizer from one without ACLs.
      expect(await admin.describeAcls(filter)).toEqual({ throttleTime: 0, errorCode: 0, errorMessage: null, resources: [] });
    });

    it('bad ACL entries fail before anything is sent, naming the field', async () => {
      await expect(admin.createAcls({ acl: [] })).rejects.toThrow('Empty ACL array');
      await expect(admin.createAcls({ acl: [{ ...acl[0], operation: 99 as AclOperationTypes }] })).rejects.toThrow(/Invalid operation type 99/);
      await expect(admin.createAcls({ acl: [{ ...acl[0], permissionType: AclPermissionTypes.ANY }] })).rejects.toThrow(/Invalid permission type 1/);
      await expect(admin.createAcls({ acl: [{ ...acl[0], resourceType: AclResourceTypes.TRANSACTIONAL_ID }] })).rejects.toThrow(KafkaJSNotImplemented);
      await expect(admin.describeAcls({ ...acl[0], principal: 7 as unknown as string })).rejects.toThrow(/Invalid principal 7/);
    });
  });

  describe('resources', () => {
    it('deleteGroups of 300 groups runs a few requests at a time, not 300 threads at once', async () => {
      const threads = () => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
      await admin.describeCluster(); // the client's own threads are up
      const before = threads();
      let most = before;
      const sampler = setInterval(() => (most = Math.max(most, threads())), 1);
      const groupIds = Array.from({ length: 300 }, () => uniqueTopic('kjs-many'));
      try {
        const outcome = await admin.deleteGroups(groupIds).then(() => undefined, (e: unknown) => e);
        if (real) expect((outcome as KafkaJSDeleteGroupsError).groups).toHaveLength(300); // GROUP_ID_NOT_FOUND, each
        else expect(outcome).toBeInstanceOf(KafkaJSServerDoesNotSupportApiKey);
      } finally {
        clearInterval(sampler);
      }
      expect(most - before).toBeLessThanOrEqual(16);
    });
  });

  describe('bad arguments and what librdkafka lacks', () => {
    it('wrong types and illegal topic names fail with KafkaJSNonRetriableError naming what was wrong', async () => {
      const cases: [() => Promise<unknown>, RegExp][] = [
        [() => admin.createTopics({ topics: 'orders' as never }), /Invalid topics array 'orders' of type string/],
        [() => admin.createTopics({ topics: [{ topic: 'a b' }] }), /Invalid topic name 'a b' for topics\[0\]\.topic: a topic name may contain only ASCII letters, digits, '\.', '_' and '-', not ' '/],
        [() => admin.createTopics({ topics: [{ topic: 'dup' }, { topic: 'dup' }] }), /cannot have multiple entries for the same topic/],
        [() => admin.createTopics({ topics: [{ topic: 'cfg', configEntries: [{ name: 'retention.ms', value: 1000 as never }] }] }), /Entry 0 must have a valid "value" property/],
        [() => admin.fetchTopicOffsets(42 as never), /Invalid topic 42 of type number/],
        [() => admin.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: 'soon' }] }), /Invalid offset for partition 0: 'soon'/],
        [() => admin.fetchOffsets({ groupId: '', topics: ['t'] }), /Invalid groupId ''/],
        [() => admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 3 as never, name: 'g' }] }), /Invalid resource type 3/],
        [() => admin.deleteGroups('g' as never), /Invalid groupIds array 'g'/],
      ];
      for (const [call, message] of cases) {
        const error = await call().then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(KafkaJSNonRetriableError);
        expect(error).toBeInstanceOf(KafkaJSError);
        expect((error as Error).message).toMatch(message);
      }
    });

    it('partition reassignments fail with KafkaJSNotImplemented: no librdkafka has them', async () => {
      await expect(admin.listPartitionReassignments({})).rejects.toThrow(KafkaJSNotImplemented);
      await expect(admin.alterPartitionReassignments({ topics: [{ topic: 't', partitionAssignment: [{ partition: 0, replicas: [1] }] }] })).rejects.toThrow(
        /librdkafka \(2\.0\.2 here, and every version up to 2\.15\.1\) has no AlterPartitionReassignments/,
      );
    });
  });
});
