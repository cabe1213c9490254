// The REST proxy's v3 consumer groups, consumers, assignments, lags and ACLs over real HTTP, against
// the embedded and a real broker, and ACLs against a broker with an authorizer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Consumer, Producer } from '../lib';
import { DEFAULTS, startProxy, adminClusterView, type RunningProxy } from '../lib/proxy';
import { testBrokers, useBroker } from './brokers';
import { httpRequest, type HttpReply } from './http';
import { consumeCount, consumerConfig, uniqueTopic, useProxy } from './helpers';
import { useSecuredKafka } from './secured';

function call(proxy: RunningProxy, method: string, path: string, body?: unknown): Promise<HttpReply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return httpRequest(`${proxy.url}${path}`, { method, body: payload, headers: payload === undefined ? {} : { 'content-type': 'application/json' } });
}

async function clusterIdOf(proxy: RunningProxy): Promise<string> {
  return (await call(proxy, 'GET', '/v3/clusters')).body.data[0].cluster_id;
}

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  let id: string;
  let base: string;
  const proxy = useProxy(
    () => ({ pixyListeners: '', bootstrapServers: broker.bootstrapServers, schemaRegistryListeners: '' }),
    (bootstrapServers, config) => adminClusterView(bootstrapServers, config, broker.mock),
  );
  const get = (path: string) => call(proxy, 'GET', `/v3/clusters/${id}${path}`);

  beforeAll(async () => {
    id = await clusterIdOf(proxy);
    base = `${proxy.url}/v3/clusters/${id}`;
  });

  describe('a group made by our Consumer, with committed offsets', () => {
    const topic = uniqueTopic('v3g');
    const group = uniqueTopic('group');
    let consumer: Consumer;
    let memberId: string;

    beforeAll(async () => {
      await broker.createTopic(topic, 2);
      const producer = new Producer({ 'bootstrap.servers': broker.bootstrapServers });
      // 5 records on partition 0, 3 on partition 1.
      await producer.sendBatch([0, 0, 0, 0, 0, 1, 1, 1].map((partition, i) => ({ topic, partition, payload: `r${i}` })));
      await producer.close();
      consumer = new Consumer(consumerConfig(broker.bootstrapServers, group, { 'enable.auto.commit': false, 'client.id': 'v3-groups-test' }), [topic]);
      expect(await consumeCount(consumer, 8)).toHaveLength(8);
      // The group's position: 2 of partition 0 and 1 of partition 1 processed.
      await consumer.commit([
        { topic, partition: 0, offset: 2 },
        { topic, partition: 1, offset: 1 },
      ]);
      if (broker.name === 'kafka') {
        const admin = new Admin({ 'bootstrap.servers': broker.bootstrapServers });
        [memberId] = (await admin.describeGroups(group))[0].members.map((m) => m.memberId);
        await admin.close();
      }
    }, 60_000);
    afterAll(() => consumer?.close());

    it('lags are the end offset minus the committed offset, per partition, with their summary', async () => {
      const lags = await get(`/consumer-groups/${group}/lags`);
      expect(lags.status).toBe(200);
      expect(lags.body).toMatchObject({ kind: 'KafkaConsumerLagList', metadata: { self: `${base}/consumer-groups/${group}/lags` } });
      const consumerId = broker.name === 'kafka' ? memberId : ''; // the embedded broker cannot describe groups
      expect(lags.body.data).toEqual([
        {
          kind: 'KafkaConsumerLag',
          metadata: { self: `${base}/consumer-groups/${group}/lags/${topic}/partitions/0`, resource_name: `crn:///kafka=${id}/consumer-group=${group}/lag=${topic}/partition=0` },
          cluster_id: id,
          consumer_group_id: group,
          topic_name: topic,
          partition_id: 0,
          current_offset: 2,
          log_end_offset: 5,
          lag: 3,
          consumer_id: consumerId,
          instance_id: null,
          client_id: broker.name === 'kafka' ? 'v3-groups-test' : '',
        },
        expect.objectContaining({ partition_id: 1, current_offset: 1, log_end_offset: 3, lag: 2, consumer_id: consumerId }),
      ]);
      const one = await get(`/consumer-groups/${group}/lags/${topic}/partitions/1`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(lags.body.data[1]);
      expect((await get(`/consumer-groups/${group}/lags/${topic}/partitions/7`)).status).toBe(404);
      const summary = await get(`/consumer-groups/${group}/lag-summary`);
      expect(summary.status).toBe(200);
      expect(summary.body).toMatchObject({
        kind: 'KafkaConsumerGroupLagSummary',
        cluster_id: id,
        consumer_group_id: group,
        max_lag_consumer_id: consumerId,
        max_lag_topic_name: topic,
        max_lag_partition_id: 0,
        max_lag: 3,
        total_lag: 5,
        max_lag_partition: { related: `${base}/topics/${topic}/partitions/0` },
      });
    });

    it('the group is listed and described with its member and the member assignments', async () => {
      const listed = await get('/consumer-groups');
      if (broker.name === 'mock') {
        // librdkafka's mock cluster does not answer DescribeGroups: the answer says so.
        expect(listed.status).toBe(501);
        expect(listed.body.message).toMatch(/embedded broker/);
        expect((await get(`/consumer-groups/${group}/consumers`)).status).toBe(501);
        return;
      }
      expect(listed.status).toBe(200);
      expect(listed.headers?.['content-type']).toMatch(/^application\/json/);
      const mine = listed.body.data.find((g: { consumer_group_id: string }) => g.consumer_group_id === group);
      const groupBody = {
        kind: 'KafkaConsumerGroup',
        metadata: { self: `${base}/consumer-groups/${group}`, resource_name: `crn:///kafka=${id}/consumer-group=${group}` },
        cluster_id: id,
        consumer_group_id: group,
        is_simple: false,
        partition_assignor: expect.any(String),
        state: 'STABLE',
        coordinator: { related: expect.stringMatching(new RegExp(`^${base}/brokers/\\d+$`)) },
        consumers: { related: `${base}/consumer-groups/${group}/consumers` },
        lag_summary: { related: `${base}/consumer-groups/${group}/lag-summary` },
      };
      expect(mine).toEqual(groupBody);
      expect((await get(`/consumer-groups/${group}`)).body).toEqual(groupBody);

      const consumers = await get(`/consumer-groups/${group}/consumers`);
      const consumerBody = {
        kind: 'KafkaConsumer',
        metadata: { self: `${base}/consumer-groups/${group}/consumers/${memberId}`, resource_name: `crn:///kafka=${id}/consumer-group=${group}/consumer=${memberId}` },
        cluster_id: id,
        consumer_group_id: group,
        consumer_id: memberId,
        instance_id: null,
        client_id: 'v3-groups-test',
        assignments: { related: `${base}/consumer-groups/${group}/consumers/${memberId}/assignments` },
      };
      expect(consumers.body).toEqual({ kind: 'KafkaConsumerList', metadata: { self: `${base}/consumer-groups/${group}/consumers`, next: null }, data: [consumerBody] });
      expect((await get(`/consumer-groups/${group}/consumers/${memberId}`)).body).toEqual(consumerBody);
      expect((await get(`/consumer-groups/${group}/consumers/not-a-member`)).status).toBe(404);

      const assignments = await get(`/consumer-groups/${group}/consumers/${memberId}/assignments`);
      expect(assignments.status).toBe(200);
      expect(assignments.body.data.map((a: { topic_name: string; partition_id: number }) => [a.topic_name, a.partition_id]).sort()).toEqual([
        [topic, 0],
        [topic, 1],
      ]);
      const one = await get(`/consumer-groups/${group}/consumers/${memberId}/assignments/${topic}/partitions/1`);
      expect(one.body).toEqual({
        kind: 'KafkaConsumerAssignment',
        metadata: {
          self: `${base}/consumer-groups/${group}/consumers/${memberId}/assignments/${topic}/partitions/1`,
          resource_name: `crn:///kafka=${id}/consumer-group=${group}/consumer=${memberId}/assignment=${topic}/partition=1`,
        },
        cluster_id: id,
        consumer_group_id: group,
        consumer_id: memberId,
        topic_name: topic,
        partition_id: 1,
        partition: { related: `${base}/topics/${topic}/partitions/1` },
        lag: { related: `${base}/consumer-groups/${group}/lags/${topic}/partitions/1` },
      });
      expect((await get(`/consumer-groups/${group}/consumers/${memberId}/assignments/${topic}/partitions/2`)).status).toBe(404);
    });
  });

  it('a group Kafka does not know, another cluster and a bad partition number are 4xx in application/json', async () => {
    const unknown = await get(`/consumer-groups/${uniqueTopic('no-group')}`);
    expect(unknown.status).toBe(broker.name === 'kafka' ? 404 : 501);
    expect((await get(`/consumer-groups/${uniqueTopic('no-group')}/lag-summary`)).status).toBe(404);
    const other = await call(proxy, 'GET', '/v3/clusters/not-this-one/consumer-groups');
    expect(other).toMatchObject({ status: 404, body: { error_code: 404, message: 'Cluster not-this-one not found' } });
    expect(other.headers?.['content-type']).toMatch(/^application\/json/);
    // A NUL would cut the name librdkafka sees: refused, naming the field.
    expect(await get('/consumer-groups/a%00b')).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^consumer_group_id must not contain a NUL/) } });
    expect(await get('/consumer-groups/a%00b/lags')).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^consumer_group_id must not contain a NUL/) } });
    const bad = await get(`/consumer-groups/g/lags/t/partitions/-1`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/partition_id/);
  });

  it('ACL requests are checked before Kafka sees them; a broker without an authorizer is named', async () => {
    const acl = { resource_type: 'TOPIC', resource_name: 'v3-acl', pattern_type: 'LITERAL', principal: 'User:carol', host: '*', operation: 'READ', permission: 'ALLOW' };
    const wrong = await call(proxy, 'POST', `/v3/clusters/${id}/acls`, { ...acl, operation: 'READ_EVERYTHING' });
    expect(wrong).toMatchObject({ status: 400, body: { error_code: 400 } });
    expect(wrong.body.message).toMatch(/operation must be one of ALL, READ/);
    expect((await call(proxy, 'POST', `/v3/clusters/${id}/acls`, { ...acl, principal: 7 })).body.message).toMatch(/principal must be a non-empty string/);
    expect((await call(proxy, 'POST', `/v3/clusters/${id}/acls:batch`, { data: [acl, { ...acl, permission: 'MAYBE' }] })).body.message).toMatch(/data\[1\]\.permission/);
    const transactional = await call(proxy, 'POST', `/v3/clusters/${id}/acls`, { ...acl, resource_type: 'TRANSACTIONAL_ID' });
    expect(transactional.status).toBe(501);
    expect(transactional.body.message).toMatch(/librdkafka 2\.0\.2/);
    expect(await call(proxy, 'GET', `/v3/clusters/${id}/acls?principal=User:a%00b`)).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^principal must not contain a NUL/) } });
    const deleteWithoutFilter = await call(proxy, 'DELETE', `/v3/clusters/${id}/acls?resource_type=TOPIC`);
    expect(deleteWithoutFilter).toMatchObject({ status: 400, body: { message: 'pattern_type is required to delete ACLs' } });
    // The embedded broker has no ACLs; this real broker has no authorizer.
    const created = await call(proxy, 'POST', `/v3/clusters/${id}/acls`, acl);
    if (broker.name === 'mock') expect(created).toMatchObject({ status: 501, body: { message: expect.stringMatching(/embedded broker/) } });
    else expect(created).toMatchObject({ status: 400, body: { error_code: 40002, message: expect.stringMatching(/no authorizer.*SECURITY_DISABLED/) } });
  });
});

