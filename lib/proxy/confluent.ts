// The Confluent REST Proxy API: v2 in full (binary and json), the v1 consumer subset, v3 records.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Admin, ClusterMetadata } from '../admin';
import { ErrorCode, KafkaError } from '../errors';
import { log, type Logger } from '../logger';
import type { DeliveryOutcome, Producer, ProducerRecord } from '../producer';
import type { Record } from '../record';
import { topicNameProblem } from '../validate';
import { parseAccept, parseMediaType, produceFormat, type EmbeddedFormat } from './content-type';
import { ConsumerInstances, type ConsumerInstance, type RecordFormat } from './consumer-instances';
import type { SubjectNameStrategy } from '../schema/serdes';
import { isSchemaFormat, schemaRestError, type ProxySchemas, type SchemaChoice, type SchemaFormat } from './schema-formats';
import { RestError, fromKafka, invalid, invalidTopicName, notFoundPartition, notFoundTopic } from './rest-error';
import { registerV3GroupRoutes } from './v3-groups';
import { registerV3RecordRoutes } from './v3-records';
import { registerV3AdminRoutes } from './v3-admin';
import { JsonValueCounter, tooManyValues } from './json-values';

/** What the metadata endpoints need from the cluster. */
export interface PartitionView {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}
export interface ClusterView {
  clusterId(): Promise<string>;
  brokers(): Promise<number[]>;
  /** Topic names, internal ones left out. */
  topics(): Promise<string[]>;
  /** Partitions of a topic, or undefined when it does not exist. */
  partitions(topic: string): Promise<PartitionView[] | undefined>;
  configs(topic: string): Promise<{ [key: string]: string }>;
  watermarks(topic: string, partition: number): Promise<{ low: number; high: number }>;
  /**
   * Creates a topic (-1: the broker's default), or with `validateOnly` only checks that it could
   * be; answers its partition count and replication factor. A refusal is a 40002 naming it.
   */
  /** `replicaAssignment`: the brokers of partition 0, 1, ... (the counts are then -1 or agree with it). */
  createTopic(name: string, partitions: number, replicationFactor: number, configs: { [key: string]: string }, validateOnly: boolean, replicaAssignment?: number[][]): Promise<TopicShape>;
  /** Before a produce: creates a missing topic as a Kafka broker with its defaults would (embedded broker only). */
  autoCreate(topic: string): Promise<void>;
  /** Brokers, controller and every topic, internal ones included (the v3 admin routes). */
  metadata(): Promise<ClusterMetadata>;
  /** The Admin client behind the view: configs, partitions and topic deletion (v3-admin.ts). */
  readonly admin: Admin;
}

export interface TopicShape {
  partitionsCount: number;
  replicationFactor: number;
}

export interface ConfluentOptions {
  producer: Producer;
  instances: ConsumerInstances;
  cluster: ClusterView;
  /** Base of the URIs handed to clients, e.g. http://127.0.0.1:8082 */
  advertisedUrl: string;
  maxRequestBytes: number;
  /** Where 5xx answers are logged. */
  logger: Logger;
  /** Most records in one produce request (max.request.records). */
  maxRequestRecords: number;
  /** The Schema Registry behind the avro, jsonschema and protobuf formats; absent: those are refused. */
  schemas?: ProxySchemas;
  /** Who a request counts against, for consumer.max.instances.per.user. */
  clientOf?: (req: FastifyRequest) => string;
  /** max.request.json.values: the native front end's requests are counted here (limitJsonValues counts Fastify's). */
  maxRequestJsonValues?: number;
}

/** An answer of the produce routes: what the Fastify route sends, and the native front end writes. */
export interface ConfluentAnswer {
  status: number;
  contentType: string;
  body: string;
  /** The connection closes after it: Fastify closes it after a body it could not parse. */
  close?: boolean;
}

/** The Confluent routes' logic the native front end calls for the requests it keeps. */
export interface ConfluentRoutes {
  /**
   * POST /topics/{topic}[/partitions/{partition}] with the body as text: every check and answer
   * of the Fastify route (topic name, JSON values, JSON, partition, records, Kafka's outcome).
   */
  produce(contentType: string, bodyText: string, topic: string, pathPartition: string | undefined, url: string): Promise<ConfluentAnswer>;
}

type Params = { [key: string]: string };
type Req = FastifyRequest<{ Params: Params; Querystring: { [key: string]: string | undefined } }>;

const V2 = 'application/vnd.kafka.v2+json';

function integerParam(value: string | undefined, name: string, min = 0): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < min) throw new RestError(404, 404, `Invalid ${name}: ${JSON.stringify(value)}`);
  return n;
}

/** Nesting deeper than this is refused: JSON.stringify recurses, and a few thousand levels overflow its stack. */
const MAX_JSON_DEPTH = 1000;

/** Whether a parsed JSON value nests arrays and objects deeper than `limit` (walked without recursion). */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

