// The Consumer class (the APL Consumer, plus promises and async iteration). Messages are taken
// through the C-style Consume; waiting is a wake-up from librdkafka, never a polling timer.
import { EventEmitter } from 'node:events';
import { newClientHandle } from './client-handle';
import { setConfig, type Config } from './config';
import { clientError, emitError, ErrorCode, KafkaError } from './errors';
import { Fifo } from './fifo';
import { expectLogger, getDefaultLogger, log, type ClientOptions, type Logger } from './logger';
import { capi, PACKED_FIELDS, type CodeAndMessage, type ConsumeResult, type KafkaHandle, type PackedBatch, type TopicPartitionTuple } from './native';
import { Record } from './record';
import { OFFSET_INVALID, TopicPartitionList } from './topic-partition-list';
import { expectInteger, expectString, expectTimeout, invalidParameter, INT32_MAX } from './validate';

/** A partition of a topic. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** Offsets with a meaning of their own, for `assign` and `seek`. */
export const SpecialOffset = {
  /** The partition's first offset. */
  BEGINNING: -2,
  /** The offset after the last message: only new messages. */
  END: -1,
  /** The group's committed offset, else auto.offset.reset. */
  STORED: -1000,
} as const;

/** A change of this consumer's partitions in its group, or a failed one. */
export interface RebalanceEvent {
  /** assign: partitions were added; revoke: taken away; error: the rebalance failed. */
  type: 'assign' | 'revoke' | 'error';
  partitions: TopicPartition[];
  /** revoke only: the partitions were lost (e.g. the session timed out), not handed over in order. */
  lost: boolean;
  /** EAGER: the events carry the whole assignment; COOPERATIVE: only what changed. */
  protocol: string;
  /** Set for type 'error'. */
  error?: KafkaError;
}

export type RebalanceListener = (event: RebalanceEvent) => void;

/** Turns stored bytes back into a key or value (a Schema Registry deserializer, `SchemaDeserializer`, is one). */
export interface RecordDeserializer<T> {
  deserialize(topic: string, bytes: Buffer | null): Promise<T>;
}

export interface ConsumerOptions<V = unknown, K = unknown> extends ClientOptions {
  /** Called on each rebalance (see `onRebalance`); given here, it sees the first assignment too. */
  onRebalance?: RebalanceListener;
  /** Sets each record's `decodedValue` in `consumeRecord`, `consumeBatch` and `for await`. */
  valueDeserializer?: RecordDeserializer<V>;
  /** Sets each record's `decodedKey` in the same calls. */
  keyDeserializer?: RecordDeserializer<K>;
}

/** The consumer's events: `'error'` for every consumer error (see `Consumer`). */
export interface ConsumerEvents {
  error: [error: KafkaError];
}

const ASSIGN_PARTITIONS = -175;
const REVOKE_PARTITIONS = -174;
const NOT_IMPLEMENTED = -170;
/** ERR__IN_PROGRESS: what Seek with no timeout reports for each seek it started. */
const SEEK_STARTED = -178;

/** An offset to commit: the next offset to read (Kafka's convention), as in `commit`. */
export interface CommitOffset {
  topic: string;
  partition: number;
  offset: number;
}

/**
 * What `consumePacked` returns: the first record, then the rest of the batch as ConsumeBatchPacked
 * returned it (columns, no object per message; see `Record.fromPacked`), its error rows reported already.
 */
export interface PackedRecords {
  first: Record;
  rest: PackedBatch | undefined;
}

interface Waiter {
  resolve: (record: Record | undefined) => void;
  reject: (error: KafkaError) => void;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
}

/**
 * A Kafka consumer. Errors follow one model: a fatal error (see `KafkaError.fatal`) rejects the
 * pending reads and every later one, and ends `for await`; any other error (an unknown topic,
 * brokers down, a transport failure) never ends a read: it is emitted as `'error'` (when a
 * listener is registered: unlike a plain EventEmitter, a missing listener never throws) and
 * logged as a warning, and reading resumes when Kafka does.
 */
