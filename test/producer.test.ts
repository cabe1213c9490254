// The Producer class: msgids and delivery reports the APL way, promises, backpressure, bad input.
// Behavioural tests run against the embedded broker and a real Kafka broker; fault injection
// (a broker taken down) uses the embedded one.
import { describe, expect, it } from 'vitest';
import { Consumer, KafkaError, MockCluster, Producer, Record } from '../lib';
import { testBrokers, useBroker } from './brokers';
import { consumeCount, consumerConfig, longestTimerGap, startMock, uniqueTopic } from './helpers';

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('undeliverable messages (embedded broker with its only broker down)', () => {
  it('a message that cannot be delivered reports its error; updateOutstanding lists pending then failed ids', async () => {
    const down = startMock(1);
    const topic = uniqueTopic();
    down.createTopic(topic, 1);
    down.setBrokerDown(1);
    const p = new Producer({ 'bootstrap.servers': down.bootstrapServers, 'message.timeout.ms': 1500 });
    const a = p.produce(topic, 'a');
    const b = p.produceRecord(new Record(topic, Buffer.from('b'), Buffer.from('key')));
    expect(p.updateOutstanding()).toEqual([
      { msgid: a, error: 0 },
      { msgid: b, error: 0 },
    ]);
    // librdkafka times messages out in passes a second apart: a and b may fail in different ones.
    const failed: Array<{ msgid: number; error: number }> = [];
    await waitFor(() => {
      for (const row of p.updateOutstanding()) if (row.error !== 0) failed.push(row);
      return failed.length >= 2 ? true : undefined;
    });
    expect(failed.sort((x, y) => x.msgid - y.msgid)).toEqual([
      { msgid: a, error: -192 }, // ERR__MSG_TIMED_OUT
      { msgid: b, error: -192 },
    ]);
    expect(p.updateOutstanding()).toEqual([]); // failures are reported once
    await p.close();
    down.close();
  });

  it('a send to a broker that is down rejects with a KafkaError naming the code', async () => {
    const down = startMock(1);
    down.setBrokerDown(1);
    const p = new Producer({ 'bootstrap.servers': down.bootstrapServers, 'message.timeout.ms': 1000 });
    const error = await p.send({ topic: uniqueTopic(), payload: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaError);
    expect((error as KafkaError).code).toBe(-192);
    expect((error as KafkaError).codeName).toBe('ERR__MSG_TIMED_OUT');
    expect((error as KafkaError).retriable).toBe(true);
    await p.close();
    down.close();
  });

  it('close() ends the batches still undelivered: sendBatch and sendBatchSettled, with and without headers, and a batch waiting for room', async () => {
    const down = startMock(1);
    const topic = uniqueTopic();
    down.createTopic(topic, 1);
    down.setBrokerDown(1);
    const p = new Producer({ 'bootstrap.servers': down.bootstrapServers, 'queue.buffering.max.messages': 10 });
    const plain = p.sendBatch(Array.from({ length: 5 }, (_, i) => ({ topic, payload: `p${i}` })));
    const withHeaders = p.sendBatch([{ topic, payload: 'h', headers: [['n', '1']] }]);
    const settled = p.sendBatchSettled([{ topic, payload: 's', timestamp: 1 }]);
    const waiting = p.sendBatch(Array.from({ length: 20 }, (_, i) => ({ topic, payload: `w${i}` })));
    await p.close(100);
    for (const batch of [plain, withHeaders, waiting]) await expect(batch).rejects.toThrow('The producer was closed before the message was delivered');
    const [outcome] = await settled;
    expect(outcome).toMatchObject({ partition: -1, offset: -1 });
    expect(outcome.error?.codeName).toBe('ERR__PURGE_QUEUE');
    down.close();
  });
});

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);

  function producer(extra: { [key: string]: string | number | boolean } = {}): Producer {
    return new Producer({ 'bootstrap.servers': broker.bootstrapServers, ...extra });
  }

  describe('produce and deliveryReport', () => {
    it('every msgid comes back exactly once, and updateOutstanding empties as they are delivered', async () => {
      const topic = uniqueTopic();
      await broker.createTopic(topic, 3);
      const p = producer();
      const ids = Array.from({ length: 1000 }, (_, i) => p.produce(topic, `m${i}`, `k${i % 7}`));
      expect(ids).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
      const seen: number[] = [];
      await waitFor(() => {
        for (const r of p.deliveryReport(250)) {
          expect(r.error).toBe(0);
          seen.push(r.msgid);
        }
        return seen.length >= 1000 ? true : undefined;
      });
      expect(seen.length).toBe(1000);
      expect(new Set(seen)).toEqual(new Set(ids));
      expect(p.deliveryReport(10)).toEqual([]);
      expect(p.updateOutstanding()).toEqual([]);
      await p.close();
    });

  });

  describe('send', () => {
    it('resolves with partition and offset; a key always lands on the same partition', async () => {
      const topic = uniqueTopic();
      await broker.createTopic(topic, 5);
      // Send order = offset order needs idempotence: without it a retried first request (a
      // partition whose leader is not ready yet on a topic just created) lands after later ones.
      const p = producer({ 'enable.idempotence': true });
      const results = await p.sendBatch(Array.from({ length: 60 }, (_, i) => ({ topic, key: `key${i % 6}`, payload: `v${i}` })));
      const partitionOf = new Map<string, number>();
      results.forEach((result, i) => {
        const key = `key${i % 6}`;
        expect(result.topic).toBe(topic);
        if (!partitionOf.has(key)) partitionOf.set(key, result.partition);
        expect(result.partition).toBe(partitionOf.get(key));
      });
      // Offsets within each partition are 0, 1, 2, ... in send order.
      const byPartition = new Map<number, number[]>();
      for (const r of results) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r.offset]);
      for (const offsets of byPartition.values()) expect(offsets).toEqual(offsets.map((_, i) => i));
      await p.close();
    });

    it('headers and timestamps travel with the record', async () => {
      const topic = uniqueTopic();
      await broker.createTopic(topic, 1);
      const p = producer();
      await p.send({ topic, payload: 'v', key: 'k', headers: [['a', '1'], ['a', Buffer.from([0, 2])], ['n', null]], timestamp: 1_700_000_000_000 });
      await p.send({ topic, payload: 'w', headers: { trace: 'abc' } });
      const c = new Consumer(consumerConfig(broker.bootstrapServers, uniqueTopic('g')), [topic]);
      const [first, second] = await consumeCount(c, 2);
      expect(first.headers).toEqual([['a', Buffer.from('1')], ['a', Buffer.from([0, 2])], ['n', null]]);
      expect(first.timestamp).toBe(1_700_000_000_000);
      expect(second.headers).toEqual([['trace', Buffer.from('abc')]]);
      expect(second.timestamp).toBeGreaterThan(1_700_000_000_000);
      await c.close();
      await p.close();
    });

    it('waits for room when the queue is full instead of failing, and loses nothing', async () => {
      const topic = uniqueTopic();
      await broker.createTopic(topic, 2);
      const p = producer({ 'queue.buffering.max.messages': 100, 'enable.idempotence': true }); // idempotence: offsets in send order
      const results = await p.sendBatch(Array.from({ length: 5000 }, (_, i) => ({ topic, payload: `m${i}`, partition: i % 2 })));
      expect(results.length).toBe(5000);
      expect(new Set(results.map((r) => r.msgid)).size).toBe(5000);
      const perPartition = [0, 1].map((p) => results.filter((r) => r.partition === p).map((r) => r.offset));
      for (const offsets of perPartition) expect(offsets).toEqual(offsets.map((_, i) => i)); // in order, no gaps
      await p.close();
    });

    it('the synchronous produce reports a full queue as KafkaError ERR__QUEUE_FULL', async () => {
      const p = producer({ 'queue.buffering.max.messages': 5, 'linger.ms': 5000 });
      const topic = uniqueTopic();
      for (let i = 0; i < 5; i++) p.produce(topic, `m${i}`);
      const error = (() => {
        try {
          p.produce(topic, 'one too many');
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(KafkaError);
      expect((error as KafkaError).codeName).toBe('ERR__QUEUE_FULL');
      expect((error as KafkaError).retriable).toBe(true);
      await p.close();
    });

    it('the event loop keeps running during a burst of 100,000 produces', async () => {
      const topic = uniqueTopic();
      await broker.createTopic(topic, 3);
      const p = producer({ 'linger.ms': 5 });
      const payload = Buffer.alloc(100, 7);
      let delivered = 0;
      const { longestGapMs, ticks } = await longestTimerGap(async () => {
        const sends: Promise<unknown>[] = [];
        for (let i = 0; i < 100_000; i++) {
          sends.push(p.send({ topic, payload }).then(() => delivered++));
          if (i % 1000 === 999) await new Promise((r) => setImmediate(r)); // the caller yields between chunks
        }
        await Promise.all(sends);
      });
      expect(delivered).toBe(100_000);
      expect(ticks).toBeGreaterThan(10);
      // A blocked loop shows as one long gap; generous bound for a noisy 2-core machine.
      expect(longestGapMs).toBeLessThan(250);
      await p.close();
    });
  });

  describe('batches', () => {
    it('sendBatch of one topic goes through ProduceBatch and resolves every record in order, keys keeping their partition', async () => {
      const topic = uniqueTopic();
      await broker.createTopic(topic, 4);
      const p = producer({ 'enable.idempotence': true }); // offsets in send order, even after a retry
      const records = Array.from({ length: 3000 }, (_, i) => ({ topic, key: `k${i % 10}`, payload: `v${i}` }));
      const results = await p.sendBatch(records);
      expect(results.length).toBe(3000);
      expect(results.map((r) => r.msgid)).toEqual(results.map((_, i) => results[0].msgid + i));
      const partitionOfKey = new Map<string, number>();
      results.forEach((r, i) => {
        const key = records[i].key;
        if (!partitionOfKey.has(key)) partitionOfKey.set(key, r.partition);
        expect(r.partition).toBe(partitionOfKey.get(key));
      });
      const perPartition = new Map<number, number[]>();
      for (const r of results) perPartition.set(r.partition, [...(perPartition.get(r.partition) ?? []), r.offset]);
      for (const offsets of perPartition.values()) expect(offsets).toEqual(offsets.map((_, i) => i));
      await p.close();
    });

    it('sendBatch waits for room when a batch is larger than the queue, and loses nothing', async () => {
      const topic = uniqueTopic();
      await broker.createTopic(topic, 1);
      // Idempotence keeps the queued order through retries, which a loaded broker can cause.
      const p = producer({ 'queue.buffering.max.messages': 1000, 'enable.idempotence': true });
      const batches = await Promise.all([0, 1, 2].map((b) => p.sendBatch(Array.from({ length: 2500 }, (_, i) => ({ topic, payload: `${b}:${i}` })))));
      const offsets = batches.flat().map((r) => r.offset).sort((x, y) => x - y);
      expect(offsets).toEqual(Array.from({ length: 7500 }, (_, i) => i));
      // Batches were queued in call order: batch 0's records have the lowest offsets.
      expect(Math.max(...batches[0].map((r) => r.offset))).toBeLessThan(Math.min(...batches[1].map((r) => r.offset)));
      await p.close();
    });

    it('sendBatch of records with headers and timestamps over two topics, larger than the queue: every record lands, in order, with its topic', async () => {
      const [a, b] = [uniqueTopic(), uniqueTopic()];
      await broker.createTopic(a, 1);
      await broker.createTopic(b, 1);
      const p = producer({ 'queue.buffering.max.messages': 1000, 'enable.idempotence': true });
      const records = Array.from({ length: 2500 }, (_, i) => ({ topic: i % 2 === 0 ? a : b, payload: `v${i}`, headers: [['n', String(i)]] as [string, string][], timestamp: 1_700_000_000_000 + i }));
      const [first, second] = await Promise.all([p.sendBatch(records), p.sendBatch(records.slice(0, 10))]);
      expect(first.map((r) => r.topic)).toEqual(records.map((r) => r.topic));
      // Each topic's records in call order, then the second batch's behind them.
      expect(first.filter((r) => r.topic === a).map((r) => r.offset)).toEqual(Array.from({ length: 1250 }, (_, i) => i));
      expect(first.filter((r) => r.topic === b).map((r) => r.offset)).toEqual(Array.from({ length: 1250 }, (_, i) => i));
      expect(second.map((r) => r.offset)).toEqual(Array.from({ length: 10 }, (_, i) => 1250 + (i >> 1)));
      const settled = await p.sendBatchSettled([{ topic: a, payload: 'fine', timestamp: 1 }, { topic: a, payload: 'nowhere', partition: 7, timestamp: 1 }]);
      expect(settled[0]).toMatchObject({ topic: a, partition: 0, offset: 1255 });
      expect(settled[1]).toMatchObject({ topic: a, partition: -1, offset: -1 });
      expect(settled[1].error?.codeName).toBe('ERR__UNKNOWN_PARTITION');
      await expect(p.sendBatch([{ topic: a, payload: 'nowhere', partition: 7, timestamp: 1 }])).rejects.toMatchObject({ codeName: 'ERR__UNKNOWN_PARTITION' });
      await p.close();
    });

    it('produceBatch returns consecutive msgids whose reports come back once each', async () => {
      const topic = uniqueTopic();
      await broker.createTopic(topic, 2);
      const p = producer();
      const { firstMsgid, count } = p.produceBatch(topic, ['a', Buffer.from([0, 1]), null], ['x', null, 'z']);
      expect(count).toBe(3);
      await p.flush(10_000);
      const reports = p.deliveryReport(10);
      expect(reports.map((r) => r.msgid).sort()).toEqual([firstMsgid, firstMsgid + 1, firstMsgid + 2]);
      expect(reports.every((r) => r.error === 0)).toBe(true);
      expect(p.updateOutstanding()).toEqual([]);
      expect(() => p.produceBatch(topic, ['a', 5 as never])).toThrow(/payloads\[1\]/);
      await p.close();
    });
  });

  describe('statistics', () => {
    it('statistics() returns librdkafka\'s figures: messages sent and produce requests', async () => {
      const topic = uniqueTopic();
      await broker.createTopic(topic, 1);
      const p = producer({ 'statistics.interval.ms': 100, 'linger.ms': 20 });
      expect(p.statistics()).toBeUndefined();
      // One message first: a new topic's first produce request can be refused and sent again
      // while its leader settles, and txmsgs counts every send.
      await p.send({ topic, payload: 'first' });
      await p.sendBatch(Array.from({ length: 500 }, (_, i) => ({ topic, payload: `m${i}` })));
      type Stats = { txmsgs: number; brokers: { [name: string]: { req: { Produce: number } } } };
      const stats = await waitFor(() => {
        const now = p.statistics() as Stats | undefined;
        return now !== undefined && now.txmsgs >= 501 ? now : undefined; // the next emission after the last delivery
      }, 5000);
      expect(stats.txmsgs).toBe(501);
      const produceRequests = Object.values(stats.brokers).reduce((n, b) => n + (b.req?.Produce ?? 0), 0);
      expect(produceRequests).toBeGreaterThan(0);
      expect(produceRequests).toBeLessThan(500); // batched
      await p.close();
    });
  });

  describe('configuration and bad input', () => {
    it('an unknown key and an invalid value are errors naming the key', () => {
      expect(() => new Producer({ 'no.such.property': 1 })).toThrow(/Unknown configuration property 'no.such.property'/);
      expect(() => new Producer({ acks: 'sometimes' })).toThrow(/'sometimes'.*'acks'/);
      expect(() => new Producer([['linger.ms', 'later']])).toThrow(/linger\.ms/);
      expect(() => new Producer({ 'linger.ms': {} as never })).toThrow(TypeError);
    });

    it('configure after the first message is a KafkaError, not silently ignored', async () => {
      const p = producer();
      p.configure('linger.ms', 1);
      p.produce(uniqueTopic(), 'x');
      expect(() => p.configure('linger.ms', 50)).toThrow(/after the client has started/);
      await p.close();
    });

    it('wrong argument types are TypeErrors naming the parameter', async () => {
      const p = producer();
      expect(() => p.produce(42 as never, 'x')).toThrow(/Expected a non-empty string for topic but received 42 of type number/);
      expect(() => p.produce('t', {} as never)).toThrow(/for payload/);
      expect(() => p.produce('t', 'x', 7 as never)).toThrow(/for key/);
      expect(() => p.produce('t', 'x', null, 1.5)).toThrow(/for partition/);
      expect(() => p.produce('', 'x')).toThrow(/for topic/);
      expect(() => p.deliveryReport(-1)).toThrow(/for max/);
      await expect(p.send({ topic: 't', payload: 'x', headers: [['h']] as never })).rejects.toThrow(/headers\[0\]/);
      await expect(p.send(null as never)).rejects.toThrow(/for record/);
      await p.close();
    });

    it('a closed producer refuses work with a clear error; close twice is fine', async () => {
      const p = producer();
      await p.send({ topic: uniqueTopic(), payload: 'x' });
      await p.close();
      await p.close();
      expect(() => p.produce('t', 'x')).toThrow(/producer is closed/);
      await expect(p.send({ topic: 't', payload: 'x' })).rejects.toThrow(/producer is closed/);
    });

    it('a payload over message.max.bytes is refused with MSG_SIZE_TOO_LARGE and nothing else is lost', async () => {
      const topic = uniqueTopic();
      await broker.createTopic(topic, 1);
      const p = producer();
      const small = p.send({ topic, payload: 'before' });
      await expect(p.send({ topic, payload: Buffer.alloc(5_000_000) })).rejects.toMatchObject({ codeName: 'ERR_MSG_SIZE_TOO_LARGE' });
      const after = await p.send({ topic, payload: 'after' });
      expect((await small).offset).toBe(0);
      expect(after.offset).toBe(1);
      await p.close();
    });
  });
});

