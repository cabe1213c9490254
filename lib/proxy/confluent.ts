// The Confluent REST Proxy API: v2 in full (binary and json), the v1 consumer subset, v3 records.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Producer, ProducerRecord } from '../producer';
import type { Record } from '../record';
import { parseAccept, parseMediaType, produceFormat, type EmbeddedFormat } from './content-type';
import { ConsumerInstances, type ConsumerInstance } from './consumer-instances';
import { RestError, fromKafka, invalid, notFoundPartition, notFoundTopic } from './rest-error';

/** What the metadata endpoints need from the cluster. */
export interface PartitionView {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}
export interface ClusterView {
  clusterId(): Promise<string>;
  brokers(): Promise<number[]>;
  /** Topic names, internal ones left out. */
  topics(): Promise<string[]>;
  /** Partitions of a topic, or undefined when it does not exist. */
  partitions(topic: string): Promise<PartitionView[] | undefined>;
  configs(topic: string): Promise<{ [key: string]: string }>;
  watermarks(topic: string, partition: number): Promise<{ low: number; high: number }>;
  createTopic(name: string, partitions: number, replicationFactor: number, configs: { [key: string]: string }): Promise<void>;
}

export interface ConfluentOptions {
  producer: Producer;
  instances: ConsumerInstances;
  cluster: ClusterView;
  /** Base of the URIs handed to clients, e.g. http://127.0.0.1:8082 */
  advertisedUrl: string;
  maxRequestBytes: number;
  /** Most records in one produce request (max.request.records). */
  maxRequestRecords: number;
}

type Params = { [key: string]: string };
type Req = FastifyRequest<{ Params: Params; Querystring: { [key: string]: string | undefined } }>;

const V2 = 'application/vnd.kafka.v2+json';

function integerParam(value: string | undefined, name: string, min = 0): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < min) throw new RestError(404, 404, `Invalid ${name}: ${JSON.stringify(value)}`);
  return n;
}

/** Decodes one key or value of a produce request in the request's format. */
function decode(value: unknown, format: EmbeddedFormat, what: string): Buffer | null {
  if (value === undefined || value === null) return null;
  if (format === 'binary') {
    if (typeof value !== 'string' || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
      throw new RestError(422, 42206, `Invalid ${what}: binary data must be a base64 string`);
    }
    return Buffer.from(value, 'base64');
  }
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Encodes a consumed key or value for the instance's format. */
function encode(bytes: Buffer | null, format: 'binary' | 'json'): unknown {
  if (bytes === null) return null;
  if (format === 'binary') return bytes.toString('base64');
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new RestError(500, 50002, 'A record is not valid JSON: read this topic with the binary format');
  }
}

