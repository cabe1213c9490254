// The Kafka-Pixy-compatible API, over real HTTP (TCP and a Unix socket), on both brokers.
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../lib/admin';
import { DEFAULTS, startProxy, type RunningProxy } from '../lib/proxy';
import { testBrokers, useBroker } from './brokers';
import { uniqueTopic } from './helpers';

interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the wire
  text: string;
}

/** Messages sent and produce requests made so far, from librdkafka's statistics. */
function produceCounts(stats: { [key: string]: unknown } | undefined): { messages: number; requests: number } {
  if (stats === undefined) return { messages: 0, requests: 0 };
  const brokers = Object.values(stats.brokers as { [name: string]: { req?: { Produce?: number } } });
  return { messages: stats.txmsgs as number, requests: brokers.reduce((n, b) => n + (b.req?.Produce ?? 0), 0) };
}

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  let proxy: RunningProxy;
  let admin: Admin;
  const socket = join(tmpdir(), `${uniqueTopic('pixy')}.sock`);
  beforeAll(async () => {
    proxy = await startProxy({
      ...DEFAULTS,
      listeners: 'http://127.0.0.1:0',
      pixyListeners: 'http://127.0.0.1:0',
      pixyUnixSocket: socket,
      bootstrapServers: broker.bootstrapServers,
      pixyAckTimeoutMs: 2000,
      producer: { 'statistics.interval.ms': '100' },
      consumer: { 'session.timeout.ms': '6000', 'heartbeat.interval.ms': '500' },
    });
    admin = new Admin({ 'bootstrap.servers': broker.bootstrapServers });
  });
  afterAll(async () => {
    await admin.close();
    await proxy.close();
  });

  function call(method: string, path: string, body?: string | Buffer, headers: { [k: string]: string } = {}, viaSocket = false): Promise<Reply> {
    const all: { [k: string]: string } = { ...headers };
    if (body !== undefined) {
      all['content-type'] ??= 'text/plain';
      all['content-length'] = String(Buffer.byteLength(body));
    }
    const url = new URL(`${proxy.pixyUrl}${path}`);
    const target = viaSocket ? { socketPath: socket, path, method, headers: all } : { host: url.hostname, port: url.port, path, method, headers: all };
    return new Promise((resolve, reject) => {
      const req = request(target, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const text = (v: string) => Buffer.from(v, 'base64').toString('utf8');

  /** Consumes until a message arrives (the first request also joins the group). */
  async function consume(topic: string, group: string, query = ''): Promise<Reply> {
    for (let i = 0; i < 10; i++) {
      const r = await call('GET', `/topics/${topic}/messages?group=${group}${query}`);
      if (r.status !== 408) return r;
    }
    throw new Error('no message in 30 s');
  }

  /**
   * Joins `group` and waits until it reads `topic`. A new group starts at the newest offset once
   * its join completes, which on the embedded broker can take longer than one long poll: produce
   * a probe until one comes back, then read until nothing is left (408).
   */
  async function joinGroup(topic: string, group: string): Promise<void> {
    for (let i = 0; i < 10; i++) {
      await call('POST', `/topics/${topic}/messages?sync`, 'probe');
      const r = await call('GET', `/topics/${topic}/messages?group=${group}`);
      if (r.status === 408) continue;
      expect(text(r.body.value)).toBe('probe');
      for (let next = r; next.status === 200; next = await call('GET', `/topics/${topic}/messages?group=${group}`)) {
        expect(text(next.body.value)).toBe('probe');
      }
      return;
    }
    throw new Error(`${group} never started reading ${topic}`);
  }

  it('a sync produce returns partition and offset, and the message is on the broker', async () => {
    const topic = uniqueTopic('pixy');
    await broker.createTopic(topic, 3);
    const r = await call('POST', `/topics/${topic}/messages?key=alpha&sync`, 'hello', { 'X-Kafka-Trace': b64('t-1') });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['offset', 'partition']);
    const { high } = await admin.watermarkOffsets(topic, r.body.partition);
    expect(high).toBe(r.body.offset + 1);
  });

  it('an async produce answers {} at once; a key always lands on the same partition', async () => {
    const topic = uniqueTopic('pixy');
    await broker.createTopic(topic, 4);
    expect(await call('POST', `/topics/${topic}/messages`, 'fire and forget')).toMatchObject({ status: 200, body: {} });
    const partitions = new Set<number>();
    for (let i = 0; i < 5; i++) partitions.add((await call('POST', `/topics/${topic}/messages?key=same&sync`, `m${i}`)).body.partition);
    expect(partitions.size).toBe(1);
    const empty = await call('POST', `/topics/${topic}/messages?key=&sync`, 'empty key');
    expect(empty.status).toBe(200);
    const form = await call('POST', `/topics/${topic}/messages?sync`, 'msg=from+a+form', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(200);
  });

  it('a consume on an empty topic answers 408 after the timeout; a message produced during the wait comes at once', async () => {
    const topic = uniqueTopic('pixy');
    await broker.createTopic(topic, 1);
    const group = uniqueTopic('g');
    const timedOut = await call('GET', `/topics/${topic}/messages?group=${group}`);
    expect(timedOut, timedOut.text).toMatchObject({ status: 408, body: { error: 'long polling timeout' } });
    // Once the group reads the topic (a new group starts at the newest offset, found after its
    // join), a message produced during a wait returns it.
    await joinGroup(topic, group);
    const waiting = call('GET', `/topics/${topic}/messages?group=${group}`);
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    await call('POST', `/topics/${topic}/messages?sync`, 'during the wait', { 'X-Kafka-H': b64('v') });
    const got = await waiting;
    expect(got.status).toBe(200);
    expect(text(got.body.value)).toBe('during the wait');
    expect(got.body.headers).toEqual([{ key: 'H', value: b64('v') }]);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('with explicit acks, a message never acked is offered again after the ack timeout', async () => {
    const topic = uniqueTopic('pixy');
    await broker.createTopic(topic, 1);
    const group = uniqueTopic('g');
    await joinGroup(topic, group);
    await call('POST', `/topics/${topic}/messages?sync`, 'first');
    await call('POST', `/topics/${topic}/messages?sync`, 'second');
    const first = await consume(topic, group, '&noAck');
    expect(text(first.body.value)).toBe('first');
    // Ack "first" on the next consume; "second" is then never acked.
    const second = await consume(topic, group, `&noAck&ackPartition=${first.body.partition}&ackOffset=${first.body.offset}`);
    expect(text(second.body.value)).toBe('second');
    await new Promise((r) => setTimeout(r, 2500)); // the test's ack timeout is 2 s
    const again = await consume(topic, group, '&noAck');
    expect(text(again.body.value)).toBe('second');
    expect(await call('POST', `/topics/${topic}/acks?group=${group}&partition=${again.body.partition}&offset=${again.body.offset}`)).toMatchObject({ status: 200, body: {} });
    expect((await call('POST', `/topics/${topic}/acks?group=${group}&partition=7&offset=0`)).status).toBe(500);
  });

  it('offsets GET agrees with the watermarks and the committed offsets; offsets POST moves where consumption resumes', async () => {
    const topic = uniqueTopic('pixy');
    await broker.createTopic(topic, 1);
    const group = uniqueTopic('g');
    for (const m of ['a', 'b', 'c', 'd']) await call('POST', `/topics/${topic}/messages?sync`, m);
    expect((await call('POST', `/topics/${topic}/offsets?group=${group}`, JSON.stringify([{ partition: 0, offset: 1 }]), { 'content-type': 'application/json' })).status).toBe(200);
    const offsets = await call('GET', `/topics/${topic}/offsets?group=${group}`);
    expect(offsets.body).toEqual([{ partition: 0, begin: 0, end: 4, count: 4, offset: 1, lag: 3 }]);
    const resumed = await consume(topic, group);
    expect(text(resumed.body.value)).toBe('b');
  });

  it('the consumers listing shows members and their partitions', async () => {
    const topic = uniqueTopic('pixy');
    await broker.createTopic(topic, 2);
    const group = uniqueTopic('g');
    await joinGroup(topic, group);
    const listing = await call('GET', `/topics/${topic}/consumers?group=${group}`);
    if (broker.name === 'mock') {
      expect(listing.status).toBe(501); // the embedded broker cannot describe groups: Not Implemented
      expect(listing.body.error).toMatch(/embedded broker|not support/i);
      return;
    }
    expect(listing.status).toBe(200);
    const members = listing.body[group] as { [member: string]: number[] };
    expect(Object.values(members).flat().sort()).toEqual([0, 1]);
  });

  it('topic metadata, ping, the /clusters prefix and a Unix-socket round trip', async () => {
    const topic = uniqueTopic('pixy');
    await broker.createTopic(topic, 2);
    expect((await call('GET', '/topics')).body).toContain(topic);
    const described = await call('GET', `/topics?withPartitions`);
    expect(described.body[topic].partitions.map((p: { partition: number }) => p.partition)).toEqual([0, 1]);
    expect((await call('GET', '/_ping')).text).toBe('pong');
    expect((await call('GET', `/clusters/${proxy.config.id}/_ping`)).text).toBe('pong');
    expect((await call('GET', '/clusters/other/_ping')).status).toBe(400);
    const viaSocket = await call('POST', `/topics/${topic}/messages?sync`, 'over a socket', {}, true);
    expect(viaSocket.status).toBe(200);
    expect((await admin.watermarkOffsets(topic, viaSocket.body.partition)).high).toBe(viaSocket.body.offset + 1);
  });

  it('many concurrent single-message requests are aggregated into far fewer Kafka produce requests', async () => {
    const topic = uniqueTopic('pixy');
    await broker.createTopic(topic, 2);
    const before = produceCounts(proxy.producer.statistics());
    const clients = 50;
    const perClient = 40;
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let i = 0; i < perClient; i++) {
          const r = await call('POST', `/topics/${topic}/messages?sync`, `client ${c} message ${i}`);
          expect(r.status).toBe(200);
        }
      }),
    );
    // Statistics come every 100 ms: wait for an emission that counts every message.
    let after = produceCounts(proxy.producer.statistics());
    for (const deadline = performance.now() + 5000; after.messages - before.messages < clients * perClient && performance.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 100));
      after = produceCounts(proxy.producer.statistics());
    }
    const messages = after.messages - before.messages;
    const requests = after.requests - before.requests;
    console.log(`${broker.name}: ${messages} messages from ${clients} concurrent clients in ${requests} produce requests`);
    // Every message landed once (txmsgs also counts sends retried after a fresh topic's election).
    const landed = (await admin.watermarkOffsets(topic, 0)).high + (await admin.watermarkOffsets(topic, 1)).high;
    expect(landed).toBe(clients * perClient);
    expect(messages).toBeGreaterThanOrEqual(clients * perClient);
    expect(requests).toBeLessThan((clients * perClient) / 4);
  });

  it('bad input gets 400 with {"error": ...}', async () => {
    expect(await call('POST', '/topics/t/messages', 'x', { 'content-type': 'image/png' })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/content type/) } });
    expect(await call('POST', '/topics/t/messages', 'x', { 'X-Kafka-Bad': '***' })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/base64/) } });
    expect(await call('GET', '/topics/t/messages')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/group/) } });
    expect((await call('GET', '/topics/t/messages?group=g&ackPartition=0')).status).toBe(400);
    expect((await call('POST', '/topics/t/offsets?group=g', 'not json', { 'content-type': 'application/json' })).status).toBe(400);
    expect((await call('GET', '/_ping')).text).toBe('pong');
  });
});
