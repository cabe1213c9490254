// The REST proxy's v3 admin API over real HTTP, on the embedded and a real broker: clusters,
// brokers, configs, topics, partitions, offsets, replicas and reassignments, with what each
// changes read back through the proxy and through our Admin. The embedded broker (librdkafka
// 2.0.2's mock cluster) cannot describe or alter configs, add partitions or delete topics: there
// those routes answer 501 naming it, and what they do is tested on the real broker.
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Producer, librdkafkaVersion, type ClusterMetadata } from '../lib';
import { DEFAULTS, startProxy, adminClusterView } from '../lib/proxy';
import { AdminClusterView } from '../lib/proxy/cluster-view';
import { testBrokers, useBroker } from './brokers';
import { httpRequest, type HttpReply } from './http';
import { uniqueTopic, useProxy } from './helpers';

/**
 * Confluent's OpenAPI document (test/fixtures), its schemas compiled with Ajv: every answer is
 * checked against the schema the document gives it (required fields, their types).
 */
const openapi = parseYaml(fs.readFileSync(path.join(__dirname, 'fixtures/kafka-rest-v3-openapi.yaml'), 'utf8')) as object;
// OpenAPI's `nullable` needs a `type` beside it in Ajv; the document's AnyValue (any JSON, null too) has none.
const walk = (node: unknown): void => {
  if (typeof node !== 'object' || node === null) return;
  const schema = node as { [key: string]: unknown };
  if (schema.nullable === true && schema.type === undefined) delete schema.nullable;
  Object.values(schema).forEach(walk);
};
walk(openapi);
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true, logger: false });
ajv.addSchema({ ...openapi, $id: 'kafka-rest-v3' });

/** The body is valid for the document's schema `name` (e.g. TopicData), or the errors say where not. */
function expectSchema(body: unknown, name: string): void {
  const validate = ajv.getSchema(`kafka-rest-v3#/components/schemas/${name}`);
  if (validate === undefined) throw new Error(`No schema ${name} in the OpenAPI document`);
  expect(validate(body) ? [] : validate.errors, name).toEqual([]);
}

