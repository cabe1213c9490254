// Sends that wait for room in a full librdkafka queue are part of what flush() and close() wait
// for: none of them is dropped by a close that follows at once; sendQueued() says when each one
// leaves the wait. Both brokers.
import { describe, expect, it } from 'vitest';
import { Admin, KafkaError, Producer } from '../lib';
import { testBrokers, useBroker } from './brokers';
import { uniqueTopic } from './helpers';

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);

  it('close() right after sends that waited for room in a full queue delivers every one of them', async () => {
    const topic = uniqueTopic('full-queue');
    await broker.createTopic(topic, 1);
    // A queue of one message held for 500 ms: every send after the first waits for room.
    const producer = new Producer({ 'bootstrap.servers': broker.bootstrapServers, 'queue.buffering.max.messages': '1', 'linger.ms': '500' });
    await producer.send({ topic, payload: 'first' });
    const sends = ['one', 'two', 'three', 'four'].map((payload) => producer.send({ topic, payload }));
    await producer.close();
    const delivered = await Promise.all(sends);
    expect(delivered.map((d) => d.offset)).toEqual([1, 2, 3, 4]);
    const admin = new Admin({ 'bootstrap.servers': broker.bootstrapServers });
    try {
      expect((await admin.watermarkOffsets(topic, 0)).high).toBe(5);
    } finally {
      await admin.close();
    }
  });

  it('sendQueued(): with a full queue a record is queued only once the one before it is delivered; a refusal rejects both promises', async () => {
    const topic = uniqueTopic('full-queue');
    await broker.createTopic(topic, 1);
    const producer = new Producer({ 'bootstrap.servers': broker.bootstrapServers, 'queue.buffering.max.messages': '1', 'linger.ms': '200', 'message.max.bytes': '10000' });
    try {
      await producer.send({ topic, payload: 'makes the topic known' });
      const events: string[] = [];
      const sends = ['one', 'two', 'three'].map((payload) => {
        const { queued, delivered } = producer.sendQueued({ topic, payload });
        return Promise.all([queued.then(() => events.push(`${payload} queued`)), delivered.then((d) => events.push(`${payload} delivered at ${d.offset}`))]);
      });
      await Promise.all(sends);
      expect(events).toEqual(['one queued', 'one delivered at 1', 'two queued', 'two delivered at 2', 'three queued', 'three delivered at 3']);

      const tooLarge = producer.sendQueued({ topic, payload: Buffer.alloc(20_000) });
      await expect(tooLarge.queued).rejects.toThrow(KafkaError);
      await expect(tooLarge.delivered).rejects.toMatchObject({ codeName: 'ERR_MSG_SIZE_TOO_LARGE' });
    } finally {
      await producer.close();
    }
  });
});
