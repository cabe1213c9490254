// A property of the REST proxy's routes, over real HTTP: whatever a client sends (random methods,
// paths of the known route shapes with random segments, query strings, headers and bodies), the
// answer comes, is not a 5xx, and is an error in the API's own shape; the server answers
// afterwards. fast-check generates the requests and, on a failure, shrinks it to a small one
// and prints the seed that reproduces it.
import { request } from 'node:http';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { testBrokers, useBroker } from './brokers';
import { uniqueTopic, useProxy } from './helpers';

interface Sent {
  method: string;
  path: string;
  headers: { [name: string]: string };
  body?: string;
}

interface Answer {
  status: number;
  text: string;
}

/** One request over its own connection; a reply that takes more than 15 s fails the property. */
function send(base: string, sent: Sent): Promise<Answer> {
  const headers = { ...sent.headers, ...(sent.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(sent.body)) }) };
  return new Promise((resolve, reject) => {
    const req = request(`${base}${sent.path}`, { method: sent.method, headers, agent: false, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end(sent.body);
  });
}

/** The request and its answer, for a failure message. */
const describeExchange = (sent: Sent, answer: Answer) =>
  `${sent.method} ${sent.path} ${JSON.stringify(sent.headers)} ${JSON.stringify(sent.body?.slice(0, 300))}\n→ ${answer.status} ${answer.text.slice(0, 300)}`;

// ------------------------------------------------------------------ what clients send

/** A path segment: a name that exists, a plausible one, or anything at all (percent-encoded). */
const segment = (known: string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known) },
    { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/) },
    { weight: 1, arbitrary: fc.constantFrom('.', '..', '-1', '0', '1', '1e20', '99999999999', '__consumer_offsets', 'a'.repeat(250), 'a'.repeat(300), '%zz', '%E0%A4', '%00') },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }).map(encodeURIComponent) },
  );

const number = fc.oneof(fc.integer({ min: -5, max: 10 }).map(String), fc.constantFrom('1e20', '-0', '1.5', 'NaN', '', 'x', '99999999999999999999'));

/** A query string: any of the parameters the routes read, with any values, and unknown ones. */
const query = fc
  .tuple(
    fc.record(
      {
        group: fc.oneof(fc.constantFrom('g1', 'g2'), fc.string({ maxLength: 10 })),
        key: fc.string({ maxLength: 10 }),
        sync: fc.constant(''),
        noAck: fc.constant(''),
        partition: number,
        offset: number,
        ackPartition: number,
        ackOffset: number,
        timeout: number,
        max_bytes: number,
        withPartitions: fc.constant(''),
        withConfig: fc.constant(''),
      },
      { requiredKeys: [] },
    ),
    fc.array(fc.tuple(fc.stringMatching(/^[a-z_]{1,8}$/), fc.string({ maxLength: 10 })), { maxLength: 2 }),
  )
  .map(([known, unknown]) => {
    const pairs = [...Object.entries(known), ...unknown];
    return pairs.length === 0 ? '' : `?${new URLSearchParams(pairs).toString()}`;
  });

const CONTENT_TYPES = [
  'application/vnd.kafka.binary.v2+json',
  'application/vnd.kafka.json.v2+json',
  'application/vnd.kafka.avro.v2+json',
  'application/vnd.kafka.avro.v1+json',
  'application/vnd.kafka.jsonschema.v2+json',
  'application/vnd.kafka.protobuf.v2+json',
  'application/vnd.kafka.v2+json',
  'application/vnd.kafka.json.v1+json',
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
];

