// The Kafka-Pixy listener's native front end (pixy.native.front.end, on by default), over real
// sockets on both brokers: its answers are byte for byte the JS route's, every other request is
// handed to the Fastify app with its connection, and hostile input never takes it down.
import { connect } from 'node:net';
import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Admin } from '../lib/admin';
import { DEFAULTS, startProxy } from '../lib/proxy';
import { testBrokers, useBroker } from './brokers';
import { exchange, sendCut } from './http';
import { uniqueTopic, useProxy } from './helpers';


const post = (path: string, body: string, extra = '', type = 'text/plain') =>
  `POST ${path} HTTP/1.1\r\nHost: proxy\r\nContent-Type: ${type}\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const withoutDate = (answer: string) => answer.replace(/\r\nDate: [^\r]+/, '\r\nDate: -');

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  const settings = () => ({ bootstrapServers: broker.bootstrapServers, httpHeadersTimeoutMs: 1000, httpRequestTimeoutMs: 2000, httpKeepAliveTimeoutMs: 2500 });
  const native = useProxy(() => settings());
  const js = useProxy(() => ({ ...settings(), pixyNativeFrontEnd: false }));

  /** A topic of one partition, and a first produce on it (the embedded broker's JS route makes it known). */
  async function readyTopic(url: string): Promise<string> {
    const topic = uniqueTopic('nf');
    await broker.createTopic(topic, 1);
    const first = await exchange(url, post(`/topics/${topic}/messages?sync`, 'first'), 1);
    expect(first.answers[0]).toMatch(/^HTTP\/1.1 200 OK/);
    return topic;
  }

  it('serves the produce route natively, answering byte for byte what the JS route answers', async () => {
    expect(native.nativeFront).toBeDefined();
    expect(js.nativeFront).toBeUndefined();
    const topics = { native: await readyTopic(native.pixyUrl!), js: await readyTopic(js.pixyUrl!) };
    const handedOff = native.nativeFront!.stats().handedOff;
    const requests = (topic: string) => [
      post(`/topics/${topic}/messages`, 'async'),
      post(`/topics/${topic}/messages?sync`, 'sync'),
      post(`/topics/${topic}/messages?key=a%20b+c&sync`, 'keyed', '', 'application/json'),
      post(`/topics/${topic}/messages?key=`, 'empty key'),
      post(`/clusters/rdkafka-napi-proxy/topics/${topic}/messages?sync`, 'with the cluster'),
      post(`/clusters/other/topics/${topic}/messages`, 'unknown cluster'),
      post('/topics/__consumer_offsets/messages', 'internal'),
      post(`/topics/${topic}/messages`, 'x'.repeat(1_000_001)),
      post(`/topics/${topic}/messages`, 'closing', 'Connection: close\r\n'),
      `POST /topics/${topic}/messages HTTP/1.0\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nold!`,
      `POST /topics/${topic}/messages HTTP/1.0\r\nConnection: keep-alive\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nold!`,
    ];
    const nativeRequests = requests(topics.native);
    const jsRequests = requests(topics.js);
    for (let i = 0; i < nativeRequests.length; i++) {
      const [a, b] = [await exchange(native.pixyUrl!, nativeRequests[i], 1), await exchange(js.pixyUrl!, jsRequests[i], 1)];
      expect(withoutDate(a.answers[0] ?? ''), nativeRequests[i].slice(0, 80)).toBe(withoutDate(b.answers[0] ?? '').replaceAll(topics.js, topics.native));
      expect(a.answers[0]).toMatch(/\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
    }
    // None of them went to Node.
    expect(native.nativeFront!.stats().handedOff).toBe(handedOff);
  });

  it('a request of any other shape is handed to Node with its connection, and answered as the JS listener answers it', async () => {
    const topics = { native: await readyTopic(native.pixyUrl!), js: await readyTopic(js.pixyUrl!) };
    const handedOff = native.nativeFront!.stats().handedOff;
    const requests = (topic: string) => [
      `POST /topics/${topic}/messages?sync HTTP/1.1\r\nHost: proxy\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nchunk\r\n0\r\n\r\n`,
      post(`/topics/${topic}/messages?sync`, 'with a header', `X-Kafka-Trace: ${Buffer.from('id').toString('base64')}\r\n`),
      post(`/topics/${topic}/messages?sync`, 'msg=a+form', '', 'application/x-www-form-urlencoded'),
      post(`/topics/${topic}/messages?sync`, 'with charset', '', 'text/plain; charset=utf-8'),
      post(`/topics/${topic}/messages?key=a&key=b`, 'two keys'),
      post(`/topics/${topic}/messages?sync&other=1`, 'another parameter'),
      post('/topics/bad%20name/messages', 'invalid name'),
      post('/topics/a$b/messages', 'invalid name'),
      post(`/topics/${topic}/messages/`, 'trailing slash'),
      `POST /topics/${topic}/messages HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\nno host`,
      `POST /topics/${topic}/messages HTTP/1.1\r\nHost: proxy\r\nContent-Type: text/plain\r\nContent-Length: ${16 * 1024 * 1024 + 1}\r\n\r\n`,
      `GET /topics/${topic} HTTP/1.1\r\nHost: proxy\r\n\r\n`,
      'POST /topics/t/messages HTTP/1.1\r\nHost: proxy\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
      'BREW /coffee HTCPCP/1.0\r\n\r\n',
    ];
    const nativeRequests = requests(topics.native);
    const jsRequests = requests(topics.js);
    for (let i = 0; i < nativeRequests.length; i++) {
      const [a, b] = [await exchange(native.pixyUrl!, nativeRequests[i], 1), await exchange(js.pixyUrl!, jsRequests[i], 1)];
      expect(a.answers.length, nativeRequests[i].slice(0, 80)).toBe(1);
      expect(withoutDate(a.answers[0]).replace(/"offset":\d+/, '"offset":-'), nativeRequests[i].slice(0, 80)).toBe(withoutDate(b.answers[0]).replaceAll(topics.js, topics.native).replace(/"offset":\d+/, '"offset":-'));
    }
    expect(native.nativeFront!.stats().handedOff - handedOff).toBe(nativeRequests.length);
  });

  it('every prefix of a request, ended there by its client, gets a 4xx or a close, never a hang, and the route keeps serving', async () => {
    const topic = await readyTopic(native.pixyUrl!);
    const whole = post(`/topics/${topic}/messages?key=k&sync`, 'cut anywhere');
    for (let cut = 1; cut < whole.length; cut += 3) {
      const text = await sendCut(native.pixyUrl!, whole, cut);
      if (text !== '') expect(text, `cut at ${cut}`).toMatch(/^HTTP\/1.1 4\d\d /);
    }
    expect((await exchange(native.pixyUrl!, whole, 1)).answers[0]).toMatch(/^HTTP\/1.1 200 OK/);
  });

  it('a keep-alive client that produces natively, then consumes, then produces again is served in order on its one connection', async () => {
    const topic = await readyTopic(native.pixyUrl!);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const call = (method: string, path: string, body?: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(`${native.pixyUrl}${path}`, { method, agent, headers: body === undefined ? {} : { 'content-type': 'text/plain' } }, (res) => {
          sockets.add(res.socket.localPort);
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const produced = await call('POST', `/topics/${topic}/messages?sync`, 'to be consumed');
    expect(produced.status, produced.text).toBe(200);
    const group = uniqueTopic('g');
    // The first consume of a new group starts at the end; the long poll waits for the message below.
    let consumed = await call('GET', `/topics/${topic}/messages?group=${group}`);
    if (consumed.status === 408) {
      expect((await call('POST', `/topics/${topic}/messages?sync`, 'after the group')).status).toBe(200);
      consumed = await call('GET', `/topics/${topic}/messages?group=${group}`);
    }
    expect(consumed.status, consumed.text).toBe(200);
    expect(Buffer.from(JSON.parse(consumed.text).value, 'base64').toString()).toMatch(/to be consumed|after the group/);
    const again = await call('POST', `/topics/${topic}/messages?sync`, 'again');
    expect(again.status, again.text).toBe(200);
    expect(sockets.size).toBe(1);
    agent.destroy();
  });

  it('pipelined requests are answered in order when the connection is handed to Node in between', async () => {
    const topic = await readyTopic(native.pixyUrl!);
    const result = await exchange(native.pixyUrl!, post(`/topics/${topic}/messages?sync`, 'one') + 'GET /_ping HTTP/1.1\r\nHost: proxy\r\n\r\n' + post(`/topics/${topic}/messages?sync`, 'two'), 3);
    expect(result.answers.map((a) => a.slice(a.indexOf('\r\n\r\n') + 4))).toEqual([expect.stringMatching(/^\{"partition":0,"offset":\d+\}$/), 'pong', expect.stringMatching(/^\{"partition":0,"offset":\d+\}$/)]);
    const offsets = result.answers.filter((a) => a.includes('offset')).map((a) => JSON.parse(a.slice(a.indexOf('\r\n\r\n') + 4)).offset);
    expect(offsets[1]).toBe(offsets[0] + 1);
  });

  it('hostile input: random bytes, a head too large, a truncated request and a 10 MB body get 4xx or a close, and the route keeps serving', async () => {
    const topic = await readyTopic(native.pixyUrl!);
    for (let i = 0; i < 20; i++) {
      const garbage = await exchange(native.pixyUrl!, randomBytes(1 + ((i * 397) % 3000)), 1);
      if (garbage.answers.length > 0) expect(garbage.answers[0]).toMatch(/^HTTP\/1.1 4\d\d /);
    }
    const big = await exchange(native.pixyUrl!, `POST /topics/${topic}/messages HTTP/1.1\r\nHost: proxy\r\nX-Filler: ${'a'.repeat(20_000)}\r\n\r\n`, 1);
    expect(big.answers[0]).toMatch(/^HTTP\/1.1 431 /);
    const truncated = await exchange(native.pixyUrl!, post(`/topics/${topic}/messages`, 'cut short').slice(0, 60), 1);
    expect(truncated.answers[0]).toMatch(/^HTTP\/1.1 408 Request Timeout[^]*http.headers.timeout.ms \(1000 ms\)/);
    const huge = await exchange(native.pixyUrl!, post(`/topics/${topic}/messages`, 'x'.repeat(10_000_000)), 1);
    expect(huge.answers[0]).toMatch(/^HTTP\/1.1 413 [^]*larger than message.max.bytes \(1000000 bytes\)/);
    const ok = await exchange(native.pixyUrl!, post(`/topics/${topic}/messages?sync`, 'still here'), 1);
    expect(ok.answers[0]).toMatch(/^HTTP\/1.1 200 OK/);
  });

  it('a body that stops short is answered 408 after http.request.timeout.ms; an idle keep-alive connection closes after http.keepalive.timeout.ms', async () => {
    const topic = await readyTopic(native.pixyUrl!);
    const started = performance.now();
    const slow = await exchange(native.pixyUrl!, post(`/topics/${topic}/messages`, 'twelve bytes').slice(0, -4), 1);
    expect(slow.answers[0]).toMatch(/^HTTP\/1.1 408 /);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1900);
    const idle = await exchange(native.pixyUrl!, post(`/topics/${topic}/messages`, 'then idle'), 2);
    expect(idle.answers).toHaveLength(1);
    expect(idle.closed).toBe(true);
  });

  it('/metrics counts the natively served requests and the records they produced', async () => {
    const topic = await readyTopic(native.pixyUrl!);
    const scrape = async () => {
      const text = await (await fetch(`${native.pixyUrl}/metrics`)).text();
      const count = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
      return {
        ok: count(/rest_proxy_requests_total\{api="pixy",method="POST",route="\/topics\/:topic\/messages",status="200"\} (\d+)/),
        records: count(/rest_proxy_records_produced_total (\d+)/),
      };
    };
    const before = await scrape();
    for (let i = 0; i < 5; i++) expect((await exchange(native.pixyUrl!, post(`/topics/${topic}/messages?sync`, `m${i}`), 1)).answers[0]).toMatch(/^HTTP\/1.1 200/);
    const after = await scrape();
    expect(after.ok - before.ok).toBe(5);
    expect(after.records - before.records).toBe(5);
  });
});

describe.each(testBrokers())('$name broker, closing', (broker) => {
  useBroker(broker);
  const proxy = useProxy(() => ({ bootstrapServers: broker.bootstrapServers }));

  it('close() flushes what the route accepted asynchronously, then refuses connections', async () => {
    const topic = uniqueTopic('nf');
    await broker.createTopic(topic, 1);
    expect((await exchange(proxy.pixyUrl!, post(`/topics/${topic}/messages?sync`, 'first'), 1)).answers[0]).toMatch(/^HTTP\/1.1 200/);
    const pipelined = Array.from({ length: 200 }, (_, i) => post(`/topics/${topic}/messages`, `async ${i}`)).join('');
    const accepted = await exchange(proxy.pixyUrl!, pipelined, 200);
    expect(accepted.answers.filter((a) => a.endsWith('\r\n\r\n{}'))).toHaveLength(200);
    await proxy.close();
    const admin = new Admin({ 'bootstrap.servers': broker.bootstrapServers });
    try {
      expect((await admin.watermarkOffsets(topic, 0)).high).toBe(201);
    } finally {
      await admin.close();
    }
    await expect(exchange(proxy.pixyUrl!, post(`/topics/${topic}/messages`, 'late'), 1)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe.each(testBrokers())('$name broker, with http.max.connections=5', (broker) => {
  useBroker(broker);
  const proxy = useProxy(() => ({ bootstrapServers: broker.bootstrapServers, httpMaxConnections: 5, httpHeadersTimeoutMs: 1000, httpRequestTimeoutMs: 2000, httpKeepAliveTimeoutMs: 1000 }));

  /** A connection and what arrives on it until it closes. */
  function hold(url: string, bytes: string) {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString()));
    socket.on('error', () => undefined);
    const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(text)));
    const connected = new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    socket.write(bytes);
    return { socket, closed, connected, text: () => text };
  }

  it('slow clients hold at most the cap: 200 more connection attempts are closed unanswered, the slow ones get 408, then clients are served', async () => {
    const slow = Array.from({ length: 5 }, () => hold(proxy.pixyUrl!, 'POST /topics/t/messages HTTP/1.1\r\nHost: proxy\r\n'));
    await Promise.all(slow.map((s) => s.connected));
    await new Promise((r) => setTimeout(r, 100)); // accepted before the extra ones knock
    const extra = await Promise.all(Array.from({ length: 200 }, () => hold(proxy.pixyUrl!, post('/topics/t/messages', 'extra')).closed));
    expect(extra.every((text) => text === '')).toBe(true);
    for (const answer of await Promise.all(slow.map((s) => s.closed))) expect(answer).toMatch(/^HTTP\/1.1 408 Request Timeout/);
    const topic = uniqueTopic('nf');
    await broker.createTopic(topic, 1);
    expect((await exchange(proxy.pixyUrl!, post(`/topics/${topic}/messages?sync`, 'served'), 1)).answers[0]).toMatch(/^HTTP\/1.1 200 OK/);
  });

  it('connections handed to Node count against the cap until they close', async () => {
    // Each is answered by the JS app, stays open for http.keepalive.timeout.ms, then is closed.
    const held = Array.from({ length: 5 }, () => hold(proxy.pixyUrl!, 'GET /_ping HTTP/1.1\r\nHost: proxy\r\n\r\n'));
    await Promise.all(held.map((h) => new Promise<void>((resolve) => h.socket.on('data', () => h.text().endsWith('pong') && resolve()))));
    expect(await hold(proxy.pixyUrl!, 'GET /_ping HTTP/1.1\r\nHost: proxy\r\n\r\n').closed).toBe('');
    for (const h of held) expect(await h.closed).toMatch(/pong$/);
    expect((await exchange(proxy.pixyUrl!, 'GET /_ping HTTP/1.1\r\nHost: proxy\r\n\r\n', 1)).answers[0]).toMatch(/pong$/);
  });
});

describe.each(testBrokers())('$name broker, with a producer queue of one message', (broker) => {
  useBroker(broker);

  it('a full librdkafka queue (retriable) delays the answer instead of failing it, as the JS route does; every message lands', async () => {
    const settings = { ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: 'http://127.0.0.1:0', schemaRegistryListeners: '', bootstrapServers: broker.bootstrapServers, producer: { 'queue.buffering.max.messages': '1', 'linger.ms': '500' } };
    const answers: { [name: string]: string[] } = {};
    for (const [name, native] of [['native', true], ['js', false]] as const) {
      const topic = uniqueTopic('nf');
      await broker.createTopic(topic, 1);
      const proxy = await startProxy({ ...settings, pixyNativeFrontEnd: native });
      try {
        expect(proxy.nativeFront !== undefined).toBe(native);
        await exchange(proxy.pixyUrl!, post(`/topics/${topic}/messages?sync`, 'makes the topic known'), 1);
        // Three async produces in a row: librdkafka holds one for linger.ms and has no room for the others.
        answers[name] = (await exchange(proxy.pixyUrl!, ['one', 'two', 'three'].map((m) => post(`/topics/${topic}/messages`, m)).join(''), 3)).answers.map(withoutDate);
      } finally {
        await proxy.close();
      }
      const admin = new Admin({ 'bootstrap.servers': broker.bootstrapServers });
      try {
        expect((await admin.watermarkOffsets(topic, 0)).high, name).toBe(4);
      } finally {
        await admin.close();
      }
    }
    expect(answers.native).toHaveLength(3);
    for (const answer of answers.native) expect(answer).toMatch(/^HTTP\/1.1 200 OK[^]*\r\n\r\n\{\}$/);
    expect(answers.native).toEqual(answers.js);
  });

  it.each([['native', true], ['js', false]] as const)('with a full librdkafka queue an async produce (%s route) is answered only once librdkafka holds its message, so waiting messages stay bounded', async (_name, native) => {
    const settings = { ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: 'http://127.0.0.1:0', schemaRegistryListeners: '', bootstrapServers: broker.bootstrapServers, producer: { 'queue.buffering.max.messages': '1', 'linger.ms': '300' } };
    const topic = uniqueTopic('nf');
    await broker.createTopic(topic, 1);
    const proxy = await startProxy({ ...settings, pixyNativeFrontEnd: native });
    const admin = new Admin({ 'bootstrap.servers': broker.bootstrapServers });
    try {
      await exchange(proxy.pixyUrl!, post(`/topics/${topic}/messages?sync`, 'makes the topic known'), 1);
      // Three clients at once: the queue holds one message for linger.ms, the others wait for room.
      // Each answer may come only once the messages before it left the queue for the broker.
      const highAtAnswer: number[] = [];
      await Promise.all(['one', 'two', 'three'].map(async (m) => {
        const { answers } = await exchange(proxy.pixyUrl!, post(`/topics/${topic}/messages`, m), 1);
        expect(answers[0]).toMatch(/^HTTP\/1.1 200 OK/);
        highAtAnswer.push((await admin.watermarkOffsets(topic, 0)).high);
      }));
      highAtAnswer.sort((a, b) => a - b);
      expect(highAtAnswer[1]).toBeGreaterThanOrEqual(2);
      expect(highAtAnswer[2]).toBeGreaterThanOrEqual(3);
    } finally {
      await proxy.close();
      await admin.close();
    }
  });
});

describe.each(testBrokers().filter((b) => b.name === 'mock'))('$name broker refusing a produce request', (broker) => {
  useBroker(broker);

  it('a sync produce whose delivery fails answers the JS route\'s 500 and is logged as its 5xx are', async () => {
    const lines: Array<{ fields: { [key: string]: unknown }; message: string }> = [];
    const ignore = () => undefined;
    const logger = { error: (fields: { [key: string]: unknown }, message: string) => lines.push({ fields, message }), warn: ignore, info: ignore, debug: ignore };
    const settings = { ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: 'http://127.0.0.1:0', schemaRegistryListeners: '', bootstrapServers: broker.bootstrapServers };
    const topic = uniqueTopic('nf');
    await broker.createTopic(topic, 1);
    const answers: { [name: string]: string } = {};
    for (const [name, native] of [['native', true], ['js', false]] as const) {
      const proxy = await startProxy({ ...settings, pixyNativeFrontEnd: native }, undefined, logger);
      try {
        await exchange(proxy.pixyUrl!, post(`/topics/${topic}/messages?sync`, 'makes the topic known'), 1);
        broker.mock!.pushRequestErrors(0 /* Produce */, [87 /* INVALID_RECORD: not retried */]);
        answers[name] = withoutDate((await exchange(proxy.pixyUrl!, post(`/topics/${topic}/messages?sync`, 'refused'), 1)).answers[0]);
      } finally {
        await proxy.close();
      }
    }
    expect(answers.native).toMatch(/^HTTP\/1.1 500 Internal Server Error[^]*\{"error":"Broker: [^"]+"\}$/);
    expect(answers.native).toBe(answers.js);
    const logged = lines.filter((l) => l.fields.status === 500);
    expect(logged).toHaveLength(2);
    expect(logged[0]).toEqual(logged[1]);
  });
});