/** A 42206 for a JSON value nested deeper than JSON.stringify (and the schema libraries) can walk. */
export function checkDepth(value: unknown, what: string): void {
  if (nestsDeeperThan(value, MAX_JSON_DEPTH)) throw new RestError(422, 42206, `Invalid ${what}: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
}

/** A JSON value as the UTF-8 text stored in Kafka. */
export function jsonBytes(value: unknown, what: string): Buffer {
  checkDepth(value, what);
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Decodes one key or value of a produce request in the request's format. */
export function decode(value: unknown, format: EmbeddedFormat, what: string): Buffer | null {
  if (value === undefined || value === null) return null;
  if (format === 'binary') {
    if (typeof value !== 'string' || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
      throw new RestError(422, 42206, `Invalid ${what}: binary data must be a base64 string`);
    }
    return Buffer.from(value, 'base64');
  }
  return jsonBytes(value, what);
}

/**
 * A consumed key or value as JSON text for the instance's format: base64 in a string, or, for
 * json, the stored text itself (checked, never re-serialized); undefined when it is not JSON.
 */
function jsonText(bytes: Buffer | null, format: RecordFormat): string | undefined {
  if (bytes === null) return 'null';
  if (format === 'binary') return `"${bytes.toString('base64')}"`;
  const text = bytes.toString('utf8');
  try {
    JSON.parse(text);
    return text;
  } catch {
    return undefined;
  }
}

/**
 * A v1/v2 record's headers as Karapace's REST proxy takes them: [{"key": name, "value": base64 or
 * null}]; anything else is a 422 naming the header.
 */
function v2Headers(value: unknown, what: string): Array<[string, Buffer | null]> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new RestError(422, 42206, `${what} must be an array of {"key", "value"} objects`);
  return value.map((h: unknown, i): [string, Buffer | null] => {
    const header = h as { key?: unknown; value?: unknown } | null;
    if (typeof header !== 'object' || header === null || typeof header.key !== 'string' || header.key === '' || header.key.includes('\0')) {
      throw new RestError(422, 42206, `${what}[${i}].key must be a non-empty string without NUL characters`);
    }
    return [header.key, header.value === undefined || header.value === null ? null : decode(header.value, 'binary', `${what}[${i}].value`)];
  });
}

/** A consumed record's headers for a v1/v2 answer, as Karapace adds them: left out when it has none, values in base64. */
function headersField(record: Record): string {
  if (record.headers.length === 0) return '';
  return `,"headers":${JSON.stringify(record.headers.map(([key, value]) => ({ key, value: value === null ? null : value.toString('base64') })))}`;
}

/** The name, or a 40002 naming the rule it breaks (Kafka would refuse it). */
function checkTopicName(name: string): string {
  const problem = topicNameProblem(name);
  if (problem !== undefined) throw invalidTopicName(name, problem);
  return name;
}

/** Kafka's own topics: only the brokers write them. */
const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);

export function producibleTopic(name: string): string {
  if (INTERNAL_TOPICS.has(name)) throw new RestError(400, 40002, `Topic '${name}' is internal to Kafka: records cannot be produced to it`);
  return name;
}

/** Why one record was not produced, as the REST error it is. */
export function produceFailure(error: KafkaError, record: ProducerRecord): RestError {
  if (error.code === ErrorCode._UNKNOWN_PARTITION) return notFoundPartition(record.topic, record.partition ?? -1);
  if (error.code === ErrorCode.MSG_SIZE_TOO_LARGE) {
    const size = (record.key?.length ?? 0) + (record.payload?.length ?? 0);
    return new RestError(
      413,
      413,
      `The record (${size} bytes of key and value) is larger than Kafka accepts: the producer's message.max.bytes (librdkafka's default 1000000, set with producer.message.max.bytes) or the topic's max.message.bytes`,
    );
  }
  return fromKafka(error);
}

/**
 * ProduceResp's text: what JSON.stringify writes for {offsets: [{partition, offset, error_code,
 * error}], key_schema_id, value_schema_id} (a test compares the two), in the order Confluent's
 * proxy writes the fields (clients have compared the text). A template, not JSON.stringify of
 * objects built for it: this is every produce request's answer.
 */
export function produceAnswer(outcomes: ReadonlyArray<DeliveryOutcome>, failures: ReadonlyArray<RestError | undefined>, keySchemaId: number | null, valueSchemaId: number | null): string {
  let offsets = '';
  for (let i = 0; i < outcomes.length; i++) {
    const failure = failures[i];
    if (i > 0) offsets += ',';
    offsets +=
      failure === undefined
        ? `{"partition":${outcomes[i].partition},"offset":${outcomes[i].offset},"error_code":null,"error":null}`
        : `{"partition":null,"offset":null,"error_code":${failure.errorCode},"error":${JSON.stringify(failure.message)}}`;
  }
  return `{"offsets":[${offsets}],"key_schema_id":${keySchemaId},"value_schema_id":${valueSchemaId}}`;
}

/** RFC 3339 date-time, as the v3 API documents timestamps: 2024-05-01T12:00:00.5Z, ...+02:00 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Milliseconds since the epoch of an RFC 3339 date-time, or a 400 naming the field. */
export function parseTimestamp(value: unknown, field: string): number {
  const match = typeof value === 'string' ? DATE_TIME.exec(value) : null;
  const refuse = (why: string) => new RestError(400, 400, `${field} must be an RFC 3339 date-time such as 2024-05-01T12:00:00.000Z${why}; got ${JSON.stringify(value)}`);
  if (match === null) throw refuse('');
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  if (year < 1970) throw refuse(' after 1970-01-01T00:00:00Z'); // Kafka's timestamps start there
  const millis = Math.floor(Number(`0${match[7] ?? ''}`) * 1000);
  const offsetMinutes = match[8] !== undefined ? 0 : (match[9] === '-' ? -1 : 1) * (Number(match[10]) * 60 + Number(match[11]));
  const time = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  // Date.UTC rolls 2023-02-30 over to March: a date that does not read back is not a date.
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59 || Number(match[10] ?? 0) > 23 || Number(match[11] ?? 0) > 59) {
    throw refuse(' (a real date and time)');
  }
  if (time <= 0) throw refuse(' after 1970-01-01T00:00:00Z');
  return time;
}

