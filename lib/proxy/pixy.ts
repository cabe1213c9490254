// The Kafka-Pixy HTTP API: message-at-a-time produce and long-poll consume per group.
// Errors are {"error": "text"}. Every route also answers under /clusters/{cluster}.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, KafkaError } from '../errors';
import { log, type Logger } from '../logger';
import type { Producer } from '../producer';
import type { Record } from '../record';
import { INT32_MAX, topicNameProblem } from '../validate';
import type { ClusterView } from './confluent';
import { Cancellation } from './cancellation';
import type { PixyGroupConsumer, PixyGroups } from './pixy-groups';

export class PixyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What the offsets and consumers endpoints need beyond ClusterView. */
export interface PixyClusterView extends ClusterView {
  /** The group's committed offsets for a topic: partition -> offset (and metadata). */
  committedOffsets(group: string, topic: string): Promise<Map<number, { offset: number; metadata: string }>>;
  /** Sets a group's committed offsets (takes effect when the group next (re)joins). */
  setOffsets(group: string, topic: string, offsets: Array<{ partition: number; offset: number; metadata?: string }>): Promise<void>;
  /** group -> member -> partitions of `topic` it owns. */
  members(topic: string, group?: string): Promise<{ [group: string]: { [member: string]: number[] } }>;
}

export interface PixyOptions {
  producer: Producer;
  groups: PixyGroups;
  cluster: PixyClusterView;
  /** The one cluster name accepted under /clusters/{cluster}. */
  clusterName: string;
  longPollTimeoutMs: number;
  /** The producer's message.max.bytes, named when a message is refused as too large. */
  messageMaxBytes: number;
  /** Set while shutting down: produce answers 503. */
  stopping: () => boolean;
  /** Where 5xx answers are logged. */
  logger: Logger;
  /** Told each topic the produce route made sure of (the native front end then serves it). */
  onTopicReady?: (topic: string) => void;
}

/** A request's query parameters as the query parser reads them (a parameter given twice: an array). */
export type PixyQuery = { [key: string]: string | string[] | undefined };
type Req = FastifyRequest<{ Params: { [key: string]: string }; Querystring: PixyQuery }>;

/** A query parameter's value; a parameter given twice is refused rather than one of them picked. */
function param(query: PixyQuery, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw new PixyError(400, `The ${name} parameter is given ${value.length} times: give it once`);
  return value;
}

const flag = (req: Req, name: string) => param(req.query, name) !== undefined;

function requireParam(query: PixyQuery, name: string): string {
  const value = param(query, name);
  if (value === undefined || value === '') throw new PixyError(400, `${name} parameter is required`);
  if (value.includes('\0')) throw new PixyError(400, `The ${name} parameter cannot contain a NUL character`);
  return value;
}

/** Kafka's partition numbers are int32 and its offsets int64; JSON keeps integers exact up to 2^53. */
const LIMIT = { partition: INT32_MAX, offset: Number.MAX_SAFE_INTEGER };

/** A decimal integer from 0 to `max`: "1e20", "0x10", "1.0" and "-1" are refused, not converted. */
function integer(value: string | undefined, name: string, max: number): number {
  if (value === undefined || !/^[0-9]{1,16}$/.test(value) || Number(value) > max) {
    throw new PixyError(400, `${name} must be an integer from 0 to ${max}, got ${JSON.stringify(value ?? '')}`);
  }
  return Number(value);
}

/** Kafka refuses a commit from outside a group while the group has members. */
export const GROUP_HAS_MEMBERS = new Set([22 /* ILLEGAL_GENERATION */, 25 /* UNKNOWN_MEMBER_ID */, 27 /* REBALANCE_IN_PROGRESS */]);

// Kafka's own topics: it never takes messages produced to them.
const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state', '__cluster_metadata', '__share_group_state']);

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const X_KAFKA = /^x-kafka-/i;

/** X-Kafka-<name>: <base64> request headers, as record headers (undefined when there are none). */
function recordHeaders(req: Req): Array<[string, Buffer]> | undefined {
  let headers: Array<[string, Buffer]> | undefined;
  const raw = req.raw.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    // Most headers are passed over on their length or first character, without the regex.
    if (name.length < 8 || (name.charCodeAt(0) | 0x20) !== 0x78 /* x */ || !X_KAFKA.test(name)) continue;
    const value = raw[i + 1].trim();
    if (value.length % 4 !== 0 || !BASE64.test(value)) throw new PixyError(400, `Header ${name} must be base64`);
    (headers ??= []).push([name.slice('x-kafka-'.length), Buffer.from(value, 'base64')]);
  }
  return headers;
}

