// The REST proxy's v3 admin API (Confluent's api/v3/openapi.yaml): clusters, brokers and their
// configs, cluster-wide broker configs, topics, topic configs, partitions and their offsets,
// replicas and replica reassignments. Everything goes through our Admin class; what librdkafka
// cannot do is answered 501 naming the reason (and the librdkafka version that would do it).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Admin, ClusterMetadata, ConfigEntry, ConfigSource, PartitionMetadata, ResourceType, TopicMetadata } from '../admin';
import { ErrorCode, KafkaError } from '../errors';
import { capi } from '../native';
import { topicNameProblem } from '../validate';
import type { ConfluentOptions, TopicShape } from './confluent';
import { RestError, fromKafka, invalidTopicName } from './rest-error';
import { V3Paths, resourceList, type Resource } from './v3-resources';

type Req = FastifyRequest<{ Params: { [key: string]: string }; Querystring: { [key: string]: string | undefined } }>;

/** librdkafka's ERR__NOT_IMPLEMENTED: a request of a newer librdkafka than the one loaded. */
const NOT_IMPLEMENTED = -170;

/** Kafka's refusals of what was asked (Confluent's proxy answers them 400 / 40002). */
const BAD_REQUEST_CODES = new Set<number>([
  17, // INVALID_TOPIC_EXCEPTION
  36, // TOPIC_ALREADY_EXISTS
  37, // INVALID_PARTITIONS
  38, // INVALID_REPLICATION_FACTOR
  39, // INVALID_REPLICA_ASSIGNMENT
  40, // INVALID_CONFIG
  42, // INVALID_REQUEST
  44, // POLICY_VIOLATION
  73, // TOPIC_DELETION_DISABLED
  ErrorCode._INVALID_ARG,
]);

/** Kafka's config sources as the v3 API names them (ConfigSource). */
const SOURCES: { [source in ConfigSource]: string } = {
  unknown: 'UNKNOWN',
  'dynamic-topic': 'DYNAMIC_TOPIC_CONFIG',
  'dynamic-broker': 'DYNAMIC_BROKER_CONFIG',
  'dynamic-default-broker': 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  'static-broker': 'STATIC_BROKER_CONFIG',
  default: 'DEFAULT_CONFIG',
};

/** How many topics' configs `topics/-/configs` describes at once. */
const DESCRIBE_CONCURRENCY = 4;

const INT32_MAX = 2147483647;
/** The most partitions and replicas our Admin asks for (librdkafka's bounds), checked here to name the v3 field. */
const MAX_PARTITIONS = 1000000;
const MAX_REPLICATION_FACTOR = 32767;

/** The REST answer for an Admin failure: Kafka's refusals of the request are 400 / 40002. */
function adminError(error: unknown): RestError {
  if (error instanceof KafkaError) {
    if (BAD_REQUEST_CODES.has(error.code)) return new RestError(400, 40002, error.message);
    if (error.code === ErrorCode.UNKNOWN_TOPIC_OR_PART) return new RestError(404, 40403, error.message);
    if (error.code === NOT_IMPLEMENTED) return new RestError(501, 501, error.message);
  }
  if (error instanceof TypeError) return new RestError(400, 400, error.message);
  return fromKafka(error);
}

/** Awaits an Admin call, its failure as the REST error it maps to. */
async function kafka<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw adminError(error);
  }
}

function badRequest(message: string): RestError {
  return new RestError(400, 400, message);
}

function objectBody(body: unknown, what = 'The request body'): { [key: string]: unknown } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest(`${what} must be a JSON object`);
  return body as { [key: string]: unknown };
}

/** A partition or broker id from the path: a non-negative 32-bit integer, else 400 naming it. */
function idParam(value: string | undefined, name: string): number {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || n > INT32_MAX) throw badRequest(`${name} must be a non-negative integer, not ${JSON.stringify(value)}`);
  return n;
}

function checkTopicName(name: string): string {
  const problem = topicNameProblem(name);
  if (problem !== undefined) throw invalidTopicName(name, problem);
  return name;
}

const notFoundTopic = (topic: string) => new RestError(404, 40403, `Topic '${topic}' not found`);
const notFoundPartition = (topic: string, partition: number) => new RestError(404, 40403, `Partition ${partition} of topic '${topic}' not found`);
const notFoundBroker = (broker: number) => new RestError(404, 404, `Broker ${broker} not found`);
const notFoundConfig = (name: string, owner: string) => new RestError(404, 404, `Config '${name}' not found for ${owner}`);

