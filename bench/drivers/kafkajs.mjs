// Benchmark driver for kafkajs (pure JavaScript), loaded from bench/peers/kafkajs/. Producing:
// kafkajs has no linger, so a batch is what one send() carries: 1,000 messages per send (fewer
// for large messages: a send must fit the broker's 1 MB limit) with up to 8 sends in flight.
// Consuming: eachBatch. The same program runs on our facade (driver napi-kafkajs: only the
// import differs) and on @confluentinc/kafka-javascript's KafkaJS API (driver confluent-kafkajs:
// its configuration shape, and acks per producer, which it requires).
// Usage: node bench/drivers/kafkajs.mjs '<job JSON>'
import { createRequire } from 'node:module';
import { emitSkipped, latencyPayload, latencySentMicros, payloadOf, Progress, runDriver, sleep, throughput, wallClockMicros } from '../../dist/bench/job.js';
import { LatencyHistogram } from '../../dist/bench/histogram.js';

const MESSAGES_PER_SEND = 1000;
/** A send() is one record batch per partition: keep it under the broker's 1 MB message.max.bytes. */
const BYTES_PER_SEND = 900 * 1024;
const SENDS_IN_FLIGHT = 8;

/** Which KafkaJS API the job runs the program on. */
const flavourOf = (job) => (job.driver === 'napi-kafkajs' ? 'ours' : job.driver === 'confluent-kafkajs' ? 'confluent' : 'kafkajs');

function load(job) {
  const flavour = flavourOf(job);
  if (flavour === 'ours') return createRequire(import.meta.url)('../../dist/kafkajs/index.js');
  const peer = flavour === 'confluent' ? 'confluent-kafka-javascript' : 'kafkajs';
  const require = createRequire(new URL(`../peers/${peer}/package.json`, import.meta.url));
  try {
    return flavour === 'confluent' ? require('@confluentinc/kafka-javascript').KafkaJS : require('kafkajs');
  } catch (error) {
    emitSkipped(`${peer} does not load: ${error.message.split('\n')[0]}`);
  }
}

function client(kafkajs, job) {
  const options = { clientId: `bench-${job.driver}`, brokers: job.bootstrapServers.split(','), logLevel: kafkajs.logLevel.NOTHING };
  return new kafkajs.Kafka(flavourOf(job) === 'confluent' ? { kafkaJS: options } : options);
}

/** The producer, and the acks each send asks for (@confluentinc/kafka-javascript takes them per producer only). */
function newProducer(kafkajs, job) {
  const acks = acksOf(job);
  if (flavourOf(job) === 'confluent') return { producer: client(kafkajs, job).producer({ kafkaJS: { allowAutoTopicCreation: false, acks } }), acks: undefined };
  return { producer: client(kafkajs, job).producer({ allowAutoTopicCreation: false }), acks };
}

/** librdkafka's acks in kafkajs's words: 'all' is -1. */
function acksOf(job) {
  const acks = job.producerConfig.acks ?? '1';
  return acks === 'all' ? -1 : Number(acks);
}

async function produce(kafkajs, job) {
  const { producer, acks } = newProducer(kafkajs, job);
  await producer.connect();
  const payload = payloadOf(job.messageSize);
  const perSend = Math.max(1, Math.min(MESSAGES_PER_SEND, Math.floor(BYTES_PER_SEND / job.messageSize)));
  const progress = new Progress(job.count);
  let delivered = 0;
  let failed = 0;
  let inFlight = 0;
  let firstError;
  let wake = () => {};
  const started = performance.now();
  for (let sent = 0; sent < job.count; ) {
    while (inFlight >= SENDS_IN_FLIGHT) await new Promise((resolve) => (wake = resolve));
    if (firstError) throw firstError;
    const n = Math.min(perSend, job.count - sent);
    const messages = new Array(n).fill({ value: payload, partition: job.partition });
    inFlight++;
    producer
      .send({ topic: job.topic, acks, messages })
      .then(
        () => (delivered += n),
        (error) => {
          failed += n;
          firstError ??= error;
        },
      )
      .finally(() => {
        inFlight--;
        progress.update(delivered);
        wake();
      });
    sent += n;
  }
  while (inFlight > 0) await new Promise((resolve) => (wake = resolve));
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  if (firstError && delivered === 0) throw firstError;
  return throughput(delivered, failed, job.messageSize, seconds, `send() of ${perSend}, ${SENDS_IN_FLIGHT} in flight`);
}

function newConsumer(kafkajs, job) {
  return client(kafkajs, job).consumer({
    groupId: job.consumerConfig['group.id'],
    maxWaitTimeInMs: Number(job.consumerConfig['fetch.wait.max.ms'] ?? 500),
  });
}

async function consume(kafkajs, job) {
  const consumer = newConsumer(kafkajs, job);
  await consumer.connect();
  await consumer.subscribe({ topic: job.topic, fromBeginning: true });
  const progress = new Progress(job.count);
  let received = 0;
  let started = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (received === 0) started = performance.now();
      received += batch.messages.length;
      progress.update(received);
      if (received >= job.count) done();
    },
  });
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await consumer.disconnect();
  return throughput(received, 0, job.messageSize, seconds, 'eachBatch; clock from the first batch');
}

async function latency(kafkajs, job) {
  const consumer = newConsumer(kafkajs, job);
  const producer = client(kafkajs, job).producer({ allowAutoTopicCreation: false });
  await Promise.all([consumer.connect(), producer.connect()]);
  await consumer.subscribe({ topic: job.topic, fromBeginning: true });
  const acks = acksOf(job);
  const histogram = new LatencyHistogram();
  const progress = new Progress(job.count);
  let received = 0;
  let warmedUp = false;
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = wallClockMicros();
      for (const message of batch.messages) {
        const sentAt = latencySentMicros(message.value);
        if (sentAt === undefined) {
          warmedUp = true;
          continue;
        }
        histogram.record(now - sentAt);
        received++;
      }
      progress.update(received);
    },
  });
  let warmup = 0;
  const warmupDeadline = Date.now() + 60_000;
  while (!warmedUp) {
    if (Date.now() > warmupDeadline) throw new Error('the consumer received no warm-up message within 60 s');
    await producer.send({ topic: job.topic, acks, messages: [{ value: 'WARMUP', partition: job.partition }] });
    warmup++;
    await sleep(200);
  }
  // Each 1 ms tick sends what is due by now in one send() (kafkajs's batch), not awaited.
  const started = performance.now();
  let failure;
  for (let sent = 0; sent < job.count; ) {
    const due = Math.min(job.count, Math.floor(((performance.now() - started) / 1000) * job.rate));
    if (due > sent) {
      const messages = [];
      for (; sent < due; sent++) messages.push({ value: latencyPayload(job.messageSize), partition: job.partition });
      producer.send({ topic: job.topic, acks, messages }).catch((error) => (failure ??= error));
    }
    if (failure) throw failure;
    await sleep(1);
  }
  const deadline = Date.now() + 30_000;
  while (received < job.count && Date.now() < deadline) await sleep(10);
  if (received < job.count) throw new Error(`received ${received} of ${job.count} messages within 30 s of the last send`);
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  await consumer.disconnect();
  return { ...throughput(received, 0, job.messageSize, seconds, `${job.rate} msgs/s; one send() per 1 ms tick; eachBatch`), latency: histogram.summary(), warmupMessages: warmup };
}

runDriver(async (job) => {
  const kafkajs = load(job);
  if (job.kind === 'produce') return produce(kafkajs, job);
  if (job.kind === 'consume') return consume(kafkajs, job);
  return latency(kafkajs, job);
});