/** The JSON body of a GET (Fastify does not read those): the raw request, read here. */
async function getBody(req: Req, limit: number): Promise<unknown> {
  if (req.body !== undefined) return req.body;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req.raw as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new RestError(413, 413, `Request body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RestError(400, 400, `Malformed JSON: ${(error as Error).message}`);
  }
}

function asObject(body: unknown, what: string): { [key: string]: unknown } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid(`The ${what} must be a JSON object`);
  return body as { [key: string]: unknown };
}

function topicPartitions(body: unknown, field: 'partitions' | 'offsets'): Array<{ topic: string; partition: number; offset?: number; metadata?: string }> {
  const list = asObject(body, 'request')[field];
  if (!Array.isArray(list)) throw invalid(`The request needs a '${field}' array`);
  return list.map((item, i) => {
    const entry = asObject(item, `${field}[${i}]`);
    if (typeof entry.topic !== 'string' || entry.topic === '') throw invalid(`${field}[${i}].topic must be a topic name`);
    if (!Number.isInteger(entry.partition) || (entry.partition as number) < 0) throw invalid(`${field}[${i}].partition must be a partition number`);
    if (field === 'offsets' && (!Number.isInteger(entry.offset) || (entry.offset as number) < 0)) throw invalid(`${field}[${i}].offset must be an offset`);
    return { topic: entry.topic, partition: entry.partition as number, offset: entry.offset as number | undefined, metadata: entry.metadata as string | undefined };
  });
}

export function registerConfluentRoutes(app: FastifyInstance, options: ConfluentOptions): void {
  const { producer, instances, cluster } = options;

  // Every body is read as text and parsed here, so that malformed JSON is a 400 in our wording
  // whatever the (Kafka) media type; routes check the content type they need.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new RestError(400, 400, `Malformed JSON: ${(error as Error).message}`), undefined);
    }
  });

  app.setErrorHandler((error: FastifyError | RestError | Error, _req, reply) => {
    let rest: RestError;
    if (error instanceof RestError) rest = error;
    else if ((error as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE') rest = new RestError(413, 413, `Request body larger than ${options.maxRequestBytes} bytes`);
    else if ((error as FastifyError).statusCode !== undefined && (error as FastifyError).statusCode! < 500) {
      rest = new RestError((error as FastifyError).statusCode!, (error as FastifyError).statusCode!, error.message);
    } else rest = fromKafka(error);
    void reply.code(rest.status).header('content-type', 'application/vnd.kafka.v2+json').send({ error_code: rest.errorCode, message: rest.message });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).header('content-type', 'application/vnd.kafka.v2+json').send({ error_code: 404, message: `No such endpoint: ${req.method} ${req.url}` });
  });

  const send = (reply: FastifyReply, status: number, body?: unknown) => {
    reply.code(status).header('content-type', V2);
    return status === 204 ? reply.send() : reply.send(body);
  };

  app.get('/', async (_req, reply) => send(reply, 200, {}));

  // ------------------------------------------------------------------ metadata
  app.get('/topics', async (_req, reply) => send(reply, 200, await cluster.topics()));

  app.get('/topics/:topic', async (req: Req, reply) => {
    const { topic } = req.params;
    const partitions = await cluster.partitions(topic);
    if (partitions === undefined) throw notFoundTopic(topic);
    return send(reply, 200, { name: topic, configs: await cluster.configs(topic), partitions: partitions.map(partitionBody) });
  });

  app.get('/topics/:topic/partitions', async (req: Req, reply) => {
    const partitions = await cluster.partitions(req.params.topic);
    if (partitions === undefined) throw notFoundTopic(req.params.topic);
    return send(reply, 200, partitions.map(partitionBody));
  });

  const findPartition = async (topic: string, value: string | undefined) => {
    const number = integerParam(value, 'partition');
    const partitions = await cluster.partitions(topic);
    if (partitions === undefined) throw notFoundTopic(topic);
    const found = partitions.find((p) => p.partition === number);
    if (found === undefined) throw notFoundPartition(topic, number);
    return found;
  };

  app.get('/topics/:topic/partitions/:partition', async (req: Req, reply) =>
    send(reply, 200, partitionBody(await findPartition(req.params.topic, req.params.partition))),
  );

  app.get('/topics/:topic/partitions/:partition/offsets', async (req: Req, reply) => {
    const p = await findPartition(req.params.topic, req.params.partition);
    const { low, high } = await cluster.watermarks(req.params.topic, p.partition);
    return send(reply, 200, { beginning_offset: low, end_offset: high });
  });

  app.get('/brokers', async (_req, reply) => send(reply, 200, { brokers: await cluster.brokers() }));

  // ------------------------------------------------------------------ produce
  const produce = async (req: Req, reply: FastifyReply, pathPartition: number | undefined) => {
    const format = produceFormat(req.headers['content-type']);
    const body = asObject(req.body, 'produce request');
    if (!Array.isArray(body.records) || body.records.length === 0) throw invalid('records must be a non-empty array');
    if (body.records.length > options.maxRequestRecords) {
      throw new RestError(413, 413, `A produce request may carry at most ${options.maxRequestRecords} records (max.request.records); this one has ${body.records.length}`);
    }
    const topic = req.params.topic;
    const records: ProducerRecord[] = body.records.map((item: unknown, i: number) => {
      const record = asObject(item, `records[${i}]`);
      const partition = record.partition ?? pathPartition ?? -1;
      if (!Number.isInteger(partition) || (partition as number) < -1) throw invalid(`records[${i}].partition must be a partition number`);
      return { topic, key: decode(record.key, format, `records[${i}].key`), payload: decode(record.value, format, `records[${i}].value`), partition: partition as number };
    });
    const outcomes = await producer.sendBatchSettled(records);
    return send(reply, 200, {
      key_schema_id: null,
      value_schema_id: null,
      offsets: outcomes.map((o) =>
        o.error === undefined
          ? { partition: o.partition, offset: o.offset, error_code: null, error: null }
          : { partition: null, offset: null, error_code: fromKafka(o.error).errorCode, error: o.error.message },
      ),
    });
  };

  app.post('/topics/:topic', async (req: Req, reply) => produce(req, reply, undefined));
  app.post('/topics/:topic/partitions/:partition', async (req: Req, reply) => produce(req, reply, integerParam(req.params.partition, 'partition')));

  // ------------------------------------------------------------------ consumers
  /** The request's instance, in use until the response is over (so idle time counts from its end). */
  const instanceOf = (req: Req, reply: FastifyReply): ConsumerInstance => {
    const instance = instances.get(req.params.group, req.params.name);
    reply.raw.once('close', instance.idleClock.use()); // sent, or the connection dropped
    return instance;
  };

  app.post('/consumers/:group', async (req: Req, reply) => {
    const instance = instances.create(req.params.group, req.body);
    return send(reply, 200, { instance_id: instance.name, base_uri: `${options.advertisedUrl}/consumers/${encodeURIComponent(instance.group)}/instances/${encodeURIComponent(instance.name)}` });
  });

  app.delete('/consumers/:group/instances/:name', async (req: Req, reply) => {
    await instances.delete(req.params.group, req.params.name);
    return send(reply, 204);
  });

  app.post('/consumers/:group/instances/:name/subscription', async (req: Req, reply) => {
    const instance = instanceOf(req, reply);
    const body = asObject(req.body, 'subscription');
    if (Array.isArray(body.topics) && body.topics.length > 0 && body.topics.every((t) => typeof t === 'string' && t !== '')) {
      subscribe(instance, body.topics as string[], undefined);
    } else if (typeof body.topic_pattern === 'string' && body.topic_pattern !== '') {
      subscribe(instance, [], body.topic_pattern);
    } else {
      throw invalid('The subscription needs a non-empty topics array or a topic_pattern');
    }
    return send(reply, 204);
  });

  app.get('/consumers/:group/instances/:name/subscription', async (req: Req, reply) => {
    const instance = instanceOf(req, reply);
    return send(reply, 200, { topics: instance.subscription });
  });

  app.delete('/consumers/:group/instances/:name/subscription', async (req: Req, reply) => {
    const instance = instanceOf(req, reply);
    instance.consumer.unsubscribe();
    instance.subscription = [];
    instance.pattern = undefined;
    instance.buffered.length = 0;
    return send(reply, 204);
  });

  app.get('/consumers/:group/instances/:name/records', async (req: Req, reply) => {
    const instance = instanceOf(req, reply);
    checkAccept(req, instance);
    if (!instance.subscribed && instance.consumer.assignment().length === 0) throw new RestError(409, 40903, 'The consumer instance is neither subscribed nor assigned');
    const records = await readRecords(instance, req.query);
    return send(reply, 200, records.map((r) => ({ topic: r.topic, key: encode(r.key, instance.format), value: encode(r.payload, instance.format), partition: r.partition, offset: r.offset })));
  });

  // v1: GET /consumers/{group}/instances/{name}/topics/{topic} reads that topic (subscribing once).
  app.get('/consumers/:group/instances/:name/topics/:topic', async (req: Req, reply) => {
    const instance = instanceOf(req, reply);
    checkAccept(req, instance);
    if (!instance.subscription.includes(req.params.topic)) subscribe(instance, [...instance.subscription, req.params.topic], undefined);
    const records = (await readRecords(instance, req.query)).filter((r) => r.topic === req.params.topic);
    reply.code(200).header('content-type', `application/vnd.kafka.${instance.format}.v1+json`);
    return reply.send(records.map((r) => ({ key: encode(r.key, instance.format), value: encode(r.payload, instance.format), partition: r.partition, offset: r.offset })));
  });

  app.post('/consumers/:group/instances/:name/offsets', async (req: Req, reply) => {
    const instance = instanceOf(req, reply);
    const empty = req.body === undefined || req.body === null || (typeof req.body === 'object' && Object.keys(req.body as object).length === 0);
    try {
      if (empty) {
        await instance.commitReturned();
      } else {
        // The client names the last record it processed: the next one to read is offset + 1.
        const offsets = topicPartitions(req.body, 'offsets').map((o) => ({ topic: o.topic, partition: o.partition, offset: (o.offset as number) + 1 }));
        await instance.consumer.commit(offsets);
      }
    } catch (error) {
      throw fromKafka(error);
    }
    return send(reply, 200, {});
  });

  app.get('/consumers/:group/instances/:name/offsets', async (req: Req, reply) => {
    const instance = instanceOf(req, reply);
    const partitions = topicPartitions(await getBody(req, options.maxRequestBytes), 'partitions');
    const offsets = [];
    for (const { topic, partition } of partitions) {
      const committed = await instance.consumer.committed(topic, partition).catch((e: unknown) => {
        throw fromKafka(e);
      });
      if (committed !== undefined) offsets.push({ topic, partition, offset: committed, metadata: '' });
    }
    return send(reply, 200, { offsets });
  });

  app.post('/consumers/:group/instances/:name/assignments', async (req: Req, reply) => {
    const instance = instanceOf(req, reply);
    if (instance.subscribed) throw new RestError(409, 40903, 'Subscribe and assign cannot be mixed: this instance is subscribed');
    const partitions = topicPartitions(req.body, 'partitions');
    instance.consumer.assign(partitions.map(({ topic, partition }) => ({ topic, partition })));
    instance.buffered.length = 0;
    return send(reply, 204);
  });

  app.get('/consumers/:group/instances/:name/assignments', async (req: Req, reply) => {
    const instance = instanceOf(req, reply);
    return send(reply, 200, { partitions: instance.consumer.assignment().map(({ topic, partition }) => ({ topic, partition })) });
  });

  const seek = async (req: Req, reply: FastifyReply, where: (topic: string, partition: number, offset?: number) => Promise<number>) => {
    const instance = instanceOf(req, reply);
    const field = req.url.endsWith('/positions') ? 'offsets' : 'partitions';
    const targets = topicPartitions(req.body, field);
    const assigned = new Set(instance.consumer.assignment().map((tp) => `${tp.topic}\0${tp.partition}`));
    for (const t of targets) {
      if (!assigned.has(`${t.topic}\0${t.partition}`)) throw new RestError(409, 40903, `Partition ${t.partition} of ${t.topic} is not assigned to this instance`);
    }
    const offsets = new Map<string, number>();
    for (const t of targets) offsets.set(`${t.topic}\0${t.partition}`, await where(t.topic, t.partition, t.offset));
    if (instance.subscribed) {
      for (const t of targets) instance.consumer.seek(t.topic, t.partition, offsets.get(`${t.topic}\0${t.partition}`) as number);
    } else {
      // A manual assignment is re-made with the new offsets: a seek right after an assign can
      // lose the race with librdkafka's own start-offset lookup. Other partitions keep their place.
      instance.consumer.assign(
        instance.consumer.assignment().map(({ topic, partition }) => {
          const key = `${topic}\0${partition}`;
          return { topic, partition, offset: offsets.get(key) ?? instance.consumer.position(topic, partition) };
        }),
      );
    }
    // Records read ahead for these partitions would come from the old position.
    const moved = new Set(targets.map((t) => `${t.topic}\0${t.partition}`));
    const keep = instance.buffered.filter((r) => !moved.has(`${r.topic}\0${r.partition}`));
    instance.buffered.splice(0, instance.buffered.length, ...keep);
  };

  app.post('/consumers/:group/instances/:name/positions', async (req: Req, reply) => {
    await seek(req, reply, async (_t, _p, offset) => offset as number);
    return send(reply, 204);
  });
  app.post('/consumers/:group/instances/:name/positions/beginning', async (req: Req, reply) => {
    await seek(req, reply, async (t, p) => (await cluster.watermarks(t, p)).low);
    return send(reply, 204);
  });
  app.post('/consumers/:group/instances/:name/positions/end', async (req: Req, reply) => {
    await seek(req, reply, async (t, p) => (await cluster.watermarks(t, p)).high);
    return send(reply, 204);
  });

  // ------------------------------------------------------------------ v3
  app.get('/v3/clusters', async (_req, reply) => {
    const id = await cluster.clusterId();
    return reply.code(200).send({ kind: 'KafkaClusterList', metadata: { self: `${options.advertisedUrl}/v3/clusters` }, data: [clusterBody(options.advertisedUrl, id)] });
  });

  app.get('/v3/clusters/:cluster', async (req: Req, reply) => {
    const id = await checkCluster(cluster, req.params.cluster);
    return reply.code(200).send(clusterBody(options.advertisedUrl, id));
  });

  app.get('/v3/clusters/:cluster/topics', async (req: Req, reply) => {
    const id = await checkCluster(cluster, req.params.cluster);
    const names = await cluster.topics();
    const data = [];
    for (const name of names) data.push(topicBody(options.advertisedUrl, id, name, (await cluster.partitions(name)) ?? []));
    return reply.code(200).send({ kind: 'KafkaTopicList', metadata: { self: `${options.advertisedUrl}/v3/clusters/${id}/topics` }, data });
  });

  app.post('/v3/clusters/:cluster/topics', async (req: Req, reply) => {
    const id = await checkCluster(cluster, req.params.cluster);
    const body = asObject(req.body, 'request');
    if (typeof body.topic_name !== 'string' || body.topic_name === '') throw new RestError(400, 400, 'topic_name is required');
    const partitions = body.partitions_count === undefined ? -1 : Number(body.partitions_count);
    const replication = body.replication_factor === undefined ? -1 : Number(body.replication_factor);
    if (!Number.isInteger(partitions) || !Number.isInteger(replication)) throw new RestError(400, 400, 'partitions_count and replication_factor must be integers');
    const configs: { [key: string]: string } = {};
    if (Array.isArray(body.configs)) for (const c of body.configs as Array<{ name: string; value: string }>) configs[c.name] = String(c.value);
    await cluster.createTopic(body.topic_name, partitions, replication, configs);
    return reply.code(201).send(topicBody(options.advertisedUrl, id, body.topic_name, (await cluster.partitions(body.topic_name)) ?? []));
  });

  app.post('/v3/clusters/:cluster/topics/:topic/records', async (req: Req, reply) => {
    const id = await checkCluster(cluster, req.params.cluster);
    const body = asObject(req.body ?? {}, 'record');
    const data = (part: unknown, what: string): Buffer | null => {
      if (part === undefined || part === null) return null;
      const { type, data: value } = asObject(part, what) as { type?: string; data?: unknown };
      const kind = String(type ?? 'JSON').toUpperCase();
      if (value === undefined || value === null) return null;
      if (kind === 'BINARY') return decode(value, 'binary', `${what}.data`);
      if (kind === 'STRING') {
        if (typeof value !== 'string') throw new RestError(400, 400, `${what}.data must be a string for type STRING`);
        return Buffer.from(value, 'utf8');
      }
      if (kind === 'JSON') return Buffer.from(JSON.stringify(value), 'utf8');
      throw new RestError(400, 400, `${what}.type must be BINARY, JSON or STRING (schema types need a Schema Registry)`);
    };
    const headers = Array.isArray(body.headers)
      ? (body.headers as Array<{ name: string; value?: string | null }>).map((h, i): [string, Buffer | null] => {
          if (typeof h?.name !== 'string') throw new RestError(400, 400, `headers[${i}].name must be a string`);
          return [h.name, h.value === undefined || h.value === null ? null : decode(h.value, 'binary', `headers[${i}].value`)];
        })
      : undefined;
    const partition = body.partition_id === undefined || body.partition_id === null ? -1 : Number(body.partition_id);
    if (!Number.isInteger(partition) || partition < -1) throw new RestError(400, 400, 'partition_id must be a partition number');
    const timestamp = body.timestamp === undefined || body.timestamp === null ? undefined : Date.parse(String(body.timestamp));
    if (timestamp !== undefined && Number.isNaN(timestamp)) throw new RestError(400, 400, 'timestamp must be an ISO-8601 date-time');
    const key = data(body.key, 'key');
    const value = data(body.value, 'value');
    const topic = req.params.topic;
    const [outcome] = await producer.sendBatchSettled([{ topic, key, payload: value, partition, headers, timestamp }]);
    if (outcome.error !== undefined) throw fromKafka(outcome.error);
    return reply.code(200).send({
      error_code: 200,
      cluster_id: id,
      topic_name: topic,
      partition_id: outcome.partition,
      offset: outcome.offset,
      timestamp: new Date(timestamp ?? Date.now()).toISOString(),
      key: key === null ? null : { type: String((body.key as { type?: string }).type ?? 'JSON').toUpperCase(), size: key.length },
      value: value === null ? null : { type: String((body.value as { type?: string }).type ?? 'JSON').toUpperCase(), size: value.length },
    });
  });

  function subscribe(instance: ConsumerInstance, topics: string[], pattern: string | undefined): void {
    if (instance.consumer.assignment().length > 0 && !instance.subscribed) throw new RestError(409, 40903, 'Subscribe and assign cannot be mixed: this instance has assigned partitions');
    try {
      // librdkafka reads a topic name starting with ^ as a regular expression.
      instance.consumer.subscribe(pattern === undefined ? topics : [pattern.startsWith('^') ? pattern : `^${pattern}`]);
    } catch (error) {
      throw fromKafka(error);
    }
    instance.subscription = topics;
    instance.pattern = pattern;
  }
}

function checkAccept(req: Req, instance: ConsumerInstance): void {
  const accept = parseAccept(req.headers.accept);
  if (accept === undefined || (accept.format !== undefined && accept.format !== instance.format)) {
    throw new RestError(406, 40601, `The requested embedded format does not match the consumer instance's format '${instance.format}'`);
  }
}