/** A message's size as Kafka counts it against message.max.bytes: value, key and headers. */
function messageSize(payload: Buffer, key: string | null, headers: Array<[string, Buffer]> | undefined): number {
  let size = payload.length + (key === null ? 0 : Buffer.byteLength(key));
  for (const [name, value] of headers ?? []) size += Buffer.byteLength(name) + value.length;
  return size;
}

/** The media type of a Content-Type value, lower-case, without its parameters. */
function mediaType(header: string | undefined): string {
  // The common exact values need no splitting.
  if (header === 'text/plain' || header === 'application/json') return header;
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * A consumed message as the JSON Kafka-Pixy answers, written directly: base64 text and integers
 * need no escaping, header names go through JSON.stringify.
 */
export function recordBody(record: Record): string {
  const key = record.key === null ? 'null' : `"${record.key.toString('base64')}"`;
  const value = record.payload === null ? 'null' : `"${record.payload.toString('base64')}"`;
  let headers = '';
  for (const [name, v] of record.headers) {
    headers += `${headers === '' ? '' : ','}{"key":${JSON.stringify(name)},"value":${v === null ? 'null' : `"${v.toString('base64')}"`}}`;
  }
  return `{"key":${key},"value":${value},"partition":${record.partition},"offset":${record.offset},"headers":[${headers}]}`;
}

/** The body of an async produce's answer, serialized once. */
const EMPTY_OBJECT = '{}';
const JSON_TYPE = 'application/json; charset=utf-8';

/** What a produce's failure answers: the client's mistakes are 4xx, Kafka's trouble 5xx. */
function produceError(error: unknown, topic: string, size: number, messageMaxBytes: number, atOnce: boolean): PixyError {
  if (error instanceof KafkaError) {
    if (error.code === ErrorCode.MSG_SIZE_TOO_LARGE) {
      return new PixyError(413, atOnce
        ? `The message (${size} bytes with its key and headers) is larger than message.max.bytes (${messageMaxBytes} bytes)`
        : `Kafka refused the message (${size} bytes with its key and headers) as larger than topic ${topic} accepts (its max.message.bytes)`);
    }
    if (error.code === ErrorCode.UNKNOWN_TOPIC_OR_PART || error.code === UNKNOWN_TOPIC) return new PixyError(404, `Unknown topic ${topic}`);
    if (error.code === INVALID_TOPIC) return new PixyError(400, `Kafka refused topic ${topic}: ${error.message}`);
    return new PixyError(error.retriable ? 503 : 500, error.message);
  }
  if (error instanceof TypeError) return new PixyError(400, error.message);
  return new PixyError(500, (error as Error).message);
}

const UNKNOWN_TOPIC = -188; // ERR__UNKNOWN_TOPIC: librdkafka knows the topic does not exist
const INVALID_TOPIC = 17; // ERR_TOPIC_EXCEPTION: the broker refuses the name (or an internal topic)
/** Resolved at once: a send still pending after it was raced against this was not refused at once by librdkafka. */
const ACCEPTED = Promise.resolve();
const EMPTY = Buffer.alloc(0);
const ignore = (): void => undefined;

/** What an error thrown by a route answers (as the error handler below answers it). */
export function errorStatus(error: Error & { statusCode?: number; code?: string }): number {
  if (error instanceof PixyError) return error.status;
  if (error instanceof KafkaError && error.code === -165) return 501; // what the embedded broker cannot do
  if (error instanceof TypeError && error.message.startsWith('Expected ')) return 400; // a request's value the client classes refuse
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 413;
  if (error.statusCode !== undefined && error.statusCode < 500) return error.statusCode;
  return 500;
}

/** An answer of the consume and ack routes: its status and JSON body (content-type JSON_TYPE). */
export interface PixyAnswer {
  status: number;
  body: string;
}

/** What the consume and ack routes need: the Fastify routes and the native front end share them. */
export type PixyConsumeOptions = Pick<PixyOptions, 'groups' | 'clusterName' | 'longPollTimeoutMs' | 'logger'>;

/** An error as the routes answer it, logged when it is a 5xx (as the error handler does). */
export function errorAnswer(error: unknown, options: Pick<PixyOptions, 'logger'>, method: string, url: string): PixyAnswer {
  const e = error as Error;
  const status = errorStatus(e);
  if (status >= 500) log(options.logger, 'error', { method, url, status }, e.message);
  return { status, body: JSON.stringify({ error: e.message }) };
}

/** The cluster (undefined: the path has no /clusters prefix) and topic of a path: 400 unless this cluster and a name Kafka would take. */
function checkPathOf(clusterName: string, cluster: string | undefined, topic: string | undefined): void {
  if (cluster !== undefined && cluster !== clusterName) throw new PixyError(400, `Unknown cluster ${cluster}`);
  const problem = topic === undefined ? undefined : topicNameProblem(topic);
  if (problem !== undefined) throw new PixyError(400, `Invalid topic name ${JSON.stringify(topic)}: ${problem}`);
}

/** A consume request that consumeAtOnce could not answer: what consumeMessage needs to wait for a record. */
export interface PendingConsume {
  group: string;
  topic: string;
  /** The ack the request carries, still to apply (the group had not started); undefined: none or applied. */
  ack: { partition: number; offset: number } | undefined;
  autoAck: boolean;
  /** performance.now() of the request: the long poll counts from it, a group's start included. */
  started: number;
}

/**
 * GET …/topics/{topic}/messages, as far as it goes without waiting: checks the request, applies
 * its ack and answers the message the started group has at hand, without a promise (most requests
 * under load). Otherwise the request for consumeMessage. Throws what errorAnswer answers.
 */
export function consumeAtOnce(options: PixyConsumeOptions, cluster: string | undefined, topic: string, query: PixyQuery): PixyAnswer | PendingConsume {
  checkPathOf(options.clusterName, cluster, topic);
  const group = requireParam(query, 'group');
  const ackPartition = param(query, 'ackPartition');
  const ackOffset = param(query, 'ackOffset');
  if ((ackPartition === undefined) !== (ackOffset === undefined)) throw new PixyError(400, 'ackPartition and ackOffset go together');
  const ack = ackPartition === undefined ? undefined : { partition: integer(ackPartition, 'ackPartition', LIMIT.partition), offset: integer(ackOffset, 'ackOffset', LIMIT.offset) };
  // As Kafka-Pixy: the returned message is acked only when the request acks nothing explicitly.
  const autoAck = param(query, 'noAck') === undefined && ack === undefined;
  const consumer = options.groups.started(group, topic);
  if (consumer === undefined) return { group, topic, ack, autoAck, started: performance.now() };
  applyAck(consumer, ack);
  const record = consumer.nextAtHand(autoAck);
  if (record !== undefined) return { status: 200, body: recordBody(record) };
  return { group, topic, ack: undefined, autoAck, started: performance.now() };
}

function applyAck(consumer: PixyGroupConsumer, ack: PendingConsume['ack']): void {
  if (ack !== undefined && !consumer.ack(ack.partition, ack.offset)) {
    throw new PixyError(400, `Partition ${ack.partition} was never handed out by this process`);
  }
}

/**
 * The rest of a consume consumeAtOnce could not answer: the group's next message (long poll: 408
 * when none comes in time). Throws what errorAnswer answers. `cancel`: the client went away; the
 * wait ends without taking a record.
 */
export async function consumeMessage(options: PixyConsumeOptions, request: PendingConsume, cancel?: Cancellation): Promise<PixyAnswer> {
  const { group, topic } = request;
  const consumer = options.groups.started(group, topic) ?? (await options.groups.get(group, topic));
  applyAck(consumer, request.ack);
  let record;
  try {
    record = await consumer.next(Math.max(0, Math.ceil(options.longPollTimeoutMs - (performance.now() - request.started))), request.autoAck, cancel);
  } catch (error) {
    if (error instanceof KafkaError && error.code === 3) throw new PixyError(404, error.message); // a topic the broker does not have
    throw new PixyError(500, (error as Error).message);
  }
  if (record === undefined) return LONG_POLL_TIMEOUT;
  return { status: 200, body: recordBody(record) };
}

const LONG_POLL_TIMEOUT: PixyAnswer = { status: 408, body: JSON.stringify({ error: 'long polling timeout' }) };

/** POST …/topics/{topic}/acks: acks a message the group handed out. Throws what errorAnswer answers. */
export function ackMessage(options: PixyConsumeOptions, cluster: string | undefined, topic: string, query: PixyQuery): PixyAnswer {
  checkPathOf(options.clusterName, cluster, topic);
  const group = requireParam(query, 'group');
  const partition = integer(param(query, 'partition'), 'partition', LIMIT.partition);
  const offset = integer(param(query, 'offset'), 'offset', LIMIT.offset);
  const consumer = options.groups.find(group, topic);
  if (consumer === undefined || !consumer.ack(partition, offset)) throw new PixyError(500, `Partition ${partition} of ${topic} was never handed out to group ${group} by this process`);
  return ACKED;
}

const ACKED: PixyAnswer = { status: 200, body: EMPTY_OBJECT };

/** A cancellation that fires when the client of `reply` goes away before its answer is written. */
function cancelOnClose(reply: FastifyReply): Cancellation {
  const cancel = new Cancellation();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) cancel.cancel();
  });
  return cancel;
}

