// The Confluent listener's produce routes on the addon's native front end (confluent.native.front.end,
// on by default), over real sockets on both brokers: POST /topics/{topic}[/partitions/{p}] of the
// exact shape stays on the front end's connection and is answered by confluent.ts's own logic,
// byte for byte as the Fastify route answers it; every other request goes to Node with its
// connection.
import { describe, expect, it } from 'vitest';
import { Admin } from '../lib/admin';
import { testBrokers, useBroker } from './brokers';
import { exchange, sendCut } from './http';
import { Consumer } from '../lib/consumer';
import { consumeCount, consumerConfig, startTestProxy, uniqueTopic, useProxy } from './helpers';

const BINARY = 'application/vnd.kafka.binary.v2+json';
const JSON_V2 = 'application/vnd.kafka.json.v2+json';

const post = (path: string, body: string, type: string = JSON_V2, extra = '') =>
  `POST ${path} HTTP/1.1\r\nHost: proxy\r\nContent-Type: ${type}\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const withoutDate = (answer: string) => answer.replace(/\r\nDate: [^\r]+/, '\r\nDate: -');
const records = (n: number) => JSON.stringify({ records: Array.from({ length: n }, (_, i) => ({ value: { n: i } })) });

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  const settings = () => ({ bootstrapServers: broker.bootstrapServers, schemaRegistryListeners: '', maxRequestRecords: 5, maxRequestJsonValues: 40, maxRequestBytes: 64 * 1024, httpHeadersTimeoutMs: 1000, httpRequestTimeoutMs: 2000 });
  const native = useProxy(() => ({ ...settings(), confluentNativeFrontEnd: true }));
  const js = useProxy(() => ({ ...settings(), confluentNativeFrontEnd: false }));

  it('serves the produce routes natively, answering byte for byte what the Fastify route answers, good requests and bad', async () => {
    expect(native.confluentNativeFront).toBeDefined();
    expect(js.confluentNativeFront).toBeUndefined();
    // Two topics of one partition with names of one length: the same requests give the same offsets.
    const base = uniqueTopic('cn');
    const topics = { native: `${base}-n`, js: `${base}-j` };
    await broker.createTopic(topics.native, 1);
    await broker.createTopic(topics.js, 1);
    const handedOff = native.confluentNativeFront!.stats().handedOff;
    const requests = (topic: string) => [
      post(`/topics/${topic}`, '{"records":[{"value":{"hello":"world"}}]}'),
      post(`/topics/${topic}`, records(3)),
      post(`/topics/${topic}`, '{"records":[{"key":"red","value":[1,2,3]}]}'),
      post(`/topics/${topic}`, '{"records":[{"key":"a2V5","value":"dmFsdWU="},{"value":null}]}', BINARY),
      post(`/topics/${topic}`, '{"records":[{"value":"plain json"}]}', 'application/json'),
      post(`/topics/${topic}/partitions/0`, '{"records":[{"value":"to partition 0"}]}'),
      post(`/topics/${topic}`, '{"records":[{"partition":0,"value":1},{"partition":3,"value":2}]}'),
      post(`/topics/${topic}`, '{"records":[{"value":"closing"}]}', JSON_V2, 'Connection: close\r\n'),
      post(`/topics/${topic}`, '{"records":[{"value":"eA=="}]}', BINARY, 'Accept: application/vnd.kafka.v2+json\r\n'),
      post(`/topics/${topic}`, '{"records":[{"value":"eA=="}]}', BINARY, 'Accept: text/html\r\n'),
      `POST /topics/${topic} HTTP/1.0\r\nContent-Type: ${JSON_V2}\r\nContent-Length: 24\r\n\r\n{"records":[{"value":1}]}`.replace('24', String('{"records":[{"value":1}]}'.length)),
      // Refused by the route's own checks.
      post(`/topics/${topic}`, '{"records":[{"value":'),
      post(`/topics/${topic}`, ''),
      post(`/topics/${topic}`, '[]'),
      post(`/topics/${topic}`, '{"records":[]}'),
      post(`/topics/${topic}`, records(6)),
      post(`/topics/${topic}`, JSON.stringify({ records: [{ value: Array.from({ length: 50 }, (_, i) => i) }] })),
      post(`/topics/${topic}`, '{"records":[{"value":"bad base64!"}]}', BINARY),
      post(`/topics/${topic}`, '{"records":[{"partition":-2,"value":1}]}'),
      post(`/topics/${topic}`, '{"records":[{"partition":"x","value":1}]}'),
      post(`/topics/${topic}/partitions/7`, '{"records":[{"value":1}]}'),
      post(`/topics/${topic}/partitions/2147483648`, '{"records":[{"value":1}]}'),
      post('/topics/__consumer_offsets', '{"records":[{"value":1}]}'),
      post(`/topics/${topic}-missing`, '{"records":[{"key":"k","value":1}]}'),
      // Handed to Node: not a type or a shape the front end keeps.
      post(`/topics/${topic}`, '{"records":[{"value":1}]}', 'text/plain'),
      post(`/topics/${topic}`, '{"records":[{"value":"eA=="}]}', 'application/vnd.kafka.binary.v1+json'),
      post(`/topics/${topic}`, '{"records":[{"value":1}]}', 'application/vnd.kafka.avro.v2+json'),
      post(`/topics/${topic}`, '{"records":[{"value":1}]}', `${JSON_V2}; charset=utf-8`),
      post(`/topics/${topic}?sync=true`, '{"records":[{"value":1}]}'),
      post('/topics/a$b', '{"records":[{"value":1}]}'),
      post(`/topics/${'x'.repeat(250)}`, '{"records":[{"value":1}]}'),
      post(`/topics/${topic}/partitions/99999999999999999999`, '{"records":[{"value":1}]}'),
      post(`/topics/${topic}/partitions/-1`, '{"records":[{"value":1}]}'),
      post(`/topics/${topic}`, JSON.stringify({ records: [{ value: 'x'.repeat(70 * 1024) }] })),
      post(`/topics/${topic}`, '{"records":[{"value":"near the head limit"}]}', JSON_V2, `X-Padding: ${'p'.repeat(15_800)}\r\n`),
      `POST /topics/${topic} HTTP/1.1\r\nHost: proxy\r\nContent-Type: ${JSON_V2}\r\nTransfer-Encoding: chunked\r\n\r\n19\r\n{"records":[{"value":1}]}\r\n0\r\n\r\n`,
      `GET /topics/${topic}/partitions/7 HTTP/1.1\r\nHost: proxy\r\n\r\n`,
    ];
    const nativeRequests = requests(topics.native);
    const jsRequests = requests(topics.js);
    let kept = 0;
    for (let i = 0; i < nativeRequests.length; i++) {
      const before = native.confluentNativeFront!.stats().handedOff;
      const [a, b] = [await exchange(native.url, nativeRequests[i], 1), await exchange(js.url, jsRequests[i], 1)];
      const what = nativeRequests[i].slice(0, 120);
      expect(a.answers.length, what).toBe(1);
      expect(withoutDate(a.answers[0]), what).toBe(withoutDate(b.answers[0]).replaceAll(topics.js, topics.native));
      if (native.confluentNativeFront!.stats().handedOff === before) kept++;
    }
    // The requests of the exact shape stayed on the front end; the others went to Node.
    expect(kept).toBe(24);
    expect(native.confluentNativeFront!.stats().handedOff - handedOff).toBe(nativeRequests.length - 24);
  });

  it('pipelined produce requests on one keep-alive connection are answered in order; a GET on it then goes to Node, and so does what follows', async () => {
    const topic = uniqueTopic('cn');
    await broker.createTopic(topic, 1);
    const produce = (i: number) => post(`/topics/${topic}`, JSON.stringify({ records: [{ value: { i } }] }));
    const pipelined = [0, 1, 2, 3, 4].map(produce).join('') + `GET /topics/${topic} HTTP/1.1\r\nHost: proxy\r\n\r\n` + produce(5);
    const { answers, closed } = await exchange(native.url, pipelined, 7);
    expect(closed).toBe(false);
    const bodies = answers.map((a) => a.slice(a.indexOf('\r\n\r\n') + 4));
    for (let i = 0; i < 5; i++) {
      expect(answers[i]).toMatch(/^HTTP\/1.1 200 OK\r\ncontent-type: application\/vnd.kafka.v2\+json; charset=utf-8\r\n/);
      expect(JSON.parse(bodies[i]).offsets).toEqual([{ partition: 0, offset: i, error_code: null, error: null }]);
    }
    expect(JSON.parse(bodies[5]).name).toBe(topic);
    expect(JSON.parse(bodies[6]).offsets).toEqual([{ partition: 0, offset: 5, error_code: null, error: null }]);
    const admin = new Admin({ 'bootstrap.servers': broker.bootstrapServers });
    try {
      expect((await admin.watermarkOffsets(topic, 0)).high).toBe(6);
    } finally {
      await admin.close();
    }
  });

  it('a client too slow to send its head or body gets the same 408 in the Confluent shape, and the connection closes', async () => {
    const topic = uniqueTopic('cn');
    await broker.createTopic(topic, 1);
    const whole = post(`/topics/${topic}`, '{"records":[{"value":"slow"}]}');
    for (const cut of [whole.indexOf('Content-Type'), whole.length - 5]) {
      const [a, b] = await Promise.all([exchange(native.url, whole.slice(0, cut), 1), exchange(js.url, whole.slice(0, cut), 1)]);
      expect(a.answers[0], `cut at ${cut}`).toMatch(/^HTTP\/1.1 408 Request Timeout\r\n[^]*\{"error_code":408,"message":"The request did not arrive in time/);
      expect(a.answers[0]).toBe(b.answers[0]);
    }
  });

  it('every prefix of a produce request, ended there by its client, gets a 4xx or a close, never a hang, and the route keeps serving', async () => {
    const topic = uniqueTopic('cn');
    await broker.createTopic(topic, 1);
    const whole = post(`/topics/${topic}/partitions/0`, '{"records":[{"key":"k","value":"cut anywhere"}]}');
    for (let cut = 1; cut < whole.length; cut += 3) {
      const text = await sendCut(native.url, whole, cut);
      if (text !== '') expect(text, `cut at ${cut}`).toMatch(/^HTTP\/1.1 4\d\d /);
    }
    expect((await exchange(native.url, whole, 1)).answers[0]).toMatch(/^HTTP\/1.1 200 OK[^]*"offset":0,/);
  });

  it('a JSON body with bytes that are not UTF-8 produces the same record through both paths', async () => {
    const base = uniqueTopic('cn');
    const topics = [`${base}-n`, `${base}-j`];
    for (const topic of topics) await broker.createTopic(topic, 1);
    const body = Buffer.concat([Buffer.from('{"records":[{"value":"a'), Buffer.from([0xff, 0xfe, 0x20, 0xe2, 0x82, 0x20, 0xf0, 0x9f, 0x98, 0x41, 0xc3]), Buffer.from('é"}]}')]);
    const request = (topic: string) => Buffer.concat([Buffer.from(`POST /topics/${topic} HTTP/1.1\r\nHost: proxy\r\nContent-Type: ${JSON_V2}\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
    const [a, b] = [await exchange(native.url, request(topics[0]), 1), await exchange(js.url, request(topics[1]), 1)];
    expect(withoutDate(a.answers[0])).toBe(withoutDate(b.answers[0]));
    expect(a.answers[0]).toMatch(/^HTTP\/1.1 200 OK/);
    const values: Array<string | undefined> = [];
    for (const topic of topics) {
      const consumer = new Consumer(consumerConfig(broker.bootstrapServers, uniqueTopic('g')));
      try {
        consumer.assign([{ topic, partition: 0, offset: 0 }]);
        const [record] = await consumeCount(consumer, 1);
        values.push(record.payload?.toString('hex'));
      } finally {
        await consumer.close();
      }
    }
    expect(values[0]).toBeDefined();
    expect(values[0]).toBe(values[1]);
  });

  it('/metrics counts the natively served requests under the Fastify routes, by status', async () => {
    const topic = uniqueTopic('cn');
    await broker.createTopic(topic, 2);
    const scrape = async () => (await exchange(native.url, `GET /metrics HTTP/1.1\r\nHost: proxy\r\n\r\n`, 1)).answers[0];
    const count = async (route: string, status: number) => {
      const match = new RegExp(`^rest_proxy_requests_total\\{api="confluent",method="POST",route="${route}",status="${status}"\\} (\\d+)$`, 'm').exec(await scrape());
      return Number(match?.[1] ?? 0);
    };
    const timed = async () => {
      const match = /^rest_proxy_request_duration_seconds_count\{api="confluent",method="POST",route="\/topics\/:topic"\} (\d+)$/m.exec(await scrape());
      return Number(match?.[1] ?? 0);
    };
    const before = [await count('/topics/:topic', 200), await count('/topics/:topic/partitions/:partition', 200), await count('/topics/:topic', 400)];
    const timedBefore = await timed();
    const handedOff = native.confluentNativeFront!.stats().handedOff;
    await exchange(native.url, post(`/topics/${topic}`, records(1)) + post(`/topics/${topic}`, records(2)) + post(`/topics/${topic}/partitions/1`, records(1)) + post(`/topics/${topic}`, '{'), 4);
    expect(native.confluentNativeFront!.stats().handedOff).toBe(handedOff);
    expect([await count('/topics/:topic', 200), await count('/topics/:topic/partitions/:partition', 200), await count('/topics/:topic', 400)]).toEqual([before[0] + 2, before[1] + 1, before[2] + 1]);
    // Each also counts in the route's latency histogram.
    expect(await timed()).toBe(timedBefore + 3);
  });
});

