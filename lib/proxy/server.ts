// The REST proxy process: the Confluent-compatible API (and the Kafka-Pixy API) over one shared
// Producer, consumer instances made of core Consumers, and an Admin for metadata.
import { readFileSync } from 'node:fs';
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import { finished, type Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { getDefaultLogger, log, type Logger } from '../logger';
import { MockCluster } from '../mock-cluster';
import { Producer } from '../producer';
import { DEFAULTS, type ProxyConfig } from './config';
import { AdminClusterView } from './cluster-view';
import { registerConfluentRoutes } from './confluent';
import { ConsumerInstances } from './consumer-instances';
import { limitJsonValues } from './json-values';
import { registerPixyRoutes, type PixyClusterView } from './pixy';
import { PixyGroups } from './pixy-groups';
import { PeerRouter, peerUrl } from './peers';
import { BUCKETS, countingProducer, isProbe, ProxyMetrics } from './metrics';
import { clientOf, installRateLimit, rateLimiter, usersChecked } from './limits';
import { UserPool } from './credentials';
import { ProxySchemas } from './schema-formats';
import { registryClient, registryUrls, startEmbeddedRegistry } from '../schema';
import { RestError } from './rest-error';
import { confluentNativeFrontUnfit, nativeFrontUnfit, startNativeFront, type NativeFront } from './native-front';
import type { Record } from '../record';

export interface RunningProxy {
  /** The Confluent API's base URL. */
  url: string;
  /** The Kafka-Pixy API's base URL (TCP), when it listens. */
  pixyUrl?: string;
  /** The Kafka-Pixy API's Unix socket, when configured. */
  pixySocket?: string;
  /** The Kafka-Pixy TCP listener's native front end, when it serves (pixy.native.front.end). */
  nativeFront?: NativeFront;
  /** The Confluent listener's native front end, when it serves (confluent.native.front.end). */
  confluentNativeFront?: NativeFront;
  config: ProxyConfig;
  bootstrapServers: string;
  confluent: FastifyInstance;
  producer: Producer;
  /** The Schema Registry behind the schema formats: schema.registry.url's first URL, or the embedded one's. */
  schemaRegistryUrl?: string;
  /** Flushes the producer, closes every consumer instance (leaving its group), stops listening. */
  close(): Promise<void>;
}

/** Cluster metadata for the routes (normally the Admin-backed view). */
export type ClusterViewFactory = (bootstrapServers: string, config: ProxyConfig, mock?: MockCluster, logger?: Logger) => PixyClusterView & { close(): Promise<void> };

export const adminClusterView: ClusterViewFactory = (bootstrapServers, config, mock, logger) => new AdminClusterView(bootstrapServers, config.client, mock, logger);

function listenAddress(listener: string): { host: string; port: number; https: boolean } {
  const url = new URL(listener);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)), https: url.protocol === 'https:' };
}

/** The embedded registry's default listener: the Schema Registry's usual port 8081 beside the Confluent listener, or a free one beside a free one. */
function embeddedRegistryListener(listener: string): string {
  const url = new URL(listener);
  return `http://${url.hostname}:${url.port === '0' ? 0 : 8081}`;
}

/** Kafka-Pixy routes whose body is parsed as JSON (POST …/offsets); a message body is not. */
const parsesJson = (req: FastifyRequest) => req.routeOptions.url?.endsWith('/offsets') === true;

/** The body of an error answer in an API's own shape. */
export type ErrorBody = (status: number, message: string) => object;

const confluentErrorBody: ErrorBody = (status, message) => ({ error_code: status, message });
const pixyErrorBody: ErrorBody = (_status, message) => ({ error: message });

