// The Kafka-Pixy listener's native front end (native/http_front.cc): the addon listens and
// answers POST …/topics/{topic}/messages on a thread of its own; consume requests (GET
// …/messages) are answered there too from the records a group consumer leased to it
// (pixy-groups.ts); other consume and ack (POST …/acks) requests stay on its connections and are
// answered here by the routes' own logic (pixy.ts), in batches; every connection whose request is anything else is handed to this
// Fastify app, with the bytes already read, for good. A second instance serves the Confluent
// listener the same way: its v2 produce requests are answered by confluent.ts's own logic.
import { Socket } from 'node:net';
import { maxHeaderSize } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { KafkaError } from '../errors';
import { log, type Logger } from '../logger';
import { capi, type KafkaHandle } from '../native';
import type { Producer } from '../producer';
import { Cancellation } from './cancellation';
import type { ProxyConfig } from './config';
import type { ConfluentRoutes } from './confluent';
import { ackMessage, consumeAtOnce, consumeMessage, errorAnswer, type PendingConsume, type PixyAnswer, type PixyConsumeOptions } from './pixy';

/** What the front end counted: per route, answers by status and a latency histogram. */
export interface NativeFrontStats {
  routes: Array<{ route: string; method: string; statuses: Array<[number, number]>; sum: number; buckets: number[] }>;
  /** Messages (and their key and value bytes) delivered to Kafka. */
  produced: number;
  producedBytes: number;
  /** Connections handed to Node. */
  handedOff: number;
}

type FrontHandle = { readonly __front: unique symbol };
/**
 * 'connection' (fd, bytes read), 'stopped', 'error' (status, message, url) for a 5xx answer, or
 * 'requests' (REQUEST_SLOTS values per request or cancel, see serve below).
 */
type OnEvent = (kind: 'connection' | 'stopped' | 'error' | 'requests', fd?: number | RequestSlots, bytes?: Buffer | string, url?: string) => void;
type RequestSlots = Array<number | string | boolean | undefined>;
const REQUEST_SLOTS = 9;
const CONSUME = 1;
const ACK = 2;
const CANCEL = 3;
const CONFLUENT_PRODUCE = 4;
const LEASE_LOW = 5;

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
  /** Which listener's routes it serves. */
  routes: 'pixy' | 'confluent';
}

