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

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])('consumeBatch gives every record its own headers (none, several, a null value) with %s compression', async (codec) => {
    const topic = uniqueTopic(`headers-${codec}`);
    await broker.createTopic(topic, 1);
    const producer = new Producer({ 'bootstrap.servers': broker.bootstrapServers, 'compression.codec': codec, 'linger.ms': 20 });
    const sent = Array.from({ length: COUNT }, (_, i) => message(i));
    await producer.sendBatch(sent.map((m) => ({ topic, ...m })));
    await producer.close();

    const consumer = new Consumer(consumerConfig(broker.bootstrapServers, uniqueTopic('g')), [topic]);
    const got: Record[] = [];
    // Each call is one native read of what is ready; a user loops the same way until done.
    while (got.length < COUNT) {
      const batch = await consumer.consumeBatch(COUNT, 30_000);
      expect(batch.length).toBeGreaterThan(0);
      got.push(...batch);
    }
    await consumer.close();
    expect(got.map((r) => r.offset)).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    for (const [i, record] of got.entries()) {
      expect({ i, payload: record.payload, key: record.keyString(), headers: record.headers }).toEqual({ i, ...sent[i] });
    }
  });
});
