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

/** How a request names the schema of its keys or values. */
export type SchemaChoice =
  | { schema: string }
  | { schemaId: number }
  | { subject: string; version: number }
  | { latest: true; strategy: SubjectNameStrategy };

/** Serializers held for reuse across requests (each caches its schema per topic). */
const MAX_SERIALIZERS = 1000;

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
    const serializer = await this.#serializer(format, part, choice);
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

  async #serializer(format: SchemaFormat, part: SerdePart, choice: SchemaChoice): Promise<SchemaSerializer> {
    const key = JSON.stringify([format, part, choice]);
    let serializer = this.#serializers.get(key);
    if (serializer !== undefined) return serializer;
    const type = SCHEMA_TYPE[format];
    if ('schema' in choice) serializer = new SchemaSerializer(this.codecs, { type, part, schema: choice.schema, avroJsonEncoding: true });
    else if ('schemaId' in choice) serializer = new SchemaSerializer(this.codecs, { type, part, schemaId: choice.schemaId, avroJsonEncoding: true });
    else if ('latest' in choice) serializer = new SchemaSerializer(this.codecs, { type, part, useLatestVersion: true, subjectNameStrategy: choice.strategy, avroJsonEncoding: true });
    else {
      let info;
      try {
        info = await this.client.getSchemaMetadata(choice.subject, choice.version, false);
      } catch (error) {
        throw schemaRestError(error, this.description, `version ${choice.version} of subject ${choice.subject}`);
      }
      serializer = new SchemaSerializer(this.codecs, { type, part, schemaId: info.id, avroJsonEncoding: true });
    }
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
