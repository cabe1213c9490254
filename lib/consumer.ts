// The Consumer class (the APL Consumer, plus promises and async iteration). Messages are taken
// through the C-style Consume; waiting is a wake-up from librdkafka, never a polling timer.
import { applyConfig, setConfig, type Config } from './config';
import { ErrorCode, KafkaError } from './errors';
import { Fifo } from './fifo';
import { capi, type ConsumeResult, type KafkaHandle } from './native';
import { Record } from './record';
import { OFFSET_INVALID, TopicPartitionList } from './topic-partition-list';
import { expectInteger, expectString, expectTimeout, invalidParameter, INT32_MAX } from './validate';

/** An offset to commit: the next offset to read (Kafka's convention), as in `commit`. */
export interface CommitOffset {
  topic: string;
  partition: number;
  offset: number;
}

interface Waiter {
  resolve: (record: Record | undefined) => void;
  reject: (error: KafkaError) => void;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
}

export class Consumer implements AsyncIterable<Record> {
  readonly #handle: KafkaHandle;
  #closed = false;
  #subscribed = false;
  #waiters = new Fifo<Waiter>();
  /** A consumer error met inside a batch, after records that were returned first. */
  #deferredError: KafkaError | undefined;
  #wakeSet = false;
  readonly #onWake = (): void => this.#serveWaiters();

