// The benchmark driver for this project's own APIs, one process per job:
//   napi-produce     Producer.produce() per message + deliveryReport()   | Consumer.consumeRecord()
//   napi-send        Producer.send() promises (a window of 100k in flight)
//   napi-send-batch  Producer.sendBatch() promises (batches of job.batchSize)
//   napi-batch       Producer.produceBatch() + deliveryReport()           | Consumer.consumeBatch()
//   napi-batch-avro  the same with an Avro valueSerializer (SchemaSerializer, an in-process
//                    embedded registry): records {payload: string} of job.messageSize bytes encoded
//   napi-capi        capi.Produce + capi.DeliveryReport                   | capi.Consume
//                    (job.roundRobin: message i to partition i % partitions; fills consume topics)
//   napi-capi-batch  capi.ProduceBatch + capi.DeliveryReportInto          | capi.ConsumeBatchPacked
//   napi-txn-batch   produceBatch() in begin/commitTransaction (transactional scenarios)
//   napi-txn-send-batch  sendBatch() in runTransaction() (transactional scenarios)
// Latency jobs: produce() (or capi.Produce) at the job's rate and the consume API above, in one
// process. Usage: node dist/bench/drivers/rdkafka-napi.js '<job JSON>'
import { capi, Consumer, ErrorCode, KafkaError, PACKED_FIELDS, Producer, registryClient, SchemaSerializer, startEmbeddedRegistry, type KafkaHandle, type NativeBinding, type PackedBatch, type Record } from '../../index';
import { LatencyHistogram } from '../histogram';
import {
  emitSkipped,
  latencyPayload,
  latencySentMicros,
  payloadOf,
  Progress,
  runDriver,
  sleep,
  throughput,
  wallClockMicros,
  type DriverResult,
  type Job,
} from '../job';

const QUEUE_FULL = ErrorCode._QUEUE_FULL;
const NO_MESSAGE = 1; // capi.Consume's [1]

runDriver(async (job) => {
  switch (job.kind) {
    case 'produce':
      return produce(job);
    case 'consume':
      return consume(job);
    case 'latency':
      return latency(job);
  }
});

function produce(job: Job): Promise<DriverResult> {
  switch (job.driver) {
    case 'napi-produce':
      return produceEach(job);
    case 'napi-send':
      return produceSend(job);
    case 'napi-send-batch':
      return produceSendBatch(job);
    case 'napi-batch':
      requireNative('ProduceBatch');
      if (typeof (Producer.prototype as Partial<Producer>).produceBatch !== 'function') emitSkipped('Producer.produceBatch is not in this build yet');
      return produceBatchClass(job);
    case 'napi-batch-avro':
      return produceBatchAvro(job);
    case 'napi-capi':
      return produceCapi(job);
    case 'napi-capi-batch':
      requireNative('ProduceBatch');
      requireNative('DeliveryReportInto');
      return produceCapiBatch(job);
    case 'napi-txn-batch':
      requireNative('CommitTransaction');
      return produceBatchTransactions(job);
    case 'napi-txn-send-batch':
      requireNative('CommitTransaction');
      return produceSendBatchTransactions(job);
  }
  emitSkipped(`${job.driver} has no produce mode`);
}

function consume(job: Job): Promise<DriverResult> {
  switch (job.driver) {
    case 'napi-produce':
      return consumeEach(job);
    case 'napi-batch':
      return consumeBatchClass(job);
    case 'napi-capi':
      return consumeCapi(job, false);
    case 'napi-capi-batch':
      requireNative('ConsumeBatchPacked');
      return consumeCapi(job, true);
  }
  emitSkipped(`${job.driver} has no consume mode`);
}

/** Skips the job when the addon in build/Release lacks a C-style function (not built yet). */
function requireNative(name: keyof NativeBinding): void {
  if (typeof (capi as Partial<NativeBinding>)[name] !== 'function') emitSkipped(`capi.${name} is not in this build of the addon yet`);
}

// ---------------------------------------------------------------------------------------------
// Producing