/** The JSON body of a GET (Fastify does not read those): the raw request, read here. */
async function getBody(req: Req, limit: number): Promise<unknown> {
  if (req.body !== undefined) return req.body;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req.raw as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new RestError(413, 413, `Request body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RestError(400, 400, `Malformed JSON: ${(error as Error).message}`);
  }
}

function asObject(body: unknown, what: string): { [key: string]: unknown } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid(`The ${what} must be a JSON object`);
  return body as { [key: string]: unknown };
}

function topicPartitions(body: unknown, field: 'partitions' | 'offsets'): Array<{ topic: string; partition: number; offset?: number; metadata?: string }> {
  const list = asObject(body, 'request')[field];
  if (!Array.isArray(list)) throw invalid(`The request needs a '${field}' array`);
  return list.map((item, i) => {
    const entry = asObject(item, `${field}[${i}]`);
    if (typeof entry.topic !== 'string' || entry.topic === '') throw invalid(`${field}[${i}].topic must be a topic name`);
    checkTopicName(entry.topic);
    if (!Number.isInteger(entry.partition) || (entry.partition as number) < 0) throw invalid(`${field}[${i}].partition must be a partition number`);
    if (field === 'offsets' && (!Number.isInteger(entry.offset) || (entry.offset as number) < 0)) throw invalid(`${field}[${i}].offset must be an offset`);
    return { topic: entry.topic, partition: entry.partition as number, offset: entry.offset as number | undefined, metadata: entry.metadata as string | undefined };
  });
}

/** The key_schema / key_schema_id (or value_…) of a v1/v2 produce request; 42201/42202 when neither is there. */
function schemaChoice(body: { [key: string]: unknown }, part: 'key' | 'value'): SchemaChoice {
  const schema = body[`${part}_schema`];
  const id = body[`${part}_schema_id`];
  if (schema !== undefined && schema !== null) {
    if (typeof schema !== 'string' || schema.trim() === '') throw new RestError(422, 42205, `${part}_schema must be the schema as a string`);
    return { schema };
  }
  if (id !== undefined && id !== null) {
    if (!Number.isInteger(id) || (id as number) < 0) throw new RestError(422, 42205, `${part}_schema_id must be a schema id (an integer), not ${JSON.stringify(id)}`);
    return { schemaId: id as number };
  }
  throw part === 'key'
    ? new RestError(422, 42201, 'Request includes keys but does not include key_schema or key_schema_id')
    : new RestError(422, 42202, 'Request includes values but does not include value_schema or value_schema_id');
}

/** The v3 strategy names (Confluent's SubjectNameStrategyEnum). */
const V3_STRATEGIES: { [name: string]: SubjectNameStrategy } = { TOPIC_NAME: 'topic', RECORD_NAME: 'record', TOPIC_RECORD_NAME: 'topic-record' };

/**
 * The schema a v3 key or value names: schema, schema_id, schema_version (+ subject or strategy),
 * or a subject / strategy alone (its latest version); undefined when it is not of a schema type.
 */
export function v3SchemaChoice(fields: { [key: string]: unknown }, which: string): SchemaChoice | undefined {
  const type = fields.type === undefined || fields.type === null ? undefined : String(fields.type).toUpperCase();
  const named = ['schema', 'schema_id', 'schema_version', 'subject', 'subject_name_strategy'].filter((f) => fields[f] !== undefined && fields[f] !== null);
  if (type !== undefined && !['AVRO', 'JSONSCHEMA', 'PROTOBUF'].includes(type)) {
    if (named.length > 0) throw new RestError(400, 400, `${which}: ${named.join(', ')} need a schema type (AVRO, JSONSCHEMA or PROTOBUF), not ${type}`);
    return undefined;
  }
  if (type === undefined && named.length === 0) return undefined;
  const choice: SchemaChoice = {};
  if (fields.subject !== undefined && fields.subject !== null) {
    if (typeof fields.subject !== 'string' || fields.subject === '') throw new RestError(400, 400, `${which}.subject must be a subject name`);
    choice.subject = fields.subject;
  }
  if (fields.subject_name_strategy !== undefined && fields.subject_name_strategy !== null) {
    const strategy = V3_STRATEGIES[String(fields.subject_name_strategy).toUpperCase()];
    if (strategy === undefined) throw new RestError(400, 400, `${which}.subject_name_strategy must be TOPIC_NAME, RECORD_NAME or TOPIC_RECORD_NAME`);
    choice.strategy = strategy;
  }
  const ways = ['schema', 'schema_id', 'schema_version'].filter((f) => fields[f] !== undefined && fields[f] !== null);
  if (ways.length > 1) throw new RestError(400, 400, `${which}: give one of schema, schema_id and schema_version, not ${ways.join(' and ')}`);
  if (fields.schema !== undefined && fields.schema !== null) {
    if (typeof fields.schema !== 'string' || fields.schema.trim() === '') throw new RestError(400, 400, `${which}.schema must be the schema as a string`);
    choice.schema = fields.schema;
  } else if (fields.schema_id !== undefined && fields.schema_id !== null) {
    if (!Number.isInteger(fields.schema_id) || (fields.schema_id as number) < 0) throw new RestError(400, 400, `${which}.schema_id must be a schema id`);
    choice.schemaId = fields.schema_id as number;
  } else if (fields.schema_version !== undefined && fields.schema_version !== null) {
    if (!Number.isInteger(fields.schema_version) || (fields.schema_version as number) < 1) throw new RestError(400, 400, `${which}.schema_version must be a version number`);
    choice.version = fields.schema_version as number;
  } else choice.latest = true;
  return choice;
}

/** A request body as the routes read it: undefined when blank, else JSON (a 400 when it is not). */
function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RestError(400, 400, `Malformed JSON: ${(error as Error).message}`);
  }
}

export function registerConfluentRoutes(app: FastifyInstance, options: ConfluentOptions): ConfluentRoutes {
  const { producer, instances, cluster } = options;

  // Every body is read as text and parsed here, so that malformed JSON is a 400 in our wording
  // whatever the (Kafka) media type; routes check the content type they need.
  app.removeAllContentTypeParsers();
  const parseJson = (_req: FastifyRequest, body: string | Buffer, done: (error: Error | null, body?: unknown) => void) => {
    let parsed: unknown;
    try {
      parsed = parseBody(body as string);
    } catch (error) {
      return done(error as Error, undefined);
    }
    done(null, parsed);
  };
  app.addContentTypeParser('*', { parseAs: 'string' }, parseJson);
  // The same parser under a pattern every media type matches: Fastify remembers which parser a
  // pattern gave a Content-Type, but looks for the catch-all anew on every request (parsing the header again).
  app.addContentTypeParser(/^/, { parseAs: 'string' }, parseJson);

  /** Any failure as the REST error it answers; a 5xx is logged. */
  const restErrorOf = (error: FastifyError | RestError | Error, method: string, url: string): RestError => {
    let rest: RestError;
    if (error instanceof RestError) rest = error;
    else if ((error as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE') rest = new RestError(413, 413, `Request body larger than ${options.maxRequestBytes} bytes`);
    else if ((error as FastifyError).statusCode !== undefined && (error as FastifyError).statusCode! < 500) {
      rest = new RestError((error as FastifyError).statusCode!, (error as FastifyError).statusCode!, error.message);
    } else rest = fromKafka(error);
    if (rest.status >= 500) log(options.logger, 'error', { method, url, status: rest.status, errorCode: rest.errorCode }, rest.message);
    return rest;
  };
  app.setErrorHandler((error: FastifyError | RestError | Error, req, reply) => {
    const rest = restErrorOf(error, req.method, req.url);
    void reply.code(rest.status).header('content-type', errorMediaType(req.url)).send({ error_code: rest.errorCode, message: rest.message });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).header('content-type', errorMediaType(req.url)).send({ error_code: 404, message: `No such endpoint: ${req.method} ${req.url}` });
  });

  // A topic in the path that Kafka would refuse is answered before the body is read.
  // A callback hook, not an async one: no promise per request.
  app.addHook('onRequest', (req, _reply, done) => {
    const { topic } = req.params as Params;
    try {
      if (topic !== undefined) checkTopicName(topic);
    } catch (error) {
      return done(error as Error);
    }
    done();
  });

  const send = (reply: FastifyReply, status: number, body?: unknown) => {
    reply.code(status).header('content-type', V2);
    return status === 204 ? reply.send() : reply.send(body);
  };

  app.get('/', async (_req, reply) => send(reply, 200, {}));

  // ------------------------------------------------------------------ metadata
  app.get('/topics', async (_req, reply) => send(reply, 200, await cluster.topics()));

  app.get('/topics/:topic', async (req: Req, reply) => {
    const { topic } = req.params;
    const partitions = await cluster.partitions(topic);
    if (partitions === undefined) throw notFoundTopic(topic);
    return send(reply, 200, { name: topic, configs: await cluster.configs(topic), partitions: partitions.map(partitionBody) });
  });

  app.get('/topics/:topic/partitions', async (req: Req, reply) => {
    const partitions = await cluster.partitions(req.params.topic);
    if (partitions === undefined) throw notFoundTopic(req.params.topic);
    return send(reply, 200, partitions.map(partitionBody));
  });

  const findPartition = async (topic: string, value: string | undefined) => {
    const number = integerParam(value, 'partition');
    const partitions = await cluster.partitions(topic);
    if (partitions === undefined) throw notFoundTopic(topic);
    const found = partitions.find((p) => p.partition === number);
    if (found === undefined) throw notFoundPartition(topic, number);
    return found;
  };

  app.get('/topics/:topic/partitions/:partition', async (req: Req, reply) =>
    send(reply, 200, partitionBody(await findPartition(req.params.topic, req.params.partition))),
  );

  app.get('/topics/:topic/partitions/:partition/offsets', async (req: Req, reply) => {
    const p = await findPartition(req.params.topic, req.params.partition);
    const { low, high } = await cluster.watermarks(req.params.topic, p.partition);
    return send(reply, 200, { beginning_offset: low, end_offset: high });
  });

  app.get('/brokers', async (_req, reply) => send(reply, 200, { brokers: await cluster.brokers() }));

  // ------------------------------------------------------------------ produce
  const produce = async (req: Req, reply: FastifyReply, pathPartition: number | undefined) => {
    const answer = await produceRecords(produceFormat(req.headers['content-type']), req.body, req.params.topic, pathPartition);
    reply.code(200).header('content-type', V2);
    return reply.send(answer);
  };

  /** The produce answer's text (200), or the RestError the request fails with. */
  const produceRecords = async (format: EmbeddedFormat, requestBody: unknown, topicParam: string, pathPartition: number | undefined): Promise<string> => {
    const body = asObject(requestBody, 'produce request');
    if (!Array.isArray(body.records) || body.records.length === 0) throw invalid('records must be a non-empty array');
    if (body.records.length > options.maxRequestRecords) {
      throw new RestError(413, 413, `A produce request may carry at most ${options.maxRequestRecords} records (max.request.records); this one has ${body.records.length}`);
    }
    const topic = producibleTopic(topicParam);
    const items = body.records.map((item: unknown, i: number) => {
      const record = asObject(item, `records[${i}]`);
      const partition = record.partition ?? pathPartition ?? -1;
      if (!Number.isInteger(partition) || (partition as number) < -1) throw invalid(`records[${i}].partition must be a partition number`);
      return { record, partition: partition as number, headers: v2Headers(record.headers, `records[${i}].headers`) };
    });
    let keySchemaId: number | null = null;
    let valueSchemaId: number | null = null;
    let records: ProducerRecord[];
    if (isSchemaFormat(format)) {
      // Every key and value is encoded before anything is produced: a failure writes nothing.
      const schemas = schemasOrRefuse(format);
      const encode = async (part: 'key' | 'value') => {
        const values = items.map(({ record }) => record[part]);
        values.forEach((value, i) => checkDepth(value, `records[${i}].${part}`));
        if (values.every((v) => v === undefined || v === null)) return { id: null, bytes: values.map(() => null) };
        const choice = schemaChoice(body, part);
        const encoded = await schemas.serialize(format, part, choice, topic, values, (i) => `records[${i}].${part}`);
        return { id: encoded.id, bytes: encoded.bytes };
      };
      const keys = await encode('key');
      const values = await encode('value');
      keySchemaId = keys.id;
      valueSchemaId = values.id;
      records = items.map(({ partition, headers }, i) => ({ topic, key: keys.bytes[i], payload: values.bytes[i], partition, headers }));
    } else {
      records = items.map(({ record, partition, headers }, i) => ({ topic, key: decode(record.key, format, `records[${i}].key`), payload: decode(record.value, format, `records[${i}].value`), partition, headers }));
    }
    await cluster.autoCreate(topic);
    const outcomes = records.length === 1 ? [await sendOne(records[0])] : await producer.sendBatchSettled(records);
    const failures = outcomes.map((o, i) => (o.error === undefined ? undefined : produceFailure(o.error, records[i])));
    // Nothing went through, each record for the client's own mistake: the request fails as a whole.
    if (failures.every((f) => f !== undefined && f.status < 500)) throw failures[0];
    return produceAnswer(outcomes, failures, keySchemaId, valueSchemaId);
  };

  // A request the native front end kept, checked in the order the Fastify route's hooks check it:
  // the path's topic (onRequest), the JSON values (preParsing), the JSON, the path's partition.
  const valuesLimit = options.maxRequestJsonValues;
  const nativeProduce = async (contentType: string, bodyText: string, topicParam: string, pathPartition: string | undefined, url: string): Promise<ConfluentAnswer> => {
    let parsing = false;
    try {
      checkTopicName(topicParam);
      parsing = true;
      // As limitJsonValues: a body of at most twice the limit in bytes cannot hold more values.
      if (valuesLimit !== undefined && bodyText.length > valuesLimit && Buffer.byteLength(bodyText) > 2 * valuesLimit && new JsonValueCounter().add(Buffer.from(bodyText)) > valuesLimit) {
        throw tooManyValues(valuesLimit);
      }
      const body = parseBody(bodyText);
      parsing = false;
      const partition = pathPartition === undefined ? undefined : integerParam(pathPartition, 'partition');
      return { status: 200, contentType: V2, body: await produceRecords(produceFormat(contentType), body, topicParam, partition) };
    } catch (error) {
      const rest = restErrorOf(error as Error, 'POST', url);
      return { status: rest.status, contentType: errorMediaType(url), body: JSON.stringify({ error_code: rest.errorCode, message: rest.message }), close: parsing };
    }
  };

  /**
   * One record's outcome as sendBatchSettled gives it, through send: a batch of one costs about
   * 1.7 µs more per message (its typed arrays and run bookkeeping), a tenth of the route's own work.
   */
  const sendOne = async (record: ProducerRecord): Promise<DeliveryOutcome> => {
    try {
      return await producer.send(record);
    } catch (error) {
      if (!(error instanceof KafkaError)) throw error instanceof TypeError ? new TypeError(`records[0]: ${error.message}`) : error; // as sendBatchSettled words it
      return { msgid: 0, topic: record.topic, partition: -1, offset: -1, error };
    }
  };

  const schemasOrRefuse = (format: SchemaFormat): ProxySchemas => {
    if (options.schemas === undefined) throw new RestError(422, 42205, `The ${format} format needs a Schema Registry: set schema.registry.url`);
    return options.schemas;
  };

  // Not async wrappers: produce's own promise is the handler's (one promise per request, not two).
  app.post('/topics/:topic', (req: Req, reply) => produce(req, reply, undefined));
  app.post('/topics/:topic/partitions/:partition', (req: Req, reply) => produce(req, reply, integerParam(req.params.partition, 'partition')));

  // ------------------------------------------------------------------ consumers
  /** The request's instance, in use until the response is over (so idle time counts from its end). */
  const instanceOf = (req: Req, reply: FastifyReply): ConsumerInstance => {
    const instance = instances.get(req.params.group, req.params.name);
    reply.raw.once('close', instance.idleClock.use()); // sent, or the connection dropped
    return instance;
  };

  app.post('/consumers/:group', async (req: Req, reply) => {
    const instance = instances.create(req.params.group, req.body, options.clientOf?.(req));
    return send(reply, 200, { instance_id: instance.name, base_uri: `${options.advertisedUrl}/consumers/${encodeURIComponent(instance.group)}/instances/${encodeURIComponent(instance.name)}` });
  });

  app.delete('/consumers/:group/instances/:name', async (req: Req, reply) => {
    await instances.delete(req.params.group, req.params.name);
    return send(reply, 204);
  });

  app.post('/consumers/:group/instances/:name/subscription', async (req: Req, reply) => {
    const instance = instanceOf(req, reply);
    const body = asObject(req.body, 'subscription');
    if (Array.isArray(body.topics) && body.topics.length > 0 && body.topics.every((t) => typeof t === 'string' && t !== '')) {
      await subscribe(instance, (body.topics as string[]).map(checkTopicName), undefined);
    } else if (typeof body.topic_pattern === 'string' && body.topic_pattern !== '') {
      await subscribe(instance, [], body.topic_pattern);
    } else {
      throw invalid('The subscription needs a non-empty topics array or a topic_pattern');
    }
    return send(reply, 204);
  });

  app.get('/consumers/:group/instances/:name/subscription', async (req: Req, reply) => {
    const instance = instanceOf(req, reply);
    return send(reply, 200, { topics: instance.subscription });
  });

  app.delete('/consumers/:group/instances/:name/subscription', async (req: Req, reply) => {
    const instance = instanceOf(req, reply);
    await instance.subscribe([]);
    instance.subscription = [];
    instance.pattern = undefined;
    instance.dropBuffered();
    return send(reply, 204);
  });

  app.get('/consumers/:group/instances/:name/records', async (req: Req, reply) => {
    const instance = instanceOf(req, reply);
    checkAccept(req, instance);
    if (!instance.subscribed && instance.consumer.assignment().length === 0) throw new RestError(409, 40903, 'The consumer instance is neither subscribed nor assigned');
    const rows = await readRecords(instance, req.query, (r, key, value) => `{"topic":${JSON.stringify(r.topic)},"key":${key},"value":${value},"partition":${r.partition},"offset":${r.offset}${headersField(r)}}`, undefined, options.schemas, cluster);
    return send(reply, 200, `[${rows.join(',')}]`);
  });

  // v1: GET /consumers/{group}/instances/{name}/topics/{topic} reads that topic (subscribing once).
  app.get('/consumers/:group/instances/:name/topics/:topic', async (req: Req, reply) => {
    const instance = instanceOf(req, reply);
    checkAccept(req, instance);
    const topic = req.params.topic;
    if (!instance.subscription.includes(topic)) {
      // As Confluent's v1 proxy: a topic that does not exist is a 40401, not a read that waits on a group that cannot assign it.
      if ((await cluster.partitions(topic)) === undefined) throw notFoundTopic(topic);
      if (instance.subscription.length >= V1_MAX_TOPICS) {
        throw new RestError(409, 40903, `This consumer instance already reads ${instance.subscription.length} topics, the most one instance reads (${V1_MAX_TOPICS}): delete it (DELETE …/instances/{name}) and create another to read more`);
      }
      await subscribe(instance, [...instance.subscription, topic], undefined);
    }
    const rows = await readRecords(instance, req.query, (r, key, value) => `{"key":${key},"value":${value},"partition":${r.partition},"offset":${r.offset}${headersField(r)}}`, topic, options.schemas, cluster);
    reply.code(200).header('content-type', `application/vnd.kafka.${instance.format}.v1+json`);
    return reply.send(`[${rows.join(',')}]`);
  });

  app.post('/consumers/:group/instances/:name/offsets', async (req: Req, reply) => {
    const instance = instanceOf(req, reply);
    const empty = req.body === undefined || req.body === null || (typeof req.body === 'object' && Object.keys(req.body as object).length === 0);
    try {
      if (empty) {
        await instance.commitReturned();
      } else {
        // The client names the last record it processed: the next one to read is offset + 1.
        const offsets = topicPartitions(req.body, 'offsets').map((o) => ({ topic: o.topic, partition: o.partition, offset: (o.offset as number) + 1 }));
        await instance.consumer.commit(offsets);
      }
    } catch (error) {
      throw fromKafka(error);
    }
    return send(reply, 200, {});
  });

  app.get('/consumers/:group/instances/:name/offsets', async (req: Req, reply) => {
    const instance = instanceOf(req, reply);
    const partitions = topicPartitions(await getBody(req, options.maxRequestBytes), 'partitions');
    const offsets = [];
    for (const { topic, partition } of partitions) {
      const committed = await instance.consumer.committed(topic, partition).catch((e: unknown) => {
        throw fromKafka(e);
      });
      if (committed !== undefined) offsets.push({ topic, partition, offset: committed, metadata: '' });
    }
    return send(reply, 200, { offsets });
  });

  app.post('/consumers/:group/instances/:name/assignments', async (req: Req, reply) => {
    const instance = instanceOf(req, reply);
    if (instance.subscribed) throw new RestError(409, 40903, 'Subscribe and assign cannot be mixed: this instance is subscribed');
    const partitions = topicPartitions(req.body, 'partitions');
    instance.consumer.assign(partitions.map(({ topic, partition }) => ({ topic, partition })));
    instance.dropBuffered();
    return send(reply, 204);
  });

  app.get('/consumers/:group/instances/:name/assignments', async (req: Req, reply) => {
    const instance = instanceOf(req, reply);
    return send(reply, 200, { partitions: instance.consumer.assignment().map(({ topic, partition }) => ({ topic, partition })) });
  });

  const seek = async (req: Req, reply: FastifyReply, where: (topic: string, partition: number, offset?: number) => Promise<number>) => {
    const instance = instanceOf(req, reply);
    const field = req.url.endsWith('/positions') ? 'offsets' : 'partitions';
    const targets = topicPartitions(req.body, field);
    const assigned = new Set(instance.consumer.assignment().map((tp) => `${tp.topic}\0${tp.partition}`));
    for (const t of targets) {
      if (!assigned.has(`${t.topic}\0${t.partition}`)) throw new RestError(409, 40903, `Partition ${t.partition} of ${t.topic} is not assigned to this instance`);
    }
    const offsets = new Map<string, number>();
    for (const t of targets) offsets.set(`${t.topic}\0${t.partition}`, await where(t.topic, t.partition, t.offset));
    if (instance.subscribed) {
      for (const t of targets) instance.consumer.seek(t.topic, t.partition, offsets.get(`${t.topic}\0${t.partition}`) as number);
    } else {
      // A manual assignment is re-made with the new offsets: a seek right after an assign can
      // lose the race with librdkafka's own start-offset lookup. Other partitions keep their place.
      instance.consumer.assign(
        instance.consumer.assignment().map(({ topic, partition }) => {
          const key = `${topic}\0${partition}`;
          return { topic, partition, offset: offsets.get(key) ?? instance.consumer.position(topic, partition) };
        }),
      );
    }
    // Records read ahead for these partitions would come from the old position.
    instance.dropBuffered(targets);
  };

  app.post('/consumers/:group/instances/:name/positions', async (req: Req, reply) => {
    await seek(req, reply, async (_t, _p, offset) => offset as number);
    return send(reply, 204);
  });
  app.post('/consumers/:group/instances/:name/positions/beginning', async (req: Req, reply) => {
    await seek(req, reply, async (t, p) => (await cluster.watermarks(t, p)).low);
    return send(reply, 204);
  });
  app.post('/consumers/:group/instances/:name/positions/end', async (req: Req, reply) => {
    await seek(req, reply, async (t, p) => (await cluster.watermarks(t, p)).high);
    return send(reply, 204);
  });

  // ------------------------------------------------------------------ v3
  registerV3AdminRoutes(app, options);

  // v3 records (one, a stream, a batch), in a scope of their own: they read their bodies as they arrive.
  void app.register(async (scope) => registerV3RecordRoutes(scope, { producer, cluster, schemas: options.schemas, maxRequestBytes: options.maxRequestBytes, maxRequestRecords: options.maxRequestRecords, logger: options.logger }));

  registerV3GroupRoutes(app, { cluster, advertisedUrl: () => options.advertisedUrl });

  return { produce: nativeProduce };

  async function subscribe(instance: ConsumerInstance, topics: string[], pattern: string | undefined): Promise<void> {
    if (instance.consumer.assignment().length > 0 && !instance.subscribed) throw new RestError(409, 40903, 'Subscribe and assign cannot be mixed: this instance has assigned partitions');
    try {
      // librdkafka reads a topic name starting with ^ as a regular expression.
      await instance.subscribe(pattern === undefined ? topics : [pattern.startsWith('^') ? pattern : `^${pattern}`]);
    } catch (error) {
      // librdkafka compiles a pattern (POSIX extended regex) before it changes the subscription.
      if (pattern !== undefined && error instanceof KafkaError && error.code === ErrorCode._INVALID_ARG) {
        throw new RestError(422, 422, `Invalid topic_pattern ${JSON.stringify(pattern)}: not a regular expression librdkafka can compile (POSIX extended syntax)`);
      }
      throw fromKafka(error);
    }
    instance.subscription = topics;
    instance.pattern = pattern;
  }
}

function checkAccept(req: Req, instance: ConsumerInstance): void {
  const accept = parseAccept(req.headers.accept);
  if (accept === undefined || (accept.format !== undefined && accept.format !== instance.format)) {
    throw new RestError(406, 40601, `The requested embedded format does not match the consumer instance's format '${instance.format}'`);
  }
}

