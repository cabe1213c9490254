// The Confluent REST Proxy flows of the documents the project was created from, replayed request
// by request exactly as they are written (../shared/seeds/): the REST Proxy README's JSON and
// binary quickstarts and its metadata calls, and the kdb+/q session. Kafka-Pixy's quickstart is
// in proxy-pixy.test.ts. Each runs on both brokers, against a proxy over real HTTP.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULTS, startProxy, type RunningProxy } from '../lib/proxy';
import { testBrokers, useBroker } from './brokers';
import { httpRequest, type HttpReply } from './http';

/** One HTTP request, as curl or q's req send it (a GET may carry a body, as q's does). */
function curl(method: string, url: string, headers: { [name: string]: string } = {}, data?: string): Promise<HttpReply> {
  return httpRequest(url, { method, headers, body: data });
}

/** The README's Avro quickstart, request by request, against the proxy at `base` whose registry is at `registryUrl`. */
async function avroQuickstart(base: string, registryUrl: string): Promise<void> {
  const produced = await curl(
    'POST',
    `${base}/topics/avrotest`,
    { 'Content-Type': 'application/vnd.kafka.avro.v1+json' },
    '{"value_schema": "{\\"type\\": \\"record\\", \\"name\\": \\"User\\", \\"fields\\": [{\\"name\\": \\"name\\", \\"type\\": \\"string\\"}]}", "records": [{"value": {"name": "testUser"}}]}',
  );
  // The id is the one the registry gave the schema (21 in the README's registry).
  const registered = await curl('GET', `${registryUrl}/subjects/avrotest-value/versions/latest`);
  expect(registered.body).toMatchObject({ subject: 'avrotest-value', version: 1, schema: '{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}' });
  expect(produced.body).toEqual({ offsets: [{ partition: 0, offset: 0, error_code: null, error: null }], key_schema_id: null, value_schema_id: registered.body.id });

  const created = await curl('POST', `${base}/consumers/my_avro_consumer`, { 'Content-Type': 'application/vnd.kafka.v1+json' }, '{"name": "my_consumer_instance", "format": "avro", "auto.offset.reset": "smallest"}');
  expect(created.body).toEqual({ instance_id: 'my_consumer_instance', base_uri: `${base}/consumers/my_avro_consumer/instances/my_consumer_instance` });

  const consumed = await curl('GET', `${base}/consumers/my_avro_consumer/instances/my_consumer_instance/topics/avrotest`, { Accept: 'application/vnd.kafka.avro.v1+json' });
  expect(consumed.body).toEqual([{ key: null, value: { name: 'testUser' }, partition: 0, offset: 0 }]);

  const deleted = await curl('DELETE', `${base}/consumers/my_avro_consumer/instances/my_consumer_instance`);
  expect(deleted).toMatchObject({ status: 204, text: '' });
}

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  let proxy: RunningProxy;
  let base: string;
  beforeAll(async () => {
    // On the embedded broker as `npm start` runs it (the proxy starts its own), or on the real one.
    proxy = await startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '', bootstrapServers: broker.name === 'mock' ? '' : broker.bootstrapServers });
    base = proxy.url;
  });
  afterAll(() => proxy.close());

  describe('the REST Proxy README (seed 001)', () => {
    it('Produce and Consume Avro Messages (the embedded Schema Registry)', () => avroQuickstart(base, proxy.schemaRegistryUrl!));

    it('Produce and Consume JSON Messages', async () => {
      const produced = await curl('POST', `${base}/topics/jsontest`, { 'Content-Type': 'application/vnd.kafka.json.v1+json' }, '{"records":[{"value":{"foo":"bar"}}]}');
      expect(produced.body).toEqual({ offsets: [{ partition: 0, offset: 0, error_code: null, error: null }], key_schema_id: null, value_schema_id: null });

      const created = await curl('POST', `${base}/consumers/my_json_consumer`, { 'Content-Type': 'application/vnd.kafka.v1+json' }, '{"name": "my_consumer_instance", "format": "json", "auto.offset.reset": "smallest"}');
      expect(created.body).toEqual({ instance_id: 'my_consumer_instance', base_uri: `${base}/consumers/my_json_consumer/instances/my_consumer_instance` });

      const consumed = await curl('GET', `${base}/consumers/my_json_consumer/instances/my_consumer_instance/topics/jsontest`, { Accept: 'application/vnd.kafka.json.v1+json' });
      expect(consumed.body).toEqual([{ key: null, value: { foo: 'bar' }, partition: 0, offset: 0 }]);

      const deleted = await curl('DELETE', `${base}/consumers/my_json_consumer/instances/my_consumer_instance`);
      expect(deleted).toMatchObject({ status: 204, text: '' });
    });

    it('Produce and Consume Binary Messages', async () => {
      const produced = await curl('POST', `${base}/topics/binarytest`, { 'Content-Type': 'application/vnd.kafka.binary.v1+json' }, '{"records":[{"value":"S2Fma2E="}]}');
      expect(produced.body).toEqual({ offsets: [{ partition: 0, offset: 0, error_code: null, error: null }], key_schema_id: null, value_schema_id: null });

      const created = await curl('POST', `${base}/consumers/my_binary_consumer`, { 'Content-Type': 'application/vnd.kafka.v1+json' }, '{"name": "my_consumer_instance", "format": "binary", "auto.offset.reset": "smallest"}');
      expect(created.body).toEqual({ instance_id: 'my_consumer_instance', base_uri: `${base}/consumers/my_binary_consumer/instances/my_consumer_instance` });

      const consumed = await curl('GET', `${base}/consumers/my_binary_consumer/instances/my_consumer_instance/topics/binarytest`, { Accept: 'application/vnd.kafka.binary.v1+json' });
      expect(consumed.body).toEqual([{ key: null, value: 'S2Fma2E=', partition: 0, offset: 0 }]);

      const deleted = await curl('DELETE', `${base}/consumers/my_binary_consumer/instances/my_consumer_instance`);
      expect(deleted).toMatchObject({ status: 204, text: '' });
    });

    it('Inspect Topic Metadata (after the three quickstarts)', async () => {
      const topics = await curl('GET', `${base}/topics`);
      expect(topics.body).toEqual(expect.arrayContaining(['avrotest', 'binarytest', 'jsontest']));
      const topic = await curl('GET', `${base}/topics/jsontest`);
      expect(topic.body).toMatchObject({ name: 'jsontest', configs: expect.any(Object), partitions: [{ partition: 0, leader: expect.any(Number), replicas: [expect.objectContaining({ leader: true, in_sync: true })] }] });
      const partitions = await curl('GET', `${base}/topics/jsontest/partitions`);
      expect(partitions.body).toEqual(topic.body.partitions);
    });
  });

  describe('the kdb+/q session (seed 000)', () => {
    // The q session's -18! bytes of a table stand here for any binary value.
    const data = Buffer.from('kdb+ IPC bytes of a 5-row table \u0000\u0001\u0002').toString('base64');
    const producerHeaders = { 'Content-Type': 'application/vnd.kafka.binary.v2+json', Accept: 'application/vnd.kafka.v2+json' };
    const header = { 'Content-Type': 'application/vnd.kafka.v2+json' };
    const consumerHeaders = { Accept: 'application/vnd.kafka.binary.v2+json' };
    const consumerSettings = JSON.stringify({ name: 'myConsumer', format: 'binary', 'auto.offset.reset': 'earliest' });
    const onePartition = JSON.stringify({ partitions: [{ topic: 'data', partition: 0 }] });

    it('publish, consume, the committed offsets as the consumer goes, seek to the beginning, delete', async () => {
      const published = await curl('POST', `${base}/topics/data`, producerHeaders, `{"records":[{"value":"${data}"}]}`);
      expect(published.text).toBe('{"offsets":[{"partition":0,"offset":0,"error_code":null,"error":null}],"key_schema_id":null,"value_schema_id":null}');

      const postResponse = (await curl('POST', `${base}/consumers/myConsumerGroup`, header, consumerSettings)).body;
      const baseURI: string = postResponse.base_uri;
      expect((await curl('POST', `${baseURI}/subscription`, header, '{"topics":["data"]}')).status).toBe(204);

      // The first GET after subscribing returns the record.
      const records = await curl('GET', `${baseURI}/records`, consumerHeaders);
      expect(records.body).toEqual([{ topic: 'data', key: null, value: data, partition: 0, offset: 0 }]);

      // Nothing is committed yet; the next GET commits what the previous one returned.
      expect((await curl('GET', `${baseURI}/offsets`, header, onePartition)).text).toBe('{"offsets":[]}');
      expect((await curl('GET', `${baseURI}/records`, consumerHeaders)).text).toBe('[]');
      expect((await curl('GET', `${baseURI}/offsets`, header, onePartition)).body).toEqual({ offsets: [{ topic: 'data', partition: 0, offset: 1, metadata: '' }] });

      // Seek to the beginning and read the record again.
      expect((await curl('POST', `${baseURI}/positions/beginning`, header, onePartition)).status).toBe(204);
      expect((await curl('GET', `${baseURI}/records`, consumerHeaders)).body).toEqual([{ topic: 'data', key: null, value: data, partition: 0, offset: 0 }]);

      expect((await curl('DELETE', baseURI, header)).status).toBe(204);
      const gone = await curl('GET', `${baseURI}/records`, consumerHeaders);
      expect(gone).toMatchObject({ status: 404, body: { error_code: 40403 } });
    });
  });
});

describe.runIf(process.env.RDKAFKA_TEST_BROKERS !== 'mock')('the Avro quickstart (seed 001) with a real Schema Registry (Apicurio)', () => {
  let proxy: RunningProxy;
  beforeAll(async () => {
    // The proxy's own embedded broker (the README's offsets start at 0), the run's Apicurio.
    proxy = await startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '', bootstrapServers: '', schemaRegistryUrl: inject('schemaRegistryUrl') });
  });
  afterAll(() => proxy.close());

  it('Produce and Consume Avro Messages', () => avroQuickstart(proxy.url, inject('schemaRegistryUrl')));
});
