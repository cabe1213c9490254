// The Kafka-Pixy-compatible API, over real HTTP (TCP and a Unix socket), on both brokers.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../lib/admin';
import { DEFAULTS, applyProperties, startProxy, type RunningProxy } from '../lib/proxy';
import { testBrokers, useBroker } from './brokers';
import { startTestProxy, uniqueTopic, useProxy } from './helpers';
import { httpRequest, type HttpReply } from './http';

/** Messages sent and produce requests made so far, from librdkafka's statistics. */
function produceCounts(stats: { [key: string]: unknown } | undefined): { messages: number; requests: number } {
  if (stats === undefined) return { messages: 0, requests: 0 };
  const brokers = Object.values(stats.brokers as { [name: string]: { req?: { Produce?: number } } });
  return { messages: stats.txmsgs as number, requests: brokers.reduce((n, b) => n + (b.req?.Produce ?? 0), 0) };
}

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  const socket = join(tmpdir(), `${uniqueTopic('pixy')}.sock`);
  const settings = () => ({
    bootstrapServers: broker.bootstrapServers,
    // The embedded broker holds a member joining a group that has members for
    // session.timeout.ms - 1 s; a real broker takes 6 s at the least.
    consumer: { 'session.timeout.ms': broker.name === 'mock' ? '4000' : '6000', 'heartbeat.interval.ms': '500' },
  });
  const proxy = useProxy(() => ({ ...settings(), pixyUnixSocket: socket, pixyAckTimeoutMs: 2000, producer: { 'statistics.interval.ms': '100' } }));
  /** The same API with 10 s long polls: a new group's first consume outlasts its group join. */
  const patient = useProxy(() => ({ ...settings(), pixyLongPollTimeoutMs: 10_000 }));
  let admin: Admin;
  beforeAll(() => {
    admin = new Admin({ 'bootstrap.servers': broker.bootstrapServers });
  });
  afterAll(() => admin.close());

  function call(method: string, path: string, body?: string | Buffer, headers: { [k: string]: string } = {}, via: RunningProxy | 'socket' = proxy): Promise<HttpReply> {
    const all: { [k: string]: string } = { ...headers };
    if (body !== undefined && !Object.keys(all).some((k) => k.toLowerCase() === 'content-type')) all['content-type'] = 'text/plain';
    if (via === 'socket') return httpRequest(path, { method, body, headers: all, socketPath: socket });
    return httpRequest(`${via.pixyUrl}${path}`, { method, body, headers: all });
  }

  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const text = (v: string) => Buffer.from(v, 'base64').toString('utf8');

  it("the Quick Start as written: the first consume answers 408 and stores the group's offsets; a message produced next is consumed", async () => {
    // Step 3: create the topic (a fresh name per broker stands for foo, and a fresh group for bar).
    const foo = uniqueTopic('foo');
    const bar = uniqueTopic('bar');
    await broker.createTopic(foo, 4);
    // Step 4: initialize group offsets.
    const initialize = await call('GET', `/topics/${foo}/messages?group=${bar}`);
    expect(initialize, initialize.text).toMatchObject({ status: 408, body: { error: 'long polling timeout' } });
    const stored = await admin.groupOffsets(bar, [0, 1, 2, 3].map((partition) => ({ topic: foo, partition })));
    expect(stored.map((o) => [o.partition, o.offset])).toEqual([[0, 0], [1, 0], [2, 0], [3, 0]]);
    // Step 5: produce.
    const produced = await call('POST', `/topics/${foo}/messages?sync`, 'blah blah blah', { 'Content-Type': 'text/plain' });
    expect(produced.status, produced.text).toBe(200);
    expect(Object.keys(produced.body).sort()).toEqual(['offset', 'partition']);
    // Step 6: consume.
    const consumed = await call('GET', `/topics/${foo}/messages?group=${bar}`);
    expect(consumed.status, consumed.text).toBe(200);
    expect(consumed.body).toEqual({ key: null, value: 'YmxhaCBibGFoIGJsYWg=', partition: produced.body.partition, offset: produced.body.offset, headers: [] });
  });

  it('a group already reading one topic starts reading a second one at the offsets of its first request there', async () => {
    // Kafka takes no offsets from outside a group that has members: the proxy keeps them itself.
    const first = uniqueTopic('pixy');
    const second = uniqueTopic('pixy');
    await broker.createTopic(first, 1);
    await broker.createTopic(second, 2);
    const group = uniqueTopic('g');
    // 10 s long polls: the second topic's consumer joins a group with a member, which takes the
    // embedded broker 3 s; with 3 s polls its first message could come a poll later under load.
    expect((await call('GET', `/topics/${first}/messages?group=${group}`, undefined, {}, patient)).status).toBe(408);
    expect((await call('GET', `/topics/${second}/messages?group=${group}`, undefined, {}, patient)).status).toBe(408);
    const produced = await call('POST', `/topics/${second}/messages?sync`, 'for the second topic', {}, patient);
    expect(produced.status).toBe(200);
    const consumed = await call('GET', `/topics/${second}/messages?group=${group}`, undefined, {}, patient);
    expect(consumed.status, consumed.text).toBe(200);
    expect(consumed.body).toMatchObject({ value: b64('for the second topic'), partition: produced.body.partition, offset: produced.body.offset });
  });

  it('offsets GET agrees with the watermarks and the committed offsets; offsets POST sets where a new group starts, and its first consume keeps them', async () => {
    const topic = uniqueTopic('pixy');
    await broker.createTopic(topic, 1);
    const group = uniqueTopic('g');
    for (const m of ['a', 'b', 'c', 'd']) await call('POST', `/topics/${topic}/messages?sync`, m);
    expect((await call('POST', `/topics/${topic}/offsets?group=${group}`, JSON.stringify([{ partition: 0, offset: 1 }]), { 'content-type': 'application/json' })).status).toBe(200);
    const offsets = await call('GET', `/topics/${topic}/offsets?group=${group}`);
    expect(offsets.body).toEqual([{ partition: 0, begin: 0, end: 4, count: 4, offset: 1, lag: 3 }]);
    const resumed = await call('GET', `/topics/${topic}/messages?group=${group}`, undefined, {}, patient);
    expect(resumed.status, resumed.text).toBe(200);
    expect(text(resumed.body.value)).toBe('b');
    const next = await call('GET', `/topics/${topic}/messages?group=${group}`, undefined, {}, patient);
    expect(text(next.body.value)).toBe('c');
  });

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

  it('a consume on an empty topic answers 408 after the timeout; a message produced during the next wait is its answer', async () => {
    const topic = uniqueTopic('pixy');
    await broker.createTopic(topic, 1);
    const group = uniqueTopic('g');
    const timedOut = await call('GET', `/topics/${topic}/messages?group=${group}`);
    expect(timedOut, timedOut.text).toMatchObject({ status: 408, body: { error: 'long polling timeout' } });
    const waiting = call('GET', `/topics/${topic}/messages?group=${group}`);
    await new Promise((r) => setTimeout(r, 300)); // the consume is waiting when the message comes
    await call('POST', `/topics/${topic}/messages?sync`, 'during the wait', { 'X-Kafka-H': b64('v') });
    const got = await waiting;
    expect(got.status, got.text).toBe(200);
    expect(text(got.body.value)).toBe('during the wait');
    expect(got.body.headers).toEqual([{ key: 'H', value: b64('v') }]);
  });

  // Both ways of acking "first" leave "second", which is never acked, to be offered again.
  it.each([
    ['with explicit acks, a message never acked is offered again after the ack timeout', 'noAck&'],
    ['acking on a consume (ackPartition/ackOffset without noAck) leaves the returned message unacked, as Kafka-Pixy does', ''],
  ])('%s', async (_, ackingConsume) => {
    const topic = uniqueTopic('pixy');
    await broker.createTopic(topic, 1);
    const group = uniqueTopic('g');
    expect((await call('GET', `/topics/${topic}/messages?group=${group}&noAck`)).status).toBe(408);
    await call('POST', `/topics/${topic}/messages?sync`, 'first');
    await call('POST', `/topics/${topic}/messages?sync`, 'second');
    const first = await call('GET', `/topics/${topic}/messages?group=${group}&noAck`);
    expect(first.status, first.text).toBe(200);
    expect(text(first.body.value)).toBe('first');
    // The explicit-ack loop: this consume acks "first"; the "second" it returns waits for an ack.
    const second = await call('GET', `/topics/${topic}/messages?group=${group}&${ackingConsume}ackPartition=${first.body.partition}&ackOffset=${first.body.offset}`);
    expect(second.status, second.text).toBe(200);
    expect(text(second.body.value)).toBe('second');
    await new Promise((r) => setTimeout(r, 2500)); // the test's ack timeout is 2 s
    const again = await call('GET', `/topics/${topic}/messages?group=${group}&noAck`);
    expect(again.status, again.text).toBe(200);
    expect(text(again.body.value)).toBe('second');
    const offsets = await call('GET', `/topics/${topic}/offsets?group=${group}`);
    expect(offsets.body[0].offset).toBe(Number(first.body.offset) + 1); // "first" acked and committed, "second" not
    expect(await call('POST', `/topics/${topic}/acks?group=${group}&partition=${again.body.partition}&offset=${again.body.offset}`)).toMatchObject({ status: 200, body: {} });
    expect((await call('POST', `/topics/${topic}/acks?group=${group}&partition=7&offset=0`)).status).toBe(500);
  });

  it('the consumers listing shows members and their partitions', async () => {
    const topic = uniqueTopic('pixy');
    await broker.createTopic(topic, 2);
    const group = uniqueTopic('g');
    expect((await call('GET', `/topics/${topic}/messages?group=${group}`)).status).toBe(408);
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
    const viaSocket = await call('POST', `/topics/${topic}/messages?sync`, 'over a socket', {}, 'socket');
    expect(viaSocket.status).toBe(200);
    expect((await admin.watermarkOffsets(topic, viaSocket.body.partition)).high).toBe(viaSocket.body.offset + 1);
  });

  it('many concurrent single-message requests are aggregated into far fewer Kafka produce requests', async () => {
    // linger.ms 20 instead of the proxy's 2: on a loaded machine these clients' next requests come
    // more than 2 ms apart, and what this test shows is the batching, not the machine's speed.
    const batching = await startTestProxy({ ...settings(), producer: { 'statistics.interval.ms': '100', 'linger.ms': '20' } });
    try {
      await aggregated(batching);
    } finally {
      await batching.close();
    }
  });

  async function aggregated(proxy: RunningProxy): Promise<void> {
    const topic = uniqueTopic('pixy');
    await broker.createTopic(topic, 2);
    const before = produceCounts(proxy.producer.statistics());
    const clients = 50;
    const perClient = 40;
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let i = 0; i < perClient; i++) {
          const r = await call('POST', `/topics/${topic}/messages?sync`, `client ${c} message ${i}`, {}, proxy);
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
  }

  it('bad input gets 400 with {"error": ...}', async () => {
    expect(await call('POST', '/topics/t/messages', 'x', { 'content-type': 'image/png' })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/content type/) } });
    expect(await call('POST', '/topics/t/messages', 'x', { 'X-Kafka-Bad': '***' })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/base64/) } });
    expect(await call('GET', '/topics/t/messages')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/group/) } });
    expect((await call('GET', '/topics/t/messages?group=g&ackPartition=0')).status).toBe(400);
    expect((await call('POST', '/topics/t/offsets?group=g', 'not json', { 'content-type': 'application/json' })).status).toBe(400);
    expect((await call('GET', '/_ping')).text).toBe('pong');
  });

  it('a consume from a topic that does not exist answers 404 and creates nothing', async () => {
    const topic = uniqueTopic('missing');
    const group = uniqueTopic('g');
    expect(await call('GET', `/topics/${topic}/messages?group=${group}`)).toMatchObject({ status: 404, body: { error: `Unknown topic ${topic}` } });
    expect(await call('GET', `/clusters/${proxy.config.id}/topics/${topic}/messages?group=${group}`)).toMatchObject({ status: 404 });
    expect(await admin.listTopics()).not.toContain(topic);
    expect((await call('GET', '/_ping')).text).toBe('pong');
  });

  it('an invalid topic name is refused with 400 naming the rule on every route; producing to an internal topic is refused', async () => {
    const names = [
      ['a%20space', /' '/],
      ['caf%C3%A9', /U\+00E9/],
      ['nul%00byte', /U\+0000/],
    ] as const;
    const group = uniqueTopic('g');
    const offsetsBody = JSON.stringify([{ partition: 0, offset: 0 }]);
    for (const [name, rule] of names) {
      for (const prefix of ['', `/clusters/${proxy.config.id}`]) {
        const replies = [
          await call('POST', `${prefix}/topics/${name}/messages?sync`, 'x'),
          await call('POST', `${prefix}/topics/${name}/messages`, 'x'),
          await call('GET', `${prefix}/topics/${name}/messages?group=${group}`),
          await call('POST', `${prefix}/topics/${name}/acks?group=${group}&partition=0&offset=0`),
          await call('GET', `${prefix}/topics/${name}/offsets?group=${group}`),
          await call('POST', `${prefix}/topics/${name}/offsets?group=${group}`, offsetsBody, { 'content-type': 'application/json' }),
          await call('GET', `${prefix}/topics/${name}/consumers?group=${group}`),
          await call('GET', `${prefix}/topics/${name}`),
        ];
        for (const reply of replies) {
          expect(reply.status, `${name}: ${reply.text}`).toBe(400);
          expect(reply.body.error).toMatch(/Invalid topic name/);
          expect(reply.body.error).toMatch(rule);
        }
      }
    }
    // Longer than Kafka's 249 characters: refused by the route (naming the limit) or by the router.
    const long = 'a'.repeat(250);
    for (const reply of [await call('POST', `/topics/${long}/messages?sync`, 'x'), await call('GET', `/topics/${long}/messages?group=${group}`)]) {
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.status).toBeLessThan(500);
      expect(reply.text).toMatch(/249|max param length/);
    }
    for (const query of ['?sync', '']) {
      expect(await call('POST', `/topics/__consumer_offsets/messages${query}`, 'x')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/__consumer_offsets is an internal Kafka topic/) } });
    }
    const topics = await admin.listTopics();
    const decoded = names.map(([name]) => decodeURIComponent(name));
    expect(topics.filter((t) => decoded.includes(t))).toEqual([]);
    expect((await call('GET', '/_ping')).text).toBe('pong');
  });

  it('offsets POST with a partition the topic lacks, a negative or a non-integer offset answers 400 and sets nothing', async () => {
    const topic = uniqueTopic('pixy');
    await broker.createTopic(topic, 2);
    const group = uniqueTopic('g');
    const post = (entries: unknown) => call('POST', `/topics/${topic}/offsets?group=${group}`, JSON.stringify(entries), { 'content-type': 'application/json' });
    expect(await post([{ partition: 2, offset: 0 }])).toMatchObject({ status: 400, body: { error: expect.stringMatching(/no partition 2/) } });
    expect(await post([{ partition: 0, offset: 0 }, { partition: -1, offset: 0 }])).toMatchObject({ status: 400, body: { error: expect.stringMatching(/no partition -1/) } });
    expect(await post([{ partition: 0, offset: -5 }])).toMatchObject({ status: 400, body: { error: expect.stringMatching(/offset must be 0 or more, got -5/) } });
    expect(await post([{ partition: 0, offset: 1.5 }])).toMatchObject({ status: 400, body: { error: expect.stringMatching(/integer partition and offset/) } });
    expect(await post([{ partition: 0, offset: 1e20 }])).toMatchObject({ status: 400, body: { error: expect.stringMatching(/integer partition and offset/) } });
    expect(await post([{ partition: 0, offset: 0, metadata: 7 }])).toMatchObject({ status: 400, body: { error: expect.stringMatching(/metadata must be a string/) } });
    expect(await post([null])).toMatchObject({ status: 400 });
    expect(await admin.groupOffsets(group, [0, 1].map((partition) => ({ topic, partition })))).toEqual([
      { topic, partition: 0, offset: undefined },
      { topic, partition: 1, offset: undefined },
    ]);
    expect((await call('GET', '/_ping')).text).toBe('pong');
  });

  it('offsets POST for a group that is consuming answers 409 saying why', async () => {
    const topic = uniqueTopic('pixy');
    await broker.createTopic(topic, 1);
    const group = uniqueTopic('g');
    expect((await call('GET', `/topics/${topic}/messages?group=${group}`)).status).toBe(408);
    const refused = await call('POST', `/topics/${topic}/offsets?group=${group}`, JSON.stringify([{ partition: 0, offset: 0 }]), { 'content-type': 'application/json' });
    expect(refused, refused.text).toMatchObject({ status: 409, body: { error: expect.stringMatching(/only while the group has no members/) } });
  });

  it('a number in a query parameter that is not a plain integer in range answers 400 naming the parameter', async () => {
    const topic = uniqueTopic('pixy');
    await broker.createTopic(topic, 1);
    const group = uniqueTopic('g');
    for (const bad of ['1e20', '0x10', '-1', '1.5', '', ' 1', '99999999999999999']) {
      const acked = await call('POST', `/topics/${topic}/acks?group=${group}&partition=${encodeURIComponent(bad)}&offset=0`);
      expect(acked, acked.text).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^partition must be an integer from 0 to 2147483647/) } });
      const consumed = await call('GET', `/topics/${topic}/messages?group=${group}&ackPartition=0&ackOffset=${encodeURIComponent(bad)}`);
      expect(consumed, consumed.text).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^ackOffset must be an integer from 0 to 9007199254740991/) } });
    }
    expect(await call('GET', `/topics/${topic}/messages?group=${group}&ackPartition=2147483648&ackOffset=0`)).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^ackPartition must be an integer from 0 to 2147483647/) } });
    expect(await call('POST', `/topics/${topic}/acks?group=${group}&partition=0&offset=1e20`)).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^offset must be an integer from 0 to 9007199254740991/) } });
    expect(await call('GET', `/topics/${topic}/messages?group=a&group=b`)).toMatchObject({ status: 400, body: { error: expect.stringMatching(/group parameter is given 2 times/) } });
    expect(await call('POST', `/topics/${topic}/messages?key=a&key=b`, 'x')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/key parameter is given 2 times/) } });
    expect(await call('GET', `/topics/${topic}/messages?group=a%00b`)).toMatchObject({ status: 400, body: { error: expect.stringMatching(/NUL/) } });
    expect((await call('GET', '/_ping')).text).toBe('pong');
  });

  it('a message larger than message.max.bytes answers 413 naming the limit, sync or async, and nothing lands', async () => {
    const topic = uniqueTopic('pixy');
    await broker.createTopic(topic, 1);
    const big = Buffer.alloc(1_500_000, 'x');
    for (const query of ['?sync', '']) {
      const r = await call('POST', `/topics/${topic}/messages${query}`, big);
      expect(r.status, r.text).toBe(413);
      expect(r.body.error).toMatch(/larger than message.max.bytes \(1000000 bytes\)/);
    }
    expect((await admin.watermarkOffsets(topic, 0)).high).toBe(0);
    expect((await call('POST', `/topics/${topic}/messages?sync`, 'small')).status).toBe(200);
  });
});

