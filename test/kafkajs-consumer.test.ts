// The kafkajs consumer facade: kafkajs's documented examples as they are written, and the
// semantics kafkajs programs rely on (one handler per partition at a time, commits after the
// handler, retries then CRASH, disconnect waits, rebalances never share a partition), on both brokers.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Admin, Producer, silentLogger, streamLogger } from '../lib';
import { CompressionTypes, Kafka, KafkaJSConnectionError, logLevel } from '../lib/kafkajs';
import { KafkaJSConsumer, type ConsumerConfig, type EachMessagePayload, type InstrumentationEvent, type KafkaMessage } from '../lib/kafkajs/consumer';
import type { ClientContext } from '../lib/kafkajs/context';
import { KafkaJSNonRetriableError } from '../lib/kafkajs/errors';
import { testBrokers, useBroker } from './brokers';
import { uniqueTopic } from './helpers';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise with its resolve, for handlers a test holds and lets go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Resolves when `count()` reaches `n` (checked each time `tick` is called by a handler). */
function counter(n: number): { tick: () => void; reached: Promise<void>; get value(): number } {
  let value = 0;
  let done!: () => void;
  const reached = new Promise<void>((resolve) => (done = resolve));
  return {
    tick() {
      value++;
      if (value >= n) done();
    },
    reached,
    get value() {
      return value;
    },
  };
}

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  let producer: Producer;
  let admin: Admin;
  const open: KafkaJSConsumer[] = [];
  beforeAll(() => {
    producer = new Producer({ 'bootstrap.servers': broker.bootstrapServers }, { logger: silentLogger });
    admin = new Admin({ 'bootstrap.servers': broker.bootstrapServers });
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.disconnect()));
    await producer.close();
    await admin.close();
  });

  function context(confluentShape = false): ClientContext {
    return { config: { 'bootstrap.servers': broker.bootstrapServers, ...(process.env.KJS_DEBUG ? { debug: 'cgrp' } : {}) }, logger: process.env.KJS_DEBUG ? streamLogger('debug') : silentLogger, retry: {}, confluentShape };
  }

  /** What `kafka.consumer(config)` makes; short sessions so that the embedded broker's joins are quick. */
  function kafkaConsumer(config: ConsumerConfig, confluentShape = false): KafkaJSConsumer {
    const consumer = new KafkaJSConsumer(context(confluentShape), confluentShape ? config : { sessionTimeout: 6000, heartbeatInterval: 500, ...config });
    open.push(consumer);
    return consumer;
  }
  const kafka = { consumer: (config: ConsumerConfig) => kafkaConsumer(config) };

  /** `count` messages keyed k<i>, value "<i>", spread over the partitions in turn. */
  async function fill(topic: string, count: number, partitions = 1, from = 0): Promise<void> {
    await producer.sendBatch(Array.from({ length: count }, (_, j) => ({ topic, key: `k${from + j}`, payload: `${from + j}`, partition: (from + j) % partitions, headers: [['source', 'test'] as [string, string]] })));
  }

  async function topicWith(count: number, partitions = 1, prefix = 'kjs'): Promise<string> {
    const topic = uniqueTopic(prefix);
    await broker.createTopic(topic, partitions);
    if (count > 0) await fill(topic, count, partitions);
    return topic;
  }

  async function committed(groupId: string, topic: string, partition = 0): Promise<number | undefined> {
    const [offset] = await admin.groupOffsets(groupId, [{ topic, partition }]);
    return offset.offset;
  }

  describe("kafkajs's documented examples", () => {
    // The client as kafkajs's docs make it (kafkajs's default session and heartbeat times); only quiet.
    let kafka: Kafka;
    beforeAll(() => {
      kafka = new Kafka({ clientId: 'my-app', brokers: [broker.bootstrapServers], logLevel: logLevel.NOTHING });
    });

    it('Getting Started: the producer sends "Hello KafkaJS user!" and the consumer logs it', async () => {
      const topic = await topicWith(0);
      const logged = gate();
      const log = vi.spyOn(console, 'log').mockImplementation(() => logged.open());
      try {
        const producer = kafka.producer();

        await producer.connect();
        await producer.send({
          topic,
          messages: [
            { value: 'Hello KafkaJS user!' },
          ],
        });

        await producer.disconnect();

        const consumer = kafka.consumer({ groupId: uniqueTopic('test-group') });

        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });

        await consumer.run({
          eachMessage: async ({ topic, partition, message }) => {
            console.log({
              value: message.value!.toString(),
            });
          },
        });
        await logged.promise;
        expect(log.mock.calls).toEqual([[{ value: 'Hello KafkaJS user!' }]]);
        await consumer.disconnect();
      } finally {
        log.mockRestore();
      }
    });

    it('Examples, Producer: sendMessage sends a random number of GZIP messages and logs their RecordMetadata', async () => {
      const topic = await topicWith(0);
      const sent = gate();
      const log = vi.spyOn(console, 'log').mockImplementation(() => sent.open());
      try {
        const producer = kafka.producer();

        const getRandomNumber = () => Math.round(Math.random() * 1000); // the page's Math.random(10): TypeScript takes no argument
        const createMessage = (num: number) => ({
          key: `key-${num}`,
          value: `value-${num}-${new Date().toISOString()}`,
        });

        const count = getRandomNumber();
        const sendMessage = () => {
          return producer
            .send({
              topic,
              compression: CompressionTypes.GZIP,
              messages: Array(count)
                .fill(undefined)
                .map(_ => createMessage(getRandomNumber())),
            })
            .then(console.log)
            .catch(e => console.error(`[example/producer] ${e.message}`, e));
        };

        const run = async () => {
          await producer.connect();
          await sendMessage(); // the page sends every 3 s: setInterval(sendMessage, 3000)
        };
        await run();
        await sent.promise;
        expect(log.mock.calls).toEqual([[count === 0 ? [] : [{ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0', logAppendTime: '-1', logStartOffset: expect.any(String) }]]]);
        const kafkaAdmin = kafka.admin();
        const [{ high }] = await kafkaAdmin.fetchTopicOffsets(topic);
        await kafkaAdmin.disconnect();
        expect(high).toBe(String(count));
        await producer.disconnect();
      } finally {
        log.mockRestore();
      }
    });

    it('Examples, Consumer: each message is logged as topic[partition | offset] / timestamp key#value', async () => {
      const topic = await topicWith(3);
      const logged = counter(3);
      const log = vi.spyOn(console, 'log').mockImplementation(() => logged.tick());
      try {
        const consumer = kafka.consumer({ groupId: uniqueTopic('test-group') });

        const run = async () => {
          await consumer.connect();
          await consumer.subscribe({ topic, fromBeginning: true });
          await consumer.run({
            eachMessage: async ({ topic, partition, message }) => {
              const prefix = `${topic}[${partition} | ${message.offset}] / ${message.timestamp}`;
              console.log(`- ${prefix} ${message.key}#${message.value}`);
            },
          });
        };

        await run();
        await logged.reached;
        expect(log.mock.calls.map(([line]) => String(line).replace(/\/ \d+ /, '/ T '))).toEqual([0, 1, 2].map((i) => `- ${topic}[0 | ${i}] / T k${i}#${i}`));
        await consumer.disconnect();
      } finally {
        log.mockRestore();
      }
    });

    it('eachMessage (docs: Consuming, eachMessage) logs every message with key, value and headers', async () => {
      const topic = await topicWith(5);
      const logged = counter(5);
      const log = vi.spyOn(console, 'log').mockImplementation(() => logged.tick());
      try {
        const consumer = kafka.consumer({ groupId: uniqueTopic('my-group') });
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ topic, partition, message }) => {
            console.log({
              key: message.key!.toString(),
              value: message.value!.toString(),
              headers: message.headers,
            });
          },
        });
        await logged.reached;
        expect(log.mock.calls.map(([entry]) => entry)).toEqual(
          Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `${i}`, headers: { source: Buffer.from('test') } })),
        );
        await consumer.disconnect();
      } finally {
        log.mockRestore();
      }
    });

    it("eachBatch's messages have kafkajs's shape exactly: null and empty keys and values, repeated headers, offset and timestamp as strings", async () => {
      const topic = uniqueTopic('kjs-shape');
      await broker.createTopic(topic, 1);
      const at = 1_700_000_000_000;
      await producer.sendBatch([
        { topic, partition: 0, key: null, payload: null, timestamp: at },
        { topic, partition: 0, key: Buffer.alloc(0), payload: Buffer.alloc(0), timestamp: at },
        { topic, partition: 0, key: 'k', payload: 'v', headers: [['h', 'a'], ['h', Buffer.from('b')], ['x', 'c']], timestamp: at + 1 },
        ...Array.from({ length: 5 }, (_, i) => ({ topic, partition: 0, key: `k${i}`, payload: `v${i}`, timestamp: at + 2 + i })),
      ]);
      const seen = counter(8);
      const messages: KafkaMessage[] = [];
      const consumer = kafka.consumer({ groupId: uniqueTopic('my-group') });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            messages.push(message);
            seen.tick();
          }
        },
      });
      await seen.reached;
      await consumer.disconnect();
      for (const message of messages) expect(Object.keys(message)).toEqual(['key', 'value', 'timestamp', 'attributes', 'offset', 'headers']);
      expect(messages.map((m) => [m.offset, m.timestamp, m.attributes, m.key, m.value, m.headers])).toEqual([
        ['0', String(at), 0, null, null, {}],
        ['1', String(at), 0, Buffer.alloc(0), Buffer.alloc(0), {}],
        ['2', String(at + 1), 0, Buffer.from('k'), Buffer.from('v'), { h: [Buffer.from('a'), Buffer.from('b')], x: Buffer.from('c') }],
        ...Array.from({ length: 5 }, (_, i) => [String(3 + i), String(at + 2 + i), 0, Buffer.from(`k${i}`), Buffer.from(`v${i}`), {}]),
      ]);
      // Each message has a headers object of its own (a handler may add to it).
      expect(new Set(messages.map((m) => m.headers)).size).toBe(messages.length);
    });

    it('eachBatch (docs: Consuming, eachBatch) sees every message with the batch and its high watermark, and commits them', async () => {
      const topic = await topicWith(20, 2);
      const groupId = uniqueTopic('my-group');
      const logged = counter(20);
      const log = vi.spyOn(console, 'log').mockImplementation(() => logged.tick());
      try {
        const consumer = kafka.consumer({ groupId });
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({
          eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
            for (let message of batch.messages) {
              console.log({
                topic: batch.topic,
                partition: batch.partition,
                highWatermark: batch.highWatermark,
                message: {
                  offset: message.offset,
                  key: message.key!.toString(),
                  value: message.value!.toString(),
                  headers: message.headers,
                },
              });

              resolveOffset(message.offset);
              await heartbeat();
            }
          },
        });
        await logged.reached;
        type Logged = { topic: string; partition: number; highWatermark: string; message: { offset: string; value: string } };
        const entries = log.mock.calls.map(([entry]) => entry as Logged);
        for (const partition of [0, 1]) {
          const mine = entries.filter((e) => e.partition === partition);
          expect(mine.map((e) => e.message.offset)).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
          expect(mine.map((e) => Number(e.message.value) % 2)).toEqual(Array(10).fill(partition));
          expect(mine.every((e) => e.topic === topic && e.highWatermark === '10')).toBe(true);
        }
        await consumer.disconnect();
        expect(await committed(groupId, topic, 0)).toBe(10);
        expect(await committed(groupId, topic, 1)).toBe(10);
      } finally {
        log.mockRestore();
      }
    });

    it('eachBatchAutoResolve: false (docs: eachBatch example) commits only what was resolved before stop', async () => {
      const topic = await topicWith(10);
      const groupId = uniqueTopic('my-group');
      const processed: string[] = [];
      const third = gate();
      const consumer = kafka.consumer({ groupId });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const processMessage = async (message: { offset: string }) => {
        processed.push(message.offset);
        if (processed.length === 3) third.open();
        if (processed.length >= 3) await sleep(200); // slow work: stop() comes meanwhile
      };
      consumer.run({
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          for (let message of batch.messages) {
            if (!isRunning() || isStale()) break;
            await processMessage(message);
            resolveOffset(message.offset);
            await heartbeat();
          }
        },
      });
      await third.promise;
      await consumer.stop(); // isRunning() turns false: the rest of the batch is left unresolved
      expect(processed).toEqual(['0', '1', '2']);
      expect(await committed(groupId, topic)).toBe(3);
      await consumer.disconnect();
    });

    it('pause and resume (docs: Pause & Resume) hold a topic while its dependency is throttled, and every message is processed once', async () => {
      const topic = await topicWith(6);
      class TooManyRequestsError extends Error {
        retryAfter = 0.3;
      }
      let throttled = false;
      const sent: string[] = [];
      const done = counter(6);
      let pausedWhileThrottled: unknown;
      const sendToDependency = async (message: { value: Buffer | null }) => {
        if (message.value!.toString() === '2' && !throttled) {
          throttled = true;
          throw new TooManyRequestsError('slow down');
        }
        sent.push(message.value!.toString());
        done.tick();
      };
      const consumer = kafka.consumer({ groupId: uniqueTopic('my-group'), retry: { initialRetryTime: 50 } });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });

      await consumer.run({ eachMessage: async ({ topic, message }) => {
          try {
              await sendToDependency(message);
          } catch (e) {
              if (e instanceof TooManyRequestsError) {
                  consumer.pause([{ topic }]);
                  pausedWhileThrottled = consumer.paused();
                  setTimeout(() => consumer.resume([{ topic }]), e.retryAfter * 1000);
              }

              throw e;
          }
      }});
      await done.reached;
      expect(sent).toEqual(['0', '1', '2', '3', '4', '5']);
      expect(pausedWhileThrottled).toEqual([{ topic, partitions: [0] }]);
      expect(consumer.paused()).toEqual([]);
      await consumer.disconnect();
    });

    it('seek (docs: Seek) right after run: the partition is read from the offset sought', async () => {
      const topic = await topicWith(10);
      const offsets: string[] = [];
      const done = counter(5);
      const consumer = kafka.consumer({ groupId: uniqueTopic('my-group') });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });

      // you don't need to await consumer#run
      consumer.run({ eachMessage: async ({ topic, message }) => { offsets.push(message.offset); done.tick(); } });
      consumer.seek({ topic, partition: 0, offset: 5 });
      await done.reached;
      expect(offsets).toEqual(['5', '6', '7', '8', '9']);
      await consumer.disconnect();
    });

    it('RegExp subscriptions: librdkafka regex for a plain RegExp, and the docs\' /topic-(eu|us)-.*/i against the topics there are', async () => {
      const eu = await topicWith(2, 1, 'topic-EU');
      const us = await topicWith(3, 1, 'topic-us');
      const other = await topicWith(1, 1, 'topic-asia');
      const seen = new Map<string, number>();
      const done = counter(5);
      const consumer = kafka.consumer({ groupId: uniqueTopic('my-group') });
      await consumer.connect();
      await consumer.subscribe({ topic: /topic-(eu|us)-.*/i, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ topic }) => { seen.set(topic, (seen.get(topic) ?? 0) + 1); done.tick(); } });
      await done.reached;
      await consumer.disconnect();
      expect(seen.get(eu)).toBe(2);
      expect(seen.get(us)).toBe(3);
      expect(seen.has(other)).toBe(false);

      const plain = kafka.consumer({ groupId: uniqueTopic('my-group') });
      const got: string[] = [];
      const both = counter(3);
      await plain.subscribe({ topics: [new RegExp(`${us.slice(-8)}$`)], fromBeginning: true }); // unanchored, as RegExp.test matches
      await plain.run({ eachMessage: async ({ topic, message }) => { got.push(`${topic}:${message.value}`); both.tick(); } });
      await both.reached;
      expect(got).toEqual([`${us}:0`, `${us}:1`, `${us}:2`]);
      await plain.disconnect();
    });
  });

  describe('semantics', () => {
    it('eachMessage never runs twice at once for one partition; partitions read together run up to partitionsConsumedConcurrently at once', async () => {
      // The handlers run what one read holds, and one broker's fetch holds all its partitions: on the
      // embedded broker's three brokers the partitions share one leader, as on the real single broker.
      // (Partitions led by different brokers come in different reads when their fetches come apart.)
      const topic = uniqueTopic('kjs');
      await broker.createTopic(topic, 3);
      for (const p of [0, 1, 2]) broker.mock?.setPartitionLeader(topic, p, 1);
      await fill(topic, 30, 3);
      const active = new Map<number, number>();
      let running = 0;
      let most = 0;
      let mostPerPartition = 0;
      const order = new Map<number, number[]>();
      const done = counter(30);
      const consumer = kafka.consumer({ groupId: uniqueTopic('g') });
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        partitionsConsumedConcurrently: 2,
        eachMessage: async ({ partition, message }: EachMessagePayload) => {
          active.set(partition, (active.get(partition) ?? 0) + 1);
          running++;
          most = Math.max(most, running);
          mostPerPartition = Math.max(mostPerPartition, active.get(partition)!);
          await sleep(20); // I/O: the other partition's handler runs meanwhile
          (order.get(partition) ?? order.set(partition, []).get(partition)!).push(Number(message.offset));
          active.set(partition, active.get(partition)! - 1);
          running--;
          done.tick();
        },
      });
      await done.reached;
      await consumer.disconnect();
      expect(mostPerPartition).toBe(1);
      expect(most).toBe(2);
      for (const p of [0, 1, 2]) expect(order.get(p)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    });

    it('a handler that throws is retried from the failed message with backoff; the messages before it are not handed again', async () => {
      const topic = await topicWith(6);
      const calls: string[] = [];
      const done = counter(6);
      let failures = 0;
      const consumer = kafka.consumer({ groupId: uniqueTopic('g'), retry: { initialRetryTime: 50, retries: 5 } });
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          calls.push(message.offset);
          if (message.offset === '3' && failures < 2) {
            failures++;
            throw new Error('the database is away');
          }
          done.tick();
        },
      });
      await done.reached;
      expect(calls).toEqual(['0', '1', '2', '3', '3', '3', '4', '5']);
      await consumer.disconnect();
    });

    it('past its retries the consumer crashes (CRASH, restart false when restartOnFailure says so), having committed only what its handler finished', async () => {
      const topic = await topicWith(8);
      const groupId = uniqueTopic('g');
      const calls: string[] = [];
      const consumer = kafka.consumer({ groupId, retry: { initialRetryTime: 20, retries: 2, restartOnFailure: async () => false } });
      const crashed = new Promise<InstrumentationEvent<unknown>>((resolve) => consumer.on(consumer.events.CRASH, resolve));
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          calls.push(message.offset);
          if (message.offset === '4') throw new Error('poison message');
        },
      });
      const event = await crashed;
      const payload = event.payload as { error: Error; groupId: string; restart: boolean };
      expect(event.type).toBe('consumer.crash');
      expect(payload.groupId).toBe(groupId);
      expect(payload.restart).toBe(false);
      expect(payload.error.name).toBe('KafkaJSNumberOfRetriesExceeded');
      expect(calls).toEqual(['0', '1', '2', '3', '4', '4', '4']); // the first attempt and 2 retries
      expect(await committed(groupId, topic)).toBe(4);
      await consumer.disconnect();
    });

    it('a TypeError in the handler is not retried: the consumer crashes at once', async () => {
      const topic = await topicWith(2);
      const consumer = kafka.consumer({ groupId: uniqueTopic('g') });
      const crashed = new Promise<InstrumentationEvent<unknown>>((resolve) => consumer.on(consumer.events.CRASH, resolve));
      let calls = 0;
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          calls++;
          (message as unknown as { nothing: { here: number } }).nothing.here; // a bug: TypeError
        },
      });
      const { payload } = (await crashed) as InstrumentationEvent<{ error: Error; restart: boolean }>;
      expect(payload.error.name).toBe('KafkaJSNonRetriableError');
      expect(payload.restart).toBe(false);
      expect(calls).toBe(1);
      await consumer.disconnect();
    });

    it('disconnect waits for the running handler, then commits what it finished and leaves', async () => {
      const topic = await topicWith(5);
      const groupId = uniqueTopic('g');
      const inHandler = gate();
      const release = gate();
      const events: string[] = [];
      const consumer = kafka.consumer({ groupId });
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          if (message.offset === '2') {
            inHandler.open();
            await release.promise;
            events.push('handler 2 done');
          }
        },
      });
      await inHandler.promise;
      const disconnected = consumer.disconnect().then(() => events.push('disconnected'));
      await sleep(300); // the handler is still held: disconnect must not have finished
      events.push('released');
      release.open();
      await disconnected;
      expect(events).toEqual(['released', 'handler 2 done', 'disconnected']);
      expect(await committed(groupId, topic)).toBe(3);
    });

    it('a second member joining while a handler runs: no partition is handled by two members at once, and none is lost', async () => {
      const topic = await topicWith(0, 2);
      const groupId = uniqueTopic('g');
      const holder = new Map<number, string>();
      const seen: number[] = [];
      let overlaps = 0;
      const unique = new Set<number>();
      const all = counter(40);
      const firstHeld = gate();
      const handler = (member: string) => async ({ partition, message }: EachMessagePayload) => {
        if (holder.has(partition)) overlaps++;
        holder.set(partition, member);
        if (member === 'a' && message.value!.toString() === '0') await firstHeld.promise; // a slow first message
        const value = Number(message.value!.toString());
        seen.push(value);
        holder.delete(partition);
        if (!unique.has(value)) {
          unique.add(value);
          all.tick();
        }
      };
      const a = kafka.consumer({ groupId });
      const aJoined = new Promise((resolve) => a.on(a.events.GROUP_JOIN, resolve));
      await a.subscribe({ topic, fromBeginning: true });
      await a.run({ eachMessage: handler('a') });
      await aJoined;
      await fill(topic, 20, 2);
      const b = kafka.consumer({ groupId });
      const bJoined = new Promise((resolve) => b.on(b.events.GROUP_JOIN, resolve));
      await b.subscribe({ topic, fromBeginning: true });
      await b.run({ eachMessage: handler('b') });
      setTimeout(firstHeld.open, 1500); // a's slow message ends while b waits to join
      await bJoined;
      await fill(topic, 20, 2, 20);
      await all.reached;
      await Promise.all([a.disconnect(), b.disconnect()]);
      expect(overlaps).toBe(0);
      const twice = seen.filter((v, i) => seen.indexOf(v) !== i);
      // Kafka takes a member's commit while the group prepares a rebalance; the embedded broker
      // refuses it (REBALANCE_IN_PROGRESS), so there the first 20 may come twice (at least once).
      if (broker.name === 'kafka') expect(twice).toEqual([]);
      else expect(twice.every((v) => v < 20)).toBe(true);
      expect(a.assignment().length + b.assignment().length).toBe(0); // both left
    });

    it('a member that leaves mid-batch: its handler finishes, its offsets are committed, the other member goes on from there', async () => {
      const topic = await topicWith(0, 2);
      const groupId = uniqueTopic('g');
      const seen: string[] = [];
      const all = counter(20);
      const aInHandler = gate();
      const release = gate();
      const a = kafka.consumer({ groupId });
      const b = kafka.consumer({ groupId });
      const joined = Promise.all([a, b].map((c) => new Promise((resolve) => c.on(c.events.GROUP_JOIN, resolve))));
      for (const c of [a, b]) await c.subscribe({ topic, fromBeginning: true });
      await a.run({
        eachMessage: async ({ message }) => {
          if (message.value!.toString() === '4' || message.value!.toString() === '5') {
            aInHandler.open();
            await release.promise;
          }
          seen.push(message.value!.toString());
          all.tick();
        },
      });
      await b.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); all.tick(); } });
      await joined;
      await fill(topic, 20, 2);
      await Promise.race([aInHandler.promise, all.reached]);
      const left = a.disconnect();
      release.open();
      await left;
      await all.reached;
      expect([...seen].sort((x, y) => Number(x) - Number(y))).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
      await b.disconnect();
    });
  });

  describe('run options and the eachBatch helpers', () => {
    it('autoCommitThreshold commits between the messages of a batch: while message 5 is held, 0-3 are committed', async () => {
      const topic = await topicWith(8);
      const groupId = uniqueTopic('g');
      const held = gate();
      const release = gate();
      const consumer = kafka.consumer({ groupId });
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommitThreshold: 2,
        eachMessage: async ({ message }) => {
          if (message.offset === '5') {
            held.open();
            await release.promise;
          }
        },
      });
      await held.promise;
      expect(await committed(groupId, topic)).toBe(4); // 0-1 and 2-3 made the threshold; 4 alone did not
      release.open();
      await consumer.disconnect(); // stops before message 6: the held one ends and is committed
      expect(await committed(groupId, topic)).toBe(6);
    });

    it('a backlog is committed once per fetch\'s worth (maxBytes), as kafkajs does, not once per read of 10,000: 100,000 messages of 100 B in a few commits, all committed', async () => {
      const count = 100_000;
      const topic = uniqueTopic('kjs-backlog');
      await broker.createTopic(topic, 4);
      const payload = Buffer.alloc(100, 'x');
      await producer.sendBatch(Array.from({ length: count }, (_, i) => ({ topic, payload, partition: i % 4 })));
      const groupId = uniqueTopic('g');
      const consumer = kafka.consumer({ groupId });
      await consumer.subscribe({ topic, fromBeginning: true });
      let commits = 0;
      consumer.on(consumer.events.COMMIT_OFFSETS, () => commits++);
      const received = counter(count);
      await consumer.run({ eachBatch: async ({ batch }) => batch.messages.forEach(() => received.tick()) });
      await received.reached;
      await consumer.disconnect(); // commits what is left, if anything
      // 10 MB take 10 reads of 10,000 at least, a commit each before; under kafkajs's maxBytes
      // (10 MiB) now one when the reads caught up, and one per read that came short while
      // librdkafka was fetching (3 or 4 seen on either broker).
      expect(commits).toBeLessThan(10);
      for (let p = 0; p < 4; p++) expect(await committed(groupId, topic, p)).toBe(count / 4);
    });

    it("a fetch brings at most kafkajs's maxBytes (10 MiB) by default, not librdkafka's 50 MB; maxBytes, fetch.max.bytes and a larger message.max.bytes change it", async () => {
      // librdkafka's 'conf' debug lines list the properties its client was created with (by run()).
      const topic = await topicWith(0);
      const fetchMaxBytesOf = async (kafkaLevel: { [key: string]: unknown }, consumerLevel: { [key: string]: unknown }): Promise<string[]> => {
        const lines: string[] = [];
        const logCreator = () => (entry: { log: { message: string } }) => void lines.push(entry.log.message);
        const debugKafka = new Kafka({ kafkaJS: { brokers: [broker.bootstrapServers], logLevel: logLevel.DEBUG, logCreator }, debug: 'conf', ...kafkaLevel });
        const consumer = debugKafka.consumer({ kafkaJS: { groupId: uniqueTopic('g'), ...consumerLevel } });
        await consumer.connect();
        await consumer.subscribe({ topic });
        await consumer.run({ eachBatch: async () => {} });
        await consumer.disconnect();
        return lines.flatMap((line) => /fetch\.max\.bytes = (\d+)/.exec(line)?.[1] ?? []);
      };
      expect(await fetchMaxBytesOf({}, {})).toEqual(['10485760']);
      expect(await fetchMaxBytesOf({}, { maxBytes: 2_000_000 })).toEqual(['2000000']);
      expect(await fetchMaxBytesOf({ 'fetch.max.bytes': 30_000_000 }, {})).toEqual(['30000000']);
      // librdkafka refuses a fetch.max.bytes below message.max.bytes: the default follows it up.
      expect(await fetchMaxBytesOf({ 'message.max.bytes': 20_000_000 }, {})).toEqual(['20000000']);
    });

    it('eachBatch with autoCommit false: uncommittedOffsets shows what was resolved, commitOffsetsIfNecessary(offsets) commits it', async () => {
      const topic = await topicWith(6);
      const groupId = uniqueTopic('g');
      let uncommitted: unknown;
      let after: unknown;
      const done = gate();
      const consumer = kafka.consumer({ groupId });
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, uncommittedOffsets, commitOffsetsIfNecessary }) => {
          // The six records may come in more than one batch (as in kafkajs): act on the one with offset 2.
          const third = batch.messages.find((message) => message.offset === '2');
          if (third === undefined) return;
          resolveOffset(third.offset);
          uncommitted = uncommittedOffsets();
          await commitOffsetsIfNecessary(uncommittedOffsets());
          after = uncommittedOffsets();
          done.open();
        },
      });
      await done.promise;
      expect(uncommitted).toEqual({ topics: [{ topic, partitions: [{ partition: 0, offset: '3' }] }] });
      expect(after).toEqual({ topics: [] });
      expect(await committed(groupId, topic)).toBe(3);
      await consumer.stop();
      expect(await committed(groupId, topic)).toBe(3); // autoCommit false: stop commits nothing more
      await consumer.disconnect();
    });

    it('seek inside eachBatch makes the batch stale, and the partition is read again from the offset sought', async () => {
      const topic = await topicWith(5);
      const firsts: string[] = [];
      let staleAfterSeek: boolean | undefined;
      const twice = counter(2);
      const consumer = kafka.consumer({ groupId: uniqueTopic('g') });
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch, isStale }) => {
          firsts.push(batch.firstOffset()!);
          if (firsts.length === 1) {
            consumer.seek({ topic, partition: 0, offset: '3' });
            staleAfterSeek = isStale();
          }
          twice.tick();
        },
      });
      await twice.reached;
      await consumer.disconnect();
      expect(staleAfterSeek).toBe(true);
      expect(firsts.slice(0, 2)).toEqual(['0', '3']);
    });

    it('describeGroup: the group with its member and assignment as kafkajs decodes it (the embedded broker refuses the request)', async () => {
      const topic = await topicWith(1, 2);
      const groupId = uniqueTopic('g');
      const consumer = kafka.consumer({ groupId });
      const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async () => {} });
      await joined;
      if (broker.name === 'mock') {
        await expect(consumer.describeGroup()).rejects.toThrow(/does not support DescribeConsumerGroups/);
      } else {
        const { AssignerProtocol } = await import('kafkajs');
        const group = await consumer.describeGroup();
        expect(group).toMatchObject({ groupId, protocol: 'roundrobin', protocolType: 'consumer', state: 'Stable', errorCode: 0 });
        expect(group.members).toHaveLength(1);
        expect(AssignerProtocol.MemberAssignment.decode(group.members[0].memberAssignment)).toEqual({ version: 0, assignment: { [topic]: [0, 1] }, userData: Buffer.alloc(0) });
      }
      await consumer.disconnect();
    });
  });

  describe('stop and run again', () => {
    it('stop() leaves the group after committing; run() again goes on from there, and the payload pause() holds a partition until its resume()', async () => {
      const topic = await topicWith(6);
      const groupId = uniqueTopic('g');
      const values: string[] = [];
      const firstThree = counter(3);
      const consumer = kafka.consumer({ groupId });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => { values.push(message.value!.toString()); firstThree.tick(); if (values.length === 3) void consumer.stop(); } });
      await firstThree.reached;
      await consumer.stop();
      expect(values).toEqual(['0', '1', '2']);
      expect(await committed(groupId, topic)).toBe(3);

      let resume: (() => void) | undefined;
      const pausedAt3 = gate();
      const rest = counter(3);
      await consumer.run({
        eachMessage: async ({ message, pause }) => {
          values.push(message.value!.toString());
          rest.tick();
          if (message.value!.toString() === '3') {
            resume = pause();
            pausedAt3.open();
          }
        },
      });
      await pausedAt3.promise;
      expect(consumer.paused()).toEqual([{ topic, partitions: [0] }]);
      expect(values).toEqual(['0', '1', '2', '3']); // the rest of the batch waits for resume
      resume!();
      await rest.reached;
      expect(values).toEqual(['0', '1', '2', '3', '4', '5']);
      await consumer.disconnect();
    });
  });

  describe('brokers given as a function', () => {
    it('new Kafka({ brokers: async () => [...] }): the consumer asks them at connect() and reads from them', async () => {
      const topic = await topicWith(3);
      let asked = 0;
      const consumer = new Kafka({ brokers: async () => (asked++, [broker.bootstrapServers]), logLevel: logLevel.NOTHING }).consumer({ groupId: uniqueTopic('g'), sessionTimeout: 6000, heartbeatInterval: 500 });
      open.push(consumer);
      expect(asked).toBe(0);
      await consumer.connect();
      expect(asked).toBe(1);
      await consumer.subscribe({ topic, fromBeginning: true });
      const values: string[] = [];
      const read = counter(3);
      await consumer.run({ eachMessage: async ({ message }) => void (values.push(message.value!.toString()), read.tick()) });
      await read.reached;
      expect(values).toEqual(['0', '1', '2']);
      await consumer.disconnect();
    });

    it('a brokers function that throws: connect() rejects with a KafkaJSConnectionError naming what it threw', async () => {
      const consumer = new Kafka({ brokers: async () => { throw new Error('service discovery is down'); }, logLevel: logLevel.NOTHING }).consumer({ groupId: uniqueTopic('g') });
      const error = await consumer.connect().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(KafkaJSConnectionError);
      expect(error).toMatchObject({ retriable: true, message: 'Failed to connect: "config.brokers" threw: service discovery is down' });
    });
  });

  describe('Kafka errors', () => {
    it('a retriable error never ends run (Kafka: a subscribed topic that does not exist yet; embedded: every broker down a while)', async () => {
      // The embedded broker creates any topic asked for, so there the error is the brokers' absence.
      const embedded = broker.name === 'mock';
      const topic = embedded ? await topicWith(0) : uniqueTopic('later');
      const warnings: string[] = [];
      let reported!: () => void;
      const retriableError = new Promise<void>((resolve) => (reported = resolve));
      const expected = embedded ? /Connection refused|brokers are down|Disconnected|transport/i : new RegExp(`${topic}.*(not available|nknown topic)|(not available|nknown topic).*${topic}`);
      const logger = { ...silentLogger, warn: (_fields: object, message: string) => void (warnings.push(message), expected.test(message) && reported()) };
      const options = { groupId: uniqueTopic('g'), sessionTimeout: 6000, heartbeatInterval: 500, allowAutoTopicCreation: false, metadataMaxAge: 1000 };
      const consumer = new KafkaJSConsumer({ ...context(), logger }, options);
      open.push(consumer);
      const crashes: unknown[] = [];
      consumer.on(consumer.events.CRASH, (e) => void crashes.push(e));
      const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
      const done = counter(3);
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async () => done.tick() });
      if (embedded) {
        await joined;
        for (const id of [1, 2, 3]) broker.mock!.setBrokerDown(id);
        await retriableError;
        for (const id of [1, 2, 3]) broker.mock!.setBrokerUp(id);
      } else {
        await retriableError;
        await broker.createTopic(topic, 1);
      }
      await fill(topic, 3);
      await done.reached;
      expect(crashes).toEqual([]);
      await consumer.disconnect();
    });

    it('restartOnFailure true: after the crash the consumer rejoins and goes on from the committed offset', async () => {
      const topic = await topicWith(5);
      const groupId = uniqueTopic('g');
      const calls: string[] = [];
      const crashes: Array<{ restart: boolean }> = [];
      const done = counter(5);
      let restarted = false;
      const consumer = kafka.consumer({ groupId, retry: { initialRetryTime: 50, retries: 0, restartOnFailure: async () => (restarted = true) } });
      consumer.on(consumer.events.CRASH, (e) => void crashes.push(e.payload as { restart: boolean }));
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          calls.push(message.offset);
          if (message.offset === '2' && !restarted) throw new Error('not yet');
          done.tick();
        },
      });
      await done.reached;
      expect(crashes).toMatchObject([{ restart: true }]);
      expect(calls).toEqual(['0', '1', '2', '2', '3', '4']);
      await consumer.disconnect();
      expect(await committed(groupId, topic)).toBe(5);
    });

    it.skipIf(broker.name === 'mock')('a fatal error (a static member fenced by another with its group.instance.id) crashes run, with no restart', async () => {
      // The embedded broker of librdkafka 2.0.2 does not fence static members.
      const topic = await topicWith(1);
      const groupId = uniqueTopic('g');
      const first = kafka.consumer({ groupId, 'group.instance.id': 'static-1' });
      const crashed = new Promise<InstrumentationEvent<{ error: Error; restart: boolean }>>((resolve) => first.on(first.events.CRASH, (e) => resolve(e as InstrumentationEvent<{ error: Error; restart: boolean }>)));
      const firstJoined = new Promise((resolve) => first.on(first.events.GROUP_JOIN, resolve));
      await first.subscribe({ topic, fromBeginning: true });
      await first.run({ eachMessage: async () => {} });
      await firstJoined;
      const second = kafka.consumer({ groupId, 'group.instance.id': 'static-1' });
      await second.subscribe({ topic, fromBeginning: true });
      await second.run({ eachMessage: async () => {} });
      const { payload } = await crashed;
      expect(payload.restart).toBe(false);
      expect(payload.error.message).toMatch(/fenced|FENCED/i);
      await Promise.all([first.disconnect(), second.disconnect()]);
    });
  });

  describe('instrumentation events', () => {
    it('GROUP_JOIN, FETCH_START, FETCH, START/END_BATCH_PROCESS and COMMIT_OFFSETS carry kafkajs\'s payloads; on() returns a remover', async () => {
      const topic = await topicWith(4);
      const groupId = uniqueTopic('g');
      const consumer = kafka.consumer({ groupId });
      const seen = new Map<string, InstrumentationEvent<unknown>[]>();
      for (const name of Object.values(consumer.events)) consumer.on(name, (e) => void (seen.get(name) ?? seen.set(name, []).get(name)!).push(e));
      let fetches = 0;
      const remove = consumer.on(consumer.events.FETCH, () => void fetches++);
      const committedAll = new Promise((resolve) => consumer.on(consumer.events.COMMIT_OFFSETS, resolve));
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachBatch: async () => {} });
      await committedAll;
      remove();
      const fetchesThen = fetches;
      await consumer.disconnect();
      expect(fetches).toBe(fetchesThen);
      expect(seen.get('consumer.connect')).toHaveLength(1);
      const join = seen.get('consumer.group_join')![0] as InstrumentationEvent<{ groupId: string; memberAssignment: object; groupProtocol: string; duration: number }>;
      expect(join.type).toBe('consumer.group_join');
      expect(join.payload).toMatchObject({ groupId, memberAssignment: { [topic]: [0] }, groupProtocol: 'RoundRobinAssigner' });
      expect(join.payload.duration).toBeGreaterThanOrEqual(0);
      const start = seen.get('consumer.start_batch_process')![0].payload;
      expect(start).toEqual({ topic, partition: 0, highWatermark: '4', offsetLag: '0', offsetLagLow: '3', batchSize: 4, firstOffset: '0', lastOffset: '3' });
      const end = seen.get('consumer.end_batch_process')![0].payload as { duration: number };
      expect(end).toMatchObject({ ...(start as object), duration: end.duration });
      expect(seen.get('consumer.commit_offsets')![0].payload).toMatchObject({ groupId, topics: [{ topic, partitions: [{ partition: 0, offset: '4' }] }] });
      expect(seen.get('consumer.fetch_start')!.length).toBeGreaterThan(0);
      expect(seen.get('consumer.stop')).toHaveLength(1);
      expect(seen.get('consumer.disconnect')).toHaveLength(1);
      const ids = [...seen.values()].flat().map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
    });
  });

  describe('the @confluentinc/kafka-javascript shape', () => {
    it('fromBeginning and autoCommit in the kafkaJS block, librdkafka properties next to it; assignment() and committed()', async () => {
      const topic = await topicWith(3);
      const groupId = uniqueTopic('g');
      const consumer = kafkaConsumer({ kafkaJS: { groupId, fromBeginning: true, autoCommit: false }, 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500 }, true);
      const done = counter(3);
      await consumer.connect();
      await consumer.subscribe({ topics: [topic] });
      await consumer.run({ eachMessage: async () => done.tick() });
      await done.reached;
      expect(consumer.assignment()).toEqual([{ topic, partition: 0 }]);
      expect(await consumer.committed()).toEqual([{ topic, partition: 0, offset: '-1', metadata: null }]);
      await consumer.commitOffsets([{ topic, partition: 0, offset: '2' }]);
      expect(await consumer.committed([{ topic, partition: 0 }])).toEqual([{ topic, partition: 0, offset: '2', metadata: null }]);
      await consumer.disconnect();
      expect(await committed(groupId, topic)).toBe(2); // autoCommit false: only the explicit commit
    });
  });

  describe('bad input is a kafkajs error that says what was wrong', () => {
    it('run twice, subscribe after run, a handler that is not a function, no handler, unknown options and event names', async () => {
      const topic = await topicWith(0);
      expect(() => kafkaConsumer({} as ConsumerConfig)).toThrow(new KafkaJSNonRetriableError('Consumer groupId must be a non-empty string.'));
      expect(() => kafkaConsumer({ groupId: 'g', sesionTimeout: 100 })).toThrow(/Unknown consumer option 'sesionTimeout'/);
      expect(() => kafkaConsumer({ groupId: 'g', sessionTimeout: 3000, heartbeatInterval: 3000 })).toThrow(/heartbeatInterval \(3000\) must be lower than sessionTimeout/);
      expect(() => kafkaConsumer({ groupId: 'g', partitionAssigners: [() => ({ name: 'MyAssigner' })] })).toThrow(/No supported partition assigner/);
      const consumer = kafka.consumer({ groupId: uniqueTopic('g') });
      expect(() => consumer.on('consumer.nothing' as never, () => {})).toThrow(/Event name should be one of consumer.events.HEARTBEAT/);
      await expect(consumer.subscribe({ topics: [42 as unknown as string] })).rejects.toThrow(/Invalid topic 42 \(number\)/);
      await expect(consumer.subscribe({ topic: '^orders.*' })).rejects.toThrow(/Invalid topic '\^orders.\*': a topic name may contain only ASCII letters, digits, '.', '_' and '-', not '\^' \(at position 0\)/);
      expect(() => kafkaConsumer({ groupId: 'g', sessionTimeout: '30s' as unknown as number })).toThrow(/sessionTimeout must be a non-negative integer \(received 30s\)/);
      const mixed = kafka.consumer({ groupId: uniqueTopic('g') });
      await mixed.subscribe({ topic: uniqueTopic('other'), fromBeginning: true });
      await expect(mixed.subscribe({ topic })).rejects.toThrow(/fromBeginning: false after one with fromBeginning: true/);
      expect(() => consumer.seek({ topic, partition: 0, offset: '0' })).toThrow(/consumer#run must be called first/);
      await consumer.subscribe({ topic });
      await expect(consumer.run({ eachMessage: 'print it' as never })).rejects.toThrow(new KafkaJSNonRetriableError('eachMessage must be a function (received string)'));
      await expect(consumer.run({})).rejects.toThrow(/needs an eachMessage or an eachBatch handler/);
      await consumer.run({ eachMessage: async () => {} });
      const twice = consumer.run({ eachMessage: async () => {} });
      await expect(twice).rejects.toBeInstanceOf(KafkaJSNonRetriableError);
      await expect(twice).rejects.toThrow(/already running/);
      await expect(consumer.subscribe({ topic })).rejects.toThrow(new KafkaJSNonRetriableError('Cannot subscribe to topic while consumer is running'));
      expect(() => consumer.seek({ topic, partition: 0, offset: 'soon' })).toThrow(/Invalid offset, expected a long received soon/);
      expect(() => consumer.pause([{ topic, partitions: ['all' as unknown as number] }])).toThrow(/Array of valid partitions required to pause/);
      await consumer.disconnect();
    });
  });
});