/** Delivery reports taken per deliveryReport() call. */
const REPORTS_PER_CALL = 10_000;

/** Counts a class producer's delivery reports and reports progress. */
class Tally {
  delivered = 0;
  failed = 0;

  constructor(
    readonly producer: Producer,
    readonly progress: Progress,
  ) {}

  /**
   * Takes every waiting delivery report, 10,000 at a time: one array of 100,000 report objects
   * (a full queue's worth) outlives young-generation collections and makes the heap saw-tooth.
   */
  drain(): void {
    let reports;
    do {
      reports = this.producer.deliveryReport(REPORTS_PER_CALL);
      for (const report of reports) {
        if (report.error === 0) this.delivered++;
        else this.failed++;
      }
    } while (reports.length === REPORTS_PER_CALL);
    this.progress.update(this.delivered);
  }

  /** Waits until all `count` messages have their report. */
  async finish(count: number): Promise<void> {
    while (this.delivered + this.failed < count) {
      await sleep(1);
      this.drain();
    }
  }
}

async function produceEach(job: Job): Promise<DriverResult> {
  const producer = new Producer(job.producerConfig);
  const payload = payloadOf(job.messageSize);
  const tally = new Tally(producer, new Progress(job.count));
  let sent = 0;
  const started = performance.now();
  while (sent < job.count) {
    try {
      producer.produce(job.topic, payload, null, job.partition);
      sent++;
    } catch (error) {
      if (!(error instanceof KafkaError) || error.code !== QUEUE_FULL) throw error;
      await sleep(1); // librdkafka's queue is full: let delivery reports come in
    }
    if (sent % 1000 === 0) tally.drain();
  }
  await tally.finish(job.count);
  const seconds = (performance.now() - started) / 1000;
  await producer.close();
  return throughput(tally.delivered, tally.failed, job.messageSize, seconds);
}

/** A counter that lets a caller wait until fewer than `limit` operations are in flight. */
class Window {
  inFlight = 0;
  #waiter: (() => void) | undefined;
  constructor(readonly limit: number) {}

  async enter(amount = 1): Promise<void> {
    while (this.inFlight + amount > this.limit) await new Promise<void>((resolve) => (this.#waiter = resolve));
    this.inFlight += amount;
  }

  leave(amount = 1): void {
    this.inFlight -= amount;
    if (this.#waiter !== undefined && this.inFlight <= this.limit / 2) {
      const resolve = this.#waiter;
      this.#waiter = undefined;
      resolve();
    }
  }
}

async function produceSend(job: Job): Promise<DriverResult> {
  const producer = new Producer(job.producerConfig);
  const payload = payloadOf(job.messageSize);
  const progress = new Progress(job.count);
  const window = new Window(100_000);
  let delivered = 0;
  let failed = 0;
  const record = { topic: job.topic, payload, partition: job.partition };
  const onDelivered = (): void => {
    delivered++;
    window.leave();
  };
  const onFailed = (): void => {
    failed++;
    window.leave();
  };
  const started = performance.now();
  for (let i = 0; i < job.count; i++) {
    if (window.inFlight >= window.limit) {
      progress.update(delivered);
      await window.enter();
    } else {
      window.inFlight++;
    }
    producer.send(record).then(onDelivered, onFailed);
  }
  await window.enter(window.limit); // every send settled
  const seconds = (performance.now() - started) / 1000;
  await producer.close();
  return throughput(delivered, failed, job.messageSize, seconds, 'a window of 100,000 sends in flight');
}

async function produceSendBatch(job: Job): Promise<DriverResult> {
  const producer = new Producer(job.producerConfig);
  const payload = payloadOf(job.messageSize);
  const progress = new Progress(job.count);
  const window = new Window(Math.max(100_000, 4 * job.batchSize));
  let delivered = 0;
  let failed = 0;
  const started = performance.now();
  for (let sent = 0; sent < job.count; ) {
    const n = Math.min(job.batchSize, job.count - sent);
    const records = new Array(n).fill({ topic: job.topic, payload, partition: job.partition });
    await window.enter(n);
    producer.sendBatch(records).then(
      () => {
        delivered += n;
        window.leave(n);
        progress.update(delivered);
      },
      () => {
        failed += n;
        window.leave(n);
      },
    );
    sent += n;
  }
  await window.enter(window.limit);
  const seconds = (performance.now() - started) / 1000;
  await producer.close();
  return throughput(delivered, failed, job.messageSize, seconds, `sendBatch of ${job.batchSize}, up to ${window.limit.toLocaleString('en-US')} messages in flight`);
}

/** An Avro record {payload: string} whose wire-format encoding (5-byte prefix, length, text) is `size` bytes. */
function avroRecordOf(size: number): { payload: string } {
  let text = 0;
  while (5 + varintBytes(2 * (text + 1)) + text + 1 <= size) text++;
  return { payload: 'x'.repeat(text) };
}

function varintBytes(n: number): number {
  let bytes = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 128);
    bytes++;
  }
  return bytes;
}

