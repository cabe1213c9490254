// A Kafka record, as produced or consumed (the APL class Record: Topic Payload Key Partition Offset).
import type { HeaderTuple, MessageTuple } from './native';

export class Record {
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

  /** The payload as UTF-8 text (`null` stays `null`). */
  value(): string | null {
    return this.payload === null ? null : this.payload.toString('utf8');
  }

  /** The key as UTF-8 text (`null` stays `null`). */
  keyString(): string | null {
    return this.key === null ? null : this.key.toString('utf8');
  }
}
