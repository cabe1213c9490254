// Admin's requests that change a group or a topic from outside: alterGroupOffsets, replica
// placement in createTopics and createPartitions, validateOnly, and the synonyms describeConfigs
// gives. Both brokers; what the embedded broker lacks runs on the real one (and is refused there).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Consumer, KafkaError, Producer } from '../lib';
import { testBrokers, useBroker } from './brokers';
import { consumeCount, consumerConfig, uniqueTopic } from './helpers';

const UNSUPPORTED_FEATURE = -165;

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  const real = broker.name === 'kafka';
  let admin: Admin;
  let producer: Producer;
  beforeAll(() => {
    admin = new Admin({ 'bootstrap.servers': broker.bootstrapServers });
    producer = new Producer({ 'bootstrap.servers': broker.bootstrapServers });
  });
  afterAll(async () => {
    await producer.close();
    await admin.close();
  });

  it("alterGroupOffsets commits a group's offsets from outside it; a consumer of the group starts there", async () => {
    const topic = uniqueTopic('alter');
    const groupId = uniqueTopic('alter-group');
    await broker.createTopic(topic, 2);
    await producer.sendBatch(Array.from({ length: 10 }, (_, i) => ({ topic, partition: 0, payload: `m${i}` })));
    await admin.alterGroupOffsets(groupId, [{ topic, partition: 0, offset: 7 }, { topic, partition: 1, offset: 0 }]);
    expect(await admin.groupOffsets(groupId, [{ topic, partition: 0 }, { topic, partition: 1 }])).toEqual([
      { topic, partition: 0, offset: 7 },
      { topic, partition: 1, offset: 0 },
    ]);
    const consumer = new Consumer(consumerConfig(broker.bootstrapServers, groupId), [topic]);
    try {
      expect((await consumeCount(consumer, 3)).map((r) => r.value())).toEqual(['m7', 'm8', 'm9']);
    } finally {
      await consumer.close();
    }
    await expect(admin.alterGroupOffsets(groupId, [{ topic, partition: 0, offset: -1 }])).rejects.toThrow(/Expected an integer between 0 and \d+ for offsets\[0\]\.offset but received -1/);
  });

  it('alterGroupOffsets is refused while a member of the group consumes the topic (real broker)', async () => {
    if (!real) return;
    const topic = uniqueTopic('alter-busy');
    const groupId = uniqueTopic('alter-group');
    await broker.createTopic(topic, 1);
    await producer.send({ topic, payload: 'x' });
    const consumer = new Consumer(consumerConfig(broker.bootstrapServers, groupId), [topic]);
    try {
      expect(await consumeCount(consumer, 1)).toHaveLength(1);
      const error = await admin.alterGroupOffsets(groupId, [{ topic, partition: 0, offset: 0 }]).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(KafkaError);
      expect(error).toMatchObject({ code: 25, message: expect.stringContaining(`${topic} [0]`) }); // UNKNOWN_MEMBER_ID
    } finally {
      await consumer.close();
    }
  });

  it('createTopics places replicas with replicaAssignment, createPartitions with assignments; validateOnly changes nothing (real broker)', async () => {
    const topic = uniqueTopic('placed');
    const conflicting = admin.createTopics({ name: topic, replicationFactor: 1, replicaAssignment: [[1]] });
    await expect(conflicting).rejects.toMatchObject({ code: -186, message: expect.stringContaining('replication factor and a replica assignment are mutually exclusive') });
    if (!real) {
      await expect(admin.createTopics({ name: topic, replicaAssignment: [[1], [1]] })).rejects.toMatchObject({ code: UNSUPPORTED_FEATURE });
      return;
    }
    await admin.createTopics({ name: topic, replicaAssignment: [[1], [1]] });
    const partitions = async () => (await admin.metadata({ topics: [topic] })).topics[0].partitions.map((p) => p.replicas);
    expect(await partitions()).toEqual([[1], [1]]);
    await admin.createPartitions(topic, 4, { validateOnly: true });
    expect(await partitions()).toHaveLength(2);
    await admin.createPartitions(topic, 4, { assignments: [[1], [1]] });
    expect(await partitions()).toEqual([[1], [1], [1], [1]]);
    await expect(admin.createPartitions(topic, 5, { assignments: [[9]] })).rejects.toMatchObject({ code: 39 }); // INVALID_REPLICA_ASSIGNMENT
  });

  it("alterConfigs with validateOnly changes nothing; describeConfigs lists each entry's synonyms (real broker)", async () => {
    const topic = uniqueTopic('synonyms');
    await broker.createTopic(topic, 1);
    if (!real) {
      await expect(admin.alterConfigs('topic', topic, { 'cleanup.policy': 'compact' }, { validateOnly: true })).rejects.toMatchObject({ code: UNSUPPORTED_FEATURE });
      return;
    }
    await admin.alterConfigs('topic', topic, { 'cleanup.policy': 'compact' }, { validateOnly: true });
    const policy = async () => (await admin.describeConfigs('topic', topic)).find((e) => e.name === 'cleanup.policy');
    expect(await policy()).toMatchObject({ value: 'delete', source: 'default', synonyms: [{ name: 'log.cleanup.policy', value: 'delete', source: 'default' }] });
    await admin.alterConfigs('topic', topic, { 'cleanup.policy': 'compact' });
    // The broker applies the change from its metadata log a moment after answering: a user reading it back waits as well.
    await expect.poll(async () => (await policy())?.synonyms, { timeout: 15_000 }).toEqual([
      { name: 'cleanup.policy', value: 'compact', source: 'dynamic-topic' },
      { name: 'log.cleanup.policy', value: 'delete', source: 'default' },
    ]);
  });
});
