// Schema Registry serdes through the public Producer and Consumer: round trips of each format,
// subject name strategies, registration choices, evolution and bad input. Each runs against the
// embedded registry and Apicurio, on both brokers.
import { AvroDeserializer, AvroSerializer, Compatibility, JsonDeserializer, JsonSerializer, SerdeType } from '@confluentinc/schemaregistry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer, Producer, registryClient, SchemaDeserializer, SchemaError, SchemaSerializer, startEmbeddedRegistry, type Record } from '../lib';
import { testBrokers, useBroker } from './brokers';
import { consumerConfig, uniqueTopic } from './helpers';
import { testRegistries, useRegistry } from './registries';

const USER = {
  type: 'record',
  name: 'User',
  namespace: 'com.example',
  fields: [
    { name: 'name', type: 'string' },
    { name: 'age', type: ['null', 'int'], default: null },
    { name: 'address', type: { type: 'record', name: 'Address', fields: [{ name: 'city', type: 'string' }, { name: 'zip', type: ['null', 'string', 'int'], default: null }] } },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ],
};
const KEY = { type: 'record', name: 'UserKey', namespace: 'com.example', fields: [{ name: 'id', type: 'long' }] };

/** Reads `count` records of partition 0 of `topic` from the start, decoded by `consumer`'s deserializers. */
async function readBack<V, K>(consumer: Consumer<V, K>, topic: string, count: number): Promise<Array<Record<V, K>>> {
  consumer.assign([{ topic, partition: 0, offset: 0 }]);
  const records: Array<Record<V, K>> = [];
  const deadline = performance.now() + 30_000;
  while (records.length < count && performance.now() < deadline) records.push(...(await consumer.consumeBatch(count - records.length, 1000)));
  return records;
}

