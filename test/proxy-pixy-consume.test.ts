// Kafka-Pixy consume when the proxy reads records in batches ahead of the requests: a rebalance or
// a closing consumer must not hand a record out twice, lose one, or commit one never handed out.
import { describe, expect, it } from 'vitest';
import type { RunningProxy } from '../lib/proxy';
import { testBrokers, useBroker } from './brokers';
import { startTestProxy, uniqueTopic, useProxy } from './helpers';
import { httpRequest, type HttpReply } from './http';

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  const settings = () => ({
    bootstrapServers: broker.bootstrapServers,
    // The embedded broker holds a member joining a group that has members for
    // session.timeout.ms - 1 s; a real broker takes 6 s at the least.
    consumer: { 'session.timeout.ms': broker.name === 'mock' ? '4000' : '6000', 'heartbeat.interval.ms': '500' },
    // Long enough for a group join: a consume that outlasts one is answered, not 408.
    pixyLongPollTimeoutMs: 10_000,
  });
  const first = useProxy(settings);
  const second = useProxy(settings);

  const call = (proxy: RunningProxy, method: string, path: string, body?: string): Promise<HttpReply> =>
    httpRequest(`${proxy.pixyUrl}${path}`, { method, body, headers: body === undefined ? {} : { 'content-type': method === 'POST' && path.includes('/offsets') ? 'application/json' : 'text/plain' } });
  const value = (reply: HttpReply) => Buffer.from(reply.body.value, 'base64').toString('utf8');

  /** Produces `count` messages m0, m1, ... spread over the topic's partitions by key, `together` at a time. */
  async function produce(proxy: RunningProxy, topic: string, count: number, together = 20): Promise<void> {
    for (let i = 0; i < count; i += together) {
      const replies = await Promise.all(Array.from({ length: Math.min(together, count - i) }, (_, j) => call(proxy, 'POST', `/topics/${topic}/messages?sync&key=k${i + j}`, `m${i + j}`)));
      for (const r of replies) expect(r.status, r.text).toBe(200);
    }
  }

  async function fromStart(proxy: RunningProxy, topic: string, group: string, partitions: number): Promise<void> {
    const body = JSON.stringify(Array.from({ length: partitions }, (_, partition) => ({ partition, offset: 0 })));
    expect((await call(proxy, 'POST', `/topics/${topic}/offsets?group=${group}`, body)).status).toBe(200);
  }

  // On the embedded broker, none is lost but some may come twice: librdkafka's mock coordinator
  // refuses OffsetCommit while the group is joining (REBALANCE_IN_PROGRESS), where Kafka takes it
  // until the group completes its rebalance, so the first member's last commits before its revoke
  // fail there and the second starts its partitions at older offsets.
  it('a second proxy joining the group mid-read: every message is handed out once (at least once on the embedded broker), by one of the two, and none is lost', async () => {
    const topic = uniqueTopic('pixy');
    const group = uniqueTopic('g');
    const count = 300;
    await broker.createTopic(topic, 4);
    await produce(first, topic, count);
    await fromStart(first, topic, group, 4);
    const got: { [proxy: string]: string[] } = { first: [], second: [] };
    const seen = new Set<string>();
    // Each worker consumes until every message was seen (or `until`), or three long polls in a row found none.
    const worker = async (name: 'first' | 'second', proxy: RunningProxy, pace: () => boolean, until = count) => {
      for (let empty = 0; seen.size < count && got[name].length < until && empty < 3; ) {
        const r = await call(proxy, 'GET', `/topics/${topic}/messages?group=${group}`);
        if (r.status === 408) {
          empty++;
          continue;
        }
        expect(r.status, r.text).toBe(200);
        empty = 0;
        got[name].push(value(r));
        seen.add(value(r));
        // The first worker takes its time until the second has joined and got a message, as a
        // worker processing each message would: otherwise it could read everything alone.
        if (pace()) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await worker('first', first, () => false, 10); // the first proxy has read ahead of these
    await Promise.all([worker('first', first, () => got.second.length === 0), worker('second', second, () => false)]);
    expect(got.second.length).toBeGreaterThan(0); // the group did rebalance
    const handedOut = [...got.first, ...got.second];
    const twice = handedOut.filter((v, i) => handedOut.indexOf(v) !== i);
    if (broker.name !== 'mock') expect(twice).toEqual([]);
    expect(new Set(handedOut)).toEqual(new Set(Array.from({ length: count }, (_, i) => `m${i}`)));
  });

  it.each([
    ['auto-acked', '', 5],
    ['explicitly acked', '&noAck', 3],
  ])('a proxy closing with messages read ahead commits only those %s: the group resumes at the first one not acked', async (_, mode, acked) => {
    const topic = uniqueTopic('pixy');
    const group = uniqueTopic('g');
    await broker.createTopic(topic, 1);
    await produce(first, topic, 20, 1);
    await fromStart(first, topic, group, 1);
    const closing = await startTestProxy(settings());
    try {
      for (let i = 0; i < 5; i++) {
        const r = await call(closing, 'GET', `/topics/${topic}/messages?group=${group}${mode}`);
        expect(r.status, r.text).toBe(200);
        expect(value(r)).toBe(`m${i}`);
        if (mode !== '' && i < acked) expect((await call(closing, 'POST', `/topics/${topic}/acks?group=${group}&partition=0&offset=${r.body.offset}`)).status).toBe(200);
      }
    } finally {
      await closing.close();
    }
    const offsets = await call(second, 'GET', `/topics/${topic}/offsets?group=${group}`);
    expect(offsets.body[0].offset).toBe(acked);
    const resumed = await call(second, 'GET', `/topics/${topic}/messages?group=${group}`);
    expect(resumed.status, resumed.text).toBe(200);
    expect(value(resumed)).toBe(`m${acked}`);
  });
  it('explicit acks in any order: once every message handed out is acked, the group commits past the last one, and an ack of an offset never handed out commits nothing', async () => {
    const topic = uniqueTopic('pixy');
    const group = uniqueTopic('g');
    await broker.createTopic(topic, 1);
    await produce(first, topic, 6, 1);
    await fromStart(first, topic, group, 1);
    const closing = await startTestProxy(settings());
    try {
      const offsets: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await call(closing, 'GET', `/topics/${topic}/messages?group=${group}&noAck`);
        expect(r.status, r.text).toBe(200);
        offsets.push(r.body.offset);
      }
      expect(offsets).toEqual([0, 1, 2]);
      for (const offset of [2, 1, 0, 5]) expect((await call(closing, 'POST', `/topics/${topic}/acks?group=${group}&partition=0&offset=${offset}`)).status).toBe(200);
    } finally {
      await closing.close();
    }
    expect((await call(second, 'GET', `/topics/${topic}/offsets?group=${group}`)).body[0].offset).toBe(3);
  });
});
