// The proxy's configuration: a properties file in the Confluent REST Proxy's style, overridden by
// command-line flags.
import { readFileSync } from 'node:fs';
import { peerUrl } from './peers';

export interface ProxyConfig {
  /** Confluent API listener, e.g. http://127.0.0.1:8082 (https:// needs ssl.*). */
  listeners: string;
  /** Base URL handed to clients in base_uri; defaults to the listener. */
  advertisedListeners?: string;
  /**
   * The proxies behind one load balancer (each one's own URL, this one's included): a request for
   * a consumer instance that another of them owns is forwarded there. Empty: off.
   */
  peers: string[];
  /** This proxy's URL in `peers`; defaults to its listener. */
  peerUrl?: string;
  /** How long a forwarded request may wait on the owner without a byte from it; then the client gets 40403. */
  peerRequestTimeoutMs: number;
  /** Kafka-Pixy API listener (TCP), e.g. http://127.0.0.1:19092; empty string: off. */
  pixyListeners: string;
  /** Kafka-Pixy API on a Unix domain socket, when set. */
  pixyUnixSocket?: string;
  /** Kafka-Pixy: how long a consume waits before 408, an unacked message before redelivery,
   * and a (group, topic) without consume requests before its consumer leaves the group. */
  pixyLongPollTimeoutMs: number;
  pixyAckTimeoutMs: number;
  pixyIdleTimeoutMs: number;
  /** Kafka-Pixy: at most this many (group, topic) consumers at once; a new pair beyond gets 429. */
  pixyMaxConsumers: number;
  /** pixy.native.front.end: the produce route served by the addon's HTTP front end where the listener allows it. */
  pixyNativeFrontEnd: boolean;
  /** confluent.native.front.end: the produce routes kept on the addon's HTTP front end where the listener allows it. */
  confluentNativeFrontEnd: boolean;
  /** Kafka; empty: an embedded broker is started. */
  bootstrapServers: string;
  id: string;
  consumerInstanceTimeoutMs: number;
  consumerRequestTimeoutMs: number;
  consumerMaxInstances: number;
  /** At most this many consumer instances per client (its user, else its address); 0: no such limit. */
  consumerMaxInstancesPerUser: number;
  /** Requests a second per client (its user, else its address), a token bucket; 0: no limit. */
  rateLimitRequestsPerSecond: number;
  /** Requests a client may save up and send at once; absent: one second's worth. */
  rateLimitBurst?: number;
  /** Largest accepted request body. */
  maxRequestBytes: number;
  /** Most records in one Confluent produce request (each costs about 0.75 KB while it is produced). */
  maxRequestRecords: number;
  /** Most JSON values (member names included) in a JSON body, counted as it arrives, before it is parsed. */
  maxRequestJsonValues: number;
  /** HTTP, both APIs: how long a client may take to send a request's headers, and its whole request;
   * how long an idle keep-alive connection stays open; how many connections a listener keeps open. */
  httpHeadersTimeoutMs: number;
  httpRequestTimeoutMs: number;
  httpKeepAliveTimeoutMs: number;
  httpMaxConnections: number;
  /** "user:password" pairs; when set, every request needs HTTP basic auth. */
  basicAuthUsers: string[];
  sslKeyLocation?: string;
  sslCertificateLocation?: string;
  /** HTTPS: the CA (PEM) that signs client certificates; with sslClientAuth, every client must present one. */
  sslCaLocation?: string;
  sslClientAuth: boolean;
  /**
   * kafka.credentials.passthrough: each request's HTTP Basic credentials (or Bearer token) log its
   * own producer, consumers and metadata client in to Kafka (SASL PLAIN/SCRAM, or OAUTHBEARER).
   */
  credentialsPassthrough: boolean;
  /** A user's clients close after this long without a request (and with no consumer instance). */
  credentialsIdleTimeoutMs: number;
  /** At most this many users' clients at once; a new user beyond gets 429. */
  credentialsMaxUsers: number;
  /** Bearer-token users connect here (a cluster's OAUTHBEARER listener), when it differs. */
  credentialsBearerBootstrapServers?: string;
  /** Schema Registry base URLs, comma-separated (schema.registry.url); absent: the embedded registry. */
  schemaRegistryUrl?: string;
  /**
   * Where the embedded registry serves Confluent's Schema Registry API (schema.registry.listeners);
   * '' keeps the schema formats off. Absent: port 8081 on the Confluent listener's host, or a free
   * port when that listener asks for one (port 0).
   */
  schemaRegistryListeners?: string;
  /** "user:password" for the registry (schema.registry.basic.auth.user.info). */
  schemaRegistryUserInfo?: string;
  /** PEM files for TLS to the registry (schema.registry.ssl.ca.location, .certificate.location, .key.location). */
  schemaRegistrySslCaLocation?: string;
  schemaRegistrySslCertificateLocation?: string;
  schemaRegistrySslKeyLocation?: string;
  /** librdkafka properties for every client, producer and consumer (client.*, producer.*, consumer.*). */
  client: { [key: string]: string };
  producer: { [key: string]: string };
  consumer: { [key: string]: string };
}