/** One records request: waits up to the timeout for data, returns early past fetch.min.bytes. */
async function readRecords(instance: ConsumerInstance, query: { [key: string]: string | undefined }): Promise<Record[]> {
  const requested = query.timeout === undefined ? instance.requestTimeoutMs : Number(query.timeout);
  const maxBytes = query.max_bytes === undefined ? Infinity : Number(query.max_bytes);
  if (!Number.isFinite(requested) || requested < 0) throw invalid('timeout must be a number of milliseconds');
  if (!(maxBytes > 0)) throw invalid('max_bytes must be a positive number');
  const deadline = Date.now() + Math.min(requested, instance.requestTimeoutMs);
  const out: Record[] = [];
  let bytes = 0;
  const size = (r: Record) => (r.key?.length ?? 0) + (r.payload?.length ?? 0);
  try {
    for (;;) {
      const wait = out.length === 0 || bytes <= instance.fetchMinBytes ? Math.max(0, deadline - Date.now()) : 0;
      const record = instance.buffered.shift() ?? (await instance.consumer.consumeRecord(wait));
      if (record === undefined) {
        if (Date.now() >= deadline || (out.length > 0 && bytes > instance.fetchMinBytes)) break;
        continue;
      }
      if (out.length > 0 && bytes + size(record) > maxBytes) {
        instance.buffered.unshift(record); // kept for the next request
        break;
      }
      out.push(record);
      bytes += size(record);
      if (bytes >= maxBytes) break;
    }
  } catch (error) {
    if (out.length === 0) throw fromKafka(error);
  }
  instance.markReturned(out);
  return out;
}

async function checkCluster(cluster: ClusterView, requested: string): Promise<string> {
  const id = await cluster.clusterId();
  if (requested !== id) throw new RestError(404, 404, `Cluster ${requested} not found`);
  return id;
}

function partitionBody(p: PartitionView) {
  return { partition: p.partition, leader: p.leader, replicas: p.replicas.map((broker) => ({ broker, leader: broker === p.leader, in_sync: p.isr.includes(broker) })) };
}

function clusterBody(base: string, id: string) {
  return { kind: 'KafkaCluster', metadata: { self: `${base}/v3/clusters/${id}` }, cluster_id: id, topics: { related: `${base}/v3/clusters/${id}/topics` } };
}

function topicBody(base: string, id: string, name: string, partitions: PartitionView[]) {
  const replication = partitions[0]?.replicas.length ?? 0;
  return { kind: 'KafkaTopic', metadata: { self: `${base}/v3/clusters/${id}/topics/${name}` }, cluster_id: id, topic_name: name, is_internal: name.startsWith('__'), replication_factor: replication, partitions_count: partitions.length };
}

export { parseMediaType };
