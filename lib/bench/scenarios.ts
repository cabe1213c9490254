// The scenarios: what is measured, with which settings, by which drivers. Every driver of a
// scenario gets the same librdkafka properties (or their closest equivalent for Java and
// kafkajs), the same message size and count, and a fresh topic of its own.
import { DEFAULTS } from '../proxy/config';
import type { JobKind } from './job';

export interface Scenario {
  id: string;
  title: string;
  kind: JobKind;
  messageSize: number;
  count: number;
  acks: '1' | 'all';
  /** Partitions of each topic. */
  partitions: number;
  /** produce: the partition written (-1: the partitioner picks). */
  partition: number;
  /** Messages per call for batch APIs. */
  batchSize: number;
  /** latency: messages per second. */
  rate: number;
  /** Sample each driver's RSS while it runs (memory scenarios). */
  sampleRss: boolean;
  /** Driver ids, in table order; the C driver first as the reference. */
  drivers: string[];
  /** librdkafka properties for this scenario's producers / consumers (plus the fresh group.id). */
  producerConfig: { [key: string]: string };
  consumerConfig: { [key: string]: string };
  /** Not part of the default run. */
  optional?: boolean;
  /** Run over the secured broker's SASL_SSL listener (SCRAM-SHA-512); needs --kafka. */
  security?: 'sasl_ssl';
  /**
   * Records per transaction for the transactional drivers (the others produce the same records
   * without transactions). Counted as a read_committed reader sees the topic, not by end offsets.
   */
  transactionSize?: number;
}

/** The reference driver every ratio is taken against. */
export const REFERENCE_DRIVER = 'rdkafka_performance';

const PRODUCE_DRIVERS = [
  REFERENCE_DRIVER,
  'rdkafka_performance-zerocopy',
  'napi-capi-batch',
  'napi-batch',
  'napi-send-batch',
  'napi-capi',
  'napi-produce',
  'napi-send',
  'node-rdkafka',
  'confluent-kafka-javascript',
  'confluent-kafka-javascript-bundled',
  'kafkajs',
  'napi-kafkajs',
  'confluent-kafkajs-api',
  'java',
  'kcat',
];
const CONSUME_DRIVERS = [REFERENCE_DRIVER, 'napi-capi-batch', 'napi-batch', 'napi-capi', 'napi-produce', 'node-rdkafka', 'confluent-kafka-javascript', 'confluent-kafka-javascript-bundled', 'kafkajs', 'napi-kafkajs', 'confluent-kafkajs-api', 'java', 'kcat'];
const LATENCY_DRIVERS = [REFERENCE_DRIVER, 'napi-batch', 'napi-capi-batch', 'node-rdkafka', 'confluent-kafka-javascript', 'confluent-kafka-javascript-bundled', 'kafkajs', 'napi-kafkajs', 'confluent-kafkajs-api'];
const MEMORY_DRIVERS = [REFERENCE_DRIVER, 'rdkafka_performance-zerocopy', 'napi-capi-batch', 'napi-batch', 'napi-produce'];

/** Producer properties shared by every scenario: linger and batching as a throughput setup. */
function producerConfig(acks: string, extra: { [key: string]: string } = {}): { [key: string]: string } {
  return {
    acks,
    'linger.ms': '5',
    'batch.num.messages': '10000',
    'queue.buffering.max.messages': '1000000',
    'queue.buffering.max.kbytes': '1048576',
    ...extra,
  };
}

/** Consumer properties shared by every scenario (rdkafka_performance's own queue setting). */
function consumerConfig(extra: { [key: string]: string } = {}): { [key: string]: string } {
  return { 'auto.offset.reset': 'earliest', 'queued.min.messages': '1000000', ...extra };
}

function produce(id: string, title: string, messageSize: number, count: number, acks: '1' | 'all'): Scenario {
  return {
    id,
    title,
    kind: 'produce',
    messageSize,
    count,
    acks,
    partitions: 1,
    partition: 0,
    batchSize: 10_000,
    rate: 0,
    sampleRss: false,
    drivers: PRODUCE_DRIVERS,
    producerConfig: producerConfig(acks),
    consumerConfig: consumerConfig(),
  };
}

/** Transactional produce next to plain produce with the same settings (acks=all, idempotence). */
const TRANSACTION_DRIVERS = [REFERENCE_DRIVER, 'c-txn', 'napi-batch', 'napi-txn-batch', 'napi-txn-send-batch', 'java', 'java-txn'];

function produceInTransactions(transactionSize: number): Scenario {
  const size = transactionSize.toLocaleString('en-US');
  return {
    ...produce(`produce-100B-txn-${transactionSize / 1000}k`, `Produce 100-byte messages in transactions of ${size} (acks=all; plain producers alongside)`, 100, 1_000_000, 'all'),
    drivers: TRANSACTION_DRIVERS,
    producerConfig: producerConfig('all', { 'enable.idempotence': 'true' }),
    transactionSize,
    // Not part of the default run: `--scenarios produce-100B-txn`.
    optional: true,
  };
}