describe.each(testBrokers())('$name broker, with pixy.max.consumers=2', (broker) => {
  useBroker(broker);
  let proxy: RunningProxy;
  beforeAll(async () => {
    // As a properties file (or --set) would give them.
    const properties = new Map([
      ['listeners', 'http://127.0.0.1:0'],
      ['pixy.listeners', 'http://127.0.0.1:0'],
      ['bootstrap.servers', broker.bootstrapServers],
      ['pixy.max.consumers', '2'],
      ['pixy.consumer.idle.timeout.ms', '5000'],
      ['pixy.long.poll.timeout.ms', '500'],
      ['consumer.session.timeout.ms', '6000'],
      ['consumer.heartbeat.interval.ms', '500'],
    ]);
    proxy = await startProxy(applyProperties(DEFAULTS, properties));
  });
  afterAll(async () => {
    await proxy.close();
  });

  const get = async (path: string): Promise<HttpReply> => {
    const res = await fetch(`${proxy.pixyUrl}${path}`);
    const text = await res.text();
    return { status: res.status, body: res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : undefined, text };
  };

  it('a third (group, topic) gets 429 naming the limit until one of the two has been idle past its timeout', async () => {
    const topic = uniqueTopic('pixy');
    await broker.createTopic(topic, 1);
    // Consumes of a topic that does not exist keep no slot.
    for (let i = 0; i < 3; i++) expect((await get(`/topics/${uniqueTopic('missing')}/messages?group=g${i}`)).status).toBe(404);
    expect((await get(`/topics/${topic}/messages?group=one`)).status).toBe(408);
    expect((await get(`/topics/${topic}/messages?group=two`)).status).toBe(408);
    const refused = await get(`/topics/${topic}/messages?group=three`);
    expect(refused.status, refused.text).toBe(429);
    expect(refused.body.error).toMatch(/at most 2 .*pixy\.max\.consumers/);
    expect((await get(`/topics/${topic}/messages?group=one`)).status).toBe(408); // a pair already served still is
    await new Promise((r) => setTimeout(r, 5500)); // longer than pixy.consumer.idle.timeout.ms
    expect((await get(`/topics/${topic}/messages?group=three`)).status).toBe(408);
    expect((await get('/_ping')).text).toBe('pong');
  });
});