export const DEFAULTS: ProxyConfig = {
  listeners: 'http://127.0.0.1:8082',
  pixyListeners: 'http://127.0.0.1:19092',
  peers: [],
  peerRequestTimeoutMs: 60_000,
  pixyLongPollTimeoutMs: 3000,
  pixyAckTimeoutMs: 300_000,
  pixyIdleTimeoutMs: 15_000,
  pixyMaxConsumers: 100,
  pixyNativeFrontEnd: true,
  confluentNativeFrontEnd: true,
  bootstrapServers: '',
  id: 'rdkafka-napi-proxy',
  consumerInstanceTimeoutMs: 300_000,
  consumerRequestTimeoutMs: 1000,
  consumerMaxInstances: 1000,
  consumerMaxInstancesPerUser: 0,
  rateLimitRequestsPerSecond: 0,
  maxRequestBytes: 16 * 1024 * 1024,
  maxRequestRecords: 10_000,
  maxRequestJsonValues: 200_000,
  httpHeadersTimeoutMs: 10_000,
  httpRequestTimeoutMs: 60_000,
  httpKeepAliveTimeoutMs: 30_000,
  httpMaxConnections: 1000,
  basicAuthUsers: [],
  sslClientAuth: false,
  credentialsPassthrough: false,
  credentialsIdleTimeoutMs: 300_000,
  credentialsMaxUsers: 100,
  client: {},
  producer: {},
  consumer: {},
};

/** key=value lines; # and ! start comments; blank lines ignored. */
export function parseProperties(text: string): Map<string, string> {
  const properties = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const at = line.search(/[=:]/);
    if (at <= 0) throw new Error(`Invalid line in the properties file: ${JSON.stringify(raw)}`);
    properties.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return properties;
}

function integer(value: string, key: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${key} must be a non-negative integer, not ${JSON.stringify(value)}`);
  return n;
}

/** A limit or timeout: 0 would switch it off, which these settings exist to prevent. */
function positive(value: string, key: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${key} must be a positive integer, not ${JSON.stringify(value)}`);
  return n;
}

/** A rate: a non-negative number (fractions allowed: 0.5 is one request every two seconds). */
function rate(value: string, key: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`${key} must be a non-negative number, not ${JSON.stringify(value)}`);
  return n;
}

function flag(value: string, key: string): boolean {
  if (value !== 'true' && value !== 'false') throw new Error(`${key} must be true or false, not ${JSON.stringify(value)}`);
  return value === 'true';
}

