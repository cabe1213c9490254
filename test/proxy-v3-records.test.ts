// The REST proxy's v3 produce over real HTTP: one record, a stream of records in one body (chunked
// and not), records:batch, and record headers on every produce and consume route, checked on the
// broker with our Consumer, against the embedded and a real broker.
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer, type Record } from '../lib';
import { adminClusterView } from '../lib/proxy';
import { testBrokers, useBroker } from './brokers';
import { httpRequest, type HttpReply } from './http';
import { consumeCount, consumerConfig, uniqueTopic, useProxy } from './helpers';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const BINARY_V2 = 'application/vnd.kafka.binary.v2+json';

/** A streaming produce a client drives record by record: it writes, and reads the answers as they come. */
class ProduceStream {
  readonly #req: ClientRequest;
  readonly #answers: unknown[] = [];
  #buffered = '';
  #waiters: Array<() => void> = [];
  readonly response: Promise<IncomingMessage>;
  ended: Promise<void>;

  constructor(url: string) {
    // No Content-Length: Node sends the body chunked, Confluent's streaming mode.
    this.#req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } });
    this.response = new Promise((resolve, reject) => {
      this.#req.on('response', resolve);
      this.#req.on('error', reject);
    });
    this.ended = this.response.then(
      (res) =>
        new Promise<void>((resolve) => {
          res.on('data', (chunk: Buffer) => {
            this.#buffered += chunk.toString('utf8');
            const lines = this.#buffered.split('\r\n');
            this.#buffered = lines.pop() ?? '';
            for (const line of lines) this.#answers.push(JSON.parse(line));
            this.#waiters.splice(0).forEach((wake) => wake());
          });
          res.on('end', () => resolve());
          res.on('error', () => resolve());
        }),
    );
    this.#req.flushHeaders();
  }

  write(text: string): void {
    this.#req.write(text);
  }

  /** Resolves with the first `count` answers once they arrived (as a client reading its stream waits). */
  async answers(count: number): Promise<unknown[]> {
    while (this.#answers.length < count) await new Promise<void>((wake) => this.#waiters.push(wake));
    return this.#answers.slice(0, count);
  }

  async end(): Promise<unknown[]> {
    this.#req.end();
    await this.ended;
    return this.#answers;
  }

  /** Cuts the connection, as a client that goes away does. */
  cut(): void {
    this.#req.destroy();
  }
}

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  let id: string;
  const consumers: Consumer[] = [];

  const proxy = useProxy(
    () => ({ pixyListeners: '', bootstrapServers: broker.bootstrapServers, schemaRegistryListeners: '', consumer: { 'session.timeout.ms': '6000', 'heartbeat.interval.ms': '500' } }),
    (bootstrapServers, config) => adminClusterView(bootstrapServers, config, broker.mock),
  );
  beforeAll(async () => {
    id = (await httpRequest(`${proxy.url}/v3/clusters`)).body.data[0].cluster_id;
  });
  afterAll(() => Promise.all(consumers.map((c) => c.close())));

