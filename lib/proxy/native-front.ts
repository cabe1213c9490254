// The Kafka-Pixy listener's native front end (native/http_front.cc): the addon listens and
// answers POST …/topics/{topic}/messages on a thread of its own; every connection whose request
// is anything else is handed to this Fastify app, with the bytes already read, for good.
import { Socket } from 'node:net';
import { maxHeaderSize } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { KafkaError } from '../errors';
import { log, type Logger } from '../logger';
import { capi, type KafkaHandle } from '../native';
import type { Producer } from '../producer';
import type { ProxyConfig } from './config';

/** What the front end counted: per route, answers by status and a latency histogram. */
export interface NativeFrontStats {
  routes: Array<{ route: string; statuses: Array<[number, number]>; sum: number; buckets: number[] }>;
  /** Messages (and their key and value bytes) delivered to Kafka. */
  produced: number;
  producedBytes: number;
  /** Connections handed to Node. */
  handedOff: number;
}

type FrontHandle = { readonly __front: unique symbol };
/** 'connection' (fd, bytes read), 'stopped', or 'error' (status, message, url) for a 5xx answer. */
type OnEvent = (kind: 'connection' | 'stopped' | 'error', fd?: number, bytes?: Buffer | string, url?: string) => void;

interface FrontOptions {
  host: string;
  port: number;
  clusterName: string;
  messageMaxBytes: number;
  maxRequestBytes: number;
  maxHeaderBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  autoCreate: boolean;
  retriable: number[];
  buckets: number[];
}

interface FrontBinding {
  HttpFrontStart?(options: FrontOptions, onEvent: OnEvent, producer: KafkaHandle): [FrontHandle, number];
  HttpFrontStop(front: FrontHandle): void;
  HttpFrontJoin(front: FrontHandle): void;
  HttpFrontReleased(front: FrontHandle): void;
  HttpFrontKnowTopic(front: FrontHandle, topic: string): void;
  HttpFrontStats(front: FrontHandle): NativeFrontStats;
}

const binding = capi as unknown as FrontBinding;

/**
 * A connection handed to Node. It stops counting against http.max.connections as it is destroyed,
 * before its descriptor closes: released on 'close' instead, a client reconnecting as soon as it
 * saw the close could find the front end still at the cap, and be refused.
 */
class HandedSocket extends Socket {
  constructor(
    fd: number,
    private readonly release: () => void,
  ) {
    super({ fd, readable: true, writable: true });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.release();
    super._destroy(error, callback);
  }
}

export interface NativeFront {
  port: number;
  /** The JS route made sure `topic` exists (the embedded broker's auto-creation). */
  knowTopic(topic: string): void;
  stats(): NativeFrontStats;
  /** Stops accepting, answers what is in flight, flushes the front end's producer. */
  close(): Promise<void>;
}

/** Why the native front end cannot serve this listener (undefined: it can). */
export function nativeFrontUnfit(config: ProxyConfig, https: boolean): string | undefined {
  if (!config.pixyNativeFrontEnd) return 'pixy.native.front.end=false';
  if (binding.HttpFrontStart === undefined) return 'the addon has no native front end on this platform';
  if (https) return 'TLS';
  if (config.basicAuthUsers.length > 0) return 'basic.auth.users';
  if (config.rateLimitRequestsPerSecond > 0) return 'a rate limit';
  if (config.credentialsPassthrough) return 'kafka.credentials.passthrough';
  return undefined;
}

/** librdkafka codes that KafkaError calls retriable (a 503, not a 500, as the JS route answers). */
function retriableCodes(): number[] {
  const codes: number[] = [];
  for (let code = -200; code <= 200; code++) if (new KafkaError(code).retriable) codes.push(code);
  return codes;
}

export interface NativeFrontOptions {
  host: string;
  port: number;
  /** The proxy's producer: the front end produces on its client (delivery reports come back through it). */
  producer: Producer;
  clusterName: string;
  messageMaxBytes: number;
  /** The embedded broker: topics are created by the JS route, which then tells the front end. */
  autoCreate: boolean;
  buckets: number[];
  /** Where 5xx answers are logged (as the JS route logs them). */
  logger: Logger;
}

/** Starts the front end listening for `app` (ready, not listening). Throws as a listen would. */
export async function startNativeFront(app: FastifyInstance, config: ProxyConfig, options: NativeFrontOptions): Promise<NativeFront> {
  const start = binding.HttpFrontStart;
  if (start === undefined) throw new Error('the addon has no native front end');
  await app.ready();
  // Node starts checking its connections' headers and request timeouts on 'listening'; the
  // connections handed over need those checks as if Node had accepted them.
  app.server.emit('listening');
  let stopped: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  let handle: FrontHandle | undefined;
  const onEvent: OnEvent = (kind, fd, bytes, url) => {
    if (kind === 'stopped') return stopped();
    if (kind === 'error') return log(options.logger, 'error', { method: 'POST', url, status: fd }, String(bytes));
    const socket = new HandedSocket(fd!, () => handle !== undefined && binding.HttpFrontReleased(handle));
    // The bytes the front end read come first: Node's parser reads them before any new ones.
    if (bytes instanceof Buffer && bytes.length > 0) socket.unshift(bytes);
    app.server.emit('connection', socket);
  };
  const [front, port] = start(
    {
      host: options.host,
      port: options.port,
      clusterName: options.clusterName,
      messageMaxBytes: options.messageMaxBytes,
      maxRequestBytes: config.maxRequestBytes,
      maxHeaderBytes: maxHeaderSize,
      headersTimeoutMs: config.httpHeadersTimeoutMs,
      requestTimeoutMs: config.httpRequestTimeoutMs,
      keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs,
      maxConnections: config.httpMaxConnections,
      autoCreate: options.autoCreate,
      retriable: retriableCodes(),
      buckets: options.buckets,
    },
    onEvent,
    options.producer.handle,
  );
  handle = front;
  let closing: Promise<void> | undefined;
  return {
    port,
    knowTopic: (topic) => binding.HttpFrontKnowTopic(front, topic),
    stats: () => binding.HttpFrontStats(front),
    close: () =>
      (closing ??= (async () => {
        binding.HttpFrontStop(front);
        await done;
        binding.HttpFrontJoin(front);
      })()),
  };
}