async function produceBatchAvro(job: Job): Promise<DriverResult> {
  const registry = await startEmbeddedRegistry('http://127.0.0.1:0');
  const serializer = new SchemaSerializer<{ payload: string }>(registryClient({ url: registry.url }), { type: 'AVRO', schema: { type: 'record', name: 'Bench', fields: [{ name: 'payload', type: 'string' }] } });
  await serializer.prepare(job.topic); // registered before the clock starts, as a long-running producer has it
  const value = avroRecordOf(job.messageSize);
  const encodedSize = (await serializer.serialize(job.topic, value))!.length;
  try {
    const result = await produceBatchClass(job, new Producer<{ payload: string }>(job.producerConfig, { valueSerializer: serializer }), value);
    return { ...result, note: `${result.note}; Avro records of ${encodedSize} B encoded by the valueSerializer inside produceBatch()` };
  } finally {
    await registry.close();
  }
}

async function produceBatchClass<V = Buffer>(job: Job, producer: Producer<V> = new Producer<V>(job.producerConfig), value: V = payloadOf(job.messageSize) as V): Promise<DriverResult> {
  const payloads = new Array<V>(job.batchSize).fill(value);
  const tally = new Tally(producer as Producer, new Progress(job.count));
  let sent = 0;
  const started = performance.now();
  while (sent < job.count) {
    const want = Math.min(job.batchSize, job.count - sent);
    sent += await produceChunk(producer, job, payloads, want, tally);
  }
  await tally.finish(job.count);
  const seconds = (performance.now() - started) / 1000;
  await producer.close();
  return throughput(tally.delivered, tally.failed, job.messageSize, seconds, `batches of ${job.batchSize}`);
}

/** One produceBatch() of `want` records: how many the queue took (after a pause when it was full). */
async function produceChunk<V>(producer: Producer<V>, job: Job, payloads: V[], want: number, tally: Tally): Promise<number> {
  let accepted = 0;
  try {
    accepted = producer.produceBatch(job.topic, want === payloads.length ? payloads : payloads.slice(0, want), null, job.partition).count;
  } catch (error) {
    if (!(error instanceof KafkaError) || error.code !== QUEUE_FULL) throw error;
  }
  tally.drain();
  if (accepted < want) await sleep(1); // the queue is full: let delivery reports come in
  return accepted;
}

/** The records per transaction of a transactional scenario (a job of another scenario is skipped). */
function transactionSizeOf(job: Job): number {
  if (job.transactionSize === undefined) emitSkipped(`${job.driver} runs only in the transactional scenarios`);
  return job.transactionSize;
}

/** A transactional producer, its transactions registered (not timed: a service does this once). */
async function transactionalProducer(job: Job): Promise<Producer> {
  const producer = new Producer({ ...job.producerConfig, 'transactional.id': `bench-${job.topic}` });
  await producer.initTransactions();
  return producer;
}

