// Shared test fixtures: the embedded broker, unique topic names, and consuming with a deadline.
import { randomUUID } from 'node:crypto';
import { capi, Consumer, MockCluster, type KafkaHandle, type Record } from '../lib';

/** A topic name no other test uses. */
export function uniqueTopic(prefix = 'topic'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Whether the broker behind `h` describes `name` with `partitions` partitions, each one led. */
export async function topicLed(h: KafkaHandle, name: string, partitions: number): Promise<boolean> {
  const metadata = await capi.Metadata(h, [name], 5000);
  if (metadata[0] !== 0) return false;
  const topic = metadata[2].find(([topicName]) => topicName === name);
  return topic !== undefined && topic[1] === 0 && topic[2].length === partitions && topic[2].every(([, error, leader]) => error === 0 && leader >= 0);
}

/**
 * Creates a topic on a real broker and waits until that broker describes it in full. A KRaft
 * broker applies a new topic from the metadata log some time after the controller has answered;
 * a client asking before then is told the topic does not exist.
 */
export async function createTopicOn(h: KafkaHandle, name: string, partitions: number, replicationFactor = 1, configs: Array<[string, string]> = []): Promise<void> {
  const result = await capi.CreateTopics(h, [[name, partitions, replicationFactor, configs]], 30_000);
  const [, code, message] = result[0] as [string, number, string];
  if (typeof result[0] === 'number' || code !== 0) throw new Error(`could not create ${name}: ${JSON.stringify(result)} ${message ?? ''}`);
  const deadline = performance.now() + 30_000;
  while (!(await topicLed(h, name, partitions))) {
    if (performance.now() > deadline) throw new Error(`${name} was not described with ${partitions} led partitions within 30 s of its creation`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Consumer settings that make group joins quick on the embedded broker. */
export function consumerConfig(bootstrapServers: string, groupId: string, extra: { [key: string]: string | number | boolean } = {}) {
  return {
    'bootstrap.servers': bootstrapServers,
    'group.id': groupId,
    'auto.offset.reset': 'earliest',
    'session.timeout.ms': 6000,
    'heartbeat.interval.ms': 500,
    ...extra,
  };
}

/** Reads until `count` records arrived or `deadlineMs` passed; returns what came. */
export async function consumeCount(consumer: Consumer, count: number, deadlineMs = 30_000): Promise<Record[]> {
  const records: Record[] = [];
  const deadline = performance.now() + deadlineMs; // monotonic: immune to wall-clock steps
  while (records.length < count && performance.now() < deadline) {
    const record = await consumer.consumeRecord(Math.max(1, Math.min(500, deadline - performance.now())));
    if (record) records.push(record);
  }
  return records;
}

/** Reads from several consumers at once until `count` records arrived in total or the deadline. */
export async function consumeAll(consumers: Consumer[], count: number, deadlineMs = 30_000): Promise<Record[][]> {
  const got: Record[][] = consumers.map(() => []);
  const deadline = performance.now() + deadlineMs; // monotonic: immune to wall-clock steps
  const total = () => got.reduce((n, list) => n + list.length, 0);
  await Promise.all(
    consumers.map(async (consumer, i) => {
      while (total() < count && performance.now() < deadline) {
        const record = await consumer.consumeRecord(200);
        if (record) got[i].push(record);
      }
    }),
  );
  return got;
}

/** A fresh embedded cluster; closed by the returned function. */
export function startMock(brokers = 3): MockCluster {
  return new MockCluster({ brokers });
}

/** Measures the longest gap between ticks of a 1 ms interval while `work` runs. */
export async function longestTimerGap(work: () => Promise<unknown>): Promise<{ longestGapMs: number; ticks: number }> {
  let last = performance.now();
  let longestGapMs = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
    ticks++;
  }, 1);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return { longestGapMs, ticks };
}