interface FrontBinding {
  /** `producer`: the client Kafka-Pixy's produce route produces on (the Confluent routes' JavaScript produces). */
  HttpFrontStart?(options: FrontOptions, onEvent: OnEvent, producer: KafkaHandle | undefined): [FrontHandle, number];
  HttpFrontStop(front: FrontHandle): void;
  HttpFrontJoin(front: FrontHandle): void;
  HttpFrontReleased(front: FrontHandle): void;
  HttpFrontKnowTopic(front: FrontHandle, topic: string): void;
  HttpFrontStats(front: FrontHandle): NativeFrontStats;
  /** Answers, one line each: "<id> <status> <body>\n" (JSON bodies have no raw newline); "<id> -<status> …" closes the connection after it. */
  HttpFrontAnswer(front: FrontHandle, answers: string): void;
  /** HandOutDesk (pixy-groups.ts) of a Kafka-Pixy front end. */
  HttpFrontLease(front: FrontHandle, group: string, topic: string, partitions: Int32Array, bodies: string, handedOut: Int32Array, until: number): void;
  HttpFrontTake(front: FrontHandle, group: string, topic: string, reclaim: boolean): Float64Array;
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

/** What a listener needs that the native front end does not do (undefined: nothing). */
function listenerUnfit(config: ProxyConfig, https: boolean): string | undefined {
  if (binding.HttpFrontStart === undefined) return 'the addon has no native front end on this platform';
  if (https) return 'TLS';
  if (config.basicAuthUsers.length > 0) return 'basic.auth.users';
  if (config.rateLimitRequestsPerSecond > 0) return 'a rate limit';
  if (config.credentialsPassthrough) return 'kafka.credentials.passthrough';
  return undefined;
}

/** Why the native front end cannot serve this listener (undefined: it can). */
export function nativeFrontUnfit(config: ProxyConfig, https: boolean): string | undefined {
  if (!config.pixyNativeFrontEnd) return 'pixy.native.front.end=false';
  return listenerUnfit(config, https);
}

/** Why the native front end cannot serve the Confluent listener (undefined: it can). */
export function confluentNativeFrontUnfit(config: ProxyConfig, https: boolean): string | undefined {
  if (!config.confluentNativeFrontEnd) return 'confluent.native.front.end=false';
  return listenerUnfit(config, https) ?? (config.peers.length > 0 ? 'peers' : undefined);
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
  /** Which listener's routes it serves (Kafka-Pixy's by default). */
  routes?: 'pixy' | 'confluent';
  /** The Confluent produce routes' logic (confluent.ts), for routes 'confluent'. */
  confluent?: ConfluentRoutes;
  clusterName: string;
  messageMaxBytes: number;
  /** The embedded broker: topics are created by the JS route, which then tells the front end. */
  autoCreate: boolean;
  buckets: number[];
  /** Where 5xx answers are logged (as the JS route logs them). */
  logger: Logger;
  /** The consume and ack routes' options (their logic is pixy.ts's, shared with the JS routes). */
  consume: PixyConsumeOptions;
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

  // Answers of the requests served here, handed back in one call per turn of the event loop.
  let answers = '';
  const flush = () => {
    const batch = answers;
    answers = '';
    binding.HttpFrontAnswer(handle!, batch);
  };
  // A negative status: the connection closes after the answer.
  const answer = (id: number, { status, body, close }: PixyAnswer & { close?: boolean }) => {
    if (answers === '') process.nextTick(flush);
    answers += `${id} ${close === true ? -status : status} ${body}\n`;
  };
  /** Consume requests waiting for a record, by id: cancelled if their client goes away. */
  const waiting = new Map<number, Cancellation>();
  // Each request: [op, id, cluster (undefined without the prefix), topic, group, ackPartition or
  // partition, ackOffset or offset, noAck, url]; a cancel: [CANCEL, id, ...]; a lease running low:
  // [LEASE_LOW, 0, -, topic, group, ...].
  const serve = (slots: RequestSlots) => {
    for (let i = 0; i < slots.length; i += REQUEST_SLOTS) {
      const op = slots[i] as number;
      const id = slots[i + 1] as number;
      if (op === CONFLUENT_PRODUCE) {
        // [4, id, content type, topic, -, the path's partition, body, -, url]: answers its own errors;
        // should it ever reject, the client still gets an answer rather than a connection left waiting.
        options.confluent!.produce(slots[i + 2] as string, slots[i + 6] as string, slots[i + 3] as string, slots[i + 5] as string | undefined, slots[i + 8] as string).then(
          (a) => answer(id, a),
          (error: unknown) => {
            log(options.logger, 'error', { method: 'POST', url: slots[i + 8] as string, status: 500 }, String(error));
            answer(id, { status: 500, body: JSON.stringify({ error_code: 500, message: `Internal error: ${String(error)}` }), close: true });
          },
        );
        continue;
      }
      if (op === CANCEL) {
        waiting.get(id)?.cancel();
        waiting.delete(id);
        continue;
      }
      const cluster = slots[i + 2] as string | undefined;
      const topic = slots[i + 3] as string;
      const group = slots[i + 4] as string | undefined;
      if (op === LEASE_LOW) {
        options.consume.groups.find(group!, topic)?.refill();
        continue;
      }
      const first = slots[i + 5] as string | undefined;
      const second = slots[i + 6] as string | undefined;
      const url = slots[i + 8] as string;
      if (op === ACK) {
        try {
          answer(id, ackMessage(options.consume, cluster, topic, { group, partition: first, offset: second }));
        } catch (error) {
          answer(id, errorAnswer(error, options.consume, 'POST', url));
        }
      } else if (op === CONSUME) {
        const query = { group, ackPartition: first, ackOffset: second, noAck: slots[i + 7] === true ? '' : undefined };
        let atOnce: PixyAnswer | PendingConsume;
        try {
          atOnce = consumeAtOnce(options.consume, cluster, topic, query);
        } catch (error) {
          answer(id, errorAnswer(error, options.consume, 'GET', url));
          continue;
        }
        // Answered from the group's buffer: no promise, and nothing left waiting that a cancel could end.
        if ('status' in atOnce) {
          answer(id, atOnce);
          continue;
        }
        const cancel = new Cancellation();
        waiting.set(id, cancel);
        consumeMessage(options.consume, atOnce, cancel).then(
          (a) => {
            waiting.delete(id);
            answer(id, a);
          },
          (error: unknown) => {
            waiting.delete(id);
            answer(id, errorAnswer(error, options.consume, 'GET', url));
          },
        );
      }
    }
  };

  const onEvent: OnEvent = (kind, fd, bytes, url) => {
    if (kind === 'stopped') return stopped();
    if (kind === 'requests') return serve(fd as RequestSlots);
    if (kind === 'error') return log(options.logger, 'error', { method: 'POST', url, status: fd }, String(bytes));
    const socket = new HandedSocket(fd as number, () => handle !== undefined && binding.HttpFrontReleased(handle));
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
      routes: options.routes ?? 'pixy',
    },
    onEvent,
    options.routes === 'confluent' ? undefined : options.producer.handle,
  );
  handle = front;
  if (options.routes !== 'confluent') {
    options.consume.groups.useDesk({
      lease: (group, topic, partitions, bodies, handedOut, until) => binding.HttpFrontLease(front, group, topic, partitions, bodies, handedOut, until),
      take: (group, topic, reclaim) => binding.HttpFrontTake(front, group, topic, reclaim),
    });
  }
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
        if (options.routes !== 'confluent') options.consume.groups.useDesk(undefined);
      })()),
  };
}