/** produceBatch() calls inside begin/commitTransaction, `job.transactionSize` records per transaction. */
async function produceBatchTransactions(job: Job): Promise<DriverResult> {
  const size = transactionSizeOf(job);
  const producer = await transactionalProducer(job);
  const payloads = new Array(Math.min(job.batchSize, size)).fill(payloadOf(job.messageSize));
  const tally = new Tally(producer, new Progress(job.count));
  let sent = 0;
  let transactions = 0;
  const started = performance.now();
  while (sent < job.count) {
    producer.beginTransaction();
    const end = Math.min(job.count, sent + size);
    while (sent < end) {
      const want = Math.min(payloads.length, end - sent);
      sent += await produceChunk(producer, job, payloads, want, tally);
    }
    await producer.commitTransaction(); // delivers the transaction's records, then commits
    transactions++;
    tally.drain();
  }
  await tally.finish(job.count);
  const seconds = (performance.now() - started) / 1000;
  await producer.close();
  return throughput(tally.delivered, tally.failed, job.messageSize, seconds, `${transactions.toLocaleString('en-US')} transactions of ${size.toLocaleString('en-US')} (produceBatch of ${payloads.length.toLocaleString('en-US')}); initTransactions not timed`);
}

/** runTransaction() around sendBatch() promises, `job.transactionSize` records per transaction. */
async function produceSendBatchTransactions(job: Job): Promise<DriverResult> {
  const size = transactionSizeOf(job);
  const producer = await transactionalProducer(job);
  const records = new Array(Math.min(job.batchSize, size)).fill({ topic: job.topic, payload: payloadOf(job.messageSize), partition: job.partition });
  const progress = new Progress(job.count);
  let delivered = 0;
  let transactions = 0;
  const started = performance.now();
  while (delivered < job.count) {
    const n = Math.min(size, job.count - delivered);
    await producer.runTransaction(async () => {
      const sends = [];
      for (let i = 0; i < n; i += records.length) sends.push(producer.sendBatch(n - i >= records.length ? records : records.slice(0, n - i)));
      await Promise.all(sends);
    });
    delivered += n;
    transactions++;
    progress.update(delivered);
  }
  const seconds = (performance.now() - started) / 1000;
  await producer.close();
  return throughput(delivered, 0, job.messageSize, seconds, `${transactions.toLocaleString('en-US')} runTransaction() calls of ${size.toLocaleString('en-US')} (sendBatch of ${records.length.toLocaleString('en-US')}); initTransactions not timed`);
}

/** A raw handle configured from a job's properties. */
function rawHandle(config: { [key: string]: string }): KafkaHandle {
  const handle = capi.InitKafka();
  for (const [key, value] of Object.entries(config)) {
    const [code, message] = capi.SetKafkaConf(handle, key, value);
    if (code !== 0) throw new Error(`${key}=${value}: ${message}`);
  }
  return handle;
}

/** Waits for the handle's wake-up (reports or messages arrived), or `ms` at most. */
class Wake {
  #resolve: (() => void) | undefined;
  constructor(readonly handle: KafkaHandle) {
    capi.SetWakeup(handle, () => this.#fire());
  }

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#fire(), ms);
      this.#resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  close(): void {
    capi.SetWakeup(this.handle, null);
  }

  #fire(): void {
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.();
  }
}

/** Drains delivery reports (`drain` returns how many are in), waiting on the wake-up between rounds. */
async function finishReports(wake: Wake, count: number, drain: () => number): Promise<void> {
  while (drain() < count) await wake.wait(10);
}