/** Kafka's own topics (the v3 API lists them, flagged is_internal). */
function isInternal(name: string): boolean {
  return name.startsWith('__');
}

/**
 * The replicas of each partition from a create request's replicas_assignments ({partition_id,
 * broker_ids} per partition, every partition once), checked against the counts the request also gives.
 */
function placement(value: unknown, partitions: number, replicationFactor: number): number[][] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_PARTITIONS) throw badRequest(`replicas_assignments must be a non-empty array of {partition_id, broker_ids}, one per partition (up to ${MAX_PARTITIONS})`);
  const replicas: number[][] = new Array(value.length);
  value.forEach((item, i) => {
    const { partition_id: partition, broker_ids: brokers } = objectBody(item, `replicas_assignments[${i}]`);
    if (!Number.isInteger(partition) || (partition as number) < 0 || (partition as number) >= value.length) {
      throw badRequest(`replicas_assignments[${i}].partition_id must be one of 0 to ${value.length - 1} (one entry per partition), not ${JSON.stringify(partition)}`);
    }
    if (replicas[partition as number] !== undefined) throw badRequest(`replicas_assignments[${i}]: partition ${partition} is placed twice`);
    if (!Array.isArray(brokers) || brokers.length === 0 || brokers.length > MAX_REPLICATION_FACTOR || !brokers.every((b) => Number.isInteger(b) && b >= 0 && b <= INT32_MAX)) {
      throw badRequest(`replicas_assignments[${i}].broker_ids must be a non-empty array of broker ids, not ${JSON.stringify(brokers)}`);
    }
    if (replicationFactor !== -1 && brokers.length !== replicationFactor) throw badRequest(`replication_factor ${replicationFactor} disagrees with replicas_assignments[${i}] (${brokers.length} brokers): give one or make them agree`);
    replicas[partition as number] = brokers as number[];
  });
  if (partitions !== -1 && partitions !== value.length) throw badRequest(`partitions_count ${partitions} disagrees with the ${value.length} partition(s) of replicas_assignments: give one or make them agree`);
  return replicas;
}

/** A config change of a v3 request: a value to set, or null to return to the default. */
interface ConfigChange {
  name: string;
  value: string | null;
}

