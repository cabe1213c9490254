// The REST proxy's schema formats (avro, jsonschema, protobuf): the serializer a produce request's
// key_schema / value_schema (or *_schema_id) asks for, the deserializer of consumer instances, and
// schema errors as the Confluent proxy's error codes.
import type { Client } from '@confluentinc/schemaregistry';
import { SchemaDeserializer, SchemaError, SchemaSerializer, type SchemaType, type SerdePart, type SubjectNameStrategy } from '../schema';
import { SchemaCodecs } from '../schema/serdes';
import { RestError } from './rest-error';

export type SchemaFormat = 'avro' | 'jsonschema' | 'protobuf';

export const SCHEMA_TYPE: { [format in SchemaFormat]: SchemaType } = { avro: 'AVRO', jsonschema: 'JSON', protobuf: 'PROTOBUF' };

export function isSchemaFormat(format: string): format is SchemaFormat {
  return format === 'avro' || format === 'jsonschema' || format === 'protobuf';
}

/** How a request names the schema of its keys or values (v3 may add a subject or a strategy). */
export interface SchemaChoice {
  schema?: string;
  schemaId?: number;
  /** A version of `subject` (or of the strategy's subject). */
  version?: number;
  subject?: string;
  strategy?: SubjectNameStrategy;
  /** None of schema, id or version: the subject's latest version. */
  latest?: boolean;
}

/**
 * Serializers held for reuse across requests (each caches its schema per topic), and the largest
 * schema a request may carry: together they bound what clients can make the proxy hold (each
 * schema is also kept, parsed, in the registry client's caches of the same capacity).
 */
const MAX_SERIALIZERS = 256;
export const MAX_SCHEMA_BYTES = 256 * 1024;

export class ProxySchemas {
  readonly codecs: SchemaCodecs;
  readonly deserializer: SchemaDeserializer;
  readonly #serializers = new Map<string, SchemaSerializer>();

  constructor(
    readonly client: Client,
    /** Where the registry is, for messages ("the embedded registry at …"). */
    readonly description: string,
  ) {
    this.codecs = new SchemaCodecs(client);
    // Avro comes out in Avro's JSON encoding, as Confluent's proxy writes it.
    this.deserializer = new SchemaDeserializer(this.codecs, { avroJsonEncoding: true });
  }

  /** Encodes `values` (JSON data) for `topic`; resolves the schema first. All or none: a failure throws before anything is produced. */
  async serialize(format: SchemaFormat, part: SerdePart, choice: SchemaChoice, topic: string, values: unknown[], what: (i: number) => string): Promise<{ id: number; bytes: Array<Buffer | null> }> {
    let serializer: SchemaSerializer;
    try {
      serializer = this.#serializer(format, part, choice);
    } catch (error) {
      throw error instanceof RestError ? error : new RestError(400, 400, (error as Error).message);
    }
    let id: number;
    try {
      ({ id } = await serializer.prepare(topic));
    } catch (error) {
      throw schemaRestError(error, this.description);
    }
    const bytes = values.map((value, i) => {
      try {
        return serializer.serializeSync(topic, value) ?? null;
      } catch (error) {
        const rest = schemaRestError(error, this.description);
        throw new RestError(rest.status, rest.errorCode, `${what(i)}: ${rest.message}`);
      }
    });
    return { id, bytes };
  }

  #serializer(format: SchemaFormat, part: SerdePart, choice: SchemaChoice): SchemaSerializer {
    if (choice.schema !== undefined && Buffer.byteLength(choice.schema) > MAX_SCHEMA_BYTES) {
      throw new RestError(422, 42205, `The ${part} schema is larger than ${MAX_SCHEMA_BYTES} bytes`);
    }
    const key = JSON.stringify([format, part, choice]);
    let serializer = this.#serializers.get(key);
    if (serializer !== undefined) return serializer;
    serializer = new SchemaSerializer(this.codecs, {
      type: SCHEMA_TYPE[format],
      part,
      schema: choice.schema,
      schemaId: choice.schemaId,
      schemaVersion: choice.version,
      useLatestVersion: choice.latest,
      subject: choice.subject,
      subjectNameStrategy: choice.strategy,
      avroJsonEncoding: true,
    });
    if (this.#serializers.size >= MAX_SERIALIZERS) this.#serializers.delete(this.#serializers.keys().next().value as string);
    this.#serializers.set(key, serializer);
    return serializer;
  }
}

/** A schema failure as the REST error Confluent's proxy answers (its Errors.java codes). */
export function schemaRestError(error: unknown, registry: string, what?: string): RestError {
  if (error instanceof RestError) return error;
  if (!(error instanceof SchemaError)) return new RestError(500, 500, error instanceof Error ? error.message : String(error));
  const message = what === undefined ? error.message : `${error.message} (${what})`;
  switch (error.kind) {
    case 'invalid-schema':
      return new RestError(422, 42205, message);
    case 'invalid-data':
      return new RestError(422, 42207, message);
    case 'not-found':
      return new RestError(404, 40403, message);
    case 'incompatible':
      return new RestError(409, 409, message);
    case 'not-schema-data':
      return new RestError(422, 42203, message);
    default:
      return new RestError(503, 50301, `${message} (Schema Registry: ${registry})`);
  }
}
