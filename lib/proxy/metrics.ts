// The proxy's Prometheus metrics (prom-client), /health and /ready. The hot path costs a few
// additions per request (see RouteStats); librdkafka's statistics and the instance counts are
// read only when /metrics is scraped.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { DeliveryOutcome, Producer, ProducerRecord } from '../producer';
import type { Record } from '../record';
import type { NativeFrontStats } from './native-front';

type Payload = ProducerRecord['payload'];

const size = (value: Payload | undefined): number => (value === null || value === undefined ? 0 : typeof value === 'string' ? Buffer.byteLength(value) : value.length);

/** One broker of librdkafka's statistics JSON (the fields read here). */
interface BrokerStatistics {
  name: string;
  nodeid: number;
  state: string;
  txerrs: number;
  rxerrs: number;
  rtt?: { avg: number; p99: number };
}

export interface MetricsSources {
  /** The producer whose statistics are exported (the shared one; absent with per-user clients). */
  producer(): Producer | undefined;
  /** Open Confluent consumer instances and Kafka-Pixy consumers. */
  consumerInstances(): number;
  pixyConsumers(): number;
  /** Resolves when the cluster answers (a metadata request). */
  clusterReachable(): Promise<unknown>;
  /** Brings counts kept outside JavaScript up to date before a scrape (what the native front end handed out). */
  catchUp?(): void;
}

/** /health and /ready: a load balancer's checks, answered without credentials (they tell nothing about Kafka's data). */
export const isProbe = (req: FastifyRequest): boolean => req.method === 'GET' && (req.url === '/health' || req.url === '/ready');

/** The latency histogram's upper bounds, in seconds. */
export const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * One route's requests by status and its latency histogram (buckets not cumulative; the last is
 * +Inf), kept in plain numbers: prom-client's labelled counters hash their labels on every call,
 * which cost 7 µs per request here; these are turned into metrics only at a scrape.
 */
interface RouteStats {
  api: string;
  method: string;
  route: string;
  statuses: Map<number, number>;
  buckets: number[];
  sum: number;
  count: number;
}

type Sample = { value: number; labels: { [name: string]: string | number }; metricName?: string };

/** rest_proxy_requests_total{api, method, route, status}, read from the routes' stats. */
function requestsMetric(routes: Map<string, RouteStats>, refresh: () => void) {
  const name = 'rest_proxy_requests_total';
  const help = 'HTTP requests answered, by API, method, route and status';
  return {
    name,
    help,
    type: 'counter',
    aggregator: 'sum',
    get: async () => {
      refresh();
      const values: Sample[] = [];
      for (const r of routes.values()) for (const [status, count] of r.statuses) values.push({ value: count, labels: { api: r.api, method: r.method, route: r.route, status } });
      return { name, help, type: 'counter', aggregator: 'sum', values };
    },
    reset: () => routes.clear(),
  };
}

