// Producer.sendColumns: sendBatch of one topic's bytes given as columns, delivered as typed arrays
// (the kafkajs facade's send path). What is read back, keys' placement, waiting for room, refusals.
import { describe, expect, it } from 'vitest';
import { Consumer, KafkaError, Producer } from '../lib';
import { testBrokers, useBroker } from './brokers';
import { consumeCount, consumerConfig, uniqueTopic } from './helpers';

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);

  function producer(extra: { [key: string]: string | number | boolean } = {}): Producer {
    return new Producer({ 'bootstrap.servers': broker.bootstrapServers, ...extra });
  }

  it('delivers every record once, in order, and resolves with each one partition and offset', async () => {
    const topic = uniqueTopic('columns');
    await broker.createTopic(topic, 2);
    // A queue of 100: most of the 3,000 records wait for room, and nothing is lost.
    const p = producer({ 'queue.buffering.max.messages': 100, 'enable.idempotence': true });
    const payloads = Array.from({ length: 3000 }, (_, i) => (i % 2 === 0 ? `m${i}` : Buffer.from(`m${i}`)));
    const [first, second] = await Promise.all([p.sendColumns(topic, 1, payloads), p.sendColumns(topic, 1, ['after'])]);
    expect(first.partitions).toEqual(new Int32Array(3000).fill(1));
    expect(first.offsets).toEqual(Float64Array.from({ length: 3000 }, (_, i) => i));
    expect(second).toEqual({ partitions: Int32Array.of(1), offsets: Float64Array.of(3000) });
    await p.close();
    const consumer = new Consumer(consumerConfig(broker.bootstrapServers, uniqueTopic('columns-group')));
    consumer.assign([{ topic, partition: 1, offset: 0 }]);
    const read = await consumeCount(consumer, 3001);
    expect(read.map((r) => r.value()?.toString())).toEqual([...payloads.map(String), 'after']);
    await consumer.close();
  });

  it('partition -1 places records by key, as sendBatch does', async () => {
    const topic = uniqueTopic('columns-keys');
    await broker.createTopic(topic, 4);
    const p = producer({ partitioner: 'murmur2_random' });
    const keys = Array.from({ length: 40 }, (_, i) => `k${i % 10}`);
    const columns = await p.sendColumns(topic, -1, keys.map((k) => `v-${k}`), keys);
    const records = await p.sendBatch(keys.map((key) => ({ topic, payload: 'again', key })));
    expect([...columns.partitions]).toEqual(records.map((r) => r.partition));
    expect(new Set(columns.partitions).size).toBeGreaterThan(1);
    await p.close();
  });

  it('bad arguments reject with a TypeError naming them, before anything is queued', async () => {
    const p = producer();
    const topic = uniqueTopic('columns-bad');
    await expect(p.sendColumns(topic, 0, ['fine', 42 as unknown as string])).rejects.toThrow(/payloads\[1\].*42/);
    await expect(p.sendColumns(topic, 0, ['a', 'b'], ['k', {} as unknown as string])).rejects.toThrow(/keys\[1\]/);
    await expect(p.sendColumns(topic, 0, ['a', 'b'], ['k'])).rejects.toThrow(TypeError);
    await expect(p.sendColumns(topic, 0, 'a' as unknown as string[])).rejects.toThrow(/payloads/);
    await expect(p.sendColumns(42 as unknown as string, 0, ['a'])).rejects.toThrow(/topic/);
    expect(await p.sendColumns(topic, 0, [])).toEqual({ partitions: new Int32Array(0), offsets: new Float64Array(0) });
    await p.close();
  });

  it('a record that cannot be delivered rejects the call with its KafkaError', async () => {
    const topic = uniqueTopic('columns-fail');
    await broker.createTopic(topic, 1);
    const p = producer();
    const error = await p.sendColumns(topic, 7, ['nowhere']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaError);
    expect((error as KafkaError).codeName).toBe('ERR__UNKNOWN_PARTITION');
    await p.close();
    await expect(p.sendColumns(topic, 0, ['closed'])).rejects.toMatchObject({ codeName: 'ERR__STATE' });
  });
});
