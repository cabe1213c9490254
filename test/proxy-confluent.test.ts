// The Confluent-compatible REST proxy, over real HTTP, against the embedded and a real broker.
import { describe, expect, it } from 'vitest';
import { Consumer } from '../lib';
import { adminClusterView } from '../lib/proxy';
import { testBrokers, useBroker } from './brokers';
import { consumeCount, consumerConfig, uniqueTopic, useProxy } from './helpers';
import { httpRequest } from './http';

const BINARY = 'application/vnd.kafka.binary.v2+json';
const JSON_V2 = 'application/vnd.kafka.json.v2+json';
const V2 = 'application/vnd.kafka.v2+json';

interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the wire
}

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  const proxy = useProxy(
    () => ({
      pixyListeners: '',
      bootstrapServers: broker.bootstrapServers,
      consumerInstanceTimeoutMs: 3000,
      consumerRequestTimeoutMs: 5000,
      maxRequestBytes: 1024 * 1024,
      consumer: { 'session.timeout.ms': '6000', 'heartbeat.interval.ms': '500' },
    }),
    // On the embedded broker, topics are created on it directly (as a proxy that runs its own does).
    (bootstrapServers, config) => adminClusterView(bootstrapServers, config, broker.mock),
  );

  /** One HTTP request (node:http, since the Confluent API sends bodies on some GETs). */
  async function call(method: string, path: string, body?: unknown, headers: { [k: string]: string } = {}): Promise<Reply> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const all: { [k: string]: string } = { ...headers };
    if (payload !== undefined) all['content-type'] ??= V2;
    const reply = await httpRequest(`${proxy.url}${path}`, { method, headers: all, body: payload });
    return { status: reply.status, body: reply.text === '' ? undefined : JSON.parse(reply.text) };
  }

  const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

  async function newConsumer(group: string, extra: object = {}): Promise<string> {
    const created = await call('POST', `/consumers/${group}`, { format: 'binary', 'auto.offset.reset': 'earliest', ...extra });
    expect(created.status).toBe(200);
    expect(created.body.base_uri).toBe(`${proxy.url}/consumers/${group}/instances/${created.body.instance_id}`);
    return `/consumers/${group}/instances/${created.body.instance_id}`;
  }

  /** Reads records until `count` arrived (the first read also waits for the group join). */
  async function readAll(path: string, count: number, accept = BINARY): Promise<Reply['body'][]> {
    const got = [];
    for (let i = 0; i < 40 && got.length < count; i++) {
      const r = await call('GET', `${path}/records?timeout=3000`, undefined, { accept });
      expect(r.status).toBe(200);
      got.push(...r.body);
    }
    return got;
  }

  /** The next answer to a records GET that is not an empty 200: a client polls until something comes. */
  async function nextRecords(path: string, accept: string): Promise<Reply> {
    for (let i = 0; i < 40; i++) {
      const r = await call('GET', `${path}/records?timeout=3000`, undefined, { accept });
      if (r.status !== 200 || r.body.length > 0) return r;
    }
    throw new Error(`No records for ${path} in 40 requests`);
  }

  it('v1: an instance reading two topics returns each record once, from the read of its own topic; nothing is lost or committed past it', async () => {
    const [a, b] = [uniqueTopic('v1a'), uniqueTopic('v1b')];
    await broker.createTopic(a, 1);
    await broker.createTopic(b, 1);
    const produce = async (topic: string, value: string) => expect((await call('POST', `/topics/${topic}`, { records: [{ value: b64(value) }] }, { 'content-type': BINARY })).status).toBe(200);
    const accept = { accept: 'application/vnd.kafka.binary.v1+json' };
    const path = await newConsumer(uniqueTopic('g'));
    /** A v1 client polls a topic until something comes. */
    const read = async (topic: string) => {
      for (let i = 0; i < 10; i++) {
        const r = await call('GET', `${path}/topics/${topic}?timeout=3000`, undefined, accept);
        expect(r.status).toBe(200);
        if (r.body.length > 0) return r.body.map((x: { value: string }) => Buffer.from(x.value, 'base64').toString());
      }
      return [];
    };
    await produce(a, 'a1');
    await produce(b, 'b1');
    expect(await read(a)).toEqual(['a1']);
    expect(await read(b)).toEqual(['b1']);
    // b2 is fetched first: the read of a meets it and keeps it for the read of b.
    await produce(b, 'b2');
    await produce(a, 'a2');
    expect(await read(a)).toEqual(['a2']);
    expect(await read(b)).toEqual(['b2']);
    await call('GET', `${path}/topics/${a}?timeout=100`, undefined, accept); // commits what was returned
    const committed = await call('GET', `${path}/offsets`, { partitions: [{ topic: a, partition: 0 }, { topic: b, partition: 0 }] });
    expect(committed.body.offsets.map((o: { topic: string; offset: number }) => [o.topic, o.offset])).toEqual([[a, 2], [b, 2]]);
  });

  it('v1: reading a topic that does not exist is 404 40401 within the read, and leaves the subscription as it was', async () => {
    const topic = uniqueTopic('v1there');
    await broker.createTopic(topic, 1);
    const accept = { accept: 'application/vnd.kafka.binary.v1+json' };
    const path = await newConsumer(uniqueTopic('g'));
    expect((await call('GET', `${path}/topics/${topic}?timeout=500`, undefined, accept)).status).toBe(200);
    const missing = uniqueTopic('v1missing');
    // Before, the instance subscribed to it and each read waited up to 15 s for a partition the group could not give.
    const started = Date.now();
    const r = await call('GET', `${path}/topics/${missing}?timeout=7`, undefined, accept);
    expect(r).toMatchObject({ status: 404, body: { error_code: 40401, message: `Topic ${missing} not found` } });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await call('GET', `${path}/subscription`)).body).toEqual({ topics: [topic] });
    await call('DELETE', path);
  });

  it('v1: one instance reads at most 100 topics; the next is 409 40903 naming the limit, and the subscription is unchanged', async () => {
    const topic = uniqueTopic('v1limit');
    await broker.createTopic(topic, 1);
    const accept = { accept: 'application/vnd.kafka.binary.v1+json' };
    const path = await newConsumer(uniqueTopic('g'));
    const hundred = Array.from({ length: 100 }, (_, i) => `${topic}-${i}`);
    expect((await call('POST', `${path}/subscription`, { topics: hundred })).status).toBe(204);
    const r = await call('GET', `${path}/topics/${topic}?timeout=100`, undefined, accept);
    expect(r).toMatchObject({ status: 409, body: { error_code: 40903, message: expect.stringContaining('already reads 100 topics, the most one instance reads (100)') } });
    expect((await call('GET', `${path}/subscription`)).body).toEqual({ topics: hundred });
    await call('DELETE', path);
  });

  it('a read of an instance subscribed only to topics that do not exist answers [] within its timeout, and records come once one is created', async () => {
    const topic = uniqueTopic('v2later');
    const path = await newConsumer(uniqueTopic('g'), { 'auto.offset.reset': 'earliest' });
    expect((await call('POST', `${path}/subscription`, { topics: [topic] })).status).toBe(204);
    // Before, this first read waited up to 15 s for the group to give it a partition of a topic that is not there.
    const started = Date.now();
    expect(await call('GET', `${path}/records?timeout=500`, undefined, { accept: BINARY })).toEqual({ status: 200, body: [] });
    expect(Date.now() - started).toBeLessThan(10_000);
    // The embedded broker creates a topic a consumer subscribes to; a real one does not.
    if (broker.mock === undefined) await broker.createTopic(topic, 1);
    expect((await call('POST', `/topics/${topic}`, { records: [{ value: b64('late') }] }, { 'content-type': BINARY })).status).toBe(200);
    const got = await readAll(path, 1);
    expect(got.map((r) => Buffer.from(r.value, 'base64').toString())).toEqual(['late']);
    await call('DELETE', path);
  });


  // Before, the records returned before the change were committed by the next read, after it, in
  // the old generation: refused (unknown member), they came again, and the broker kept the group
  // waiting a session timeout for the member id the refused commit's rejoin had abandoned.
  it('a subscription changed (DELETE, then subscribe again; v1 reading a second topic) goes on after the records already returned, not from them again', async () => {
    const [a, b] = [uniqueTopic('resub-a'), uniqueTopic('resub-b')];
    await broker.createTopic(a, 1);
    await broker.createTopic(b, 1);
    const produce = async (topic: string, value: string) => expect((await call('POST', `/topics/${topic}`, { records: [{ value: b64(value) }] }, { 'content-type': BINARY })).status).toBe(200);
    const values = (r: Reply) => r.body.map((x: { value: string }) => Buffer.from(x.value, 'base64').toString());
    const path = await newConsumer(uniqueTopic('g'));
    await produce(a, 'a1');
    expect((await call('POST', `${path}/subscription`, { topics: [a] })).status).toBe(204);
    expect(values(await nextRecords(path, BINARY))).toEqual(['a1']);

    expect((await call('DELETE', `${path}/subscription`)).status).toBe(204);
    await produce(a, 'a2');
    expect((await call('POST', `${path}/subscription`, { topics: [a] })).status).toBe(204);
    expect(values(await nextRecords(path, BINARY))).toEqual(['a2']);

    // v1: the read of b adds it to the subscription.
    const v1 = 'application/vnd.kafka.binary.v1+json';
    await produce(b, 'b1');
    const fromB = await call('GET', `${path}/topics/${b}?timeout=3000`, undefined, { accept: v1 });
    expect(fromB.status).toBe(200);
    await produce(a, 'a3');
    expect(values(await nextRecords(path, BINARY)).filter((v: string) => v.startsWith('a'))).toEqual(['a3']);
    const committed = await call('GET', `${path}/offsets`, { partitions: [{ topic: a, partition: 0 }] });
    expect(committed.body.offsets[0].offset).toBe(2); // a2 committed; a3 is committed by the next read
    await call('DELETE', path);
  });
  it('max_bytes: each read returns records within it (always at least one), and the next reads go on from the first one left, in order, none twice', async () => {
    const topic = uniqueTopic('maxbytes');
    await broker.createTopic(topic, 1);
    const values = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(2, '0')}${'x'.repeat(98)}`); // 100 bytes each
    const sent = await call('POST', `/topics/${topic}`, { records: values.map((v) => ({ value: b64(v) })) }, { 'content-type': BINARY });
    expect(sent.status).toBe(200);
    const path = await newConsumer(uniqueTopic('g'));
    expect((await call('POST', `${path}/subscription`, { topics: [topic] })).status).toBe(204);
    const got: string[] = [];
    const sizes: number[] = [];
    for (let i = 0; i < 25 && got.length < values.length; i++) {
      const r = await call('GET', `${path}/records?timeout=3000&max_bytes=250`, undefined, { accept: BINARY });
      expect(r.status).toBe(200);
      if (r.body.length > 0) sizes.push(r.body.length);
      got.push(...r.body.map((x: { value: string }) => Buffer.from(x.value, 'base64').toString()));
    }
    expect(got).toEqual(values);
    expect(Math.max(...sizes)).toBe(2); // 2 × 100 bytes fit in 250; a third would not
    const one = await call('GET', `${path}/records?timeout=100&max_bytes=1`, undefined, { accept: BINARY });
    expect(one).toEqual({ status: 200, body: [] }); // nothing left
    await call('POST', `/topics/${topic}`, { records: [{ value: b64(values[0]) }, { value: b64(values[1]) }] }, { 'content-type': BINARY });
    const alone: number[] = [];
    for (let i = 0; i < 20 && alone.reduce((a, b) => a + b, 0) < 2; i++) {
      const r = await call('GET', `${path}/records?timeout=3000&max_bytes=1`, undefined, { accept: BINARY });
      if (r.body.length > 0) alone.push(r.body.length);
    }
    expect(alone).toEqual([1, 1]);
    await call('DELETE', path);
  });

  it('GET / answers {}', async () => {
    expect(await call('GET', '/')).toEqual({ status: 200, body: {} });
  });

  it('binary bytes round-trip exactly, null keys stay null, and the committed offset follows what was read', async () => {
    const topic = uniqueTopic('rest');
    await broker.createTopic(topic, 1);
    const bytes = Buffer.from([0, 255, 1, 0, 128]);
    const produced = await call('POST', `/topics/${topic}`, { records: [{ key: b64('k'), value: b64(bytes) }, { value: b64('second') }, { key: null, value: null }] }, { 'content-type': BINARY });
    expect(produced.status).toBe(200);
    expect(produced.body.offsets).toEqual([0, 1, 2].map((offset) => ({ partition: 0, offset, error_code: null, error: null })));
    const group = uniqueTopic('g');
    const path = await newConsumer(group, { 'auto.commit.enable': 'false' });
    expect((await call('POST', `${path}/subscription`, { topics: [topic] })).status).toBe(204);
    expect((await call('GET', `${path}/subscription`)).body).toEqual({ topics: [topic] });
    const records = await readAll(path, 3);
    expect(records).toEqual([
      { topic, key: b64('k'), value: b64(bytes), partition: 0, offset: 0 },
      { topic, key: null, value: b64('second'), partition: 0, offset: 1 },
      { topic, key: null, value: null, partition: 0, offset: 2 },
    ]);
    // An explicit commit names the last record processed: offset 0 stores 1.
    expect((await call('POST', `${path}/offsets`, { offsets: [{ topic, partition: 0, offset: 0 }] })).status).toBe(200);
    expect((await call('GET', `${path}/offsets`, { partitions: [{ topic, partition: 0 }] })).body).toEqual({ offsets: [{ topic, partition: 0, offset: 1, metadata: '' }] });
    // An empty list commits nothing (found by the property test: it was a 500 'No offset stored').
    expect((await call('POST', `${path}/offsets`, { offsets: [] })).status).toBe(200);
    expect((await call('GET', `${path}/offsets`, { partitions: [{ topic, partition: 0 }] })).body.offsets[0].offset).toBe(1);
    // An empty body commits everything returned so far.
    expect((await call('POST', `${path}/offsets`)).status).toBe(200);
    expect((await call('GET', `${path}/offsets`, { partitions: [{ topic, partition: 0 }] })).body.offsets[0].offset).toBe(3);
    expect((await call('DELETE', path)).status).toBe(204);
  });

  it('JSON values round-trip as JSON', async () => {
    const topic = uniqueTopic('rest');
    await broker.createTopic(topic, 1);
    const values = [{ a: 1, b: [true, null] }, 'text', 42, null];
    const produced = await call('POST', `/topics/${topic}`, { records: values.map((value) => ({ key: 'k', value })) }, { 'content-type': JSON_V2 });
    expect(produced.body.offsets.map((o: { offset: number }) => o.offset)).toEqual([0, 1, 2, 3]);
    const path = await newConsumer(uniqueTopic('g'), { format: 'json' });
    await call('POST', `${path}/subscription`, { topics: [topic] });
    const records = await readAll(path, 4, JSON_V2);
    expect(records.map((r) => r.value)).toEqual(values);
    expect(records.map((r) => r.key)).toEqual(['k', 'k', 'k', 'k']);
    // Asking a json instance for binary is 406.
    expect((await call('GET', `${path}/records`, undefined, { accept: BINARY })).body.error_code).toBe(40601);
    await call('DELETE', path);
  });

  it('keyed records keep their partition across requests, and records without a key spread', async () => {
    const topic = uniqueTopic('rest');
    await broker.createTopic(topic, 6);
    const keys = ['red', 'green', 'blue', 'amber'];
    const first = await call('POST', `/topics/${topic}`, { records: keys.map((k) => ({ key: b64(k), value: b64('1') })) }, { 'content-type': BINARY });
    const second = await call('POST', `/topics/${topic}`, { records: keys.map((k) => ({ key: b64(k), value: b64('2') })) }, { 'content-type': BINARY });
    expect(second.body.offsets.map((o: { partition: number }) => o.partition)).toEqual(first.body.offsets.map((o: { partition: number }) => o.partition));
    const spread = await call('POST', `/topics/${topic}`, { records: Array.from({ length: 60 }, () => ({ value: b64('x') })) }, { 'content-type': BINARY });
    expect(new Set(spread.body.offsets.map((o: { partition: number }) => o.partition)).size).toBeGreaterThan(1);
    const explicit = await call('POST', `/topics/${topic}/partitions/4`, { records: [{ value: b64('p') }, { value: b64('q'), partition: 5 }] }, { 'content-type': BINARY });
    expect(explicit.body.offsets.map((o: { partition: number }) => o.partition)).toEqual([4, 5]);
  });

  it('an instance is in use, not idle, during a read longer than the instance timeout; idle time counts from the end of its last request', async () => {
    const topic = uniqueTopic('rest');
    await broker.createTopic(topic, 1);
    const path = await newConsumer(uniqueTopic('g'));
    await call('POST', `${path}/subscription`, { topics: [topic] });
    const started = performance.now();
    const long = await call('GET', `${path}/records?timeout=4500`, undefined, { accept: BINARY }); // the instance timeout is 3 s
    expect(long).toEqual({ status: 200, body: [] });
    expect(performance.now() - started).toBeGreaterThan(4000);
    await new Promise((r) => setTimeout(r, 1500)); // 6 s after the read began, 1.5 s after it ended
    expect(await call('GET', `${path}/subscription`)).toEqual({ status: 200, body: { topics: [topic] } });
    expect((await call('DELETE', path)).status).toBe(204);
  });

  it('an instance idle past the timeout is gone (40403); a new one resumes from the committed offsets', async () => {
    const topic = uniqueTopic('rest');
    await broker.createTopic(topic, 1);
    await call('POST', `/topics/${topic}`, { records: ['a', 'b', 'c', 'd'].map((v) => ({ value: b64(v) })) }, { 'content-type': BINARY });
    const group = uniqueTopic('g');
    const path = await newConsumer(group, { 'auto.commit.enable': 'false' });
    await call('POST', `${path}/subscription`, { topics: [topic] });
    const firstTwo = (await readAll(path, 4)).slice(0, 2);
    await call('POST', `${path}/offsets`, { offsets: [{ topic, partition: 0, offset: firstTwo[1].offset }] });
    await new Promise((r) => setTimeout(r, 5000)); // the test proxy expires instances after 3 s
    const gone = await call('GET', `${path}/records`, undefined, { accept: BINARY });
    expect(gone.status).toBe(404);
    expect(gone.body.error_code).toBe(40403);
    const again = await newConsumer(group);
    await call('POST', `${again}/subscription`, { topics: [topic] });
    const rest = await readAll(again, 2);
    expect(rest.map((r) => Buffer.from(r.value, 'base64').toString())).toEqual(['c', 'd']);
    await call('DELETE', again);
  });

  it('manual assignment, positions and the 409s for mixing subscribe and assign', async () => {
    const topic = uniqueTopic('rest');
    await broker.createTopic(topic, 2);
    await call('POST', `/topics/${topic}/partitions/1`, { records: ['a', 'b', 'c'].map((v) => ({ value: b64(v) })) }, { 'content-type': BINARY });
    const path = await newConsumer(uniqueTopic('g'));
    expect((await call('POST', `${path}/assignments`, { partitions: [{ topic, partition: 1 }] })).status).toBe(204);
    expect((await call('GET', `${path}/assignments`)).body).toEqual({ partitions: [{ topic, partition: 1 }] });
    expect((await call('POST', `${path}/subscription`, { topics: [topic] })).body.error_code).toBe(40903);
    expect((await call('POST', `${path}/positions`, { offsets: [{ topic, partition: 1, offset: 2 }] })).status).toBe(204);
    const fromTwo = await readAll(path, 1);
    expect(fromTwo[0]).toMatchObject({ partition: 1, offset: 2 });
    expect((await call('POST', `${path}/positions/beginning`, { partitions: [{ topic, partition: 1 }] })).status).toBe(204);
    expect((await readAll(path, 1))[0].offset).toBe(0);
    expect((await call('POST', `${path}/positions`, { offsets: [{ topic, partition: 0, offset: 0 }] })).body.error_code).toBe(40903);
    await call('DELETE', path);
  });

  it('metadata: topics, partitions, offsets and brokers', async () => {
    const topic = uniqueTopic('rest');
    await broker.createTopic(topic, 3);
    await call('POST', `/topics/${topic}/partitions/2`, { records: [{ value: b64('x') }, { value: b64('y') }] }, { 'content-type': BINARY });
    expect((await call('GET', '/topics')).body).toContain(topic);
    const described = await call('GET', `/topics/${topic}`);
    expect(described.body.name).toBe(topic);
    expect(described.body.partitions.map((p: { partition: number }) => p.partition)).toEqual([0, 1, 2]);
    for (const p of described.body.partitions) {
      const leaders = p.replicas.filter((r: { leader: boolean }) => r.leader);
      expect(leaders.map((r: { broker: number }) => r.broker)).toEqual(p.replicas.some((r: { broker: number }) => r.broker === p.leader) ? [p.leader] : []);
    }
    expect((await call('GET', `/topics/${topic}/partitions/2/offsets`)).body).toEqual({ beginning_offset: 0, end_offset: 2 });
    expect((await call('GET', `/topics/${topic}/partitions/9`)).body.error_code).toBe(40402);
    expect((await call('GET', '/topics/no-such-topic-here')).body.error_code).toBe(40401);
    expect((await call('GET', '/brokers')).body.brokers.length).toBeGreaterThan(0);
  });

  it('v3: records produce and the cluster listing', async () => {
    const topic = uniqueTopic('rest');
    await broker.createTopic(topic, 2);
    const clusters = await call('GET', '/v3/clusters');
    expect(clusters.status).toBe(200);
    const id = clusters.body.data[0].cluster_id;
    const produced = await call('POST', `/v3/clusters/${id}/topics/${topic}/records`, { partition_id: 1, headers: [{ name: 'h', value: b64('v') }], key: { type: 'STRING', data: 'k' }, value: { type: 'JSON', data: { n: 1 } } }, { 'content-type': 'application/json' });
    expect(produced.status).toBe(200);
    expect(produced.body).toMatchObject({ error_code: 200, cluster_id: id, topic_name: topic, partition_id: 1, offset: 0, key: { type: 'STRING', size: 1 }, value: { type: 'JSON', size: 7 } });
    expect((await call('POST', `/v3/clusters/nope/topics/${topic}/records`, { value: { type: 'STRING', data: 'x' } })).status).toBe(404);
  });

  it('a record a json instance cannot read: the records before it come, then a 42203 naming its offset until the client seeks past it; nothing past it is committed', async () => {
    const topic = uniqueTopic('rest');
    await broker.createTopic(topic, 1);
    const produced = await call('POST', `/topics/${topic}`, { records: ['{"n":1}', 'not json', '{"n":3}'].map((v) => ({ value: b64(v) })) }, { 'content-type': BINARY });
    expect(produced.body.offsets.map((o: { offset: number }) => o.offset)).toEqual([0, 1, 2]);
    const path = await newConsumer(uniqueTopic('g'), { format: 'json' });
    expect((await call('POST', `${path}/subscription`, { topics: [topic] })).status).toBe(204);
    /** Commits everything returned so far (what auto-commit commits), then reads the committed offset back. */
    const commitReturned = async () => {
      expect((await call('POST', `${path}/offsets`)).status).toBe(200);
      return (await call('GET', `${path}/offsets`, { partitions: [{ topic, partition: 0 }] })).body.offsets;
    };
    expect(await nextRecords(path, JSON_V2)).toEqual({ status: 200, body: [{ topic, key: null, value: { n: 1 }, partition: 0, offset: 0 }] });
    for (let ask = 0; ask < 2; ask++) {
      // Asked again, the same answer: the record is neither skipped nor committed.
      const refused = await nextRecords(path, JSON_V2);
      expect(refused.status).toBe(422);
      expect(refused.body.error_code).toBe(42203);
      expect(refused.body.message).toContain(`record at offset 1 of partition 0 of topic '${topic}' is not valid JSON`);
      expect(await commitReturned()).toEqual([{ topic, partition: 0, offset: 1, metadata: '' }]);
    }
    // The client skips it on purpose.
    expect((await call('POST', `${path}/positions`, { offsets: [{ topic, partition: 0, offset: 2 }] })).status).toBe(204);
    expect(await nextRecords(path, JSON_V2)).toEqual({ status: 200, body: [{ topic, key: null, value: { n: 3 }, partition: 0, offset: 2 }] });
    expect(await commitReturned()).toEqual([{ topic, partition: 0, offset: 3, metadata: '' }]);
    expect((await call('DELETE', path)).status).toBe(204);
  });

  it('v3 topic creation does what was asked or refuses it with 400 40002 naming the problem, creating nothing in its place; validate_only only validates', async () => {
    const id = (await call('GET', '/v3/clusters')).body.data[0].cluster_id;
    const create = (body: object) => call('POST', `/v3/clusters/${id}/topics`, body, { 'content-type': 'application/json' });
    const refusals: Array<[object, RegExp]> = [
      [{ partitions_count: 200_000 }, /num_partitions out of expected range 1\.\.100000/],
      [{ partitions_count: 20_000 }, /Excessively large number of partitions per request/],
      [{ partitions_count: 0 }, /Number of partitions was set to an invalid non-positive value/],
      [{ partitions_count: 1, replication_factor: 20_000 }, /replication_factor out of expected range -1\.\.10000/],
      [{ partitions_count: 1, replication_factor: 4 }, /The target replication factor of 4 cannot be reached/],
      [{ partitions_count: 1, replication_factor: 4, validate_only: true }, /The target replication factor of 4 cannot be reached/],
    ];
    for (const [request, problem] of refusals) {
      const name = uniqueTopic('v3');
      const refused = await create({ topic_name: name, ...request });
      expect(refused.status, JSON.stringify(request)).toBe(400);
      expect(refused.body.error_code).toBe(40002);
      expect(refused.body.message).toMatch(problem);
      expect((await call('GET', `/topics/${name}`)).body.error_code).toBe(40401);
    }
    const name = uniqueTopic('v3');
    const validated = await create({ topic_name: name, partitions_count: 3, replication_factor: 1, validate_only: true });
    expect(validated.status).toBe(200);
    expect(validated.body).toMatchObject({ kind: 'KafkaTopic', topic_name: name, partitions_count: 3, replication_factor: 1 });
    expect((await call('GET', `/topics/${name}`)).body.error_code).toBe(40401);
    const created = await create({ topic_name: name, partitions_count: 3, replication_factor: 1 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ topic_name: name, partitions_count: 3, replication_factor: 1 });
    expect((await call('GET', `/topics/${name}/partitions`)).body.map((p: { partition: number }) => p.partition)).toEqual([0, 1, 2]);
    const again = await create({ topic_name: name, partitions_count: 3 });
    expect(again.status).toBe(400);
    expect(again.body.error_code).toBe(40002);
    expect(again.body.message).toMatch(/already exists/);
  });

  it('a partition that does not exist is 404 40402 (for one record of several in v2: that record\'s entry has error_code 40402, the others are produced)', async () => {
    const topic = uniqueTopic('rest');
    await broker.createTopic(topic, 2);
    const missing = { status: 404, body: { error_code: 40402, message: `Partition 7 of topic ${topic} not found` } };
    expect(await call('POST', `/topics/${topic}/partitions/7`, { records: [{ value: b64('a') }] }, { 'content-type': BINARY })).toEqual(missing);
    expect(await call('POST', `/topics/${topic}`, { records: [{ value: b64('a'), partition: 7 }] }, { 'content-type': BINARY })).toEqual(missing);
    const mixed = await call('POST', `/topics/${topic}`, { records: [{ value: b64('a'), partition: 1 }, { value: b64('b'), partition: 7 }] }, { 'content-type': BINARY });
    expect(mixed.status).toBe(200);
    expect(mixed.body.offsets).toEqual([
      { partition: 1, offset: 0, error_code: null, error: null },
      { partition: null, offset: null, error_code: 40402, error: `Partition 7 of topic ${topic} not found` },
    ]);
    const id = (await call('GET', '/v3/clusters')).body.data[0].cluster_id;
    expect(await call('POST', `/v3/clusters/${id}/topics/${topic}/records`, { partition_id: 7, value: { type: 'STRING', data: 'x' } })).toEqual(missing);
    expect((await call('GET', `/topics/${topic}/partitions/1/offsets`)).body).toEqual({ beginning_offset: 0, end_offset: 1 });
  });

  it('v3 record timestamps: an RFC 3339 date-time is stored as that instant; anything else is 400 naming the field', async () => {
    const topic = uniqueTopic('rest');
    await broker.createTopic(topic, 1);
    const id = (await call('GET', '/v3/clusters')).body.data[0].cluster_id;
    const produce = (timestamp: unknown) => call('POST', `/v3/clusters/${id}/topics/${topic}/records`, { timestamp, value: { type: 'STRING', data: 'x' } });
    for (const timestamp of ['12', '2024-02-30T00:00:00Z', '2024-05-01', '2024-05-01T25:00:00Z', 'May 1, 2024', 1714564800000, '1969-12-31T23:59:59Z']) {
      const refused = await produce(timestamp);
      expect(refused.status, String(timestamp)).toBe(400);
      expect(refused.body.message).toMatch(/^timestamp must be an RFC 3339 date-time/);
    }
    // A minute ago, written at +02:00 (an older instant than the topic's retention would be deleted by the broker's next retention check).
    const instant = Date.now() - 60_000;
    const produced = await produce(new Date(instant + 2 * 3600_000).toISOString().replace('Z', '+02:00'));
    expect(produced.status).toBe(200);
    expect(produced.body).toMatchObject({ offset: 0, timestamp: new Date(instant).toISOString() });
    const consumer = new Consumer(consumerConfig(broker.bootstrapServers, uniqueTopic('g')));
    try {
      consumer.assign([{ topic, partition: 0, offset: 0 }]);
      const [record] = await consumeCount(consumer, 1);
      expect(record.timestamp).toBe(instant);
    } finally {
      await consumer.close();
    }
  });

  it('a legal 249-character topic name works through produce, metadata and consume, also percent-encoded; 250 characters is 400 naming the limit', async () => {
    const topic = uniqueTopic('long').padEnd(249, 'x');
    await broker.createTopic(topic, 1);
    const produced = await call('POST', `/topics/${topic}`, { records: [{ value: b64('long') }] }, { 'content-type': BINARY });
    expect(produced.body.offsets).toEqual([{ partition: 0, offset: 0, error_code: null, error: null }]);
    expect((await call('GET', `/topics/${topic}`)).body.name).toBe(topic);
    const everyCharEncoded = [...topic].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
    expect((await call('GET', `/topics/${everyCharEncoded}/partitions/0/offsets`)).body).toEqual({ beginning_offset: 0, end_offset: 1 });
    const id = (await call('GET', '/v3/clusters')).body.data[0].cluster_id;
    expect((await call('POST', `/v3/clusters/${id}/topics/${topic}/records`, { value: { type: 'STRING', data: 'v3' } })).body).toMatchObject({ topic_name: topic, offset: 1 });
    const path = await newConsumer(uniqueTopic('g'));
    expect((await call('POST', `${path}/subscription`, { topics: [topic] })).status).toBe(204);
    expect((await readAll(path, 2)).map((r) => [r.topic, Buffer.from(r.value, 'base64').toString()])).toEqual([
      [topic, 'long'],
      [topic, 'v3'],
    ]);
    await call('DELETE', path);
    const tooLong = await call('GET', `/topics/${topic}y`);
    expect(tooLong).toMatchObject({ status: 400, body: { error_code: 40002 } });
    expect(tooLong.body.message).toMatch(/a topic name has at most 249 characters, this one has 250/);
  });

  describe('bad input gets the documented 4xx and the server keeps serving', () => {
    it('malformed JSON is 400', async () => {
      const r = await call('POST', '/topics/t', '{"records": [', { 'content-type': BINARY });
      expect(r).toMatchObject({ status: 400, body: { error_code: 400 } });
    });
    it('an empty records array is 422', async () => {
      expect(await call('POST', '/topics/t', { records: [] }, { 'content-type': BINARY })).toMatchObject({ status: 422, body: { error_code: 422 } });
    });
    it('bad base64 is 422 naming the field', async () => {
      const r = await call('POST', '/topics/t', { records: [{ value: 'not base64!' }] }, { 'content-type': BINARY });
      expect(r.status).toBe(422);
      expect(r.body.message).toMatch(/records\[0\]\.value/);
    });
    it('a wrong content type is 415; a schema format without its schema is 42202 naming value_schema', async () => {
      expect((await call('POST', '/topics/t', { records: [{ value: 'x' }] }, { 'content-type': 'text/plain' })).status).toBe(415);
      const avro = await call('POST', '/topics/t', { records: [{ value: 'x' }] }, { 'content-type': 'application/vnd.kafka.avro.v2+json' });
      expect(avro).toMatchObject({ status: 422, body: { error_code: 42202, message: expect.stringContaining('value_schema') } });
    });
    it('an oversized body is 413', async () => {
      const big = JSON.stringify({ records: [{ value: b64(Buffer.alloc(2 * 1024 * 1024)) }] });
      expect((await call('POST', '/topics/t', big, { 'content-type': BINARY })).status).toBe(413);
    });
    it('a client cannot set other consumer properties (42204), nor an out-of-range fetch.min.bytes (40001)', async () => {
      expect((await call('POST', '/consumers/g', { 'plugin.library.paths': '/tmp/evil.so' })).body.error_code).toBe(42204);
      expect((await call('POST', '/consumers/g', { 'fetch.min.bytes': -5 })).body.error_code).toBe(40001);
      const name = uniqueTopic('taken');
      expect((await call('POST', '/consumers/g', { name })).status).toBe(200);
      expect((await call('POST', '/consumers/g', { name })).body.error_code).toBe(40902);
      expect((await call('DELETE', `/consumers/g/instances/${name}`)).status).toBe(204);
      expect((await call('DELETE', `/consumers/g/instances/${name}`)).body.error_code).toBe(40403);
    });
    it('a topic name Kafka would refuse is 400 40002 naming the rule, on every route that takes one', async () => {
      const id = (await call('GET', '/v3/clusters')).body.data[0].cluster_id;
      const path = await newConsumer(uniqueTopic('g'));
      const names: Array<[string, string, RegExp]> = [
        ['a b', 'a%20b', /may contain only ASCII letters, digits, '\.', '_' and '-', not ' ' \(at position 1\)/],
        ['café', 'caf%C3%A9', /not U\+00E9 \(at position 3\)/],
        ['a\0b', 'a%00b', /not U\+0000 \(at position 1\)/],
        ['t'.repeat(250), 't'.repeat(250), /at most 249 characters, this one has 250/],
      ];
      for (const [name, inPath, rule] of names) {
        const requests: Array<[string, string, unknown?, { [k: string]: string }?]> = [
          ['GET', `/topics/${inPath}`],
          ['GET', `/topics/${inPath}/partitions`],
          ['GET', `/topics/${inPath}/partitions/0`],
          ['GET', `/topics/${inPath}/partitions/0/offsets`],
          ['POST', `/topics/${inPath}`, { records: [{ value: b64('x') }] }, { 'content-type': BINARY }],
          ['POST', `/topics/${inPath}/partitions/0`, { records: [{ value: b64('x') }] }, { 'content-type': BINARY }],
          ['POST', `/v3/clusters/${id}/topics/${inPath}/records`, { value: { type: 'STRING', data: 'x' } }],
          ['POST', `/v3/clusters/${id}/topics`, { topic_name: name, partitions_count: 1 }],
          ['GET', `${path}/topics/${inPath}`, undefined, { accept: 'application/vnd.kafka.binary.v1+json' }],
          ['POST', `${path}/subscription`, { topics: [name] }],
          ['POST', `${path}/assignments`, { partitions: [{ topic: name, partition: 0 }] }],
          ['POST', `${path}/positions`, { offsets: [{ topic: name, partition: 0, offset: 0 }] }],
          ['POST', `${path}/positions/beginning`, { partitions: [{ topic: name, partition: 0 }] }],
          ['POST', `${path}/offsets`, { offsets: [{ topic: name, partition: 0, offset: 0 }] }],
          ['GET', `${path}/offsets`, { partitions: [{ topic: name, partition: 0 }] }],
        ];
        for (const [method, route, body, headers] of requests) {
          const r = await call(method, route, body, headers);
          expect({ request: `${method} ${route}`, status: r.status, error_code: r.body?.error_code }).toEqual({ request: `${method} ${route}`, status: 400, error_code: 40002 });
          expect(r.body.message).toMatch(rule);
        }
      }
      expect((await call('GET', `${path}/subscription`)).body).toEqual({ topics: [] });
      await call('DELETE', path);
    });

    it('producing to an internal topic is 400 40002', async () => {
      const id = (await call('GET', '/v3/clusters')).body.data[0].cluster_id;
      for (const [route, body, headers] of [
        ['/topics/__consumer_offsets', { records: [{ value: b64('x') }] }, { 'content-type': BINARY }],
        ['/topics/__transaction_state/partitions/0', { records: [{ value: b64('x') }] }, { 'content-type': BINARY }],
        [`/v3/clusters/${id}/topics/__consumer_offsets/records`, { value: { type: 'STRING', data: 'x' } }, {}],
      ] as const) {
        const r = await call('POST', route, body, headers);
        expect(r).toMatchObject({ status: 400, body: { error_code: 40002 } });
        expect(r.body.message).toMatch(/is internal to Kafka: records cannot be produced to it/);
      }
    });

    it('an invalid topic_pattern is 422 naming the pattern; the instance keeps its subscription', async () => {
      const topic = uniqueTopic('rest');
      await broker.createTopic(topic, 1);
      const path = await newConsumer(uniqueTopic('g'));
      expect((await call('POST', `${path}/subscription`, { topics: [topic] })).status).toBe(204);
      for (const pattern of ['rest-(', '[z-a]', 'a{2,1}']) {
        const r = await call('POST', `${path}/subscription`, { topic_pattern: pattern });
        expect(r).toMatchObject({ status: 422, body: { error_code: 422 } });
        expect(r.body.message).toContain(`Invalid topic_pattern ${JSON.stringify(pattern)}`);
      }
      expect((await call('GET', `${path}/subscription`)).body).toEqual({ topics: [topic] });
      await call('DELETE', path);
    });

    it('JSON nested 5,000 deep: a 422 naming the 1,000-level limit when produced (v2 and v3); stored by a binary producer, a json instance returns it whole', async () => {
      const topic = uniqueTopic('rest');
      await broker.createTopic(topic, 1);
      const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
      const deep = nested(5000);
      const v2 = await call('POST', `/topics/${topic}`, `{"records":[{"value":${deep}}]}`, { 'content-type': JSON_V2 });
      expect(v2).toMatchObject({ status: 422, body: { error_code: 42206, message: 'Invalid records[0].value: JSON nested deeper than 1000 levels' } });
      const id = (await call('GET', '/v3/clusters')).body.data[0].cluster_id;
      const v3 = await call('POST', `/v3/clusters/${id}/topics/${topic}/records`, `{"value":{"type":"JSON","data":${deep}}}`, { 'content-type': 'application/json' });
      expect(v3).toMatchObject({ status: 422, body: { error_code: 42206, message: 'Invalid value.data: JSON nested deeper than 1000 levels' } });
      expect((await call('POST', `/topics/${topic}`, `{"records":[{"value":${nested(1000)}}]}`, { 'content-type': JSON_V2 })).body.offsets[0].offset).toBe(0);
      expect((await call('POST', `/topics/${topic}`, { records: [{ value: b64(deep) }] }, { 'content-type': BINARY })).body.offsets[0].offset).toBe(1);
      const path = await newConsumer(uniqueTopic('g'), { format: 'json' });
      await call('POST', `${path}/subscription`, { topics: [topic] });
      const depthOf = (value: unknown) => {
        let depth = 0;
        for (let v = value; Array.isArray(v); v = v[0]) depth++;
        return depth;
      };
      expect((await readAll(path, 2, JSON_V2)).map((r) => depthOf(r.value))).toEqual([1000, 5000]);
      await call('DELETE', path);
    });

    it('a record larger than message.max.bytes is 413 naming the limit (for one record of several in v2: its entry has error_code 413)', async () => {
      const topic = uniqueTopic('rest');
      await broker.createTopic(topic, 1);
      const big = 'x'.repeat(1_000_100); // as JSON text, over librdkafka's default message.max.bytes; the body stays under the proxy's 1 MiB
      const alone = await call('POST', `/topics/${topic}`, { records: [{ value: big }] }, { 'content-type': JSON_V2 });
      expect(alone).toMatchObject({ status: 413, body: { error_code: 413 } });
      expect(alone.body.message).toMatch(/The record \(1000102 bytes of key and value\) is larger than Kafka accepts: the producer's message\.max\.bytes/);
      const id = (await call('GET', '/v3/clusters')).body.data[0].cluster_id;
      const v3 = await call('POST', `/v3/clusters/${id}/topics/${topic}/records`, { value: { type: 'STRING', data: big } });
      expect(v3).toMatchObject({ status: 413, body: { error_code: 413 } });
      expect(v3.body.message).toMatch(/message\.max\.bytes/);
      const mixed = await call('POST', `/topics/${topic}`, { records: [{ value: 'small' }, { value: big.slice(100) }] }, { 'content-type': JSON_V2 });
      expect(mixed.status).toBe(200);
      expect(mixed.body.offsets[0]).toEqual({ partition: 0, offset: 0, error_code: null, error: null });
      expect(mixed.body.offsets[1]).toMatchObject({ partition: null, offset: null, error_code: 413, error: expect.stringMatching(/message\.max\.bytes/) });
    });

    it('still serves after all of that', async () => {
      expect(await call('GET', '/')).toEqual({ status: 200, body: {} });
    });
  });
});

// The proxy on its own embedded broker, as `npm start` runs it: no broker named, defaults only.
describe('the embedded broker of npm start', () => {
  const proxy = useProxy(() => ({ pixyListeners: '', bootstrapServers: '' }));
  const call = async (method: string, path: string, body?: unknown, headers: { [k: string]: string } = {}): Promise<Reply> => {
    const reply = await httpRequest(`${proxy.url}${path}`, { method, headers: body === undefined ? headers : { 'content-type': V2, ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: reply.status, body: reply.text === '' ? undefined : JSON.parse(reply.text) };
  };
  const values = (r: Reply) => r.body.map((x: { value: string }) => Buffer.from(x.value, 'base64').toString());

  // Before, the group kept the instance waiting 44 s (a default session timeout less a second) to
  // join again, past the first read's 15 s wait for its partitions: that read answered [].
  it('an instance subscribing again reads the new records on its first read, as after its first subscription', async () => {
    const topic = uniqueTopic('embedded-resub');
    const produce = async (value: string) => expect((await call('POST', `/topics/${topic}`, { records: [{ value: Buffer.from(value).toString('base64') }] }, { 'content-type': BINARY })).status).toBe(200);
    await produce('a1');
    const created = await call('POST', `/consumers/${uniqueTopic('g')}`, { format: 'binary', 'auto.offset.reset': 'earliest' });
    const path = new URL(created.body.base_uri).pathname;
    expect((await call('POST', `${path}/subscription`, { topics: [topic] })).status).toBe(204);
    expect(values(await call('GET', `${path}/records`, undefined, { accept: BINARY }))).toEqual(['a1']);
    expect((await call('DELETE', `${path}/subscription`)).status).toBe(204);
    await produce('a2');
    expect((await call('POST', `${path}/subscription`, { topics: [topic] })).status).toBe(204);
    expect(values(await call('GET', `${path}/records`, undefined, { accept: BINARY }))).toEqual(['a2']);
    await call('DELETE', path);
  }, 60_000);
});
