// Kafka-Pixy consume answered at once from the group's buffer (no promise, no wait; on the native
// front end, by the front end itself from the records the group leased to it) and consume that
// waits for a read or a long poll: the same answers, byte for byte, on the native front end and on
// the JS route, with every ack (explicit, carried by a consume, or none with noAck) kept.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunningProxy } from '../lib/proxy';
import { capi } from '../lib/native';
import { PixyGroupConsumer } from '../lib/proxy/pixy-groups';
import { testBrokers, useBroker } from './brokers';
import { uniqueTopic, useProxy } from './helpers';
import { exchange, leaveWhileWaiting } from './http';

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: proxy\r\n\r\n`;
const post = (path: string, body: string) => `POST ${path} HTTP/1.1\r\nHost: proxy\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const withoutDate = (answer: string) => answer.replace(/\r\nDate: [^\r]+/, '\r\nDate: -');
const bodyOf = (answer: string) => answer.slice(answer.indexOf('\r\n\r\n') + 4);
const statusOf = (answer: string | undefined) => /^HTTP\/1.1 (\d+)/.exec(answer ?? '')?.[1] ?? 'none';

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  // The embedded broker holds a member joining a group that has members for session.timeout.ms - 1 s.
  const consumer = { 'session.timeout.ms': broker.name === 'mock' ? '4000' : '6000', 'heartbeat.interval.ms': '500' };
  /** 6 s long polls (a new group's first consume outlasts its join); unacked messages offered again after 3 s. */
  const settings = () => ({ bootstrapServers: broker.bootstrapServers, consumer, pixyLongPollTimeoutMs: 6000, pixyAckTimeoutMs: 3000, httpKeepAliveTimeoutMs: 2500 });
  const proxies: { [name: string]: RunningProxy } = { native: useProxy(settings), js: useProxy(() => ({ ...settings(), pixyNativeFrontEnd: false })) };
  afterEach(() => vi.restoreAllMocks());

  /** A topic of one partition holding `messages`, and a group that starts reading it at offset 0. */
  async function filledTopic(url: string, messages: string[]): Promise<{ topic: string; group: string }> {
    const topic = uniqueTopic('paths');
    const group = uniqueTopic('g');
    await broker.createTopic(topic, 1);
    for (const m of messages) expect(statusOf((await exchange(url, post(`/topics/${topic}/messages?sync`, m), 1)).answers[0])).toBe('200');
    expect(statusOf((await exchange(url, post(`/topics/${topic}/offsets?group=${group}`, '[{"partition":0,"offset":0}]'), 1)).answers[0])).toBe('200');
    return { topic, group };
  }

  /** The offsets of the records each group was handed at once from its buffer. */
  function recordsAnsweredAtOnce(): { [group: string]: number[] } {
    const atOnce: { [group: string]: number[] } = {};
    const original = PixyGroupConsumer.prototype.nextAtHand;
    vi.spyOn(PixyGroupConsumer.prototype, 'nextAtHand').mockImplementation(function (this: PixyGroupConsumer, autoAck: boolean) {
      const record = original.call(this, autoAck);
      if (record !== undefined) (atOnce[this.group] ??= []).push(record.offset);
      return record;
    });
    return atOnce;
  }

  /** How many records each group's lease handed out on the native front end (from the logs the groups take). */
  function recordsHandedOutByFrontEnd(): { [group: string]: number } {
    const handed: { [group: string]: number } = {};
    const binding = capi as unknown as { HttpFrontTake(front: unknown, group: string, topic: string, reclaim: boolean): Float64Array };
    const original = binding.HttpFrontTake.bind(binding);
    vi.spyOn(binding, 'HttpFrontTake').mockImplementation((front, group, topic, reclaim) => {
      const log = original(front, group, topic, reclaim);
      for (let i = 0; i < log.length; i += 4) if (log[i] !== 2) handed[group] = (handed[group] ?? 0) + 1;
      return log;
    });
    return handed;
  }

  it('records from the buffer and records waited for, auto-acked, noAck and acked either way, answer byte for byte alike on both routes', async () => {
    expect(proxies.native.nativeFront).toBeDefined();
    expect(proxies.js.nativeFront).toBeUndefined();
    const atOnce = recordsAnsweredAtOnce();
    const byFrontEnd = recordsHandedOutByFrontEnd();
    const flows: { [name: string]: { topic: string; group: string } } = {};
    const answers: { [name: string]: string[] } = {};
    await Promise.all(['native', 'js'].map(async (name) => {
      const url = proxies[name].pixyUrl!;
      const { topic, group } = (flows[name] = await filledTopic(url, ['zero', 'one', 'two', 'three', 'four', 'five']));
      const requests = [
        get(`/topics/${topic}/messages?group=${group}`), // the group starts: this one waits for its first read
        get(`/topics/${topic}/messages?group=${group}&noAck`), // the rest of that read, from the buffer
        get(`/topics/${topic}/messages?group=${group}&ackPartition=0&ackOffset=1`),
        `POST /topics/${topic}/acks?group=${group}&partition=0&offset=2 HTTP/1.1\r\nHost: proxy\r\n\r\n`,
        get(`/topics/${topic}/messages?group=${group}`),
        get(`/topics/${topic}/messages?group=${group}&noAck`),
        get(`/topics/${topic}/messages?group=${group}&noAck`),
        // The buffer is empty: this one acks the last message and waits out its long poll (6 s,
        // longer than the 3 s ack timeout).
        get(`/topics/${topic}/messages?group=${group}&ackPartition=0&ackOffset=5`),
        // Were the ack of offset 4 or 5 lost, this one would get that message again at once.
        get(`/topics/${topic}/messages?group=${group}&ackPartition=0&ackOffset=4`),
      ];
      answers[name] = [];
      for (const request of requests) answers[name].push(withoutDate((await exchange(url, request, 1)).answers[0] ?? ''));
    }));
    const { native, js } = flows;
    expect(answers.native).toEqual(answers.js.map((a) => a.replaceAll(js.topic, native.topic).replaceAll(js.group, native.group)));
    expect(answers.native.map(statusOf)).toEqual(['200', '200', '200', '200', '200', '200', '200', '408', '408']);
    const bodies = answers.native.map(bodyOf);
    expect([0, 1, 2, 4, 5, 6].map((i) => JSON.parse(bodies[i]).offset)).toEqual([0, 1, 2, 3, 4, 5]);
    expect([0, 1, 2, 4, 5, 6].map((i) => Buffer.from(JSON.parse(bodies[i]).value, 'base64').toString())).toEqual(['zero', 'one', 'two', 'three', 'four', 'five']);
    expect(bodies[3]).toBe('{}');
    // Both routes took the first record by waiting for the group's first read, and from the buffer
    // what that read brought beyond it (all of the rest, unless the broker's fetch split them): the
    // JS route in the same turn, the native front end from the group's lease, without JavaScript.
    expect(atOnce[js.group]?.length).toBeGreaterThan(0);
    expect(atOnce[js.group].every((offset, i) => offset >= 1 && offset <= 5 && (i === 0 || offset > atOnce[js.group][i - 1]))).toBe(true);
    expect(byFrontEnd[native.group]).toBeGreaterThan(0);
    expect(byFrontEnd[js.group]).toBeUndefined();
    expect(byFrontEnd[native.group] + (atOnce[native.group]?.length ?? 0)).toBeLessThanOrEqual(5);
    // Every message acked: the group's committed offset is past the last one.
    for (const name of ['native', 'js']) {
      const offsets = await exchange(proxies[name].pixyUrl!, get(`/topics/${flows[name].topic}/offsets?group=${flows[name].group}`), 1);
      expect(JSON.parse(bodyOf(offsets.answers[0]))[0]).toMatchObject({ partition: 0, offset: 6, lag: 0 });
    }
  }, 90_000);

  it('a noAck message left unacked is offered again from the buffer after the ack timeout, alike on both routes', async () => {
    const atOnce = recordsAnsweredAtOnce();
    const flows: { [name: string]: { topic: string; group: string } } = {};
    const answers: { [name: string]: string[] } = {};
    await Promise.all(['native', 'js'].map(async (name) => {
      const url = proxies[name].pixyUrl!;
      const { topic, group } = (flows[name] = await filledTopic(url, ['only']));
      answers[name] = [];
      for (const request of [
        get(`/topics/${topic}/messages?group=${group}&noAck`), // offset 0, never acked
        get(`/topics/${topic}/messages?group=${group}`), // nothing new: a 6 s long poll, past the 3 s ack timeout
        get(`/topics/${topic}/messages?group=${group}`), // offset 0 again, overdue, without waiting
      ]) answers[name].push(withoutDate((await exchange(url, request, 1)).answers[0] ?? ''));
    }));
    const { native, js } = flows;
    expect(answers.native).toEqual(answers.js.map((a) => a.replaceAll(js.topic, native.topic).replaceAll(js.group, native.group)));
    expect(answers.native.map(statusOf)).toEqual(['200', '408', '200']);
    expect(answers.native.map(bodyOf).filter((_, i) => i !== 1).map((b) => JSON.parse(b).offset)).toEqual([0, 0]);
    expect(atOnce[native.group]).toEqual([0]);
    expect(atOnce[js.group]).toEqual([0]);
  }, 60_000);

  it('a noAck message the front end handed out from its lease is offered again after the ack timeout, ahead of the records still leased, alike on both routes', async () => {
    const byFrontEnd = recordsHandedOutByFrontEnd();
    const flows: { [name: string]: { topic: string; group: string } } = {};
    const answers: { [name: string]: string[] } = {};
    await Promise.all(['native', 'js'].map(async (name) => {
      const url = proxies[name].pixyUrl!;
      const { topic, group } = (flows[name] = await filledTopic(url, ['zero', 'one', 'two', 'three']));
      const consume = async (query: string) => answers[name].push(withoutDate((await exchange(url, get(`/topics/${topic}/messages?group=${group}${query}`), 1)).answers[0] ?? ''));
      answers[name] = [];
      await consume(''); // offset 0: the group starts; its first read brings the rest
      await consume('&noAck'); // offset 1, never acked
      await new Promise((resolve) => setTimeout(resolve, 3500)); // past the 3 s ack timeout
      await consume(''); // offset 1 again, before offsets 2 and 3
      await consume('');
      await consume('');
    }));
    const { native, js } = flows;
    expect(answers.native).toEqual(answers.js.map((a) => a.replaceAll(js.topic, native.topic).replaceAll(js.group, native.group)));
    expect(answers.native.map(statusOf)).toEqual(['200', '200', '200', '200', '200']);
    expect(answers.native.map((a) => JSON.parse(bodyOf(a)).offset)).toEqual([0, 1, 1, 2, 3]);
    expect(byFrontEnd[native.group]).toBeGreaterThan(0);
  }, 60_000);

  it("bad acks on consumes of a group whose records the front end holds get the JS route's 400s, byte for byte, and lose no record", async () => {
    const byFrontEnd = recordsHandedOutByFrontEnd();
    const flows: { [name: string]: { topic: string; group: string } } = {};
    const answers: { [name: string]: string[] } = {};
    await Promise.all(['native', 'js'].map(async (name) => {
      const url = proxies[name].pixyUrl!;
      const { topic, group } = (flows[name] = await filledTopic(url, ['zero', 'one', 'two', 'three']));
      answers[name] = [];
      for (const query of [
        '', // offset 0: the group starts; its first read brings the rest, which the front end then holds
        '&ackPartition=abc&ackOffset=1', // not a number
        '&ackPartition=7&ackOffset=0', // a partition this group never handed out
        '&ackPartition=0', // without its offset
        '&ackPartition=0&ackOffset=99999999999999999', // beyond 2^53
        '',
        '',
        '',
      ]) answers[name].push(withoutDate((await exchange(url, get(`/topics/${topic}/messages?group=${group}${query}`), 1)).answers[0] ?? ''));
    }));
    const { native, js } = flows;
    expect(answers.native).toEqual(answers.js.map((a) => a.replaceAll(js.topic, native.topic).replaceAll(js.group, native.group)));
    expect(answers.native.map(statusOf)).toEqual(['200', '400', '400', '400', '400', '200', '200', '200']);
    expect(JSON.parse(bodyOf(answers.native[1])).error).toMatch(/ackPartition/);
    expect(JSON.parse(bodyOf(answers.native[2])).error).toMatch(/Partition 7 was never handed out/);
    expect([0, 5, 6, 7].map((i) => JSON.parse(bodyOf(answers.native[i])).offset)).toEqual([0, 1, 2, 3]);
    expect(byFrontEnd[native.group]).toBeGreaterThan(0);
  }, 60_000);

  it.each(['native', 'js'])('a consume of a started group whose client goes away while it waits hands out no record (%s route)', async (name) => {
    const url = proxies[name].pixyUrl!;
    const { topic, group } = await filledTopic(url, ['first']);
    // The group starts and hands out its one message: the next consume waits with a started group.
    expect(JSON.parse(bodyOf((await exchange(url, get(`/topics/${topic}/messages?group=${group}`), 1)).answers[0]))).toMatchObject({ offset: 0 });
    // The request waits for a record (6 s long poll) when its client leaves.
    expect(await leaveWhileWaiting(url, get(`/topics/${topic}/messages?group=${group}`), 500)).toBe('');
    expect(statusOf((await exchange(url, post(`/topics/${topic}/messages?sync`, 'after the client left'), 1)).answers[0])).toBe('200');
    const next = await exchange(url, get(`/topics/${topic}/messages?group=${group}`), 1);
    expect(statusOf(next.answers[0])).toBe('200');
    expect(JSON.parse(bodyOf(next.answers[0]))).toMatchObject({ offset: 1, value: Buffer.from('after the client left').toString('base64') });
  }, 60_000);
});