const headers = fc
  .record(
    {
      'content-type': fc.oneof(fc.constantFrom(...CONTENT_TYPES), fc.stringMatching(/^[a-z]{1,8}\/[a-z.+0-9-]{1,20}$/)),
      accept: fc.oneof(fc.constantFrom('application/vnd.kafka.binary.v2+json', 'application/vnd.kafka.json.v2+json', 'application/vnd.kafka.avro.v2+json', 'application/vnd.kafka.v2+json', '*/*', 'text/html'), fc.string({ unit: 'grapheme-ascii', maxLength: 20 })),
      'x-kafka-trace': fc.oneof(fc.constantFrom('dC0x', 'AA==', ''), fc.string({ unit: 'grapheme-ascii', maxLength: 12 })),
      'x-random': fc.string({ unit: 'grapheme-ascii', maxLength: 30 }),
    },
    { requiredKeys: [] },
  )
  // Header values as a client can send them (no control characters, no surrounding spaces).
  .map((h) => Object.fromEntries(Object.entries(h).map(([name, value]) => [name, value.replace(/[^\x20-\x7e]/g, '').trim()])));

/** JSON shaped like what the routes read, with wrong types and values mixed in. */
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('AA==', 'not base64!', 12, -1, 1e20, null, '1970-01-01T00:00:00Z', '12'));
const record = fc.record(
  { key: anyValue, value: anyValue, partition: fc.oneof(fc.integer({ min: -2, max: 5 }), anyValue), partition_id: anyValue, timestamp: anyValue, headers: fc.oneof(anyValue, fc.array(fc.record({ name: anyValue, value: anyValue }, { requiredKeys: [] }), { maxLength: 3 })) },
  { requiredKeys: [] },
);
/** Schemas a registry takes, and some it does not. */
const schemaText = fc.oneof(fc.constantFrom('"string"', '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}', '{"type":"object"}', 'syntax = "proto3"; message M { int32 a = 1; }', '{', 'message {'), anyValue);
const typed = fc.record(
  {
    type: fc.oneof(fc.constantFrom('BINARY', 'JSON', 'STRING', 'AVRO', 'JSONSCHEMA', 'PROTOBUF', 'binary'), anyValue),
    data: anyValue,
    schema: schemaText,
    schema_id: fc.oneof(fc.integer({ min: -1, max: 5 }), anyValue),
    schema_version: fc.oneof(fc.integer({ min: -1, max: 3 }), anyValue),
    subject: anyValue,
    subject_name_strategy: fc.oneof(fc.constantFrom('TOPIC_NAME', 'RECORD_NAME', 'TOPIC_RECORD_NAME'), anyValue),
  },
  { requiredKeys: [] },
);
const shapedJson = fc.oneof(
  fc.record(
    { records: fc.oneof(fc.array(record, { maxLength: 4 }), anyValue), key_schema: schemaText, value_schema: schemaText, key_schema_id: fc.oneof(fc.integer({ min: -1, max: 5 }), anyValue), value_schema_id: fc.oneof(fc.integer({ min: -1, max: 5 }), anyValue) },
    { requiredKeys: [] },
  ),
  fc.record({ key: fc.oneof(typed, anyValue), value: fc.oneof(typed, anyValue), partition_id: anyValue, headers: anyValue, timestamp: anyValue }, { requiredKeys: [] }),
  fc.record({ topics: fc.oneof(fc.array(segment(['topic']), { maxLength: 3 }), anyValue), topic_pattern: fc.oneof(fc.constantFrom('^t.*', '(', '[a-', '*'), anyValue) }, { requiredKeys: [] }),
  fc.record(
    { name: anyValue, format: fc.oneof(fc.constantFrom('binary', 'json', 'avro', 'jsonschema', 'protobuf', 'JSON'), anyValue), 'auto.offset.reset': fc.oneof(fc.constantFrom('earliest', 'smallest', 'largest', 'none'), anyValue), 'auto.commit.enable': anyValue, 'fetch.min.bytes': anyValue, 'consumer.request.timeout.ms': anyValue, 'plugin.library.paths': anyValue },
    { requiredKeys: [] },
  ),
  fc.record({ partitions: fc.oneof(fc.array(fc.record({ topic: anyValue, partition: anyValue }, { requiredKeys: [] }), { maxLength: 3 }), anyValue), offsets: fc.oneof(fc.array(fc.record({ topic: anyValue, partition: anyValue, offset: anyValue }, { requiredKeys: [] }), { maxLength: 3 }), anyValue) }, { requiredKeys: [] }),
  fc.record({ topic_name: anyValue, partitions_count: anyValue, replication_factor: anyValue, configs: anyValue, validate_only: anyValue }, { requiredKeys: [] }),
  fc.array(fc.record({ partition: anyValue, offset: anyValue, metadata: anyValue }, { requiredKeys: [] }), { maxLength: 3 }),
);
const body = fc.option(
  fc.oneof(
    { weight: 4, arbitrary: shapedJson.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '[]', 'null', '{"records":[{"value":"AA=="}]', `${'['.repeat(3000)}${']'.repeat(3000)}`, 'msg=hello') },
  ),
  { freq: 4 },
);