/** rest_proxy_request_duration_seconds{api, method, route}: a histogram, read from the routes' stats. */
function latencyMetric(routes: Map<string, RouteStats>, refresh: () => void) {
  const name = 'rest_proxy_request_duration_seconds';
  const help = 'Time from a request to its answer, by API, method and route';
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => {
      refresh();
      const values: Sample[] = [];
      for (const r of routes.values()) {
        const labels = { api: r.api, method: r.method, route: r.route };
        let cumulative = 0;
        r.buckets.forEach((n, i) => {
          cumulative += n;
          values.push({ metricName: `${name}_bucket`, value: cumulative, labels: { ...labels, le: i < BUCKETS.length ? BUCKETS[i] : '+Inf' } });
        });
        values.push({ metricName: `${name}_sum`, value: r.sum, labels }, { metricName: `${name}_count`, value: r.count, labels });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
    reset: () => routes.clear(),
  };
}

/** How long /ready waits for the cluster's answer before it says 503. */
const READY_TIMEOUT_MS = 2000;

export class ProxyMetrics {
  readonly registry = new Registry();
  readonly #routes = new Map<string, RouteStats>();
  readonly #recordsIn = new Counter({ name: 'rest_proxy_records_produced_total', help: 'Records the proxy produced to Kafka (delivered)', registers: [this.registry] });
  readonly #bytesIn = new Counter({ name: 'rest_proxy_produced_bytes_total', help: 'Key and value bytes of the records the proxy produced (delivered)', registers: [this.registry] });
  readonly #recordsOut = new Counter({ name: 'rest_proxy_records_consumed_total', help: 'Records returned to clients by consumer instances', registers: [this.registry] });
  readonly #bytesOut = new Counter({ name: 'rest_proxy_consumed_bytes_total', help: 'Key and value bytes of the records returned to clients', registers: [this.registry] });
  readonly #forwarded = new Counter({ name: 'rest_proxy_forwarded_requests_total', help: 'Requests forwarded to the peer proxy that owns their consumer instance', registers: [this.registry] });
  readonly #rateLimited = new Counter({ name: 'rest_proxy_rate_limited_total', help: 'Requests refused with 429 by the per-client rate limit', registers: [this.registry] });
  constructor(readonly sources: MetricsSources) {
    collectDefaultMetrics({ register: this.registry });
    const refresh = () => this.#refreshNative();
    this.registry.registerMetric(requestsMetric(this.#routes, refresh) as unknown as Metric);
    this.registry.registerMetric(latencyMetric(this.#routes, refresh) as unknown as Metric);
    const registers = [this.registry];
    new Gauge({ name: 'rest_proxy_consumer_instances', help: 'Open Confluent API consumer instances', registers, collect: function () { this.set(sources.consumerInstances()); } });
    new Gauge({ name: 'rest_proxy_pixy_consumers', help: 'Open Kafka-Pixy (group, topic) consumers', registers, collect: function () { this.set(sources.pixyConsumers()); } });
    const statistics = () => sources.producer()?.statistics() as { msg_cnt?: number; brokers?: { [name: string]: BrokerStatistics } } | undefined;
    new Gauge({ name: 'rdkafka_producer_queue_messages', help: "Messages in the producer's queues (librdkafka msg_cnt)", registers, collect: function () { const s = statistics(); if (s?.msg_cnt !== undefined) this.set(s.msg_cnt); } });
    const perBroker = (name: string, help: string, read: (b: BrokerStatistics) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['broker'] as const,
        registers,
        collect: function () {
          this.reset();
          for (const b of Object.values(statistics()?.brokers ?? {})) {
            const value = read(b);
            if (b.nodeid >= 0 && value !== undefined) this.set({ broker: b.name }, value);
          }
        },
      });
    // librdkafka gives round-trip times in microseconds.
    perBroker('rdkafka_broker_rtt_avg_seconds', 'Average broker round-trip time (librdkafka rtt.avg)', (b) => (b.rtt === undefined ? undefined : b.rtt.avg / 1e6));
    perBroker('rdkafka_broker_rtt_p99_seconds', '99th percentile broker round-trip time (librdkafka rtt.p99)', (b) => (b.rtt === undefined ? undefined : b.rtt.p99 / 1e6));
    perBroker('rdkafka_broker_tx_errors', 'Transmission errors so far (librdkafka txerrs)', (b) => b.txerrs);
    perBroker('rdkafka_broker_rx_errors', 'Receive errors so far (librdkafka rxerrs)', (b) => b.rxerrs);
    perBroker('rdkafka_broker_up', '1 when the connection to the broker is up (librdkafka state UP)', (b) => (b.state === 'UP' ? 1 : 0));
  }

  /** Counts requests of `app` as `api`, and serves /metrics, /health and /ready on it. */
  install(app: FastifyInstance, api: 'confluent' | 'pixy'): void {
    app.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const route = req.routeOptions.url ?? 'unmatched';
      const key = `${api} ${req.method} ${route}`;
      let stats = this.#routes.get(key);
      // Routes are a fixed set and unmatched paths share one entry, so this stays small.
      if (stats === undefined) this.#routes.set(key, (stats = { api, method: req.method, route, statuses: new Map(), buckets: new Array<number>(BUCKETS.length + 1).fill(0), sum: 0, count: 0 }));
      stats.statuses.set(reply.statusCode, (stats.statuses.get(reply.statusCode) ?? 0) + 1);
      const seconds = reply.elapsedTime / 1000;
      let bucket = 0;
      while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]) bucket++;
      stats.buckets[bucket]++;
      stats.sum += seconds;
      stats.count++;
      done();
    });
    app.get('/metrics', async (_req, reply) => {
      this.sources.catchUp?.();
      return reply.code(200).type(this.registry.contentType).send(await this.registry.metrics());
    });
    app.get('/health', async (_req, reply) => reply.code(200).type('application/json').send({ status: 'UP' }));
    app.get('/ready', async (_req, reply) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([this.sources.clusterReachable(), new Promise((_resolve, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS)))]);
        return reply.code(200).type('application/json').send({ status: 'READY' });
      } catch (error) {
        return reply.code(503).type('application/json').send({ status: 'NOT_READY', message: `The Kafka cluster does not answer: ${(error as Error).message}` });
      } finally {
        clearTimeout(timer);
      }
    });
  }

  /** Counts what the native front end answered and produced as `api` requests (read at a scrape). */
  addNative(api: 'pixy' | 'confluent', read: () => NativeFrontStats): void {
    this.#native.push({ api, read, seen: { routes: [], produced: 0, producedBytes: 0, handedOff: 0 } });
  }

  readonly #native: Array<{ api: string; read: () => NativeFrontStats; seen: NativeFrontStats }> = [];

  /** Adds what the native front ends counted since the last scrape to the routes' stats. */
  #refreshNative(): void {
    for (const source of this.#native) {
      const now = source.read();
      now.routes.forEach((r, i) => {
        const before = source.seen.routes[i];
        const key = `${source.api} ${r.method} ${r.route}`;
        let stats = this.#routes.get(key);
        if (stats === undefined) this.#routes.set(key, (stats = { api: source.api, method: r.method, route: r.route, statuses: new Map(), buckets: new Array<number>(BUCKETS.length + 1).fill(0), sum: 0, count: 0 }));
        for (const [status, count] of r.statuses) {
          const delta = count - (before?.statuses.find(([s]) => s === status)?.[1] ?? 0);
          stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + delta);
          stats.count += delta;
        }
        r.buckets.forEach((n, b) => (stats.buckets[b] += n - (before?.buckets[b] ?? 0)));
        stats.sum += r.sum - (before?.sum ?? 0);
      });
      if (now.produced > source.seen.produced) {
        this.#recordsIn.inc(now.produced - source.seen.produced);
        this.#bytesIn.inc(now.producedBytes - source.seen.producedBytes);
      }
      source.seen = now;
    }
  }

  produced(records: ReadonlyArray<ProducerRecord>, outcomes: ReadonlyArray<DeliveryOutcome>): void {
    let count = 0;
    let bytes = 0;
    outcomes.forEach((o, i) => {
      if (o.error !== undefined) return;
      count++;
      bytes += size(records[i].key) + size(records[i].payload);
    });
    if (count > 0) {
      this.#recordsIn.inc(count);
      this.#bytesIn.inc(bytes);
    }
  }

  /** `produced` for one record that was delivered (no arrays for the common single send). */
  producedOne(record: ProducerRecord): void {
    this.#recordsIn.inc(1);
    this.#bytesIn.inc(size(record.key) + size(record.payload));
  }

  consumed(records: ReadonlyArray<Record>): void {
    if (records.length === 0) return;
    let bytes = 0;
    for (const r of records) bytes += (r.key?.length ?? 0) + (r.payload?.length ?? 0);
    this.#recordsOut.inc(records.length);
    this.#bytesOut.inc(bytes);
  }

  forwarded(): void {
    this.#forwarded.inc();
  }

  rateLimited(): void {
    this.#rateLimited.inc();
  }
}

/**
 * The producer the routes use, counting what it delivers. A wrapper, not a subclass: with
 * per-user clients the routes get a stand-in that finds each request's own producer.
 */
export function countingProducer(producer: Producer, metrics: ProxyMetrics): Producer {
  // The producer's own promise is handed back (a refusal librdkafka makes at once stays already
  // rejected: Kafka-Pixy's route tells it from an accepted send that way). Made once, not per call.
  const sendBatchSettled = (records: ProducerRecord[]) => {
    const outcomes = producer.sendBatchSettled(records);
    outcomes.then((settled) => metrics.produced(records, settled), () => undefined);
    return outcomes;
  };
  const send = (record: ProducerRecord) => {
    const result = producer.send(record);
    result.then(() => metrics.producedOne(record), () => undefined);
    return result;
  };
  return new Proxy(producer, {
    get(target, property) {
      if (property === 'sendBatchSettled') return sendBatchSettled;
      if (property === 'send') return send;
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
