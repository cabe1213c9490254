// The Kafka-Pixy HTTP API: message-at-a-time produce and long-poll consume per group.
// Errors are {"error": "text"}. Every route also answers under /clusters/{cluster}.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KafkaError } from '../errors';
import type { Producer } from '../producer';
import type { ClusterView } from './confluent';
import type { PixyGroups } from './pixy-groups';

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
  /** Set while shutting down: produce answers 503. */
  stopping: () => boolean;
}

type Req = FastifyRequest<{ Params: { [key: string]: string }; Querystring: { [key: string]: string | undefined } }>;

const flag = (value: string | undefined) => value !== undefined;

function requireParam(req: Req, name: string): string {
  const value = req.query[name];
  if (value === undefined || value === '') throw new PixyError(400, `${name} parameter is required`);
  return value;
}

function integer(value: string | undefined, name: string): number {
  const n = Number(value);
  if (value === undefined || value === '' || !Number.isInteger(n) || n < 0) throw new PixyError(400, `${name} must be a non-negative integer, got ${JSON.stringify(value ?? '')}`);
  return n;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** X-Kafka-<name>: <base64> request headers, as record headers. */
function recordHeaders(req: Req): Array<[string, Buffer]> {
  const headers: Array<[string, Buffer]> = [];
  for (let i = 0; i < req.raw.rawHeaders.length; i += 2) {
    const name = req.raw.rawHeaders[i];
    if (!/^x-kafka-/i.test(name)) continue;
    const value = req.raw.rawHeaders[i + 1].trim();
    if (value.length % 4 !== 0 || !BASE64.test(value)) throw new PixyError(400, `Header ${name} must be base64`);
    headers.push([name.slice('x-kafka-'.length), Buffer.from(value, 'base64')]);
  }
  return headers;
}

export function registerPixyRoutes(app: FastifyInstance, options: PixyOptions): void {
  const { producer, groups, cluster } = options;

  // The raw body is the message (text/plain, application/json), or the form field "msg".
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _req, reply) => {
    let status = 500;
    if (error instanceof PixyError) status = error.status;
    else if (error instanceof KafkaError && error.code === -165) status = 501; // what the embedded broker cannot do
    else if (error instanceof TypeError && error.message.startsWith('Expected ')) status = 400; // a request's value the client classes refuse
    else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') status = 413;
    else if (error.statusCode !== undefined && error.statusCode < 500) status = error.statusCode;
    void reply.code(status).send({ error: error.message });
  });
  app.setNotFoundHandler((req, reply) => void reply.code(404).send({ error: `No such endpoint: ${req.method} ${req.url}` }));

  const routes = (prefix: string) => {
    const checkCluster = (req: Req) => {
      if (prefix !== '' && req.params.cluster !== options.clusterName) throw new PixyError(400, `Unknown cluster ${req.params.cluster}`);
    };

    app.post(`${prefix}/topics/:topic/messages`, async (req: Req, reply: FastifyReply) => {
      checkCluster(req);
      if (options.stopping()) throw new PixyError(503, 'The proxy is stopping');
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      const raw = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
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
      const key = req.query.key === undefined ? null : req.query.key;
      const sending = producer.send({ topic: req.params.topic, payload, key, headers: headers.length > 0 ? headers : undefined });
      if (!flag(req.query.sync)) {
        sending.catch(() => undefined); // async: the client asked not to wait (at-most-once)
        return reply.code(200).send({});
      }
      try {
        const { partition, offset } = await sending;
        return reply.code(200).send({ partition, offset });
      } catch (error) {
        if (error instanceof TypeError) throw error; // a value the producer refuses: the error handler answers 400
        if (error instanceof KafkaError && error.code === 17) throw new PixyError(400, error.message); // the broker refuses the topic's name
        if (error instanceof KafkaError && (error.code === 3 || error.code === -188)) throw new PixyError(404, `Unknown topic ${req.params.topic}`);
        throw new PixyError(error instanceof KafkaError && error.retriable ? 503 : 500, (error as Error).message);
      }
    });

    app.get(`${prefix}/topics/:topic/messages`, async (req: Req, reply: FastifyReply) => {
      checkCluster(req);
      const group = requireParam(req, 'group');
      const { ackPartition, ackOffset } = req.query;
      if ((ackPartition === undefined) !== (ackOffset === undefined)) throw new PixyError(400, 'ackPartition and ackOffset go together');
      const consumer = groups.get(group, req.params.topic);
      if (ackPartition !== undefined && !consumer.ack(integer(ackPartition, 'ackPartition'), integer(ackOffset, 'ackOffset'))) {
        throw new PixyError(400, `Partition ${ackPartition} was never handed out by this process`);
      }
      let record;
      try {
        record = await consumer.next(options.longPollTimeoutMs, !flag(req.query.noAck));
      } catch (error) {
        if (error instanceof KafkaError && error.code === 3) throw new PixyError(404, error.message); // a topic the broker does not have
        throw new PixyError(500, (error as Error).message);
      }
      if (record === undefined) return reply.code(408).send({ error: 'long polling timeout' });
      return reply.code(200).send({
        key: record.key === null ? null : record.key.toString('base64'),
        value: record.payload === null ? null : record.payload.toString('base64'),
        partition: record.partition,
        offset: record.offset,
        headers: record.headers.map(([name, value]) => ({ key: name, value: value === null ? null : value.toString('base64') })),
      });
    });

    app.post(`${prefix}/topics/:topic/acks`, async (req: Req, reply: FastifyReply) => {
      checkCluster(req);
      const group = requireParam(req, 'group');
      const partition = integer(req.query.partition, 'partition');
      const offset = integer(req.query.offset, 'offset');
      const consumer = groups.find(group, req.params.topic);
      if (consumer === undefined || !consumer.ack(partition, offset)) throw new PixyError(500, `Partition ${partition} of ${req.params.topic} was never handed out to group ${group} by this process`);
      return reply.code(200).send({});
    });

    app.get(`${prefix}/topics/:topic/offsets`, async (req: Req, reply: FastifyReply) => {
      checkCluster(req);
      const group = requireParam(req, 'group');
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
      checkCluster(req);
      const group = requireParam(req, 'group');
      const { topic } = req.params;
      let body: unknown;
      try {
        body = JSON.parse(((req.body as Buffer | undefined) ?? Buffer.alloc(0)).toString('utf8'));
      } catch {
        throw new PixyError(400, 'The body must be a JSON array of {partition, offset, metadata?}');
      }
      if (!Array.isArray(body)) throw new PixyError(400, 'The body must be a JSON array of {partition, offset, metadata?}');
      const offsets = body.map((o: { partition?: unknown; offset?: unknown; metadata?: unknown }, i: number) => {
        if (!Number.isInteger(o?.partition) || !Number.isInteger(o?.offset)) throw new PixyError(400, `Entry ${i} needs integer partition and offset`);
        return { partition: o.partition as number, offset: o.offset as number, metadata: typeof o.metadata === 'string' ? o.metadata : undefined };
      });
      if ((await cluster.partitions(topic)) === undefined) throw new PixyError(404, `Unknown topic ${topic}`);
      if (offsets.length > 0) await cluster.setOffsets(group, topic, offsets); // librdkafka refuses an empty commit
      return reply.code(200).send({});
    });

    app.get(`${prefix}/topics/:topic/consumers`, async (req: Req, reply: FastifyReply) => {
      checkCluster(req);
      return reply.code(200).send(await cluster.members(req.params.topic, req.query.group));
    });

    app.get(`${prefix}/topics`, async (req: Req, reply: FastifyReply) => {
      checkCluster(req);
      const names = await cluster.topics();
      if (!flag(req.query.withPartitions) && !flag(req.query.withConfig)) return reply.code(200).send(names);
      const out: { [topic: string]: object } = {};
      for (const name of names) out[name] = await topicBody(name, req);
      return reply.code(200).send(out);
    });

    app.get(`${prefix}/topics/:topic`, async (req: Req, reply: FastifyReply) => {
      checkCluster(req);
      if ((await cluster.partitions(req.params.topic)) === undefined) throw new PixyError(404, `Unknown topic ${req.params.topic}`);
      return reply.code(200).send(await topicBody(req.params.topic, req, true));
    });

    app.get(`${prefix}/_ping`, async (req: Req, reply: FastifyReply) => {
      checkCluster(req);
      return reply.code(200).header('content-type', 'text/plain').send('pong');
    });
  };

  const topicBody = async (topic: string, req: Req, alwaysConfig = false) => {
    const body: { config?: object; partitions?: object[] } = {};
    if (alwaysConfig || flag(req.query.withConfig)) body.config = await cluster.configs(topic);
    if (flag(req.query.withPartitions)) {
      body.partitions = ((await cluster.partitions(topic)) ?? []).map((p) => ({ partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr }));
    }
    return body;
  };

  routes('');
  routes('/clusters/:cluster');
}