/** Applies properties (from a file or flags) over a configuration. Unknown keys are errors. */
export function applyProperties(config: ProxyConfig, properties: Map<string, string>): ProxyConfig {
  const next: ProxyConfig = { ...config, client: { ...config.client }, producer: { ...config.producer }, consumer: { ...config.consumer } };
  for (const [key, value] of properties) {
    if (key.startsWith('client.')) next.client[key.slice(7)] = value;
    else if (key.startsWith('producer.')) next.producer[key.slice(9)] = value;
    else if (key === 'consumer.instance.timeout.ms') next.consumerInstanceTimeoutMs = integer(value, key);
    else if (key === 'consumer.request.timeout.ms') next.consumerRequestTimeoutMs = integer(value, key);
    else if (key === 'consumer.max.instances') next.consumerMaxInstances = integer(value, key);
    else if (key === 'consumer.max.instances.per.user') next.consumerMaxInstancesPerUser = integer(value, key);
    else if (key === 'rate.limit.requests.per.second') next.rateLimitRequestsPerSecond = rate(value, key);
    else if (key === 'rate.limit.burst') next.rateLimitBurst = positive(value, key);
    else if (key.startsWith('consumer.')) next.consumer[key.slice(9)] = value;
    else if (key === 'listeners') next.listeners = value.split(',')[0].trim();
    else if (key === 'advertised.listeners') next.advertisedListeners = value.split(',')[0].trim();
    else if (key === 'peers') next.peers = value.split(',').map((u) => u.trim()).filter(Boolean).map(peerUrl);
    else if (key === 'peer.url') next.peerUrl = peerUrl(value);
    else if (key === 'peer.request.timeout.ms') next.peerRequestTimeoutMs = positive(value, key);
    else if (key === 'pixy.listeners') next.pixyListeners = value.trim();
    else if (key === 'pixy.unix.socket') next.pixyUnixSocket = value.trim();
    else if (key === 'pixy.long.poll.timeout.ms') next.pixyLongPollTimeoutMs = integer(value, key);
    else if (key === 'pixy.ack.timeout.ms') next.pixyAckTimeoutMs = integer(value, key);
    else if (key === 'pixy.consumer.idle.timeout.ms') next.pixyIdleTimeoutMs = integer(value, key);
    else if (key === 'pixy.max.consumers') next.pixyMaxConsumers = integer(value, key);
    else if (key === 'pixy.native.front.end') next.pixyNativeFrontEnd = flag(value, key);
    else if (key === 'confluent.native.front.end') next.confluentNativeFrontEnd = flag(value, key);
    else if (key === 'bootstrap.servers') next.bootstrapServers = value;
    else if (key === 'id') next.id = value;
    else if (key === 'max.request.bytes') next.maxRequestBytes = integer(value, key);
    else if (key === 'max.request.records') next.maxRequestRecords = positive(value, key);
    else if (key === 'max.request.json.values') next.maxRequestJsonValues = positive(value, key);
    else if (key === 'http.headers.timeout.ms') next.httpHeadersTimeoutMs = positive(value, key);
    else if (key === 'http.request.timeout.ms') next.httpRequestTimeoutMs = positive(value, key);
    else if (key === 'http.keepalive.timeout.ms') next.httpKeepAliveTimeoutMs = positive(value, key);
    else if (key === 'http.max.connections') next.httpMaxConnections = positive(value, key);
    else if (key === 'basic.auth.users') next.basicAuthUsers = value.split(',').map((u) => u.trim()).filter(Boolean);
    else if (key === 'ssl.key.location') next.sslKeyLocation = value;
    else if (key === 'ssl.certificate.location') next.sslCertificateLocation = value;
    else if (key === 'ssl.ca.location') next.sslCaLocation = value;
    else if (key === 'ssl.client.auth') next.sslClientAuth = flag(value, key);
    else if (key === 'kafka.credentials.passthrough') next.credentialsPassthrough = flag(value, key);
    else if (key === 'kafka.credentials.idle.timeout.ms') next.credentialsIdleTimeoutMs = positive(value, key);
    else if (key === 'kafka.credentials.max.users') next.credentialsMaxUsers = positive(value, key);
    else if (key === 'kafka.credentials.bearer.bootstrap.servers') next.credentialsBearerBootstrapServers = value;
    else if (key === 'schema.registry.url') next.schemaRegistryUrl = value.trim() === '' ? undefined : value.trim();
    else if (key === 'schema.registry.listeners') next.schemaRegistryListeners = value.trim();
    else if (key === 'schema.registry.basic.auth.user.info') next.schemaRegistryUserInfo = value;
    else if (key === 'schema.registry.basic.auth.credentials.source') {
      if (value.trim().toUpperCase() !== 'USER_INFO') throw new Error(`schema.registry.basic.auth.credentials.source: only USER_INFO is supported, not ${JSON.stringify(value)}`);
    } else if (key === 'schema.registry.ssl.ca.location') next.schemaRegistrySslCaLocation = value;
    else if (key === 'schema.registry.ssl.certificate.location') next.schemaRegistrySslCertificateLocation = value;
    else if (key === 'schema.registry.ssl.key.location') next.schemaRegistrySslKeyLocation = value;
    else throw new Error(`Unknown proxy property '${key}'`);
  }
  if (next.sslClientAuth && next.sslCaLocation === undefined) throw new Error('ssl.client.auth=true needs ssl.ca.location (the CA that signs client certificates)');
  if (next.credentialsPassthrough && next.basicAuthUsers.length > 0) {
    throw new Error('kafka.credentials.passthrough=true and basic.auth.users exclude each other: with passthrough, Kafka checks the users');
  }
  if (next.httpHeadersTimeoutMs > next.httpRequestTimeoutMs) {
    throw new Error(`http.headers.timeout.ms (${next.httpHeadersTimeoutMs}) must not be longer than http.request.timeout.ms (${next.httpRequestTimeoutMs})`);
  }
  return next;
}

export function loadConfigFile(path: string, base: ProxyConfig = DEFAULTS): ProxyConfig {
  return applyProperties(base, parseProperties(readFileSync(path, 'utf8')));
}
