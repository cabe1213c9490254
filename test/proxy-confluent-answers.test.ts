// The exact bytes of the Confluent API's produce answers (v2): clients have compared the text, so
// the answer written from a template must stay what JSON.stringify of its objects wrote, for a
// single record, several, an error record, schema ids, and the error answers of a single record.
import { describe, expect, it } from 'vitest';
import { KafkaError, ErrorCode } from '../lib';
import { produceAnswer } from '../lib/proxy/confluent';
import { RestError } from '../lib/proxy/rest-error';
import type { DeliveryOutcome } from '../lib/producer';
import { testBrokers, useBroker } from './brokers';
import { uniqueTopic, useProxy } from './helpers';
import { httpRequest, type HttpReply } from './http';

const BINARY = 'application/vnd.kafka.binary.v2+json';
const AVRO = 'application/vnd.kafka.avro.v2+json';
/** The answers' Content-Type, as Fastify completes the route's media type for text. */
const V2_TEXT = 'application/vnd.kafka.v2+json; charset=utf-8';

/** ProduceResp as the route built it before the template: objects in Confluent's field order, stringified. */
function stringified(entries: Array<{ partition: number; offset: number } | RestError>, keySchemaId: number | null, valueSchemaId: number | null): string {
  return JSON.stringify({
    offsets: entries.map((e) => (e instanceof RestError ? { partition: null, offset: null, error_code: e.errorCode, error: e.message } : { partition: e.partition, offset: e.offset, error_code: null, error: null })),
    key_schema_id: keySchemaId,
    value_schema_id: valueSchemaId,
  });
}

const delivered = (partition: number, offset: number): DeliveryOutcome => ({ msgid: 1, topic: 't', partition, offset });
const failed = (): DeliveryOutcome => ({ msgid: 0, topic: 't', partition: -1, offset: -1, error: new KafkaError(ErrorCode._UNKNOWN_PARTITION) });

