// The Confluent REST Proxy flows of the documents the project was created from, request by
// request exactly as they are written (../shared/seeds/), against the proxy at `base`: the REST
// Proxy README's quickstarts (seed 001) and the kdb+/q session (seed 000). seeds.test.ts replays
// them against one proxy, proxy-balancer.test.ts through a load balancer in front of three.
// `suffix` names other topics and groups than the documents' (a run that shares a broker with
// seeds.test.ts), so that every offset still starts at 0.
import { expect } from 'vitest';
import { httpRequest, type HttpReply } from './http';

/** One HTTP request, as curl or q's req send it (a GET may carry a body, as q's does). */
export function curl(method: string, url: string, headers: { [name: string]: string } = {}, data?: string): Promise<HttpReply> {
  return httpRequest(url, { method, headers, body: data });
}

/** The README's Avro quickstart, request by request, against the proxy at `base` whose registry is at `registryUrl`. */
export async function avroQuickstart(base: string, registryUrl: string, suffix = ''): Promise<void> {
  const produced = await curl(
    'POST',
    `${base}/topics/avrotest${suffix}`,
    { 'Content-Type': 'application/vnd.kafka.avro.v1+json' },
    '{"value_schema": "{\\"type\\": \\"record\\", \\"name\\": \\"User\\", \\"fields\\": [{\\"name\\": \\"name\\", \\"type\\": \\"string\\"}]}", "records": [{"value": {"name": "testUser"}}]}',
  );
  // The id is the one the registry gave the schema (21 in the README's registry).
  const registered = await curl('GET', `${registryUrl}/subjects/avrotest${suffix}-value/versions/latest`);
  expect(registered.body).toMatchObject({ subject: `avrotest${suffix}-value`, version: 1, schema: '{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}' });
  expect(produced.body).toEqual({ offsets: [{ partition: 0, offset: 0, error_code: null, error: null }], key_schema_id: null, value_schema_id: registered.body.id });

  const created = await curl('POST', `${base}/consumers/my_avro_consumer${suffix}`, { 'Content-Type': 'application/vnd.kafka.v1+json' }, '{"name": "my_consumer_instance", "format": "avro", "auto.offset.reset": "smallest"}');
  expect(created.body).toEqual({ instance_id: 'my_consumer_instance', base_uri: `${base}/consumers/my_avro_consumer${suffix}/instances/my_consumer_instance` });

  const consumed = await curl('GET', `${base}/consumers/my_avro_consumer${suffix}/instances/my_consumer_instance/topics/avrotest${suffix}`, { Accept: 'application/vnd.kafka.avro.v1+json' });
  expect(consumed.body).toEqual([{ key: null, value: { name: 'testUser' }, partition: 0, offset: 0 }]);

  const deleted = await curl('DELETE', `${base}/consumers/my_avro_consumer${suffix}/instances/my_consumer_instance`);
  expect(deleted).toMatchObject({ status: 204, text: '' });
}

export async function jsonQuickstart(base: string, suffix = ''): Promise<void> {
  const produced = await curl('POST', `${base}/topics/jsontest${suffix}`, { 'Content-Type': 'application/vnd.kafka.json.v1+json' }, '{"records":[{"value":{"foo":"bar"}}]}');
  expect(produced.body).toEqual({ offsets: [{ partition: 0, offset: 0, error_code: null, error: null }], key_schema_id: null, value_schema_id: null });

  const created = await curl('POST', `${base}/consumers/my_json_consumer${suffix}`, { 'Content-Type': 'application/vnd.kafka.v1+json' }, '{"name": "my_consumer_instance", "format": "json", "auto.offset.reset": "smallest"}');
  expect(created.body).toEqual({ instance_id: 'my_consumer_instance', base_uri: `${base}/consumers/my_json_consumer${suffix}/instances/my_consumer_instance` });

  const consumed = await curl('GET', `${base}/consumers/my_json_consumer${suffix}/instances/my_consumer_instance/topics/jsontest${suffix}`, { Accept: 'application/vnd.kafka.json.v1+json' });
  expect(consumed.body).toEqual([{ key: null, value: { foo: 'bar' }, partition: 0, offset: 0 }]);

  const deleted = await curl('DELETE', `${base}/consumers/my_json_consumer${suffix}/instances/my_consumer_instance`);
  expect(deleted).toMatchObject({ status: 204, text: '' });
}