/**
 * The largest record value (bytes) with which `records` binary-format records still fit in a
 * Confluent produce body of `maxBytes`: {"records":[{"value":"<base64>"},…]}.
 */
export function largestRecordValue(maxBytes: number, records: number): number {
  const overhead = '{"records":[]}'.length + (records - 1); // and the commas between records
  const base64 = Math.floor((maxBytes - overhead) / records) - '{"value":""}'.length;
  return Math.floor(base64 / 4) * 3;
}

/** The largest record value of the default limits. */
const LARGEST_VALUE = largestRecordValue(DEFAULTS.maxRequestBytes, DEFAULTS.maxRequestRecords);

/** The REST proxy's memory: 4 clients sending the largest requests the proxy accepts. */
function proxyMemory(id: string, title: string, messageSize: number): Scenario {
  return {
    id,
    title,
    kind: 'produce',
    messageSize,
    // 5 requests per client.
    count: 20 * DEFAULTS.maxRequestRecords,
    acks: 'all',
    partitions: 8,
    partition: -1,
    batchSize: DEFAULTS.maxRequestRecords,
    rate: 0,
    sampleRss: false,
    drivers: ['proxy-confluent-memory'],
    // The proxy's own producer settings (librdkafka's defaults: acks=all, a 1 GB queue).
    producerConfig: { acks: 'all' },
    consumerConfig: consumerConfig(),
    optional: true,
  };
}

/** The drivers of the TLS scenarios: the C reference and this binding's main APIs. */
const TLS_DRIVERS = [REFERENCE_DRIVER, 'napi-batch', 'napi-send', 'napi-capi-batch'];

/**
 * A scenario for the TLS comparison (`--kafka --scenarios tls`): over the secured broker's
 * SASL_SSL listener (SCRAM-SHA-512), or its plaintext listener, with the same drivers.
 */
function tls(scenario: Scenario, security: 'sasl_ssl' | 'plaintext'): Scenario {
  const overTls = security === 'sasl_ssl';
  return {
    ...scenario,
    id: `tls-${scenario.id}-${overTls ? 'sasl-ssl' : 'plaintext'}`,
    title: `${scenario.title}, ${overTls ? 'over SASL_SSL (SCRAM-SHA-512)' : 'plaintext'} (secured broker)`,
    drivers: TLS_DRIVERS,
    optional: true,
    ...(overTls ? { security } : {}),
  };
}

const CONSUME_100B: Scenario = {
  id: 'consume-100B',
  title: 'Consume 100-byte messages (group consumer, pre-filled topic)',
  kind: 'consume',
  messageSize: 100,
  count: 2_000_000,
  acks: '1',
  // The embedded broker keeps ~5 MB per partition: spread the topic so that all of it stays.
  partitions: 64,
  partition: -1,
  batchSize: 10_000,
  rate: 0,
  sampleRss: false,
  drivers: CONSUME_DRIVERS,
  producerConfig: producerConfig('1'),
  consumerConfig: consumerConfig(),
};

const PRODUCE_100B = produce('produce-100B-acks1', 'Produce 100-byte messages, acks=1', 100, 2_000_000, '1');