/**
 * One records request: waits up to the timeout for data, returns early past fetch.min.bytes. Each
 * record is answered as `row(record, key, value)` (key and value as JSON text; an undefined row is
 * left out). A record a json instance cannot read as JSON ends the request before it: alone, it is
 * a 42203 naming its offset, and it stays first in line (nothing after it is returned, so nothing
 * after it is committed) until the client seeks past it.
 */
async function readRecords(
  instance: ConsumerInstance,
  query: { [key: string]: string | undefined },
  row: (record: Record, key: string, value: string) => string,
  /** v1 reads one topic: records of the others stay buffered, not returned. */
  topic: string | undefined,
  /** Decodes the schema formats' data. */
  schemas: ProxySchemas | undefined,
  cluster: ClusterView,
): Promise<string[]> {
  /** A key or value as JSON text; undefined when it is not readable in the instance's format (a SchemaError says why). */
  let unreadable: string | undefined;
  const textOf = async (bytes: Buffer | null): Promise<string | undefined> => {
    if (!isSchemaFormat(instance.format) || bytes === null || schemas === undefined) return jsonText(bytes, instance.format);
    try {
      return await schemas.deserializer.deserializeToJson(bytes);
    } catch (error) {
      const rest = schemaRestError(error, schemas.description);
      if (rest.status >= 500) throw rest; // the registry, not the record: nothing is skipped
      unreadable = rest.message;
      return undefined;
    }
  };
  const requested = query.timeout === undefined ? instance.requestTimeoutMs : Number(query.timeout);
  const maxBytes = query.max_bytes === undefined ? Infinity : Number(query.max_bytes);
  if (!Number.isFinite(requested) || requested < 0) throw invalid('timeout must be a number of milliseconds');
  if (!(maxBytes > 0)) throw invalid('max_bytes must be a positive number');
  // Auto-commit: each request first commits what the earlier ones returned, as a Kafka consumer
  // commits at its next poll; a failed commit is tried again by the next request. Not while the
  // group has yet to answer a subscription change (see ConsumerInstance.subscribe).
  if (instance.autoCommit && instance.mayCommit) await instance.commitReturned().catch(() => undefined);
  const out: Record[] = [];
  const rows: string[] = [];
  let bytes = 0;
  const size = (r: Record) => (r.key?.length ?? 0) + (r.payload?.length ?? 0);
  // Records are read from the consumer a batch at a time (one native call, not one per record),
  // about as many as max_bytes leaves room for; what the request does not return goes back to the
  // front of the instance's buffer, in order, for the next request.
  const ahead: Record[] = [];
  let at = 0;
  let held: Record | undefined;
  let lastSize = 1;
  const next = async (wait: number): Promise<Record | undefined> => {
    const buffered = instance.takeBuffered(topic);
    if (buffered !== undefined) return buffered;
    if (at === ahead.length) {
      const room = Math.floor((maxBytes - bytes) / lastSize);
      ahead.splice(0, ahead.length, ...(await instance.consumer.consumeBatch(Math.max(1, Math.min(READ_AHEAD, room)), wait)));
      at = 0;
    }
    return at < ahead.length ? ahead[at++] : undefined;
  };
  try {
    await joinGroup(instance, cluster);
    const deadline = Date.now() + Math.min(requested, instance.requestTimeoutMs);
    for (;;) {
      const wait = out.length === 0 || bytes <= instance.fetchMinBytes ? Math.max(0, deadline - Date.now()) : 0;
      const record = await next(wait);
      if (record === undefined) {
        if (Date.now() >= deadline || (out.length > 0 && bytes > instance.fetchMinBytes)) break;
        continue;
      }
      lastSize = Math.max(1, size(record));
      if (topic !== undefined && record.topic !== topic) {
        instance.setAside(record); // v1: a record of another topic waits for a read of that topic
        continue;
      }
      if (out.length > 0 && bytes + size(record) > maxBytes) {
        held = record; // kept for the next request
        break;
      }
      let key: string | undefined;
      let value: string | undefined;
      try {
        key = await textOf(record.key);
        value = key === undefined ? undefined : await textOf(record.payload);
      } catch (error) {
        held = record; // kept: the next request reads it again
        if (out.length === 0) throw error;
        break;
      }
      if (key === undefined || value === undefined) {
        held = record;
        if (out.length === 0) throw notJson(record, key === undefined ? 'key' : 'value', instance.format, unreadable);
        break;
      }
      out.push(record);
      rows.push(row(record, key, value));
      bytes += size(record);
      if (bytes >= maxBytes) break;
    }
  } catch (error) {
    if (out.length === 0) throw fromKafka(error);
  } finally {
    instance.buffered.unshift(...(held === undefined ? [] : [held]), ...ahead.slice(at));
  }
  instance.markReturned(out);
  return rows;
}

