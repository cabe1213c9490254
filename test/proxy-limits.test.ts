// What one client can make the REST proxy hold: records and JSON values per request, and HTTP
// connections (slow headers, slow bodies, idle keep-alive, a cap on open connections), over real
// HTTP and raw TCP sockets.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, applyProperties, startProxy } from '../lib/proxy';
import { testBrokers, useBroker } from './brokers';
import { uniqueTopic, useProxy } from './helpers';
import { httpRequest, type HttpReply } from './http';

const JSON_V2 = 'application/vnd.kafka.json.v2+json';

/** One HTTP request; `chunked` sends the body without a Content-Length. */
function call(url: string, method: string, body?: string | Buffer, headers: { [k: string]: string } = {}, chunked = false): Promise<HttpReply> {
  return httpRequest(url, { method, body, headers, chunked });
}

const records = (n: number) => `{"records":[${new Array<string>(n).fill('{"value":1}').join(',')}]}`;

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  const proxy = useProxy(() => ({ bootstrapServers: broker.bootstrapServers, maxRequestRecords: 1000, maxRequestJsonValues: 20_000 }));

  it('a produce request of more records than max.request.records is refused with 413 naming the limit, and none of its records is produced', async () => {
    const topic = uniqueTopic('limits');
    await broker.createTopic(topic, 1);
    const refused = await call(`${proxy.url}/topics/${topic}`, 'POST', records(1001), { 'content-type': JSON_V2 });
    expect(refused.status, refused.text).toBe(413);
    expect(refused.body).toEqual({ error_code: 413, message: 'A produce request may carry at most 1000 records (max.request.records); this one has 1001' });
    const accepted = await call(`${proxy.url}/topics/${topic}`, 'POST', records(1000), { 'content-type': JSON_V2 });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body.offsets.filter((o: { error_code: number | null }) => o.error_code === null)).toHaveLength(1000);
    // Exactly the accepted request's records are on the broker: the refused one produced nothing.
    const offsets = await call(`${proxy.url}/topics/${topic}/partitions/0/offsets`, 'GET');
    expect(offsets.body).toEqual({ beginning_offset: 0, end_offset: 1000 });
  });

  it('a body of more JSON values than max.request.json.values is refused with 413 before it is parsed: v2, v3 and Kafka-Pixy offsets, with or without a Content-Length', async () => {
    const topic = uniqueTopic('limits');
    await broker.createTopic(topic, 1);
    const message = 'The request body holds more than 20000 JSON values (max.request.json.values)';
    // One record whose value is 30,000 empty objects: a few records, but 30,002 values.
    const nested = `{"records":[{"value":[${new Array<string>(30_000).fill('{}').join(',')}]}]}`;
    for (const chunked of [false, true]) {
      const v2 = await call(`${proxy.url}/topics/${topic}`, 'POST', nested, { 'content-type': JSON_V2 }, chunked);
      expect(v2.status, v2.text).toBe(413);
      expect(v2.body).toEqual({ error_code: 413, message });
    }
    const cluster = (await call(`${proxy.url}/v3/clusters`, 'GET')).body.data[0].cluster_id as string;
    const headers = Array.from({ length: 10_000 }, (_, i) => ({ name: `h${i}`, value: 'AA==' }));
    const v3 = await call(`${proxy.url}/v3/clusters/${cluster}/topics/${topic}/records`, 'POST', JSON.stringify({ value: { type: 'STRING', data: 'x' }, headers }), { 'content-type': 'application/json' });
    expect(v3.status, v3.text).toBe(413);
    expect(v3.body).toEqual({ error_code: 413, message });
    const pixy = await call(`${proxy.pixyUrl}/topics/${topic}/offsets?group=g`, 'POST', JSON.stringify(Array.from({ length: 10_000 }, () => ({ partition: 0, offset: 0 }))), { 'content-type': 'application/json' });
    expect(pixy.status, pixy.text).toBe(413);
    expect(pixy.body).toEqual({ error: message });
    // A Kafka-Pixy message is not parsed: a JSON message of as many values is produced.
    const produced = await call(`${proxy.pixyUrl}/topics/${topic}/messages?sync`, 'POST', `[${new Array<string>(30_000).fill('{}').join(',')}]`, { 'content-type': 'application/json' });
    expect(produced.status, produced.text).toBe(200);
    // Nothing refused reached the broker; the server goes on serving.
    const accepted = await call(`${proxy.url}/topics/${topic}`, 'POST', `{"records":[{"value":[${new Array<string>(5000).fill('{}').join(',')}]}]}`, { 'content-type': JSON_V2 });
    expect(accepted.status, accepted.text).toBe(200);
    expect((await call(`${proxy.url}/topics/${topic}/partitions/0/offsets`, 'GET')).body).toEqual({ beginning_offset: 0, end_offset: 2 });
  });
});