describe.each(testBrokers())('$name broker, closing', (broker) => {
  useBroker(broker);

  it("the proxy's close answers the produce requests in flight, then closes the connection", async () => {
    const proxy = await startTestProxy({ bootstrapServers: broker.bootstrapServers, schemaRegistryListeners: '' });
    const topic = uniqueTopic('cn');
    await broker.createTopic(topic, 1);
    const { connect } = await import('node:net');
    const { hostname, port } = new URL(proxy.url);
    const socket = connect(Number(port), hostname);
    let text = '';
    let closing: Promise<void> | undefined;
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      // At the first answer the second request is already with the route: close the proxy now.
      closing ??= proxy.close();
    });
    socket.write(Array.from({ length: 20 }, (_, i) => post(`/topics/${topic}`, JSON.stringify({ records: [{ value: i }] }))).join(''));
    await closed;
    await closing;
    const answers = text.split(/(?=HTTP\/1.1 )/);
    expect(answers.length).toBeGreaterThanOrEqual(2);
    answers.forEach((answer, i) => expect(answer).toMatch(new RegExp(`^HTTP/1.1 200 OK\\r\\n[^]*\\r\\n\\r\\n\\{"offsets":\\[\\{"partition":0,"offset":${i},"error_code":null,"error":null\\}\\]`)));
    const admin = new Admin({ 'bootstrap.servers': broker.bootstrapServers });
    try {
      expect((await admin.watermarkOffsets(topic, 0)).high).toBe(answers.length);
    } finally {
      await admin.close();
    }
  });
});
