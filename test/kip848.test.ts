// KIP-848's consumer group protocol (group.protocol=consumer): the broker, not a member, assigns
// the partitions. On a librdkafka where it is production-ready (2.12.0 and later: `npm run
// test:librdkafka-latest`) this file starts a Kafka 4.1.1 node of its own (Kafka 3.9.1, the run's
// broker, does not take the protocol's heartbeats) and follows a group through joining, reading,
// committing and a rebalance. On a librdkafka that lacks the property (before 2.4.0, e.g. Debian's
// 2.0.2 under `npm test`), setting it is an error naming the version that adds it, on both brokers;
// no Kafka 4.1.1 is started then.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Consumer, KafkaError, librdkafkaVersion, Producer, type Record, type RebalanceEvent, type TopicPartition } from '../lib';
import { LATEST_KAFKA_VERSION, startKafka as startKafkaUntyped } from '../scripts/kafka/broker.mjs';
import { testBrokers, useBroker } from './brokers';
import { uniqueTopic } from './helpers';

/** librdkafka 2.4.0 added group.protocol; 2.12.0 made group.protocol=consumer generally available. */
const hasGroupProtocol = librdkafkaVersion().hex >= 0x020400ff;
const hasConsumerProtocol = librdkafkaVersion().hex >= 0x020c00ff;

