// The Confluent REST Proxy's v3 produce: POST .../records with one record, or a stream of them
// (concatenated JSON objects, each answered in order as Confluent's v3 does: one JSON object per
// record followed by CRLF, each with its own error_code), and POST .../records:batch.
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { log, type Logger } from '../logger';
import type { Producer, ProducerRecord } from '../producer';
import { registryError } from '../schema/serdes';
import { checkDepth, decode, jsonBytes, parseTimestamp, produceFailure, producibleTopic, v3SchemaChoice, type ClusterView } from './confluent';
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, OPEN_BRACE, OPEN_BRACKET, QUOTE } from './json-values';
import { RestError, fromKafka } from './rest-error';
import { schemaRestError, type ProxySchemas, type SchemaChoice, type SchemaFormat } from './schema-formats';

export interface V3RecordsOptions {
  producer: Producer;
  cluster: ClusterView;
  schemas?: ProxySchemas;
  /** The largest body (and, in a stream, the largest record) accepted. */
  maxRequestBytes: number;
  /** Most entries of a records:batch request, and of the records of one body that is not streamed. */
  maxRequestRecords: number;
  logger: Logger;
}

type Req = FastifyRequest<{ Params: { [key: string]: string } }>;

/** At most this many records of a stream are being produced at once; reading waits for the oldest past it. */
const MAX_IN_FLIGHT = 1000;

/**
 * Cuts concatenated JSON objects (`{...}{...}`, any whitespace between) out of a byte stream as it
 * arrives, without parsing them: each is parsed on its own, so one malformed record is answered
 * with its own error and the others go on.
 */
export class ObjectFramer {
  #parts: Buffer[] = [];
  #size = 0;
  #depth = 0;
  #inString = false;
  #escaped = false;
  /** Bytes seen before the current chunk, to say where a problem is. */
  #offset = 0;

  constructor(readonly maxObjectBytes: number) {}

  /** Whether the stream so far ends inside an object. */
  get pending(): boolean {
    return this.#depth > 0;
  }

  /**
   * The objects this chunk completes, and the problem that stops the stream, if any: a byte between
   * objects that is neither whitespace nor `{`, or an object past maxObjectBytes.
   */
  add(chunk: Buffer): { objects: Buffer[]; problem?: RestError } {
    const objects: Buffer[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (this.#depth === 0) {
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
        if (c !== OPEN_BRACE) {
          const problem = new RestError(400, 400, `Expected a record (a JSON object) at byte ${this.#offset + i} of the body, found ${JSON.stringify(String.fromCharCode(c))}`);
          return { objects, problem };
        }
        start = i;
        this.#depth = 1;
        continue;
      }
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (c === BACKSLASH) this.#escaped = true;
        else if (c === QUOTE) this.#inString = false;
      } else if (c === QUOTE) this.#inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.#depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        this.#depth--;
        if (this.#depth === 0) {
          this.#parts.push(chunk.subarray(start, i + 1));
          objects.push(Buffer.concat(this.#parts));
          this.#parts = [];
          this.#size = 0;
        }
      }
    }
    this.#offset += chunk.length;
    if (this.#depth > 0) {
      const rest = chunk.subarray(start);
      this.#size += rest.length;
      if (this.#size > this.maxObjectBytes) return { objects, problem: new RestError(413, 413, `A record of the stream is larger than ${this.maxObjectBytes} bytes (max.request.bytes)`) };
      this.#parts.push(Buffer.from(rest)); // a copy: the chunk's memory is not kept alive by a slice
    }
    return { objects };
  }
}

/** What one record is once checked and encoded, before it is produced. */
interface Prepared {
  record: ProducerRecord;
  keyType: string | undefined;
  valueType: string | undefined;
}

export function registerV3RecordRoutes(app: FastifyInstance, options: V3RecordsOptions): void {
  const { producer, cluster } = options;

  // The records routes read their bodies themselves: a stream is framed as it arrives.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  const schemasOrRefuse = (format: SchemaFormat): ProxySchemas => {
    if (options.schemas === undefined) throw new RestError(422, 42205, `The ${format} format needs a Schema Registry: set schema.registry.url`);
    return options.schemas;
  };

  const checkCluster = async (requested: string): Promise<string> => {
    const id = await cluster.clusterId();
    if (requested !== id) throw new RestError(404, 404, `Cluster ${requested} not found`);
    return id;
  };

