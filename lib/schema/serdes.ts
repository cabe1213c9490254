// Schema Registry serializers and deserializers in Confluent's wire format: magic byte 0, the
// schema id (4 bytes, big-endian), for Protobuf the message indexes, then the encoded data.
// The registry calls, their caches and the schema parsing with references are those of Confluent's
// @confluentinc/schemaregistry (its SchemaRegistryClient, and its Avro and JSON serdes' toType /
// toValidateFunction); Avro encoding is avsc's, JSON Schema validation ajv's (both through it),
// Protobuf text schemas protobufjs's. What is here: the choice of schema per topic, the subject
// name strategies, a per-topic cache that makes a prepared topic's encoding synchronous, and
// errors that say which of schema, data, id or registry was wrong.
import type { AvroSerializer } from '@confluentinc/schemaregistry/dist/serde/avro';
import type { JsonSerializer } from '@confluentinc/schemaregistry/dist/serde/json';
import type { Client, Reference as SchemaReference, SchemaInfo } from '@confluentinc/schemaregistry/dist/schemaregistry-client';
import type { Type as AvroType } from 'avsc';
import type * as Protobuf from 'protobufjs';
import { view } from '../record';
import { avroSerdeModule, jsonSerdeModule, protobufjs, registryRestErrorModule, serdeModule } from './libraries';

export type SchemaType = 'AVRO' | 'JSON' | 'PROTOBUF';
export type SubjectNameStrategy = 'topic' | 'record' | 'topic-record';
export type SerdePart = 'key' | 'value';

/** Many values' bytes one after another in one buffer: value i is the next lengths[i] bytes (-1: null, taking none). */
export interface PackedBytes {
  data: Buffer;
  lengths: Int32Array;
}

/** Turns a key or value into the bytes stored in Kafka (null stays a Kafka null). */
export interface Serializer<T> {
  serialize(topic: string, value: T): Promise<Buffer | null>;
  /** The bytes without waiting, when the topic's schema is already resolved; undefined otherwise. */
  serializeSync?(topic: string, value: T): Buffer | null | undefined;
  /** Many values' bytes in one buffer without waiting (what produceBatch sends in one call); undefined when it cannot. */
  serializePackedSync?(topic: string, values: T[]): PackedBytes | undefined;
}

/** Turns stored bytes back into a key or value. */
export interface Deserializer<T> {
  deserialize(topic: string, bytes: Buffer | null): Promise<T>;
}

/** Why a schema operation failed: what the REST proxy maps to its error codes. */
export type SchemaErrorKind =
  | 'invalid-schema' // the schema does not parse (or the registry refused it as invalid)
  | 'invalid-data' // the data does not match the schema
  | 'not-found' // an unknown schema id, subject or version
  | 'incompatible' // the registry refused a new version (409)
  | 'not-schema-data' // bytes that are not in the wire format
  | 'registry-unavailable'; // the registry is down or refused the request

export class SchemaError extends Error {
  constructor(
    readonly kind: SchemaErrorKind,
    message: string,
    /** The registry's HTTP status and error code, when it answered. */
    readonly registryStatus?: number,
    readonly registryErrorCode?: number,
  ) {
    super(message);
    this.name = 'SchemaError';
  }
}

export const MAGIC_BYTE = 0;

