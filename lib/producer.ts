// The Producer class (the APL Producer, plus promises and backpressure). Every call goes through
// the C-style functions; delivery reports arrive by wake-up, never by a polling timer.
import { EventEmitter } from 'node:events';
import { newClientHandle } from './client-handle';
import { setConfig, type Config } from './config';
import { expectLogger, type ClientOptions } from './logger';
import { clientError, emitError, ErrorCode, isSecurityFailure, KafkaError } from './errors';
import { capi, type HeaderTuple, type KafkaHandle, type TransactionResult } from './native';
import { commitList, Consumer, type CommitOffset } from './consumer';
import { Fifo } from './fifo';
import { OutstandingIds } from './outstanding';
import { Record } from './record';
import type { PackedBytes } from './schema/serdes';
import { ReportQueue, type DeliveryReport } from './report-queue';
import { expectBytes, expectPartition, expectString, expectTimeout, invalidParameter } from './validate';

export type { DeliveryReport } from './report-queue';

export type Payload = Buffer | Uint8Array | string | null;

/** A record to send; with serializers (`ProducerOptions`), payload and key are what they take. */
export interface ProducerRecord<V = Payload, K = Payload> {
  topic: string;
  payload: V;
  key?: K;
  /** -1 or absent: the partitioner picks from the key. */
  partition?: number;
  headers?: Array<[string, Payload]> | { [name: string]: Payload };
  /** Milliseconds since the epoch; absent: now. */
  timestamp?: number;
}

/** Where a sent record landed. */
export interface DeliveryResult {
  msgid: number;
  topic: string;
  partition: number;
  offset: number;
}

/** A record's outcome in `sendBatchSettled`: where it landed, or why it did not. */
export interface DeliveryOutcome extends DeliveryResult {
  /** Set when the record was not delivered (partition and offset are then -1). */
  error?: KafkaError;
}

/** Where `sendColumns`' records landed: record i at `partitions[i]`, `offsets[i]`. */
export interface DeliveredColumns {
  partitions: Int32Array;
  offsets: Float64Array;
}

/** A row of `updateOutstanding`: error 0 = still pending, otherwise the failure. */
export interface OutstandingMessage {
  msgid: number;
  error: number;
}

interface PendingSend {
  topic: string;
  resolve: (result: DeliveryResult) => void;
  reject: (error: KafkaError) => void;
  /** Called once librdkafka's queue holds the record (sendQueued). */
  onQueued?: () => void;
}

/** One sendBatch call: per-record outcome in typed arrays, settled when nothing is pending. */
interface BatchState {
  topic: string;
  partitions: Int32Array;
  offsets: Float64Array;
  msgids: Float64Array;
  /** Each record's error code (0 = delivered). */
  codes: Int32Array;
  pending: number;
  firstError: number;
  /** What the native call said about firstError when it refused a record (ERR__STATE: outside a transaction). */
  firstMessage?: string;
  /** Resolve with every record's outcome instead of rejecting on the first failure. */
  settleAll: boolean;
  /** Each record's topic, when the batch has several (else `topic`). */
  topics?: string[];
  /** The first failure with librdkafka's words, when known (else one is made from `firstError`). */
  failure?: KafkaError;
  /** `sendColumns`: resolve with the typed arrays themselves, no object per record. */
  columns?: (delivered: DeliveredColumns) => void;
  resolve: (results: DeliveryOutcome[]) => void;
  reject: (error: KafkaError) => void;
}

/** A run of records of one batch produced in one ProduceBatch call: msgids first..first+count-1. */
interface BatchChunk {
  first: number;
  count: number;
  /** Queued messages of the run still without a report. */
  remaining: number;
  /** The batch index of msgid `first`. */
  startIndex: number;
  batch: BatchState;
}

/** Records [start, end) of a batch still to be produced, as one topic/partition run. */
interface BatchChunkRequest {
  batch: BatchState;
  partition: number;
  payloads: Payload[];
  keys: Payload[] | null;
  startIndex: number;
}

interface Checked {
  topic: string;
  payload: Payload;
  key: Payload;
  partition: number;
  headers: HeaderTuple[] | [string, Payload][] | null;
  timestamp: number;
}

/** Turns a key or value into the bytes stored (a Schema Registry serializer, `SchemaSerializer`, is one). */
export interface RecordSerializer<T> {
  serialize(topic: string, value: T): Promise<Buffer | null>;
  /** The bytes without waiting when it can (undefined: it must wait); `produceBatch` needs it. */
  serializeSync?(topic: string, value: T): Buffer | null | undefined;
  /** Many values' bytes in one buffer without waiting (undefined: it cannot); `produceBatch` sends them in one call. */
  serializePackedSync?(topic: string, values: T[]): PackedBytes | undefined;
}

export interface ProducerOptions<V = Payload, K = Payload> extends ClientOptions {
  /** Serializes each record's payload in `send`, `sendBatch`, `sendBatchSettled` and `produceBatch`. */
  valueSerializer?: RecordSerializer<V>;
  /** Serializes each record's key in the same calls. */
  keySerializer?: RecordSerializer<K>;
}