async function produceCapi(job: Job): Promise<DriverResult> {
  const handle = rawHandle(job.producerConfig);
  const payload = payloadOf(job.messageSize);
  const progress = new Progress(job.count);
  let wake: Wake | undefined;
  let sent = 0;
  let delivered = 0;
  let failed = 0;
  const drain = (): void => {
    const [msgids, errors] = capi.DeliveryReport(handle, 1_000_000);
    for (let i = 0; i < msgids.length; i++) {
      if (errors[i] === 0) delivered++;
      else failed++;
    }
  };
  const started = performance.now();
  while (sent < job.count) {
    const partition = job.roundRobin ? sent % job.partitions : job.partition;
    const [code, , message] = capi.Produce(handle, job.topic, payload, null, partition);
    if (code === 0) {
      sent++;
      if (sent % 1000 === 0) {
        drain();
        progress.update(delivered);
      }
    } else if (code === QUEUE_FULL) {
      wake ??= new Wake(handle);
      drain();
      await wake.wait(10);
    } else {
      throw new KafkaError(code, message);
    }
  }
  wake ??= new Wake(handle);
  await finishReports(wake, job.count, () => {
    drain();
    progress.update(delivered);
    return delivered + failed;
  });
  const seconds = (performance.now() - started) / 1000;
  wake.close();
  capi.UninitProducer(handle, 10_000);
  return throughput(delivered, failed, job.messageSize, seconds);
}

async function produceCapiBatch(job: Job): Promise<DriverResult> {
  const handle = rawHandle(job.producerConfig);
  const full = new Array(job.batchSize).fill(payloadOf(job.messageSize));
  const progress = new Progress(job.count);
  const reports = { ids: new Float64Array(65536), errors: new Int32Array(65536), partitions: new Int32Array(65536), offsets: new Float64Array(65536) };
  let wake: Wake | undefined;
  let sent = 0;
  let delivered = 0;
  let failed = 0;
  const drain = (): void => {
    for (;;) {
      const n = capi.DeliveryReportInto(handle, reports.ids, reports.errors, reports.partitions, reports.offsets);
      for (let i = 0; i < n; i++) {
        if (reports.errors[i] === 0) delivered++;
        else failed++;
      }
      if (n < reports.ids.length) return;
    }
  };
  const started = performance.now();
  while (sent < job.count) {
    const want = Math.min(job.batchSize, job.count - sent);
    const payloads = want === full.length ? full : full.slice(0, want);
    const [code, , count, errors, message] = capi.ProduceBatch(handle, job.topic, job.partition, payloads, null);
    let accepted = count;
    if (errors !== null) {
      accepted = errors.indexOf(QUEUE_FULL);
      if (accepted < 0) throw new KafkaError(code, message);
      for (let i = accepted; i < errors.length; i++) if (errors[i] !== QUEUE_FULL) throw new KafkaError(errors[i], message);
    } else if (code !== 0) {
      throw new KafkaError(code, message);
    }
    sent += accepted;
    drain();
    progress.update(delivered);
    if (accepted < want) {
      wake ??= new Wake(handle);
      await wake.wait(10);
    }
  }
  wake ??= new Wake(handle);
  await finishReports(wake, job.count, () => {
    drain();
    progress.update(delivered);
    return delivered + failed;
  });
  const seconds = (performance.now() - started) / 1000;
  wake.close();
  capi.UninitProducer(handle, 10_000);
  return throughput(delivered, failed, job.messageSize, seconds, `batches of ${job.batchSize}`);
}

// ---------------------------------------------------------------------------------------------
// Consuming: timed from the first message received to the last one.

/** Every consume driver reads each payload's length: the bytes must add up. */
function checkPayloadBytes(bytes: number, received: number, job: Job): void {
  if (bytes !== received * job.messageSize) throw new Error(`read ${bytes} payload bytes in ${received} messages of ${job.messageSize}`);
}

async function consumeEach(job: Job): Promise<DriverResult> {
  const consumer = new Consumer(job.consumerConfig, job.topic);
  const progress = new Progress(job.count);
  // The clock starts at the first message, as in rdkafka_performance.
  let record = await consumer.consumeRecord(1000);
  while (record === undefined) record = await consumer.consumeRecord(1000);
  const started = performance.now();
  let received = 1;
  let bytes = record.payload!.length;
  while (received < job.count) {
    record = await consumer.consumeRecord(1000);
    if (record === undefined) continue;
    bytes += record.payload!.length; // what a reader would look at
    received++;
    if (received % 1000 === 0) progress.update(received);
  }
  const seconds = (performance.now() - started) / 1000;
  await consumer.close();
  checkPayloadBytes(bytes, received, job);
  return throughput(received, 0, job.messageSize, seconds);
}