export function registerPixyRoutes(app: FastifyInstance, options: PixyOptions): void {
  const { producer, cluster } = options;

  // The raw body is the message (text/plain, application/json), or the form field "msg".
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = errorStatus(error);
    if (status >= 500) log(options.logger, 'error', { method: req.method, url: req.url, status }, error.message);
    void reply.code(status).send({ error: error.message });
  });
  app.setNotFoundHandler((req, reply) => void reply.code(404).send({ error: `No such endpoint: ${req.method} ${req.url}` }));

  const routes = (prefix: string) => {
    /** The cluster and topic of the path: 400 unless this cluster and a name Kafka would take. */
    const clusterOf = (req: Req) => (prefix === '' ? undefined : req.params.cluster);
    const checkPath = (req: Req) => checkPathOf(options.clusterName, clusterOf(req), req.params.topic);

    app.post(`${prefix}/topics/:topic/messages`, async (req: Req, reply: FastifyReply) => {
      checkPath(req);
      const { topic } = req.params;
      if (INTERNAL_TOPICS.has(topic)) throw new PixyError(400, `${topic} is an internal Kafka topic: it takes no messages from clients`);
      if (options.stopping()) throw new PixyError(503, 'The proxy is stopping');
      const type = mediaType(req.headers['content-type']);
      const raw = (req.body as Buffer | undefined) ?? EMPTY;
      let payload: Buffer;
      if (type === 'text/plain' || type === 'application/json') {
        payload = raw;
      } else if (type === 'application/x-www-form-urlencoded') {
        const msg = new URLSearchParams(raw.toString('utf8')).get('msg');
        if (msg === null) throw new PixyError(400, 'The form needs a "msg" field');
        payload = Buffer.from(msg, 'utf8');
      } else {
        throw new PixyError(400, `Unsupported content type ${JSON.stringify(type)}: use text/plain, application/json or application/x-www-form-urlencoded`);
      }
      const headers = recordHeaders(req);
      // An absent key spreads messages; an empty one is a real key.
      const key = param(req.query, 'key') ?? null;
      const sync = flag(req, 'sync');
      await cluster.autoCreate(topic);
      options.onTopicReady?.(topic);
      const { queued, delivered: sending } = producer.sendQueued({ topic, payload, key, headers });
      // librdkafka refuses some messages at once (too large, a topic it knows does not exist):
      // their promise is already rejected, and wins the race against one already resolved.
      try {
        await Promise.race([sending, ACCEPTED]);
      } catch (error) {
        throw produceError(error, topic, messageSize(payload, key, headers), options.messageMaxBytes, true);
      }
      if (!sync) {
        sending.catch(ignore); // async: the client asked not to wait (at-most-once)
        // A full queue holds the answer until librdkafka has the message, so the sends waiting for
        // room stay bounded by the requests open.
        try {
          await queued;
        } catch (error) {
          throw produceError(error, topic, messageSize(payload, key, headers), options.messageMaxBytes, true);
        }
        return reply.code(200).header('content-type', JSON_TYPE).send(EMPTY_OBJECT);
      }
      try {
        const { partition, offset } = await sending;
        return reply.code(200).send({ partition, offset });
      } catch (error) {
        throw produceError(error, topic, messageSize(payload, key, headers), options.messageMaxBytes, false);
      }
    });

    app.get(`${prefix}/topics/:topic/messages`, async (req: Req, reply: FastifyReply) => {
      const atOnce = consumeAtOnce(options, clusterOf(req), req.params.topic, req.query);
      const { status, body } = 'status' in atOnce ? atOnce : await consumeMessage(options, atOnce, cancelOnClose(reply));
      return reply.code(status).header('content-type', JSON_TYPE).send(body);
    });

    app.post(`${prefix}/topics/:topic/acks`, async (req: Req, reply: FastifyReply) => {
      const { status, body } = ackMessage(options, clusterOf(req), req.params.topic, req.query);
      return reply.code(status).header('content-type', JSON_TYPE).send(body);
    });

    app.get(`${prefix}/topics/:topic/offsets`, async (req: Req, reply: FastifyReply) => {
      checkPath(req);
      const group = requireParam(req.query, 'group');
      const { topic } = req.params;
      const partitions = await cluster.partitions(topic);
      if (partitions === undefined) throw new PixyError(404, `Unknown topic ${topic}`);
      const committed = await cluster.committedOffsets(group, topic);
      const rows = [];
      for (const { partition } of partitions) {
        const { low, high } = await cluster.watermarks(topic, partition);
        const c = committed.get(partition);
        const offset = c === undefined ? high : c.offset;
        rows.push({ partition, begin: low, end: high, count: high - low, offset, lag: high - offset, ...(c?.metadata ? { metadata: c.metadata } : {}) });
      }
      return reply.code(200).send(rows);
    });

    app.post(`${prefix}/topics/:topic/offsets`, async (req: Req, reply: FastifyReply) => {
      checkPath(req);
      const group = requireParam(req.query, 'group');
      const { topic } = req.params;
      const shape = 'The body must be a JSON array of {partition, offset, metadata?}';
      let body: unknown;
      try {
        body = JSON.parse(((req.body as Buffer | undefined) ?? Buffer.alloc(0)).toString('utf8'));
      } catch {
        throw new PixyError(400, shape);
      }
      if (!Array.isArray(body)) throw new PixyError(400, shape);
      const partitions = await cluster.partitions(topic);
      if (partitions === undefined) throw new PixyError(404, `Unknown topic ${topic}`);
      const offsets = body.map((entry: unknown, i: number) => {
        const o = (typeof entry === 'object' && entry !== null ? entry : {}) as { partition?: unknown; offset?: unknown; metadata?: unknown };
        if (!Number.isInteger(o.partition) || !Number.isSafeInteger(o.offset)) throw new PixyError(400, `Entry ${i}: ${shape.slice('The body must be a JSON array of '.length)} with integer partition and offset`);
        const partition = o.partition as number;
        const offset = o.offset as number;
        if (!partitions.some((p) => p.partition === partition)) throw new PixyError(400, `Entry ${i}: topic ${topic} has no partition ${partition} (it has ${partitions.length})`);
        if (offset < 0) throw new PixyError(400, `Entry ${i}: offset must be 0 or more, got ${offset}`);
        if (o.metadata !== undefined && typeof o.metadata !== 'string') throw new PixyError(400, `Entry ${i}: metadata must be a string`);
        return { partition, offset, metadata: o.metadata as string | undefined };
      });
      if (offsets.length === 0) return reply.code(200).send({});
      try {
        await cluster.setOffsets(group, topic, offsets);
      } catch (error) {
        if (error instanceof KafkaError && GROUP_HAS_MEMBERS.has(error.code)) {
          throw new PixyError(409, `Kafka refused offsets for group ${group} (${error.message}): it takes offsets set from outside a group only while the group has no members; set them once its consumers have left`);
        }
        throw error;
      }
      return reply.code(200).send({});
    });

    app.get(`${prefix}/topics/:topic/consumers`, async (req: Req, reply: FastifyReply) => {
      checkPath(req);
      const group = param(req.query, 'group');
      return reply.code(200).send(await cluster.members(req.params.topic, group));
    });

    app.get(`${prefix}/topics`, async (req: Req, reply: FastifyReply) => {
      checkPath(req);
      const names = await cluster.topics();
      if (!flag(req, 'withPartitions') && !flag(req, 'withConfig')) return reply.code(200).send(names);
      const out: { [topic: string]: object } = {};
      for (const name of names) out[name] = await topicBody(name, req);
      return reply.code(200).send(out);
    });

    app.get(`${prefix}/topics/:topic`, async (req: Req, reply: FastifyReply) => {
      checkPath(req);
      if ((await cluster.partitions(req.params.topic)) === undefined) throw new PixyError(404, `Unknown topic ${req.params.topic}`);
      return reply.code(200).send(await topicBody(req.params.topic, req, true));
    });

    app.get(`${prefix}/_ping`, async (req: Req, reply: FastifyReply) => {
      checkPath(req);
      return reply.code(200).header('content-type', 'text/plain').send('pong');
    });
  };

  const topicBody = async (topic: string, req: Req, alwaysConfig = false) => {
    const body: { config?: object; partitions?: object[] } = {};
    if (alwaysConfig || flag(req, 'withConfig')) body.config = await cluster.configs(topic);
    if (flag(req, 'withPartitions')) {
      body.partitions = ((await cluster.partitions(topic)) ?? []).map((p) => ({ partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr }));
    }
    return body;
  };

  routes('');
  routes('/clusters/:cluster');
}
