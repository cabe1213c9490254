// A list of (topic, partition, offset): subscriptions, commits and committed-offset queries.
import { KafkaError } from './errors';
import { capi, type TopicPartitionListHandle } from './native';
import { expectInteger, expectPartition, expectString, invalidParameter } from './validate';

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  /** -1001 (invalid) when not set. */
  offset: number;
  /** librdkafka's error code for this entry, 0 when none. */
  error: number;
}

export const OFFSET_INVALID = -1001;

export class TopicPartitionList {
  /** The native list, for the C-style functions. */
  readonly handle: TopicPartitionListHandle = capi.NewTopicPartitionList();

  /** Adds a topic (partition -1: all, for subscriptions) or a topic-partition; once per pair. */
  add(topic: string, partition = -1): this {
    capi.SetTopicPartitionList(this.handle, expectString(topic, 'topic'), expectPartition(partition));
    return this;
  }

  /** Sets the offset of a pair already in the list. */
  setOffset(topic: string, partition: number, offset: number): this {
    expectString(topic, 'topic');
    expectInteger(partition, 'partition', -1, 2147483647);
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset)) throw invalidParameter('an integer offset', 'offset', offset);
    const code = capi.SetOffset(this.handle, topic, partition, offset);
    if (code !== 0) throw new KafkaError(code, `${topic} [${partition}] is not in the list`);
    return this;
  }

  entries(): TopicPartitionOffset[] {
    return capi.TopicPartitionListEntries(this.handle).map(([topic, partition, offset, error]) => ({ topic, partition, offset, error }));
  }

  /** Frees the native list now (otherwise the garbage collector does). */
  destroy(): void {
    capi.DestroyTopicPartitionList(this.handle);
  }
}