describe('the OpenAPI document (test/fixtures/kafka-rest-v3-openapi.yaml)', () => {
  it('refuses a body without what its schema requires, so that the checks below can fail', () => {
    const validate = ajv.getSchema('kafka-rest-v3#/components/schemas/TopicData')!;
    expect(validate({ kind: 'KafkaTopic', metadata: { self: 'x' }, cluster_id: 'c', topic_name: 't' })).toBe(false);
    expect(validate.errors?.map((e) => e.params)).toContainEqual({ missingProperty: 'partitions_count' });
  });
});

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  const real = broker.name === 'kafka';
  const proxy = useProxy(
    () => ({ pixyListeners: '', bootstrapServers: broker.bootstrapServers }),
    (bootstrapServers, config) => adminClusterView(bootstrapServers, config, broker.mock),
  );
  let admin: Admin;
  let clusterId: string;
  /** `${proxy.url}/v3/clusters/${clusterId}` */
  let base: string;

  beforeAll(async () => {
    admin = new Admin({ 'bootstrap.servers': broker.bootstrapServers });
    clusterId = (await admin.metadata({ topics: [] })).clusterId;
    base = `${proxy.url}/v3/clusters/${clusterId}`;
  });
  afterAll(() => admin?.close());

  /** One request as a user's HTTP client sends it: JSON in, JSON out (a string body is sent as it is). */
  function call(method: string, url: string, body?: unknown): Promise<HttpReply> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return httpRequest(url.startsWith('http') ? url : `${base}${url}`, { method, body: payload, headers: payload === undefined ? {} : { 'content-type': 'application/json' } });
  }

  /** Creates a topic through the proxy, as a user of the v3 API does. */
  async function createTopic(partitions: number, replicationFactor = real ? 1 : 3): Promise<string> {
    const name = uniqueTopic('v3admin');
    const created = await call('POST', '/topics', { topic_name: name, partitions_count: partitions, replication_factor: replicationFactor });
    expect(created.status).toBe(201);
    return name;
  }

  /** The answer is a v3 error: its status, Confluent's error code, and the message naming the problem. */
  function expectError(reply: HttpReply, status: number, errorCode: number, message: RegExp): void {
    expect({ status: reply.status, error_code: reply.body?.error_code }).toEqual({ status, error_code: errorCode });
    expect(reply.body.message).toMatch(message);
    expectSchema(reply.body, 'Error');
  }

  /** Every field Confluent's AbstractConfigData marks required, with its type. */
  function expectConfigShape(config: { [key: string]: unknown }): void {
    expect(config).toMatchObject({
      cluster_id: clusterId,
      name: expect.any(String),
      is_default: expect.any(Boolean),
      is_read_only: expect.any(Boolean),
      is_sensitive: expect.any(Boolean),
      source: expect.stringMatching(/^(DYNAMIC_TOPIC_CONFIG|DYNAMIC_BROKER_CONFIG|DYNAMIC_DEFAULT_BROKER_CONFIG|STATIC_BROKER_CONFIG|DEFAULT_CONFIG|UNKNOWN)$/),
      synonyms: expect.any(Array),
    });
    expect(config.value === null || typeof config.value === 'string').toBe(true);
  }

  describe('clusters', () => {
    it('lists the one cluster, with links that lead to its brokers and topics', async () => {
      const list = await call('GET', `${proxy.url}/v3/clusters`);
      expect(list.status).toBe(200);
      expect(list.body).toMatchObject({ kind: 'KafkaClusterList', metadata: { self: `${proxy.url}/v3/clusters`, next: null } });
      expectSchema(list.body, 'ClusterDataList');
      expect(list.body.data).toHaveLength(1);
      const cluster = list.body.data[0];
      expect(cluster).toEqual({
        kind: 'KafkaCluster',
        metadata: { self: base, resource_name: `crn:///kafka=${clusterId}` },
        cluster_id: clusterId,
        controller: { related: `${base}/brokers/${(await admin.metadata({ topics: [] })).controllerId}` },
        acls: { related: `${base}/acls` },
        brokers: { related: `${base}/brokers` },
        broker_configs: { related: `${base}/broker-configs` },
        consumer_groups: { related: `${base}/consumer-groups` },
        topics: { related: `${base}/topics` },
        partition_reassignments: { related: `${base}/topics/-/partitions/-/reassignment` },
      });
      expect((await call('GET', cluster.metadata.self)).body).toEqual(cluster);
      expectSchema(cluster, 'ClusterData');
      expect((await call('GET', cluster.brokers.related)).body.kind).toBe('KafkaBrokerList');
      expect((await call('GET', cluster.topics.related)).body.kind).toBe('KafkaTopicList');
    });

    it('an unknown cluster id is 404 as application/json, on every route', async () => {
      for (const path of ['', '/brokers', '/topics', '/broker-configs', '/topics/-/configs', '/brokers/1/configs']) {
        const reply = await httpRequest(`${proxy.url}/v3/clusters/no-such-cluster${path}`);
        expect(reply.status, path).toBe(404);
        expect(reply.body, path).toEqual({ error_code: 404, message: 'Cluster no-such-cluster not found' });
      }
    });

    it('v3 errors are served as application/json', async () => {
      const { request } = await import('node:http');
      const type = await new Promise<string | undefined>((resolve, reject) => {
        request(`${proxy.url}/v3/clusters/nope`, (res) => {
          res.resume();
          resolve(res.headers['content-type']);
        })
          .on('error', reject)
          .end();
      });
      expect(type).toMatch(/^application\/json/);
    });
  });

  describe('brokers', () => {
    it('lists the brokers the metadata has, each with its host and port, and gets one', async () => {
      const md = await admin.metadata({ topics: [] });
      const list = await call('GET', '/brokers');
      expect(list.status).toBe(200);
      expect(list.body.metadata.self).toBe(`${base}/brokers`);
      expect(list.body.data.map((b: { broker_id: number; host: string; port: number }) => [b.broker_id, b.host, b.port])).toEqual(
        md.brokers.map((b) => [b.id, b.host, b.port]).sort((a, b) => (a[0] as number) - (b[0] as number)),
      );
      expectSchema(list.body, 'BrokerDataList');
      const first = list.body.data[0];
      expect(first).toEqual({
        kind: 'KafkaBroker',
        metadata: { self: `${base}/brokers/${first.broker_id}`, resource_name: `crn:///kafka=${clusterId}/broker=${first.broker_id}` },
        cluster_id: clusterId,
        broker_id: first.broker_id,
        host: first.host,
        port: first.port,
        rack: null,
        configs: { related: `${base}/brokers/${first.broker_id}/configs` },
        partition_replicas: { related: `${base}/brokers/${first.broker_id}/partition-replicas` },
      });
      expect((await call('GET', first.metadata.self)).body).toEqual(first);
      expectSchema(first, 'BrokerData');
    });

    it('an unknown broker is 404; a broker id that is not a number is 400 naming it', async () => {
      expectError(await call('GET', '/brokers/4242'), 404, 404, /Broker 4242 not found/);
      expectError(await call('GET', '/brokers/4242/configs'), 404, 404, /Broker 4242 not found/);
      expectError(await call('GET', '/brokers/4242/partition-replicas'), 404, 404, /Broker 4242 not found/);
      for (const id of ['one', '-1', '1.5', '99999999999', '1e3']) {
        expectError(await call('GET', `/brokers/${id}`), 400, 400, /broker_id must be a non-negative integer/);
      }
    });

    it("a broker's partition replicas are the partitions it holds, as the metadata says", async () => {
      const topic = await createTopic(3);
      const md = await admin.metadata({ topics: [topic] });
      const id = md.brokers[0].id;
      const reply = await call('GET', `/brokers/${id}/partition-replicas`);
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ kind: 'KafkaReplicaList', metadata: { self: `${base}/brokers/${id}/partition-replicas` } });
      expectSchema(reply.body, 'ReplicaDataList');
      const mine = reply.body.data.filter((r: { topic_name: string }) => r.topic_name === topic);
      const expected = md.topics[0].partitions.filter((p) => p.replicas.includes(id));
      expect(mine.map((r: { partition_id: number; is_leader: boolean; broker_id: number }) => [r.partition_id, r.is_leader, r.broker_id])).toEqual(
        expected.map((p) => [p.partition, p.leader === id, id]),
      );
      expect(mine.length).toBeGreaterThan(0);
    });
  });

  describe('topics', () => {
    it('a created topic is listed and got with its partition count, replication factor and links', async () => {
      const topic = await createTopic(2);
      const got = await call('GET', `/topics/${topic}`);
      expect(got.status).toBe(200);
      expectSchema(got.body, 'TopicData');
      expect(got.body).toEqual({
        kind: 'KafkaTopic',
        metadata: { self: `${base}/topics/${topic}`, resource_name: `crn:///kafka=${clusterId}/topic=${topic}` },
        cluster_id: clusterId,
        topic_name: topic,
        is_internal: false,
        replication_factor: real ? 1 : 3,
        partitions_count: 2,
        partitions: { related: `${base}/topics/${topic}/partitions` },
        configs: { related: `${base}/topics/${topic}/configs` },
        partition_reassignments: { related: `${base}/topics/${topic}/partitions/-/reassignment` },
      });
      expect((await call('GET', `/topics/${topic}?include_authorized_operations=false`)).body).toEqual(got.body);
      expectError(await call('GET', `/topics/${topic}?include_authorized_operations=true`), 501, 501, /authorized operations.*librdkafka 2\.3\.0/);
      expectError(await call('GET', `/topics/${topic}?include_authorized_operations=yes`), 400, 400, /include_authorized_operations must be true or false/);
      const list = await call('GET', '/topics');
      expect(list.body).toMatchObject({ kind: 'KafkaTopicList', metadata: { self: `${base}/topics` } });
      expectSchema(list.body, 'TopicDataList');
      expect(list.body.data.find((t: { topic_name: string }) => t.topic_name === topic)).toEqual(got.body);
      // Kafka's own topics are listed too, flagged (once a group exists on the real broker, __consumer_offsets does).
      for (const t of list.body.data) expect(t.is_internal).toBe(t.topic_name.startsWith('__'));
    });

    it('an unknown topic is 404 40403; a name Kafka would refuse is 400 40002 naming the rule', async () => {
      expectError(await call('GET', '/topics/no-such-topic-v3'), 404, 40403, /Topic 'no-such-topic-v3' not found/);
      for (const path of ['/partitions', '/partitions/0', '/configs', '/configs/retention.ms', '/partitions/0/replicas', '/partitions/-/reassignment']) {
        expectError(await call('GET', `/topics/no-such-topic-v3${path}`), 404, 40403, /no-such-topic-v3/);
      }
      expectError(await call('DELETE', '/topics/no-such-topic-v3'), 404, 40403, /not found/);
      expectError(await call('PATCH', '/topics/no-such-topic-v3', { partitions_count: 2 }), 404, 40403, /not found/);
      expectError(await call('GET', `/topics/${'x'.repeat(300)}`), 400, 40002, /at most 249 characters/);
      expectError(await call('GET', '/topics/bad%20name'), 400, 40002, /may contain only/);
    });

    it('creating a topic that exists is 400 40002, creating nothing', async () => {
      const topic = await createTopic(1);
      expectError(await call('POST', '/topics', { topic_name: topic, partitions_count: 1 }), 400, 40002, /already exists/);
    });

    it.runIf(real)('replicas_assignments places each partition on the brokers it names, seen in the metadata', async () => {
      const id = (await admin.metadata({ topics: [] })).brokers[0].id;
      const name = uniqueTopic('v3admin-placed');
      const created = await call('POST', '/topics', { topic_name: name, replicas_assignments: [{ partition_id: 1, broker_ids: [id] }, { partition_id: 0, broker_ids: [id] }] });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ topic_name: name, partitions_count: 2, replication_factor: 1 });
      expectSchema(created.body, 'TopicData');
      const topic = (await admin.metadata({ topics: [name] })).topics.find((t) => t.name === name)!;
      expect(topic.partitions.map((p) => [p.partition, p.replicas])).toEqual([
        [0, [id]],
        [1, [id]],
      ]);
    });

    it('a replicas_assignments that skips a partition, names one twice, or disagrees with the counts given is 400 naming it, creating nothing', async () => {
      const name = uniqueTopic('v3admin-misplaced');
      const create = (body: object) => call('POST', '/topics', { topic_name: name, ...body });
      expectError(await create({ replicas_assignments: [{ partition_id: 1, broker_ids: [1] }] }), 400, 400, /replicas_assignments\[0\]\.partition_id must be one of 0 to 0/);
      expectError(await create({ replicas_assignments: [{ partition_id: 0, broker_ids: [1] }, { partition_id: 0, broker_ids: [1] }] }), 400, 400, /replicas_assignments\[1\]: partition 0 is placed twice/);
      expectError(await create({ replicas_assignments: [{ partition_id: 0, broker_ids: [] }] }), 400, 400, /replicas_assignments\[0\]\.broker_ids must be a non-empty array of broker ids/);
      expectError(await create({ replicas_assignments: [{ partition_id: 0, broker_ids: ['1'] }] }), 400, 400, /broker_ids must be/);
      expectError(await create({ replicas_assignments: {} }), 400, 400, /replicas_assignments must be a non-empty array/);
      expectError(await create({ partitions_count: 3, replicas_assignments: [{ partition_id: 0, broker_ids: [1] }] }), 400, 400, /partitions_count 3 disagrees with the 1 partition/);
      expectError(await create({ replication_factor: 2, replicas_assignments: [{ partition_id: 0, broker_ids: [1] }] }), 400, 400, /replication_factor 2 disagrees with replicas_assignments\[0\]/);
      expect((await admin.metadata()).topics.map((t) => t.name)).not.toContain(name);
    });

    it.runIf(!real)('replicas_assignments on the embedded broker is 501: it cannot place replicas', async () => {
      const name = uniqueTopic('v3admin-placed');
      expectError(await call('POST', '/topics', { topic_name: name, replicas_assignments: [{ partition_id: 0, broker_ids: [1] }] }), 501, 501, /embedded broker.*place replicas/);
      expect((await admin.metadata()).topics.map((t) => t.name)).not.toContain(name);
    });

    it.runIf(real)('PATCH raises the partition count, seen in the metadata; fewer or the same is 400 40002', async () => {
      const topic = await createTopic(1);
      const patched = await call('PATCH', `/topics/${topic}`, { partitions_count: 3 });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ kind: 'KafkaTopic', topic_name: topic, partitions_count: 3 });
      expectSchema(patched.body, 'TopicData');
      expect((await admin.metadata({ topics: [topic] })).topics[0].partitions).toHaveLength(3);
      expect((await call('GET', `/topics/${topic}/partitions`)).body.data).toHaveLength(3);
      expectError(await call('PATCH', `/topics/${topic}`, { partitions_count: 2 }), 400, 40002, /partition/i);
      expectError(await call('PATCH', `/topics/${topic}`, { partitions_count: 3 }), 400, 40002, /partition/i);
    });

    it.runIf(!real)('PATCH on the embedded broker is 501: it cannot add partitions', async () => {
      const topic = await createTopic(1);
      expectError(await call('PATCH', `/topics/${topic}`, { partitions_count: 3 }), 501, 501, /embedded broker.*CreatePartitions/);
    });

    it('a PATCH body without a positive integer partitions_count is 400 naming it', async () => {
      const topic = await createTopic(1);
      for (const body of [{}, { partitions_count: '3' }, { partitions_count: 0 }, { partitions_count: 2.5 }, [], 'null']) {
        expectError(await call('PATCH', `/topics/${topic}`, body), 400, 400, /partitions_count must be a positive integer|must be a JSON object/);
      }
      expectError(await call('PATCH', `/topics/${topic}`, '{"partitions_count": '), 400, 400, /Malformed JSON/);
    });

    it('a partition count or replication factor past what can be asked is 400 naming the field the request has, creating nothing', async () => {
      const topic = await createTopic(1);
      expectError(await call('PATCH', `/topics/${topic}`, { partitions_count: 2_000_000_000 }), 400, 400, /^partitions_count must be .*1000000.*not 2000000000$/);
      const name = uniqueTopic('v3admin-huge');
      expectError(await call('POST', '/topics', { topic_name: name, partitions_count: 2_000_000_000 }), 400, 400, /^partitions_count must be .*1000000.*not 2000000000$/);
      expectError(await call('POST', '/topics', { topic_name: name, partitions_count: 1, replication_factor: 40_000 }), 400, 400, /^replication_factor must be .*32767.*not 40000$/);
      expect((await admin.metadata()).topics.some((t) => t.name === name)).toBe(false);
    });

    it.runIf(real)('DELETE removes the topic: gone from the proxy and from the metadata', async () => {
      const topic = await createTopic(2);
      const deleted = await call('DELETE', `/topics/${topic}`);
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe('');
      expectError(await call('GET', `/topics/${topic}`), 404, 40403, /not found/);
      expect(await admin.listTopics()).not.toContain(topic);
    });

    it.runIf(!real)('DELETE on the embedded broker is 501: it cannot delete topics', async () => {
      const topic = await createTopic(1);
      expectError(await call('DELETE', `/topics/${topic}`), 501, 501, /embedded broker.*DeleteTopics/);
      expect((await call('GET', `/topics/${topic}`)).status).toBe(200);
    });

    it.runIf(real)("Kafka's own topics cannot be deleted: 400 40002", async () => {
      const internal = (await admin.listTopics()).find((t) => t.startsWith('__'));
      if (internal === undefined) return; // no group has committed on this broker yet
      expectError(await call('DELETE', `/topics/${internal}`), 400, 40002, /internal to Kafka/);
    });
  });

  describe('partitions and replicas', () => {
    it('lists and gets partitions with their leader, and their replicas as the metadata has them', async () => {
      const topic = await createTopic(2);
      const md = (await admin.metadata({ topics: [topic] })).topics[0];
      const list = await call('GET', `/topics/${topic}/partitions`);
      expect(list.status).toBe(200);
      expect(list.body).toMatchObject({ kind: 'KafkaPartitionList', metadata: { self: `${base}/topics/${topic}/partitions` } });
      expect(list.body.data).toHaveLength(2);
      expectSchema(list.body, 'PartitionDataList');
      const p1 = md.partitions[1];
      const one = await call('GET', `/topics/${topic}/partitions/1`);
      expect(one.body).toEqual({
        kind: 'KafkaPartition',
        metadata: { self: `${base}/topics/${topic}/partitions/1`, resource_name: `crn:///kafka=${clusterId}/topic=${topic}/partition=1` },
        cluster_id: clusterId,
        topic_name: topic,
        partition_id: 1,
        leader: { related: `${base}/topics/${topic}/partitions/1/replicas/${p1.leader}` },
        replicas: { related: `${base}/topics/${topic}/partitions/1/replicas` },
        reassignment: { related: `${base}/topics/${topic}/partitions/1/reassignment` },
      });
      expect(list.body.data[1]).toEqual(one.body);
      expectSchema(one.body, 'PartitionData');

      const replicas = await call('GET', one.body.replicas.related);
      expect(replicas.body.kind).toBe('KafkaReplicaList');
      expectSchema(replicas.body, 'ReplicaDataList');
      expect(replicas.body.data.map((r: { broker_id: number; is_leader: boolean; is_in_sync: boolean }) => [r.broker_id, r.is_leader, r.is_in_sync])).toEqual(
        p1.replicas.map((b) => [b, b === p1.leader, p1.isr.includes(b)]),
      );
      const leader = await call('GET', one.body.leader.related);
      expect(leader.body).toEqual({
        kind: 'KafkaReplica',
        metadata: { self: `${base}/topics/${topic}/partitions/1/replicas/${p1.leader}`, resource_name: `crn:///kafka=${clusterId}/topic=${topic}/partition=1/replica=${p1.leader}` },
        cluster_id: clusterId,
        topic_name: topic,
        partition_id: 1,
        broker_id: p1.leader,
        is_leader: true,
        is_in_sync: true,
        broker: { related: `${base}/brokers/${p1.leader}` },
      });
      expectSchema(leader.body, 'ReplicaData');
      expect((await call('GET', leader.body.broker.related)).body.broker_id).toBe(p1.leader);
    });

    it('an unknown partition is 404 40403, a partition id that is not a number 400, a broker without a replica 404', async () => {
      const topic = await createTopic(1, 1);
      expectError(await call('GET', `/topics/${topic}/partitions/5`), 404, 40403, new RegExp(`Partition 5 of topic '${topic}' not found`));
      expectError(await call('GET', `/topics/${topic}/partitions/5/replicas`), 404, 40403, /Partition 5/);
      expectError(await call('GET', `/topics/${topic}/partitions/5/offset`), 404, 40403, /Partition 5/);
      for (const id of ['x', '-1', '0x1', '4294967296']) expectError(await call('GET', `/topics/${topic}/partitions/${id}`), 400, 400, /partition_id must be a non-negative integer/);
      const holder = (await admin.metadata({ topics: [topic] })).topics[0].partitions[0].replicas[0];
      expectError(await call('GET', `/topics/${topic}/partitions/0/replicas/${holder + 1000}`), 404, 404, /holds no replica/);
    });

    it("a partition's offsets are its first offset and the offset the next record gets", async () => {
      const topic = await createTopic(2);
      const producer = new Producer({ 'bootstrap.servers': broker.bootstrapServers });
      try {
        for (let i = 0; i < 3; i++) await producer.send({ topic, partition: 1, payload: `r${i}` });
      } finally {
        await producer.close();
      }
      const offsets = await call('GET', `/topics/${topic}/partitions/1/offset`);
      expect(offsets.status).toBe(200);
      expect(offsets.body).toMatchObject({ kind: 'KafkaPartitionOffset', metadata: { self: `${base}/topics/${topic}/partitions/1/offset` }, cluster_id: clusterId, topic_name: topic, partition_id: 1, earliest_offset: 0, latest_offset: 3 });
      expect((await call('GET', `/topics/${topic}/partitions/0/offset`)).body).toMatchObject({ earliest_offset: 0, latest_offset: 0 });
    });

    it('replica reassignments are 501 naming the Kafka request librdkafka lacks (after the cluster, topic and partition are checked)', async () => {
      const topic = await createTopic(1);
      for (const path of ['/topics/-/partitions/-/reassignment', `/topics/${topic}/partitions/-/reassignment`, `/topics/${topic}/partitions/0/reassignment`]) {
        expectError(await call('GET', path), 501, 501, /ListPartitionReassignments.*librdkafka/);
      }
      expectError(await call('GET', `/topics/${topic}/partitions/3/reassignment`), 404, 40403, /Partition 3/);
    });
  });

  describe('topic configs', () => {
    it.runIf(!real)('the embedded broker cannot describe or alter configs: 501 naming it', async () => {
      const topic = await createTopic(1);
      expectError(await call('GET', `/topics/${topic}/configs`), 501, 501, /embedded broker.*DescribeConfigs/);
      expectError(await call('GET', `/topics/${topic}/configs/retention.ms`), 501, 501, /embedded broker/);
      expectError(await call('PUT', `/topics/${topic}/configs/retention.ms`, { value: '1000' }), 501, 501, /embedded broker/);
      expectError(await call('GET', '/topics/-/configs'), 501, 501, /embedded broker/);
    });

    it.runIf(real)('lists a topic\'s configs with every field the v3 document requires', async () => {
      const topic = await createTopic(1);
      const list = await call('GET', `/topics/${topic}/configs`);
      expect(list.status).toBe(200);
      expect(list.body).toMatchObject({ kind: 'KafkaTopicConfigList', metadata: { self: `${base}/topics/${topic}/configs` } });
      const retention = list.body.data.find((c: { name: string }) => c.name === 'retention.ms');
      expect(retention).toMatchObject({
        kind: 'KafkaTopicConfig',
        metadata: { self: `${base}/topics/${topic}/configs/retention.ms`, resource_name: `crn:///kafka=${clusterId}/topic=${topic}/config=retention.ms` },
        topic_name: topic,
        value: '604800000',
        is_default: true,
        source: 'DEFAULT_CONFIG',
      });
      for (const config of list.body.data) expectConfigShape(config);
      expectSchema(list.body, 'TopicConfigDataList');
      expect((await call('GET', retention.metadata.self)).body).toEqual(retention);
      expectSchema(retention, 'TopicConfigData');
    });

    it.runIf(real)('PUT sets one config, read back through GET and our Admin, keeping the others; DELETE returns it to its default', async () => {
      const topic = await createTopic(1);
      expect((await call('PUT', `/topics/${topic}/configs/retention.ms`, { value: '3600000' })).status).toBe(204);
      expect((await call('PUT', `/topics/${topic}/configs/cleanup.policy`, { value: 'compact' })).status).toBe(204);
      const retention = await call('GET', `/topics/${topic}/configs/retention.ms`);
      expect(retention.body).toMatchObject({ name: 'retention.ms', value: '3600000', is_default: false, source: 'DYNAMIC_TOPIC_CONFIG' });
      expect(retention.body.synonyms[0]).toEqual({ name: 'retention.ms', value: '3600000', source: 'DYNAMIC_TOPIC_CONFIG' });
      const described = await admin.describeConfigs('topic', topic);
      expect(described.find((e) => e.name === 'retention.ms')).toMatchObject({ value: '3600000', source: 'dynamic-topic' });
      expect(described.find((e) => e.name === 'cleanup.policy')).toMatchObject({ value: 'compact', source: 'dynamic-topic' });

      expect((await call('DELETE', `/topics/${topic}/configs/retention.ms`)).status).toBe(204);
      expect((await call('GET', `/topics/${topic}/configs/retention.ms`)).body).toMatchObject({ value: '604800000', is_default: true, source: 'DEFAULT_CONFIG' });
      // The other one is still set.
      expect((await call('GET', `/topics/${topic}/configs/cleanup.policy`)).body).toMatchObject({ value: 'compact', source: 'DYNAMIC_TOPIC_CONFIG' });
      // A PUT of null resets it too.
      expect((await call('PUT', `/topics/${topic}/configs/cleanup.policy`, { value: null })).status).toBe(204);
      expect((await call('GET', `/topics/${topic}/configs/cleanup.policy`)).body).toMatchObject({ value: 'delete', source: 'DEFAULT_CONFIG' });
    });

    it.runIf(real)('concurrent PUTs of different configs of one topic all take effect (none undoes another)', async () => {
      const topic = await createTopic(1);
      const wanted: { [name: string]: string } = { 'retention.ms': '3600000', 'max.message.bytes': '200000', 'cleanup.policy': 'compact', 'segment.ms': '7200000', 'flush.messages': '5000' };
      const replies = await Promise.all(Object.entries(wanted).map(([name, value]) => call('PUT', `/topics/${topic}/configs/${name}`, { value })));
      expect(replies.map((r) => r.status)).toEqual(Object.keys(wanted).map(() => 204));
      const dynamic = (await admin.describeConfigs('topic', topic)).filter((e) => e.source === 'dynamic-topic');
      expect(Object.fromEntries(dynamic.map((e) => [e.name, e.value]))).toEqual(wanted);
    });

    it.runIf(real)('configs:alter sets and deletes several at once; validate_only changes nothing', async () => {
      const topic = await createTopic(1);
      await call('PUT', `/topics/${topic}/configs/cleanup.policy`, { value: 'compact' });
      const alter = (body: unknown) => call('POST', `/topics/${topic}/configs:alter`, body);
      expect((await alter({ data: [{ name: 'cleanup.policy', operation: 'DELETE' }, { name: 'compression.type', value: 'gzip' }], validate_only: true })).status).toBe(204);
      let configs = await admin.describeConfigs('topic', topic);
      expect(configs.find((e) => e.name === 'cleanup.policy')?.value).toBe('compact');
      expect(configs.find((e) => e.name === 'compression.type')?.value).toBe('producer');

      expect((await alter({ data: [{ name: 'cleanup.policy', operation: 'DELETE' }, { name: 'compression.type', value: 'gzip' }] })).status).toBe(204);
      configs = await admin.describeConfigs('topic', topic);
      expect(configs.find((e) => e.name === 'cleanup.policy')).toMatchObject({ value: 'delete', source: 'default' });
      expect(configs.find((e) => e.name === 'compression.type')).toMatchObject({ value: 'gzip', source: 'dynamic-topic' });
    });

    it.runIf(real)('all topics\' configs include each topic\'s own', async () => {
      const topic = await createTopic(1);
      await call('PUT', `/topics/${topic}/configs/retention.ms`, { value: '7200000' });
      const all = await call('GET', '/topics/-/configs');
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({ kind: 'KafkaTopicConfigList', metadata: { self: `${base}/topics/-/configs` } });
      expectSchema(all.body, 'TopicConfigDataList');
      const mine = all.body.data.filter((c: { topic_name: string }) => c.topic_name === topic);
      expect(mine).toEqual((await call('GET', `/topics/${topic}/configs`)).body.data);
      expect(mine.find((c: { name: string }) => c.name === 'retention.ms').value).toBe('7200000');
    });

    it.runIf(real)("all topics' configs leave out a topic another client deletes while they are listed, instead of failing whole", async () => {
      const kept = await createTopic(1);
      const doomed = await createTopic(1);
      // The listing reads the metadata, then describes each topic: the deletion lands between the two.
      let deleteAfterMetadata = false;
      class DeletingView extends AdminClusterView {
        override async metadata(): Promise<ClusterMetadata> {
          const md = await super.metadata();
          if (deleteAfterMetadata) {
            deleteAfterMetadata = false;
            await admin.deleteTopics(doomed);
          }
          return md;
        }
      }
      const racing = await startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '', bootstrapServers: broker.bootstrapServers }, (bootstrapServers, config) => new DeletingView(bootstrapServers, config.client));
      try {
        deleteAfterMetadata = true;
        const all = await call('GET', `${racing.url}/v3/clusters/${clusterId}/topics/-/configs`);
        expect({ status: all.status, error: all.body.message }).toEqual({ status: 200, error: undefined });
        expect(deleteAfterMetadata).toBe(false);
        expectSchema(all.body, 'TopicConfigDataList');
        const listed = new Set(all.body.data.map((c: { topic_name: string }) => c.topic_name));
        expect({ kept: listed.has(kept), doomed: listed.has(doomed) }).toEqual({ kept: true, doomed: false });
      } finally {
        await racing.close();
      }
    });

    it.runIf(real)('bad config requests are 4xx naming the problem, and change nothing', async () => {
      const topic = await createTopic(1);
      expectError(await call('GET', `/topics/${topic}/configs/no.such.config`), 404, 404, /Config 'no.such.config' not found/);
      expectError(await call('PUT', `/topics/${topic}/configs/no.such.config`, { value: '1' }), 404, 404, /not found/);
      expectError(await call('DELETE', `/topics/${topic}/configs/no.such.config`), 404, 404, /not found/);
      expectError(await call('PUT', `/topics/${topic}/configs/retention.ms`, { value: 5 }), 400, 400, /value must be a string or null/);
      expectError(await call('PUT', `/topics/${topic}/configs/retention.ms`, {}), 400, 400, /value is required/);
      expectError(await call('PUT', `/topics/${topic}/configs/retention.ms`, { value: 'soon' }), 400, 40002, /retention\.ms/);
      const alter = (body: unknown) => call('POST', `/topics/${topic}/configs:alter`, body);
      expectError(await alter({ data: { name: 'retention.ms' } }), 400, 400, /data must be an array/);
      expectError(await alter({ data: [{ name: 'retention.ms', operation: 'UPSERT', value: '1' }] }), 400, 400, /operation must be SET or DELETE/);
      expectError(await alter({ data: [{ name: 'retention.ms' }] }), 400, 400, /value must be a string to SET/);
      expectError(await alter({ data: [{ name: 'retention.ms', value: '1' }, { name: 'retention.ms', value: '2' }] }), 400, 400, /named twice/);
      expectError(await alter({ data: [{ name: 'no.such.config', value: '1' }, { name: 'retention.ms', value: '1000' }] }), 400, 40002, /no\.such\.config/);
      expectError(await alter({ data: [], validate_only: 'yes' }), 400, 400, /validate_only must be true or false/);
      expectError(await alter('[1, 2'), 400, 400, /Malformed JSON/);
      expect((await admin.describeConfigs('topic', topic)).find((e) => e.name === 'retention.ms')?.source).toBe('default');
    });
  });

  describe('broker configs', () => {
    it.runIf(!real)('the embedded broker cannot describe broker configs: 501 naming it', async () => {
      const id = (await admin.metadata({ topics: [] })).brokers[0].id;
      expectError(await call('GET', `/brokers/${id}/configs`), 501, 501, /embedded broker.*DescribeConfigs/);
      expectError(await call('GET', '/brokers/-/configs'), 501, 501, /embedded broker/);
      expectError(await call('GET', '/broker-configs'), 501, 501, /embedded broker/);
    });

    it.runIf(real)("lists and gets a broker's configs with every field the v3 document requires", async () => {
      const id = (await admin.metadata({ topics: [] })).brokers[0].id;
      const list = await call('GET', `/brokers/${id}/configs`);
      expect(list.status).toBe(200);
      expect(list.body).toMatchObject({ kind: 'KafkaBrokerConfigList', metadata: { self: `${base}/brokers/${id}/configs` } });
      for (const config of list.body.data) {
        expectConfigShape(config);
        expect(config.broker_id).toBe(id);
      }
      expectSchema(list.body, 'BrokerConfigDataList');
      const threads = list.body.data.find((c: { name: string }) => c.name === 'num.io.threads');
      expect(threads).toMatchObject({ kind: 'KafkaBrokerConfig', metadata: { self: `${base}/brokers/${id}/configs/num.io.threads`, resource_name: `crn:///kafka=${clusterId}/broker=${id}/config=num.io.threads` } });
      expect((await call('GET', threads.metadata.self)).body).toEqual(threads);
      expectSchema(threads, 'BrokerConfigData');
      expectError(await call('GET', `/brokers/${id}/configs/no.such.config`), 404, 404, /not found for broker/);
    });

    it.runIf(real)("PUT sets a broker's dynamic config, listed under brokers/-/configs and read back through our Admin; DELETE resets it", async () => {
      const id = (await admin.metadata({ topics: [] })).brokers[0].id;
      try {
        expect((await call('PUT', `/brokers/${id}/configs/max.connections`, { value: '100000' })).status).toBe(204);
        expect((await call('GET', `/brokers/${id}/configs/max.connections`)).body).toMatchObject({ value: '100000', source: 'DYNAMIC_BROKER_CONFIG', is_default: false });
        expect((await admin.describeConfigs('broker', String(id))).find((e) => e.name === 'max.connections')).toMatchObject({ value: '100000', source: 'dynamic-broker' });
        const dynamic = await call('GET', '/brokers/-/configs');
        expect(dynamic.body.kind).toBe('KafkaBrokerConfigList');
        expectSchema(dynamic.body, 'BrokerConfigDataList');
        expect(dynamic.body.data.map((c: { broker_id: number; name: string; value: string }) => [c.broker_id, c.name, c.value])).toContainEqual([id, 'max.connections', '100000']);
        for (const config of dynamic.body.data) expect(config.source).toBe('DYNAMIC_BROKER_CONFIG');
        expect((await call('POST', `/brokers/${id}/configs:alter`, { data: [{ name: 'max.connections', value: '90000' }] })).status).toBe(204);
        expect((await call('GET', `/brokers/${id}/configs/max.connections`)).body.value).toBe('90000');
      } finally {
        expect((await call('DELETE', `/brokers/${id}/configs/max.connections`)).status).toBe(204);
      }
      expect((await call('GET', `/brokers/${id}/configs/max.connections`)).body).toMatchObject({ value: '2147483647', source: 'DEFAULT_CONFIG' });
    });
  });

  describe('sensitive configs', () => {
    it.runIf(real)("a broker with a sensitive dynamic config (set with Kafka's kafka-configs tool): its value is never shown, and another config of it still changes alone (on librdkafka 2.0.2: 501 saying why)", async () => {
      const { runKafkaTool } = (await import('../scripts/kafka/broker.mjs')) as { runKafkaTool: (main: string, args: string[]) => Promise<{ code: number; stdout: string; stderr: string }> };
      const id = (await admin.metadata({ topics: [] })).brokers[0].id;
      const configTool = async (...args: string[]) => {
        const result = await runKafkaTool('kafka.admin.ConfigCommand', ['--bootstrap-server', broker.bootstrapServers, '--entity-type', 'brokers', '--entity-name', String(id), '--alter', ...args]);
        expect(result.code, result.stderr + result.stdout).toBe(0);
      };
      const secret = 'listener.name.unused.plain.sasl.jaas.config';
      await configTool('--add-config', `${secret}=[org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";]`);
      try {
        const shown = await call('GET', `/brokers/${id}/configs/${secret}`);
        expect(shown.body).toMatchObject({ name: secret, value: null, is_sensitive: true, source: 'DYNAMIC_BROKER_CONFIG' });
        const put = await call('PUT', `/brokers/${id}/configs/max.connections`, { value: '100000' });
        if (librdkafkaVersion().hex >= 0x020200ff) {
          expect(put.status).toBe(204);
          expect((await call('GET', `/brokers/${id}/configs/max.connections`)).body.value).toBe('100000');
          expect((await call('GET', `/brokers/${id}/configs/${secret}`)).body).toMatchObject({ is_sensitive: true, source: 'DYNAMIC_BROKER_CONFIG' });
          expect((await call('DELETE', `/brokers/${id}/configs/max.connections`)).status).toBe(204);
        } else {
          expectError(put, 501, 501, new RegExp(`drop its sensitive dynamic config '${secret.replace(/\./g, '\\.')}'.*whole-resource AlterConfigs.*IncrementalAlterConfigs needs librdkafka 2\\.2\\.0`));
          expect((await call('GET', `/brokers/${id}/configs/max.connections`)).body.source).toBe('DEFAULT_CONFIG');
        }
      } finally {
        await configTool('--delete-config', secret);
      }
    });
  });

  describe('cluster-wide broker configs', () => {
    it.runIf(real)("a value set cluster-wide (with Kafka's own kafka-configs tool, as an operator would) is listed and got, with the default below it as a synonym", async () => {
      const { runKafkaTool } = (await import('../scripts/kafka/broker.mjs')) as { runKafkaTool: (main: string, args: string[]) => Promise<{ code: number; stdout: string; stderr: string }> };
      const configTool = async (...args: string[]) => {
        const result = await runKafkaTool('kafka.admin.ConfigCommand', ['--bootstrap-server', broker.bootstrapServers, '--entity-type', 'brokers', '--entity-default', '--alter', ...args]);
        expect(result.code, result.stderr).toBe(0);
      };
      await configTool('--add-config', 'log.cleaner.backoff.ms=15001');
      try {
        const list = await call('GET', '/broker-configs');
        expect(list.status).toBe(200);
        expect(list.body).toMatchObject({ kind: 'KafkaClusterConfigList', metadata: { self: `${base}/broker-configs` } });
        const backoff = list.body.data.find((c: { name: string }) => c.name === 'log.cleaner.backoff.ms');
        expect(backoff).toMatchObject({
          kind: 'KafkaClusterConfig',
          metadata: { self: `${base}/broker-configs/log.cleaner.backoff.ms`, resource_name: `crn:///kafka=${clusterId}/broker-config=log.cleaner.backoff.ms` },
          cluster_id: clusterId,
          config_type: 'BROKER',
          value: '15001',
          is_default: false,
          source: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
        });
        expect(backoff.synonyms).toContainEqual({ name: 'log.cleaner.backoff.ms', value: '15000', source: 'DEFAULT_CONFIG' });
        for (const config of list.body.data) expectConfigShape(config);
        expectSchema(list.body, 'ClusterConfigDataList');
        expect((await call('GET', backoff.metadata.self)).body).toEqual(backoff);
        expectSchema(backoff, 'ClusterConfigData');
      } finally {
        await configTool('--delete-config', 'log.cleaner.backoff.ms');
      }
      expectError(await call('GET', '/broker-configs/num.io.threads'), 404, 404, /no cluster-wide value is set/);
    });

    it('changing a cluster-wide config is 501 naming why librdkafka cannot (and what can); a malformed body is 400 first', async () => {
      expectError(await call('PUT', '/broker-configs/log.cleaner.backoff.ms', { value: '15001' }), 501, 501, /BROKER.*broker id.*kafka-configs\.sh/);
      expectError(await call('DELETE', '/broker-configs/log.cleaner.backoff.ms'), 501, 501, /librdkafka/);
      expectError(await call('POST', '/broker-configs:alter', { data: [{ name: 'log.cleaner.backoff.ms', value: '15001' }] }), 501, 501, /librdkafka/);
      expectError(await call('POST', '/broker-configs:alter', { data: 'x' }), 400, 400, /data must be an array/);
      expectError(await call('PUT', '/broker-configs/log.cleaner.backoff.ms', { value: 1 }), 400, 400, /value must be a string or null/);
    });
  });

  describe('hostile input', () => {
    it('odd config names and bodies are answered 4xx, never 5xx', async () => {
      const topic = await createTopic(1);
      const names = ['..%2F..%2Fetc%2Fpasswd', '%00', encodeURIComponent('ü'.repeat(2000)), 'a'.repeat(5000)];
      // Not found (the embedded broker: cannot describe), or a path longer than the proxy takes (414).
      const expected = [real ? 404 : 501, 414];
      for (const name of names) {
        for (const reply of [await call('GET', `/topics/${topic}/configs/${name}`), await call('PUT', `/topics/${topic}/configs/${name}`, { value: 'x' })]) {
          expect(expected, name.slice(0, 20)).toContain(reply.status);
          expect(reply.body.error_code, name.slice(0, 20)).toBeGreaterThanOrEqual(400);
        }
      }
      for (const body of ['[]', '"x"', '{"data": [null]}', `{"data": [${'{"name":"a","value":"b"},'.repeat(100)}{}]}`]) {
        const reply = await call('POST', `/topics/${topic}/configs:alter`, body);
        expect(reply.status, body.slice(0, 30)).toBe(400);
        expect(reply.body.error_code).toBe(400);
      }
    });
  });
});
