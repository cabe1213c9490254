// A Kafka record, as produced or consumed (the APL class Record: Topic Payload Key Partition Offset).
import { PACKED_FIELDS, type CodeAndMessage, type HeaderTuple, type MessageTuple, type PackedBatch } from './native';

export class Record<V = unknown, K = unknown> {
  /** The payload as the consumer's valueDeserializer made it; absent without one. */
  declare decodedValue?: V;
  /** The key as the consumer's keyDeserializer made it; absent without one. */
  declare decodedKey?: K;

  constructor(
    readonly topic: string,
    /** The value; `null` is a Kafka null (a tombstone), distinct from empty. */
    readonly payload: Buffer | null,
    readonly key: Buffer | null = null,
    /** The partition; -1 lets the partitioner choose when producing. */
    readonly partition: number = -1,
    /** The offset within the partition; -1 before the record is on a broker. */
    readonly offset: number = -1,
    /** Headers in order; names may repeat. */
    readonly headers: HeaderTuple[] = [],
    /** Milliseconds since the epoch; -1 when unknown. */
    readonly timestamp: number = -1,
  ) {}

  /** The record from a consumed message tuple. */
  static fromMessage(message: MessageTuple): Record {
    const [, topic, payload, key, partition, offset, timestamp, headers] = message;
    return new Record(topic, payload, key, partition, offset, headers, timestamp);
  }

  /**
   * The records of a `ConsumeBatchPacked` result, appended to `into` in order; each error row is
   * passed to `onError`. Payloads and keys are views of the batch's one buffer (no copy per
   * record): a record kept for long keeps its batch's buffer alive (`Buffer.from` copies one out).
   */
  static fromPacked(batch: PackedBatch, into: Record[], onError: (code: number, message: string) => void): Record[] {
    // A view per payload and key is most of this loop's cost: see `view`.
    const [, count, topics, fields, data, extras] = batch;
    const view = viewsOf(data);
    for (let i = 0, f = 0; i < count; i++, f += PACKED_FIELDS) {
      const topic = fields[f];
      if (topic < 0) {
        const [code, message] = extras![fields[f + 7]] as CodeAndMessage;
        onError(code, message);
        continue;
      }
      const start = fields[f + 4];
      const payloadLength = fields[f + 5];
      const keyStart = start + (payloadLength > 0 ? payloadLength : 0);
      const keyLength = fields[f + 6];
      const headers = fields[f + 7] < 0 ? [] : (extras![fields[f + 7]] as HeaderTuple[]);
      into.push(
        new Record(
          topics[topic],
          payloadLength < 0 ? null : view(start, payloadLength),
          keyLength < 0 ? null : view(keyStart, keyLength),
          fields[f + 1],
          fields[f + 2],
          headers,
          fields[f + 3],
        ),
      );
    }
    return into;
  }

  /** The payload as UTF-8 text (`null` stays `null`). */
  value(): string | null {
    return this.payload === null ? null : this.payload.toString('utf8');
  }

  /** The key as UTF-8 text (`null` stays `null`). */
  keyString(): string | null {
    return this.key === null ? null : this.key.toString('utf8');
  }
}

/**
 * Node's Buffer class (`FastBuffer`, what `Buffer[Symbol.species]` returns): constructing one over
 * an ArrayBuffer range is a plain typed-array construction, about three times cheaper than
 * `subarray` (which looks the species up on every call). `subarray` if that ever changes.
 */
const FastBuffer = (Buffer as unknown as { [Symbol.species]: unknown })[Symbol.species] as new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Buffer;
const fastViews = (() => {
  if ((FastBuffer as unknown) === Buffer) return false; // the deprecated Buffer constructor: no
  try {
    const probe = new FastBuffer(new ArrayBuffer(4), 1, 2);
    return Buffer.isBuffer(probe) && probe.byteOffset === 1 && probe.length === 2;
  } catch {
    return false;
  }
})();

/** `length` bytes of `data` from `start`, as a Buffer sharing its memory. */
export const view: (data: Buffer, start: number, length: number) => Buffer = fastViews
  ? (data, start, length) => new FastBuffer(data.buffer, data.byteOffset + start, length)
  : (data, start, length) => data.subarray(start, start + length);

/**
 * `view` for many ranges of one Buffer: its ArrayBuffer and offset are read once (`.buffer` is a
 * call into V8 each time, about a tenth of a batch's views).
 */
export function viewsOf(data: Buffer): (start: number, length: number) => Buffer {
  if (!fastViews) return (start, length) => data.subarray(start, start + length);
  const { buffer, byteOffset } = data;
  return (start, length) => new FastBuffer(buffer, byteOffset + start, length);
}