export const SCENARIOS: Scenario[] = [
  PRODUCE_100B,
  produce('produce-100B-acksall', 'Produce 100-byte messages, acks=all', 100, 2_000_000, 'all'),
  produce('produce-1KiB-acks1', 'Produce 1 KiB messages, acks=1', 1024, 500_000, '1'),
  produce('produce-10KiB-acks1', 'Produce 10 KiB messages, acks=1', 10_240, 50_000, '1'),
  produceInTransactions(1_000),
  produceInTransactions(10_000),
  CONSUME_100B,
  {
    id: 'latency-100B-10k',
    title: 'End-to-end latency at 10,000 msgs/s, 100-byte messages (produce call to consumer receipt)',
    kind: 'latency',
    messageSize: 100,
    count: 100_000,
    acks: '1',
    partitions: 1,
    partition: 0,
    batchSize: 10_000,
    rate: 10_000,
    sampleRss: false,
    drivers: LATENCY_DRIVERS,
    // Latency, not throughput: send at once, and fetch without waiting long on the broker.
    producerConfig: producerConfig('1', { 'linger.ms': '1' }),
    consumerConfig: consumerConfig({ 'fetch.wait.max.ms': '5' }),
  },
  {
    id: 'memory-20M',
    title: 'Memory over 20M produced 100-byte messages (RSS sampled while producing)',
    kind: 'produce',
    messageSize: 100,
    count: 20_000_000,
    acks: '1',
    partitions: 1,
    partition: 0,
    batchSize: 10_000,
    rate: 0,
    sampleRss: true,
    drivers: MEMORY_DRIVERS,
    // A queue of 100,000 messages (not the throughput scenarios' million): it fills within the
    // first seconds, so RSS reaches its steady state early and later growth means a leak, not a
    // fuller queue (a producer faster than the broker keeps it full; one just as fast fills it slowly).
    producerConfig: producerConfig('1', { 'queue.buffering.max.messages': '100000' }),
    consumerConfig: consumerConfig(),
  },
  // The REST proxy (lib/proxy) in a process of its own, driven over HTTP from another
  // (lib/bench/drivers/rest-proxy.ts). Not part of the default run: `--scenarios rest-proxy`.
  // The throughput scenarios' ids end in -c<N>: the driver opens N HTTP connections.
  {
    id: 'rest-proxy-confluent-100B-c16',
    title: 'REST proxy, Confluent API: 100 records of 100 B per request, 16 keep-alive connections',
    kind: 'produce',
    messageSize: 100,
    count: 2_000_000,
    acks: '1',
    partitions: 8,
    partition: -1,
    batchSize: 100,
    rate: 0,
    sampleRss: false,
    drivers: ['proxy-confluent'],
    producerConfig: producerConfig('1'),
    consumerConfig: consumerConfig(),
    optional: true,
  },
  {
    id: 'rest-proxy-confluent-100B-c64',
    title: 'REST proxy, Confluent API: 100 records of 100 B per request, 64 keep-alive connections',
    kind: 'produce',
    messageSize: 100,
    count: 2_000_000,
    acks: '1',
    partitions: 8,
    partition: -1,
    batchSize: 100,
    rate: 0,
    sampleRss: false,
    drivers: ['proxy-confluent'],
    producerConfig: producerConfig('1'),
    consumerConfig: consumerConfig(),
    optional: true,
  },
  {
    id: 'rest-proxy-confluent-latency-1k',
    title: 'REST proxy, Confluent API: request latency of single-record requests at 1,000 requests/s (open loop)',
    kind: 'latency',
    messageSize: 100,
    count: 15_000,
    acks: '1',
    partitions: 1,
    partition: 0,
    batchSize: 1,
    rate: 1_000,
    sampleRss: false,
    drivers: ['proxy-confluent'],
    producerConfig: producerConfig('1', { 'linger.ms': '1' }),
    consumerConfig: consumerConfig(),
    optional: true,
  },
  {
    id: 'rest-proxy-pixy-100B',
    title: 'REST proxy, Kafka-Pixy API: one 100-byte message per request, 64 concurrent clients',
    kind: 'produce',
    messageSize: 100,
    count: 300_000,
    acks: '1',
    partitions: 8,
    partition: -1,
    batchSize: 1,
    rate: 0,
    sampleRss: false,
    drivers: ['proxy-pixy', 'proxy-pixy-sync'],
    producerConfig: producerConfig('1'),
    consumerConfig: consumerConfig(),
    optional: true,
  },
  // Schema Registry formats next to raw bytes (`--scenarios avro`): client-side Avro serialization
  // in produceBatch(), and Avro produce through the REST proxy (its embedded registry).
  {
    id: 'avro-produce-batch-100B',
    title: 'Avro serialization in the client: produceBatch() of 100-byte records, raw bytes vs an Avro valueSerializer',
    kind: 'produce',
    messageSize: 100,
    count: 2_000_000,
    acks: '1',
    partitions: 1,
    partition: 0,
    batchSize: 1000,
    rate: 0,
    sampleRss: false,
    drivers: ['napi-batch', 'napi-batch-avro'],
    producerConfig: producerConfig('1'),
    consumerConfig: consumerConfig(),
    optional: true,
  },
  {
    id: 'avro-rest-proxy-100B-c16',
    title: 'Avro through the REST proxy: 100 records of 100 B per request, 16 keep-alive connections, binary vs Avro',
    kind: 'produce',
    messageSize: 100,
    count: 1_000_000,
    acks: '1',
    partitions: 8,
    partition: -1,
    batchSize: 100,
    rate: 0,
    sampleRss: false,
    drivers: ['proxy-confluent', 'proxy-confluent-avro'],
    producerConfig: producerConfig('1'),
    consumerConfig: consumerConfig(),
    optional: true,
  },
  proxyMemory('rest-proxy-memory-records', `REST proxy memory: 4 clients sending the most records per request (${DEFAULTS.maxRequestRecords.toLocaleString('en-US')} records of 100 B)`, 100),
  proxyMemory(
    'rest-proxy-memory-bytes',
    `REST proxy memory: 4 clients sending the largest body (${DEFAULTS.maxRequestRecords.toLocaleString('en-US')} records of ${LARGEST_VALUE.toLocaleString('en-US')} B: just under ${DEFAULTS.maxRequestBytes / 1024 / 1024} MiB)`,
    LARGEST_VALUE,
  ),
  // The cost of TLS: the same drivers over one secured broker's plaintext and SASL_SSL listeners.
  tls(PRODUCE_100B, 'plaintext'),
  tls(PRODUCE_100B, 'sasl_ssl'),
  tls(CONSUME_100B, 'plaintext'),
  tls(CONSUME_100B, 'sasl_ssl'),
];

export function findScenario(id: string): Scenario | undefined {
  return SCENARIOS.find((scenario) => scenario.id === id);
}
