// What newer librdkafka versions add, on both brokers: each test of a feature runs when the
// loaded librdkafka has it (`npm run test:librdkafka-latest`), and its twin checks that an older
// one (Debian's 2.0.2) refuses it with an error naming the version needed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, capi, Consumer, KafkaError, librdkafkaVersion, Producer, TopicPartitionList } from '../lib';
import { testBrokers, useBroker } from './brokers';
import { consumeCount, consumerConfig, uniqueTopic } from './helpers';

const NOT_IMPLEMENTED = -170;
const UNSUPPORTED_FEATURE = -165;
/** librdkafka 2.3.0 added ListOffsets, DescribeTopics and DescribeCluster. */
const hasListOffsets = librdkafkaVersion().hex >= 0x020300ff;
const hasDescribe = hasListOffsets;
/** librdkafka 2.6.0 added listing consumer groups by type (KIP-848). */
const hasGroupTypes = librdkafkaVersion().hex >= 0x020600ff;
/** librdkafka 2.6.0 added ElectLeaders (KIP-460). */
const hasElectLeaders = librdkafkaVersion().hex >= 0x020600ff;

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  let producer: Producer;
  let admin: Admin;
  beforeAll(() => {
    producer = new Producer({ 'bootstrap.servers': broker.bootstrapServers });
    admin = new Admin({ 'bootstrap.servers': broker.bootstrapServers });
  });
  afterAll(async () => {
    await producer.close();
    await admin.close();
  });

  describe('Admin.listOffsets (librdkafka >= 2.3.0)', () => {
    it.runIf(hasListOffsets)('finds the first and end offsets, and by timestamp (real broker) the first message at or after it and the one with the largest timestamp', async () => {
      const topic = uniqueTopic('lo');
      await broker.createTopic(topic, 2);
      const base = Date.now() - 60_000;
      // Timestamps out of order, so the largest is not the last message.
      const stamps = [0, 1000, 4000, 2000, 3000].map((d) => base + d);
      for (const [i, timestamp] of stamps.entries()) await producer.send({ topic, partition: 0, payload: `m${i}`, timestamp });

      const latest = await admin.listOffsets([{ topic, partition: 1, offset: 'latest' }, { topic, partition: 0, offset: 'latest' }]);
      expect(latest.map(({ partition, offset }) => ({ partition, offset }))).toEqual([{ partition: 0, offset: 5 }, { partition: 1, offset: 0 }]);
      const earliest = await admin.listOffsets([{ topic, partition: 0, offset: 'earliest' }]);
      expect(earliest.map(({ partition, offset }) => ({ partition, offset }))).toEqual([{ partition: 0, offset: 0 }]);

      const byTime = (offset: 'max-timestamp' | { timestamp: number }) => admin.listOffsets([{ topic, partition: 0, offset }]);
      if (broker.name === 'kafka') {
        expect(await byTime({ timestamp: base + 1500 })).toEqual([{ topic, partition: 0, offset: 2, timestamp: base + 4000 }]);
        expect(await byTime({ timestamp: base })).toEqual([{ topic, partition: 0, offset: 0, timestamp: base }]);
        expect((await byTime({ timestamp: Date.now() + 60_000 }))[0].offset).toBe(-1);
        expect(await byTime('max-timestamp')).toEqual([{ topic, partition: 0, offset: 2, timestamp: base + 4000 }]);
      } else {
        // The embedded broker answers every timestamp with -1: refused, saying so.
        await expect(byTime({ timestamp: base })).rejects.toMatchObject({ code: UNSUPPORTED_FEATURE, message: expect.stringContaining('embedded broker') });
        await expect(byTime('max-timestamp')).rejects.toMatchObject({ code: UNSUPPORTED_FEATURE });
      }
    });

    it.runIf(hasListOffsets)('a partition that does not exist is an error naming it', async () => {
      const topic = uniqueTopic('lo-missing');
      await broker.createTopic(topic, 1);
      await expect(admin.listOffsets([{ topic, partition: 7, offset: 'latest' }])).rejects.toThrow(`${topic} [7]`);
    });

    it.runIf(!hasListOffsets)(`on librdkafka ${librdkafkaVersion().text} it is refused with an error naming librdkafka 2.3.0`, async () => {
      const topic = uniqueTopic('lo-old');
      await broker.createTopic(topic, 1);
      const error = await admin.listOffsets([{ topic, partition: 0, offset: 'latest' }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KafkaError);
      expect(error).toMatchObject({ code: NOT_IMPLEMENTED, message: expect.stringContaining('needs librdkafka 2.3.0 or newer') });
    });

    it('a wrong offset spec or isolation level is a TypeError naming it, on every version', async () => {
      const topic = uniqueTopic('lo-bad');
      await expect(admin.listOffsets([{ topic, partition: 0, offset: 'newest' as 'latest' }])).rejects.toThrow(/partitions\[0\]\.offset/);
      await expect(admin.listOffsets([{ topic, partition: 0, offset: { timestamp: -5 } }])).rejects.toThrow(/partitions\[0\]\.offset\.timestamp/);
      await expect(admin.listOffsets([{ topic, partition: 0, offset: 'latest' }], { isolationLevel: 'committed' as 'read_committed' })).rejects.toThrow(/options\.isolationLevel/);
      // The C-style function checks its list's offsets itself.
      const list = new TopicPartitionList();
      try {
        list.add(topic, 0).setOffset(topic, 0, -7);
        expect(() => capi.ListOffsets(admin.handle, list.handle)).toThrow(/list\[0\]\.offset/);
      } finally {
        list.destroy();
      }
    });
  });

  describe('Admin.describeCluster and describeTopics (librdkafka >= 2.3.0)', () => {
    it.runIf(hasDescribe && broker.name === 'mock')('the embedded broker, which has no controller, refuses both at once, saying so', async () => {
      await expect(admin.describeCluster()).rejects.toMatchObject({ code: UNSUPPORTED_FEATURE, message: expect.stringContaining('embedded broker') });
      await expect(admin.describeTopics(['t'])).rejects.toMatchObject({ code: UNSUPPORTED_FEATURE, message: expect.stringContaining('embedded broker') });
    });

    it.runIf(hasDescribe && broker.name === 'kafka')('describeCluster names the cluster, its controller and every broker, as metadata does', async () => {
      const md = await admin.metadata();
      const cluster = await admin.describeCluster();
      expect(cluster.clusterId).toBe(md.clusterId);
      expect(cluster.brokers).toEqual([...md.brokers].sort((a, b) => a.id - b.id));
      expect(cluster.brokers.map((b) => b.id)).toEqual(broker.name === 'mock' ? [1, 2, 3] : [1]);
      expect(cluster.controller).toEqual(cluster.brokers.find((b) => b.id === md.controllerId));
    });

    it.runIf(hasDescribe && broker.name === 'kafka')('describeTopics gives each partition of a 3-partition topic with its leader among replicas and ISR; a missing topic is an error naming it', async () => {
      const topic = uniqueTopic('dt');
      await broker.createTopic(topic, 3);
      const [description] = await admin.describeTopics([topic]);
      expect(description).toMatchObject({ name: topic, internal: false });
      expect(description.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
      for (const p of description.partitions) {
        expect(p.replicas).toContain(p.leader);
        expect(p.isr).toContain(p.leader);
      }
      const missing = uniqueTopic('dt-missing');
      await expect(admin.describeTopics([missing])).rejects.toMatchObject({ code: 3, message: expect.stringContaining(missing) });
    });

    it.runIf(!hasDescribe)(`on librdkafka ${librdkafkaVersion().text} both are refused with an error naming librdkafka 2.3.0`, async () => {
      await expect(admin.describeCluster()).rejects.toMatchObject({ code: NOT_IMPLEMENTED, message: expect.stringContaining('DescribeCluster needs librdkafka 2.3.0 or newer') });
      await expect(admin.describeTopics(['t'])).rejects.toMatchObject({ code: NOT_IMPLEMENTED, message: expect.stringContaining('DescribeTopics needs librdkafka 2.3.0 or newer') });
    });

    it('describeTopics refuses an empty list or an illegal topic name, naming it, on every version', async () => {
      await expect(admin.describeTopics([])).rejects.toThrow(/names/);
      await expect(admin.describeTopics(['ok', 'bad name!'])).rejects.toThrow(/names\[1\]/);
    });
  });

  describe('Admin.listGroupsByType (librdkafka >= 2.6.0)', () => {
    it.runIf(hasGroupTypes && broker.name === 'kafka')("a group of classic consumers is listed among the 'classic' groups with its type, and not among the 'consumer' ones", async () => {
      const topic = uniqueTopic('gt');
      await broker.createTopic(topic, 1);
      await producer.send({ topic, partition: 0, payload: 'x' });
      const group = uniqueTopic('g');
      const consumer = new Consumer(consumerConfig(broker.bootstrapServers, group), [topic]);
      try {
        expect(await consumeCount(consumer, 1)).toHaveLength(1);
        expect((await admin.listGroupsByType(['classic'])).find((g) => g.groupId === group)).toEqual({ groupId: group, simple: false, state: 'Stable', type: 'classic' });
        expect((await admin.listGroupsByType(['consumer'])).map((g) => g.groupId)).not.toContain(group);
      } finally {
        await consumer.close();
      }
    });

    it.runIf(hasGroupTypes && broker.name === 'mock')('the embedded broker refuses it, saying so', async () => {
      await expect(admin.listGroupsByType(['classic'])).rejects.toMatchObject({ code: UNSUPPORTED_FEATURE, message: expect.stringContaining('embedded broker') });
    });

    it.runIf(!hasGroupTypes)(`on librdkafka ${librdkafkaVersion().text} it is refused with an error naming librdkafka 2.6.0`, async () => {
      await expect(admin.listGroupsByType(['classic'])).rejects.toMatchObject({ code: NOT_IMPLEMENTED, message: expect.stringContaining('needs librdkafka 2.6.0 or newer') });
    });

    it('an unknown or missing group type is a TypeError naming it, on every version', async () => {
      await expect(admin.listGroupsByType([])).rejects.toThrow(/types/);
      await expect(admin.listGroupsByType(['classic', 'modern' as 'consumer'])).rejects.toThrow(/types\[1\]/);
      expect(() => capi.ListConsumerGroupsByType(admin.handle, ['old' as 'classic'])).toThrow(/types\[0\]/);
    });
  });

  describe('Admin.electLeaders (librdkafka >= 2.6.0)', () => {
    it.runIf(hasElectLeaders && broker.name === 'kafka')("a partition whose only replica leads needs no election: elected false; a partition that does not exist is an error naming it", async () => {
      const topic = uniqueTopic('el');
      await broker.createTopic(topic, 1);
      expect(await admin.electLeaders('preferred', [{ topic, partition: 0 }])).toEqual([{ topic, partition: 0, elected: false }]);
      expect(await admin.electLeaders('unclean', [{ topic, partition: 0 }])).toEqual([{ topic, partition: 0, elected: false }]);
      await expect(admin.electLeaders('preferred', [{ topic, partition: 5 }])).rejects.toThrow(`${topic} [5]`);
    });

    it.runIf(hasElectLeaders && broker.name === 'mock')('the embedded broker, which has no controller, refuses it, saying so', async () => {
      await expect(admin.electLeaders('preferred')).rejects.toMatchObject({ code: UNSUPPORTED_FEATURE, message: expect.stringContaining('embedded broker') });
    });

    it.runIf(!hasElectLeaders)(`on librdkafka ${librdkafkaVersion().text} it is refused with an error naming librdkafka 2.6.0`, async () => {
      const error = await admin.electLeaders('preferred', [{ topic: 't', partition: 0 }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KafkaError);
      expect(error).toMatchObject({ code: NOT_IMPLEMENTED, message: expect.stringContaining('ElectLeaders needs librdkafka 2.6.0 or newer') });
      await expect(admin.electLeaders('unclean')).rejects.toMatchObject({ code: NOT_IMPLEMENTED });
    });

    it('a wrong election type or partition is a TypeError naming it, on every version', async () => {
      await expect(admin.electLeaders('fair' as 'preferred')).rejects.toThrow(/\btype\b/);
      await expect(admin.electLeaders('preferred', [])).rejects.toThrow(/partitions/);
      await expect(admin.electLeaders('preferred', [{ topic: 't', partition: -1 }])).rejects.toThrow(/partitions\[0\]\.partition/);
      expect(() => capi.ElectLeaders(admin.handle, 2 as 0, null)).toThrow(/electionType/);
    });
  });
});