/** What Node reports on a connection before a request reaches Fastify, as status and message. */
function clientError(error: Error & { code?: string; reason?: string }, config: ProxyConfig): [number, string] {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return [408, `The request did not arrive in time: its headers must arrive within http.headers.timeout.ms (${config.httpHeadersTimeoutMs} ms), all of it within http.request.timeout.ms (${config.httpRequestTimeoutMs} ms)`];
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') return [431, `The request's headers are larger than ${maxHeaderSize} bytes`];
  return [400, `Malformed HTTP request: ${error.reason ?? error.code ?? error.message}`];
}

/**
 * The longest path segment routed: a legal topic name is 249 characters, 747 if a client
 * percent-encodes every one; a longer segment is refused with 414 before any route runs.
 */
const MAX_PARAM_LENGTH = 1024;

/** A Fastify app with what both APIs share: body limit, timeouts, connection cap, TLS and basic auth. */
export function createApp(config: ProxyConfig, https: boolean, errorBody: ErrorBody = confluentErrorBody): FastifyInstance {
  // Node answers 408 and closes a connection past its headers or request deadline (a slow client
  // holds a socket and a parser); it checks every second instead of its default 30 s.
  const timeouts = { headersTimeout: config.httpHeadersTimeoutMs, requestTimeout: config.httpRequestTimeoutMs, connectionsCheckingInterval: 1000 };
  const app = Fastify({
    bodyLimit: config.maxRequestBytes,
    // A legal topic name of any length must route (Fastify's default is 100 characters); a name
    // too long for Kafka but within this limit gets the route's 4xx naming Kafka's limit.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    requestTimeout: config.httpRequestTimeoutMs,
    keepAliveTimeout: config.httpKeepAliveTimeoutMs,
    http: timeouts,
    https: https
      ? {
          key: readFileSync(config.sslKeyLocation ?? ''),
          cert: readFileSync(config.sslCertificateLocation ?? ''),
          // mTLS: a client without a certificate from ssl.ca.location is refused in the handshake.
          ...(config.sslCaLocation === undefined ? {} : { ca: readFileSync(config.sslCaLocation), requestCert: config.sslClientAuth, rejectUnauthorized: config.sslClientAuth }),
          ...timeouts,
        }
      : null,
    // What the router refuses (a path segment too long, bad percent-encoding), in the API's shape.
    frameworkErrors: (error: Error & { code?: string }, req: FastifyRequest, reply: FastifyReply) => {
      const [status, message] =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? [414, `A path segment of ${req.url.slice(0, 60)}… is longer than ${MAX_PARAM_LENGTH} characters`]
          : [400, `Invalid URL ${JSON.stringify(req.url.slice(0, 200))}: ${error.message}`];
      void reply.code(status).type('application/json').send(errorBody(status, message));
    },
    // Answers what Node refuses before routing (timeouts, malformed HTTP) in the API's shape, then closes.
    clientErrorHandler: (error: Error & { code?: string }, socket: Duplex) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const [status, message] = clientError(error, config);
      const body = JSON.stringify(errorBody(status, message));
      if (socket.writable) {
        socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      }
      socket.destroy();
    },
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;
  // Connections past the cap are closed as soon as they are accepted.
  app.server.maxConnections = config.httpMaxConnections;
  // A body declared larger than the limit is read and dropped before the 413 (within
  // http.request.timeout.ms): a connection closed while its client still sends is reset, and the
  // client loses the answer (15 of 40 clients did).
  app.addHook('preParsing', (req, _reply, payload, done) => {
    if (req.method === 'GET' || req.method === 'HEAD' || !(Number(req.headers['content-length']) > config.maxRequestBytes)) return done(null, payload);
    finished(payload.resume(), (error) => done(error ?? null, payload));
  });

  if (config.basicAuthUsers.length > 0) {
    const allowed = new Set(config.basicAuthUsers.map((u) => `Basic ${Buffer.from(u).toString('base64')}`));
    app.addHook('onRequest', async (req, reply) => {
      if (!allowed.has(req.headers.authorization ?? '') && !isProbe(req)) {
        reply.header('www-authenticate', 'Basic realm="rdkafka-napi"');
        throw Object.assign(new RestError(401, 40101, 'Authentication required'), { statusCode: 401 });
      }
    });
  }

  return app;
}

/**
 * Starts the proxy. With no bootstrap servers configured, an embedded broker is started and
 * stopped with it. `logger` (pino fits) gets the proxy's own lines, its 5xx answers, and its
 * clients' librdkafka lines and errors.
 */
export async function startProxy(config: ProxyConfig = DEFAULTS, clusterView: ClusterViewFactory = adminClusterView, logger: Logger = getDefaultLogger()): Promise<RunningProxy> {
  // What has started so far, stopped again (newest first) when a later step fails: a property
  // librdkafka refuses, a port in use.
  const started: Array<() => unknown> = [];
  try {
    return await start(config, clusterView, started, logger);
  } catch (error) {
    for (const stop of started.reverse()) await Promise.resolve().then(stop).catch(() => undefined);
    throw error;
  }
}

async function start(config: ProxyConfig, clusterView: ClusterViewFactory, started: Array<() => unknown>, logger: Logger): Promise<RunningProxy> {
  let mock: MockCluster | undefined;
  let bootstrapServers = config.bootstrapServers;
  if (bootstrapServers === '') {
    const embedded = new MockCluster({ brokers: 1 });
    started.push(() => embedded.close());
    mock = embedded;
    bootstrapServers = embedded.bootstrapServers;
  }
  // Nagle's algorithm off (as the Java clients have it): every reply waits on a small Kafka
  // request, and Nagle would hold one back until the previous one is acknowledged.
  const client = { 'bootstrap.servers': bootstrapServers, 'socket.nagle.disable': true, ...config.client };
  // The embedded broker keeps a member that joins after another left (a consumer instance that
  // subscribes again, a Kafka-Pixy consumer started after an idle one closed) waiting a session
  // timeout less a second; Kafka's shortest session (6 s) keeps that at 5 s rather than 44.
  const consumerDefaults: { [key: string]: number } = mock === undefined ? {} : { 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 1000 };
  // The schema formats: the configured registry only, else an embedded one in memory.
  let schemas: ProxySchemas | undefined;
  let schemaRegistryUrl: string | undefined;
  let embeddedRegistry: { close(): Promise<void> } | undefined;
  if (config.schemaRegistryUrl !== undefined) {
    const registry = registryClient({
      url: config.schemaRegistryUrl,
      basicAuthUserInfo: config.schemaRegistryUserInfo,
      sslCaLocation: config.schemaRegistrySslCaLocation,
      sslCertificateLocation: config.schemaRegistrySslCertificateLocation,
      sslKeyLocation: config.schemaRegistrySslKeyLocation,
      cacheCapacity: 256,
    });
    schemaRegistryUrl = registryUrls(config.schemaRegistryUrl)[0];
    schemas = new ProxySchemas(registry, config.schemaRegistryUrl);
  } else if (config.schemaRegistryListeners !== '') {
    const listener = config.schemaRegistryListeners ?? embeddedRegistryListener(config.listeners);
    const registry = await startEmbeddedRegistry(listener).catch((error: Error & { code?: string }) => {
      if (error.code !== 'EADDRINUSE') throw error;
      throw new Error(`The embedded Schema Registry cannot listen on ${listener}: the port is in use (another registry?). Set schema.registry.url to use that registry, or schema.registry.listeners to another address ('' turns the schema formats off)`);
    });
    embeddedRegistry = registry;
    started.push(() => registry.close());
    schemaRegistryUrl = registry.url;
    schemas = new ProxySchemas(registryClient({ url: registry.url, cacheCapacity: 256 }), `the embedded registry at ${registry.url}`);
  }
  const address = listenAddress(config.listeners);
  const confluent = createApp(config, address.https);
  // What /metrics reads at a scrape; set as the clients below are made.
  const sources = { statistics: undefined as Producer | undefined, instances: () => 0, pixy: () => 0, catchUp: (): void => undefined, reachable: async (): Promise<unknown> => undefined };
  const metrics = new ProxyMetrics({
    producer: () => sources.statistics,
    consumerInstances: () => sources.instances(),
    pixyConsumers: () => sources.pixy(),
    clusterReachable: () => sources.reachable(),
    catchUp: () => sources.catchUp(),
  });
  metrics.install(confluent, 'confluent');
  // Behind a load balancer: requests for another proxy's consumer instances go to that proxy.
  let ownsInstance: (group: string, name: string) => boolean = () => false;
  const peers = config.peers.length === 0 ? undefined : new PeerRouter({ self: config.peerUrl ?? peerUrl(config.listeners), peers: config.peers, requestTimeoutMs: config.peerRequestTimeoutMs, owns: (g, n) => ownsInstance(g, n), logger, onForward: () => metrics.forwarded() });
  if (peers !== undefined) started.push(() => peers.close());
  const generateName = peers === undefined ? undefined : () => peers.generatedName();
  const onReturned = (records: Record[]) => metrics.consumed(records);
  let producer: Producer;
  let instances: ConsumerInstances;
  let cluster: PixyClusterView & { close(): Promise<void> };
  if (config.credentialsPassthrough) {
    // Each request acts as its user, with clients logged in to Kafka as that user (credentials.ts).
    if (config.pixyListeners !== '' || config.pixyUnixSocket !== undefined) {
      throw new Error('kafka.credentials.passthrough=true serves the Confluent API only: set pixy.listeners= (empty) and no pixy.unix.socket');
    }
    const users = new UserPool({ config, bootstrapServers, logger, schemaFormats: schemas !== undefined, generateName, onReturned });
    ownsInstance = (g, n) => users.hasInstance(g, n);
    sources.instances = () => users.instanceCount();
    started.push(() => users.closeAll());
    users.install(confluent);
    producer = countingProducer(users.producer(), metrics);
    instances = users.instances();
    cluster = users.cluster();
  } else {
    // murmur2_random places keyed records exactly as the Java clients do; records without a key
    // spread over partitions one by one (not stuck to one partition per burst).
    // Statistics every second feed /metrics (queue depth, round-trip times, errors).
    const shared = new Producer({ partitioner: 'murmur2_random', 'sticky.partitioning.linger.ms': 0, 'linger.ms': 2, 'statistics.interval.ms': 1000, ...client, ...config.producer }, { logger });
    started.push(() => shared.close());
    producer = countingProducer(shared, metrics);
    sources.statistics = shared;
    instances = new ConsumerInstances({
      schemaFormats: schemas !== undefined,
      logger,
      consumerConfig: { ...client, ...consumerDefaults, ...config.consumer },
      instanceTimeoutMs: config.consumerInstanceTimeoutMs,
      requestTimeoutMs: config.consumerRequestTimeoutMs,
      maxInstances: config.consumerMaxInstances,
      maxInstancesPerOwner: config.consumerMaxInstancesPerUser,
      generateName,
      onReturned,
    });
    const local = instances;
    ownsInstance = (g, n) => local.has(g, n);
    sources.instances = () => local.size;
    const view = clusterView(bootstrapServers, config, mock, logger);
    sources.reachable = () => view.brokers();
    started.push(() => view.close());
    cluster = view;
  }
  const limiter = rateLimiter(config);
  // After the auth checks (the user is known), before forwarding (a forwarded request is counted here too).
  installRateLimit(confluent, limiter, config, confluentErrorBody, () => metrics.rateLimited());
  peers?.install(confluent);
  const checked = usersChecked(config);
  const routes = { clientOf: (req: FastifyRequest) => clientOf(req, checked), producer, instances, cluster, advertisedUrl: '', maxRequestBytes: config.maxRequestBytes, maxRequestRecords: config.maxRequestRecords, maxRequestJsonValues: config.maxRequestJsonValues, logger, schemas };
  limitJsonValues(confluent, config.maxRequestJsonValues);
  const confluentRoutes = registerConfluentRoutes(confluent, routes);
  started.push(() => confluent.close());
  let stopping = false;
  const groups = new PixyGroups({ logger, consumerConfig: { ...client, ...consumerDefaults, ...config.consumer }, idleTimeoutMs: config.pixyIdleTimeoutMs, ackTimeoutMs: config.pixyAckTimeoutMs, maxConsumers: config.pixyMaxConsumers, cluster, onConsumed: onReturned });
  sources.pixy = () => groups.all().length;
  sources.catchUp = () => groups.catchUp();
  const pixyApps: FastifyInstance[] = [];
  let front: NativeFront | undefined;
  const messageMaxBytes = Number(config.producer['message.max.bytes'] ?? config.client['message.max.bytes'] ?? 1_000_000); // librdkafka's default
  const pixyOptions = { logger, producer, groups, cluster, clusterName: config.id, longPollTimeoutMs: config.pixyLongPollTimeoutMs, messageMaxBytes, stopping: () => stopping };
  // The produce routes served on the addon's front end where the listener needs nothing it does not do.
  let confluentFront: NativeFront | undefined;
  let port: number;
  if (confluentNativeFrontUnfit(config, address.https) === undefined) {
    const running = await startNativeFront(confluent, config, { host: address.host, port: address.port, producer, routes: 'confluent', confluent: confluentRoutes, clusterName: config.id, messageMaxBytes, autoCreate: false, buckets: BUCKETS, logger, consume: pixyOptions });
    confluentFront = running;
    metrics.addNative('confluent', () => running.stats());
    started.push(() => running.close());
    port = running.port;
  } else {
    await confluent.listen({ host: address.host, port: address.port });
    port = (confluent.server.address() as { port: number }).port;
  }
  const url = `${address.https ? 'https' : 'http'}://${address.host}:${port}`;
  // base_uri points at this process (a consumer instance lives where it was created).
  routes.advertisedUrl = (config.advertisedListeners ?? url).replace(/\/$/, '');

  // The Kafka-Pixy API: on TCP and/or a Unix socket, sharing the producer.
  let pixyUrl: string | undefined;
  if (config.pixyListeners !== '') {
    const pixyAddress = listenAddress(config.pixyListeners);
    const app = createApp(config, false, pixyErrorBody);
    metrics.install(app, 'pixy');
    installRateLimit(app, limiter, config, pixyErrorBody, () => metrics.rateLimited());
    limitJsonValues(app, config.maxRequestJsonValues, parsesJson);
    registerPixyRoutes(app, { ...pixyOptions, onTopicReady: (topic) => front?.knowTopic(topic) });
    started.push(() => app.close());
    // The produce route served by the addon where the listener needs nothing it does not do.
    const unfit = nativeFrontUnfit(config, pixyAddress.https);
    if (unfit === undefined) {
      const running = await startNativeFront(app, config, { host: pixyAddress.host, port: pixyAddress.port, producer, clusterName: config.id, messageMaxBytes, autoCreate: mock !== undefined, buckets: BUCKETS, logger, consume: pixyOptions });
      front = running;
      metrics.addNative('pixy', () => running.stats());
      started.push(() => running.close());
      pixyUrl = `http://${pixyAddress.host}:${front.port}`;
    } else {
      await app.listen({ host: pixyAddress.host, port: pixyAddress.port });
      pixyUrl = `http://${pixyAddress.host}:${(app.server.address() as { port: number }).port}`;
    }
    pixyApps.push(app);
  }
  if (config.pixyUnixSocket !== undefined) {
    const app = createApp(config, false, pixyErrorBody);
    metrics.install(app, 'pixy');
    limitJsonValues(app, config.maxRequestJsonValues, parsesJson);
    registerPixyRoutes(app, pixyOptions);
    started.push(() => app.close());
    await app.listen({ path: config.pixyUnixSocket });
    pixyApps.push(app);
  }

  log(logger, 'info', { url, pixyUrl, pixySocket: config.pixyUnixSocket, bootstrapServers }, `REST proxy listening: Confluent API on ${url}${pixyUrl ? `, Kafka-Pixy API on ${pixyUrl}` : ''}`);
  if (embeddedRegistry !== undefined) log(logger, 'info', { schemaRegistryUrl }, `Schema Registry: embedded, in memory, on ${schemaRegistryUrl} (set schema.registry.url to use a real one)`);

  let closing: Promise<void> | undefined;
  return {
    url,
    pixyUrl,
    pixySocket: config.pixyUnixSocket,
    nativeFront: front,
    confluentNativeFront: confluentFront,
    config,
    bootstrapServers,
    confluent,
    producer,
    schemaRegistryUrl,
    close: () =>
      (closing ??= (async () => {
        stopping = true;
        await Promise.all([confluent.close(), ...pixyApps.map((app) => app.close()), front?.close(), confluentFront?.close(), embeddedRegistry?.close()]);
        await Promise.all([instances.closeAll(), groups.closeAll()]);
        if (!config.credentialsPassthrough) {
          await producer.close();
          await cluster.close();
        }
        peers?.close();
        mock?.close();
      })()),
  };
}
