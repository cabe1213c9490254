// The proxy's /metrics (Prometheus text), /health and /ready, over real HTTP on both brokers: the
// numbers move with the traffic, exactly.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger';
import { DEFAULTS, startProxy, type RunningProxy } from '../lib/proxy';
import { testBrokers, useBroker } from './brokers';
import { freePort } from '../lib/bench/balanced';
import { uniqueTopic, useProxy } from './helpers';
import { httpRequest } from './http';

/** The sum of a metric's samples whose labels include `labels` (0 when there is none). */
function sample(text: string, name: string, labels: { [key: string]: string } = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const present = new Map([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => present.get(k) === v)) sum += Number(match[3]);
  }
  return sum;
}

const scrape = async (proxy: RunningProxy) => {
  const answer = await httpRequest(`${proxy.url}/metrics`);
  expect(answer.status).toBe(200);
  return answer.text;
};

const BINARY = { 'Content-Type': 'application/vnd.kafka.binary.v2+json' };
const V2 = { 'Content-Type': 'application/vnd.kafka.v2+json' };

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  const proxy = useProxy(() => ({
    schemaRegistryListeners: '',
    bootstrapServers: broker.bootstrapServers,
    producer: { 'statistics.interval.ms': '100' },
    consumer: { 'session.timeout.ms': '6000', 'heartbeat.interval.ms': '500' },
    // A new group's first consume waits out its join (3 s on the embedded broker, as Kafka's
    // group.initial.rebalance.delay.ms), longer than Kafka-Pixy's 3 s long poll.
    pixyLongPollTimeoutMs: 8000,
  }));

  it('after N produce requests the request counter has grown by exactly N, the records by their count and the bytes by their sizes', async () => {
    const topic = uniqueTopic('metrics');
    await broker.createTopic(topic, 2);
    const before = await scrape(proxy);
    const route = { api: 'confluent', method: 'POST', route: '/topics/:topic', status: '200' };
    let records = 0;
    let bytes = 0;
    const N = 7;
    for (let i = 0; i < N; i++) {
      // Request i carries i + 1 records, keyed or not, of different sizes.
      const batch = Array.from({ length: i + 1 }, (_, j) => ({ key: j % 2 === 0 ? undefined : Buffer.from(`key-${j}`), value: Buffer.alloc(10 * i + j + 1, 'v') }));
      records += batch.length;
      bytes += batch.reduce((n, r) => n + (r.key?.length ?? 0) + r.value.length, 0);
      const body = JSON.stringify({ records: batch.map((r) => ({ key: r.key?.toString('base64'), value: r.value.toString('base64') })) });
      expect((await httpRequest(`${proxy.url}/topics/${topic}`, { method: 'POST', headers: BINARY, body })).status).toBe(200);
    }
    // A refused request counts as its status, not as produced records.
    expect((await httpRequest(`${proxy.url}/topics/${topic}`, { method: 'POST', headers: BINARY, body: '{"records":[{"value":"not base64!"}]}' })).status).toBe(422);
    const after = await scrape(proxy);
    expect(sample(after, 'rest_proxy_requests_total', route) - sample(before, 'rest_proxy_requests_total', route)).toBe(N);
    expect(sample(after, 'rest_proxy_requests_total', { ...route, status: '422' }) - sample(before, 'rest_proxy_requests_total', { ...route, status: '422' })).toBe(1);
    const latency = { api: 'confluent', method: 'POST', route: '/topics/:topic' };
    expect(sample(after, 'rest_proxy_request_duration_seconds_count', latency) - sample(before, 'rest_proxy_request_duration_seconds_count', latency)).toBe(N + 1);
    expect(sample(after, 'rest_proxy_records_produced_total') - sample(before, 'rest_proxy_records_produced_total')).toBe(records);
    expect(sample(after, 'rest_proxy_produced_bytes_total') - sample(before, 'rest_proxy_produced_bytes_total')).toBe(bytes);
  });

  it('Kafka-Pixy produces count too; consumed records and bytes, and the consumer instances, move with a consumer', async () => {
    const topic = uniqueTopic('metrics-out');
    await broker.createTopic(topic, 1);
    const before = await scrape(proxy);
    const messages = ['one', 'two!', 'three..'];
    for (const m of messages) {
      expect((await httpRequest(`${proxy.pixyUrl}/topics/${topic}/messages?sync`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: m })).status).toBe(200);
    }
    const produced = await scrape(proxy);
    expect(sample(produced, 'rest_proxy_records_produced_total') - sample(before, 'rest_proxy_records_produced_total')).toBe(3);
    expect(sample(produced, 'rest_proxy_produced_bytes_total') - sample(before, 'rest_proxy_produced_bytes_total')).toBe(messages.join('').length);
    expect(sample(produced, 'rest_proxy_requests_total', { api: 'pixy', method: 'POST', status: '200' }) - sample(before, 'rest_proxy_requests_total', { api: 'pixy', method: 'POST', status: '200' })).toBe(3);

    const created = await httpRequest(`${proxy.url}/consumers/${uniqueTopic('g')}`, { method: 'POST', headers: V2, body: '{"format":"binary","auto.offset.reset":"earliest"}' });
    const base: string = created.body.base_uri;
    expect(sample(await scrape(proxy), 'rest_proxy_consumer_instances') - sample(before, 'rest_proxy_consumer_instances')).toBe(1);
    await httpRequest(`${base}/subscription`, { method: 'POST', headers: V2, body: JSON.stringify({ topics: [topic] }) });
    // A consumer reads until it has them all (one read returns what has arrived).
    const read: unknown[] = [];
    for (const deadline = Date.now() + 30_000; read.length < 3 && Date.now() < deadline; ) {
      read.push(...(await httpRequest(`${base}/records?timeout=1000`, { headers: { accept: 'application/vnd.kafka.binary.v2+json' } })).body);
    }
    expect(read).toHaveLength(3);
    const consumed = await scrape(proxy);
    expect(sample(consumed, 'rest_proxy_records_consumed_total') - sample(before, 'rest_proxy_records_consumed_total')).toBe(3);
    expect(sample(consumed, 'rest_proxy_consumed_bytes_total') - sample(before, 'rest_proxy_consumed_bytes_total')).toBe(messages.join('').length);
    expect((await httpRequest(base, { method: 'DELETE', headers: V2 })).status).toBe(204);
    expect(sample(await scrape(proxy), 'rest_proxy_consumer_instances')).toBe(sample(before, 'rest_proxy_consumer_instances'));
  });

  it("Kafka-Pixy consumes count as consumed records and bytes, those the native front end hands out from a group's lease included", async () => {
    expect(proxy.nativeFront).toBeDefined();
    const topic = uniqueTopic('metrics-pixy-out');
    const group = uniqueTopic('g');
    await broker.createTopic(topic, 1);
    const messages = ['one', 'two!', 'three..', 'four....'];
    for (const m of messages) {
      expect((await httpRequest(`${proxy.pixyUrl}/topics/${topic}/messages?sync`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: m })).status).toBe(200);
    }
    // On a connection of its own: the front end hands a connection with a request it does not
    // serve to Node for good, and the consumes below are to stay on the front end's.
    expect((await httpRequest(`${proxy.pixyUrl}/topics/${topic}/offsets?group=${group}`, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' }, body: '[{"partition":0,"offset":0}]' })).status).toBe(200);
    const before = await scrape(proxy);
    const values: string[] = [];
    for (const _ of messages) {
      const answer = await httpRequest(`${proxy.pixyUrl}/topics/${topic}/messages?group=${group}`);
      expect(answer.status).toBe(200);
      values.push(Buffer.from(answer.body.value, 'base64').toString());
    }
    expect(values).toEqual(messages);
    const after = await scrape(proxy);
    expect(sample(after, 'rest_proxy_records_consumed_total') - sample(before, 'rest_proxy_records_consumed_total')).toBe(4);
    expect(sample(after, 'rest_proxy_consumed_bytes_total') - sample(before, 'rest_proxy_consumed_bytes_total')).toBe(messages.join('').length);
    const route = { api: 'pixy', method: 'GET', route: '/topics/:topic/messages', status: '200' };
    expect(sample(after, 'rest_proxy_requests_total', route) - sample(before, 'rest_proxy_requests_total', route)).toBe(4);
  });

  it("librdkafka's statistics: the producer's queue depth and each broker's round-trip times, errors and state", async () => {
    const topic = uniqueTopic('metrics-stats');
    await broker.createTopic(topic, 1);
    expect((await httpRequest(`${proxy.url}/topics/${topic}`, { method: 'POST', headers: BINARY, body: '{"records":[{"value":"AA=="}]}' })).status).toBe(200);
    // Statistics come every statistics.interval.ms (100 ms here): a second is ten of them.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const text = await scrape(proxy);
    expect(text).toMatch(/^rdkafka_producer_queue_messages 0$/m); // delivered: nothing queued
    expect(sample(text, 'rdkafka_broker_up')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^rdkafka_broker_rtt_avg_seconds\{broker="[^"]+"\} [0-9.e-]+$/m);
    expect(text).toMatch(/^rdkafka_broker_rtt_p99_seconds\{broker="[^"]+"\} [0-9.e-]+$/m);
    expect(text).toMatch(/^rdkafka_broker_tx_errors\{broker="[^"]+"\} \d+$/m);
    expect(text).toMatch(/^rdkafka_broker_rx_errors\{broker="[^"]+"\} \d+$/m);
  });

  it('/health answers 200 and /ready 200 while the cluster answers', async () => {
    expect(await httpRequest(`${proxy.url}/health`)).toMatchObject({ status: 200, body: { status: 'UP' } });
    expect(await httpRequest(`${proxy.url}/ready`)).toMatchObject({ status: 200, body: { status: 'READY' } });
    expect(await httpRequest(`${proxy.pixyUrl}/health`)).toMatchObject({ status: 200, body: { status: 'UP' } });
  });
});

describe('without a cluster', () => {
  it('/ready is 503 naming why, /health stays 200', async () => {
    // A port nobody listens on: the proxy starts, but Kafka never answers.
    const proxy = await startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '', schemaRegistryListeners: '', bootstrapServers: `127.0.0.1:${await freePort()}` }, undefined, silentLogger);
    try {
      expect(await httpRequest(`${proxy.url}/health`)).toMatchObject({ status: 200, body: { status: 'UP' } });
      const ready = await httpRequest(`${proxy.url}/ready`);
      expect(ready).toMatchObject({ status: 503, body: { status: 'NOT_READY' } });
      expect(ready.body.message).toMatch(/Kafka cluster does not answer/);
    } finally {
      await proxy.close();
    }
  });

  it('with basic.auth.users, /health and /ready need no credentials, /metrics does', async () => {
    const proxy = await startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '', schemaRegistryListeners: '', basicAuthUsers: ['ops:secret'] });
    try {
      expect((await httpRequest(`${proxy.url}/health`)).status).toBe(200);
      expect((await httpRequest(`${proxy.url}/ready`)).status).toBe(200);
      expect((await httpRequest(`${proxy.url}/metrics`)).status).toBe(401);
      expect((await httpRequest(`${proxy.url}/metrics`, { headers: { authorization: `Basic ${Buffer.from('ops:secret').toString('base64')}` } })).status).toBe(200);
    } finally {
      await proxy.close();
    }
  });
});