  const recordsUrl = (topic: string) => `${proxy.url}/v3/clusters/${id}/topics/${topic}/records`;
  const post = (url: string, body: string, headers: { [k: string]: string } = {}): Promise<HttpReply> =>
    httpRequest(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  /** The answers of a streamed produce: one JSON object per record, each followed by CRLF. */
  const lines = (text: string) => text.split('\r\n').filter((l) => l !== '').map((l) => JSON.parse(l));

  /** Everything on the topic, read by our Consumer from the beginning. */
  async function onBroker(topic: string, count: number): Promise<Record[]> {
    const consumer = new Consumer(consumerConfig(broker.bootstrapServers, uniqueTopic('reader')), [topic]);
    consumers.push(consumer);
    const got = await consumeCount(consumer, count, 30_000);
    // Nothing more than expected: a short extra read finds nothing.
    const extra = await consumer.consumeRecord(500);
    return extra === undefined ? got : [...got, extra];
  }
  const valueOf = (r: Record) => r.payload?.toString('utf8');
  const headersOf = (r: Record) => r.headers.map(([name, value]) => [name, value?.toString('utf8') ?? null]);

  it('a chunked stream of records is produced and answered in order as the records arrive, headers included', async () => {
    const topic = uniqueTopic('stream');
    await broker.createTopic(topic, 1);
    const stream = new ProduceStream(recordsUrl(topic));
    // A client that waits for each answer before it sends the next record gets it: the proxy
    // answers while the request is still open.
    for (let i = 0; i < 3; i++) {
      stream.write(JSON.stringify({ headers: [{ name: 'seq', value: b64(String(i)) }], value: { type: 'STRING', data: `v${i}` } }));
      const answers = await stream.answers(i + 1);
      expect(answers[i]).toMatchObject({ error_code: 200, cluster_id: id, topic_name: topic, partition_id: 0, offset: i, value: { type: 'STRING', size: 2 } });
    }
    expect((await stream.response).headers['content-type']).toMatch(/^application\/json/);
    // Then many at once, in pieces that cut records anywhere.
    const rest = Array.from({ length: 47 }, (_, k) => JSON.stringify({ key: { type: 'STRING', data: `k${k + 3}` }, value: { type: 'JSON', data: { n: k + 3 } } })).join('\n');
    for (let at = 0; at < rest.length; at += 37) stream.write(rest.slice(at, at + 37));
    const answers = await stream.end();
    expect(answers).toHaveLength(50);
    expect(answers.map((a) => (a as { offset: number }).offset)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(answers.every((a) => (a as { error_code: number }).error_code === 200)).toBe(true);

    const records = await onBroker(topic, 50);
    expect(records.map(valueOf)).toEqual(['v0', 'v1', 'v2', ...Array.from({ length: 47 }, (_, k) => `{"n":${k + 3}}`)]);
    expect(records.slice(0, 3).map(headersOf)).toEqual([[['seq', '0']], [['seq', '1']], [['seq', '2']]]);
    expect(records[3].key?.toString()).toBe('k3');
  });

  it('in a stream, a bad record gets its own error entry, is not produced, and does not stop the others', async () => {
    const topic = uniqueTopic('stream');
    await broker.createTopic(topic, 2);
    const stream = new ProduceStream(recordsUrl(topic));
    stream.write(JSON.stringify({ partition_id: 0, value: { type: 'STRING', data: 'good-1' } }));
    stream.write('{"value": {"type": "STRING", "data": nope}}'); // not JSON
    stream.write(JSON.stringify({ partition_id: 9, value: { type: 'STRING', data: 'no such partition' } }));
    stream.write(JSON.stringify({ headers: [{ name: 'h', value: 'not base64!' }], value: { type: 'STRING', data: 'bad header' } }));
    stream.write(JSON.stringify({ partition_id: 0, value: { type: 'STRING', data: 'good-2' } }));
    const answers = (await stream.end()) as Array<{ error_code: number; message?: string; offset?: number }>;
    expect(answers.map((a) => a.error_code)).toEqual([200, 400, 40402, 42206, 200]);
    expect(answers[1].message).toMatch(/Malformed JSON/);
    expect(answers[2].message).toMatch(/Partition 9/);
    expect(answers[3].message).toMatch(/headers\[0\]\.value/);
    expect([answers[0].offset, answers[4].offset]).toEqual([0, 1]);
    expect((await onBroker(topic, 2)).map(valueOf)).toEqual(['good-1', 'good-2']);
  });

  it('a stream cut short: the whole records before the cut are produced and answered, the cut one gets an error entry', async () => {
    const topic = uniqueTopic('stream');
    await broker.createTopic(topic, 1);
    const whole = [1, 2].map((n) => JSON.stringify({ value: { type: 'STRING', data: `r${n}` } })).join('');
    // A body with a length that ends inside a record.
    const reply = await post(recordsUrl(topic), `${whole}{"value": {"type": "STRI`);
    expect(reply.status).toBe(200);
    const answers = lines(reply.text);
    expect(answers.map((a) => a.error_code)).toEqual([200, 200, 400]);
    expect(answers[2].message).toMatch(/cut short/);
    // A chunked stream whose client goes away after two answered records.
    const stream = new ProduceStream(recordsUrl(topic));
    stream.write(JSON.stringify({ value: { type: 'STRING', data: 'r3' } }));
    stream.write(JSON.stringify({ value: { type: 'STRING', data: 'r4' } }));
    await stream.answers(2);
    stream.write('{"value": {"type": "STRING", "da');
    stream.cut();
    await stream.ended;
    expect((await onBroker(topic, 4)).map(valueOf)).toEqual(['r1', 'r2', 'r3', 'r4']);
  });

  it('one record alone keeps its HTTP status; concatenated records in a body with a length are answered one by one', async () => {
    const topic = uniqueTopic('v3');
    await broker.createTopic(topic, 1);
    const one = await post(recordsUrl(topic), JSON.stringify({ partition_id: 3, value: { type: 'STRING', data: 'x' } }));
    expect(one).toMatchObject({ status: 404, body: { error_code: 40402 } });
    expect(one.headers?.['content-type']).toMatch(/^application\/json/);
    const several = await post(recordsUrl(topic), `${JSON.stringify({ value: { type: 'STRING', data: 'a' } })}\n${JSON.stringify({ value: { type: 'BINARY', data: b64('b') } })}`);
    expect(several.status).toBe(200);
    expect(lines(several.text).map((a) => [a.error_code, a.offset])).toEqual([
      [200, 0],
      [200, 1],
    ]);
    expect((await post(recordsUrl(topic), '')).body).toMatchObject({ error_code: 400, message: expect.stringMatching(/empty/) });
    expect((await post(recordsUrl(topic), '[{"value": null}]')).status).toBe(422);
    expect((await post(recordsUrl(topic), '"just a string"')).body).toMatchObject({ error_code: 400, message: expect.stringMatching(/Expected a record \(a JSON object\) at byte 0/) });
    expect((await post(recordsUrl(topic), JSON.stringify({ headers: { name: 'h' } }))).body.message).toMatch(/headers must be an array/);
    // A header name librdkafka cannot take (empty, or with a NUL) is named by its place in the request.
    expect(await post(recordsUrl(topic), JSON.stringify({ headers: [{ name: 'a\u0000b' }], value: { type: 'STRING', data: 'x' } }))).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^headers\[0\]\.name must be a non-empty string without NUL/) } });
  });

  it('v3 errors are application/json, as the OpenAPI document says', async () => {
    const topic = uniqueTopic('v3');
    const reply = await post(`${proxy.url}/v3/clusters/not-this-one/topics/${topic}/records`, JSON.stringify({ value: { type: 'STRING', data: 'x' } }));
    expect(reply).toMatchObject({ status: 404, body: { error_code: 404 } });
    expect(reply.headers?.['content-type']).toMatch(/^application\/json/);
  });

  it('records:batch answers 207 with the successes and the failures by entry id; a failed entry writes nothing', async () => {
    const topic = uniqueTopic('batch');
    await broker.createTopic(topic, 1);
    const url = `${recordsUrl(topic)}:batch`;
    const reply = await post(
      url,
      JSON.stringify({
        entries: [
          { id: 'first', headers: [{ name: 'trace', value: b64('t1') }], value: { type: 'STRING', data: 'one' } },
          { id: 'second', partition_id: 5, value: { type: 'STRING', data: 'nowhere' } },
          { id: 'third', key: { type: 'STRING', data: 'k' }, value: { type: 'JSON', data: [3] } },
        ],
      }),
    );
    expect(reply.status).toBe(207);
    expect(reply.headers?.['content-type']).toMatch(/^application\/json/);
    expect(reply.body.successes).toEqual([
      expect.objectContaining({ id: 'first', cluster_id: id, topic_name: topic, partition_id: 0, offset: 0, value: { type: 'STRING', size: 3 } }),
      expect.objectContaining({ id: 'third', partition_id: 0, offset: 1, key: { type: 'STRING', size: 1 }, value: { type: 'JSON', size: 3 } }),
    ]);
    expect(reply.body.failures).toEqual([{ id: 'second', error_code: 40402, message: expect.stringMatching(/Partition 5/) }]);
    const records = await onBroker(topic, 2);
    expect(records.map(valueOf)).toEqual(['one', '[3]']);
    expect(headersOf(records[0])).toEqual([['trace', 't1']]);

    expect((await post(url, JSON.stringify({ entries: [{ id: 'a' }, { id: 'a' }] }))).body.message).toMatch(/distinct/);
    expect((await post(url, JSON.stringify({ entries: [{ id: 7 }] }))).status).toBe(422);
    expect((await post(url, JSON.stringify({ entries: [] }))).status).toBe(400);
  });

  it('headers on v2 produce and on v1 and v2 consume, as Karapace added them: [{key, value (base64)}], left out when a record has none', async () => {
    const topic = uniqueTopic('headers');
    await broker.createTopic(topic, 1);
    const produced = await post(
      `${proxy.url}/topics/${topic}`,
      JSON.stringify({ records: [{ value: b64('with'), headers: [{ key: 'a', value: b64('1') }, { key: 'a', value: b64('2') }, { key: 'empty', value: null }] }, { value: b64('without') }] }),
      { 'content-type': BINARY_V2 },
    );
    expect(produced.status).toBe(200);
    const v3 = await post(recordsUrl(topic), JSON.stringify({ headers: [{ name: 'from', value: b64('v3') }], value: { type: 'STRING', data: 'v3' } }));
    expect(v3.status).toBe(200);

    // On the broker, exactly as sent (a header may repeat; a null value stays null).
    const records = await onBroker(topic, 3);
    expect(records.map(headersOf)).toEqual([[['a', '1'], ['a', '2'], ['empty', null]], [], [['from', 'v3']]]);

    const group = uniqueTopic('g');
    const created = await post(`${proxy.url}/consumers/${group}`, JSON.stringify({ format: 'binary', 'auto.offset.reset': 'earliest' }), { 'content-type': 'application/vnd.kafka.v2+json' });
    const path = `/consumers/${group}/instances/${created.body.instance_id}`;
    await post(`${proxy.url}${path}/subscription`, JSON.stringify({ topics: [topic] }), { 'content-type': 'application/vnd.kafka.v2+json' });
    const read: Array<{ value: string; headers?: unknown }> = [];
    for (let i = 0; i < 20 && read.length < 3; i++) read.push(...(await httpRequest(`${proxy.url}${path}/records?timeout=2000`, { headers: { accept: BINARY_V2 } })).body);
    expect(read.map((r) => r.headers)).toEqual([
      [
        { key: 'a', value: b64('1') },
        { key: 'a', value: b64('2') },
        { key: 'empty', value: null },
      ],
      undefined,
      [{ key: 'from', value: b64('v3') }],
    ]);
    await httpRequest(`${proxy.url}${path}`, { method: 'DELETE' });

    // v1: the same record shape, with its headers.
    const v1group = uniqueTopic('g1');
    const v1 = await post(`${proxy.url}/consumers/${v1group}`, JSON.stringify({ format: 'binary', 'auto.offset.reset': 'smallest' }), { 'content-type': 'application/vnd.kafka.v1+json' });
    const v1path = `/consumers/${v1group}/instances/${v1.body.instance_id}`;
    const v1read: Array<{ headers?: unknown }> = [];
    for (let i = 0; i < 20 && v1read.length < 3; i++) v1read.push(...(await httpRequest(`${proxy.url}${v1path}/topics/${topic}?timeout=2000`, { headers: { accept: 'application/vnd.kafka.binary.v1+json' } })).body);
    expect(v1read[2].headers).toEqual([{ key: 'from', value: b64('v3') }]);
    await httpRequest(`${proxy.url}${v1path}`, { method: 'DELETE' });

    // A header Karapace would refuse is a 422 naming it, and nothing is produced.
    const bad = await post(`${proxy.url}/topics/${topic}`, JSON.stringify({ records: [{ value: b64('x'), headers: [{ key: 'h', value: '***' }] }] }), { 'content-type': BINARY_V2 });
    expect(bad).toMatchObject({ status: 422, body: { message: expect.stringMatching(/records\[0\]\.headers\[0\]\.value/) } });
    expect((await post(`${proxy.url}/topics/${topic}`, JSON.stringify({ records: [{ value: b64('x'), headers: [{ value: b64('v') }] }] }), { 'content-type': BINARY_V2 })).body.message).toMatch(/headers\[0\]\.key/);
    expect((await post(`${proxy.url}/topics/${topic}`, JSON.stringify({ records: [{ value: b64('x'), headers: [{ key: 'a\u0000b' }] }] }), { 'content-type': BINARY_V2 })).body.message).toMatch(/^records\[0\]\.headers\[0\]\.key must be a non-empty string without NUL/);
  });
});