async function consumeBatchClass(job: Job): Promise<DriverResult> {
  const consumer = new Consumer(job.consumerConfig, job.topic);
  const progress = new Progress(job.count);
  // The clock starts at the first message, as in rdkafka_performance: wait for one alone.
  let first: Record[] = [];
  while (first.length === 0) first = await consumer.consumeBatch(1, 1000);
  const started = performance.now();
  let received = 1;
  let bytes = first[0].payload!.length;
  while (received < job.count) {
    const records = await consumer.consumeBatch(Math.min(job.batchSize, job.count - received), 1000);
    for (const record of records) bytes += record.payload!.length; // what a reader would look at
    received += records.length;
    progress.update(received);
  }
  const seconds = (performance.now() - started) / 1000;
  await consumer.close();
  checkPayloadBytes(bytes, received, job);
  return throughput(received, 0, job.messageSize, seconds, `consumeBatch(${job.batchSize})`);
}

function subscribeRaw(job: Job): KafkaHandle {
  const handle = rawHandle(job.consumerConfig);
  const list = capi.NewTopicPartitionList();
  capi.SetTopicPartitionList(list, job.topic);
  const [code, message] = capi.SubscribeConsumerTPList(handle, list);
  capi.DestroyTopicPartitionList(list);
  if (code !== 0) throw new KafkaError(code, message);
  return handle;
}

async function consumeCapi(job: Job, batch: boolean): Promise<DriverResult> {
  const handle = subscribeRaw(job);
  const wake = new Wake(handle);
  const progress = new Progress(job.count);
  let bytes = 0;
  /** Takes up to `max` ready messages; returns how many. */
  const take = (max: number): number => {
    let got = 0;
    if (batch) {
      const result = capi.ConsumeBatchPacked(handle, max);
      if (result[0] !== 0) throw new KafkaError(result[0], String(result[1]));
      const [, count, , fields, , extras] = result as PackedBatch;
      for (let f = 0; f < count * PACKED_FIELDS; f += PACKED_FIELDS) {
        if (fields[f] < 0) throw new KafkaError(...(extras![fields[f + 7]] as [number, string]));
        bytes += fields[f + 5]; // the payload's length: what a reader would look at
      }
      return count;
    }
    while (got < max) {
      const item = capi.Consume(handle, 0);
      if (item[0] === NO_MESSAGE) break;
      if (item[0] !== 0) throw new KafkaError(item[0], String(item[1]));
      got++;
    }
    return got;
  };
  // The clock starts at the first message, as in rdkafka_performance.
  while (take(1) === 0) await wake.wait(100);
  const started = performance.now();
  let received = 1;
  while (received < job.count) {
    const got = take(Math.min(job.batchSize, job.count - received));
    if (got === 0) await wake.wait(100);
    received += got;
    progress.update(received);
  }
  const seconds = (performance.now() - started) / 1000;
  if (batch) checkPayloadBytes(bytes, received, job);
  wake.close();
  await capi.UninitConsumerAsync(handle);
  return throughput(received, 0, job.messageSize, seconds, batch ? `ConsumeBatchPacked(${job.batchSize})` : undefined);
}

// ---------------------------------------------------------------------------------------------
// End-to-end latency: a producer at a fixed rate and a consumer in this one process. Each
// payload carries its send time; the consumer records receipt minus send.

interface LatencyEnds {
  /** Queues one message (throws or returns false when it cannot). */
  produce(payload: Buffer): boolean;
  /** Messages ready now, without waiting. */
  take(): Array<Buffer | null>;
  /** Waits until messages may be ready (or `ms`). */
  waitForMessages(ms: number): Promise<void>;
  /** Drains delivery reports. */
  reports(): void;
  close(): Promise<void>;
}