describe('the default limits, on `rdkafka-napi proxy` (a process of its own, as users run it)', () => {
  let child: ChildProcess;
  let url: string;
  beforeAll(async () => {
    child = spawn(process.execPath, ['dist/cli.js', 'proxy', '--json', '--listeners', 'http://127.0.0.1:0', '--pixy-listeners', ''], { cwd: join(__dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] });
    url = (JSON.parse(await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve))) as { url: string }).url;
  });
  afterAll(async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });

  it('the 800,000-record body of issue 11 is refused with 413 (the proxy would have held ~700 MB for it), and every client receives that answer', async () => {
    // Forty clients one after the other, each on a connection of its own. A connection closed
    // while its client still sends is reset, and the client loses the answer (EPIPE).
    const body = Buffer.from(records(800_000));
    for (let i = 0; i < 40; i++) {
      const refused = await call(`${url}/topics/t`, 'POST', body, { 'content-type': JSON_V2, connection: 'close' });
      expect(refused.status, refused.text).toBe(413);
      expect(refused.body.message).toMatch(/more than 200000 JSON values \(max.request.json.values\)/);
    }
  });

  it('a body larger than max.request.bytes is refused with 413, and every client receives that answer', async () => {
    const body = Buffer.alloc(17 * 1024 * 1024, ' ');
    for (let i = 0; i < 40; i++) {
      const refused = await call(`${url}/topics/t`, 'POST', body, { 'content-type': JSON_V2, connection: 'close' });
      expect(refused.status, refused.text).toBe(413);
      expect(refused.body).toEqual({ error_code: 413, message: 'Request body larger than 16777216 bytes' });
    }
  });

  it('10,001 records are refused with 413 naming max.request.records; 10,000 are produced', async () => {
    const tooMany = await call(`${url}/topics/t`, 'POST', records(10_001), { 'content-type': JSON_V2 });
    expect(tooMany.body).toEqual({ error_code: 413, message: 'A produce request may carry at most 10000 records (max.request.records); this one has 10001' });
    const produced = await call(`${url}/topics/t`, 'POST', records(10_000), { 'content-type': JSON_V2 });
    expect(produced.status, produced.text).toBe(200);
    expect(produced.body.offsets.filter((o: { error_code: number | null }) => o.error_code === null)).toHaveLength(10_000);
  });
});

/** A raw TCP client: what it received, and when the server closed the connection. */
interface RawClient {
  socket: Socket;
  received: () => string;
  /** Milliseconds from connect to the server's close. */
  closed: Promise<number>;
}

function rawClient(url: string): Promise<RawClient> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    const closed = new Promise<number>((done) => socket.on('close', () => done(performance.now() - started)));
    socket.once('connect', () => resolve({ socket, received: () => text, closed }));
    socket.once('error', reject);
  });
}

/** Writes one byte of `text` every `everyMs` until the connection closes. */
function dribble(client: RawClient, text: string, everyMs: number): void {
  let at = 0;
  const timer = setInterval(() => {
    if (client.socket.destroyed || !client.socket.writable) return clearInterval(timer);
    client.socket.write(text[at++ % text.length]);
  }, everyMs);
  void client.closed.then(() => clearInterval(timer));
}

