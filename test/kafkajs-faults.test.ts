// The kafkajs facade through a broker restart, on a real single-node Kafka 3.9.1 that this file
// starts (the run's shared broker serves other files meanwhile): a consumer's run() goes on and
// handles every message once, none again after its commit; a producer's sends made while the
// broker is down resolve once it is back, each message written once, and one whose
// message.timeout.ms passes meanwhile rejects as kafkajs's does. It runs in every mode,
// RDKAFKA_TEST_BROKERS=mock included, since it starts its own broker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Consumer, Producer, silentLogger } from '../lib';
import { Kafka, KafkaJSNumberOfRetriesExceeded, logLevel, type ConsumerCommitOffsetsEvent, type ConsumerCrashEvent, type RecordMetadata } from '../lib/kafkajs';
import { startKafka as startKafkaUntyped } from '../scripts/kafka/broker.mjs';
import { consumeCount, consumerConfig, uniqueTopic } from './helpers';

interface KafkaNode {
  bootstrapServers: string;
  nodes: Array<{ id: number; pid: number | null }>;
  stop(): Promise<void>;
  kill(id: number, signal?: NodeJS.Signals): boolean;
  restart(id: number): Promise<unknown>;
}
const startKafka = startKafkaUntyped as (options: { nodes: number; timeoutMs?: number }) => Promise<KafkaNode>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a broker restart (real Kafka, a node of its own)', () => {
  let broker: KafkaNode;
  let admin: Admin;
  let producer: Producer;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startKafka({ nodes: 1, timeoutMs: 180_000 });
    admin = new Admin({ 'bootstrap.servers': broker.bootstrapServers }, { logger: silentLogger });
    producer = new Producer({ 'bootstrap.servers': broker.bootstrapServers }, { logger: silentLogger });
    kafka = new Kafka({ clientId: 'restart-test', brokers: [broker.bootstrapServers], logLevel: logLevel.NOTHING });
  }, 240_000);

  afterAll(async () => {
    await producer?.close();
    await admin?.close();
    await broker?.stop();
  });

  /** Every value of a one-partition topic, read without a group. */
  async function valuesOn(topic: string, count: number): Promise<string[]> {
    const reader = new Consumer(consumerConfig(broker.bootstrapServers, uniqueTopic('reader')));
    reader.assign([{ topic, partition: 0 }]);
    try {
      return (await consumeCount(reader, count, 60_000)).map((r) => r.value()!);
    } finally {
      await reader.close();
    }
  }

  it("the consumer's run() goes on through it: every message handled once, none again after its commit, no crash", async () => {
    const topic = uniqueTopic('kjs-restart-consume');
    await admin.createTopics({ name: topic, partitions: 1, replicationFactor: 1 });
    const groupId = uniqueTopic('kjs-restart-group');
    await producer.sendBatch(Array.from({ length: 10 }, (_, i) => ({ topic, partition: 0, payload: String(i) })));

    const consumer = kafka.consumer({ groupId });
    const handled: string[] = [];
    let allHandled!: () => void;
    const twenty = new Promise<void>((resolve) => (allHandled = resolve));
    const crashes: ConsumerCrashEvent[] = [];
    consumer.on(consumer.events.CRASH, (event) => void crashes.push(event));
    let firstTenCommitted!: () => void;
    const committedTen = new Promise<void>((resolve) => (firstTenCommitted = resolve));
    consumer.on(consumer.events.COMMIT_OFFSETS, (event: ConsumerCommitOffsetsEvent) => {
      if (event.payload.topics.some((t) => t.topic === topic && t.partitions.some((p) => p.offset === '10'))) firstTenCommitted();
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        handled.push(message.value!.toString());
        if (handled.length === 20) allHandled();
      },
    });
    await committedTen;
    expect(handled).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));

    await broker.restart(1); // SIGTERM, then the same node on the same ports and data
    await producer.sendBatch(Array.from({ length: 10 }, (_, i) => ({ topic, partition: 0, payload: String(10 + i) })));
    await twenty;
    await consumer.disconnect();

    expect(handled).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(crashes).toEqual([]);
    const [committed] = await admin.groupOffsets(groupId, [{ topic, partition: 0 }]);
    expect(committed.offset).toBe(20);
  }, 240_000);

  it("the producer's sends made while the broker is down resolve once it is back, each written once; one past its message.timeout.ms rejects, never hangs", async () => {
    const topic = uniqueTopic('kjs-restart-produce');
    await admin.createTopics({ name: topic, partitions: 1, replicationFactor: 1 });
    const kjsProducer = kafka.producer();
    await kjsProducer.connect();
    await kjsProducer.send({ topic, messages: [{ value: 'before' }] });
    // @confluentinc/kafka-javascript's shape: a librdkafka property beside the kafkaJS block.
    const impatient = kafka.producer({ kafkaJS: {}, 'message.timeout.ms': 3000 });
    await impatient.connect();

    expect(broker.kill(1, 'SIGKILL')).toBe(true);
    while (broker.nodes[0].pid !== null) await sleep(20); // the broker process is gone
    const sends = Array.from({ length: 10 }, (_, i) =>
      kjsProducer.send({ topic, messages: [{ value: `during-${i}` }] }).then(
        (metadata: RecordMetadata[]) => ({ metadata }),
        (error: unknown) => ({ error }),
      ),
    );
    const gaveUp = await impatient.send({ topic, messages: [{ value: 'given up' }] }).then(
      () => new Error('expected a rejection'),
      (error: unknown) => error,
    );
    await broker.restart(1);
    const outcomes = await Promise.all(sends);
    await kjsProducer.disconnect();
    await impatient.disconnect();

    // Past its message.timeout.ms: kafkajs's KafkaJSNumberOfRetriesExceeded, caused by a retriable error.
    expect(gaveUp).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded);
    expect((gaveUp as KafkaJSNumberOfRetriesExceeded).cause).toMatchObject({ retriable: true });

    // The outage is far shorter than librdkafka's message.timeout.ms (300 s): no send has to fail.
    expect(outcomes.flatMap((o) => ('error' in o ? [o.error] : []))).toEqual([]);
    expect(outcomes.map((o) => ('metadata' in o ? o.metadata[0].partition : -1))).toEqual(Array(10).fill(0));
    const values = await valuesOn(topic, 11);
    expect(values[0]).toBe('before');
    expect(values.slice(1).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `during-${i}`).sort());
    const kjsAdmin = kafka.admin();
    expect(await kjsAdmin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: '11', high: '11', low: '0' }]); // nothing written twice
    await kjsAdmin.disconnect();
  }, 240_000);
});
