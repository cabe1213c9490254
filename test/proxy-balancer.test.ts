// Three proxy processes behind HAProxy in round-robin: the seeds' consumer flows replayed through
// the balancer exactly as written (every request may land on any proxy; the one that owns the
// consumer instance answers it), a forged instance id never makes a proxy call a foreign host,
// and one proxy killed mid-run: its consumers are gone (40403), the others carry on, and a new
// instance in the group takes over its partitions. On the embedded broker and the real one.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyProperties, DEFAULTS, startProxy } from '../lib/proxy';
import { startBalanced, type Balanced } from '../lib/bench/balanced';
import { testBrokers, useBroker } from './brokers';
import { uniqueTopic } from './helpers';
import { avroQuickstart, binaryQuickstart, curl, jsonQuickstart, kdbSession } from './seed-flows';

const V2 = { 'Content-Type': 'application/vnd.kafka.v2+json' };
const BINARY = { 'Content-Type': 'application/vnd.kafka.binary.v2+json' };
const ACCEPT_BINARY = { Accept: 'application/vnd.kafka.binary.v2+json' };

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  let lb: Balanced;
  /** Topics and groups of this run (the real broker is shared with seeds.test.ts). */
  const suffix = `-lb-${broker.name}-${Date.now().toString(36)}`;
  beforeAll(async () => {
    for (const topic of ['avrotest', 'jsontest', 'binarytest', 'data']) await broker.createTopic(`${topic}${suffix}`, 1);
    // A killed proxy's consumers leave the group when their session expires (Kafka's minimum, 6 s).
    lb = await startBalanced(broker.bootstrapServers, 3, ['consumer.session.timeout.ms=6000', 'consumer.heartbeat.interval.ms=500']);
  }, 120_000);
  afterAll(() => lb?.stop(), 60_000);

  it('the v1 quickstart (seed 001): JSON, binary and Avro through the balancer', async () => {
    await jsonQuickstart(lb.url, suffix);
    await binaryQuickstart(lb.url, suffix);
    await avroQuickstart(lb.url, lb.registryUrl, suffix);
  }, 120_000);

  it('the kdb+/q session (seed 000) through the balancer', () => kdbSession(lb.url, suffix), 120_000);

  it('a request that reaches a proxy without the instance is answered by its owner (Via names the forwarder), status and body as they are', async () => {
    const group = uniqueTopic('lb-group');
    const created = await curl('POST', `${lb.url}/consumers/${group}`, V2, '{"format":"binary"}');
    expect(created.status).toBe(200);
    const base: string = created.body.base_uri;
    // Round-robin: of three requests in a row, two reach proxies that do not own the instance
    // and forward them (their answer says Via), one reaches the owner.
    const vias: Array<string | null> = [];
    for (let i = 0; i < 3; i++) {
      const answer = await fetch(`${base}/subscription`, { headers: V2 });
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ topics: [] });
      vias.push(answer.headers.get('via'));
    }
    expect(vias.filter((via) => via === null)).toHaveLength(1);
    for (const via of vias.filter((v) => v !== null)) expect(lb.proxies.map((p) => `1.1 ${p.url}`)).toContain(via);
    // At once too.
    const answers = await Promise.all([0, 1, 2].map(() => curl('GET', `${base}/subscription`, V2)));
    for (const answer of answers) expect(answer).toMatchObject({ status: 200, body: { topics: [] } });
    // A 4xx of the owner comes back as it is.
    const refused = await curl('POST', `${base}/subscription`, V2, '{"topics":[]}');
    expect(refused).toMatchObject({ status: 422, body: { error_code: 422 } });
    expect((await curl('DELETE', base, V2)).status).toBe(204);
    expect(await curl('GET', `${base}/subscription`, V2)).toMatchObject({ status: 404, body: { error_code: 40403 } });
  }, 60_000);

  it('a name taken through one proxy is taken through all of them (40902)', async () => {
    const group = uniqueTopic('lb-names');
    expect((await curl('POST', `${lb.url}/consumers/${group}`, V2, '{"name":"only-one"}')).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      expect(await curl('POST', `${lb.url}/consumers/${group}`, V2, '{"name":"only-one"}')).toMatchObject({ status: 409, body: { error_code: 40902 } });
    }
    expect((await curl('DELETE', `${lb.url}/consumers/${group}/instances/only-one`, V2)).status).toBe(204);
  }, 60_000);

  describe('a forged instance id', () => {
    let foreign: Server;
    let hits = 0;
    beforeAll(async () => {
      foreign = createServer((_req, res) => {
        hits++;
        res.end('{}');
      });
      await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => foreign.close(() => resolve())));

    it('naming a host that is not a peer is a 404 (40403), and that host gets no request', async () => {
      const url = `http://127.0.0.1:${(foreign.address() as { port: number }).port}`;
      const forged = `rest-consumer-00000000-0000-0000-0000-000000000000.${Buffer.from(url).toString('base64url')}`;
      for (let i = 0; i < 3; i++) {
        expect(await curl('GET', `${lb.url}/consumers/g/instances/${forged}/records`, ACCEPT_BINARY)).toMatchObject({ status: 404, body: { error_code: 40403 } });
        expect(await curl('POST', `${lb.url}/consumers/g/instances/${forged}/subscription`, V2, '{"topics":["t"]}')).toMatchObject({ status: 404, body: { error_code: 40403 } });
      }
      expect(hits).toBe(0);
    });
  });

  it('one proxy killed: its consumers are 40403, the others carry on, a new instance in the group takes its partitions', async () => {
    const topic = uniqueTopic('lb-kill');
    await broker.createTopic(topic, 2);
    const group = uniqueTopic('lb-kill-group');
    const otherGroup = uniqueTopic('lb-other-group');
    const create = async (inGroup: string) => {
      const created = await curl('POST', `${lb.url}/consumers/${inGroup}`, V2, '{"format":"binary","auto.offset.reset":"earliest"}');
      expect(created.status).toBe(200);
      const base: string = created.body.base_uri;
      expect((await curl('POST', `${base}/subscription`, V2, JSON.stringify({ topics: [topic] }))).status).toBe(204);
      return base;
    };
    // One after the other: round-robin puts them on two proxies. The other group reads the same topic.
    const [doomed, other] = [await create(group), await create(otherGroup)];
    // An id the proxy made names its owner (docs/proxy.md): base64url of the owner's URL after the last '.'.
    const ownerOf = (base: string) => Buffer.from(base.slice(base.lastIndexOf('.') + 1), 'base64url').toString();
    expect(ownerOf(doomed)).not.toBe(ownerOf(other));

    /** Produces `count` records to every partition, values `${tag}-${partition}-${i}`. */
    const produce = async (tag: string, count: number) => {
      const values: string[] = [];
      for (let partition = 0; partition < 2; partition++) {
        const records = Array.from({ length: count }, (_, i) => `${tag}-${partition}-${i}`);
        values.push(...records);
        const body = JSON.stringify({ records: records.map((v) => ({ value: Buffer.from(v).toString('base64'), partition })) });
        expect((await curl('POST', `${lb.url}/topics/${topic}`, BINARY, body)).status).toBe(200);
      }
      return values;
    };
    /** What a REST consumer does: read in a loop until all of `expected` came and `also` holds, or 120 s. */
    const readAll = async (reader: string, expected: string[], also: () => Promise<boolean> = async () => true) => {
      const seen = new Set<string>();
      let alsoHolds = false;
      const deadline = Date.now() + 120_000;
      while (!(alsoHolds && expected.every((v) => seen.has(v))) && Date.now() < deadline) {
        const answer = await curl('GET', `${reader}/records?timeout=500`, ACCEPT_BINARY);
        expect(answer.status).toBe(200);
        for (const r of answer.body as Array<{ value: string }>) seen.add(Buffer.from(r.value, 'base64').toString());
        alsoHolds = await also();
      }
      expect(expected.filter((v) => !seen.has(v))).toEqual([]);
      expect(alsoHolds).toBe(true);
    };

    const before = await produce('before', 5);
    await Promise.all([readAll(doomed, before), readAll(other, before)]);

    // The doomed instance's proxy dies without a word (SIGKILL): its consumer stays in the group until its session expires.
    const victim = lb.proxies.find((p) => p.url === ownerOf(doomed))!;
    victim.child.kill('SIGKILL');
    await victim.exited;
    const after = await produce('after', 5);

    for (const route of ['records', 'offsets', 'assignments', 'subscription']) {
      expect(await curl('GET', `${doomed}/${route}`, { ...V2, ...ACCEPT_BINARY })).toMatchObject({ status: 404, body: { error_code: 40403 } });
    }
    expect(await curl('POST', `${doomed}/subscription`, V2, JSON.stringify({ topics: [topic] }))).toMatchObject({ status: 404, body: { error_code: 40403 } });
    expect(await curl('DELETE', doomed, V2)).toMatchObject({ status: 404, body: { error_code: 40403 } });

    // The other proxies' consumers carry on; a new instance in the doomed one's group gets its
    // partitions once the group has rebalanced without it (its session expired), and reads what
    // it had not committed and what came since.
    const newcomer = await create(group);
    expect(ownerOf(newcomer)).not.toBe(victim.url);
    const assigned = async () => (await curl('GET', `${newcomer}/assignments`, V2)).body.partitions.length === 2;
    await Promise.all([readAll(other, after), readAll(newcomer, after, assigned)]);
    expect((await curl('GET', `${newcomer}/assignments`, V2)).body).toEqual({ partitions: [0, 1].map((partition) => ({ topic, partition })) });
    for (const base of [other, newcomer]) expect((await curl('DELETE', base, V2)).status).toBe(204);
  }, 300_000);

  it('an owner that took a request and does not answer (its process frozen): the forwarder answers 40403 after peer.request.timeout.ms, and forwards again once it is back', async () => {
    const owner = lb.proxies.find((p) => p.child.exitCode === null && p.child.signalCode === null)!;
    const group = uniqueTopic('lb-frozen');
    const created = await curl('POST', `${owner.url}/consumers/${group}`, V2, '{"format":"binary"}');
    expect(created.status).toBe(200);
    const path = new URL(created.body.base_uri as string).pathname;
    // A proxy of its own that forwards to the owner, with a short timeout.
    const forwarder = await startProxy({
      ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '', schemaRegistryListeners: '', bootstrapServers: broker.bootstrapServers,
      peers: ['http://forwarder.invalid:1', owner.url], peerUrl: 'http://forwarder.invalid:1', peerRequestTimeoutMs: 3000,
    });
    try {
      expect(await curl('GET', `${forwarder.url}${path}/subscription`, V2)).toMatchObject({ status: 200, body: { topics: [] } });
      owner.child.kill('SIGSTOP'); // its socket still accepts connections; nothing answers
      let answer: Awaited<ReturnType<typeof curl>>;
      const started = performance.now();
      try {
        answer = await curl('GET', `${forwarder.url}${path}/subscription`, V2);
      } finally {
        owner.child.kill('SIGCONT');
      }
      expect(performance.now() - started).toBeGreaterThanOrEqual(2900);
      expect(answer).toMatchObject({ status: 404, body: { error_code: 40403 } });
      expect(answer.body.message).toContain(`the proxy that had it (${owner.url}) does not answer (no answer within peer.request.timeout.ms (3000 ms))`);
      expect(await curl('GET', `${forwarder.url}${path}/subscription`, V2)).toMatchObject({ status: 200, body: { topics: [] } });
      expect((await curl('DELETE', `${forwarder.url}${path}`, V2)).status).toBe(204);
    } finally {
      await forwarder.close();
    }
  }, 60_000);

  it('peers must name this proxy, and only http(s) URLs', async () => {
    await expect(startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '', schemaRegistryListeners: '', bootstrapServers: broker.bootstrapServers, peers: ['http://127.0.0.1:1'], peerUrl: 'http://127.0.0.1:2' })).rejects.toThrow(
      /this proxy's own URL http:\/\/127\.0\.0\.1:2 \(peer\.url, else its listener\) is not in peers \(http:\/\/127\.0\.0\.1:1\)/,
    );
    expect(() => applyProperties(DEFAULTS, new Map([['peers', 'ftp://10.0.0.1']]))).toThrow(/peers: "ftp:\/\/10\.0\.0\.1" must be an http:\/\/ or https:\/\/ URL/);
  });
});
