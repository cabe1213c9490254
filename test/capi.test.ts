// The C-style handle API: the spec's functions and tuples, and each defect of the original that
// ours must not have. Runs against the embedded broker and a real Kafka broker.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { capi, Consumer, PACKED_FIELDS, Record, type KafkaHandle, type PackedBatch } from '../lib';
import { testBrokers, useBroker } from './brokers';
import { consumeCount, consumerConfig, uniqueTopic } from './helpers';

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);

  function producerHandle(extra: [string, string][] = []): KafkaHandle {
    const h = capi.InitKafka();
    expect(capi.SetKafkaConf(h, 'bootstrap.servers', broker.bootstrapServers)).toEqual([0, '']);
    for (const [key, value] of extra) expect(capi.SetKafkaConf(h, key, value)[0]).toBe(0);
    return h;
  }

  /** Collects delivery reports through the wake-up until `count` arrived. */
  function reportsFor(h: KafkaHandle, count: number, timeoutMs = 20_000): Promise<{ ids: number[]; errors: number[]; partitions: number[]; offsets: number[] }> {
    const all = { ids: [] as number[], errors: [] as number[], partitions: [] as number[], offsets: [] as number[] };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${all.ids.length} of ${count} reports`)), timeoutMs);
      const take = () => {
        const [ids, errors, partitions, offsets] = capi.DeliveryReport(h, 100000);
        all.ids.push(...ids);
        all.errors.push(...errors);
        all.partitions.push(...partitions);
        all.offsets.push(...offsets);
        if (all.ids.length >= count) {
          clearTimeout(timer);
          capi.SetWakeup(h, null);
          resolve(all);
        }
      };
      capi.SetWakeup(h, take);
      take();
    });
  }

  describe('Version', () => {
    it('reports the linked librdkafka as [hexVersion, text, features]', () => {
      const [hex, text] = capi.Version();
      expect(text).toMatch(/^\d+\.\d+\.\d+/);
      const [major, minor] = text.split('.').map(Number);
      expect(hex >>> 24).toBe(major);
      expect((hex >>> 16) & 0xff).toBe(minor);
    });

    it("reports the builtin.features that kcat, on the same system librdkafka, prints", () => {
      const [, text, features] = capi.Version();
      const kcat = /librdkafka (\S+) builtin\.features=(\S+)\)/.exec(execFileSync('kcat', ['-V'], { encoding: 'utf8' }));
      expect(kcat?.[1]).toBe(text);
      expect(features).toEqual(kcat?.[2].split(','));
    });
  });

  describe('SetKafkaConf', () => {
    it('returns 0 for a valid setting, -1 for an invalid value, -2 for an unknown key', () => {
      const h = capi.InitKafka();
      expect(capi.SetKafkaConf(h, 'linger.ms', '5')).toEqual([0, '']);
      const [invalid, invalidText] = capi.SetKafkaConf(h, 'linger.ms', 'soon');
      expect(invalid).toBe(-1);
      expect(invalidText).toContain('linger.ms');
      const [unknown, unknownText] = capi.SetKafkaConf(h, 'no.such.key', '1');
      expect(unknown).toBe(-2);
      expect(unknownText).toContain('no.such.key');
      capi.UninitProducer(h);
    });

    it('refuses changes after the client started, instead of ignoring them', () => {
      const h = producerHandle();
      expect(capi.Produce(h, uniqueTopic(), 'x', null)[0]).toBe(0);
      const [code, message] = capi.SetKafkaConf(h, 'linger.ms', '100');
      expect(code).toBe(-172); // ERR__STATE
      expect(message).toMatch(/after the client has started.*linger\.ms/);
      capi.UninitProducer(h, 0);
    });
  });

  describe('Produce and DeliveryReport', () => {
    it('producing before any SetKafkaConf does not crash: the message is accepted and later times out', async () => {
      const h = capi.InitKafka();
      const [code, msgid] = capi.Produce(h, 'nowhere', 'payload', null);
      expect([code, msgid]).toEqual([0, 1]);
      expect(capi.UninitProducer(h, 0)).toBe(0);
    });

    it('reports a client that cannot be created as a code and a message, and can be fixed and retried', () => {
      const h = producerHandle([['enable.idempotence', 'true'], ['acks', '1']]);
      const [code, msgid, message] = capi.Produce(h, uniqueTopic(), 'x', null);
      expect(code).toBe(-186); // ERR__INVALID_ARG
      expect(msgid).toBe(0);
      expect(message).toMatch(/acks/);
      expect(capi.SetKafkaConf(h, 'acks', 'all')[0]).toBe(0);
      expect(capi.Produce(h, uniqueTopic(), 'x', null).slice(0, 2)).toEqual([0, 1]);
      capi.UninitProducer(h, 0);
    });

    it('counts msgids per handle, from 1, only for accepted messages', () => {
      const a = producerHandle();
      const b = producerHandle();
      const topic = uniqueTopic();
      expect(capi.Produce(a, topic, 'a1', null)[1]).toBe(1);
      expect(capi.Produce(a, topic, 'a2', null)[1]).toBe(2);
      expect(capi.Produce(b, topic, 'b1', null)[1]).toBe(1);
      // A refused message (partition that does not exist yet is accepted; an oversized one is not).
      const huge = Buffer.alloc(2_000_000);
      const [code, msgid] = capi.Produce(a, topic, huge, null);
      expect(code).toBe(10); // MSG_SIZE_TOO_LARGE
      expect(msgid).toBe(0);
      expect(capi.Produce(a, topic, 'a3', null)[1]).toBe(3);
      capi.UninitProducer(a, 0);
      capi.UninitProducer(b, 0);
    });

    it('returns every report once, oldest first, with partition and offset', async () => {
      const topic = uniqueTopic();
      await broker.createTopic(topic, 1);
      const h = producerHandle([['enable.idempotence', 'true']]); // offsets in send order, even when a first request is retried
      const ids: number[] = [];
      for (let i = 0; i < 500; i++) ids.push(capi.Produce(h, topic, `m${i}`, null, 0)[1]);
      const reports = await reportsFor(h, 500);
      expect(reports.ids).toEqual(ids); // FIFO, each once
      expect(new Set(reports.errors)).toEqual(new Set([0]));
      expect(reports.partitions.every((p) => p === 0)).toBe(true);
      expect(reports.offsets).toEqual(ids.map((_, i) => i));
      expect(capi.DeliveryReport(h, 10)[0]).toEqual([]);
      capi.UninitProducer(h);
    });

    it('DeliveryReport(h, max) hands over at most max reports and keeps the rest', async () => {
      const topic = uniqueTopic();
      await broker.createTopic(topic, 1);
      const h = producerHandle();
      for (let i = 0; i < 30; i++) capi.Produce(h, topic, `m${i}`, null);
      expect(capi.Flush(h, 10_000)).toBe(0);
      const first = capi.DeliveryReport(h, 10)[0];
      const rest = capi.DeliveryReport(h, 100)[0];
      expect(first).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(rest.length).toBe(20);
      capi.UninitProducer(h);
    });

    it('DeliveryReport never waits: with nothing to report it returns at once', () => {
      const h = producerHandle();
      capi.Produce(h, uniqueTopic(), 'x', null);
      const started = performance.now();
      for (let i = 0; i < 10; i++) capi.DeliveryReport(h, 10);
      // The original polled for 500 ms on every call; ten calls here would take 5 s.
      expect(performance.now() - started).toBeLessThan(250);
      capi.UninitProducer(h, 0);
    });

    it('keeps NUL bytes, empty payloads and null payloads apart', async () => {
      const topic = uniqueTopic();
      await broker.createTopic(topic, 1);
      const h = producerHandle();
      const payloads = [Buffer.from([0, 1, 0, 2, 0]), Buffer.alloc(0), null, 'text\u0000with nul'];
      payloads.forEach((p, i) => capi.Produce(h, topic, p, i === 1 ? '' : null, 0));
      expect(capi.Flush(h, 10_000)).toBe(0);
      const consumer = new Consumer(consumerConfig(broker.bootstrapServers, uniqueTopic('g')), [topic]);
      const records = await consumeCount(consumer, payloads.length);
      expect(records.map((r) => r.payload)).toEqual([Buffer.from([0, 1, 0, 2, 0]), Buffer.alloc(0), null, Buffer.from('text\u0000with nul')]);
      expect(records.map((r) => r.key)).toEqual([null, Buffer.alloc(0), null, null]);
      await consumer.close();
      capi.UninitProducer(h);
    });

    it('ProduceMsgid returns the bare msgid when accepted and Produce\'s tuple when refused, sharing the msgid count', async () => {
      const topic = uniqueTopic();
      await broker.createTopic(topic, 1);
      const h = producerHandle([['queue.buffering.max.messages', '3'], ['linger.ms', '50']]);
      expect(capi.Produce(h, topic, 'a', null, 0)).toEqual([0, 1, '']);
      expect(capi.ProduceMsgid(h, topic, Buffer.from('b'), 'k', 0, [['h', 'v']])).toBe(2);
      expect(capi.ProduceMsgid(h, topic, null, null)).toBe(3);
      const [code, msgid, message] = capi.ProduceMsgid(h, topic, 'd', null, 0) as [number, number, string];
      expect([code, msgid]).toEqual([-184, 0]);
      expect(message).toMatch(/queue/i);
      expect(() => capi.ProduceMsgid(h, 't\u0000x', 'x', null)).toThrow(/Expected a string without NUL characters for topic/);
      expect(() => capi.ProduceMsgid(h, 'x'.repeat(300) + '\u0000', 'x', null)).toThrow(/without NUL characters for topic/);
      expect(() => capi.ProduceMsgid(h, topic, 5 as never, null)).toThrow(/for payload but received 5/);
      expect(() => capi.ProduceMsgid(h, topic, 'x', null, 1.5)).toThrow(/for partition but received 1.5/);
      expect(() => capi.ProduceMsgid(h, topic, 'x', null, -2)).toThrow(/for partition/);
      expect(() => capi.ProduceMsgid(h, topic, 'x', null, 0, [['h']] as never)).toThrow(/headers\[0\]/);
      const reports = await reportsFor(h, 3);
      expect(reports.ids).toEqual([1, 2, 3]);
      expect(reports.errors).toEqual([0, 0, 0]);
      // Names longer than the fast path's buffer take the general path, and count on.
      expect(capi.ProduceMsgid(h, 'x'.repeat(300), 'x', null)).toBe(4);
      // A name librdkafka refuses (over 512 bytes) is a code with a reason naming it, and takes no msgid.
      const [refusedCode, refusedMsgid, refusedMessage] = capi.Produce(h, 'y'.repeat(600), 'x', null);
      expect([refusedCode, refusedMsgid]).toEqual([-186, 0]);
      expect(refusedMessage).toContain(`topic '${'y'.repeat(600)}'`);
      expect(capi.ProduceMsgid(h, 'x'.repeat(300), 'x', null)).toBe(5);
      capi.UninitProducer(h, 0);
    });

    it('ProduceBatchPacked takes the payloads one after another in one buffer: null, empty and keyed ones apart, bad lengths refused before any is queued', async () => {
      const topic = uniqueTopic();
      await broker.createTopic(topic, 1);
      const h = producerHandle();
      const data = Buffer.from('first\u0000secondthird');
      const lengths = Int32Array.from([6, -1, 0, 6, 5]); // 'first\0', null, empty, 'second', 'third'
      const [code, first, count, errors] = capi.ProduceBatchPacked(h, topic, 0, data, lengths, ['k1', null, 'k3', null, Buffer.from('k5')]);
      expect([code, first, count, errors]).toEqual([0, 1, 5, null]);
      expect(() => capi.ProduceBatchPacked(h, topic, 0, data, Int32Array.from([6, 100]))).toThrow(/lengths of -1 or more that fit in data for lengths\[1\] but received 100/);
      expect(() => capi.ProduceBatchPacked(h, topic, 0, data, Int32Array.from([-2]))).toThrow(/for lengths\[0\]/);
      expect(() => capi.ProduceBatchPacked(h, topic, 0, 'text' as never, lengths)).toThrow(/Expected a Buffer for data/);
      expect(() => capi.ProduceBatchPacked(h, topic, 0, data, [6] as never)).toThrow(/Expected an Int32Array for lengths/);
      expect(() => capi.ProduceBatchPacked(h, topic, 0, data, lengths, ['k'])).toThrow(/keys as long as lengths/);
      // The refused calls took no msgid and queued nothing.
      expect(capi.ProduceBatchPacked(h, topic, 0, Buffer.from('last'), Int32Array.from([4]))).toEqual([0, 6, 1, null, '']);
      expect(capi.Flush(h, 10_000)).toBe(0);
      const consumer = new Consumer(consumerConfig(broker.bootstrapServers, uniqueTopic('g')), [topic]);
      const records = await consumeCount(consumer, 6);
      expect(records.map((r) => r.payload)).toEqual([Buffer.from('first\u0000'), null, Buffer.alloc(0), Buffer.from('second'), Buffer.from('third'), Buffer.from('last')]);
      expect(records.map((r) => r.key)).toEqual([Buffer.from('k1'), null, Buffer.from('k3'), null, Buffer.from('k5'), null]);
      await consumer.close();
      capi.UninitProducer(h);
    });

    it('reports a full queue as -184, not a crash', () => {
      const h = producerHandle([['queue.buffering.max.messages', '10'], ['linger.ms', '10000']]);
      const topic = uniqueTopic();
      const codes = Array.from({ length: 20 }, (_, i) => capi.Produce(h, topic, `m${i}`, null)[0]);
      expect(codes.slice(0, 10)).toEqual(Array(10).fill(0));
      expect(codes.slice(10)).toEqual(Array(10).fill(-184));
      capi.UninitProducer(h, 0);
    });
  });

  describe('Consume, Commit, Committed', () => {
    it('before subscribe: Consume, Commit and Committed return ERR__STATE instead of crashing', async () => {
      const h = capi.InitKafka();
      const list = capi.NewTopicPartitionList();
      capi.SetTopicPartitionList(list, 't', 0);
      expect(capi.Consume(h, 0)[0]).toBe(-172);
      expect(capi.Commit(h, null)).toBe(-172);
      expect(capi.Commit(h, list, true)).toBe(-172);
      expect(capi.Committed(h, list)[0]).toBe(-172);
      expect(await capi.CommitAsync(h, null)).toBe(-172);
      expect((await capi.CommittedAsync(h, list))[0]).toBe(-172);
      expect(capi.ConsumeBatch(h, 10)[0][0]).toBe(-172);
      expect(capi.UninitConsumer(h)).toBe(0);
    });

    it('Committed reads every entry of the list, and the list stays usable after subscribe', async () => {
      const topic = uniqueTopic();
      await broker.createTopic(topic, 3);
      const group = uniqueTopic('g');
      const h = capi.InitKafka();
      // No auto-commit: its timer could commit the consumed positions after the explicit commit.
      for (const [k, v] of Object.entries(consumerConfig(broker.bootstrapServers, group, { 'enable.auto.commit': false }))) capi.SetKafkaConf(h, k, String(v));
      const list = capi.NewTopicPartitionList();
      for (const p of [0, 1, 2]) capi.SetTopicPartitionList(list, topic, p);
      expect(capi.SubscribeConsumerTPList(h, list)).toEqual([0, '']);
      expect(capi.SubscribeConsumerTPList(h, list)).toEqual([0, '']); // re-subscribe the same client
      // Commit explicit offsets for all three partitions, then read all three back.
      for (const [p, offset] of [[0, 7], [1, 11], [2, 13]]) expect(capi.SetOffset(list, topic, p, offset)).toBe(0);
      expect(capi.SetOffset(list, topic, 9, 1)).toBe(-190);
      // Commit once the group join is done (the mock refuses commits mid-join and the client
      // rejoins): consume one message from each partition first.
      const producer = producerHandle();
      for (const p of [0, 1, 2]) capi.Produce(producer, topic, `m${p}`, null, p);
      expect(capi.Flush(producer, 10_000)).toBe(0);
      capi.UninitProducer(producer);
      const received = new Set<number>();
      for (let tries = 0; tries < 200 && received.size < 3; tries++) {
        const message = capi.Consume(h, 100);
        if (message[0] === 0) received.add(message[4] as number);
        await new Promise((r) => setImmediate(r));
      }
      expect(received).toEqual(new Set([0, 1, 2]));
      expect(await capi.CommitAsync(h, list)).toBe(0);
      const [code, entries] = await capi.CommittedAsync(h, list);
      expect(code).toBe(0);
      expect(entries.map(([t, p, o]) => [t, p, o])).toEqual([[topic, 0, 7], [topic, 1, 11], [topic, 2, 13]]);
      expect(capi.TopicPartitionListEntries(list).length).toBe(3);
      expect(await capi.UninitConsumerAsync(h)).toBe(0);
    });
  });

  describe('CommitAsync', () => {
    /** A consumer of `topic`'s partitions that has joined its group (it consumed one message of each). */
    async function joinedConsumer(topic: string, partitions: number): Promise<KafkaHandle> {
      const h = capi.InitKafka();
      for (const [k, v] of Object.entries(consumerConfig(broker.bootstrapServers, uniqueTopic('g'), { 'enable.auto.commit': false }))) capi.SetKafkaConf(h, k, String(v));
      const list = capi.NewTopicPartitionList();
      capi.SetTopicPartitionList(list, topic);
      expect(capi.SubscribeConsumerTPList(h, list)).toEqual([0, '']);
      capi.DestroyTopicPartitionList(list);
      const producer = producerHandle();
      for (let p = 0; p < partitions; p++) capi.Produce(producer, topic, `m${p}`, null, p);
      expect(capi.Flush(producer, 10_000)).toBe(0);
      capi.UninitProducer(producer);
      const received = new Set<number>();
      for (let tries = 0; tries < 300 && received.size < partitions; tries++) {
        const message = capi.Consume(h, 100);
        if (message[0] === 0) received.add(message[4] as number);
        await new Promise((r) => setImmediate(r));
      }
      expect(received.size).toBe(partitions);
      return h;
    }

    it('many commits in flight at once each resolve with their own answer', async () => {
      const topic = uniqueTopic('commits');
      await broker.createTopic(topic, 2);
      const h = await joinedConsumer(topic, 2);
      const offsets = capi.NewTopicPartitionList();
      const empty = capi.NewTopicPartitionList();
      // Even commits: offsets of both partitions (0). Odd ones: nothing to commit (ERR__NO_OFFSET, -168).
      const commits = Array.from({ length: 40 }, (_, i) => {
        if (i % 2 === 1) return capi.CommitAsync(h, empty);
        capi.SetTopicPartitionList(offsets, topic, 0);
        capi.SetTopicPartitionList(offsets, topic, 1);
        capi.SetOffset(offsets, topic, 0, i + 1);
        capi.SetOffset(offsets, topic, 1, 2 * i + 1);
        return capi.CommitAsync(h, offsets);
      });
      expect(await Promise.all(commits)).toEqual(Array.from({ length: 40 }, (_, i) => (i % 2 === 1 ? -168 : 0)));
      const [code, entries] = await capi.CommittedAsync(h, offsets);
      expect([code, entries.map(([, p, o]) => [p, o])]).toEqual([0, [[0, 39], [1, 77]]]); // the last one sent wins
      expect(await capi.UninitConsumerAsync(h)).toBe(0);
    });

    it('a commit awaited with nothing else to do keeps the process alive until it is answered', async () => {
      const topic = uniqueTopic('commit-alive');
      await broker.createTopic(topic, 1);
      const config = consumerConfig(broker.bootstrapServers, uniqueTopic('g'), { 'enable.auto.commit': false });
      // A process of its own: only the pending commit is left to keep its event loop running.
      const script = `
        const capi = require(${JSON.stringify(addonFile())});
        const h = capi.InitKafka();
        for (const [k, v] of Object.entries(${JSON.stringify(config)})) capi.SetKafkaConf(h, k, String(v));
        const list = capi.NewTopicPartitionList();
        capi.SetTopicPartitionList(list, ${JSON.stringify(topic)}, 0);
        capi.SubscribeConsumerTPList(h, list);
        capi.SetOffset(list, ${JSON.stringify(topic)}, 0, 5);
        capi.CommitAsync(h, list).then((code) => {
          console.log('answered ' + typeof code);
          capi.UninitConsumer(h);
        });`;
      expect(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 })).toBe('answered number\n');
    });
  });

  describe('ConsumeBatchPacked', () => {
    it('hands over the same messages as Consume, as columns: two topics, null vs empty, NUL bytes, headers, partitions and offsets', async () => {
      const topics = [uniqueTopic('packed-a'), uniqueTopic('packed-b')];
      for (const t of topics) await broker.createTopic(t, 2);
      const sent: Array<{ topic: string; partition: number; payload: Buffer | null; key: Buffer | null; headers: [string, Buffer | null][] }> = [];
      const producer = producerHandle([['enable.idempotence', 'true']]); // offsets in send order, even after a retry
      for (let i = 0; i < 40; i++) {
        const payload = i % 10 === 3 ? null : i % 10 === 4 ? Buffer.alloc(0) : Buffer.from(`v${i}\u0000${'x'.repeat(i)}`);
        const key = i % 5 === 0 ? null : i % 5 === 1 ? Buffer.alloc(0) : Buffer.from(`k${i}`);
        const headers: [string, Buffer | null][] = i % 4 === 0 ? [['h', Buffer.from(`${i}`)], ['h', null], ['e', Buffer.alloc(0)]] : [];
        const message = { topic: topics[i % 2], partition: (i >> 1) % 2, payload, key, headers };
        sent.push(message);
        expect(capi.Produce(producer, message.topic, payload, key, message.partition, headers)[0]).toBe(0);
      }
      expect(capi.Flush(producer, 10_000)).toBe(0);
      capi.UninitProducer(producer);

      const h = capi.InitKafka();
      for (const [k, v] of Object.entries(consumerConfig(broker.bootstrapServers, uniqueTopic('g')))) capi.SetKafkaConf(h, k, String(v));
      const list = capi.NewTopicPartitionList();
      for (const t of topics) capi.SetTopicPartitionList(list, t);
      expect(capi.SubscribeConsumerTPList(h, list)).toEqual([0, '']);
      capi.DestroyTopicPartitionList(list);
      const received: Record[] = [];
      const deadline = Date.now() + 30_000;
      while (received.length < sent.length && Date.now() < deadline) {
        const batch = capi.ConsumeBatchPacked(h, 7);
        expect(batch[0]).toBe(0);
        const [, count, batchTopics, fields, data] = batch as PackedBatch;
        expect(fields.length).toBe(count * PACKED_FIELDS);
        expect(count).toBeLessThanOrEqual(7);
        if (count > 0) expect(batchTopics.length).toBeGreaterThan(0);
        const before = received.length;
        Record.fromPacked(batch as PackedBatch, received, (code, message) => {
          throw new Error(`unexpected error row ${code} ${message}`);
        });
        // Every record of the batch is a view of the batch's one buffer.
        for (const r of received.slice(before)) if (r.payload !== null && r.payload.length > 0) expect(r.payload.buffer).toBe(data.buffer);
        if (count === 0) await new Promise((r) => setTimeout(r, 20));
      }
      expect(received.length).toBe(sent.length);
      expect(await capi.UninitConsumerAsync(h)).toBe(0);

      const id = (topic: string, partition: number, offset: number) => `${topic}/${partition}/${offset}`;
      // Each partition holds its messages in send order, from offset 0.
      const expected = new Map<string, (typeof sent)[number]>();
      const next = new Map<string, number>();
      for (const m of sent) {
        const at = next.get(`${m.topic}/${m.partition}`) ?? 0;
        next.set(`${m.topic}/${m.partition}`, at + 1);
        expected.set(id(m.topic, m.partition, at), m);
      }
      for (const r of received) {
        const m = expected.get(id(r.topic, r.partition, r.offset));
        expect(m, `record ${id(r.topic, r.partition, r.offset)}`).toBeDefined();
        expect([r.payload, r.key, r.headers]).toEqual([m!.payload, m!.key, m!.headers]);
        expect(r.timestamp).toBeGreaterThan(Date.now() - 120_000);
        expected.delete(id(r.topic, r.partition, r.offset));
      }
      expect(expected.size).toBe(0);
    });

    it('checks its arguments and refuses a consumer that has not started', () => {
      const h = capi.InitKafka();
      expect(capi.ConsumeBatchPacked(h, 10)[0]).toBe(-172);
      expect(() => capi.ConsumeBatchPacked(h, 0)).toThrow(/Expected .* for max but received 0/);
      expect(() => capi.ConsumeBatchPacked(h, '5' as never)).toThrow(/for max but received '5'/);
      expect(() => capi.ConsumeBatchPacked({} as never, 5)).toThrow(TypeError);
      expect(capi.UninitConsumer(h)).toBe(0);
      expect(() => capi.ConsumeBatchPacked(h, 5)).toThrow(/closed|Uninit/i);
    });
  });

  describe('handles', () => {
    it('a wrong or foreign object passed as a handle is a TypeError naming the parameter', () => {
      const list = capi.NewTopicPartitionList();
      const h = capi.InitKafka();
      const wrong: unknown[] = [{}, null, undefined, 42, 'handle', [], list, broker, () => 0, Symbol('x')];
      for (const value of wrong) {
        expect(() => capi.Produce(value as KafkaHandle, 't', 'x', null)).toThrow(TypeError);
        expect(() => capi.Produce(value as KafkaHandle, 't', 'x', null)).toThrow(/for handle/);
        expect(() => capi.SetOffset(h as never, 't', 0, 1)).toThrow(/for list/);
      }
      capi.UninitProducer(h);
    });

    it("a client handle or list passed where the native HTTP front end is expected is a TypeError, not the front end's memory", () => {
      const front = capi as unknown as { [name: string]: (...args: unknown[]) => unknown };
      const names = Object.keys(capi).filter((name) => name.startsWith('HttpFront') && name !== 'HttpFrontStart');
      expect(names.length).toBeGreaterThan(0); // Linux: the front end is built
      const h = capi.InitKafka();
      const list = capi.NewTopicPartitionList();
      for (const name of names) {
        for (const value of [h, list]) expect(() => front[name](value, 't')).toThrow(/Expected a native front end for front/);
      }
      capi.UninitProducer(h);
    });

    it('use after Uninit is a clear error, and Uninit is safe to call twice', () => {
      const h = capi.InitKafka();
      capi.SetKafkaConf(h, 'bootstrap.servers', broker.bootstrapServers);
      capi.Produce(h, uniqueTopic(), 'x', null);
      expect(capi.UninitProducer(h)).toBe(0);
      expect(capi.UninitProducer(h)).toBe(0);
      for (const call of [() => capi.Produce(h, 't', 'x', null), () => capi.DeliveryReport(h, 1), () => capi.SetKafkaConf(h, 'a', 'b'), () => capi.Consume(h, 0)]) {
        expect(call).toThrow(/handle is closed/);
      }
      expect(capi.HandleInfo(h)).toEqual({ kind: 'producer', state: 'closed' });
    });

    it('a synchronous Uninit while async calls are in flight waits for them instead of deadlocking', async () => {
      const topic = uniqueTopic();
      await broker.createTopic(topic, 1);
      const group = uniqueTopic('g');
      const c = capi.InitKafka();
      for (const [k, v] of Object.entries(consumerConfig(broker.bootstrapServers, group))) capi.SetKafkaConf(c, k, String(v));
      const list = capi.NewTopicPartitionList();
      capi.SetTopicPartitionList(list, topic, 0);
      capi.SubscribeConsumerTPList(c, list);
      const commit = capi.CommitAsync(c, null);
      const committed = capi.CommittedAsync(c, list, 2000);
      expect(capi.UninitConsumer(c)).toBe(0); // returns once the tasks finished
      expect(typeof (await commit)).toBe('number');
      expect((await committed)[0]).toBeTypeOf('number');
      const p = producerHandle();
      capi.Produce(p, topic, 'x', null);
      const flush = capi.FlushAsync(p, 10_000);
      expect(capi.UninitProducer(p)).toBe(0);
      expect(await flush).toBe(0);
    });

    it('Uninit of the other kind is refused with ERR__INVALID_ARG and leaves the client open', () => {
      const h = producerHandle();
      capi.Produce(h, uniqueTopic(), 'x', null);
      expect(capi.UninitConsumer(h)).toBe(-186);
      expect(capi.HandleInfo(h).state).toBe('running');
      expect(capi.UninitProducer(h)).toBe(0);
    });

    it('a list freed explicitly is never freed again by the garbage collector', async () => {
      for (let i = 0; i < 1000; i++) {
        const list = capi.NewTopicPartitionList();
        capi.SetTopicPartitionList(list, `t${i}`, 0);
        capi.DestroyTopicPartitionList(list);
        capi.DestroyTopicPartitionList(list);
        expect(() => capi.SetTopicPartitionList(list, 't', 0)).toThrow(/destroyed/);
      }
      global.gc?.();
      await new Promise((r) => setTimeout(r, 50));
      global.gc?.();
    });

    it('handles dropped without Uninit are collected and their clients stopped', async () => {
      const collected = { count: 0 };
      const registry = new FinalizationRegistry(() => collected.count++);
      (() => {
        for (let i = 0; i < 50; i++) {
          const h = producerHandle();
          capi.Produce(h, uniqueTopic(), 'x', null); // started: librdkafka threads and sockets
          registry.register(h, i);
          const c = capi.InitKafka(); // never started
          registry.register(c, i);
        }
      })();
      for (let i = 0; i < 20 && collected.count < 100; i++) {
        global.gc?.();
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(collected.count).toBe(100);
    });
  });

  describe('misuse', () => {
    it('10,000 random calls with wrong types, closed handles and extreme numbers leave the process alive', () => {
      const closed = capi.InitKafka();
      capi.UninitProducer(closed);
      // A started producer: calls that would wait on a consumer (Consume with a huge timeout)
      // return ERR__STATE at once instead.
      const open = capi.InitKafka();
      capi.SetKafkaConf(open, 'bootstrap.servers', broker.bootstrapServers);
      capi.SetKafkaConf(open, 'message.timeout.ms', '1');
      capi.Produce(open, 'misuse', 'x', null);
      const throwaway = capi.MockClusterNew(1);
      const list = capi.NewTopicPartitionList();
      const destroyed = capi.NewTopicPartitionList();
      capi.DestroyTopicPartitionList(destroyed);
      const values: unknown[] = [
        undefined, null, true, 0, -1, 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, -(2 ** 64), 1.5, NaN, Infinity, -Infinity,
        '', 'x', 'a\0b', 'x'.repeat(100_000), Buffer.alloc(0), Buffer.alloc(3_000_000), new Uint8Array(3), new Float64Array(2),
        {}, [], [['h', 'v']], [['h']], [[1, 2]], () => 0, Symbol('s'), 10n, -(2n ** 70n), closed, open, list, destroyed, throwaway, broker,
      ];
      const pick = () => values[Math.floor(Math.random() * values.length)];
      const functions = Object.entries(capi).filter(([name]) => !/^Uninit|Destroy|MockClusterNew|Flush$|SetWakeup/.test(name));
      let threw = 0;
      let returned = 0;
      for (let i = 0; i < 10_000; i++) {
        const [, fn] = functions[Math.floor(Math.random() * functions.length)];
        const args = Array.from({ length: Math.floor(Math.random() * 8) }, pick);
        try {
          const result = (fn as (...a: unknown[]) => unknown)(...args);
          if (result instanceof Promise) result.catch(() => undefined);
          returned++;
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message.length).toBeGreaterThan(0);
          threw++;
        }
      }
      expect(threw + returned).toBe(10_000);
      expect(threw).toBeGreaterThan(1000);
      // The open handle still works after all that.
      expect(capi.HandleInfo(open).state).not.toBe('closed');
      capi.UninitProducer(open, 0);
      capi.MockClusterDestroy(throwaway);
    });
  });
});

/** The native addon's file, as lib/native.ts finds it. */
function addonFile(): string {
  const nodeGypBuild = createRequire(__filename)('node-gyp-build') as { resolve(dir: string): string };
  return nodeGypBuild.resolve(path.join(__dirname, '..'));
}