/** The most records one read of a records request takes from the consumer at once. */
const READ_AHEAD = 500;

/** The topics one instance reads through the v1 API (each read of a new one adds it to the subscription, a rebalance). */
const V1_MAX_TOPICS = 100;

/** How long a read waits for the group to hand a newly subscribed instance its partitions. */
const JOIN_WAIT_MS = 15_000;

/**
 * A read of a newly subscribed instance first waits (once, bounded) until the group has handed it
 * partitions, so that its timeout is spent waiting for records: the documented flows (subscribe,
 * then one GET) return the topic's records on that first GET. An instance the group gives no
 * partition (more members than partitions) waits the whole bound, once. One subscribed to topics
 * none of which exists does not wait: no group can give it a partition.
 */
async function joinGroup(instance: ConsumerInstance, cluster: ClusterView): Promise<void> {
  if (instance.subscribed && !instance.joined && instance.pattern === undefined) {
    const existing = await cluster.topics().catch(() => undefined); // unknown: wait as for any other
    if (existing !== undefined && !instance.subscription.some((topic) => existing.includes(topic))) instance.joined = true;
  }
  const until = Date.now() + JOIN_WAIT_MS;
  while (instance.subscribed && !instance.joined && Date.now() < until && instance.consumer.assignment().length === 0) {
    // Reading is what hands the group's answer over to librdkafka's consumer.
    const record = await instance.consumer.consumeRecord(Math.max(1, Math.min(100, until - Date.now())));
    if (record !== undefined) {
      instance.buffered.push(record);
      break;
    }
  }
  instance.joined = true;
}

/** 42203 for a record a json instance cannot convert: where it is, and how to get past it. */
function notJson(record: Record, part: 'key' | 'value', format: RecordFormat, why: string | undefined): RestError {
  return new RestError(
    422,
    42203,
    `The ${part} of the record at offset ${record.offset} of partition ${record.partition} of topic '${record.topic}' is not ${format === 'json' ? 'valid JSON' : `${format} data: ${why ?? 'unreadable'}`}: ` +
      `read it with a binary consumer instance, or skip it with POST .../positions {"offsets": [{"topic": "${record.topic}", "partition": ${record.partition}, "offset": ${record.offset + 1}}]}`,
  );
}

/** v3 answers errors as application/json (Confluent's OpenAPI document), v1 and v2 in their media type. */
function errorMediaType(url: string): string {
  return url.startsWith('/v3/') || url === '/v3' ? 'application/json' : 'application/vnd.kafka.v2+json';
}

function partitionBody(p: PartitionView) {
  return { partition: p.partition, leader: p.leader, replicas: p.replicas.map((broker) => ({ broker, leader: broker === p.leader, in_sync: p.isr.includes(broker) })) };
}

export { parseMediaType };
