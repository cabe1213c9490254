// Headers through the batch read (ConsumeBatchPacked), which finds the messages without headers
// by the byte after their value instead of asking librdkafka: every compression codec, and
// values that are null, empty or end in a zero byte, next to messages with and without headers.
import { describe, expect, it } from 'vitest';
import { Consumer, Producer, type HeaderTuple, type Record } from '../lib';
import { testBrokers, useBroker } from './brokers';
import { consumerConfig, uniqueTopic } from './helpers';

const COUNT = 400;

/** Message i's value, key and headers: the kinds take turns so that neighbours differ. */
function message(i: number): { payload: Buffer | null; key: string | null; headers: HeaderTuple[] } {
  const kind = i % 8;
  const payload =
    kind === 2 || kind === 3 ? null : kind === 4 || kind === 5 ? Buffer.alloc(0) : kind === 6 ? Buffer.from([1, 2, 0]) : Buffer.from(`value ${i}`);
  const headers: HeaderTuple[] =
    kind % 2 === 0 ? [] : kind === 7 ? [['h', Buffer.from(`a${i}`)], ['h', Buffer.alloc(0)], ['n', null]] : [['only', Buffer.from(`${i}`)]];
  return { payload, key: i % 3 === 0 ? null : `k${i}`, headers };
}

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);

  it(`consumeBatch gives every record its own headers (none, several, a null value) with each compression codec (${CODECS.join(', ')})`, async () => {
    const sent = Array.from({ length: COUNT }, (_, i) => message(i));
    const topics: string[] = [];
    for (const codec of CODECS) {
      const topic = uniqueTopic(`headers-${codec}`);
      topics.push(topic);
      await broker.createTopic(topic, 1);
      const producer = new Producer({ 'bootstrap.servers': broker.bootstrapServers, 'compression.codec': codec, 'linger.ms': 20 });
      await producer.sendBatch(sent.map((m) => ({ topic, ...m })));
      await producer.close();
    }

    const consumer = new Consumer(consumerConfig(broker.bootstrapServers, uniqueTopic('g')), topics);
    const got: Record[] = [];
    // Each call is one native read of what is ready (records of several topics); a user loops the same way until done.
    while (got.length < COUNT * CODECS.length) {
      const batch = await consumer.consumeBatch(COUNT * CODECS.length, 30_000);
      expect(batch.length).toBeGreaterThan(0);
      got.push(...batch);
    }
    await consumer.close();
    for (const [c, topic] of topics.entries()) {
      const mine = got.filter((r) => r.topic === topic);
      expect(mine.map((r) => r.offset)).toEqual(Array.from({ length: COUNT }, (_, i) => i));
      for (const [i, record] of mine.entries()) {
        expect({ codec: CODECS[c], i, payload: record.payload, key: record.keyString(), headers: record.headers }).toEqual({ codec: CODECS[c], i, ...sent[i] });
      }
    }
  });
});