describe('every broker down, then back (embedded broker)', () => {
  it("a pending send outlives it; the outage is the producer's retriable 'error' events and logged errors", async () => {
    const mock = new MockCluster({ brokers: 1 });
    const topic = uniqueTopic();
    mock.createTopic(topic, 1);
    const logged: string[] = [];
    const logger = { error: (_f: object, m: string) => logged.push(m), warn: () => {}, info: () => {}, debug: () => {} };
    const producer = new Producer({ 'bootstrap.servers': mock.bootstrapServers }, { logger });
    const errors: KafkaError[] = [];
    producer.on('error', (error) => errors.push(error));
    await producer.send({ topic, payload: 'before' });
    mock.setBrokerDown(1);
    const during = producer.send({ topic, payload: 'during' });
    const deadline = performance.now() + 20_000;
    while (!errors.some((e) => e.code === -187) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    mock.setBrokerUp(1);
    expect(await during).toMatchObject({ partition: 0, offset: 1 });
    expect(errors.map((e) => e.codeName)).toContain('ERR__ALL_BROKERS_DOWN');
    expect(errors.every((e) => e.retriable && !e.fatal)).toBe(true);
    expect(logged.some((m) => /brokers are down/.test(m))).toBe(true);
    await producer.close();
    mock.close();
  });
});