const method = fc.oneof({ weight: 8, arbitrary: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS') }, { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{3,8}$/) });

// ------------------------------------------------------------------ the property

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  const topic = uniqueTopic('prop');
  let clusterId = '';
  let instance = { group: 'g1', name: 'i1' };
  beforeAll(() => broker.createTopic(topic, 2));
  const proxy = useProxy(() => ({
    bootstrapServers: broker.bootstrapServers,
    // Waits short enough for hundreds of requests; a bounded number of consumers.
    consumerRequestTimeoutMs: 200,
    consumerMaxInstances: 10,
    pixyLongPollTimeoutMs: 200,
    consumer: { 'session.timeout.ms': '6000', 'heartbeat.interval.ms': '500' },
  }));
  beforeAll(async () => {
    clusterId = JSON.parse((await send(proxy.url, { method: 'GET', path: '/v3/clusters', headers: {} })).text).data[0].cluster_id;
    // A consumer instance that exists, so that its routes are reached with valid names too.
    const created = await send(proxy.url, { method: 'POST', path: '/consumers/g1', headers: { 'content-type': 'application/vnd.kafka.v2+json' }, body: '{"name":"i1"}' });
    expect(created.status, created.text).toBe(200);
    instance = { group: 'g1', name: JSON.parse(created.text).instance_id };
  });

  // The real broker creates every new topic on disk: fewer runs there.
  const runs = broker.name === 'mock' ? 10_000 : 1000;

  const confluentPath = () => {
    const t = segment([topic]);
    const p = segment(['0', '1', '5']);
    const g = segment([instance.group]);
    const i = segment([instance.name]);
    const c = segment([clusterId]);
    const consumer = fc.tuple(g, i).map(([group, name]) => `/consumers/${group}/instances/${name}`);
    return fc.oneof(
      fc.constantFrom('/', '/topics', '/brokers', '/v3/clusters', '/consumers', '/topics/', '//topics'),
      t.map((x) => `/topics/${x}`),
      fc.tuple(t, fc.constantFrom('/partitions', '')).map(([x, rest]) => `/topics/${x}${rest}`),
      fc.tuple(t, p, fc.constantFrom('', '/offsets')).map(([x, n, rest]) => `/topics/${x}/partitions/${n}${rest}`),
      g.map((x) => `/consumers/${x}`),
      fc.tuple(consumer, fc.constantFrom('', '/subscription', '/records', '/offsets', '/positions', '/positions/beginning', '/positions/end', '/assignments')).map(([base, rest]) => `${base}${rest}`),
      fc.tuple(consumer, t).map(([base, x]) => `${base}/topics/${x}`),
      c.map((x) => `/v3/clusters/${x}`),
      fc.tuple(c, fc.constantFrom('/topics', '/brokers')).map(([x, rest]) => `/v3/clusters/${x}${rest}`),
      fc.tuple(c, t).map(([x, y]) => `/v3/clusters/${x}/topics/${y}/records`),
      fc.array(segment(['topics', 'consumers', 'v3']), { minLength: 1, maxLength: 6 }).map((parts) => `/${parts.join('/')}`),
    );
  };

  const pixyPath = () => {
    const t = segment([topic]);
    const prefix = fc.oneof(fc.constant(''), segment(['rdkafka-napi-proxy']).map((x) => `/clusters/${x}`));
    return fc.oneof(
      fc.tuple(prefix, fc.constantFrom('/_ping', '/topics', '/topics/')).map(([a, b]) => `${a}${b}`),
      fc.tuple(prefix, t, fc.constantFrom('', '/messages', '/acks', '/offsets', '/consumers')).map(([a, x, rest]) => `${a}/topics/${x}${rest}`),
      fc.array(segment(['topics', 'clusters', 'messages']), { minLength: 1, maxLength: 6 }).map((parts) => `/${parts.join('/')}`),
    );
  };

  const requests = (path: fc.Arbitrary<string>) =>
    fc.record({ method, path: fc.tuple(path, query).map(([p, q]) => `${p}${q}`), headers, body }).map(
      (r): Sent => ({ method: r.method, path: r.path, headers: r.headers, body: r.body === null || r.method === 'HEAD' ? undefined : r.body }),
    );

  const check = (api: 'confluent' | 'pixy') => async (sent: Sent) => {
    const answer = await send(api === 'confluent' ? proxy.url : proxy.pixyUrl!, sent);
    const exchange = describeExchange(sent, answer);
    expect(answer.status, exchange).toBeGreaterThanOrEqual(200);
    // 501: what the embedded broker cannot do (listing groups) is not the client's mistake.
    // 500 for an ack of a partition this process never handed out: what Kafka-Pixy answers (the spec).
    const neverHandedOut = api === 'pixy' && answer.status === 500 && /^\{"error":"Partition \d+ of .* was never handed out to group/.test(answer.text);
    if ((answer.status !== 501 || broker.name !== 'mock') && !neverHandedOut) expect(answer.status, exchange).toBeLessThan(500);
    if (answer.status >= 400 && sent.method !== 'HEAD') {
      let error: { error_code?: unknown; message?: unknown; error?: unknown } | undefined;
      try {
        error = JSON.parse(answer.text);
      } catch {
        error = undefined;
      }
      if (api === 'confluent') expect(typeof error?.error_code === 'number' && typeof error.message === 'string', exchange).toBe(true);
      else expect(typeof error?.error, exchange).toBe('string');
    }
  };

  it('the Confluent API: any request is answered, never with a 5xx; errors are {error_code, message}', async () => {
    await fc.assert(fc.asyncProperty(requests(confluentPath()), check('confluent')), { numRuns: runs });
  });

  it('the Kafka-Pixy API: any request is answered, never with a 5xx; errors are {error}', async () => {
    await fc.assert(fc.asyncProperty(requests(pixyPath()), check('pixy')), { numRuns: runs });
  });

  // What the property found, each as a plain request.
  describe('found by the property', () => {
    const json = (answer: Answer) => JSON.parse(answer.text) as { error_code?: number; message?: string; error?: string };

    it('Kafka-Pixy: an empty topic or group, or a NUL in a topic, is a 400 naming the value (GET and HEAD), not a 500', async () => {
      for (const path of ['/topics//messages?group=g1', '/topics/%00/messages?group=g1', `/topics/${topic}/consumers?group=`]) {
        const answer = await send(proxy.pixyUrl!, { method: 'GET', path, headers: {} });
        expect(answer.status, answer.text).toBe(400);
        expect(json(answer).error).toMatch(/topic|group/i);
        expect((await send(proxy.pixyUrl!, { method: 'HEAD', path, headers: {} })).status).toBe(400);
      }
    });

    it('Kafka-Pixy: setting offsets with an empty list changes nothing and answers {}, not a 500', async () => {
      const answer = await send(proxy.pixyUrl!, { method: 'POST', path: `/topics/${topic}/offsets?group=g1`, headers: { 'content-type': 'application/json' }, body: '[]' });
      expect(answer).toEqual({ status: 200, text: '{}' });
    });

    it('what the embedded broker cannot do (listing groups, creating topics through the admin API) is a 501 naming it, not a 500', async () => {
      const consumers = await send(proxy.pixyUrl!, { method: 'GET', path: `/topics/${topic}/consumers`, headers: {} });
      const created = await send(proxy.url, { method: 'POST', path: `/v3/clusters/${clusterId}/topics`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ topic_name: uniqueTopic('prop'), partitions_count: 1 }) });
      if (broker.name === 'mock') {
        expect(consumers.status, consumers.text).toBe(501);
        expect(json(consumers).error).toMatch(/embedded broker .* does not support ListConsumerGroups/);
        expect(created.status, created.text).toBe(501);
        expect(json(created)).toMatchObject({ error_code: 501, message: expect.stringMatching(/does not support CreateTopics/) });
      } else {
        expect(consumers.status, consumers.text).toBe(200);
        expect(created.status, created.text).toBe(201);
      }
    });

    it('a path segment past the router\'s length limit, or bad percent-encoding, is answered in the API\'s error shape', async () => {
      const long = 'a'.repeat(5000);
      const confluentLong = await send(proxy.url, { method: 'GET', path: `/topics/${long}`, headers: {} });
      expect(confluentLong.status).toBe(414);
      expect(json(confluentLong)).toMatchObject({ error_code: 414, message: expect.stringMatching(/is longer than \d+ characters/) });
      const pixyLong = await send(proxy.pixyUrl!, { method: 'GET', path: `/topics/${long}`, headers: {} });
      expect(pixyLong.status).toBe(414);
      expect(json(pixyLong).error).toMatch(/is longer than \d+ characters/);
      const badEncoding = await send(proxy.url, { method: 'GET', path: '/topics/%zz', headers: {} });
      expect(badEncoding.status).toBe(400);
      expect(json(badEncoding)).toMatchObject({ error_code: 400, message: expect.stringMatching(/^Invalid URL "\/topics\/%zz"/) });
    });

    it.runIf(broker.name === 'kafka')('producing to a topic whose name the broker refuses is a 4xx, not a 500 (Confluent v3, Kafka-Pixy sync)', async () => {
      // The broker's first answer is "invalid topic" (400); librdkafka then knows the topic as unknown (404).
      const v3 = await send(proxy.url, { method: 'POST', path: `/v3/clusters/${clusterId}/topics/%7B/records`, headers: { 'content-type': 'application/json' }, body: '{"value":{"type":"STRING","data":"x"}}' });
      expect([400, 404], v3.text).toContain(v3.status);
      expect(json(v3).message).toMatch(/invalid topic|unknown topic/i);
      const pixy = await send(proxy.pixyUrl!, { method: 'POST', path: '/topics/%7D/messages?sync', headers: { 'content-type': 'text/plain' }, body: 'x' });
      expect([400, 404], pixy.text).toContain(pixy.status);
      expect(json(pixy).error).toMatch(/invalid topic|unknown topic/i);
    });

    it('Confluent v3: producing to a partition the topic does not have is 404 40402, not a 500', async () => {
      const answer = await send(proxy.url, { method: 'POST', path: `/v3/clusters/${clusterId}/topics/${topic}/records`, headers: { 'content-type': 'application/json' }, body: '{"partition_id":12,"value":{"type":"STRING","data":"x"}}' });
      expect(answer.status, answer.text).toBe(404);
      expect(json(answer).error_code).toBe(40402);
    });

    it('Kafka-Pixy: a sync produce to an empty topic name is a 400, not a 500', async () => {
      const answer = await send(proxy.pixyUrl!, { method: 'POST', path: '/topics//messages?sync', headers: { 'content-type': 'text/plain' }, body: 'x' });
      expect(answer.status, answer.text).toBe(400);
      expect(json(answer).error).toMatch(/topic/);
    });
  });

  it('afterwards, both APIs answer and a produce works', async () => {
    expect(await send(proxy.url, { method: 'GET', path: '/', headers: {} })).toEqual({ status: 200, text: '{}' });
    expect(await send(proxy.pixyUrl!, { method: 'GET', path: '/_ping', headers: {} })).toEqual({ status: 200, text: 'pong' });
    const produced = await send(proxy.url, { method: 'POST', path: `/topics/${topic}`, headers: { 'content-type': 'application/vnd.kafka.binary.v2+json' }, body: '{"records":[{"value":"AA=="}]}' });
    expect(produced.status, produced.text).toBe(200);
    expect(JSON.parse(produced.text).offsets[0].error_code).toBeNull();
  });
});