describe('produceAnswer', () => {
  it('writes what JSON.stringify writes for the answer objects: records, error records, schema ids', () => {
    const cases: Array<[Array<{ partition: number; offset: number } | RestError>, number | null, number | null]> = [
      [[{ partition: 0, offset: 0 }], null, null],
      [[{ partition: 5, offset: 2 ** 40 + 7 }, { partition: 0, offset: Number.MAX_SAFE_INTEGER }], 1, 2],
      [[new RestError(404, 40402, 'Partition 7 of topic t not found'), { partition: 1, offset: 3 }], null, 100042],
      // An error text JSON must escape: quotes, a backslash, control and non-ASCII characters.
      [[{ partition: 2, offset: 9 }, new RestError(413, 413, 'The record "x\\y"\n\tis\u0001 larger — é 😀 \u2028')], 7, null],
      [[new RestError(500, 50003, 'Local: Message timed out')], 0, 0],
    ];
    for (const [entries, keyId, valueId] of cases) {
      const outcomes = entries.map((e) => (e instanceof RestError ? failed() : delivered(e.partition, e.offset)));
      const failures = entries.map((e) => (e instanceof RestError ? e : undefined));
      expect(produceAnswer(outcomes, failures, keyId, valueId)).toBe(stringified(entries, keyId, valueId));
    }
  });
});

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  // The default schema settings: an embedded registry beside the proxy, for the avro answers.
  const proxy = useProxy(() => ({ pixyListeners: '', bootstrapServers: broker.bootstrapServers, maxRequestBytes: 2 * 1024 * 1024 }));

  const post = (path: string, contentType: string, body: string | object): Promise<HttpReply> =>
    httpRequest(`${proxy.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  /** An error answer's bytes, as the error handler writes them. */
  const errorText = (errorCode: number, message: string) => JSON.stringify({ error_code: errorCode, message });

  it('a single-record produce answers exactly the text Confluent’s proxy writes, in the v2 media type', async () => {
    const topic = uniqueTopic('answers');
    await broker.createTopic(topic, 1);
    for (const offset of [0, 1]) {
      const reply = await post(`/topics/${topic}`, BINARY, { records: [{ value: b64(`v${offset}`) }] });
      expect(reply.status).toBe(200);
      expect(reply.headers?.['content-type']).toBe(V2_TEXT);
      expect(reply.text).toBe(`{"offsets":[{"partition":0,"offset":${offset},"error_code":null,"error":null}],"key_schema_id":null,"value_schema_id":null}`);
      expect(reply.text).toBe(stringified([{ partition: 0, offset }], null, null));
    }
    const toPartition = await post(`/topics/${topic}/partitions/0`, BINARY, { records: [{ key: b64('k'), value: b64('v') }] });
    expect(toPartition.text).toBe(stringified([{ partition: 0, offset: 2 }], null, null));
  });

  it('several records with an error record among them: the answer text of each, in order', async () => {
    const topic = uniqueTopic('answers');
    await broker.createTopic(topic, 2);
    const reply = await post(`/topics/${topic}`, BINARY, { records: [{ value: b64('a'), partition: 1 }, { value: b64('b'), partition: 7 }, { value: b64('c'), partition: 1 }] });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe(stringified([{ partition: 1, offset: 0 }, new RestError(404, 40402, `Partition 7 of topic ${topic} not found`), { partition: 1, offset: 1 }], null, null));
  });

  it('avro with a key and a value schema: the registry’s ids in the answer text', async () => {
    const topic = uniqueTopic('answers');
    await broker.createTopic(topic, 1);
    const keySchema = JSON.stringify({ type: 'record', name: 'Key', fields: [{ name: 'id', type: 'long' }] });
    const valueSchema = JSON.stringify({ type: 'record', name: 'Value', fields: [{ name: 'name', type: 'string' }] });
    const reply = await post(`/topics/${topic}`, AVRO, { key_schema: keySchema, value_schema: valueSchema, records: [{ key: { id: 1 }, value: { name: 'alice' } }] });
    expect(reply.status).toBe(200);
    const idOf = async (subject: string) => ((await httpRequest(`${proxy.schemaRegistryUrl}/subjects/${subject}/versions/latest`)).body as { id: number }).id;
    const [keyId, valueId] = [await idOf(`${topic}-key`), await idOf(`${topic}-value`)];
    expect(typeof keyId).toBe('number');
    expect(keyId).not.toBe(valueId);
    expect(reply.text).toBe(stringified([{ partition: 0, offset: 0 }], keyId, valueId));
    // Values only, by id: a null key schema id.
    const byId = await post(`/topics/${topic}`, AVRO, { value_schema_id: valueId, records: [{ value: { name: 'bob' } }] });
    expect(byId.text).toBe(stringified([{ partition: 0, offset: 1 }], null, valueId));
  });

  it('the error answers of a single-record produce: their status, media type and text', async () => {
    const topic = uniqueTopic('answers');
    await broker.createTopic(topic, 1);
    const cases: Array<[string, string, string | object, number, string]> = [
      [`/topics/${topic}/partitions/7`, BINARY, { records: [{ value: b64('a') }] }, 404, errorText(40402, `Partition 7 of topic ${topic} not found`)],
      [`/topics/${topic}`, BINARY, { records: [{ value: 'not base64!' }] }, 422, errorText(42206, 'Invalid records[0].value: binary data must be a base64 string')],
      [`/topics/${topic}`, BINARY, '{"records":[{"value":', 400, errorText(400, `Malformed JSON: ${jsonError('{"records":[{"value":')}`)],
      [`/topics/${topic}`, 'text/plain', { records: [{ value: b64('a') }] }, 415, errorText(415, 'Unsupported Content-Type "text/plain": use application/vnd.kafka.{binary,json,avro,jsonschema,protobuf}.v2+json')],
      [`/topics/${topic}`, BINARY, { records: [] }, 422, errorText(422, 'records must be a non-empty array')],
      [`/topics/${topic}`, BINARY, { records: [{ value: b64('a'), partition: -2 }] }, 422, errorText(422, 'records[0].partition must be a partition number')],
      // An integer past Kafka's partition numbers: the producer's own check, worded for the record.
      [`/topics/${topic}`, BINARY, { records: [{ value: b64('a'), partition: 2 ** 40 }] }, 422, errorText(422, 'records[0]: Expected an integer between -1 and 2147483647 for partition but received 1099511627776 of type number')],
      ['/topics/__consumer_offsets', BINARY, { records: [{ value: b64('a') }] }, 400, errorText(40002, "Topic '__consumer_offsets' is internal to Kafka: records cannot be produced to it")],
      [
        `/topics/${topic}`,
        BINARY,
        { records: [{ value: Buffer.alloc(1_000_100, 'x').toString('base64') }] },
        413,
        errorText(413, "The record (1000100 bytes of key and value) is larger than Kafka accepts: the producer's message.max.bytes (librdkafka's default 1000000, set with producer.message.max.bytes) or the topic's max.message.bytes"),
      ],
    ];
    for (const [path, contentType, body, status, text] of cases) {
      const reply = await post(path, contentType, body);
      expect({ path, contentType, status: reply.status, type: reply.headers?.['content-type'], text: reply.text }).toEqual({ path, contentType, status, type: V2_TEXT, text });
    }
    // None of them wrote anything.
    expect((await httpRequest(`${proxy.url}/topics/${topic}/partitions/0/offsets`)).body).toEqual({ beginning_offset: 0, end_offset: 0 });
  });
});

/** JSON.parse's own words for malformed text (they name the position, and differ between Node versions). */
function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${text} is valid JSON`);
}

describe.each(testBrokers())('$name broker, with a producer queue of one message', (broker) => {
  useBroker(broker);
  const proxy = useProxy(() => ({ pixyListeners: '', schemaRegistryListeners: '', bootstrapServers: broker.bootstrapServers, producer: { 'queue.buffering.max.messages': '1', 'linger.ms': '50' } }));

  it('concurrent single-record produces wait for room in the full queue: every one is answered 200 with its own offset, and every record lands', async () => {
    const topic = uniqueTopic('answers-full');
    await broker.createTopic(topic, 1);
    const count = 20;
    const replies = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        httpRequest(`${proxy.url}/topics/${topic}`, { method: 'POST', headers: { 'content-type': BINARY }, body: JSON.stringify({ records: [{ value: Buffer.from(`m${i}`).toString('base64') }] }) }),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(count).fill(200));
    const offsets = replies.map((r) => (r.body as { offsets: Array<{ offset: number; error_code: null }> }).offsets[0].offset).sort((a, b) => a - b);
    expect(offsets).toEqual(Array.from({ length: count }, (_, i) => i));
    expect((await httpRequest(`${proxy.url}/topics/${topic}/partitions/0/offsets`)).body).toEqual({ beginning_offset: 0, end_offset: count });
  });
});
