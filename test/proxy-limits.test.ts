// What one client can make the REST proxy hold: records and JSON values per request, over real HTTP.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, startProxy, type RunningProxy } from '../lib/proxy';
import { testBrokers, useBroker } from './brokers';
import { uniqueTopic } from './helpers';

const JSON_V2 = 'application/vnd.kafka.json.v2+json';

interface Reply {
  status: number;
  /** The start of the body, for assertion messages. */
  text: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the wire
}

/** One HTTP request; `chunked` sends the body without a Content-Length. */
function call(url: string, method: string, body?: string, headers: { [k: string]: string } = {}, chunked = false): Promise<Reply> {
  const all: { [k: string]: string } = { ...headers };
  if (body !== undefined && !chunked) all['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: all }, (res) => {
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
        resolve({ status: res.statusCode ?? 0, text: text.slice(0, 300), body: parsed });
      });
    });
    req.on('error', reject);
    if (body !== undefined && chunked) {
      // Two writes: Node sends a body it is given in pieces as chunked transfer encoding.
      req.write(body.slice(0, 10));
      req.end(body.slice(10));
    } else req.end(body);
  });
}

const records = (n: number) => `{"records":[${new Array<string>(n).fill('{"value":1}').join(',')}]}`;

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  let proxy: RunningProxy;
  beforeAll(async () => {
    proxy = await startProxy({
      ...DEFAULTS,
      listeners: 'http://127.0.0.1:0',
      pixyListeners: 'http://127.0.0.1:0',
      bootstrapServers: broker.bootstrapServers,
      maxRequestRecords: 1000,
      maxRequestJsonValues: 20_000,
    });
  });
  afterAll(() => proxy.close());

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

describe('the default limits', () => {
  it('the 800,000-record body of issue 11 is refused with 413 (the proxy would have held ~700 MB for it); 10,001 records are refused, 10,000 produced', async () => {
    const proxy = await startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '' });
    try {
      const refused = await call(`${proxy.url}/topics/t`, 'POST', records(800_000), { 'content-type': JSON_V2 });
      expect(refused.status, refused.text).toBe(413);
      expect(refused.body.message).toMatch(/more than 200000 JSON values \(max.request.json.values\)/);
      const tooMany = await call(`${proxy.url}/topics/t`, 'POST', records(10_001), { 'content-type': JSON_V2 });
      expect(tooMany.body).toEqual({ error_code: 413, message: 'A produce request may carry at most 10000 records (max.request.records); this one has 10001' });
      expect((await call(`${proxy.url}/topics/t`, 'POST', records(10_000), { 'content-type': JSON_V2 })).status).toBe(200);
    } finally {
      await proxy.close();
    }
  });
});