const startKafka = startKafkaUntyped as (options: { nodes?: number; version?: string }) => Promise<{ bootstrapServers: string; version: string; stop(): Promise<void> }>;
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
const byPartition = (a: TopicPartition, b: TopicPartition) => a.partition - b.partition;

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);

  it.runIf(!hasGroupProtocol)(`on librdkafka ${librdkafkaVersion().text}, group.protocol=consumer is a KafkaError naming the property and librdkafka 2.4.0 / 2.12.0`, () => {
    const config = { 'bootstrap.servers': broker.bootstrapServers, 'group.id': uniqueTopic('g'), 'group.protocol': 'consumer' };
    const error = (() => {
      try {
        return new Consumer(config, [uniqueTopic('kip848')]);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(KafkaError);
    expect(error).toMatchObject({ code: -186 });
    expect((error as KafkaError).message).toBe(
      `Unknown configuration property 'group.protocol' (group.protocol needs librdkafka 2.4.0 or newer, and group.protocol=consumer (KIP-848) is production-ready from 2.12.0; the librdkafka loaded is ${librdkafkaVersion().text})`,
    );
  });
});

describe.runIf(hasConsumerProtocol)(`group.protocol=consumer on a Kafka ${LATEST_KAFKA_VERSION} broker`, () => {
  let kafka: { bootstrapServers: string; stop(): Promise<void> };
  let admin: Admin;
  let producer: Producer;
  const open: Consumer[] = [];

  beforeAll(async () => {
    const started = performance.now();
    kafka = await startKafka({ version: LATEST_KAFKA_VERSION });
    console.log(`Kafka ${LATEST_KAFKA_VERSION} at ${kafka.bootstrapServers} ready in ${seconds(started)}`);
    admin = new Admin({ 'bootstrap.servers': kafka.bootstrapServers });
    producer = new Producer({ 'bootstrap.servers': kafka.bootstrapServers });
  }, 240_000);

  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await producer?.close();
    await admin?.close();
    const stopping = performance.now();
    await kafka?.stop();
    console.log(`Kafka ${LATEST_KAFKA_VERSION} stopped in ${seconds(stopping)}`);
  });

  /** A consumer of the new protocol (no session.timeout.ms or heartbeat.interval.ms: the broker sets those). */
  function consumer(group: string, topic: string, events: RebalanceEvent[] = []): Consumer {
    const c = new Consumer(
      { 'bootstrap.servers': kafka.bootstrapServers, 'group.id': group, 'group.protocol': 'consumer', 'auto.offset.reset': 'earliest', 'enable.auto.commit': false },
      [topic],
      { onRebalance: (event) => events.push(event) },
    );
    open.push(c);
    return c;
  }

  async function close(c: Consumer): Promise<void> {
    open.splice(open.indexOf(c), 1);
    await c.close();
  }

  /** Reads from every consumer, each record kept with the index of the one that read it, until `done` holds. */
  async function readUntil(consumers: Consumer[], done: (read: [number, Record][]) => boolean, deadlineMs = 60_000): Promise<[number, Record][]> {
    const read: [number, Record][] = [];
    const deadline = performance.now() + deadlineMs;
    while (!done(read) && performance.now() < deadline) {
      const records = await Promise.all(consumers.map((c) => c.consumeRecord(200)));
      records.forEach((record, i) => record && read.push([i, record]));
    }
    return read;
  }

  async function produceToEach(topic: string, partitions: number, label: string): Promise<void> {
    for (let partition = 0; partition < partitions; partition++) await producer.send({ topic, partition, payload: `${label}-${partition}` });
  }

  it('a member joins, the broker assigns it every partition, it reads and commits; the group is listed with type consumer', async () => {
    const topic = uniqueTopic('kip848');
    const group = uniqueTopic('g848');
    await admin.createTopics({ name: topic, partitions: 4, replicationFactor: 1 });
    await produceToEach(topic, 4, 'first');
    await produceToEach(topic, 4, 'second');

    const events: RebalanceEvent[] = [];
    const member = consumer(group, topic, events);
    const read = await readUntil([member], (r) => r.length === 8);
    expect(read.map(([, r]) => r.payload?.toString()).sort()).toEqual(['first-0', 'first-1', 'first-2', 'first-3', 'second-0', 'second-1', 'second-2', 'second-3']);
    const all = [0, 1, 2, 3].map((partition) => ({ topic, partition }));
    expect(member.assignment().sort(byPartition)).toEqual(all);
    // The broker's assignment arrives as an incremental one (the protocol is cooperative).
    expect(events[0]).toMatchObject({ type: 'assign', protocol: 'COOPERATIVE', lost: false });
    expect(events.filter((e) => e.type === 'assign').flatMap((e) => e.partitions).sort(byPartition)).toEqual(all);

    await member.commit();
    expect(await admin.groupOffsets(group)).toEqual(all.map((p) => ({ ...p, offset: 2 })));
    expect((await admin.listGroupsByType(['consumer'])).find((g) => g.groupId === group)).toEqual({ groupId: group, simple: false, state: 'Stable', type: 'consumer' });
    expect((await admin.listGroupsByType(['classic'])).map((g) => g.groupId)).not.toContain(group);
    const [description] = await admin.describeGroups(group);
    expect(description.members.map((m) => m.assignment.sort(byPartition))).toEqual([all]);

    // A member that joins after it left starts at the committed offsets: only the new records.
    await close(member);
    await produceToEach(topic, 4, 'third');
    const again = consumer(group, topic);
    const next = await readUntil([again], (r) => r.length === 4);
    expect(next.map(([, r]) => [r.partition, r.offset, r.payload?.toString()]).sort()).toEqual([0, 1, 2, 3].map((p) => [p, 2, `third-${p}`]));
  });

  it('a second member takes half the partitions from the first; each record is read by the member holding its partition; when it leaves, the first gets them back', async () => {
    const topic = uniqueTopic('kip848-rb');
    const group = uniqueTopic('g848-rb');
    await admin.createTopics({ name: topic, partitions: 4, replicationFactor: 1 });
    await produceToEach(topic, 4, 'before');

    const firstEvents: RebalanceEvent[] = [];
    const first = consumer(group, topic, firstEvents);
    expect(await readUntil([first], (r) => r.length === 4)).toHaveLength(4);
    expect(first.assignment()).toHaveLength(4);
    await first.commit(); // so the partitions it gives away are not read again from the start

    const secondEvents: RebalanceEvent[] = [];
    const second = consumer(group, topic, secondEvents);
    // Both keep reading (a rebalance happens inside the reads) until the broker has moved two partitions.
    await readUntil([first, second], () => first.assignment().length === 2 && second.assignment().length === 2);
    const firstHas = first.assignment().sort(byPartition);
    const secondHas = second.assignment().sort(byPartition);
    expect([...firstHas, ...secondHas].sort(byPartition)).toEqual([0, 1, 2, 3].map((partition) => ({ topic, partition })));
    // The first member gave up exactly what the second got, without losing it.
    expect(firstEvents.find((e) => e.type === 'revoke')).toMatchObject({ partitions: secondHas, lost: false, protocol: 'COOPERATIVE' });
    expect(secondEvents.filter((e) => e.type === 'assign').flatMap((e) => e.partitions).sort(byPartition)).toEqual(secondHas);

    await produceToEach(topic, 4, 'after');
    const read = await readUntil([first, second], (r) => r.length === 4);
    const holders = [firstHas, secondHas];
    expect(read.map(([i, r]) => [r.payload?.toString(), holders[i].some((p) => p.partition === r.partition)])).toEqual(
      expect.arrayContaining([0, 1, 2, 3].map((p) => [`after-${p}`, true])),
    );
    expect(read).toHaveLength(4);
    const [description] = await admin.describeGroups(group);
    expect(description.members).toHaveLength(2);

    await close(second);
    await readUntil([first], () => first.assignment().length === 4);
    expect(first.assignment().sort(byPartition)).toEqual([0, 1, 2, 3].map((partition) => ({ topic, partition })));
  });
});
