// The Confluent media types: application/vnd.kafka[.<format>].v<version>+json, or application/json.
import { RestError } from './rest-error';

export type EmbeddedFormat = 'binary' | 'json' | 'avro' | 'jsonschema' | 'protobuf';
const FORMATS = new Set<string>(['binary', 'json', 'avro', 'jsonschema', 'protobuf']);

export interface MediaType {
  /** The embedded format, when the type names one. */
  format?: EmbeddedFormat;
  /** API version: 1, 2 or 3 (plain application/json counts as 2). */
  version: number;
}

const KAFKA_TYPE = /^application\/vnd\.kafka(?:\.([a-z]+))?\.v([123])\+json$/;

/** Parses a Content-Type or Accept value; undefined when it is not one of ours. */
export function parseMediaType(header: string | undefined): MediaType | undefined {
  if (header === undefined) return undefined;
  const type = header.split(';')[0].trim().toLowerCase();
  if (type === 'application/json' || type === 'application/*' || type === '*/*') return { version: 2 };
  const match = KAFKA_TYPE.exec(type);
  if (match === null || (match[1] !== undefined && !FORMATS.has(match[1]))) return undefined;
  return { format: match[1] as EmbeddedFormat | undefined, version: Number(match[2]) };
}

/** The best of an Accept header's types that we serve (first listed wins). */
export function parseAccept(header: string | undefined): MediaType | undefined {
  if (header === undefined || header.trim() === '') return { version: 2 };
  for (const part of header.split(',')) {
    const media = parseMediaType(part);
    if (media !== undefined) return media;
  }
  return undefined;
}

/** Content-Type values already read by produceFormat: clients send the same few on every request. */
const knownFormats = new Map<string, EmbeddedFormat>();
const KNOWN_FORMATS_MAX = 64;

/** The embedded format of a produce request, or a clear 4xx. */
export function produceFormat(contentType: string | undefined): EmbeddedFormat {
  if (contentType === undefined || contentType.length > 100) return readProduceFormat(contentType);
  const known = knownFormats.get(contentType);
  if (known !== undefined) return known;
  const format = readProduceFormat(contentType);
  if (knownFormats.size >= KNOWN_FORMATS_MAX) knownFormats.clear(); // a client varying its header gains nothing but a re-read
  knownFormats.set(contentType, format);
  return format;
}

function readProduceFormat(contentType: string | undefined): EmbeddedFormat {
  const media = parseMediaType(contentType);
  if (media === undefined) throw new RestError(415, 415, `Unsupported Content-Type ${JSON.stringify(contentType ?? '')}: use application/vnd.kafka.{binary,json,avro,jsonschema,protobuf}.v2+json`);
  if (media.format === 'jsonschema' || media.format === 'protobuf') {
    if (media.version === 1) throw new RestError(415, 415, `The ${media.format} format is a v2 type: use application/vnd.kafka.${media.format}.v2+json`);
  }
  return media.format ?? 'json';
}