export class Consumer<V = unknown, K = unknown> extends EventEmitter<ConsumerEvents> implements AsyncIterable<Record<V, K>> {
  readonly #handle: KafkaHandle;
  readonly #valueDeserializer: RecordDeserializer<V> | undefined;
  readonly #keyDeserializer: RecordDeserializer<K> | undefined;
  readonly #logger: Logger | undefined;
  #closed = false;
  #subscribed = false;
  #waiters = new Fifo<Waiter>();
  /** The fatal error that ended this consumer's reads. */
  #fatal: KafkaError | undefined;
  /** A consumer error met inside a batch: reported at once, or, when fatal, thrown by the next read. */
  readonly #batchError = (code: number, message: string): void => {
    try {
      this.#consumerError(code, message);
    } catch {
      // fatal: kept in #fatal, thrown by the next read (the records before it are returned)
    }
  };
  #wakeSet = false;
  readonly #onWake = (): void => this.#serveWaiters();

  #rebalanceListeners = new Set<RebalanceListener>();
  #warnedNoRebalanceEvents = false;

  /**
   * `config` needs `group.id` for `subscribe` (not for `assign`); `topics`, when given,
   * subscribes at once. `options.onRebalance` registers a rebalance listener before that.
   */
  constructor(config?: Config, topics?: string[] | string, options: ConsumerOptions<V, K> = {}) {
    super();
    for (const name of ['valueDeserializer', 'keyDeserializer'] as const) {
      const given = options[name];
      if (given !== undefined && (typeof given !== 'object' || given === null || typeof given.deserialize !== 'function')) {
        throw invalidParameter('an object with a deserialize(topic, bytes) method', `options.${name}`, given);
      }
    }
    this.#valueDeserializer = options.valueDeserializer;
    this.#keyDeserializer = options.keyDeserializer;
    this.#logger = options.logger === undefined ? undefined : expectLogger(options.logger, 'options.logger');
    this.#handle = newClientHandle(config, options, this.#logger);
    if (options.onRebalance !== undefined) this.onRebalance(options.onRebalance);
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
  consumeRecord(timeoutMs = 1000): Promise<Record<V, K> | undefined> {
    const raw = this.#consumeRaw(timeoutMs);
    return this.#deserializes() ? raw.then((record) => (record === undefined ? undefined : this.#decode(record))) : (raw as Promise<Record<V, K> | undefined>);
  }

  #consumeRaw(timeoutMs: number): Promise<Record | undefined> {
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

  /** Puts records taken but not returned back in line: each partition's next read starts at its first of them. */
  #rewind(records: Record[]): void {
    const first = new Map<string, Record>();
    for (const r of records) {
      const key = `${r.topic}\0${r.partition}`;
      const seen = first.get(key);
      if (seen === undefined || r.offset < seen.offset) first.set(key, r);
    }
    for (const r of first.values()) {
      try {
        this.seek(r.topic, r.partition, r.offset);
      } catch {
        // no longer assigned: its next owner reads it from the committed offset
      }
    }
  }

  #deserializes(): boolean {
    return this.#valueDeserializer !== undefined || this.#keyDeserializer !== undefined;
  }

  /**
   * The record with `decodedValue` / `decodedKey` set. A failure (data not in the wire format, an
   * unknown schema, the registry down) rejects naming the record's place, and the record stays
   * next in line, as a Java consumer's does: the next read tries it again (a registry back up
   * decodes it), and `seek` to its offset + 1 skips it. `batch`: the records read with it, all
   * put back in line too.
   */
  async #decode(record: Record, batch: Record[] = [record]): Promise<Record<V, K>> {
    const decoded = record as Record<V, K>;
    try {
      if (this.#valueDeserializer !== undefined) decoded.decodedValue = await this.#valueDeserializer.deserialize(record.topic, record.payload);
      if (this.#keyDeserializer !== undefined) decoded.decodedKey = await this.#keyDeserializer.deserialize(record.topic, record.key);
    } catch (error) {
      this.#rewind(batch);
      // A new error each time: the deserializer may reject several reads with one shared error.
      const message =
        `Cannot deserialize the record at offset ${record.offset} of partition ${record.partition} of topic '${record.topic}': ${error instanceof Error ? error.message : String(error)}` +
        ` (it stays next in line; seek('${record.topic}', ${record.partition}, ${record.offset + 1}) skips it)`;
      const wrapped: Error = error instanceof Error ? Object.create(Object.getPrototypeOf(error) as object) : new Error(message);
      throw Object.assign(wrapped, error instanceof Error ? error : {}, { message, record, stack: `${wrapped.name}: ${message}`, cause: error });
    }
    return decoded;
  }

  /**
   * Up to `max` records: waits up to `timeoutMs` for the first, then takes what is ready in one
   * native call (ConsumeBatchPacked). An error met after some records is thrown by the next call.
   * The records of one batch share one buffer for their payloads and keys.
   */
  async consumeBatch(max: number, timeoutMs = 1000): Promise<Array<Record<V, K>>> {
    const records = await this.#consumeBatchRaw(max, timeoutMs);
    if (!this.#deserializes()) return records as Array<Record<V, K>>;
    const decoded: Array<Record<V, K>> = [];
    for (const record of records) decoded.push(await this.#decode(record, records));
    return decoded;
  }

  async #consumeBatchRaw(max: number, timeoutMs: number): Promise<Record[]> {
    expectInteger(max, 'max', 1, 1000000);
    const first = await this.#consumeRaw(timeoutMs);
    if (first === undefined) return [];
    const records = [first];
    if (max === 1) return records;
    const batch = capi.ConsumeBatchPacked(this.#handle, max - 1);
    if (batch[0] === 0) {
      Record.fromPacked(batch as PackedBatch, records, this.#batchError);
    } else {
      this.#batchError(batch[0], batch[1] as string);
    }
    if (this.#rebalanceListeners.size > 0) this.#dispatchRebalances(); // ConsumeBatch served them
    return records;
  }

  /**
   * `consumeBatch` for callers that build their own objects from the columns (the kafkajs facade
   * makes its messages straight from them): the first record, waited for up to `timeoutMs`, then
   * up to `max - 1` more in one native call. Undefined when none came in time. No deserializers.
   */
  async consumePacked(max: number, timeoutMs = 1000): Promise<PackedRecords | undefined> {
    expectInteger(max, 'max', 1, 1000000);
    const first = await this.#consumeRaw(timeoutMs);
    if (first === undefined) return undefined;
    if (max === 1) return { first, rest: undefined };
    const batch = capi.ConsumeBatchPacked(this.#handle, max - 1);
    let rest: PackedBatch | undefined;
    if (batch[0] === 0) {
      rest = batch as PackedBatch;
      const [, count, , fields, , extras] = rest;
      for (let f = 0; extras !== null && f < count * PACKED_FIELDS; f += PACKED_FIELDS) {
        if (fields[f] < 0) this.#batchError(...(extras[fields[f + 7]] as CodeAndMessage));
      }
    } else {
      this.#batchError(batch[0], batch[1] as string);
    }
    if (this.#rebalanceListeners.size > 0) this.#dispatchRebalances(); // ConsumeBatch served them
    return { first, rest };
  }

  /**
   * Commits and waits for the broker. No argument: the positions of everything consumed so far.
   * Records: each record's offset + 1. Offsets: as given (the next offset to read).
   */
  async commit(what?: Record | Record[] | CommitOffset[]): Promise<void> {
    this.#checkOpen();
    if (Array.isArray(what) && what.length === 0) return; // nothing to commit (librdkafka would say 'No offset stored')
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
  async *[Symbol.asyncIterator](): AsyncIterator<Record<V, K>> {
    while (!this.#closed) {
      const record = this.#take() ?? (await this.#wait(undefined));
      if (record !== undefined) yield this.#deserializes() ? await this.#decode(record) : (record as Record<V, K>);
    }
  }

  /**
   * Calls `listener` with each rebalance: the partitions assigned to this consumer, and those
   * revoked. librdkafka hands rebalances over while the consumer reads (consumeRecord,
   * consumeBatch, for await), and the listener runs then, after the change took effect. Register
   * before the consumer starts (subscribe or assign), or pass it to the constructor. Returns a
   * function that removes the listener.
   */
  onRebalance(listener: RebalanceListener): () => void {
    this.#checkOpen();
    if (typeof listener !== 'function') throw invalidParameter('a function', 'listener', listener);
    const code = capi.EnableConsumerEvents(this.#handle);
    if (code !== 0) {
      throw new KafkaError(code, 'Register rebalance listeners before the consumer starts (before subscribe or assign), or pass options.onRebalance to the constructor');
    }
    this.#rebalanceListeners.add(listener);
    return () => {
      this.#rebalanceListeners.delete(listener);
    };
  }

  /** Leaves the subscription (the group's partitions are revoked); the consumer stays open. */
  unsubscribe(): void {
    this.#checkOpen();
    const code = capi.Unsubscribe(this.#handle);
    if (code !== 0 && code !== ErrorCode._STATE) throw new KafkaError(code);
  }

  /**
   * Reads exactly these partitions, with no group rebalancing, replacing any earlier assignment.
   * Each starts at its `offset` if given (see SpecialOffset), else at the group's committed offset,
   * else where auto.offset.reset says. librdkafka needs a `group.id` even here, but the consumer
   * joins no group: the id only names where commits go.
   */
  assign(partitions: Array<TopicPartition & { offset?: number }>): void {
    this.#checkOpen();
    if (!Array.isArray(partitions)) throw invalidParameter('an array of { topic, partition, offset? }', 'partitions', partitions);
    const list = new TopicPartitionList();
    try {
      partitions.forEach((p, i) => {
        if (typeof p !== 'object' || p === null) throw invalidParameter('{ topic, partition, offset? }', `partitions[${i}]`, p);
        const topic = expectString(p.topic, `partitions[${i}].topic`);
        const partition = expectInteger(p.partition, `partitions[${i}].partition`, 0, INT32_MAX);
        list.add(topic, partition);
        if (p.offset !== undefined) list.setOffset(topic, partition, expectOffset(p.offset, `partitions[${i}].offset`));
      });
      const [code, message] = capi.Assign(this.#handle, list.handle);
      if (code !== 0) throw new KafkaError(code, message);
    } finally {
      list.destroy();
    }
    this.#subscribed = true;
  }

  /** Stops reading every assigned partition. */
  unassign(): void {
    this.#checkOpen();
    if (!this.#subscribed) return;
    const [code, message] = capi.Assign(this.#handle, null);
    if (code !== 0) throw new KafkaError(code, message);
  }

  /** The partitions this consumer reads now (from the group or from `assign`). */
  assignment(): TopicPartition[] {
    this.#checkOpen();
    const [code, entries] = capi.Assignment(this.#handle);
    if (code === ErrorCode._STATE && !this.#subscribed) return [];
    if (code !== 0) throw new KafkaError(code);
    return entries.map(([topic, partition]) => ({ topic, partition }));
  }

  /**
   * The next record of an assigned partition comes from `offset` (see SpecialOffset for the
   * beginning and the end). Records of that partition already read ahead are dropped.
   */
  seek(topic: string, partition: number, offset: number): void {
    const [entry] = this.#partitionCall('seek', [{ topic, partition, offset: expectOffset(offset, 'offset') }], (list) => capi.Seek(this.#handle, list, 0));
    if (entry[3] !== 0 && entry[3] !== SEEK_STARTED) throw partitionError(entry, 'seek');
  }

  /** The offset of the next record to consume from a partition; undefined before the first (or when not assigned). */
  position(topic: string, partition: number): number | undefined {
    const [entry] = this.#partitionCall('position', [{ topic, partition }], (list) => capi.Position(this.#handle, list), false);
    if (entry[3] !== 0) throw partitionError(entry, 'position');
    return entry[2] < 0 ? undefined : entry[2];
  }

  /** Stops fetching these partitions; they stay assigned. */
  pause(partitions: TopicPartition[]): void {
    for (const entry of this.#partitionCall('pause', partitions, (list) => capi.Pause(this.#handle, list))) {
      if (entry[3] !== 0) throw partitionError(entry, 'pause');
    }
  }

  /** Fetches paused partitions again. */
  resume(partitions: TopicPartition[]): void {
    for (const entry of this.#partitionCall('resume', partitions, (list) => capi.Resume(this.#handle, list))) {
      if (entry[3] !== 0) throw partitionError(entry, 'resume');
    }
  }

  /** A partition's first and end offsets, asked of its leader (the consumer must have started). */
  async watermarkOffsets(topic: string, partition: number, timeoutMs = 10000): Promise<{ low: number; high: number }> {
    this.#checkStarted('watermarkOffsets');
    const [code, low, high] = await capi.QueryWatermarkOffsets(this.#handle, expectString(topic, 'topic'), expectInteger(partition, 'partition', 0, INT32_MAX), expectTimeout(timeoutMs) || 1);
    if (code !== 0) throw new KafkaError(code, `Watermark offsets of ${topic} [${partition}]: ${capi.DRMessageError(code)}`);
    return { low, high };
  }

  #checkStarted(what: string): void {
    this.#checkOpen();
    if (!this.#subscribed) throw new KafkaError(ErrorCode._STATE, `${what}: the consumer has not started: call subscribe() or assign() first`);
  }

  /** Runs a per-partition C-style call on a list of these partitions; returns its entries. */
  #partitionCall(
    what: string,
    partitions: Array<TopicPartition & { offset?: number }>,
    call: (list: TopicPartitionList['handle']) => [number, TopicPartitionTuple[]],
    requireAssigned = true,
  ): TopicPartitionTuple[] {
    this.#checkStarted(what);
    if (!Array.isArray(partitions)) throw invalidParameter('an array of { topic, partition }', 'partitions', partitions);
    const list = new TopicPartitionList();
    try {
      partitions.forEach((p, i) => {
        if (typeof p !== 'object' || p === null) throw invalidParameter('{ topic, partition }', `partitions[${i}]`, p);
        const topic = expectString(p.topic, partitions.length === 1 ? 'topic' : `partitions[${i}].topic`);
        const partition = expectInteger(p.partition, partitions.length === 1 ? 'partition' : `partitions[${i}].partition`, 0, INT32_MAX);
        list.add(topic, partition);
        if (p.offset !== undefined) list.setOffset(topic, partition, p.offset);
      });
      if (requireAssigned) {
        // librdkafka accepts any partition of a topic it knows; say plainly when it is not ours.
        const assigned = new Set(this.assignment().map((tp) => `${tp.partition}:${tp.topic}`));
        const foreign = list.entries().find((e) => !assigned.has(`${e.partition}:${e.topic}`));
        if (foreign) throw partitionError([foreign.topic, foreign.partition, 0, ErrorCode._UNKNOWN_PARTITION], what);
      }
      const [code, entries] = call(list.handle);
      if (code !== 0) throw new KafkaError(code, `${what}: ${capi.DRMessageError(code)}`);
      return entries;
    } finally {
      list.destroy();
    }
  }

  /** Hands the rebalance events Consume recorded to the listeners, in order. */
  #dispatchRebalances(): void {
    const [code, events] = capi.ConsumerEvents(this.#handle);
    if (code !== 0) {
      if (!this.#warnedNoRebalanceEvents) {
        this.#warnedNoRebalanceEvents = true;
        const why = code === NOT_IMPLEMENTED ? 'this build does not install the rebalance callback (PrepareConsumerConf)' : capi.DRMessageError(code);
        process.emitWarning(`rdkafka-napi: rebalance events are not available: ${why}`);
      }
      return;
    }
    for (const [eventCode, partitions, lost, protocol] of events) {
      const event: RebalanceEvent = {
        type: eventCode === ASSIGN_PARTITIONS ? 'assign' : eventCode === REVOKE_PARTITIONS ? 'revoke' : 'error',
        partitions: partitions.map(([topic, partition]) => ({ topic, partition })),
        lost,
        protocol,
      };
      if (event.type === 'error') event.error = new KafkaError(eventCode, `Rebalance failed: ${capi.DRMessageError(eventCode)}`);
      for (const listener of [...this.#rebalanceListeners]) {
        try {
          listener(event);
        } catch (error) {
          queueMicrotask(() => {
            throw error; // a listener's bug surfaces as an uncaught exception, not as a failed read
          });
        }
      }
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new KafkaError(ErrorCode._STATE, 'The consumer is closed');
  }

  /** One record if librdkafka has one ready; never waits. Throws only a fatal error. */
  #take(): Record | undefined {
    if (!this.#subscribed) throw new KafkaError(ErrorCode._STATE, 'The consumer is not subscribed: call subscribe() first');
    if (this.#fatal !== undefined) throw this.#fatal;
    for (;;) {
      const result: ConsumeResult = capi.Consume(this.#handle, 0);
      if (this.#rebalanceListeners.size > 0) this.#dispatchRebalances(); // Consume served them
      if (result.length === 8) return Record.fromMessage(result);
      if (result[0] === ErrorCode.NO_MESSAGE && result.length === 1) return undefined;
      const [code, message] = result as [number, string];
      this.#consumerError(code, message);
    }
  }

  /** Reports a consumer error; a fatal one is kept and thrown (it ends every read from now on). */
  #consumerError(code: number, message: string): void {
    if (code === ErrorCode._PARTITION_EOF) {
      log(this.#logger ?? getDefaultLogger(), 'debug', { code }, message);
      return;
    }
    const error = clientError(this.#handle, code, message, 'consumer');
    log(this.#logger ?? getDefaultLogger(), error.fatal ? 'error' : 'warn', { code, codeName: error.codeName, retriable: error.retriable, fatal: error.fatal }, error.message);
    emitError(this, error);
    if (error.fatal) {
      this.#fatal = error;
      throw error;
    }
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
export function commitList(what: Record | Record[] | CommitOffset[]): TopicPartitionList {
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

function expectOffset(value: unknown, parameter: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || (value < -2 && value !== SpecialOffset.STORED)) {
    throw invalidParameter('an offset (an integer ≥ 0, or a SpecialOffset)', parameter, value);
  }
  return value;
}

/** The KafkaError for one partition's error in a per-partition call. */
function partitionError([topic, partition, , error]: TopicPartitionTuple, what: string): KafkaError {
  const why = error === ErrorCode._UNKNOWN_PARTITION ? 'it is not assigned to this consumer' : capi.DRMessageError(error);
  return new KafkaError(error, `Cannot ${what} ${topic} [${partition}]: ${why}`);
}