  /** `config` needs `group.id`; `topics`, when given, subscribes at once. */
  constructor(config?: Config, topics?: string[] | string) {
    this.#handle = capi.InitKafka();
    applyConfig(this.#handle, config);
    if (topics !== undefined) this.subscribe(topics);
  }

  /** The C-style handle, for the `capi` functions. */
  get handle(): KafkaHandle {
    return this.#handle;
  }

  /** Sets one librdkafka property; only before `subscribe`. */
  configure(key: string, value: string | number | boolean): void {
    this.#checkOpen();
    setConfig(this.#handle, key, value);
  }

  /** Joins the group for these topics (replacing any earlier subscription). */
  subscribe(topics: string[] | string): void {
    const names = typeof topics === 'string' ? [topics] : topics;
    if (!Array.isArray(names) || names.length === 0) throw invalidParameter('a topic name or a non-empty array of them', 'topics', topics);
    const list = new TopicPartitionList();
    names.forEach((name, i) => list.add(expectString(name, `topics[${i}]`)));
    try {
      this.subscribeTopicPartitions(list);
    } finally {
      list.destroy();
    }
  }

  /** Subscribes to the topics of a TopicPartitionList (the APL subscribe_topic_partition). */
  subscribeTopicPartitions(list: TopicPartitionList): void {
    this.#checkOpen();
    if (!(list instanceof TopicPartitionList)) throw invalidParameter('a TopicPartitionList', 'list', list);
    const [code, message] = capi.SubscribeConsumerTPList(this.#handle, list.handle);
    if (code !== 0) throw new KafkaError(code, message);
    this.#subscribed = true;
  }

  /**
   * The next record, waiting up to `timeoutMs`; `undefined` when none came in time.
   * Consumer errors (e.g. an unknown topic) reject with a KafkaError.
   */
  consumeRecord(timeoutMs = 1000): Promise<Record | undefined> {
    try {
      this.#checkOpen();
      expectTimeout(timeoutMs);
      const record = this.#take();
      if (record !== undefined || timeoutMs === 0) return Promise.resolve(record);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#wait(timeoutMs);
  }

  /**
   * Up to `max` records: waits up to `timeoutMs` for the first, then takes what is ready in one
   * native call (ConsumeBatch). An error met after some records is thrown by the next call.
   */
  async consumeBatch(max: number, timeoutMs = 1000): Promise<Record[]> {
    expectInteger(max, 'max', 1, 1000000);
    const first = await this.consumeRecord(timeoutMs);
    if (first === undefined) return [];
    const records = [first];
    if (max === 1) return records;
    for (const result of capi.ConsumeBatch(this.#handle, max - 1)) {
      if (result.length === 8) {
        records.push(Record.fromMessage(result));
      } else if (this.#deferredError === undefined) {
        this.#deferredError = new KafkaError(result[0], result[1]);
      }
    }
    return records;
  }

  /**
   * Commits and waits for the broker. No argument: the positions of everything consumed so far.
   * Records: each record's offset + 1. Offsets: as given (the next offset to read).
   */
  async commit(what?: Record | Record[] | CommitOffset[]): Promise<void> {
    this.#checkOpen();
    const list = what === undefined ? null : commitList(what);
    try {
      const code = await capi.CommitAsync(this.#handle, list?.handle ?? null);
      if (code !== 0 && !(code === ErrorCode._NO_OFFSET && what === undefined)) throw new KafkaError(code);
    } finally {
      list?.destroy();
    }
  }

  /** The group's committed offset for a partition (the next offset to read), or undefined. */
  async committed(topic: string, partition: number, timeoutMs = 5000): Promise<number | undefined> {
    this.#checkOpen();
    const list = new TopicPartitionList().add(expectString(topic, 'topic'), expectInteger(partition, 'partition', 0, INT32_MAX));
    try {
      const [code, entries] = await capi.CommittedAsync(this.#handle, list.handle, expectTimeout(timeoutMs));
      if (code !== 0) throw new KafkaError(code);
      const [, , offset, error] = entries[0];
      if (error !== 0) throw new KafkaError(error);
      return offset === OFFSET_INVALID ? undefined : offset;
    } finally {
      list.destroy();
    }
  }

  /** Leaves the group (committing if auto-commit is on) and frees the client. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of this.#waiters.drain()) this.#settle(waiter, undefined);
    this.#updateWake();
    await capi.UninitConsumerAsync(this.#handle);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Records until the consumer is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<Record> {
    while (!this.#closed) {
      const record = this.#take() ?? (await this.#wait(undefined));
      if (record !== undefined) yield record;
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new KafkaError(ErrorCode._STATE, 'The consumer is closed');
  }

  /** One record if librdkafka has one ready; never waits. */
  #take(): Record | undefined {
    if (!this.#subscribed) throw new KafkaError(ErrorCode._STATE, 'The consumer is not subscribed: call subscribe() first');
    if (this.#deferredError !== undefined) {
      const error = this.#deferredError;
      this.#deferredError = undefined;
      throw error;
    }
    const result: ConsumeResult = capi.Consume(this.#handle, 0);
    if (result.length === 8) return Record.fromMessage(result);
    if (result[0] === ErrorCode.NO_MESSAGE && result.length === 1) return undefined;
    const [code, message] = result as [number, string];
    throw new KafkaError(code, message);
  }

  /** Waits for the next wake-up with a record, or `timeoutMs` (undefined: no limit). */
  #wait(timeoutMs: number | undefined): Promise<Record | undefined> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined, done: false };
      if (timeoutMs !== undefined) waiter.timer = setTimeout(() => this.#settle(waiter, undefined), timeoutMs);
      this.#waiters.push(waiter);
      this.#updateWake();
    });
  }

  /** Hands ready records to waiters in order. */
  #serveWaiters(): void {
    for (let waiter = this.#waiters.peek(); waiter !== undefined && !this.#closed; waiter = this.#waiters.peek()) {
      if (waiter.done) {
        this.#waiters.shift(); // timed out already
        continue;
      }
      let record: Record | undefined;
      try {
        record = this.#take();
      } catch (error) {
        this.#waiters.shift();
        this.#settle(waiter, error as KafkaError);
        continue;
      }
      if (record === undefined) break;
      this.#waiters.shift();
      this.#settle(waiter, record);
    }
    this.#updateWake();
  }

  #settle(waiter: Waiter, outcome: Record | KafkaError | undefined): void {
    if (waiter.done) return;
    waiter.done = true;
    clearTimeout(waiter.timer);
    if (outcome instanceof KafkaError) {
      waiter.reject(outcome);
    } else {
      waiter.resolve(outcome);
    }
    this.#updateWake();
  }

  /** The wake-up is set (and keeps the process alive) only while somebody waits. */
  #updateWake(): void {
    let waiting = false;
    for (let w = this.#waiters.peek(); w !== undefined; w = this.#waiters.peek()) {
      if (!w.done) {
        waiting = true;
        break;
      }
      this.#waiters.shift();
    }
    waiting &&= !this.#closed;
    if (waiting === this.#wakeSet) return;
    capi.SetWakeup(this.#handle, waiting ? this.#onWake : null);
    this.#wakeSet = waiting;
  }
}

/** The list for commit(records | offsets): records commit offset + 1, the highest per partition. */
function commitList(what: Record | Record[] | CommitOffset[]): TopicPartitionList {
  const items = Array.isArray(what) ? what : [what];
  const next = new Map<string, CommitOffset>();
  items.forEach((item, i) => {
    if (typeof item !== 'object' || item === null) throw invalidParameter('a Record or {topic, partition, offset}', `offsets[${i}]`, item);
    const topic = expectString(item.topic, `offsets[${i}].topic`);
    const partition = expectInteger(item.partition, `offsets[${i}].partition`, 0, INT32_MAX);
    const offset = expectInteger(item.offset, `offsets[${i}].offset`, 0, Number.MAX_SAFE_INTEGER) + (item instanceof Record ? 1 : 0);
    const id = `${partition}:${topic}`;
    const known = next.get(id);
    if (known === undefined || known.offset < offset) next.set(id, { topic, partition, offset });
  });
  const list = new TopicPartitionList();
  for (const { topic, partition, offset } of next.values()) list.add(topic, partition).setOffset(topic, partition, offset);
  return list;
}