// Connection handling is the same whatever the broker: these run on the proxy's embedded one.
describe('HTTP connections', () => {
  const proxy = useProxy(() => ({ httpHeadersTimeoutMs: 1000, httpRequestTimeoutMs: 2000, httpKeepAliveTimeoutMs: 1000, pixyLongPollTimeoutMs: 3000 }));

  // Node checks deadlines every second: a connection is closed within a second of its deadline
  // (and more on a loaded machine), never before it.
  const within = (elapsed: number, deadline: number) => {
    expect(elapsed).toBeGreaterThanOrEqual(deadline - 50);
    expect(elapsed).toBeLessThan(deadline + 5000);
  };

  it('a client that dribbles its headers is answered 408 and closed after http.headers.timeout.ms, on both APIs, while others are served', async () => {
    const answers = {
      [proxy.url]: /"error_code":408,"message":"The request did not arrive in time: its headers must arrive within http.headers.timeout.ms \(1000 ms\)/,
      [proxy.pixyUrl!]: /\{"error":"The request did not arrive in time: its headers must arrive within http.headers.timeout.ms \(1000 ms\)/,
    };
    for (const [url, answer] of Object.entries(answers)) {
      const slow = await rawClient(url);
      slow.socket.write('GET /topics HTTP/1.1\r\nHost: x\r\n');
      dribble(slow, 'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n', 50);
      // Served meanwhile, on another connection.
      expect((await fetch(`${proxy.url}/topics`)).status).toBe(200);
      expect(await (await fetch(`${proxy.pixyUrl}/_ping`)).text()).toBe('pong');
      within(await slow.closed, 1000);
      expect(slow.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(slow.received()).toMatch(answer);
    }
  });

  it('a connection that sends nothing is closed after http.headers.timeout.ms', async () => {
    const silent = await rawClient(proxy.url);
    within(await silent.closed, 1000);
  });

  it('a client that sends its headers but dribbles its body is answered 408 and closed after http.request.timeout.ms', async () => {
    const slow = await rawClient(proxy.url);
    slow.socket.write(`POST /topics/t HTTP/1.1\r\nHost: x\r\nContent-Type: ${JSON_V2}\r\nContent-Length: 100000\r\n\r\n`);
    dribble(slow, '{"records":[', 50);
    within(await slow.closed, 2000);
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 [^]*all of it within http.request.timeout.ms \(2000 ms\)/);
  });

  it('an idle keep-alive connection is closed after http.keepalive.timeout.ms', async () => {
    const idle = await rawClient(proxy.url);
    idle.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    within(await idle.closed, 1000);
    expect(idle.received()).toMatch(/^HTTP\/1\.1 200 [\s\S]*\{\}$/);
  });

  it('malformed HTTP is answered 400 and headers past 16 KiB 431, naming what was wrong in the API\'s shape', async () => {
    const bad = await rawClient(proxy.url);
    bad.socket.write('GET /topics HTTP/1.1\r\nHost x\r\n\r\n');
    await bad.closed;
    expect(bad.received()).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[^]*\r\n\r\n\{"error_code":400,"message":"Malformed HTTP request: Invalid header token"\}$/);
    const big = await rawClient(proxy.pixyUrl!);
    big.socket.write(`GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    await big.closed;
    expect(big.received()).toMatch(/^HTTP\/1\.1 431 [^]*\{"error":"The request's headers are larger than 16384 bytes"\}$/);
  });

  it('a long poll longer than http.request.timeout.ms gets its answer: the deadline covers receiving the request, not the reply', async () => {
    const topic = uniqueTopic('poll');
    expect((await fetch(`${proxy.pixyUrl}/topics/${topic}/messages?sync`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'before the group' })).status).toBe(200);
    const started = performance.now();
    const polled = await fetch(`${proxy.pixyUrl}/topics/${topic}/messages?group=${uniqueTopic('g')}`);
    expect(await polled.json()).toEqual({ error: 'long polling timeout' });
    expect(polled.status).toBe(408);
    expect(performance.now() - started).toBeGreaterThan(2500);
  });
});

describe('the connection cap', () => {
  it('a connection past http.max.connections is closed at once without an answer; once one is closed, the next client is served', async () => {
    const proxy = await startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '', httpMaxConnections: 2, httpKeepAliveTimeoutMs: 1000 });
    try {
      // Two keep-alive connections, each served once and then idle.
      const held = [await rawClient(proxy.url), await rawClient(proxy.url)];
      for (const client of held) client.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      const third = await rawClient(proxy.url);
      await third.closed;
      expect(third.received()).toBe('');
      // The held connections were served; the keep-alive timeout closes them, which frees the slots.
      for (const client of held) {
        await client.closed;
        expect(client.received()).toMatch(/^HTTP\/1\.1 200 /);
      }
      expect((await fetch(`${proxy.url}/`)).status).toBe(200);
    } finally {
      await proxy.close();
    }
  });
});

describe('settings', () => {
  it('the limits are proxy properties; 0 (which would switch one off) and a headers timeout longer than the request timeout are refused, naming the property', () => {
    const set = (pairs: Array<[string, string]>) => applyProperties(DEFAULTS, new Map(pairs));
    expect(set([['max.request.records', '500'], ['max.request.json.values', '9000'], ['http.headers.timeout.ms', '2000'], ['http.request.timeout.ms', '4000'], ['http.keepalive.timeout.ms', '3000'], ['http.max.connections', '50']])).toMatchObject({
      maxRequestRecords: 500,
      maxRequestJsonValues: 9000,
      httpHeadersTimeoutMs: 2000,
      httpRequestTimeoutMs: 4000,
      httpKeepAliveTimeoutMs: 3000,
      httpMaxConnections: 50,
    });
    expect(() => set([['http.max.connections', '0']])).toThrow('http.max.connections must be a positive integer, not "0"');
    expect(() => set([['max.request.records', '-1']])).toThrow('max.request.records must be a positive integer, not "-1"');
    expect(() => set([['http.headers.timeout.ms', '90000']])).toThrow('http.headers.timeout.ms (90000) must not be longer than http.request.timeout.ms (60000)');
  });
});