/** A registry failure as the SchemaError it is; `what` names the request (e.g. "schema id 7"). */
export function registryError(error: unknown, what: string): SchemaError {
  if (error instanceof SchemaError) return error;
  if (error instanceof registryRestErrorModule().RestError) {
    const { status, errorCode } = error;
    if (status === 404) return new SchemaError('not-found', `Schema Registry: ${what} not found (${error.message})`, status, errorCode);
    if (status === 409) return new SchemaError('incompatible', `Schema Registry refused ${what} as incompatible with an earlier version (409: ${error.message})`, status, errorCode);
    if (status === 422 && (errorCode === 42201 || errorCode === 42203 || errorCode === 42202 || errorCode === 422)) {
      return new SchemaError('invalid-schema', `Schema Registry refused ${what}: ${error.message}`, status, errorCode);
    }
    return new SchemaError('registry-unavailable', `Schema Registry refused ${what} (${status}, error code ${errorCode}): ${error.message}`, status, errorCode);
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  return new SchemaError('registry-unavailable', `Schema Registry unavailable for ${what}: ${code !== undefined ? `${code} ` : ''}${message}`);
}

/** The 5-byte prefix of a record written with schema `id`. */
export function wirePrefix(id: number, messageIndexes?: number[]): Buffer {
  const head = Buffer.alloc(5);
  head[0] = MAGIC_BYTE;
  head.writeInt32BE(id, 1);
  if (messageIndexes === undefined) return head;
  return Buffer.concat([head, encodeMessageIndexes(messageIndexes)]);
}

/** Protobuf message indexes: [0] is the single byte 0, else zigzag varints of count then indexes. */
function encodeMessageIndexes(indexes: number[]): Buffer {
  if (indexes.length === 1 && indexes[0] === 0) return Buffer.from([0]);
  const bytes: number[] = [];
  for (const n of [indexes.length, ...indexes]) {
    let z = (n << 1) ^ (n >> 31);
    while (z > 0x7f) {
      bytes.push((z & 0x7f) | 0x80);
      z >>>= 7;
    }
    bytes.push(z);
  }
  return Buffer.from(bytes);
}

function readVarint(bytes: Buffer, at: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (at >= bytes.length || shift > 28) throw new SchemaError('not-schema-data', 'Truncated Protobuf message indexes');
    const b = bytes[at++];
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  return [(result >>> 1) ^ -(result & 1), at];
}

function decodeMessageIndexes(bytes: Buffer, at: number): [number[], number] {
  let count: number;
  [count, at] = readVarint(bytes, at);
  if (count === 0) return [[0], at];
  if (count < 0 || count > 100) throw new SchemaError('not-schema-data', `Implausible Protobuf message index count ${count}`);
  const indexes: number[] = [];
  for (let i = 0; i < count; i++) {
    let index: number;
    [index, at] = readVarint(bytes, at);
    indexes.push(index);
  }
  return [indexes, at];
}

/** Subject name for a topic: <topic>-key|value, <record name>, or <topic>-<record name>. */
export function subjectName(strategy: SubjectNameStrategy, topic: string, part: SerdePart, recordName: string | undefined): string {
  if (strategy === 'topic') return `${topic}-${part}`;
  if (recordName === undefined || recordName === '') {
    throw new SchemaError('invalid-schema', `The ${strategy} subject name strategy needs a named record (an Avro record, a JSON Schema with a title, a Protobuf message)`);
  }
  return strategy === 'record' ? recordName : `${topic}-${recordName}`;
}

/** A schema resolved for one topic: its id and how to encode a value with it. */
interface Prepared {
  id: number;
  subject: string;
  /** The whole record: prefix and encoded value. */
  write(value: unknown): Buffer;
  /** The whole record written at `pos` of `buffer`: its end, or -1 when it does not fit (Avro only). */
  writeAt?(buffer: Buffer, pos: number, value: unknown): number;
  /** About how many bytes a value takes, to size the next packed batch. */
  bytesPerValue: number;
}

/** A parsed schema: how to encode and decode with it, and its record name. */
interface Codec {
  recordName: string | undefined;
  /** Protobuf: the indexes of the message used for writing. */
  messageIndexes?: number[];
  encode(value: unknown): Buffer;
  /** The prefix and the encoded value in one buffer, when the codec can write in place (Avro). */
  encodeAfter?(prefix: Buffer, value: unknown): Buffer;
  /** The prefix and the encoded value written at `pos` of `buffer`: the end, or -1 when they do not fit (Avro). */
  encodeAt?(buffer: Buffer, pos: number, prefix: Buffer, value: unknown): number;
  decode(bytes: Buffer, messageIndexes: number[] | undefined): unknown;
  /** The decoded value as JSON text, in the format's own JSON form (Avro's JSON encoding). */
  decodeToJson(bytes: Buffer, messageIndexes: number[] | undefined): string;
}

export interface CodecOptions {
  /** Avro: values in Avro's JSON encoding (unions as {"type": value}, bytes as code points), as the REST proxy takes them. */
  avroJsonEncoding?: boolean;
  /** Protobuf: the fully qualified message to write (default: the first message of the schema). */
  messageName?: string;
}

/** Parses schemas (fetching their references through the registry client) into codecs. */
export class SchemaCodecs {
  // The library's serdes are used for what they do well: parsing with references (toType,
  // toValidateFunction), each with its own cache.
  readonly #avro: AvroSerializer;
  readonly #json: JsonSerializer;

  constructor(readonly client: Client) {
    const { SerdeType } = serdeModule();
    this.#avro = new (avroSerdeModule().AvroSerializer)(client, SerdeType.VALUE, {});
    this.#json = new (jsonSerdeModule().JsonSerializer)(client, SerdeType.VALUE, {});
  }

  async codec(info: SchemaInfo, options: CodecOptions = {}): Promise<Codec> {
    const type = (info.schemaType ?? 'AVRO').toUpperCase();
    if (type === 'AVRO') return this.#avroCodec(info, options);
    if (type === 'JSON') return this.#jsonCodec(info);
    if (type === 'PROTOBUF') return this.#protobufCodec(info, options);
    throw new SchemaError('invalid-schema', `Unknown schema type ${JSON.stringify(info.schemaType)}: AVRO, JSON or PROTOBUF`);
  }

  async #avroCodec(info: SchemaInfo, options: CodecOptions): Promise<Codec> {
    let type: AvroType;
    try {
      [type] = await this.#avro.toType(info);
    } catch (error) {
      throw parseFailure(error, 'Avro');
    }
    const name = (type as { name?: string }).name;
    const jsonEncoding = options.avroJsonEncoding === true;
    const slab = new Slab();
    /** The value to write, checked: from Avro's JSON encoding (the REST proxy's), or as given. */
    const avroValue = (value: unknown): unknown => {
      if (!jsonEncoding) {
        checkAvro(type, value);
        return value;
      }
      try {
        return type.fromString(JSON.stringify(value));
      } catch (error) {
        throw new SchemaError('invalid-data', `Data does not match the Avro schema: ${(error as Error).message}`);
      }
    };
    return {
      recordName: type.typeName === 'record' ? name : undefined,
      encode(value) {
        const checked = avroValue(value);
        return type.toBuffer(checked);
      },
      encodeAfter(prefix, value) {
        const checked = avroValue(value);
        return slab.writeAvro(prefix, type, checked);
      },
      encodeAt: (buffer, pos, prefix, value) => writeAvroAt(buffer, pos, prefix, type, avroValue(value)),
      decode: (bytes) => type.fromBuffer(bytes),
      decodeToJson: (bytes) => type.toString(type.fromBuffer(bytes)),
    };
  }

  async #jsonCodec(info: SchemaInfo): Promise<Codec> {
    let schema: unknown;
    try {
      schema = JSON.parse(info.schema);
    } catch (error) {
      throw new SchemaError('invalid-schema', `The JSON Schema is not JSON: ${(error as Error).message}`);
    }
    let validate: ((value: unknown) => boolean) & { errors?: unknown };
    try {
      validate = (await this.#json.toValidateFunction(info)) as typeof validate;
    } catch (error) {
      throw parseFailure(error, 'JSON Schema');
    }
    const title = typeof schema === 'object' && schema !== null ? (schema as { title?: unknown }).title : undefined;
    return {
      recordName: typeof title === 'string' ? title : undefined,
      encode(value) {
        if (value === undefined) throw new SchemaError('invalid-data', 'Data does not match the JSON Schema: no value');
        if (validate !== undefined && validate !== null && !validate(value)) {
          throw new SchemaError('invalid-data', `Data does not match the JSON Schema: ${JSON.stringify(validate.errors)}`);
        }
        return Buffer.from(JSON.stringify(value), 'utf8');
      },
      decode(bytes) {
        try {
          return JSON.parse(bytes.toString('utf8'));
        } catch (error) {
          throw new SchemaError('not-schema-data', `Stored JSON Schema data is not JSON: ${(error as Error).message}`);
        }
      },
      decodeToJson(bytes) {
        const text = bytes.toString('utf8');
        JSON.parse(text); // checked, never re-serialized
        return text;
      },
    };
  }

  async #protobufCodec(info: SchemaInfo, options: CodecOptions): Promise<Codec> {
    const protobuf = protobufjs();
    const root = new protobuf.Root();
    let messages: Protobuf.Type[];
    try {
      await this.#addReferences(root, info.references ?? [], new Set());
      // The file's own top-level messages, in declaration order (message index 0 is the first),
      // read from it alone; then looked up in the root that has its imports too.
      const own = protobuf.parse(info.schema, { keepCase: true });
      const ownNamespace = own.package === undefined ? own.root : own.root.lookup(own.package);
      const names = ownNamespace instanceof protobuf.Namespace ? ownNamespace.nestedArray.filter((n) => n instanceof protobuf.Type).map((n) => n.fullName) : [];
      protobuf.parse(info.schema, root, { keepCase: true });
      root.resolveAll();
      messages = names.map((name) => root.lookupType(name));
    } catch (error) {
      throw error instanceof SchemaError ? error : new SchemaError('invalid-schema', `Invalid Protobuf schema: ${(error as Error).message}`);
    }
    if (messages.length === 0) throw new SchemaError('invalid-schema', 'Invalid Protobuf schema: it defines no message');
    const writer = options.messageName === undefined ? messages[0] : root.lookupType(options.messageName);
    const writerIndexes = indexesOf(messages, writer);
    const byIndexes = (indexes: number[] | undefined): Protobuf.Type => {
      let type: Protobuf.Type | undefined = messages[indexes?.[0] ?? 0];
      for (const i of (indexes ?? [0]).slice(1)) type = type?.nestedArray.filter((n): n is Protobuf.Type => n instanceof protobuf.Type)[i];
      if (type === undefined) throw new SchemaError('not-schema-data', `No Protobuf message at indexes ${JSON.stringify(indexes)}`);
      return type;
    };
    const toObject = (type: Protobuf.Type, bytes: Buffer) => type.toObject(type.decode(bytes), { longs: String, enums: String, bytes: String, defaults: true, json: true });
    return {
      recordName: writer.fullName.replace(/^\./, ''),
      messageIndexes: writerIndexes,
      encode(value) {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SchemaError('invalid-data', `Data does not match the Protobuf message ${writer.name}: it must be an object`);
        // Field names are checked first: fromObject would drop an unknown one without a word.
        const unknown = unknownField(writer, value as { [key: string]: unknown }, '');
        if (unknown !== undefined) throw new SchemaError('invalid-data', `Data does not match the Protobuf message ${writer.name}: no field ${unknown}`);
        let message: Protobuf.Message;
        try {
          message = writer.fromObject(value as { [key: string]: unknown });
        } catch (error) {
          throw new SchemaError('invalid-data', `Data does not match the Protobuf message ${writer.name}: ${(error as Error).message}`);
        }
        const problem = writer.verify(message);
        if (problem !== null) throw new SchemaError('invalid-data', `Data does not match the Protobuf message ${writer.name}: ${problem}`);
        return Buffer.from(writer.encode(message).finish());
      },
      decode: (bytes, indexes) => toObject(byIndexes(indexes), bytes),
      decodeToJson: (bytes, indexes) => JSON.stringify(toObject(byIndexes(indexes), bytes)),
    };
  }

  /** Parses each referenced schema (an import) into the root, depth first. */
  async #addReferences(root: Protobuf.Root, references: SchemaReference[], seen: Set<string>): Promise<void> {
    const protobuf = protobufjs();
    for (const ref of references) {
      const key = `${ref.subject}\0${ref.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      let meta;
      try {
        meta = await this.client.getSchemaMetadata(ref.subject, ref.version, false);
      } catch (error) {
        throw registryError(error, `reference ${ref.name} (subject ${ref.subject} version ${ref.version})`);
      }
      await this.#addReferences(root, meta.references ?? [], seen);
      protobuf.parse(meta.schema, root, { keepCase: true });
    }
  }
}

/** The path of the first member of `value` (JSON form) that `type` has no field for; nested messages too. */
function unknownField(type: Protobuf.Type, value: { [key: string]: unknown }, path: string): string | undefined {
  const protobuf = protobufjs();
  for (const [name, member] of Object.entries(value)) {
    const field = type.fields[name];
    if (field === undefined) return `${path}${name}`;
    field.resolve();
    if (!(field.resolvedType instanceof protobuf.Type) || field.map || member === null || typeof member !== 'object') continue;
    for (const item of Array.isArray(member) ? member : [member]) {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) continue;
      const found = unknownField(field.resolvedType, item as { [key: string]: unknown }, `${path}${name}.`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Throws invalid-data naming the first field of `value` that `type` does not accept. */
function checkAvro(type: AvroType, value: unknown): void {
  if (type.isValid(value)) return;
  let problem: string | undefined;
  type.isValid(value, {
    errorHook: (path, found, expected) => {
      problem ??= `${path.length > 0 ? `field ${path.join('.')}: ` : ''}expected ${String((expected as { typeName?: string }).typeName ?? expected)}, got ${JSON.stringify(found) ?? String(found)}`;
    },
  });
  throw new SchemaError('invalid-data', `Data does not match the Avro schema: ${problem ?? 'invalid'}`);
}

/**
 * Records written one after another into shared 64 KiB slabs, each returned as a view of its
 * own bytes (as Node pools small Buffers): one allocation per slab, not two per record. A slab
 * is never written again once it is full, so a view stays valid as long as it is kept.
 */
class Slab {
  static readonly SIZE = 64 * 1024;
  #buffer = Buffer.allocUnsafe(Slab.SIZE);
  #used = 0;

  /** The prefix and `value` encoded by `type`. */
  writeAvro(prefix: Buffer, type: AvroType, value: unknown): Buffer {
    for (;;) {
      const buffer = this.#buffer;
      const start = this.#used;
      const end = writeAvroAt(buffer, start, prefix, type, value);
      if (end >= 0) {
        this.#used = end;
        return view(buffer, start, end - start);
      }
      // Did not fit: a fresh slab, twice as large when even an empty one was too small.
      this.#fresh(start === 0 ? buffer.length * 2 : Slab.SIZE);
    }
  }

  #fresh(size: number): void {
    this.#buffer = Buffer.allocUnsafe(size);
    this.#used = 0;
  }
}

/** `prefix` and `value` encoded by `type` at `pos` of `buffer`: the end, or -1 when they do not fit. */
function writeAvroAt(buffer: Buffer, pos: number, prefix: Buffer, type: AvroType, value: unknown): number {
  if (buffer.length - pos < prefix.length) return -1;
  for (let i = 0; i < prefix.length; i++) buffer[pos + i] = prefix[i]; // 5 bytes: cheaper than a native copy
  const end = type.encode(value, buffer, pos + prefix.length); // negative when the room ran out
  return end >= 0 ? end : -1;
}

/** The message indexes of `type` among the file's top-level messages and their nested ones. */
function indexesOf(messages: Protobuf.Type[], type: Protobuf.Type): number[] {
  const protobuf = protobufjs();
  const path: number[] = [];
  let current: Protobuf.ReflectionObject | null = type;
  while (current !== null && current instanceof protobuf.Type) {
    const top = messages.indexOf(current);
    if (top >= 0) return [top, ...path];
    const parent: Protobuf.ReflectionObject | null = current.parent;
    if (!(parent instanceof protobuf.Type)) break;
    path.unshift(parent.nestedArray.filter((n) => n instanceof protobuf.Type).indexOf(current));
    current = parent;
  }
  throw new SchemaError('invalid-schema', `Protobuf message ${type.fullName} is not declared in the schema`);
}

function parseFailure(error: unknown, what: string): SchemaError {
  if (error instanceof SchemaError) return error;
  if (error instanceof registryRestErrorModule().RestError || (error as { isAxiosError?: boolean }).isAxiosError === true) return registryError(error, `a reference of the ${what} schema`);
  return new SchemaError('invalid-schema', `Invalid ${what} schema: ${error instanceof Error ? error.message : String(error)}`);
}

export interface SchemaSerializerOptions extends CodecOptions {
  type: SchemaType;
  /** Key or value: decides the topic subject (<topic>-key / <topic>-value). Default value. */
  part?: SerdePart;
  /** The schema to write with (text, or an object for Avro and JSON Schema). */
  schema?: string | object;
  /** Schemas it references (Avro named types, JSON Schema $ref, Protobuf imports), already registered. */
  references?: SchemaReference[];
  /** Register the schema under its subject when it is not there (auto.register.schemas; default true). */
  autoRegister?: boolean;
  /** Write with the subject's latest version instead of a given schema (use.latest.version). */
  useLatestVersion?: boolean;
  /** Write with this registered schema id. */
  schemaId?: number;
  subjectNameStrategy?: SubjectNameStrategy;
  /** This subject, whatever the topic (instead of the strategy's). */
  subject?: string;
  /** Write with this version of the subject. */
  schemaVersion?: number;
  /** Topics whose schema resolution is kept (each a registry answer); default 1000. */
  cacheCapacity?: number;
}

/**
 * A serializer for one schema type: resolves the schema per topic once (register or look up),
 * then encodes without further registry calls. Build with a registry client (`registryClient`).
 */
export class SchemaSerializer<T = unknown> implements Serializer<T> {
  readonly #codecs: SchemaCodecs;
  readonly #options: SchemaSerializerOptions;
  readonly #part: SerdePart;
  readonly #strategy: SubjectNameStrategy;
  readonly #prepared = new Map<string, Prepared>();
  readonly #preparing = new Map<string, Promise<Prepared>>();
  readonly #capacity: number;

  constructor(client: Client | SchemaCodecs, options: SchemaSerializerOptions) {
    this.#codecs = client instanceof SchemaCodecs ? client : new SchemaCodecs(client);
    if (!['AVRO', 'JSON', 'PROTOBUF'].includes(options.type)) throw new TypeError(`Expected AVRO, JSON or PROTOBUF for options.type but received ${JSON.stringify(options.type)}`);
    if (options.schema === undefined && options.schemaId === undefined && options.schemaVersion === undefined && options.useLatestVersion !== true) {
      throw new TypeError('A SchemaSerializer needs options.schema, options.schemaId, options.schemaVersion or options.useLatestVersion');
    }
    this.#options = options;
    this.#part = options.part ?? 'value';
    this.#strategy = options.subjectNameStrategy ?? 'topic';
    if (!['topic', 'record', 'topic-record'].includes(this.#strategy)) throw new TypeError(`Expected topic, record or topic-record for options.subjectNameStrategy but received ${JSON.stringify(this.#strategy)}`);
    this.#capacity = options.cacheCapacity ?? 1000;
  }

  /** Resolves the topic's schema (registering it if so configured): its id and subject. */
  async prepare(topic: string): Promise<{ id: number; subject: string }> {
    const prepared = await this.#prepare(topic);
    return { id: prepared.id, subject: prepared.subject };
  }

  async serialize(topic: string, value: T): Promise<Buffer | null> {
    if (value === null || value === undefined) return null;
    const prepared = this.#prepared.get(topic) ?? (await this.#prepare(topic));
    return prepared.write(value);
  }

  serializeSync(topic: string, value: T): Buffer | null | undefined {
    if (value === null || value === undefined) return null;
    const prepared = this.#prepared.get(topic);
    return prepared === undefined ? undefined : prepared.write(value);
  }

  /**
   * `values` written one after another into one buffer (null and undefined as -1: a Kafka null),
   * which produceBatch hands to librdkafka in one call: no Buffer per value. When the topic's
   * schema is resolved and its format writes in place (Avro); undefined otherwise.
   */
  serializePackedSync(topic: string, values: T[]): PackedBytes | undefined {
    const prepared = this.#prepared.get(topic);
    if (prepared?.writeAt === undefined) return undefined;
    const lengths = new Int32Array(values.length);
    let data = Buffer.allocUnsafe(Math.max(1024, values.length * prepared.bytesPerValue));
    let pos = 0;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value === null || value === undefined) {
        lengths[i] = -1;
        continue;
      }
      let end = prepared.writeAt(data, pos, value);
      while (end < 0) {
        const larger = Buffer.allocUnsafe(data.length * 2);
        data.copy(larger, 0, 0, pos);
        data = larger;
        end = prepared.writeAt(data, pos, value);
      }
      lengths[i] = end - pos;
      pos = end;
    }
    if (values.length > 0) prepared.bytesPerValue = Math.ceil(pos / values.length) + 8; // a little room: one batch, one allocation
    return { data, lengths };
  }

  #prepare(topic: string): Promise<Prepared> {
    let pending = this.#preparing.get(topic);
    if (pending === undefined) {
      pending = this.#resolve(topic).then(
        (prepared) => {
          this.#preparing.delete(topic);
          if (this.#prepared.size >= this.#capacity) this.#prepared.delete(this.#prepared.keys().next().value as string);
          this.#prepared.set(topic, prepared);
          return prepared;
        },
        (error: unknown) => {
          this.#preparing.delete(topic); // a failure is tried again by the next call
          throw error;
        },
      );
      this.#preparing.set(topic, pending);
    }
    return pending;
  }

  /** The codec of a registered schema, which must be of this serializer's type. */
  async #codec(info: SchemaInfo, what: string): Promise<Codec> {
    const type = (info.schemaType ?? 'AVRO').toUpperCase();
    if (type !== this.#options.type) throw new SchemaError('invalid-schema', `${what} is a ${type} schema, not ${this.#options.type}`);
    return this.#codecs.codec(info, this.#options);
  }

  async #resolve(topic: string): Promise<Prepared> {
    const { client } = this.#codecs;
    const options = this.#options;
    let info: SchemaInfo | undefined;
    let codec: Codec | undefined;
    if (options.schema !== undefined) {
      info = { schemaType: options.type, schema: typeof options.schema === 'string' ? options.schema : JSON.stringify(options.schema), references: options.references };
      codec = await this.#codecs.codec(info, options); // a schema that does not parse goes no further
    }
    let subject = options.subject ?? (info === undefined ? (this.#strategy === 'topic' ? subjectName('topic', topic, this.#part, undefined) : undefined) : subjectName(this.#strategy, topic, this.#part, codec?.recordName));
    let id: number;
    if (options.schemaId !== undefined) {
      id = options.schemaId;
      try {
        info = await client.getBySubjectAndId(subject ?? '', id);
      } catch (error) {
        throw registryError(error, `schema id ${id}`);
      }
      codec = await this.#codec(info, `schema id ${id}`);
      subject ??= subjectName(this.#strategy, topic, this.#part, codec.recordName);
    } else if (options.useLatestVersion === true || options.schemaVersion !== undefined) {
      const which = options.schemaVersion === undefined ? 'the latest version' : `version ${options.schemaVersion}`;
      if (subject === undefined) throw new SchemaError('invalid-schema', `${which} with the ${this.#strategy} strategy needs a subject or a schema to name the record`);
      try {
        const found = options.schemaVersion === undefined ? await client.getLatestSchemaMetadata(subject) : await client.getSchemaMetadata(subject, options.schemaVersion, false);
        id = found.id!;
        info = found;
      } catch (error) {
        throw registryError(error, `${which} of subject ${subject}`);
      }
      codec = await this.#codec(info, `${which} of subject ${subject}`);
    } else {
      try {
        id = options.autoRegister === false ? await client.getId(subject!, info!, false) : await client.register(subject!, info!, false);
      } catch (error) {
        throw registryError(error, options.autoRegister === false ? `the schema under subject ${subject}` : `registering the schema under subject ${subject}`);
      }
    }
    const prefix = wirePrefix(id, options.type === 'PROTOBUF' ? codec!.messageIndexes : undefined);
    const { encode, encodeAfter, encodeAt } = codec!;
    const write = encodeAfter === undefined ? (value: unknown) => Buffer.concat([prefix, encode(value)]) : (value: unknown) => encodeAfter(prefix, value);
    // What the libraries throw on a value they cannot walk (a cycle, too deep) is the data's fault too.
    const encodingFailure = (error: unknown): SchemaError =>
      error instanceof SchemaError ? error : new SchemaError('invalid-data', `Data cannot be encoded with the ${options.type} schema: ${error instanceof Error ? error.message : String(error)}`);
    return {
      id,
      subject: subject!,
      bytesPerValue: 64,
      write(value) {
        try {
          return write(value);
        } catch (error) {
          throw encodingFailure(error);
        }
      },
      writeAt:
        encodeAt === undefined
          ? undefined
          : (buffer, pos, value) => {
              try {
                return encodeAt(buffer, pos, prefix, value);
              } catch (error) {
                throw encodingFailure(error);
              }
            },
    };
  }
}

export interface SchemaDeserializerOptions extends CodecOptions {
  /** Schemas kept by id; default 1000. */
  cacheCapacity?: number;
}

/**
 * A deserializer for data in Confluent's wire format of any schema type: the schema comes from
 * the registry by the id in the data (the writer's schema, so old data decodes as written).
 */
export class SchemaDeserializer<T = unknown> implements Deserializer<T> {
  readonly #codecs: SchemaCodecs;
  readonly #options: SchemaDeserializerOptions;
  readonly #byId = new Map<number, Promise<{ codec: Codec; type: string }>>();

  constructor(client: Client | SchemaCodecs, options: SchemaDeserializerOptions = {}) {
    this.#codecs = client instanceof SchemaCodecs ? client : new SchemaCodecs(client);
    this.#options = options;
  }

  async deserialize(_topic: string, bytes: Buffer | null): Promise<T> {
    if (bytes === null) return null as T;
    const { codec, indexes, payload } = await this.#read(bytes);
    try {
      return codec.decode(payload, indexes) as T;
    } catch (error) {
      throw error instanceof SchemaError ? error : new SchemaError('not-schema-data', `Data does not decode with its schema: ${(error as Error).message}`);
    }
  }

  /** The data as JSON text (Avro in its JSON encoding), as the REST proxy returns it. */
  async deserializeToJson(bytes: Buffer | null): Promise<string> {
    if (bytes === null) return 'null';
    const { codec, indexes, payload } = await this.#read(bytes);
    try {
      return codec.decodeToJson(payload, indexes);
    } catch (error) {
      throw error instanceof SchemaError ? error : new SchemaError('not-schema-data', `Data does not decode with its schema: ${(error as Error).message}`);
    }
  }

  /** The schema id of wire-format data, or undefined when the bytes are not in that format. */
  static schemaIdOf(bytes: Buffer | null): number | undefined {
    return bytes !== null && bytes.length >= 5 && bytes[0] === MAGIC_BYTE ? bytes.readInt32BE(1) : undefined;
  }

  async #read(bytes: Buffer): Promise<{ codec: Codec; indexes: number[] | undefined; payload: Buffer }> {
    const id = SchemaDeserializer.schemaIdOf(bytes);
    if (id === undefined) throw new SchemaError('not-schema-data', `Data is not in the Schema Registry wire format (magic byte 0 and a 4-byte schema id): ${bytes.length} bytes starting ${bytes.subarray(0, 8).toString('hex')}`);
    const { codec, type } = await this.#schema(id);
    let at = 5;
    let indexes: number[] | undefined;
    if (type === 'PROTOBUF') [indexes, at] = decodeMessageIndexes(bytes, at);
    return { codec, indexes, payload: bytes.subarray(at) };
  }

  #schema(id: number): Promise<{ codec: Codec; type: string }> {
    let entry = this.#byId.get(id);
    if (entry === undefined) {
      entry = (async () => {
        let info: SchemaInfo;
        try {
          info = await this.#codecs.client.getBySubjectAndId('', id);
        } catch (error) {
          throw registryError(error, `schema id ${id}`);
        }
        return { codec: await this.#codecs.codec(info, this.#options), type: (info.schemaType ?? 'AVRO').toUpperCase() };
      })();
      entry.catch(() => this.#byId.delete(id)); // a failure is asked again next time
      if (this.#byId.size >= (this.#options.cacheCapacity ?? 1000)) this.#byId.delete(this.#byId.keys().next().value as number);
      this.#byId.set(id, entry);
    }
    return entry;
  }
}