describe.each(testRegistries())('$name registry', (registry) => {
  useRegistry(registry);

  describe.each(testBrokers())('$name broker', (broker) => {
    useBroker(broker);
    const clients: Array<{ close(): Promise<void> }> = [];
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
    });
    const consumerFor = <V, K>(options: ConstructorParameters<typeof Consumer<V, K>>[2]) => {
      const consumer = new Consumer<V, K>(consumerConfig(broker.bootstrapServers, uniqueTopic('group')), undefined, options);
      clients.push(consumer);
      return consumer;
    };
    const producerFor = <V, K>(options: ConstructorParameters<typeof Producer<V, K>>[1]) => {
      const producer = new Producer<V, K>({ 'bootstrap.servers': broker.bootstrapServers, 'linger.ms': 1 }, options);
      clients.push(producer);
      return producer;
    };
    let client: ReturnType<typeof registryClient>;
    beforeAll(() => {
      client = registryClient({ url: registry.url });
    });

    it('Avro keys and values with nested records and unions go through send and come back from for await', async () => {
      const topic = uniqueTopic('avro');
      await broker.createTopic(topic, 1);
      const producer = producerFor<object, object>({
        valueSerializer: new SchemaSerializer(client, { type: 'AVRO', schema: USER }),
        keySerializer: new SchemaSerializer(client, { type: 'AVRO', part: 'key', schema: KEY }),
      });
      const users = [
        { name: 'ada', age: 36, address: { city: 'London', zip: 'N1' }, tags: ['math'] },
        { name: 'bob', age: null, address: { city: 'Paris', zip: 75001 }, tags: [] },
      ];
      for (const [i, user] of users.entries()) await producer.send({ topic, key: { id: i + 1 }, payload: user });
      const consumer = consumerFor<unknown, unknown>({ valueDeserializer: new SchemaDeserializer(client), keyDeserializer: new SchemaDeserializer(client) });
      consumer.assign([{ topic, partition: 0, offset: 0 }]);
      const got: Array<[unknown, unknown]> = [];
      for await (const record of consumer) {
        got.push([record.decodedKey, record.decodedValue]);
        if (got.length === users.length) break;
      }
      expect(JSON.parse(JSON.stringify(got))).toEqual(users.map((u, i) => [{ id: i + 1 }, u]));
      // Registered under the topic's subjects, and the wire format names them.
      const valueId = (await client.getLatestSchemaMetadata(`${topic}-value`)).id;
      const keyId = (await client.getLatestSchemaMetadata(`${topic}-key`)).id;
      expect(valueId).toEqual(expect.any(Number));
      expect(keyId).toEqual(expect.any(Number));
    });

    // Not on Apicurio: Confluent's serializers first ask GET /associations/..., a Confluent-only
    // route, and Apicurio 3.3.3 now and then leaves that request unanswered (2 of 4 full runs
    // timed out there, after 10 s and after 30 s); it answers 404 at once otherwise.
    it.skipIf(registry.name === 'apicurio')("Confluent's own Node serializers write the same bytes and read ours (Avro, JSON Schema)", async () => {
      const topic = uniqueTopic('confluent');
      const user = { name: 'ada', age: 36, address: { city: 'London', zip: null }, tags: ['x'] };
      const ours = await new SchemaSerializer(client, { type: 'AVRO', schema: USER }).serialize(topic, user);
      const theirs = await new AvroSerializer(client, SerdeType.VALUE, { useLatestVersion: true }).serialize(topic, user);
      expect(ours).toEqual(theirs);
      expect(await new AvroDeserializer(client, SerdeType.VALUE, {}).deserialize(topic, ours!)).toEqual(user);
      const jsonTopic = uniqueTopic('confluent-json');
      const schema = { type: 'object', properties: { n: { type: 'integer' } } };
      const jsonOurs = await new SchemaSerializer(client, { type: 'JSON', schema }).serialize(jsonTopic, { n: 1 });
      const jsonTheirs = await new JsonSerializer(client, SerdeType.VALUE, { useLatestVersion: true }).serialize(jsonTopic, { n: 1 });
      expect(jsonOurs).toEqual(jsonTheirs);
      expect(await new JsonDeserializer(client, SerdeType.VALUE, {}).deserialize(jsonTopic, jsonOurs!)).toEqual({ n: 1 });
    });

    it('JSON Schema with a $ref to a registered schema, and Protobuf with a nested message and an import', async () => {
      const topic = uniqueTopic('refs');
      await broker.createTopic(topic, 1);
      const addressSubject = `${topic}-address`;
      await client.register(addressSubject, { schemaType: 'JSON', schema: JSON.stringify({ $id: 'address.json', type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }) });
      const person = { title: 'Person', type: 'object', properties: { name: { type: 'string' }, address: { $ref: 'address.json' } }, required: ['name', 'address'] };
      const jsonSerializer = new SchemaSerializer(client, { type: 'JSON', schema: person, references: [{ name: 'address.json', subject: addressSubject, version: 1 }] });
      const commonSubject = `${topic}-common`;
      await client.register(commonSubject, { schemaType: 'PROTOBUF', schema: 'syntax = "proto3";\npackage common;\nmessage Money { string currency = 1; int64 units = 2; }\n' });
      const orderProto = 'syntax = "proto3";\npackage shop;\nimport "common.proto";\nmessage Order {\n  string id = 1;\n  message Line { string sku = 1; int32 quantity = 2; }\n  repeated Line lines = 2;\n  common.Money total = 3;\n}\n';
      const protoSerializer = new SchemaSerializer(client, { type: 'PROTOBUF', part: 'key', schema: orderProto, references: [{ name: 'common.proto', subject: commonSubject, version: 1 }] });
      const producer = producerFor<object, object>({ valueSerializer: jsonSerializer, keySerializer: protoSerializer });
      const order = { id: 'o-1', lines: [{ sku: 'tea', quantity: 2 }], total: { currency: 'EUR', units: '7' } };
      const personValue = { name: 'ada', address: { city: 'London' } };
      await producer.send({ topic, key: order, payload: personValue });
      // A value that breaks the referenced schema is refused before it is sent.
      await expect(producer.send({ topic, key: order, payload: { name: 'bob', address: {} } })).rejects.toMatchObject({ name: 'SchemaError', kind: 'invalid-data' });
      const consumer = consumerFor<unknown, unknown>({ valueDeserializer: new SchemaDeserializer(client), keyDeserializer: new SchemaDeserializer(client) });
      const [record, ...more] = await readBack(consumer, topic, 1);
      expect(more).toEqual([]);
      expect(record.decodedValue).toEqual(personValue);
      expect(record.decodedKey).toEqual(order);
    });

    it('record and topic-record subject name strategies register under the record name', async () => {
      const topic = uniqueTopic('strategy');
      await broker.createTopic(topic, 1);
      const named = { ...USER, name: `U${topic.replace(/-/g, '_')}` };
      const record = new SchemaSerializer(client, { type: 'AVRO', schema: named, subjectNameStrategy: 'record' });
      const topicRecord = new SchemaSerializer(client, { type: 'AVRO', schema: named, subjectNameStrategy: 'topic-record' });
      const producer = producerFor<object, never>({ valueSerializer: record });
      const value = { name: 'ada', age: null, address: { city: 'Oslo', zip: null }, tags: [] };
      await producer.send({ topic, payload: value });
      expect(await topicRecord.prepare(topic)).toEqual({ id: expect.any(Number), subject: `${topic}-com.example.${named.name}` });
      expect((await client.getLatestSchemaMetadata(`com.example.${named.name}`)).schema).toContain(named.name);
      expect((await client.getLatestSchemaMetadata(`${topic}-com.example.${named.name}`)).id).toEqual(expect.any(Number));
      // The record names of the other formats: a Protobuf message's full name, a JSON Schema's title.
      const message = `M${topic.replace(/-/g, '_')}`;
      const proto = new SchemaSerializer(client, { type: 'PROTOBUF', schema: `syntax = "proto3";\npackage shop;\nmessage Other { int32 a = 1; }\nmessage ${message} { string s = 1; }\n`, messageName: `shop.${message}`, subjectNameStrategy: 'topic-record' });
      expect(await proto.prepare(topic)).toEqual({ id: expect.any(Number), subject: `${topic}-shop.${message}` });
      const titled = new SchemaSerializer(client, { type: 'JSON', schema: { title: `T${topic}`, type: 'object', properties: { a: { type: 'integer' } } }, subjectNameStrategy: 'record' });
      expect(await titled.prepare(topic)).toEqual({ id: expect.any(Number), subject: `T${topic}` });
      const bytes = await proto.serialize(topic, { s: 'x' });
      expect([...bytes!.subarray(5, 7)]).toEqual([2, 2]); // message indexes [1]: count 1, index 1, zigzag varints
      expect(await new SchemaDeserializer(client).deserialize(topic, bytes)).toEqual({ s: 'x' });
      await expect(new SchemaSerializer(client, { type: 'AVRO', schema: '"string"', subjectNameStrategy: 'record' }).serialize(topic, 'x')).rejects.toMatchObject({ kind: 'invalid-schema', message: expect.stringContaining('needs a named record') });
    });

    it('produceBatch encodes without waiting once the schema is resolved, and consumeBatch decodes', async () => {
      const topic = uniqueTopic('batch');
      await broker.createTopic(topic, 1);
      const serializer = new SchemaSerializer<{ n: number }>(client, { type: 'AVRO', schema: { type: 'record', name: 'N', fields: [{ name: 'n', type: 'int' }] } });
      const producer = producerFor<{ n: number }, never>({ valueSerializer: serializer });
      expect(() => producer.produceBatch(topic, [{ n: 0 }])).toThrow(/prepare/);
      await serializer.prepare(topic);
      const values = Array.from({ length: 50 }, (_, n) => ({ n }));
      expect(producer.produceBatch(topic, values).count).toBe(50);
      await producer.flush();
      const consumer = consumerFor<{ n: number }, unknown>({ valueDeserializer: new SchemaDeserializer<{ n: number }>(client) });
      const records = await readBack(consumer, topic, 50);
      expect(records.map((r) => r.decodedValue)).toEqual(values);
    });

    it('produceBatch writes a batch into one buffer: a tombstone and a record far larger than the rest keep their place; a bad record refuses the batch, naming its field, and sends none', async () => {
      const topic = uniqueTopic('packed');
      await broker.createTopic(topic, 1);
      const serializer = new SchemaSerializer<{ n: number; text: string } | null>(client, {
        type: 'AVRO',
        schema: { type: 'record', name: 'P', fields: [{ name: 'n', type: 'int' }, { name: 'text', type: 'string' }] },
      });
      const producer = producerFor<{ n: number; text: string } | null, never>({ valueSerializer: serializer });
      await serializer.prepare(topic);
      const bad = [{ n: 1, text: 'ok' }, { n: 2, text: 3 as unknown as string }];
      expect(() => producer.produceBatch(topic, bad)).toThrow(expect.objectContaining({ name: 'SchemaError', kind: 'invalid-data', message: expect.stringContaining('field text') }));
      const values = [{ n: 0, text: 'a' }, null, { n: 2, text: 'x'.repeat(300_000) }, ...Array.from({ length: 500 }, (_, i) => ({ n: i + 3, text: `small ${i}` }))];
      expect(producer.produceBatch(topic, values).count).toBe(values.length);
      await producer.flush();
      const consumer = consumerFor<unknown, unknown>({ valueDeserializer: new SchemaDeserializer(client) });
      const records = await readBack(consumer, topic, values.length);
      // The refused batch sent nothing: the first record on the topic is the good batch's first.
      expect(records.map((r) => r.decodedValue ?? null)).toEqual(values);
      expect(records[1].payload).toBeNull();
    });

    it('records larger than the encoder\'s 64 KiB slab, and thousands of small ones kept together, keep their own bytes', async () => {
      const topic = uniqueTopic('slab');
      const serializer = new SchemaSerializer<{ text: string }>(client, { type: 'AVRO', schema: { type: 'record', name: 'T', fields: [{ name: 'text', type: 'string' }] } });
      const values = [{ text: 'a'.repeat(200_000) }, ...Array.from({ length: 3000 }, (_, i) => ({ text: `value ${i} ${'x'.repeat(i % 50)}` })), { text: 'b'.repeat(70_000) }];
      const encoded = await Promise.all(values.map((v) => serializer.serialize(topic, v)));
      const deserializer = new SchemaDeserializer(client);
      const decoded = await Promise.all(encoded.map((bytes) => deserializer.deserialize(topic, bytes)));
      expect(decoded).toEqual(values);
    });

    it('auto-registration off looks the schema up; use.latest.version writes with the latest version', async () => {
      const topic = uniqueTopic('latest');
      const schema = { type: 'record', name: 'L', fields: [{ name: 'a', type: 'string' }] };
      const lookupOnly = new SchemaSerializer(client, { type: 'AVRO', schema, autoRegister: false });
      await expect(lookupOnly.serialize(topic, { a: 'x' })).rejects.toMatchObject({ kind: 'not-found' });
      const id = await client.register(`${topic}-value`, { schemaType: 'AVRO', schema: JSON.stringify(schema) });
      expect((await lookupOnly.serialize(topic, { a: 'x' }))!.readInt32BE(1)).toBe(id);
      const latest = new SchemaSerializer(client, { type: 'AVRO', useLatestVersion: true });
      const bytes = await latest.serialize(topic, { a: 'y' });
      expect(bytes!.readInt32BE(1)).toBe(id);
      expect(await new SchemaDeserializer(client).deserialize(topic, bytes)).toEqual({ a: 'y' });
    });

    it('evolution: a compatible change is a new version and old data still decodes; an incompatible one is refused with 409', async () => {
      const topic = uniqueTopic('evolve');
      const v1 = { type: 'record', name: 'E', fields: [{ name: 'a', type: 'string' }] };
      const v2 = { type: 'record', name: 'E', fields: [{ name: 'a', type: 'string' }, { name: 'b', type: 'int', default: 0 }] };
      const bad = { type: 'record', name: 'E', fields: [{ name: 'c', type: 'int' }] };
      const old = await new SchemaSerializer(client, { type: 'AVRO', schema: v1 }).serialize(topic, { a: 'old' });
      // BACKWARD is Confluent's (and the embedded registry's) default; Apicurio has no rule until one is set.
      await client.updateCompatibility(`${topic}-value`, Compatibility.BACKWARD);
      const next = await new SchemaSerializer(client, { type: 'AVRO', schema: v2 }).serialize(topic, { a: 'new', b: 2 });
      expect(await client.getAllVersions(`${topic}-value`)).toEqual([1, 2]);
      expect(next!.readInt32BE(1)).not.toBe(old!.readInt32BE(1));
      const deserializer = new SchemaDeserializer(client);
      expect(await deserializer.deserialize(topic, old)).toEqual({ a: 'old' });
      expect(await deserializer.deserialize(topic, next)).toEqual({ a: 'new', b: 2 });
      const refused = await new SchemaSerializer(client, { type: 'AVRO', schema: bad }).serialize(topic, { c: 1 }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(SchemaError);
      expect(refused).toMatchObject({ kind: 'incompatible', registryStatus: 409 });
      expect((refused as Error).message).toContain(`${topic}-value`);
    });

    it('bad input: a schema that does not parse, data that does not match, an unknown schema id, bytes not in the wire format', async () => {
      const topic = uniqueTopic('bad');
      await expect(new SchemaSerializer(client, { type: 'AVRO', schema: '{"type": "record", "name": "X", "fields": [{"name": "a", "type": "nope"}]}' }).serialize(topic, { a: 1 })).rejects.toMatchObject({
        kind: 'invalid-schema',
        message: expect.stringContaining('nope'),
      });
      await expect(new SchemaSerializer(client, { type: 'PROTOBUF', schema: 'message {' }).serialize(topic, {})).rejects.toMatchObject({ kind: 'invalid-schema' });
      const serializer = new SchemaSerializer(client, { type: 'AVRO', schema: USER });
      await expect(serializer.serialize(topic, { name: 'x', age: 'old', address: { city: 'c', zip: null }, tags: [] })).rejects.toMatchObject({
        kind: 'invalid-data',
        message: expect.stringContaining('age'),
      });
      const deserializer = new SchemaDeserializer(client);
      await expect(deserializer.deserialize(topic, Buffer.from([0, 0x7f, 0xff, 0xff, 0x00, 1]))).rejects.toMatchObject({ kind: 'not-found', message: expect.stringContaining(String(0x7fffff00)) });
      await expect(deserializer.deserialize(topic, Buffer.from('plain text'))).rejects.toMatchObject({ kind: 'not-schema-data' });
      expect(() => new SchemaSerializer(client, { type: 'AVRO' })).toThrow(/schema, options.schemaId, options.schemaVersion or options.useLatestVersion/);
    });

    it('a deserializer that fails the same way twice gets two errors, each naming its own record', async () => {
      const topic = uniqueTopic('shared-error');
      await broker.createTopic(topic, 1);
      const producer = producerFor<Buffer, never>({});
      await producer.sendBatch([{ topic, payload: Buffer.from('a') }, { topic, payload: Buffer.from('b') }]);
      const shared = new Error('no schema for you'); // a deserializer may reject every caller with one cached error
      const consumer = consumerFor<unknown, unknown>({ valueDeserializer: { deserialize: () => Promise.reject(shared) } });
      consumer.assign([{ topic, partition: 0, offset: 0 }]);
      const first = await consumer.consumeRecord(30_000).catch((e: Error) => e);
      expect((first as Error).message).toBe(`Cannot deserialize the record at offset 0 of partition 0 of topic '${topic}': no schema for you (it stays next in line; seek('${topic}', 0, 1) skips it)`);
      consumer.seek(topic, 0, 1); // as the message says
      const second = await consumer.consumeRecord(30_000).catch((e: Error) => e);
      expect((second as Error).message).toBe(`Cannot deserialize the record at offset 1 of partition 0 of topic '${topic}': no schema for you (it stays next in line; seek('${topic}', 0, 2) skips it)`);
      expect(shared.message).toBe('no schema for you');
    });

    it('a consumer whose registry is down rejects the read naming the record; the record stays next in line and decodes once the registry is back', async () => {
      const topic = uniqueTopic('down');
      await broker.createTopic(topic, 1);
      // A registry on a port of its own: stopped, then started again on the same port.
      let flaky = await startEmbeddedRegistry('http://127.0.0.1:0');
      const port = new URL(flaky.url).port;
      const flakyClient = registryClient({ url: flaky.url });
      const producer = producerFor<object, never>({ valueSerializer: new SchemaSerializer(flakyClient, { type: 'AVRO', schema: KEY }) });
      await producer.sendBatch([{ topic, payload: { id: 1 } }, { topic, payload: { id: 2 } }]);
      await flaky.close();
      try {
        const consumer = consumerFor<unknown, unknown>({ valueDeserializer: new SchemaDeserializer(flakyClient) });
        consumer.assign([{ topic, partition: 0, offset: 0 }]);
        const failed = await consumer.consumeBatch(10, 30_000).catch((e: unknown) => e);
        expect(failed).toMatchObject({ kind: 'registry-unavailable', message: expect.stringContaining(`offset 0 of partition 0 of topic '${topic}'`) });
        expect((failed as { record: Record }).record.offset).toBe(0);
        flaky = await startEmbeddedRegistry(`http://127.0.0.1:${port}`);
        await registryClient({ url: flaky.url }).register(`${topic}-value`, { schemaType: 'AVRO', schema: JSON.stringify(KEY) }); // id 1 again in a fresh registry
        // The same consumer reads on, without a seek: the records are still next in line.
        const records: Array<Record<unknown, unknown>> = [];
        for (const deadline = performance.now() + 30_000; records.length < 2 && performance.now() < deadline; ) records.push(...(await consumer.consumeBatch(2 - records.length, 1000)));
        expect(records.map((r) => [r.offset, r.decodedValue])).toEqual([
          [0, { id: 1 }],
          [1, { id: 2 }],
        ]);
      } finally {
        await flaky.close();
      }
    });
  });
});