describe('ACLs on a broker with an authorizer', () => {
  const kafka = useSecuredKafka();
  let proxy: RunningProxy;
  let admin: Admin;
  let id: string;

  beforeAll(async () => {
    // The internal listener's principal (ANONYMOUS) is a super user there.
    proxy = await startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '', bootstrapServers: kafka.bootstrapServers, schemaRegistryListeners: '' });
    admin = new Admin({ 'bootstrap.servers': kafka.bootstrapServers });
    id = await clusterIdOf(proxy);
  }, 60_000);
  afterAll(async () => {
    await proxy?.close();
    await admin?.close();
  });

  it('ACLs created through the proxy are what our Admin describes; the proxy searches and deletes them', async () => {
    const principal = `User:${uniqueTopic('carol')}`;
    const acl = { resource_type: 'TOPIC', resource_name: 'orders-', pattern_type: 'PREFIXED', principal, host: '*', operation: 'READ', permission: 'ALLOW' };
    expect((await call(proxy, 'POST', `/v3/clusters/${id}/acls`, acl)).status).toBe(201);
    const batch = await call(proxy, 'POST', `/v3/clusters/${id}/acls:batch`, {
      data: [
        { ...acl, resource_type: 'GROUP', resource_name: 'billing', pattern_type: 'LITERAL' },
        { ...acl, resource_type: 'CLUSTER', resource_name: 'kafka-cluster', pattern_type: 'LITERAL', operation: 'DESCRIBE', permission: 'DENY' },
      ],
    });
    expect(batch.status).toBe(201);
    const described = (await admin.describeAcls({ principal })).map((a) => `${a.resourceType} ${a.resourceName} ${a.patternType} ${a.operation} ${a.permission}`).sort();
    expect(described).toEqual(['cluster kafka-cluster literal describe deny', 'group billing literal read allow', 'topic orders- prefixed read allow']);

    const search = await call(proxy, 'GET', `/v3/clusters/${id}/acls?principal=${encodeURIComponent(principal)}&resource_type=TOPIC`);
    expect(search.status).toBe(200);
    expect(search.body).toEqual({
      kind: 'KafkaAclList',
      metadata: { self: `${proxy.url}/v3/clusters/${id}/acls?principal=${encodeURIComponent(principal)}&resource_type=TOPIC` },
      data: [
        {
          kind: 'KafkaAcl',
          metadata: { self: `${proxy.url}/v3/clusters/${id}/acls?${new URLSearchParams({ resource_type: 'TOPIC', resource_name: 'orders-', pattern_type: 'PREFIXED', principal, host: '*', operation: 'READ', permission: 'ALLOW' })}` },
          cluster_id: id,
          ...acl,
        },
      ],
    });

    const deleted = await call(proxy, 'DELETE', `/v3/clusters/${id}/acls?resource_type=ANY&pattern_type=ANY&operation=ANY&permission=ANY&principal=${encodeURIComponent(principal)}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.data.map((a: { resource_type: string }) => a.resource_type).sort()).toEqual(['CLUSTER', 'GROUP', 'TOPIC']);
    expect(await admin.describeAcls({ principal })).toEqual([]);
  });
});
