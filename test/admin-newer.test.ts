// What newer librdkafka versions add, on both brokers: each test of a feature runs when the
// loaded librdkafka has it (`npm run test:librdkafka-latest`), and its twin checks that an older
// one (Debian's 2.0.2) refuses it with an error naming the version needed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, capi, KafkaError, librdkafkaVersion, Producer, TopicPartitionList } from '../lib';
import { testBrokers, useBroker } from './brokers';
import { uniqueTopic } from './helpers';

const NOT_IMPLEMENTED = -170;
const UNSUPPORTED_FEATURE = -165;
/** librdkafka 2.3.0 added ListOffsets, DescribeTopics and DescribeCluster. */
const hasListOffsets = librdkafkaVersion().hex >= 0x020300ff;

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
});