/** The producer's events: `'error'` for client-level errors (see `Producer`). */
export interface ProducerEvents {
  error: [error: KafkaError];
}

/**
 * A Kafka producer. A message's failure rejects its `send` (or is its delivery report); errors of
 * the client itself (brokers down, a transport failure, a fatal error) are logged and emitted as
 * `'error'` when a listener is registered (a missing listener never throws). A retriable one
 * changes nothing for the messages: librdkafka goes on retrying them until `message.timeout.ms`.
 */
export class Producer<V = Payload, K = Payload> extends EventEmitter<ProducerEvents> {
  readonly #handle: KafkaHandle;
  readonly #valueSerializer: RecordSerializer<V> | undefined;
  readonly #keySerializer: RecordSerializer<K> | undefined;
  #closed = false;
  /** Reports of `produce()` calls, waiting for `deliveryReport` / `updateOutstanding`. */
  #reports = new ReportQueue();
  /** `produce()` msgids without a successful report: 0 pending, or the error. */
  #outstanding = new OutstandingIds();
  /** `send()` calls waiting for their delivery report. */
  #sends = new Map<number, PendingSend>();
  /** `send()` calls waiting for room in librdkafka's queue, in order. */
  #blocked = new Fifo<{ record: Checked; pending: PendingSend }>();
  /** `sendBatch` chunks queued natively, by first msgid (ascending). */
  #chunks: BatchChunk[] = [];
  /** Batch chunks waiting for room in librdkafka's queue, in order (with the blocked sends). */
  #blockedBatches = new Fifo<BatchChunkRequest>();
  /** Accepted messages whose report has not reached JavaScript. */
  #inFlight = 0;
  /** The latest failure to log in to or trust the cluster: the reason its purged sends reject with. */
  #securityFailure: KafkaError | undefined;
  /** Delivery reports are drained into these, without allocating per report. */
  readonly #drain = { ids: new Float64Array(8192), errors: new Int32Array(8192), partitions: new Int32Array(8192), offsets: new Float64Array(8192) };
  #wakeSet = false;
  readonly #onWake = (): void => this.#collect();

  /** `options.logger` receives librdkafka's log lines; default: `getDefaultLogger()`. */
  constructor(config?: Config, options: ProducerOptions<V, K> = {}) {
    super();
    this.#valueSerializer = expectSerializer(options.valueSerializer, 'options.valueSerializer');
    this.#keySerializer = expectSerializer(options.keySerializer, 'options.keySerializer');
    this.#handle = newClientHandle(config, options, options.logger === undefined ? undefined : expectLogger(options.logger, 'options.logger'));
  }

  /** The C-style handle, for the `capi` functions. */
  get handle(): KafkaHandle {
    return this.#handle;
  }

