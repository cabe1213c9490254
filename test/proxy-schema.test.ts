// The REST proxy's schema formats over real HTTP: avro, jsonschema and protobuf produce (v2, v3)
// and consumer instances, what it writes read by the client serdes and the other way round, and
// the error codes of Confluent's proxy. Each runs against the embedded registry and Apicurio, on
// both brokers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer, Producer, registryClient, SchemaDeserializer, SchemaSerializer, startEmbeddedRegistry } from '../lib';
import { DEFAULTS, startProxy, type RunningProxy } from '../lib/proxy';
import { testBrokers, useBroker } from './brokers';
import { consumerConfig, uniqueTopic } from './helpers';
import { httpRequest, type HttpReply } from './http';
import { testRegistries, useRegistry } from './registries';

const AVRO_V2 = 'application/vnd.kafka.avro.v2+json';
const V2 = 'application/vnd.kafka.v2+json';
const USER = JSON.stringify({
  type: 'record',
  name: 'User',
  fields: [
    { name: 'name', type: 'string' },
    { name: 'age', type: ['null', 'int'], default: null },
    { name: 'address', type: { type: 'record', name: 'Address', fields: [{ name: 'city', type: 'string' }] } },
  ],
});
const KEY = JSON.stringify({ type: 'record', name: 'Key', fields: [{ name: 'id', type: 'long' }] });

function post(url: string, contentType: string, body: unknown): Promise<HttpReply> {
  return httpRequest(url, { method: 'POST', headers: { 'Content-Type': contentType }, body: JSON.stringify(body) });
}

