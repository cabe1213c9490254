// Shared test fixtures: the embedded broker, unique topic names, consuming with a deadline, and a
// REST proxy on free ports.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { Consumer, MockCluster, type Record } from '../lib';
import type { ClusterViewFactory, ProxyConfig, RunningProxy } from '../lib/proxy';

/** A topic name no other test uses. */
export function uniqueTopic(prefix = 'topic'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
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
    const record = await consumer.consumeRecord(Math.ceil(Math.max(1, Math.min(500, deadline - performance.now()))));
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

/** Starts a REST proxy whose Confluent and Kafka-Pixy APIs listen on free loopback ports; `settings` go over the defaults. */
export async function startTestProxy(settings: Partial<ProxyConfig> = {}, clusterView?: ClusterViewFactory): Promise<RunningProxy> {
  // Loaded here, so that the tests that start no proxy do not load its server.
  const { DEFAULTS, startProxy } = await import('../lib/proxy');
  return startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: 'http://127.0.0.1:0', ...settings }, clusterView);
}

/**
 * A proxy (startTestProxy) for the tests of the enclosing describe: started in its beforeAll, so
 * that `settings` may read a broker's address, and closed in its afterAll. Its fields are valid
 * from that beforeAll on.
 */
export function useProxy(settings: () => Partial<ProxyConfig>, clusterView?: ClusterViewFactory): RunningProxy {
  const proxy = {} as RunningProxy;
  let running: RunningProxy | undefined;
  beforeAll(async () => {
    running = await startTestProxy(settings(), clusterView);
    Object.assign(proxy, running);
  });
  afterAll(() => running?.close());
  return proxy;
}