export async function binaryQuickstart(base: string, suffix = ''): Promise<void> {
  const produced = await curl('POST', `${base}/topics/binarytest${suffix}`, { 'Content-Type': 'application/vnd.kafka.binary.v1+json' }, '{"records":[{"value":"S2Fma2E="}]}');
  expect(produced.body).toEqual({ offsets: [{ partition: 0, offset: 0, error_code: null, error: null }], key_schema_id: null, value_schema_id: null });

  const created = await curl('POST', `${base}/consumers/my_binary_consumer${suffix}`, { 'Content-Type': 'application/vnd.kafka.v1+json' }, '{"name": "my_consumer_instance", "format": "binary", "auto.offset.reset": "smallest"}');
  expect(created.body).toEqual({ instance_id: 'my_consumer_instance', base_uri: `${base}/consumers/my_binary_consumer${suffix}/instances/my_consumer_instance` });

  const consumed = await curl('GET', `${base}/consumers/my_binary_consumer${suffix}/instances/my_consumer_instance/topics/binarytest${suffix}`, { Accept: 'application/vnd.kafka.binary.v1+json' });
  expect(consumed.body).toEqual([{ key: null, value: 'S2Fma2E=', partition: 0, offset: 0 }]);

  const deleted = await curl('DELETE', `${base}/consumers/my_binary_consumer${suffix}/instances/my_consumer_instance`);
  expect(deleted).toMatchObject({ status: 204, text: '' });
}

/** The kdb+/q session: publish, consume, the committed offsets as the consumer goes, seek to the beginning, delete. */
export async function kdbSession(base: string, suffix = ''): Promise<void> {
  // The q session's -18! bytes of a table stand here for any binary value.
  const data = Buffer.from('kdb+ IPC bytes of a 5-row table \u0000\u0001\u0002').toString('base64');
  const producerHeaders = { 'Content-Type': 'application/vnd.kafka.binary.v2+json', Accept: 'application/vnd.kafka.v2+json' };
  const header = { 'Content-Type': 'application/vnd.kafka.v2+json' };
  const consumerHeaders = { Accept: 'application/vnd.kafka.binary.v2+json' };
  const consumerSettings = JSON.stringify({ name: 'myConsumer', format: 'binary', 'auto.offset.reset': 'earliest' });
  const topic = `data${suffix}`;
  const onePartition = JSON.stringify({ partitions: [{ topic, partition: 0 }] });

  const published = await curl('POST', `${base}/topics/${topic}`, producerHeaders, `{"records":[{"value":"${data}"}]}`);
  expect(published.text).toBe('{"offsets":[{"partition":0,"offset":0,"error_code":null,"error":null}],"key_schema_id":null,"value_schema_id":null}');

  const postResponse = (await curl('POST', `${base}/consumers/myConsumerGroup${suffix}`, header, consumerSettings)).body;
  const baseURI: string = postResponse.base_uri;
  expect((await curl('POST', `${baseURI}/subscription`, header, `{"topics":["${topic}"]}`)).status).toBe(204);

  // The first GET after subscribing returns the record.
  const records = await curl('GET', `${baseURI}/records`, consumerHeaders);
  expect(records.body).toEqual([{ topic, key: null, value: data, partition: 0, offset: 0 }]);

  // Nothing is committed yet; the next GET commits what the previous one returned.
  expect((await curl('GET', `${baseURI}/offsets`, header, onePartition)).text).toBe('{"offsets":[]}');
  expect((await curl('GET', `${baseURI}/records`, consumerHeaders)).text).toBe('[]');
  expect((await curl('GET', `${baseURI}/offsets`, header, onePartition)).body).toEqual({ offsets: [{ topic, partition: 0, offset: 1, metadata: '' }] });

  // Seek to the beginning and read the record again.
  expect((await curl('POST', `${baseURI}/positions/beginning`, header, onePartition)).status).toBe(204);
  expect((await curl('GET', `${baseURI}/records`, consumerHeaders)).body).toEqual([{ topic, key: null, value: data, partition: 0, offset: 0 }]);

  expect((await curl('DELETE', baseURI, header)).status).toBe(204);
  const gone = await curl('GET', `${baseURI}/records`, consumerHeaders);
  expect(gone).toMatchObject({ status: 404, body: { error_code: 40403 } });
}