function classEnds(job: Job): LatencyEnds {
  const producer = new Producer(job.producerConfig);
  const consumer = new Consumer(job.consumerConfig, job.topic);
  let ready: Array<Buffer | null> = [];
  return {
    produce: (payload) => (producer.produce(job.topic, payload, null, job.partition), true),
    take: () => {
      const out = ready;
      ready = [];
      return out;
    },
    waitForMessages: async (ms) => {
      const records = await consumer.consumeBatch(job.batchSize, ms);
      ready = records.map((record) => record.payload);
    },
    reports: () => void producer.deliveryReport(Number.MAX_SAFE_INTEGER),
    close: async () => {
      await producer.close();
      await consumer.close();
    },
  };
}

function capiEnds(job: Job): LatencyEnds {
  const producer = rawHandle(job.producerConfig);
  const consumer = subscribeRaw(job);
  const wake = new Wake(consumer);
  return {
    produce: (payload) => {
      const [code, , message] = capi.Produce(producer, job.topic, payload, null, job.partition);
      if (code !== 0) throw new KafkaError(code, message);
      return true;
    },
    take: () => {
      const out: Array<Buffer | null> = [];
      for (const item of capi.ConsumeBatch(consumer, job.batchSize)) {
        if (item.length === 8) out.push(item[2]);
        else if (item[0] !== NO_MESSAGE) throw new KafkaError(item[0], String(item[1]));
      }
      return out;
    },
    waitForMessages: (ms) => wake.wait(ms),
    reports: () => void capi.DeliveryReport(producer, 1_000_000),
    close: async () => {
      wake.close();
      capi.UninitProducer(producer, 10_000);
      await capi.UninitConsumerAsync(consumer);
    },
  };
}

async function latency(job: Job): Promise<DriverResult> {
  if (job.driver === 'napi-capi-batch') requireNative('ConsumeBatch');
  const ends = job.driver === 'napi-capi-batch' || job.driver === 'napi-capi' ? capiEnds(job) : classEnds(job);
  const histogram = new LatencyHistogram();
  const progress = new Progress(job.count);

  // Warm-up: until the consumer has its partitions and sees a message, nothing is timed.
  let warmup = 0;
  let warmedUp = false;
  const warmupDeadline = Date.now() + Math.min(60_000, job.timeoutMs / 2);
  while (!warmedUp) {
    if (Date.now() > warmupDeadline) throw new Error('the consumer received no warm-up message within 60 s');
    ends.produce(Buffer.from('WARMUP'));
    warmup++;
    const until = Date.now() + 200;
    while (!warmedUp && Date.now() < until) {
      await ends.waitForMessages(50);
      warmedUp = ends.take().length > 0;
    }
  }

  let received = 0;
  let sent = 0;
  let consumerError: unknown;
  const consuming = (async () => {
    try {
      while (received < job.count) {
        const payloads = ends.take();
        if (payloads.length === 0) {
          await ends.waitForMessages(100);
          continue;
        }
        const now = wallClockMicros();
        for (const payload of payloads) {
          const sentAt = latencySentMicros(payload);
          if (sentAt === undefined) continue;
          histogram.record(now - sentAt);
          received++;
        }
        progress.update(received);
      }
    } catch (error) {
      consumerError = error;
    }
  })();

  // Produce at the rate: each 1 ms tick sends what is due by now.
  const started = performance.now();
  while (sent < job.count && consumerError === undefined) {
    const due = Math.min(job.count, Math.floor(((performance.now() - started) / 1000) * job.rate));
    while (sent < due) {
      ends.produce(latencyPayload(job.messageSize));
      sent++;
    }
    ends.reports();
    await sleep(1);
  }
  const deadline = Date.now() + 30_000;
  while (received < job.count && consumerError === undefined && Date.now() < deadline) {
    ends.reports();
    await sleep(10);
  }
  if (consumerError !== undefined) throw consumerError;
  if (received < job.count) throw new Error(`received ${received} of ${job.count} messages within 30 s of the last send`);
  await consuming;
  const seconds = (performance.now() - started) / 1000;
  await ends.close();
  return {
    ...throughput(received, 0, job.messageSize, seconds, `${job.rate.toLocaleString('en-US')} msgs/s; ${warmup} warm-up message(s) first`),
    latency: histogram.summary(),
    warmupMessages: warmup,
  };
}