export function registerV3AdminRoutes(app: FastifyInstance, options: ConfluentOptions): void {
  const { cluster } = options;
  const admin = (): Admin => cluster.admin;

  /** The cluster's metadata, once the path's cluster id is the cluster's (404 otherwise). */
  async function clusterOf(req: Req): Promise<{ paths: V3Paths; md: ClusterMetadata }> {
    const md = await kafka(cluster.metadata());
    if (req.params.cluster !== md.clusterId) throw new RestError(404, 404, `Cluster ${req.params.cluster} not found`);
    return { paths: new V3Paths(options.advertisedUrl, md.clusterId), md };
  }

  function topicOf(md: ClusterMetadata, name: string): TopicMetadata {
    const topic = md.topics.find((t) => t.name === name && t.error === 0);
    if (topic === undefined) throw notFoundTopic(name);
    return topic;
  }

  function partitionOf(md: ClusterMetadata, topicName: string, partitionParam: string): PartitionMetadata {
    const topic = topicOf(md, topicName);
    const id = idParam(partitionParam, 'partition_id');
    const partition = topic.partitions.find((p) => p.partition === id);
    if (partition === undefined) throw notFoundPartition(topicName, id);
    return partition;
  }

  function brokerOf(md: ClusterMetadata, brokerParam: string): number {
    const id = idParam(brokerParam, 'broker_id');
    if (!md.brokers.some((b) => b.id === id)) throw notFoundBroker(id);
    return id;
  }

  // ------------------------------------------------------------------ bodies
  function clusterBody(paths: V3Paths, md: ClusterMetadata) {
    return {
      ...paths.resource('KafkaCluster', [], []),
      cluster_id: md.clusterId,
      ...(md.controllerId >= 0 ? { controller: paths.related('brokers', md.controllerId) } : {}),
      acls: paths.related('acls'),
      brokers: paths.related('brokers'),
      broker_configs: paths.related('broker-configs'),
      consumer_groups: paths.related('consumer-groups'),
      topics: paths.related('topics'),
      partition_reassignments: paths.related('topics', '-', 'partitions', '-', 'reassignment'),
    };
  }

  function brokerBody(paths: V3Paths, broker: { id: number; host: string; port: number }) {
    return {
      ...paths.resource('KafkaBroker', ['brokers', broker.id], [['broker', broker.id]]),
      cluster_id: paths.clusterId,
      broker_id: broker.id,
      host: broker.host,
      port: broker.port,
      rack: null, // librdkafka's metadata does not carry the rack
      configs: paths.related('brokers', broker.id, 'configs'),
      partition_replicas: paths.related('brokers', broker.id, 'partition-replicas'),
    };
  }

  function topicBody(paths: V3Paths, name: string, shape: TopicShape) {
    return {
      ...paths.resource('KafkaTopic', ['topics', name], [['topic', name]]),
      cluster_id: paths.clusterId,
      topic_name: name,
      is_internal: isInternal(name),
      replication_factor: shape.replicationFactor,
      partitions_count: shape.partitionsCount,
      partitions: paths.related('topics', name, 'partitions'),
      configs: paths.related('topics', name, 'configs'),
      partition_reassignments: paths.related('topics', name, 'partitions', '-', 'reassignment'),
    };
  }

  const shapeOf = (topic: TopicMetadata): TopicShape => ({ partitionsCount: topic.partitions.length, replicationFactor: topic.partitions[0]?.replicas.length ?? 0 });

  function partitionBody(paths: V3Paths, topic: string, p: PartitionMetadata) {
    return {
      ...paths.resource('KafkaPartition', ['topics', topic, 'partitions', p.partition], [['topic', topic], ['partition', p.partition]]),
      cluster_id: paths.clusterId,
      topic_name: topic,
      partition_id: p.partition,
      ...(p.leader >= 0 ? { leader: paths.related('topics', topic, 'partitions', p.partition, 'replicas', p.leader) } : {}),
      replicas: paths.related('topics', topic, 'partitions', p.partition, 'replicas'),
      reassignment: paths.related('topics', topic, 'partitions', p.partition, 'reassignment'),
    };
  }

  function replicaBody(paths: V3Paths, topic: string, p: PartitionMetadata, broker: number) {
    return {
      ...paths.resource('KafkaReplica', ['topics', topic, 'partitions', p.partition, 'replicas', broker], [['topic', topic], ['partition', p.partition], ['replica', broker]]),
      cluster_id: paths.clusterId,
      topic_name: topic,
      partition_id: p.partition,
      broker_id: broker,
      is_leader: p.leader === broker,
      is_in_sync: p.isr.includes(broker),
      broker: paths.related('brokers', broker),
    };
  }

  /** The fields every config resource has (AbstractConfigData), after the owner's own. */
  function configFields(entry: ConfigEntry) {
    return {
      name: entry.name,
      value: entry.value,
      is_default: entry.isDefault,
      is_read_only: entry.readOnly,
      is_sensitive: entry.sensitive,
      source: SOURCES[entry.source],
      synonyms: entry.synonyms.map((s) => ({ name: s.name, value: s.value, source: SOURCES[s.source] })),
    };
  }

  function topicConfigBody(paths: V3Paths, topic: string, entry: ConfigEntry) {
    return {
      ...paths.resource('KafkaTopicConfig', ['topics', topic, 'configs', entry.name], [['topic', topic], ['config', entry.name]]),
      cluster_id: paths.clusterId,
      topic_name: topic,
      ...configFields(entry),
    };
  }

  function brokerConfigBody(paths: V3Paths, broker: number, entry: ConfigEntry) {
    return {
      ...paths.resource('KafkaBrokerConfig', ['brokers', broker, 'configs', entry.name], [['broker', broker], ['config', entry.name]]),
      cluster_id: paths.clusterId,
      broker_id: broker,
      ...configFields(entry),
    };
  }

  function clusterConfigBody(paths: V3Paths, entry: ConfigEntry) {
    return {
      ...paths.resource('KafkaClusterConfig', ['broker-configs', entry.name], [['broker-config', entry.name]]),
      cluster_id: paths.clusterId,
      config_type: 'BROKER',
      ...configFields(entry),
    };
  }

  // ------------------------------------------------------------------ configs
  const describe = (type: ResourceType, name: string): Promise<ConfigEntry[]> => kafka(admin().describeConfigs(type, name));

  async function findConfig(type: ResourceType, owner: string, name: string, what: string): Promise<ConfigEntry> {
    const entry = (await describe(type, owner)).find((e) => e.name === name);
    if (entry === undefined) throw notFoundConfig(name, what);
    return entry;
  }

  /**
   * The cluster-wide broker configs (Kafka's resource BROKER ""), as a broker reports them: the
   * value each has in the cluster-wide layer, with the layers below it as synonyms. librdkafka
   * cannot ask for the "" resource itself (it wants a broker id), so a broker is asked.
   */
  async function clusterConfigs(md: ClusterMetadata): Promise<ConfigEntry[]> {
    const broker = md.controllerId >= 0 ? md.controllerId : md.brokers[0]?.id;
    if (broker === undefined) throw new RestError(503, 50302, 'No broker is known to ask for the cluster-wide configs');
    const out: ConfigEntry[] = [];
    for (const entry of await describe('broker', String(broker))) {
      const layer = entry.synonyms.findIndex((s) => s.source === 'dynamic-default-broker');
      if (layer < 0) continue;
      const synonyms = entry.synonyms.slice(layer);
      out.push({ ...entry, value: synonyms[0].value, source: 'dynamic-default-broker', isDefault: false, synonyms });
    }
    return out;
  }

  /** Writes of librdkafka < 2.2.0 (read, then AlterConfigs of the whole resource): one at a time per resource. */
  const writing = new Map<string, Promise<void>>();

  /**
   * Changes the named configs of a resource and nothing else: with Kafka's IncrementalAlterConfigs
   * where librdkafka has it (2.2.0+); before that, with the whole-resource AlterConfigs, sending the
   * resource's other dynamic values again (Admin.alterConfigs), which cannot keep a sensitive one.
   */
  async function alterConfigs(type: ResourceType, name: string, changes: ConfigChange[], validateOnly: boolean): Promise<void> {
    if (changes.length === 0) return;
    let incrementalMissing: string;
    try {
      const ops = changes.map((c) => (c.value === null ? { name: c.name, op: 'delete' as const } : { name: c.name, op: 'set' as const, value: c.value }));
      return await admin().incrementalAlterConfigs(type, name, ops, { validateOnly });
    } catch (error) {
      if (!(error instanceof KafkaError && error.code === NOT_IMPLEMENTED)) throw adminError(error);
      incrementalMissing = error.message;
    }
    const key = `${type}\0${name}`;
    const run = (writing.get(key) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => admin().alterConfigs(type, name, Object.fromEntries(changes.map((c) => [c.name, c.value])), { validateOnly }));
    writing.set(key, run);
    try {
      await run;
    } catch (error) {
      const sensitive = error instanceof KafkaError && error.code === ErrorCode._INVALID_ARG ? /keep the value of '([^']*)' \(it is sensitive\)/.exec(error.message) : null;
      if (sensitive !== null) {
        throw new RestError(
          501,
          501,
          `Changing configs of ${type} ${name} would drop its sensitive dynamic config '${sensitive[1]}' (Kafka never shows its value): librdkafka ${capi.Version()[1]} has only Kafka's whole-resource AlterConfigs, which must send every dynamic value again (${incrementalMissing})`,
        );
      }
      throw adminError(error);
    } finally {
      if (writing.get(key) === run) writing.delete(key);
    }
  }

  /** The `data` of a configs:alter request (AlterConfigBatchRequestData), checked whole before anything changes. */
  function batchChanges(body: unknown): { changes: ConfigChange[]; validateOnly: boolean } {
    const request = objectBody(body);
    if (!Array.isArray(request.data)) throw badRequest('data must be an array of {name, value, operation}');
    if (request.validate_only !== undefined && typeof request.validate_only !== 'boolean') throw badRequest('validate_only must be true or false');
    const seen = new Set<string>();
    const changes = request.data.map((item, i): ConfigChange => {
      const { name, value, operation } = objectBody(item, `data[${i}]`);
      if (typeof name !== 'string' || name === '') throw badRequest(`data[${i}].name must be a config name`);
      if (seen.has(name)) throw badRequest(`data[${i}]: config '${name}' is named twice`);
      seen.add(name);
      const op = operation === undefined || operation === null ? 'SET' : operation;
      if (op !== 'SET' && op !== 'DELETE') throw badRequest(`data[${i}].operation must be SET or DELETE, not ${JSON.stringify(operation)}`);
      if (op === 'DELETE') return { name, value: null };
      if (typeof value !== 'string') throw badRequest(`data[${i}].value must be a string to SET '${name}' (DELETE resets it)`);
      return { name, value };
    });
    return { changes, validateOnly: request.validate_only === true };
  }

  /** The value of an Update Config request (UpdateConfigRequestData): a string, or null for the default. */
  function updateValue(body: unknown): string | null {
    const request = objectBody(body);
    if (!('value' in request)) throw badRequest('value is required: the new value as a string (DELETE resets a config)');
    if (request.value !== null && typeof request.value !== 'string') throw badRequest(`value must be a string or null, not ${JSON.stringify(request.value)}`);
    return request.value;
  }

  const ok = (reply: FastifyReply, body: unknown) => reply.code(200).send(body);
  const noContent = (reply: FastifyReply) => reply.code(204).send();

  /** 501 for a request librdkafka cannot make. */
  const cannot = (message: string) => new RestError(501, 501, message);

  const CLUSTER_CONFIG_WRITE =
    "Kafka keeps the cluster-wide broker configs as the config resource BROKER with an empty name, and librdkafka (2.0.2 here, and no release up to 2.15.1) sends no config resource of type BROKER without a broker id: set the config per broker (PUT /v3/clusters/{cluster_id}/brokers/{broker_id}/configs/{name}) or cluster-wide with Kafka's kafka-configs.sh --entity-type brokers --entity-default";
  const REASSIGNMENTS =
    "Listing partition reassignments needs Kafka's ListPartitionReassignments request, which librdkafka does not offer (no release up to 2.15.1 has it)";

  // ------------------------------------------------------------------ clusters (1, 2)
  app.get('/v3/clusters', async (_req, reply) => {
    const md = await kafka(cluster.metadata());
    const paths = new V3Paths(options.advertisedUrl, md.clusterId);
    return ok(reply, resourceList('KafkaClusterList', `${options.advertisedUrl}/v3/clusters`, [clusterBody(paths, md)]));
  });

  app.get('/v3/clusters/:cluster', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    return ok(reply, clusterBody(paths, md));
  });

  // ------------------------------------------------------------------ cluster-wide broker configs (7-11)
  app.get('/v3/clusters/:cluster/broker-configs', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    const data = (await clusterConfigs(md)).map((e) => clusterConfigBody(paths, e));
    return ok(reply, resourceList('KafkaClusterConfigList', paths.url('broker-configs'), data));
  });

  app.get('/v3/clusters/:cluster/broker-configs/:name', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    const entry = (await clusterConfigs(md)).find((e) => e.name === req.params.name);
    if (entry === undefined) throw notFoundConfig(req.params.name, `cluster ${md.clusterId} (no cluster-wide value is set)`);
    return ok(reply, clusterConfigBody(paths, entry));
  });

  app.post('/v3/clusters/:cluster/broker-configs::alter', async (req: Req) => {
    await clusterOf(req);
    batchChanges(req.body); // a malformed request is still told so
    throw cannot(CLUSTER_CONFIG_WRITE);
  });

  app.put('/v3/clusters/:cluster/broker-configs/:name', async (req: Req) => {
    await clusterOf(req);
    updateValue(req.body);
    throw cannot(CLUSTER_CONFIG_WRITE);
  });

  app.delete('/v3/clusters/:cluster/broker-configs/:name', async (req: Req) => {
    await clusterOf(req);
    throw cannot(CLUSTER_CONFIG_WRITE);
  });

  // ------------------------------------------------------------------ brokers (12, 13, 20)
  app.get('/v3/clusters/:cluster/brokers', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    const brokers = [...md.brokers].sort((a, b) => a.id - b.id);
    return ok(reply, resourceList('KafkaBrokerList', paths.url('brokers'), brokers.map((b) => brokerBody(paths, b))));
  });

  app.get('/v3/clusters/:cluster/brokers/:broker', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    const id = brokerOf(md, req.params.broker);
    return ok(reply, brokerBody(paths, md.brokers.find((b) => b.id === id)!));
  });

  app.get('/v3/clusters/:cluster/brokers/:broker/partition-replicas', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    const id = brokerOf(md, req.params.broker);
    const data = [];
    for (const topic of [...md.topics].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (topic.error !== 0) continue;
      for (const p of topic.partitions) if (p.replicas.includes(id)) data.push(replicaBody(paths, topic.name, p, id));
    }
    return ok(reply, resourceList('KafkaReplicaList', paths.url('brokers', id, 'partition-replicas'), data));
  });

  // ------------------------------------------------------------------ broker configs (14-19)
  app.get('/v3/clusters/:cluster/brokers/-/configs', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    const data = [];
    for (const broker of [...md.brokers].sort((a, b) => a.id - b.id)) {
      for (const entry of await describe('broker', String(broker.id))) {
        if (entry.source === 'dynamic-broker') data.push(brokerConfigBody(paths, broker.id, entry));
      }
    }
    return ok(reply, resourceList('KafkaBrokerConfigList', paths.url('brokers', '-', 'configs'), data));
  });

  app.get('/v3/clusters/:cluster/brokers/:broker/configs', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    const id = brokerOf(md, req.params.broker);
    const data = (await describe('broker', String(id))).map((e) => brokerConfigBody(paths, id, e));
    return ok(reply, resourceList('KafkaBrokerConfigList', paths.url('brokers', id, 'configs'), data));
  });

  app.post('/v3/clusters/:cluster/brokers/:broker/configs::alter', async (req: Req, reply) => {
    const { md } = await clusterOf(req);
    const id = brokerOf(md, req.params.broker);
    const { changes, validateOnly } = batchChanges(req.body);
    await alterConfigs('broker', String(id), changes, validateOnly);
    return noContent(reply);
  });

  app.get('/v3/clusters/:cluster/brokers/:broker/configs/:name', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    const id = brokerOf(md, req.params.broker);
    return ok(reply, brokerConfigBody(paths, id, await findConfig('broker', String(id), req.params.name, `broker ${id}`)));
  });

  app.put('/v3/clusters/:cluster/brokers/:broker/configs/:name', async (req: Req, reply) => {
    const { md } = await clusterOf(req);
    const id = brokerOf(md, req.params.broker);
    const value = updateValue(req.body);
    await findConfig('broker', String(id), req.params.name, `broker ${id}`);
    await alterConfigs('broker', String(id), [{ name: req.params.name, value }], false);
    return noContent(reply);
  });

  app.delete('/v3/clusters/:cluster/brokers/:broker/configs/:name', async (req: Req, reply) => {
    const { md } = await clusterOf(req);
    const id = brokerOf(md, req.params.broker);
    await findConfig('broker', String(id), req.params.name, `broker ${id}`);
    await alterConfigs('broker', String(id), [{ name: req.params.name, value: null }], false);
    return noContent(reply);
  });

  // ------------------------------------------------------------------ topics (30-34)
  app.get('/v3/clusters/:cluster/topics', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    const topics = md.topics.filter((t) => t.error === 0).sort((a, b) => (a.name < b.name ? -1 : 1));
    return ok(reply, resourceList('KafkaTopicList', paths.url('topics'), topics.map((t) => topicBody(paths, t.name, shapeOf(t)))));
  });

  app.post('/v3/clusters/:cluster/topics', async (req: Req, reply) => {
    const { paths } = await clusterOf(req);
    const body = objectBody(req.body);
    if (typeof body.topic_name !== 'string' || body.topic_name === '') throw badRequest('topic_name is required');
    const name = checkTopicName(body.topic_name);
    const count = (field: 'partitions_count' | 'replication_factor', max: number): number => {
      const value = body[field];
      if (value === undefined || value === null) return -1; // the broker's default
      // Past `max` our Admin refuses in its own words; anything smaller goes to Kafka, which says what it takes.
      if (!Number.isSafeInteger(value) || (value as number) > max) throw badRequest(`${field} must be an integer up to ${max} (-1 or none: the broker's default), not ${JSON.stringify(value)}`);
      return value as number;
    };
    const partitions = count('partitions_count', MAX_PARTITIONS);
    const replication = count('replication_factor', MAX_REPLICATION_FACTOR);
    const assignment = body.replicas_assignments === undefined || body.replicas_assignments === null ? undefined : placement(body.replicas_assignments, partitions, replication);
    if (body.configs !== undefined && !Array.isArray(body.configs)) throw badRequest('configs must be an array of {name, value}');
    const configs: { [key: string]: string } = {};
    for (const [i, c] of ((body.configs ?? []) as unknown[]).entries()) {
      const { name: key, value } = objectBody(c, `configs[${i}]`);
      if (typeof key !== 'string' || key === '') throw badRequest(`configs[${i}].name must be a config name`);
      if (value === null || value === undefined) continue; // null: the broker's default
      if (typeof value !== 'string') throw badRequest(`configs[${i}].value must be a string or null`);
      configs[key] = value;
    }
    if (body.validate_only !== undefined && typeof body.validate_only !== 'boolean') throw badRequest('validate_only must be true or false');
    const validateOnly = body.validate_only === true;
    const shape = await cluster.createTopic(name, partitions, replication, configs, validateOnly, assignment);
    // A dry run answers 200 with the topic it would create (as Confluent's does), a creation 201.
    return reply.code(validateOnly ? 200 : 201).send(topicBody(paths, name, shape));
  });

  app.get('/v3/clusters/:cluster/topics/:topic', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    const topic = topicOf(md, req.params.topic);
    const authorized = req.query.include_authorized_operations;
    if (authorized !== undefined && authorized !== 'true' && authorized !== 'false') throw badRequest(`include_authorized_operations must be true or false, not ${JSON.stringify(authorized)}`);
    if (authorized === 'true') {
      throw cannot("include_authorized_operations: a topic's authorized operations come with librdkafka 2.3.0's DescribeTopics, and our Admin does not ask for them yet");
    }
    return ok(reply, topicBody(paths, topic.name, shapeOf(topic)));
  });

  app.patch('/v3/clusters/:cluster/topics/:topic', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    const topic = topicOf(md, req.params.topic);
    const count = objectBody(req.body).partitions_count;
    if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_PARTITIONS) throw badRequest(`partitions_count must be a positive integer up to ${MAX_PARTITIONS}, not ${JSON.stringify(count)}`);
    await kafka(admin().createPartitions(topic.name, count as number));
    return ok(reply, topicBody(paths, topic.name, shapeOf(topicOf(await kafka(cluster.metadata()), topic.name))));
  });

  app.delete('/v3/clusters/:cluster/topics/:topic', async (req: Req, reply) => {
    const { md } = await clusterOf(req);
    const topic = topicOf(md, req.params.topic);
    if (isInternal(topic.name)) throw new RestError(400, 40002, `Topic '${topic.name}' is internal to Kafka: it cannot be deleted`);
    await kafka(admin().deleteTopics(topic.name));
    return noContent(reply);
  });

  // ------------------------------------------------------------------ topic configs (35-39, 48)
  app.get('/v3/clusters/:cluster/topics/-/configs', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    const names = md.topics.filter((t) => t.error === 0).map((t) => t.name).sort();
    const described: ConfigEntry[][] = new Array(names.length);
    let next = 0;
    // A topic deleted since the metadata was read is no longer one of all topics: left out, not a 404 of the list.
    const describeIfExists = (name: string): Promise<ConfigEntry[]> =>
      admin()
        .describeConfigs('topic', name)
        .catch((error: unknown) => {
          if (error instanceof KafkaError && error.code === ErrorCode.UNKNOWN_TOPIC_OR_PART) return [];
          throw adminError(error);
        });
    const worker = async () => {
      for (let i = next++; i < names.length; i = next++) described[i] = await describeIfExists(names[i]);
    };
    await Promise.all(Array.from({ length: Math.min(DESCRIBE_CONCURRENCY, names.length) }, worker));
    const data = names.flatMap((name, i) => described[i].map((e) => topicConfigBody(paths, name, e)));
    return ok(reply, resourceList('KafkaTopicConfigList', paths.url('topics', '-', 'configs'), data));
  });

  app.get('/v3/clusters/:cluster/topics/:topic/configs', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    const topic = topicOf(md, req.params.topic).name;
    const data = (await describe('topic', topic)).map((e) => topicConfigBody(paths, topic, e));
    return ok(reply, resourceList('KafkaTopicConfigList', paths.url('topics', topic, 'configs'), data));
  });

  app.post('/v3/clusters/:cluster/topics/:topic/configs::alter', async (req: Req, reply) => {
    const { md } = await clusterOf(req);
    const topic = topicOf(md, req.params.topic).name;
    const { changes, validateOnly } = batchChanges(req.body);
    await alterConfigs('topic', topic, changes, validateOnly);
    return noContent(reply);
  });

  app.get('/v3/clusters/:cluster/topics/:topic/configs/:name', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    const topic = topicOf(md, req.params.topic).name;
    return ok(reply, topicConfigBody(paths, topic, await findConfig('topic', topic, req.params.name, `topic '${topic}'`)));
  });

  app.put('/v3/clusters/:cluster/topics/:topic/configs/:name', async (req: Req, reply) => {
    const { md } = await clusterOf(req);
    const topic = topicOf(md, req.params.topic).name;
    const value = updateValue(req.body);
    await findConfig('topic', topic, req.params.name, `topic '${topic}'`);
    await alterConfigs('topic', topic, [{ name: req.params.name, value }], false);
    return noContent(reply);
  });

  app.delete('/v3/clusters/:cluster/topics/:topic/configs/:name', async (req: Req, reply) => {
    const { md } = await clusterOf(req);
    const topic = topicOf(md, req.params.topic).name;
    await findConfig('topic', topic, req.params.name, `topic '${topic}'`);
    await alterConfigs('topic', topic, [{ name: req.params.name, value: null }], false);
    return noContent(reply);
  });

  // ------------------------------------------------------------------ partitions (40-42)
  app.get('/v3/clusters/:cluster/topics/:topic/partitions', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    const topic = topicOf(md, req.params.topic);
    return ok(reply, resourceList('KafkaPartitionList', paths.url('topics', topic.name, 'partitions'), topic.partitions.map((p) => partitionBody(paths, topic.name, p))));
  });

  app.get('/v3/clusters/:cluster/topics/:topic/partitions/:partition', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    return ok(reply, partitionBody(paths, req.params.topic, partitionOf(md, req.params.topic, req.params.partition)));
  });

  app.get('/v3/clusters/:cluster/topics/:topic/partitions/:partition/offset', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    const { topic } = req.params;
    const p = partitionOf(md, topic, req.params.partition);
    const { low, high } = await kafka(cluster.watermarks(topic, p.partition));
    return ok(reply, {
      ...paths.resource('KafkaPartitionOffset', ['topics', topic, 'partitions', p.partition, 'offset'], [['topic', topic], ['partition', p.partition], ['offset', 'earliest-latest']]),
      cluster_id: paths.clusterId,
      topic_name: topic,
      partition_id: p.partition,
      earliest_offset: low,
      latest_offset: high,
    });
  });

  // ------------------------------------------------------------------ replica reassignments (43-45)
  app.get('/v3/clusters/:cluster/topics/-/partitions/-/reassignment', async (req: Req) => {
    await clusterOf(req);
    throw cannot(REASSIGNMENTS);
  });

  app.get('/v3/clusters/:cluster/topics/:topic/partitions/-/reassignment', async (req: Req) => {
    const { md } = await clusterOf(req);
    topicOf(md, req.params.topic);
    throw cannot(REASSIGNMENTS);
  });

  app.get('/v3/clusters/:cluster/topics/:topic/partitions/:partition/reassignment', async (req: Req) => {
    const { md } = await clusterOf(req);
    partitionOf(md, req.params.topic, req.params.partition);
    throw cannot(REASSIGNMENTS);
  });

  // ------------------------------------------------------------------ replicas (46, 47)
  app.get('/v3/clusters/:cluster/topics/:topic/partitions/:partition/replicas', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    const { topic } = req.params;
    const p = partitionOf(md, topic, req.params.partition);
    const data: Resource[] = p.replicas.map((broker) => replicaBody(paths, topic, p, broker));
    return ok(reply, resourceList('KafkaReplicaList', paths.url('topics', topic, 'partitions', p.partition, 'replicas'), data));
  });

  app.get('/v3/clusters/:cluster/topics/:topic/partitions/:partition/replicas/:broker', async (req: Req, reply) => {
    const { paths, md } = await clusterOf(req);
    const { topic } = req.params;
    const p = partitionOf(md, topic, req.params.partition);
    const broker = idParam(req.params.broker, 'broker_id');
    if (!p.replicas.includes(broker)) throw new RestError(404, 404, `Broker ${broker} holds no replica of partition ${p.partition} of topic '${topic}'`);
    return ok(reply, replicaBody(paths, topic, p, broker));
  });
}