describe.each(testRegistries())('$name registry', (registry) => {
  useRegistry(registry);

  describe.each(testBrokers())('$name broker', (broker) => {
    useBroker(broker);
    let proxy: RunningProxy;
    let base: string;
    const clients: Array<{ close(): Promise<void> }> = [];
    beforeAll(async () => {
      proxy = await startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '', bootstrapServers: broker.bootstrapServers, schemaRegistryUrl: registry.url });
      base = proxy.url;
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await proxy.close();
    });

    /** Records of partition 0 of `topic` from offset 0, through a consumer instance of `format` (assigned, no group join). */
    async function readThroughProxy(format: string, topic: string, count: number): Promise<unknown[]> {
      const group = uniqueTopic('rest-group');
      const created = await post(`${base}/consumers/${group}`, V2, { name: 'reader', format, 'auto.offset.reset': 'earliest' });
      expect(created.status).toBe(200);
      const instance = created.body.base_uri as string;
      expect((await post(`${instance}/assignments`, V2, { partitions: [{ topic, partition: 0 }] })).status).toBe(204);
      const rows: unknown[] = [];
      const deadline = performance.now() + 30_000;
      while (rows.length < count && performance.now() < deadline) {
        const read = await httpRequest(`${instance}/records?timeout=1000`, { headers: { Accept: `application/vnd.kafka.${format}.v2+json` } });
        expect(read.status).toBe(200);
        rows.push(...(read.body as unknown[]));
      }
      await httpRequest(instance, { method: 'DELETE' });
      return rows;
    }

    async function endOffset(topic: string): Promise<number | undefined> {
      const reply = await httpRequest(`${base}/topics/${topic}/partitions/0/offsets`);
      return reply.status === 404 ? undefined : reply.body.end_offset;
    }

    it('v2 avro: keys and values with key_schema / value_schema, then by id; a consumer instance returns them as JSON', async () => {
      const topic = uniqueTopic('avro');
      await broker.createTopic(topic, 1);
      const first = await post(`${base}/topics/${topic}`, AVRO_V2, {
        key_schema: KEY,
        value_schema: USER,
        records: [{ key: { id: 1 }, value: { name: 'ada', age: { int: 36 }, address: { city: 'London' } } }],
      });
      expect(first.status).toBe(200);
      const client = registryClient({ url: registry.url });
      const keyId = (await client.getLatestSchemaMetadata(`${topic}-key`)).id;
      const valueId = (await client.getLatestSchemaMetadata(`${topic}-value`)).id;
      expect(first.body).toEqual({ offsets: [{ partition: 0, offset: 0, error_code: null, error: null }], key_schema_id: keyId, value_schema_id: valueId });
      const second = await post(`${base}/topics/${topic}`, AVRO_V2, { key_schema_id: keyId, value_schema_id: valueId, records: [{ key: { id: 2 }, value: { name: 'bob', age: null, address: { city: 'Paris' } } }] });
      expect(second.body).toMatchObject({ offsets: [{ partition: 0, offset: 1 }], key_schema_id: keyId, value_schema_id: valueId });
      const rows = await readThroughProxy('avro', topic, 2);
      expect(rows).toEqual([
        { topic, key: { id: 1 }, value: { name: 'ada', age: { int: 36 }, address: { city: 'London' } }, partition: 0, offset: 0 },
        { topic, key: { id: 2 }, value: { name: 'bob', age: null, address: { city: 'Paris' } }, partition: 0, offset: 1 },
      ]);
    });

    it('what the proxy writes in Avro the client Consumer decodes, the other way round too, byte for byte the same', async () => {
      const topic = uniqueTopic('interop');
      await broker.createTopic(topic, 1);
      const value = { name: 'ada', age: 36, address: { city: 'London' } };
      const viaProxy = await post(`${base}/topics/${topic}`, AVRO_V2, { value_schema: USER, records: [{ value: { ...value, age: { int: 36 } } }] });
      expect(viaProxy.status).toBe(200);
      const client = registryClient({ url: registry.url });
      const producer = new Producer<object, never>({ 'bootstrap.servers': broker.bootstrapServers }, { valueSerializer: new SchemaSerializer(client, { type: 'AVRO', schema: USER }) });
      clients.push(producer);
      await producer.send({ topic, payload: value });
      // The raw bytes: the same schema id and the same Avro encoding from both sides.
      const raw = new Consumer(consumerConfig(broker.bootstrapServers, uniqueTopic('raw')));
      const decoding = new Consumer<unknown, unknown>(consumerConfig(broker.bootstrapServers, uniqueTopic('decoding')), undefined, { valueDeserializer: new SchemaDeserializer(client) });
      clients.push(raw, decoding);
      raw.assign([{ topic, partition: 0, offset: 0 }]);
      decoding.assign([{ topic, partition: 0, offset: 0 }]);
      const [a, b] = [(await raw.consumeRecord(30_000))!, (await raw.consumeRecord(30_000))!];
      expect(a.payload!.readInt32BE(1)).toBe(viaProxy.body.value_schema_id);
      expect(b.payload).toEqual(a.payload);
      const decoded = [(await decoding.consumeRecord(30_000))!.decodedValue, (await decoding.consumeRecord(30_000))!.decodedValue];
      expect(JSON.parse(JSON.stringify(decoded))).toEqual([value, value]);
      // And the proxy's consumer instance reads what the client wrote.
      expect((await readThroughProxy('avro', topic, 2)).map((row) => (row as { value: unknown }).value)).toEqual([
        { ...value, age: { int: 36 } },
        { ...value, age: { int: 36 } },
      ]);
    });

    it('v2 jsonschema and protobuf (a nested message): produce with value_schema, consume as JSON', async () => {
      const topic = uniqueTopic('json');
      await broker.createTopic(topic, 1);
      const schema = JSON.stringify({ type: 'object', properties: { n: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } }, required: ['n'] });
      const produced = await post(`${base}/topics/${topic}`, 'application/vnd.kafka.jsonschema.v2+json', { value_schema: schema, records: [{ value: { n: 1, tags: ['a'] } }] });
      expect(produced.body).toMatchObject({ offsets: [{ partition: 0, offset: 0 }], key_schema_id: null, value_schema_id: expect.any(Number) });
      expect((await readThroughProxy('jsonschema', topic, 1)).map((r) => (r as { value: unknown }).value)).toEqual([{ n: 1, tags: ['a'] }]);

      const protoTopic = uniqueTopic('proto');
      await broker.createTopic(protoTopic, 1);
      const proto = 'syntax = "proto3";\nmessage Order {\n  string id = 1;\n  message Line { string sku = 1; int32 quantity = 2; }\n  repeated Line lines = 2;\n}\n';
      const order = { id: 'o-1', lines: [{ sku: 'tea', quantity: 2 }] };
      const protoProduced = await post(`${base}/topics/${protoTopic}`, 'application/vnd.kafka.protobuf.v2+json', { value_schema: proto, records: [{ value: order }] });
      expect(protoProduced.body).toMatchObject({ offsets: [{ partition: 0, offset: 0 }], value_schema_id: expect.any(Number) });
      expect((await readThroughProxy('protobuf', protoTopic, 1)).map((r) => (r as { value: unknown }).value)).toEqual([order]);
    });

    it('errors: missing schemas 42201/42202, a schema that does not parse 42205, data that does not fit 42207, an unknown id 404, incompatible 409; nothing is written', async () => {
      const topic = uniqueTopic('errors');
      await broker.createTopic(topic, 1);
      const url = `${base}/topics/${topic}`;
      expect((await post(url, AVRO_V2, { records: [{ value: { name: 'x' } }] })).body).toMatchObject({ error_code: 42202, message: expect.stringContaining('value_schema') });
      expect((await post(url, AVRO_V2, { value_schema: USER, records: [{ key: { id: 1 }, value: { name: 'x', age: null, address: { city: 'c' } } }] })).body).toMatchObject({
        error_code: 42201,
        message: expect.stringContaining('key_schema'),
      });
      const unparsable = await post(url, AVRO_V2, { value_schema: '{"type": "record", "name": "X", "fields": [{"name": "a", "type": "nope"}]}', records: [{ value: { a: 1 } }] });
      expect(unparsable).toMatchObject({ status: 422, body: { error_code: 42205, message: expect.stringContaining('nope') } });
      // The second record does not fit: the first is not written either.
      const mismatch = await post(url, AVRO_V2, { value_schema: USER, records: [{ value: { name: 'ok', age: null, address: { city: 'c' } } }, { value: { name: 'bad', age: 'old', address: { city: 'c' } } }] });
      expect(mismatch).toMatchObject({ status: 422, body: { error_code: 42207, message: expect.stringContaining('records[1].value') } });
      const deep = JSON.parse(`${'['.repeat(3000)}${']'.repeat(3000)}`) as unknown;
      const jsonSchemaType = 'application/vnd.kafka.jsonschema.v2+json';
      expect(await post(url, jsonSchemaType, { value_schema: '{"type": "array"}', records: [{ value: deep }] })).toMatchObject({ status: 422, body: { error_code: 42206, message: expect.stringContaining('records[0].value') } });
      const huge = JSON.stringify({ type: 'record', name: 'Huge', doc: 'x'.repeat(300 * 1024), fields: [{ name: 'a', type: 'int' }] });
      expect(await post(url, AVRO_V2, { value_schema: huge, records: [{ value: { a: 1 } }] })).toMatchObject({ status: 422, body: { error_code: 42205, message: expect.stringContaining('larger than 262144 bytes') } });
      const unknownId = await post(url, AVRO_V2, { value_schema_id: 987654321, records: [{ value: { name: 'x' } }] });
      expect(unknownId).toMatchObject({ status: 404, body: { message: expect.stringContaining('987654321') } });
      expect(await endOffset(topic)).toBe(0);
      // Evolution through the proxy: BACKWARD set on the subject, then a change without a default.
      const client = registryClient({ url: registry.url });
      await client.updateCompatibility(`${topic}-value`, 'BACKWARD' as never);
      const incompatible = await post(url, AVRO_V2, { value_schema: JSON.stringify({ type: 'record', name: 'User', fields: [{ name: 'other', type: 'int' }] }), records: [{ value: { other: 1 } }] });
      expect(incompatible).toMatchObject({ status: 409, body: { error_code: 409, message: expect.stringContaining('incompatible') } });
      expect(await endOffset(topic)).toBe(0);
    });

    it('v3 records: AVRO with a schema, then by schema_id, by subject + schema_version, by strategy (latest); PROTOBUF key with its type inferred from schema_id', async () => {
      const topic = uniqueTopic('v3');
      await broker.createTopic(topic, 1);
      const clusterId = (await httpRequest(`${base}/v3/clusters`)).body.data[0].cluster_id as string;
      const url = `${base}/v3/clusters/${clusterId}/topics/${topic}/records`;
      const value = { name: 'ada', age: null, address: { city: 'Rome' } };
      const first = await post(url, 'application/json', { value: { type: 'AVRO', schema: USER, data: value } });
      expect(first.body).toMatchObject({ error_code: 200, topic_name: topic, offset: 0, value: { type: 'AVRO', size: expect.any(Number) } });
      const client = registryClient({ url: registry.url });
      const { id, version } = await client.getLatestSchemaMetadata(`${topic}-value`);
      expect((await post(url, 'application/json', { value: { type: 'AVRO', schema_id: id, data: value } })).body).toMatchObject({ offset: 1 });
      expect((await post(url, 'application/json', { value: { type: 'AVRO', subject: `${topic}-value`, schema_version: version, data: value } })).body).toMatchObject({ offset: 2 });
      expect((await post(url, 'application/json', { value: { type: 'AVRO', subject_name_strategy: 'TOPIC_NAME', data: value } })).body).toMatchObject({ offset: 3 });
      const keyId = await client.register(`${topic}-key`, { schemaType: 'PROTOBUF', schema: 'syntax = "proto3";\nmessage K { string id = 1; }\n' });
      const keyed = await post(url, 'application/json', { key: { schema_id: keyId, data: { id: 'k1' } }, value: { type: 'AVRO', schema_id: id, data: value } });
      expect(keyed.body).toMatchObject({ offset: 4, key: { type: 'PROTOBUF' }, value: { type: 'AVRO' } });
      // RECORD_NAME: the subject is the record's full name, whatever the topic.
      const recordName = `R${topic.replace(/-/g, '_')}`;
      const named = JSON.stringify({ type: 'record', name: recordName, namespace: 'com.example', fields: [{ name: 'n', type: 'int' }] });
      expect((await post(url, 'application/json', { key: { type: 'AVRO', schema: named, subject_name_strategy: 'RECORD_NAME', data: { n: 1 } }, value: { type: 'AVRO', schema_id: id, data: value } })).body).toMatchObject({ offset: 5 });
      expect((await client.getLatestSchemaMetadata(`com.example.${recordName}`)).schema).toContain(recordName);
      const unknownSubject = await post(url, 'application/json', { value: { type: 'AVRO', subject: `${topic}-nope`, schema_version: 1, data: value } });
      expect(unknownSubject).toMatchObject({ status: 404, body: { message: expect.stringContaining(`${topic}-nope`) } });
      const bad = await post(url, 'application/json', { value: { type: 'AVRO', schema_id: id, data: { name: 1 } } });
      expect(bad).toMatchObject({ status: 422, body: { error_code: 42207 } });
      const deserializer = new SchemaDeserializer(client);
      const raw = new Consumer(consumerConfig(broker.bootstrapServers, uniqueTopic('v3-raw')));
      clients.push(raw);
      raw.assign([{ topic, partition: 0, offset: 0 }]);
      const records = [];
      while (records.length < 6) records.push(...(await raw.consumeBatch(6 - records.length, 30_000)));
      for (const record of records) expect(await deserializer.deserialize(topic, record.payload)).toEqual(value);
      expect(await deserializer.deserialize(topic, records[4].key)).toEqual({ id: 'k1' });
      expect(await deserializer.deserialize(topic, records[5].key)).toEqual({ n: 1 });
      expect(await endOffset(topic)).toBe(6);
    });

    it('a registry that is down is a 503 naming it; a consumer instance answers the same, and reads the record once the registry is back', async () => {
      const topic = uniqueTopic('down');
      await broker.createTopic(topic, 1);
      // A registry on a port of its own: stopped, then started again on the same port.
      let flaky = await startEmbeddedRegistry('http://127.0.0.1:0');
      const port = new URL(flaky.url).port;
      const producer = new Producer<object, never>({ 'bootstrap.servers': broker.bootstrapServers }, { valueSerializer: new SchemaSerializer(registryClient({ url: flaky.url }), { type: 'AVRO', schema: KEY }) });
      clients.push(producer);
      await producer.send({ topic, payload: { id: 7 } });
      await flaky.close();
      const downProxy = await startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '', bootstrapServers: broker.bootstrapServers, schemaRegistryUrl: flaky.url });
      try {
        const refused = await post(`${downProxy.url}/topics/${topic}`, AVRO_V2, { value_schema: KEY, records: [{ value: { id: 1 } }] });
        expect(refused).toMatchObject({ status: 503, body: { error_code: 50301, message: expect.stringContaining(flaky.url) } });
        expect(await endOffset(topic)).toBe(1);
        const created = await post(`${downProxy.url}/consumers/${uniqueTopic('g')}`, V2, { name: 'reader', format: 'avro', 'auto.offset.reset': 'earliest' });
        const instance = created.body.base_uri as string;
        await post(`${instance}/assignments`, V2, { partitions: [{ topic, partition: 0 }] });
        const accept = { Accept: AVRO_V2 };
        let read = await httpRequest(`${instance}/records?timeout=1000`, { headers: accept });
        // Until the record arrives the read is empty; then the registry being down is the answer.
        for (const deadline = performance.now() + 30_000; read.status === 200 && performance.now() < deadline; ) read = await httpRequest(`${instance}/records?timeout=1000`, { headers: accept });
        expect(read).toMatchObject({ status: 503, body: { error_code: 50301, message: expect.stringContaining(flaky.url) } });
        flaky = await startEmbeddedRegistry(`http://127.0.0.1:${port}`);
        await registryClient({ url: flaky.url }).register(`${topic}-value`, { schemaType: 'AVRO', schema: KEY }); // id 1 again in a fresh registry
        read = await httpRequest(`${instance}/records?timeout=1000`, { headers: accept });
        expect(read.body).toEqual([{ topic, key: null, value: { id: 7 }, partition: 0, offset: 0 }]);
      } finally {
        await downProxy.close();
        await flaky.close();
      }
    });
  });
});
