// Benchmark driver for node-rdkafka and for @confluentinc/kafka-javascript (whose non-promise
// API is node-rdkafka's), each loaded from its folder under bench/peers/ (built against the
// system librdkafka; the -bundled one with the librdkafka copy in its package). Used the way their READMEs recommend for throughput: produce() per message
// with delivery reports from polling; the consumer's consume(n, cb) batches; flowing mode
// ('data' events) for latency. Usage: node bench/drivers/node-rdkafka.mjs '<job JSON>'
import { createRequire } from 'node:module';
import { emitSkipped, latencyPayload, latencySentMicros, payloadOf, Progress, runDriver, sleep, throughput, wallClockMicros } from '../../dist/bench/job.js';
import { LatencyHistogram } from '../../dist/bench/histogram.js';

const MODULES = {
  'node-rdkafka': 'node-rdkafka',
  'confluent-kafka-javascript': '@confluentinc/kafka-javascript',
  'confluent-kafka-javascript-bundled': '@confluentinc/kafka-javascript',
};

function load(job) {
  const require = createRequire(new URL(`../peers/${job.driver}/package.json`, import.meta.url));
  try {
    return require(MODULES[job.driver]);
  } catch (error) {
    emitSkipped(`${MODULES[job.driver]} does not load: ${error.message.split('\n')[0]}`);
  }
}

const QUEUE_FULL = -184;

function connect(client) {
  return new Promise((resolve, reject) => client.connect({ timeout: 30_000 }, (error) => (error ? reject(error) : resolve())));
}

function disconnect(client) {
  return new Promise((resolve) => client.disconnect(() => resolve()));
}

async function newProducer(Kafka, job) {
  const producer = new Kafka.Producer({ ...job.producerConfig, dr_cb: true });
  await connect(producer);
  return producer;
}

async function produce(Kafka, job) {
  const producer = await newProducer(Kafka, job);
  const payload = payloadOf(job.messageSize);
  const progress = new Progress(job.count);
  let delivered = 0;
  let failed = 0;
  producer.on('delivery-report', (error) => {
    if (error) failed++;
    else delivered++;
  });
  producer.setPollInterval(10);
  const started = performance.now();
  for (let sent = 0; sent < job.count; ) {
    try {
      producer.produce(job.topic, job.partition, payload, null, null);
      sent++;
      if (sent % 1000 === 0) {
        producer.poll();
        progress.update(delivered);
      }
    } catch (error) {
      if (error.code !== QUEUE_FULL) throw error;
      producer.poll();
      await sleep(1); // let delivery reports come in
    }
  }
  while (delivered + failed < job.count) {
    producer.poll();
    progress.update(delivered);
    await sleep(1);
  }
  const seconds = (performance.now() - started) / 1000;
  producer.setPollInterval(0);
  await disconnect(producer);
  return throughput(delivered, failed, job.messageSize, seconds, 'produce() + delivery-report events, poll every 10 ms');
}

async function newConsumer(Kafka, job) {
  const { 'auto.offset.reset': reset, ...global } = job.consumerConfig;
  const consumer = new Kafka.KafkaConsumer(global, { 'auto.offset.reset': reset ?? 'earliest' });
  await connect(consumer);
  consumer.subscribe([job.topic]);
  return consumer;
}

function consumeSome(consumer, max) {
  return new Promise((resolve, reject) => consumer.consume(max, (error, messages) => (error ? reject(error) : resolve(messages))));
}

async function consume(Kafka, job) {
  const consumer = await newConsumer(Kafka, job);
  const progress = new Progress(job.count);
  consumer.setDefaultConsumeTimeout(1000);
  // The clock starts at the first message, as in rdkafka_performance: wait for one alone.
  let received = 0;
  while (received === 0) received = (await consumeSome(consumer, 1)).length;
  const started = performance.now();
  while (received < job.count) {
    received += (await consumeSome(consumer, Math.min(job.batchSize, job.count - received))).length;
    progress.update(received);
  }
  const seconds = (performance.now() - started) / 1000;
  await disconnect(consumer);
  return throughput(received, 0, job.messageSize, seconds, `consume(${job.batchSize}, cb)`);
}

async function latency(Kafka, job) {
  const consumer = await newConsumer(Kafka, job);
  const producer = await newProducer(Kafka, job);
  producer.setPollInterval(10);
  const histogram = new LatencyHistogram();
  const progress = new Progress(job.count);
  let received = 0;
  let warmedUp = false;
  consumer.on('data', (message) => {
    const sentAt = latencySentMicros(message.value);
    if (sentAt === undefined) {
      warmedUp = true;
      return;
    }
    histogram.record(wallClockMicros() - sentAt);
    received++;
    progress.update(received);
  });
  consumer.consume(); // flowing mode
  let warmup = 0;
  const warmupDeadline = Date.now() + 60_000;
  while (!warmedUp) {
    if (Date.now() > warmupDeadline) throw new Error('the consumer received no warm-up message within 60 s');
    producer.produce(job.topic, job.partition, Buffer.from('WARMUP'), null, null);
    warmup++;
    await sleep(200);
  }
  const started = performance.now();
  for (let sent = 0; sent < job.count; ) {
    const due = Math.min(job.count, Math.floor(((performance.now() - started) / 1000) * job.rate));
    for (; sent < due; sent++) producer.produce(job.topic, job.partition, latencyPayload(job.messageSize), null, null);
    await sleep(1);
  }
  const deadline = Date.now() + 30_000;
  while (received < job.count && Date.now() < deadline) await sleep(10);
  if (received < job.count) throw new Error(`received ${received} of ${job.count} messages within 30 s of the last send`);
  const seconds = (performance.now() - started) / 1000;
  producer.setPollInterval(0);
  await disconnect(producer);
  await disconnect(consumer);
  return { ...throughput(received, 0, job.messageSize, seconds, `${job.rate} msgs/s; flowing consumer ('data' events)`), latency: histogram.summary(), warmupMessages: warmup };
}

runDriver(async (job) => {
  const Kafka = load(job);
  const run = job.kind === 'produce' ? produce : job.kind === 'consume' ? consume : latency;
  const result = await run(Kafka, job);
  // Which librdkafka it ran on: the system's, or the copy a package brought.
  return { ...result, note: `${result.note}; librdkafka ${Kafka.librdkafkaVersion}` };
});
