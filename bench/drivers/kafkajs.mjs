// Benchmark driver for one kafkajs program, run on the module the job names (`job.module`, loaded
// from bench/peers/<job.peer>/): kafkajs itself (pure JavaScript, the default),
// @confluentinc/kafka-javascript's KafkaJS API, or rdkafka-napi/kafkajs. Producing: kafkajs has
// no linger, so a batch is what one send() carries: 1,000 messages per send (fewer for large
// messages: a send must fit the broker's 1 MB limit) with up to 8 sends in flight. Consuming:
// eachBatch. Only where each module wants its configuration differs (FLAVOURS); the program is
// the same. Usage: node bench/drivers/kafkajs.mjs '<job JSON>'
import { createRequire } from 'node:module';
import { emitSkipped, latencyPayload, latencySentMicros, payloadOf, Progress, runDriver, sleep, throughput, wallClockMicros } from '../../dist/bench/job.js';
import { LatencyHistogram } from '../../dist/bench/histogram.js';

const MESSAGES_PER_SEND = 1000;
/** A send() is one record batch per partition: keep it under the broker's 1 MB message.max.bytes. */
const BYTES_PER_SEND = 900 * 1024;
const SENDS_IN_FLIGHT = 8;

/**
 * How each module takes the same program's settings. kafkajs and rdkafka-napi/kafkajs take
 * kafkajs's shape; @confluentinc/kafka-javascript wants them in a `kafkaJS` block, acks in the
 * producer's config (not in send()) and fromBeginning in the consumer's (not in subscribe()).
 */
const KAFKAJS_SHAPE = {
  api: (module) => module,
  kafka: (config) => config,
  producer: (config) => config,
  send: (request, acks) => ({ ...request, acks }),
  consumer: (config) => config,
  subscribe: (subscription) => ({ ...subscription, fromBeginning: true }),
};
const FLAVOURS = {
  kafkajs: KAFKAJS_SHAPE,
  'rdkafka-napi/kafkajs': KAFKAJS_SHAPE,
  '@confluentinc/kafka-javascript': {
    api: (module) => module.KafkaJS,
    kafka: (config) => ({ kafkaJS: config }),
    producer: (config, acks) => ({ kafkaJS: { ...config, acks } }),
    send: (request) => request,
    consumer: (config) => ({ kafkaJS: { ...config, fromBeginning: true } }),
    subscribe: (subscription) => subscription,
  },
};

/** The module's kafkajs API and its flavour, or a skip saying why it does not load. */
function load(job) {
  const name = job.module ?? 'kafkajs';
  const flavour = FLAVOURS[name];
  if (flavour === undefined) throw new Error(`unknown kafkajs-compatible module ${name}: one of ${Object.keys(FLAVOURS).join(', ')}`);
  // Our facade from this checkout's build; the peers from their own folders.
  const require = createRequire(name === 'rdkafka-napi/kafkajs' ? import.meta.url : new URL(`../peers/${job.peer ?? 'kafkajs'}/package.json`, import.meta.url));
  try {
    const api = flavour.api(require(name === 'rdkafka-napi/kafkajs' ? '../../dist/kafkajs/index.js' : name));
    return { ...api, flavour };
  } catch (error) {
    emitSkipped(`${name} does not load: ${error.message.split('\n')[0]}`);
  }
}

function client(kafkajs, job) {
  return new kafkajs.Kafka(
    kafkajs.flavour.kafka({
      clientId: `bench-${job.driver}`,
      brokers: job.bootstrapServers.split(','),
      logLevel: kafkajs.logLevel.NOTHING,
    }),
  );
}

function newProducer(kafkajs, job) {
  return client(kafkajs, job).producer(kafkajs.flavour.producer({ allowAutoTopicCreation: false }, acksOf(job)));
}

/** One send() of the program, in the module's shape. */
function send(kafkajs, producer, job, messages) {
  return producer.send(kafkajs.flavour.send({ topic: job.topic, messages }, acksOf(job)));
}

/** librdkafka's acks in kafkajs's words: 'all' is -1. */
function acksOf(job) {
  const acks = job.producerConfig.acks ?? '1';
  return acks === 'all' ? -1 : Number(acks);
}

async function produce(kafkajs, job) {
  const producer = newProducer(kafkajs, job);
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
    send(kafkajs, producer, job, messages)
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
  return client(kafkajs, job).consumer(
    kafkajs.flavour.consumer({
      groupId: job.consumerConfig['group.id'],
      maxWaitTimeInMs: Number(job.consumerConfig['fetch.wait.max.ms'] ?? 500),
    }),
  );
}

async function consume(kafkajs, job) {
  const consumer = newConsumer(kafkajs, job);
  await consumer.connect();
  await consumer.subscribe(kafkajs.flavour.subscribe({ topic: job.topic }));
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
  const producer = newProducer(kafkajs, job);
  await Promise.all([consumer.connect(), producer.connect()]);
  await consumer.subscribe(kafkajs.flavour.subscribe({ topic: job.topic }));
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
    await send(kafkajs, producer, job, [{ value: 'WARMUP', partition: job.partition }]);
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
      send(kafkajs, producer, job, messages).catch((error) => (failure ??= error));
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