  /** Checks and encodes one record of a request (nothing is produced yet). */
  const prepare = async (body: unknown, topic: string): Promise<Prepared> => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RestError(422, 422, 'The record must be a JSON object');
    const fields = body as { [key: string]: unknown };
    const plain = (part: unknown, what: string): Buffer | null => {
      if (part === undefined || part === null) return null;
      if (typeof part !== 'object' || Array.isArray(part)) throw new RestError(422, 422, `The ${what} must be a JSON object`);
      const { type, data: value } = part as { type?: unknown; data?: unknown };
      const kind = String(type ?? 'JSON').toUpperCase();
      if (value === undefined || value === null) return null;
      if (kind === 'BINARY') return decode(value, 'binary', `${what}.data`);
      if (kind === 'STRING') {
        if (typeof value !== 'string') throw new RestError(400, 400, `${what}.data must be a string for type STRING`);
        return Buffer.from(value, 'utf8');
      }
      if (kind === 'JSON') return jsonBytes(value, `${what}.data`);
      throw new RestError(400, 400, `${what}.type must be BINARY, JSON, STRING, AVRO, JSONSCHEMA or PROTOBUF`);
    };
    const schemaTypes: { key?: string; value?: string } = {};
    /** A key or value of a schema type: encoded with the schema it names. */
    const schemaData = async (part: unknown, which: 'key' | 'value'): Promise<Buffer | null | undefined> => {
      if (part === undefined || part === null || typeof part !== 'object' || Array.isArray(part)) return undefined;
      const data = part as { [key: string]: unknown };
      const choice = v3SchemaChoice(data, which);
      if (choice === undefined) return undefined;
      const format = await v3Format(data, choice, which);
      schemaTypes[which] = { avro: 'AVRO', jsonschema: 'JSONSCHEMA', protobuf: 'PROTOBUF' }[format];
      if (data.data === undefined || data.data === null) return null;
      checkDepth(data.data, `${which}.data`);
      const { bytes } = await schemasOrRefuse(format).serialize(format, which, choice, topic, [data.data], () => `${which}.data`);
      return bytes[0];
    };
    const v3Format = async (data: { [key: string]: unknown }, choice: SchemaChoice, which: string): Promise<SchemaFormat> => {
      const type = data.type === undefined || data.type === null ? undefined : String(data.type).toUpperCase();
      const byType: { [type: string]: SchemaFormat } = { AVRO: 'avro', JSONSCHEMA: 'jsonschema', PROTOBUF: 'protobuf' };
      if (type !== undefined) return byType[type];
      // No type: the registered schema's, as Confluent's proxy infers it.
      const schemas = schemasOrRefuse('avro');
      let schemaType: string | undefined;
      try {
        if (choice.schemaId !== undefined) schemaType = (await schemas.client.getBySubjectAndId('', choice.schemaId)).schemaType;
        else if (choice.subject !== undefined) {
          schemaType = (choice.version === undefined ? await schemas.client.getLatestSchemaMetadata(choice.subject) : await schemas.client.getSchemaMetadata(choice.subject, choice.version, false)).schemaType;
        } else throw new RestError(400, 400, `${which}.type is needed when the schema is not named by schema_id or subject`);
      } catch (error) {
        throw schemaRestError(registryError(error, choice.schemaId !== undefined ? `schema id ${choice.schemaId}` : `subject ${choice.subject}`), schemas.description);
      }
      return byType[(schemaType ?? 'AVRO').toUpperCase()] ?? 'avro';
    };
    const headers = v3Headers(fields.headers);
    const partition = fields.partition_id === undefined || fields.partition_id === null ? -1 : Number(fields.partition_id);
    if (!Number.isInteger(partition) || partition < -1) throw new RestError(400, 400, 'partition_id must be a partition number');
    const timestamp = fields.timestamp === undefined || fields.timestamp === null ? undefined : parseTimestamp(fields.timestamp, 'timestamp');
    const schemaKey = await schemaData(fields.key, 'key');
    const schemaValue = await schemaData(fields.value, 'value');
    const key = schemaKey !== undefined ? schemaKey : plain(fields.key, 'key');
    const value = schemaValue !== undefined ? schemaValue : plain(fields.value, 'value');
    const typeOf = (part: unknown) => String((part as { type?: unknown }).type ?? 'JSON').toUpperCase();
    return {
      record: { topic, key, payload: value, partition, headers, timestamp },
      keyType: key === null ? undefined : (schemaTypes.key ?? typeOf(fields.key)),
      valueType: value === null ? undefined : (schemaTypes.value ?? typeOf(fields.value)),
    };
  };

  /** Produces one prepared record; its answer (ProduceResponse), or the REST error it failed with. */
  const produce = async (id: string, { record, keyType, valueType }: Prepared) => {
    await cluster.autoCreate(record.topic);
    const [outcome] = await producer.sendBatchSettled([record]);
    if (outcome.error !== undefined) throw produceFailure(outcome.error, record);
    return {
      error_code: 200,
      cluster_id: id,
      topic_name: record.topic,
      partition_id: outcome.partition,
      offset: outcome.offset,
      timestamp: new Date(record.timestamp ?? Date.now()).toISOString(),
      key: record.key === null || record.key === undefined ? null : { type: keyType, size: record.key.length },
      value: record.payload === null || record.payload === undefined ? null : { type: valueType, size: (record.payload as Buffer).length },
    };
  };

  /** A failure as an entry of a stream's answer; 5xx are logged as the error handler logs them. */
  const errorEntry = (error: unknown, req: Req) => {
    const rest = fromKafka(error);
    if (rest.status >= 500) log(options.logger, 'error', { method: req.method, url: req.url, status: rest.status, errorCode: rest.errorCode }, rest.message);
    return { error_code: rest.errorCode, message: rest.message };
  };

  const parse = (bytes: Buffer): unknown => {
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      throw new RestError(400, 400, `Malformed JSON: ${(error as Error).message}`);
    }
  };

  app.post('/v3/clusters/:cluster/topics/:topic/records', async (req: Req, reply) => {
    const id = await checkCluster(req.params.cluster);
    const topic = producibleTopic(req.params.topic);
    const body = req.body as Readable | undefined;
    const framer = new ObjectFramer(options.maxRequestBytes);
    const streamed = /chunked/i.test(String(req.headers['transfer-encoding'] ?? ''));

    if (!streamed) {
      // A body with a length: read whole (within max.request.bytes); one record is answered alone,
      // with its HTTP status, as before streaming existed.
      const whole = await readWhole(body, options.maxRequestBytes);
      const { objects, problem } = framer.add(whole);
      if (objects.length === 0 && problem === undefined && !framer.pending) throw new RestError(400, 400, 'The request body is empty: it needs a record (a JSON object), or several concatenated');
      if (objects.length === 0 && problem !== undefined) {
        // Nothing but something else than a record: the request fails as a whole.
        throw whole.toString('utf8').trim().startsWith('[') ? new RestError(422, 422, 'The record must be a JSON object') : problem;
      }
      if (objects.length === 1 && problem === undefined && !framer.pending) {
        const answer = await produce(id, await prepare(parse(objects[0]), topic));
        return reply.code(200).header('content-type', 'application/json').send(answer);
      }
      if (objects.length > options.maxRequestRecords) {
        throw new RestError(413, 413, `A produce request may carry at most ${options.maxRequestRecords} records (max.request.records); this one has ${objects.length}`);
      }
      return answerStream(req, reply, id, topic, (async function* () {
        yield* objects;
        if (problem !== undefined) yield problem;
        else if (framer.pending) yield new RestError(400, 400, 'The body ends inside a record: the last record is cut short');
      })());
    }

    // Transfer-Encoding: chunked is Confluent's streaming mode: records are produced and answered
    // as they arrive, for as long as the client keeps sending.
    return answerStream(req, reply, id, topic, (async function* () {
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          const { objects, problem } = framer.add(chunk);
          yield* objects;
          if (problem !== undefined) {
            yield problem;
            return;
          }
        }
      } catch (error) {
        // The client cut the connection, or the body broke a limit (max.request.json.values).
        yield error instanceof RestError ? error : new RestError(400, 400, `The request stream broke off: ${(error as Error).message}`);
        return;
      }
      if (framer.pending) yield new RestError(400, 400, 'The stream ends inside a record: the last record is cut short');
    })());
  });

  /**
   * Answers a stream of records: 200 at once, then per record, in order, its ProduceResponse or
   * its {error_code, message}, each followed by CRLF. Records are produced as soon as they are
   * read (at most MAX_IN_FLIGHT at once); a record that fails is not produced and does not stop
   * the others. A framing problem ends the stream after the records before it are answered.
   */
  async function answerStream(req: Req, reply: FastifyReply, id: string, topic: string, items: AsyncIterable<Buffer | RestError>): Promise<void> {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'application/json' });
    let tail: Promise<void> = Promise.resolve();
    let inFlight = 0;
    const write = (entry: unknown) => {
      if (!raw.destroyed) raw.write(`${JSON.stringify(entry)}\r\n`);
    };
    try {
      for await (const item of items) {
        const answer: Promise<unknown> =
          item instanceof RestError
            ? Promise.resolve(errorEntry(item, req))
            : (async () => produce(id, await prepare(parse(item), topic)))().catch((error: unknown) => errorEntry(error, req));
        inFlight++;
        tail = tail.then(async () => {
          write(await answer);
          inFlight--;
        });
        if (inFlight >= MAX_IN_FLIGHT) await tail;
      }
    } finally {
      await tail;
      raw.end();
    }
  }

  // `::` is Fastify's escape for a literal colon in a path.
  app.post('/v3/clusters/:cluster/topics/:topic/records::batch', async (req: Req, reply) => {
    const id = await checkCluster(req.params.cluster);
    const topic = producibleTopic(req.params.topic);
    const body = parse(await readWhole(req.body as Readable | undefined, options.maxRequestBytes));
    const entries = (body as { entries?: unknown } | null)?.entries;
    if (typeof body !== 'object' || body === null || !Array.isArray(entries) || entries.length === 0) throw new RestError(400, 400, 'The request needs a non-empty entries array');
    if (entries.length > options.maxRequestRecords) {
      throw new RestError(400, 400, `A batch may hold at most ${options.maxRequestRecords} entries (max.request.records); this one has ${entries.length}`);
    }
    // Entry ids as Confluent's proxy takes them: strings of 1 to 80 letters, digits, - and _, distinct.
    const ids = entries.map((entry, i) => {
      const entryId = (entry as { id?: unknown } | null)?.id;
      if (typeof entryId !== 'string' || !/^[0-9A-Za-z_-]{1,80}$/.test(entryId)) {
        throw new RestError(422, 422, `entries[${i}].id must be a string of 1 to 80 letters, digits, '-' and '_', not ${JSON.stringify(entryId)}`);
      }
      return entryId;
    });
    if (new Set(ids).size !== ids.length) throw new RestError(400, 400, 'The entries ids must be distinct');
    const outcomes = await Promise.all(
      entries.map(async (entry, i) => {
        try {
          const { id: _id, ...record } = entry as { [key: string]: unknown };
          const answer = await produce(id, await prepare(record, topic));
          const { error_code: _code, ...success } = answer;
          return { success: { id: ids[i], ...success } };
        } catch (error) {
          return { failure: { id: ids[i], ...errorEntry(error, req) } };
        }
      }),
    );
    return reply
      .code(207)
      .header('content-type', 'application/json')
      .send({ successes: outcomes.flatMap((o) => (o.success === undefined ? [] : [o.success])), failures: outcomes.flatMap((o) => (o.failure === undefined ? [] : [o.failure])) });
  });
}

/** v3 record headers: [{name, value (base64 or null)}], each checked. */
function v3Headers(value: unknown): Array<[string, Buffer | null]> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new RestError(400, 400, 'headers must be an array of {"name", "value"} objects');
  return value.map((h: unknown, i): [string, Buffer | null] => {
    const header = h as { name?: unknown; value?: unknown } | null;
    // librdkafka takes a header name as a C string: empty, or cut at a NUL, it is refused here.
    if (typeof header !== 'object' || header === null || typeof header.name !== 'string' || header.name === '' || header.name.includes('\0')) {
      throw new RestError(400, 400, `headers[${i}].name must be a non-empty string without NUL characters`);
    }
    return [header.name, header.value === undefined || header.value === null ? null : decode(header.value, 'binary', `headers[${i}].value`)];
  });
}

/** A body read whole, refused with 413 past `limit` bytes. */
async function readWhole(body: Readable | undefined, limit: number): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new RestError(413, 413, `Request body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