  /** Sets one librdkafka property; only before the first message. */
  configure(key: string, value: string | number | boolean): void {
    this.#checkOpen();
    setConfig(this.#handle, key, value);
  }

  /**
   * Queues a message and returns its msgid (per producer, from 1). Never waits: a full queue
   * throws KafkaError ERR__QUEUE_FULL. Collect the outcome with `deliveryReport` or `updateOutstanding`.
   */
  produce(topic: string, payload: Payload, key: Payload = null, partition = -1): number {
    this.#checkOpen();
    // The hot path: checked in place, and ProduceMsgid returns a bare msgid (no tuple).
    const result = capi.ProduceMsgid(this.#handle, expectString(topic, 'topic'), expectBytes(payload, 'payload'), expectBytes(key, 'key'), expectPartition(partition));
    if (typeof result !== 'number') throw new KafkaError(result[0], result[2]);
    this.#accepted();
    this.#outstanding.add(result);
    return result;
  }

  /** `produce` from a Record or a ProducerRecord (headers and timestamp included). */
  produceRecord(record: Record | ProducerRecord): number {
    this.#checkOpen();
    const checked = this.#check(record);
    const msgid = this.#produce(checked);
    this.#outstanding.add(msgid);
    return msgid;
  }

  /** Up to `max` delivery reports of `produce()` calls, oldest first. */
  deliveryReport(max = 100): DeliveryReport[] {
    this.#checkOpen();
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 0) throw invalidParameter('a non-negative integer', 'max', max);
    this.#collect();
    const taken = this.#reports.take(max);
    for (const report of taken) this.#outstanding.settle(report.msgid, report.error);
    return taken;
  }

  /**
   * Takes every waiting delivery report and returns the `produce()` messages not yet delivered:
   * error 0 = still pending, otherwise the failure (reported once, then forgotten).
   */
  updateOutstanding(): OutstandingMessage[] {
    this.deliveryReport(Number.MAX_SAFE_INTEGER);
    return this.#outstanding.takeRows();
  }

  /** Sends one record; resolves once the broker has it, waits while librdkafka's queue is full. */
  send(record: ProducerRecord<V, K> | Record): Promise<DeliveryResult> {
    if (this.#serializes(record)) return this.#serialize([record]).then(([raw]) => this.#sendRaw(raw));
    return this.#sendRaw(record as ProducerRecord | Record);
  }

  /**
   * `send()`, also saying when librdkafka holds the record: `queued` resolves once it is in
   * librdkafka's queue (at once unless the queue is full and the send waits for room), and rejects
   * as `delivered` does if it never gets there. Lets a caller that answers before delivery (an
   * async REST produce) wait for room instead of holding ever more waiting sends.
   */
  sendQueued(record: ProducerRecord<V, K> | Record): { queued: Promise<void>; delivered: Promise<DeliveryResult> } {
    let onQueued!: () => void;
    const queued = new Promise<void>((resolve) => (onQueued = resolve));
    const delivered = this.#serializes(record) ? this.#serialize([record]).then(([raw]) => this.#sendRaw(raw, onQueued)) : this.#sendRaw(record as ProducerRecord | Record, onQueued);
    const queuedOrRefused = Promise.race([queued, delivered.then(() => undefined)]);
    // A refusal is `delivered`'s to report: a caller that never awaits `queued` gets no unhandled rejection from it.
    queuedOrRefused.catch(() => undefined);
    return { queued: queuedOrRefused, delivered };
  }

  #sendRaw(record: ProducerRecord | Record, onQueued?: () => void): Promise<DeliveryResult> {
    try {
      this.#checkOpen();
      return this.#sendChecked(this.#check(record), onQueued);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Whether a record goes through the serializers first (a Record is bytes already). */
  #serializes(record: unknown): boolean {
    return (this.#valueSerializer !== undefined || this.#keySerializer !== undefined) && !(record instanceof Record);
  }

  /** Records with payloads and keys serialized: all of them, or the first failure. */
  async #serialize(records: Array<ProducerRecord<V, K> | Record>): Promise<Array<ProducerRecord | Record>> {
    const encode = async <T>(serializer: RecordSerializer<T> | undefined, topic: string, value: T): Promise<Payload> => {
      if (serializer === undefined) return value as Payload;
      const now = serializer.serializeSync?.(topic, value);
      return now !== undefined ? now : serializer.serialize(topic, value);
    };
    const out: Array<ProducerRecord | Record> = [];
    for (const record of records) {
      if (record instanceof Record) out.push(record);
      else out.push({ ...record, payload: await encode(this.#valueSerializer, record.topic, record.payload), key: record.key === undefined ? undefined : await encode(this.#keySerializer, record.topic, record.key) });
    }
    return out;
  }

  #sendChecked(checked: Checked, onQueued?: () => void): Promise<DeliveryResult> {
    return new Promise<DeliveryResult>((resolve, reject) => {
      const pending: PendingSend = { topic: checked.topic, resolve, reject, onQueued };
      // Behind earlier blocked sends, or when the queue is full: wait, in order.
      if (this.#blocked.length > 0 || this.#blockedBatches.length > 0 || !this.#trySend(checked, pending)) this.#blocked.push({ record: checked, pending });
    });
  }

  /**
   * Sends many records of one topic in one native call per run (ProduceBatch); resolves with
   * their results in order once all are on the broker, or rejects with the first failure. Waits
   * while librdkafka's queue is full. Records with headers, timestamps, several topics or
   * partitions take one native call each, still without a promise each.
   */
  sendBatch(records: Array<ProducerRecord<V, K> | Record>): Promise<DeliveryResult[]> {
    if (Array.isArray(records) && records.some((r) => this.#serializes(r))) return this.#serialize(records).then((raw) => this.#sendMany(raw, false));
    return this.#sendMany(records as Array<ProducerRecord | Record>, false);
  }

  /**
   * Like `sendBatch`, but never rejects for a record: resolves with each record's outcome, an
   * `error` on those that were not delivered. Bad arguments still reject.
   */
  sendBatchSettled(records: Array<ProducerRecord<V, K> | Record>): Promise<DeliveryOutcome[]> {
    if (Array.isArray(records) && records.some((r) => this.#serializes(r))) return this.#serialize(records).then((raw) => this.#sendMany(raw, true));
    return this.#sendMany(records as Array<ProducerRecord | Record>, true);
  }

  #sendMany(records: Array<ProducerRecord | Record>, settleAll: boolean): Promise<DeliveryOutcome[]> {
    return new Promise<DeliveryOutcome[]>((resolve, reject) => {
      this.#checkOpen();
      if (!Array.isArray(records)) throw invalidParameter('an array of records', 'records', records);
      const checked = records.map((record, i) => {
        try {
          return this.#check(record);
        } catch (error) {
          throw error instanceof TypeError ? new TypeError(`records[${i}]: ${error.message}`) : error;
        }
      });
      const n = checked.length;
      const batch = newBatch(n > 0 ? checked[0].topic : '', n, settleAll, resolve, reject);
      if (n === 0) return resolve([]);
      const simple = checked.every((r) => r.topic === batch.topic && r.headers === null && r.timestamp === 0 && r.partition === checked[0].partition);
      if (!simple) {
        if (checked.some((r) => r.topic !== batch.topic)) batch.topics = checked.map((r) => r.topic);
        this.#produceEach(batch, checked);
        return;
      }
      this.#queueBatch({
        batch,
        partition: checked[0].partition,
        payloads: checked.map((r) => r.payload),
        keys: checked.some((r) => r.key !== null) ? checked.map((r) => r.key) : null,
        startIndex: 0,
      });
    });
  }

  /** Queues the batch now, or behind the ones already waiting for room (so that order holds). */
  #queueBatch(request: BatchChunkRequest): void {
    if (this.#blocked.length > 0 || this.#blockedBatches.length > 0 || !this.#tryBatch(request)) this.#blockedBatches.push(request);
  }

  /**
   * `sendBatch` of bytes given as columns, for one topic and partition (-1: the partitioner picks
   * from each key): one native call, and the result is typed arrays (no object per record). The
   * bytes are sent as given (no serializers, as `produce`). Rejects with the first failure.
   */
  sendColumns(topic: string, partition: number, payloads: Payload[], keys: Payload[] | null = null): Promise<DeliveredColumns> {
    return new Promise<DeliveredColumns>((resolve, reject) => {
      this.#checkOpen();
      expectString(topic, 'topic');
      if (!Array.isArray(payloads)) throw invalidParameter('an array of payloads', 'payloads', payloads);
      if (keys !== null && (!Array.isArray(keys) || keys.length !== payloads.length)) throw invalidParameter('null or an array of keys as long as payloads', 'keys', keys);
      const n = payloads.length;
      // Checked now: a refusal while the batch waits for room would have no caller to reach.
      for (let i = 0; i < n; i++) {
        if (badBytes(payloads[i])) throw invalidParameter('a Buffer, Uint8Array, string or null', `payloads[${i}]`, payloads[i]);
        if (keys !== null && badBytes(keys[i])) throw invalidParameter('a Buffer, Uint8Array, string or null', `keys[${i}]`, keys[i]);
      }
      if (n === 0) return resolve({ partitions: new Int32Array(0), offsets: new Float64Array(0) });
      const batch = newBatch(topic, n, false, () => undefined, reject);
      batch.columns = resolve;
      this.#queueBatch({ batch, partition: expectPartition(partition), payloads, keys, startIndex: 0 });
    });
  }

  /**
   * Mixed topics or per-record extras (headers, timestamps, partitions): one native call per
   * record, but the batch's one state takes their reports (no promise per record). From the first
   * record that must wait for room on, the rest queue as sends behind it, in order.
   */
  #produceEach(batch: BatchState, checked: Checked[]): void {
    let i = 0;
    let chunk: BatchChunk | undefined;
    for (; i < checked.length && this.#blocked.length === 0 && this.#blockedBatches.length === 0; i++) {
      const result = this.#call(checked[i]);
      if (typeof result !== 'number') {
        if (result[0] === ErrorCode._QUEUE_FULL && this.#inFlight > 0) break;
        if (batch.firstError === 0) batch.failure = new KafkaError(result[0], result[2]);
        this.#failRecords(batch, i, 1, result[0]);
        chunk = undefined;
        continue;
      }
      this.#acceptedMany(1);
      // Consecutive msgids of consecutive records share a chunk, as a ProduceBatch run does.
      if (chunk !== undefined && result === chunk.first + chunk.count && i === chunk.startIndex + chunk.count) {
        chunk.count++;
        chunk.remaining++;
      } else {
        chunk = { first: result, count: 1, remaining: 1, startIndex: i, batch };
        this.#chunks.push(chunk);
      }
    }
    for (; i < checked.length; i++) {
      const index = i;
      const settle = (partition: number, offset: number, msgid: number, error?: KafkaError): void => {
        batch.partitions[index] = partition;
        batch.offsets[index] = offset;
        batch.msgids[index] = msgid;
        batch.codes[index] = error?.code ?? 0;
        if (error !== undefined && batch.firstError === 0) {
          batch.firstError = error.code;
          batch.failure = error;
        }
        if (--batch.pending === 0) this.#settleBatch(batch);
      };
      this.#sendChecked(checked[i]).then(
        (delivered) => settle(delivered.partition, delivered.offset, delivered.msgid),
        (error: KafkaError) => settle(-1, -1, 0, error),
      );
    }
  }

  /**
   * Queues many messages for one topic in one native call and returns their msgids
   * (`firstMsgid`..`firstMsgid + count - 1`), like `produce` for each: collect outcomes with
   * `deliveryReport`. Throws ERR__QUEUE_FULL when none fit; when only some fit, `count` says how many.
   */
  produceBatch(topic: string, payloads: V[], keys: K[] | null = null, partition = -1): { firstMsgid: number; count: number } {
    this.#checkOpen();
    expectString(topic, 'topic');
    if (!Array.isArray(payloads)) throw invalidParameter('an array of payloads', 'payloads', payloads);
    if (keys !== null && (!Array.isArray(keys) || keys.length !== payloads.length)) throw invalidParameter('null or an array of keys as long as payloads', 'keys', keys);
    // One buffer for all the payloads when the serializer writes one (a SchemaSerializer's Avro): no Buffer per record.
    const packed = this.#valueSerializer?.serializePackedSync?.(topic, payloads);
    if (this.#valueSerializer !== undefined && packed === undefined) payloads = serializeNow(this.#valueSerializer, topic, payloads, 'valueSerializer') as V[];
    if (this.#keySerializer !== undefined && keys !== null) keys = serializeNow(this.#keySerializer, topic, keys, 'keySerializer') as K[];
    const [code, first, count, errors, message] =
      packed === undefined
        ? capi.ProduceBatch(this.#handle, topic, expectPartition(partition), payloads as Payload[], keys as Payload[] | null)
        : capi.ProduceBatchPacked(this.#handle, topic, expectPartition(partition), packed.data, packed.lengths, keys as Payload[] | null);
    // Stop at the first refusal: msgids after it are not the caller's to track.
    const accepted = errors === null ? count : errors.findIndex((e) => e !== 0);
    if (accepted === 0 && code !== 0) throw new KafkaError(code, message);
    this.#outstanding.add(first, accepted);
    this.#acceptedMany(errors === null ? count : errors.filter((e) => e === 0).length);
    return { firstMsgid: first, count: accepted };
  }

  /** librdkafka's latest statistics (set statistics.interval.ms), parsed; undefined before the first. */
  statistics(): { [key: string]: unknown } | undefined {
    this.#checkOpen();
    const json = capi.Statistics(this.#handle);
    return json === null ? undefined : (JSON.parse(json) as { [key: string]: unknown });
  }

  /** Waits until every queued message has its delivery report (rejects on timeout). */
  async flush(timeoutMs = 30000): Promise<void> {
    this.#checkOpen();
    const deadline = performance.now() + expectTimeout(timeoutMs);
    // Sends waiting for room in a full queue go to librdkafka as the reports free it (#collect),
    // possibly after librdkafka's flush saw its queue empty: flush again until none is left, or
    // they would be left out (and lost by close()).
    let code = 0;
    do {
      code = await capi.FlushAsync(this.#handle, Math.max(0, Math.ceil(deadline - performance.now())));
      this.#collect();
    } while (code === 0 && (this.#inFlight > 0 || this.#blocked.length > 0 || this.#blockedBatches.length > 0));
    if (code !== 0) throw new KafkaError(code, `Flush timed out after ${timeoutMs} ms with messages still undelivered`);
  }

  // --- Transactions (`transactional.id` set): initTransactions once, then begin, send, commit or abort ---

  /**
   * Registers `transactional.id` with the cluster, fencing any earlier producer with the same id
   * (whose next transactional call then fails with a fatal error). Once, before the first transaction.
   */
  async initTransactions(timeoutMs = 30000): Promise<void> {
    this.#checkOpen();
    await this.#transactionCall('initTransactions', expectTimeout(timeoutMs), (left) => capi.InitTransactions(this.#handle, left));
  }

  /** Starts a transaction: what is sent from now until commit or abort belongs to it. Never waits. */
  beginTransaction(): void {
    this.#checkOpen();
    const result = capi.BeginTransaction(this.#handle);
    if (result[0] !== 0) throw transactionError('beginTransaction', result);
  }

  /**
   * Commits the consumer's offsets (the next to read) as part of the transaction, under its group
   * (or under the group id given instead of a consumer, with `offsets`):
   * they count only if the transaction commits. Without `offsets`: the consumer's current positions
   * (everything it has returned so far). Records count as offset + 1, as in `Consumer.commit`.
   */
  async sendOffsets(consumer: Consumer | string, offsets?: Record | Record[] | CommitOffset[], timeoutMs = 30000): Promise<void> {
    this.#checkOpen();
    if (typeof consumer !== 'string' && !(consumer instanceof Consumer)) throw invalidParameter('a Consumer', 'consumer', consumer);
    // A group id (kafkajs's consumerGroupId) needs the offsets: there is no consumer to ask.
    if (typeof consumer === 'string' && offsets === undefined) throw invalidParameter('the offsets to commit (with a group id instead of a consumer)', 'offsets', offsets);
    expectTimeout(timeoutMs);
    if (Array.isArray(offsets) && offsets.length === 0) return; // nothing to commit
    const list = offsets === undefined ? null : commitList(offsets);
    try {
      const group = typeof consumer === 'string' ? expectString(consumer, 'consumer') : consumer.handle;
      await this.#transactionCall('sendOffsets', timeoutMs, (left) => capi.SendOffsetsToTransaction(this.#handle, list?.handle ?? null, group, left));
    } finally {
      list?.destroy();
    }
  }

  /**
   * Delivers what the transaction sent, then commits it. A failure that is `abortable` needs
   * `abortTransaction()`; a `fatal` one needs a new producer.
   */
  async commitTransaction(timeoutMs = 30000): Promise<void> {
    this.#checkOpen();
    try {
      await this.#transactionCall('commitTransaction', expectTimeout(timeoutMs), (left) => capi.CommitTransaction(this.#handle, left));
    } finally {
      this.#collect(); // the commit served delivery reports on its own thread
    }
  }

  /** Aborts the transaction: its records are never visible to read_committed readers; undelivered sends reject with ERR__PURGE_QUEUE. */
  async abortTransaction(timeoutMs = 30000): Promise<void> {
    this.#checkOpen();
    try {
      await this.#transactionCall('abortTransaction', expectTimeout(timeoutMs), (left) => capi.AbortTransaction(this.#handle, left));
    } finally {
      this.#collect();
    }
  }

  /**
   * Runs `work` inside a transaction: begins, awaits `work`, commits and returns its result. If
   * `work` throws, or the commit fails in a way that needs an abort, aborts and rethrows. Retriable
   * failures of each step are retried within `timeoutMs`, as librdkafka asks.
   */
  async runTransaction<T>(work: () => Promise<T> | T, timeoutMs = 30000): Promise<T> {
    if (typeof work !== 'function') throw invalidParameter('a function', 'work', work);
    expectTimeout(timeoutMs);
    this.beginTransaction();
    let result: T;
    try {
      result = await work();
    } catch (error) {
      await this.#abortAfter(error, timeoutMs);
      throw error;
    }
    try {
      await this.commitTransaction(timeoutMs);
    } catch (error) {
      if (error instanceof KafkaError && error.abortable) await this.#abortAfter(error, timeoutMs);
      throw error;
    }
    return result;
  }

  /** Aborts after `cause`; a failed abort is thrown instead (with `cause`), unless the producer is closed. */
  async #abortAfter(cause: unknown, timeoutMs: number): Promise<void> {
    if (this.#closed || (cause instanceof KafkaError && cause.fatal)) return; // nothing left to abort
    try {
      await this.abortTransaction(timeoutMs);
    } catch (abortError) {
      if (abortError instanceof KafkaError) throw new KafkaError(abortError.code, `${abortError.message} (aborting after: ${String(cause)})`, abortError);
      throw abortError;
    }
  }

  /** A transactional call, called again after a retriable failure while `timeoutMs` lasts. */
  async #transactionCall(what: string, timeoutMs: number, call: (timeoutMs: number) => Promise<TransactionResult>): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const result = await call(Math.max(0, Math.round(deadline - performance.now())));
      if (result[0] === 0) return;
      const [, , fatal, retriable] = result;
      if (!retriable || fatal || this.#closed || performance.now() + TRANSACTION_RETRY_MS >= deadline) throw transactionError(what, result);
      await new Promise((resolve) => setTimeout(resolve, TRANSACTION_RETRY_MS));
    }
  }

  /**
   * Flushes (up to timeoutMs) and frees the client. Sends still undelivered are rejected.
   * Safe to call twice.
   */
  async close(timeoutMs = 10000): Promise<void> {
    if (this.#closed) return;
    expectTimeout(timeoutMs);
    try {
      await this.flush(timeoutMs);
    } catch {
      // Reported to each undelivered send below.
    }
    this.#closed = true;
    await capi.UninitProducerAsync(this.#handle, 0);
    const left = new KafkaError(ErrorCode._PURGE_QUEUE, 'The producer was closed before the message was delivered');
    for (const { pending } of this.#blocked.drain()) pending.reject(left);
    for (const pending of this.#sends.values()) pending.reject(left);
    this.#sends.clear();
    // Batches end too: their records without a report (msgid still 0), and those never queued, failed.
    for (const { batch, startIndex, count } of this.#chunks) {
      for (let i = startIndex; i < startIndex + count && batch.pending > 0; i++) {
        if (batch.msgids[i] === 0 && batch.codes[i] === 0) this.#failClosed(batch, i, 1, left);
      }
    }
    this.#chunks = [];
    for (const request of this.#blockedBatches.drain()) this.#failClosed(request.batch, request.startIndex, request.payloads.length, left);
  }

  #failClosed(batch: BatchState, start: number, count: number, left: KafkaError): void {
    if (batch.firstError === 0) batch.failure = left;
    this.#failRecords(batch, start, count, left.code);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw new KafkaError(ErrorCode._STATE, 'The producer is closed');
  }

  #check(record: ProducerRecord | Record): Checked {
    if (typeof record !== 'object' || record === null) throw invalidParameter('a record object', 'record', record);
    const timestamp = record.timestamp === undefined || record.timestamp === -1 ? 0 : record.timestamp;
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw invalidParameter('a timestamp in milliseconds', 'timestamp', record.timestamp);
    return {
      topic: expectString(record.topic, 'topic'),
      payload: expectBytes(record.payload, 'payload'),
      key: expectBytes(record.key, 'key'),
      partition: expectPartition(record.partition),
      headers: checkHeaders(record.headers),
      timestamp,
    };
  }

  /** Produces through the C-style API; throws KafkaError on any refusal. */
  #produce(record: Checked): number {
    const result = this.#call(record);
    if (typeof result !== 'number') throw new KafkaError(result[0], result[2]);
    this.#accepted();
    return result;
  }

  /** The msgid, or `[code, 0, message]` when librdkafka refused the message. */
  #call(record: Checked): number | [number, number, string] {
    return capi.ProduceMsgid(this.#handle, record.topic, record.payload, record.key, record.partition, record.headers, record.timestamp);
  }

  /** Produces for a send(); false when the queue is full and the send must wait for room. */
  #trySend(record: Checked, pending: PendingSend): boolean {
    const result = this.#call(record);
    if (typeof result === 'number') {
      this.#sends.set(result, pending);
      this.#accepted();
      pending.onQueued?.();
      return true;
    }
    const [code, , message] = result;
    // Room comes back as delivery reports arrive, and #collect retries then.
    if (code === ErrorCode._QUEUE_FULL && this.#inFlight > 0) return false;
    pending.reject(new KafkaError(code, message));
    return true;
  }

  #accepted(): void {
    this.#acceptedMany(1);
  }

  #acceptedMany(count: number): void {
    this.#inFlight += count;
    if (count > 0 && !this.#wakeSet) {
      capi.SetWakeup(this.#handle, this.#onWake);
      this.#wakeSet = true;
    }
  }

  /** Produces a batch run; false when part of it must wait for room (the request keeps the rest). */
  #tryBatch(request: BatchChunkRequest): boolean {
    const { batch, partition, payloads, keys, startIndex } = request;
    const [code, first, count, errors, message] = capi.ProduceBatch(this.#handle, batch.topic, partition, payloads, keys);
    if (count === 0) {
      this.#failRecords(batch, startIndex, payloads.length, code, message); // the client could not start
      return true;
    }
    // Refusals for lack of room form a suffix (nothing frees room during the call): they wait.
    // Any other refusal fails its record.
    let waitFrom = count;
    let queued = count;
    if (errors !== null) {
      while (waitFrom > 0 && errors[waitFrom - 1] === ErrorCode._QUEUE_FULL) waitFrom--;
      if (waitFrom === 0 && this.#inFlight === 0) {
        this.#failRecords(batch, startIndex, count, code, message); // nothing in flight will ever make room
        return true;
      }
      queued = 0;
      for (let i = 0; i < waitFrom; i++) {
        if (errors[i] === 0) queued++;
        else this.#failRecords(batch, startIndex + i, 1, errors[i], errors[i] === code ? message : undefined);
      }
    }
    if (queued > 0) {
      this.#chunks.push({ first, count: waitFrom, remaining: queued, startIndex, batch });
      this.#acceptedMany(queued);
    }
    if (waitFrom === count) return true;
    request.payloads = payloads.slice(waitFrom);
    request.keys = keys === null ? null : keys.slice(waitFrom);
    request.startIndex = startIndex + waitFrom;
    return false;
  }

  #failRecords(batch: BatchState, start: number, count: number, code: number, message?: string): void {
    if (batch.firstError === 0) {
      batch.firstError = code;
      batch.firstMessage = message;
    }
    batch.codes.fill(code, start, start + count);
    batch.partitions.fill(-1, start, start + count);
    batch.offsets.fill(-1, start, start + count);
    batch.pending -= count;
    if (batch.pending === 0) this.#settleBatch(batch);
  }

  #settleBatch(batch: BatchState): void {
    if (batch.firstError !== 0 && !batch.settleAll) {
      // A purge after a failed login or TLS check says why, as a send's rejection does.
      const purged = batch.firstError === ErrorCode._PURGE_QUEUE ? this.#securityFailure : undefined;
      batch.reject(batch.failure ?? purged ?? new KafkaError(batch.firstError, batch.firstMessage));
      return;
    }
    if (batch.columns !== undefined) return batch.columns({ partitions: batch.partitions, offsets: batch.offsets });
    const results: DeliveryOutcome[] = new Array(batch.partitions.length);
    for (let i = 0; i < results.length; i++) {
      results[i] = { msgid: batch.msgids[i], topic: batch.topics?.[i] ?? batch.topic, partition: batch.partitions[i], offset: batch.offsets[i] };
      if (batch.codes[i] !== 0) results[i].error = new KafkaError(batch.codes[i], batch.codes[i] === batch.firstError ? batch.firstMessage : undefined);
    }
    batch.resolve(results);
  }

  /** The batch chunk holding `msgid`, by binary search over the chunks in flight. */
  #chunkOf(msgid: number): BatchChunk | undefined {
    const chunks = this.#chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = chunks[mid];
      if (msgid < chunk.first) hi = mid - 1;
      else if (msgid >= chunk.first + chunk.count) lo = mid + 1;
      else return chunk;
    }
    return undefined;
  }

  /** Takes the reports librdkafka has ready and hands each to its owner. */
  #collect(): void {
    if (this.#closed) return;
    // Client errors become 'error' events (the native side has logged them already).
    const clientErrors = capi.ClientErrors(this.#handle);
    for (const [code, reason] of clientErrors ?? []) {
      const error = clientError(this.#handle, code, reason, 'producer');
      if (isSecurityFailure(code, reason)) {
        // No broker will take the queued messages: end their sends now, naming why, instead of
        // at message.timeout.ms. librdkafka goes on trying to connect for later sends.
        this.#securityFailure = error;
        capi.Purge(this.#handle, 1);
      }
      emitError(this, error);
    }
    const { ids, errors, partitions, offsets } = this.#drain;
    let settledChunks = false;
    for (let n = capi.DeliveryReportInto(this.#handle, ids, errors, partitions, offsets); n > 0; n = n === ids.length ? capi.DeliveryReportInto(this.#handle, ids, errors, partitions, offsets) : 0) {
      this.#inFlight -= n;
      for (let i = 0; i < n; i++) {
        const msgid = ids[i];
        const chunk = this.#chunks.length > 0 ? this.#chunkOf(msgid) : undefined;
        if (chunk !== undefined) {
          const batch = chunk.batch;
          const index = chunk.startIndex + (msgid - chunk.first);
          batch.msgids[index] = msgid;
          batch.partitions[index] = partitions[i];
          batch.offsets[index] = offsets[i];
          batch.codes[index] = errors[i];
          if (errors[i] !== 0 && batch.firstError === 0) batch.firstError = errors[i];
          if (--chunk.remaining === 0) settledChunks = true;
          if (--batch.pending === 0) this.#settleBatch(batch);
          continue;
        }
        const pending = this.#sends.get(msgid);
        if (pending === undefined) {
          this.#reports.push(msgid, errors[i]);
          continue;
        }
        this.#sends.delete(msgid);
        if (errors[i] === 0) {
          pending.resolve({ msgid, topic: pending.topic, partition: partitions[i], offset: offsets[i] });
        } else {
          pending.reject(errors[i] === ErrorCode._PURGE_QUEUE && this.#securityFailure !== undefined ? this.#securityFailure : new KafkaError(errors[i]));
        }
      }
    }
    if (settledChunks) this.#chunks = this.#chunks.filter((c) => c.remaining > 0);
    this.#retryBlocked();
    if (this.#inFlight === 0 && this.#wakeSet) {
      // Nothing in flight: let the process exit and the producer be collected.
      capi.SetWakeup(this.#handle, null);
      this.#wakeSet = false;
    }
  }

  /** Retries waiting batches, then waiting sends, in order, until the queue is full again. */
  #retryBlocked(): void {
    for (let next = this.#blockedBatches.peek(); next !== undefined; next = this.#blockedBatches.peek()) {
      if (!this.#tryBatch(next)) return;
      this.#blockedBatches.shift();
    }
    for (let next = this.#blocked.peek(); next !== undefined && this.#trySend(next.record, next.pending); next = this.#blocked.peek()) {
      this.#blocked.shift();
    }
  }
}

/** The state of a batch of n records, all pending. */
function newBatch(topic: string, n: number, settleAll: boolean, resolve: BatchState['resolve'], reject: BatchState['reject']): BatchState {
  return { topic, partitions: new Int32Array(n), offsets: new Float64Array(n), msgids: new Float64Array(n), codes: new Int32Array(n), pending: n, firstError: 0, settleAll, resolve, reject };
}

function badBytes(value: unknown): boolean {
  return value !== null && value !== undefined && typeof value !== 'string' && !(value instanceof Uint8Array);
}

function checkHeaders(headers: ProducerRecord['headers'] | HeaderTuple[]): [string, Payload][] | null {
  if (headers === undefined || headers === null) return null;
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
  if (typeof headers !== 'object') throw invalidParameter('an array of [name, value] pairs or an object', 'headers', headers);
  return pairs.map((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw invalidParameter('a [name, value] pair', `headers[${i}]`, pair);
    return [expectString(pair[0], `headers[${i}] name`), expectBytes(pair[1], `headers[${i}] value`)];
  });
}

function expectSerializer<T>(serializer: RecordSerializer<T> | undefined, name: string): RecordSerializer<T> | undefined {
  if (serializer !== undefined && (typeof serializer !== 'object' || serializer === null || typeof serializer.serialize !== 'function')) {
    throw invalidParameter('an object with a serialize(topic, value) method', name, serializer);
  }
  return serializer;
}

/** `produceBatch` is synchronous: its serializer must encode without waiting (a SchemaSerializer after `prepare(topic)`). */
function serializeNow<T>(serializer: RecordSerializer<T>, topic: string, values: T[], name: string): Payload[] {
  return values.map((value) => {
    const bytes = serializer.serializeSync?.(topic, value);
    if (bytes === undefined) {
      throw new KafkaError(ErrorCode._STATE, `produceBatch: the ${name} cannot encode for topic '${topic}' without waiting; await its prepare('${topic}') (or a send to the topic) first`);
    }
    return bytes;
  });
}

/** A pause before calling a transactional function again after a retriable failure. */
const TRANSACTION_RETRY_MS = 100;

/** A transactional call's failure, with librdkafka's classification. */
function transactionError(what: string, [code, message, fatal, retriable, abortable]: TransactionResult): KafkaError {
  // librdkafka names only its state ("Operation not valid in state Init"): say what the order is.
  const order = code === ErrorCode._STATE ? ' (a transactional producer calls initTransactions() once, then for each transaction beginTransaction() and commitTransaction() or abortTransaction())' : '';
  return new KafkaError(code, `${what}: ${message || capi.DRMessageError(code)}${order}`, { fatal, retriable, abortable });
}
