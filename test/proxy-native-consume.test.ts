// The Kafka-Pixy consume and ack routes on the native front end's connections (answered by the
// routes' own logic in JavaScript), over real sockets on both brokers: byte for byte what the JS
// routes answer, in order on a pipelining connection, and no record handed to a client gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, startProxy, type RunningProxy } from '../lib/proxy';
import { testBrokers, useBroker } from './brokers';
import { exchange, leaveWhileWaiting } from './http';
import { uniqueTopic, useProxy } from './helpers';


const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: proxy\r\n${extra}\r\n`;
const post = (path: string, body: string, extra = '') => `POST ${path} HTTP/1.1\r\nHost: proxy\r\nContent-Type: text/plain\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const withoutDate = (answer: string) => answer.replace(/\r\nDate: [^\r]+/, '\r\nDate: -');
const bodyOf = (answer: string) => answer.slice(answer.indexOf('\r\n\r\n') + 4);
const CLUSTER = DEFAULTS.id;

/** Counts of /metrics' rest_proxy_requests_total for the consume and ack routes (200 and 400). */
async function routeCounts(url: string): Promise<number[]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const count = (method: string, route: string, status: number) =>
    Number(new RegExp(`rest_proxy_requests_total\\{api="pixy",method="${method}",route="${route.replaceAll('/', '\\/')}",status="${status}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  return [
    count('GET', '/topics/:topic/messages', 200),
    count('GET', '/topics/:topic/messages', 400),
    count('GET', '/clusters/:cluster/topics/:topic/messages', 200),
    count('POST', '/topics/:topic/acks', 200),
    count('POST', '/clusters/:cluster/topics/:topic/acks', 200),
  ];
}

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  // The embedded broker holds a member joining a group that has members for session.timeout.ms - 1 s.
  const consumer = { 'session.timeout.ms': broker.name === 'mock' ? '4000' : '6000', 'heartbeat.interval.ms': '500' };
  /** 10 s long polls: a new group's first consume outlasts its group join. */
  const settings = (longPoll: number) => ({ bootstrapServers: broker.bootstrapServers, consumer, pixyLongPollTimeoutMs: longPoll, httpKeepAliveTimeoutMs: 2500 });
  const native = useProxy(() => settings(10_000));
  const js = useProxy(() => ({ ...settings(10_000), pixyNativeFrontEnd: false }));
  /** 1 s long polls, for the answers that are not a record. */
  const lines: Array<{ proxy: string; fields: { [key: string]: unknown }; message: string }> = [];
  const quick: { [name: string]: RunningProxy } = {};
  beforeAll(async () => {
    for (const [name, front] of [['native', true], ['js', false]] as const) {
      const ignore = () => undefined;
      const logger = { error: (fields: { [key: string]: unknown }, message: string) => lines.push({ proxy: name, fields, message }), warn: ignore, info: ignore, debug: ignore };
      quick[name] = await startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: 'http://127.0.0.1:0', schemaRegistryListeners: '', ...settings(1000), pixyNativeFrontEnd: front }, undefined, logger);
    }
  });
  afterAll(() => Promise.all(Object.values(quick).map((p) => p.close())));

  /** A topic of one partition holding `messages`, and a group that starts reading it at offset 0. */
  async function filledTopic(url: string, messages: string[]): Promise<{ topic: string; group: string }> {
    const topic = uniqueTopic('nc');
    const group = uniqueTopic('g');
    await broker.createTopic(topic, 1);
    for (const m of messages) expect((await exchange(url, post(`/topics/${topic}/messages?sync`, m), 1)).answers[0]).toMatch(/^HTTP\/1.1 200 OK/);
    const offsets = await exchange(url, post(`/topics/${topic}/offsets?group=${group}`, '[{"partition":0,"offset":0}]'), 1);
    expect(offsets.answers[0]).toMatch(/^HTTP\/1.1 200 OK/);
    return { topic, group };
  }

  it('consumes and acks natively, answering byte for byte what the JS routes answer, and /metrics counts them alike', async () => {
    expect(native.nativeFront).toBeDefined();
    expect(js.nativeFront).toBeUndefined();
    const flows = { native: await filledTopic(native.pixyUrl!, ['one', 'two', 'three', 'four', 'five', 'six', 'seven']), js: await filledTopic(js.pixyUrl!, ['one', 'two', 'three', 'four', 'five', 'six', 'seven']) };
    const requests = ({ topic, group }: { topic: string; group: string }) => [
      get(`/topics/${topic}/messages?group=${group}`),
      get(`/clusters/${CLUSTER}/topics/${topic}/messages?group=${group}&noAck`),
      `POST /topics/${topic}/acks?group=${group}&partition=0&offset=1 HTTP/1.1\r\nHost: proxy\r\n\r\n`,
      get(`/topics/${topic}/messages?group=${group}&ackPartition=0&ackOffset=1`),
      post(`/clusters/${CLUSTER}/topics/${topic}/acks?group=${group}&partition=0&offset=2`, ''),
      // The group's name with an escape and a parameter the route ignores (that one goes to Node).
      get(`/topics/${topic}/messages?group=%${group.charCodeAt(0).toString(16)}${group.slice(1)}`),
      get(`/topics/${topic}/messages?group=${group}&other=1`),
      `GET /topics/${topic}/messages?group=${group} HTTP/1.0\r\n\r\n`,
      get(`/topics/${topic}/messages?group=${group}`, 'Connection: close\r\n'),
    ];
    const before = { native: await routeCounts(native.pixyUrl!), js: await routeCounts(js.pixyUrl!) };
    const handedOff = native.nativeFront!.stats().handedOff;
    const [nativeRequests, jsRequests] = [requests(flows.native), requests(flows.js)];
    const offsets: number[] = [];
    for (let i = 0; i < nativeRequests.length; i++) {
      const [a, b] = await Promise.all([exchange(native.pixyUrl!, nativeRequests[i], 1), exchange(js.pixyUrl!, jsRequests[i], 1)]);
      const expected = withoutDate(b.answers[0] ?? '').replaceAll(flows.js.topic, flows.native.topic).replaceAll(flows.js.group, flows.native.group);
      expect(withoutDate(a.answers[0] ?? ''), nativeRequests[i].slice(0, 100)).toBe(expected);
      expect(a.answers[0]).toMatch(/^HTTP\/1.1 200 OK\r\n/);
      const body = JSON.parse(bodyOf(a.answers[0])) as { offset?: number };
      if (body.offset !== undefined) offsets.push(body.offset);
    }
    expect(offsets).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // Only the request with a parameter the route does not read went to Node.
    expect(native.nativeFront!.stats().handedOff - handedOff).toBe(1);
    const after = { native: await routeCounts(native.pixyUrl!), js: await routeCounts(js.pixyUrl!) };
    const delta = (name: 'native' | 'js') => after[name].map((n, i) => n - before[name][i]);
    expect(delta('native')).toEqual([6, 0, 1, 1, 1]);
    expect(delta('native')).toEqual(delta('js'));
  });

  it('bad and hostile consume and ack requests get the JS routes\' answers, byte for byte, and their 5xx are logged alike', async () => {
    const flows: { [name: string]: { topic: string; group: string; unknown: string } } = {};
    for (const name of ['native', 'js']) flows[name] = { ...(await filledTopic(quick[name].pixyUrl!, [])), unknown: uniqueTopic('none') };
    const requests = ({ topic, group, unknown }: { topic: string; group: string; unknown: string }) => [
      get(`/topics/${topic}/messages?group=${group}`), // long poll: 408
      get(`/clusters/${CLUSTER}/topics/${topic}/messages?group=${group}&noAck`),
      get(`/topics/${topic}/messages`),
      get(`/topics/${topic}/messages?group=`),
      get(`/topics/${topic}/messages?group=a%00b`),
      get(`/topics/${topic}/messages?group=${group}&ackPartition=x&ackOffset=1`),
      get(`/topics/${topic}/messages?group=${group}&ackPartition=1`),
      get(`/topics/${topic}/messages?group=${group}&ackPartition=5&ackOffset=1`),
      get(`/topics/${topic}/messages?group=${group}&ackPartition=1e3&ackOffset=1`),
      get(`/clusters/other/topics/${topic}/messages?group=${group}`),
      get(`/topics/bad$name/messages?group=${group}`),
      get(`/topics/${'t'.repeat(250)}/messages?group=${group}`),
      get(`/topics/${unknown}/messages?group=${group}`),
      get(`/topics/${topic}/messages?group=${group}&group=other`),
      get(`/topics/${topic}/messages?group=%zz`),
      get(`/topics/${topic}/messages?group=%E2%82%AC`),
      get(`/topics/${topic}/messages?group=${'g'.repeat(20_000)}`),
      get(`/topics/${topic}/messages?group=${group}`, 'Content-Length: 3\r\n').replace(/\r\n\r\n$/, '\r\n\r\nabc'),
      `POST /topics/${topic}/acks?group=${group}&partition=3&offset=0 HTTP/1.1\r\nHost: proxy\r\n\r\n`,
      `POST /topics/${topic}/acks?group=nobody&partition=0&offset=0 HTTP/1.1\r\nHost: proxy\r\nContent-Length: 0\r\n\r\n`,
      `POST /topics/${topic}/acks?group=${group}&partition=x&offset=0 HTTP/1.1\r\nHost: proxy\r\n\r\n`,
      `POST /topics/${topic}/acks?group=${group}&partition=0 HTTP/1.1\r\nHost: proxy\r\n\r\n`,
      `POST /clusters/other/topics/${topic}/acks?group=${group}&partition=0&offset=0 HTTP/1.1\r\nHost: proxy\r\n\r\n`,
      post(`/topics/${topic}/acks?group=${group}&partition=0&offset=0`, 'a body'),
    ];
    const [nativeRequests, jsRequests] = [requests(flows.native), requests(flows.js)];
    const statuses: string[] = [];
    for (let i = 0; i < nativeRequests.length; i++) {
      const [a, b] = await Promise.all([exchange(quick.native.pixyUrl!, nativeRequests[i], 1), exchange(quick.js.pixyUrl!, jsRequests[i], 1)]);
      const expected = withoutDate(b.answers[0] ?? '').replaceAll(flows.js.topic, flows.native.topic).replaceAll(flows.js.group, flows.native.group).replaceAll(flows.js.unknown, flows.native.unknown);
      expect(withoutDate(a.answers[0] ?? ''), nativeRequests[i].slice(0, 100)).toBe(expected);
      statuses.push(/^HTTP\/1.1 (\d+)/.exec(a.answers[0] ?? '')?.[1] ?? 'none');
    }
    expect(statuses).toEqual(['408', '408', '400', '400', '400', '400', '400', '400', '400', '400', '400', '400', '404', '400', '408', '408', '431', '408', '500', '500', '400', '400', '400', '500']);
    const logged = (name: string) => lines.filter((l) => l.proxy === name).map((l) => JSON.stringify({ ...l.fields, proxy: undefined, message: l.message }).replaceAll(flows[name].topic, 'T').replaceAll(flows[name].group, 'G'));
    expect(logged('native')).toHaveLength(3);
    expect(logged('native')).toEqual(logged('js'));
  });

  it('pipelined consume, ack and produce requests on one keep-alive connection are answered in order', async () => {
    const { topic, group } = await filledTopic(native.pixyUrl!, ['0', '1', '2', '3', '4']);
    const pipelined = [
      get(`/topics/${topic}/messages?group=${group}`),
      get(`/topics/${topic}/messages?group=${group}`),
      get(`/topics/${topic}/messages?group=${group}&noAck`),
      `POST /topics/${topic}/acks?group=${group}&partition=0&offset=2 HTTP/1.1\r\nHost: proxy\r\n\r\n`,
      post(`/topics/${topic}/messages?sync`, '5'),
      'GET /_ping HTTP/1.1\r\nHost: proxy\r\n\r\n',
    ];
    const result = await exchange(native.pixyUrl!, pipelined.join(''), pipelined.length);
    const bodies = result.answers.map(bodyOf);
    expect(bodies.slice(0, 3).map((b) => JSON.parse(b).offset)).toEqual([0, 1, 2]);
    expect(bodies.slice(0, 3).map((b) => Buffer.from(JSON.parse(b).value, 'base64').toString())).toEqual(['0', '1', '2']);
    expect(bodies.slice(3)).toEqual(['{}', '{"partition":0,"offset":5}', 'pong']);
    // The rest, pipelined on a connection that stays with the front end.
    const rest = await exchange(native.pixyUrl!, [3, 4, 5].map(() => get(`/topics/${topic}/messages?group=${group}`)).join(''), 3);
    expect(rest.answers.map((a) => JSON.parse(bodyOf(a)).offset)).toEqual([3, 4, 5]);
  });

  it.each(['native', 'js'] as const)('a consume whose client goes away while it waits hands out no record (%s route): the group\'s next request gets the message produced after', async (name) => {
    const proxy = name === 'native' ? native : js;
    const { topic, group } = await filledTopic(proxy.pixyUrl!, []);
    // The request waits for a record (10 s long poll) when its client leaves.
    expect(await leaveWhileWaiting(proxy.pixyUrl!, get(`/topics/${topic}/messages?group=${group}`), 500)).toBe('');
    expect((await exchange(proxy.pixyUrl!, post(`/topics/${topic}/messages?sync`, 'after the client left'), 1)).answers[0]).toMatch(/^HTTP\/1.1 200 OK/);
    const next = await exchange(proxy.pixyUrl!, get(`/topics/${topic}/messages?group=${group}`), 1);
    expect(next.answers[0]).toMatch(/^HTTP\/1.1 200 OK/);
    expect(JSON.parse(bodyOf(next.answers[0]))).toMatchObject({ offset: 0, value: Buffer.from('after the client left').toString('base64') });
  });

  it('a proxy closing while consumes wait answers them as the JS route does, then closes', async () => {
    const answers: { [name: string]: string } = {};
    await Promise.all(([['native', true], ['js', false]] as const).map(async ([name, front]) => {
      const proxy = await startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: 'http://127.0.0.1:0', schemaRegistryListeners: '', ...settings(2000), pixyNativeFrontEnd: front });
      let waiting: Promise<{ answers: string[] }> | undefined;
      try {
        const { topic, group } = await filledTopic(proxy.pixyUrl!, []);
        waiting = exchange(proxy.pixyUrl!, get(`/topics/${topic}/messages?group=${group}`), 1);
        await new Promise((r) => setTimeout(r, 300)); // the consume waits when the proxy closes
      } finally {
        await proxy.close();
      }
      answers[name] = withoutDate((await waiting!).answers[0] ?? '');
    }));
    expect(answers.native).toMatch(/^HTTP\/1.1 408 Request Timeout\r\n[^]*\{"error":"long polling timeout"\}$/);
    expect(answers.native).toBe(answers.js);
  });
});
