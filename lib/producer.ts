// The Producer class (the APL Producer, plus promises and backpressure). Every call goes through
// the C-style functions; delivery reports arrive by wake-up, never by a polling timer.
import { applyConfig, setConfig, type Config } from './config';
import { ErrorCode, KafkaError } from './errors';
import { capi, type HeaderTuple, type KafkaHandle } from './native';
import { Fifo } from './fifo';
import { Record } from './record';
import { expectBytes, expectPartition, expectString, expectTimeout, invalidParameter } from './validate';

export type Payload = Buffer | Uint8Array | string | null;

export interface ProducerRecord {
  topic: string;
  payload: Payload;
  key?: Payload;
  /** -1 or absent: the partitioner picks from the key. */
  partition?: number;
  headers?: Array<[string, Payload]> | { [name: string]: Payload };
  /** Milliseconds since the epoch; absent: now. */
  timestamp?: number;
}

/** A delivery report as `deliveryReport` returns it: `error` 0 means delivered. */
export interface DeliveryReport {
  msgid: number;
  error: number;
}

/** Where a sent record landed. */
export interface DeliveryResult {
  msgid: number;
  topic: string;
  partition: number;
  offset: number;
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
}

interface Checked {
  topic: string;
  payload: Payload;
  key: Payload;
  partition: number;
  headers: HeaderTuple[] | [string, Payload][] | null;
  timestamp: number;
}

export class Producer {
  readonly #handle: KafkaHandle;
  #closed = false;
  /** Reports of `produce()` calls, waiting for `deliveryReport` / `updateOutstanding`. */
  #reports = new Fifo<DeliveryReport>();
  /** `produce()` msgids without a successful report: 0 pending, or the error. */
  #outstanding = new Map<number, number>();
  /** `send()` calls waiting for their delivery report. */
  #sends = new Map<number, PendingSend>();
  /** `send()` calls waiting for room in librdkafka's queue, in order. */
  #blocked = new Fifo<{ record: Checked; pending: PendingSend }>();
  /** Accepted messages whose report has not reached JavaScript. */
  #inFlight = 0;
  #wakeSet = false;
  readonly #onWake = (): void => this.#collect();

  constructor(config?: Config) {
    this.#handle = capi.InitKafka();
    applyConfig(this.#handle, config);
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
    const record = this.#check({ topic, payload, key, partition });
    const msgid = this.#produce(record);
    this.#outstanding.set(msgid, 0);
    return msgid;
  }

  /** `produce` from a Record or a ProducerRecord (headers and timestamp included). */
  produceRecord(record: Record | ProducerRecord): number {
    this.#checkOpen();
    const checked = this.#check(record);
    const msgid = this.#produce(checked);
    this.#outstanding.set(msgid, 0);
    return msgid;
  }

  /** Up to `max` delivery reports of `produce()` calls, oldest first. */
  deliveryReport(max = 100): DeliveryReport[] {
    this.#checkOpen();
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 0) throw invalidParameter('a non-negative integer', 'max', max);
    this.#collect();
    const taken = this.#reports.take(max);
    for (const report of taken) this.#settleOutstanding(report);
    return taken;
  }

  /**
   * Takes every waiting delivery report and returns the `produce()` messages not yet delivered:
   * error 0 = still pending, otherwise the failure (reported once, then forgotten).
   */
  updateOutstanding(): OutstandingMessage[] {
    this.deliveryReport(Number.MAX_SAFE_INTEGER);
    const rows = [...this.#outstanding].map(([msgid, error]) => ({ msgid, error }));
    for (const row of rows) if (row.error !== 0) this.#outstanding.delete(row.msgid);
    return rows;
  }

  /** Sends one record; resolves once the broker has it, waits while librdkafka's queue is full. */
  send(record: ProducerRecord | Record): Promise<DeliveryResult> {
    return new Promise<DeliveryResult>((resolve, reject) => {
      this.#checkOpen();
      const checked = this.#check(record);
      const pending = { topic: checked.topic, resolve, reject };
      // Behind earlier blocked sends, or when the queue is full: wait, in order.
      if (this.#blocked.length > 0 || !this.#trySend(checked, pending)) this.#blocked.push({ record: checked, pending });
    });
  }

  /** Sends many records; resolves with their results in order, or rejects with the first failure. */
  sendBatch(records: Array<ProducerRecord | Record>): Promise<DeliveryResult[]> {
    if (!Array.isArray(records)) return Promise.reject(invalidParameter('an array of records', 'records', records));
    return Promise.all(records.map((record) => this.send(record)));
  }

  /** Waits until every queued message has its delivery report (rejects on timeout). */
  async flush(timeoutMs = 30000): Promise<void> {
    this.#checkOpen();
    const code = await capi.FlushAsync(this.#handle, expectTimeout(timeoutMs));
    this.#collect();
    if (code !== 0) throw new KafkaError(code, `Flush timed out after ${timeoutMs} ms with messages still undelivered`);
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
    const [code, msgid, message] = this.#call(record);
    if (code !== 0) throw new KafkaError(code, message);
    this.#accepted();
    return msgid;
  }

  #call(record: Checked): [number, number, string] {
    return capi.Produce(this.#handle, record.topic, record.payload, record.key, record.partition, record.headers, record.timestamp);
  }

  /** Produces for a send(); false when the queue is full and the send must wait for room. */
  #trySend(record: Checked, pending: PendingSend): boolean {
    const [code, msgid, message] = this.#call(record);
    if (code === 0) {
      this.#sends.set(msgid, pending);
      this.#accepted();
      return true;
    }
    // Room comes back as delivery reports arrive, and #collect retries then.
    if (code === ErrorCode._QUEUE_FULL && this.#inFlight > 0) return false;
    pending.reject(new KafkaError(code, message));
    return true;
  }

  #accepted(): void {
    this.#inFlight++;
    if (!this.#wakeSet) {
      capi.SetWakeup(this.#handle, this.#onWake);
      this.#wakeSet = true;
    }
  }

  /** Takes the reports librdkafka has ready and hands each to its owner. */
  #collect(): void {
    if (this.#closed) return;
    const [msgids, errors, partitions, offsets] = capi.DeliveryReport(this.#handle);
    this.#inFlight -= msgids.length;
    for (let i = 0; i < msgids.length; i++) {
      const msgid = msgids[i];
      const pending = this.#sends.get(msgid);
      if (pending === undefined) {
        this.#reports.push({ msgid, error: errors[i] });
        continue;
      }
      this.#sends.delete(msgid);
      if (errors[i] === 0) {
        pending.resolve({ msgid, topic: pending.topic, partition: partitions[i], offset: offsets[i] });
      } else {
        pending.reject(new KafkaError(errors[i]));
      }
    }
    for (let next = this.#blocked.peek(); next !== undefined && this.#trySend(next.record, next.pending); next = this.#blocked.peek()) {
      this.#blocked.shift();
    }
    if (this.#inFlight === 0 && this.#wakeSet) {
      // Nothing in flight: let the process exit and the producer be collected.
      capi.SetWakeup(this.#handle, null);
      this.#wakeSet = false;
    }
  }

  #settleOutstanding(report: DeliveryReport): void {
    if (!this.#outstanding.has(report.msgid)) return;
    if (report.error === 0) {
      this.#outstanding.delete(report.msgid);
    } else {
      this.#outstanding.set(report.msgid, report.error);
    }
  }
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
