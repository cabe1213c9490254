// The Confluent REST Proxy's v3 consumer groups, consumers, assignments, lags and ACLs, in the
// shapes of Confluent's OpenAPI document (kafka-rest api/v3/openapi.yaml), from our Admin.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AclBinding, AclFilter } from '../acls';
import type { Admin, GroupDescription, GroupMember, GroupPartitionLag } from '../admin';
import { KafkaError } from '../errors';
import { topicNameProblem } from '../validate';
import { RestError, fromKafka, invalidTopicName } from './rest-error';

/** What these routes need from the proxy's cluster view. */
export interface GroupsClusterView {
  clusterId(): Promise<string>;
  /** The view's Admin client. */
  readonly admin: Admin;
}

export interface V3GroupsOptions {
  cluster: GroupsClusterView;
  /** Base of the URLs handed to clients, read per request (it is known once the proxy listens). */
  advertisedUrl(): string;
}

type Req = FastifyRequest<{ Params: { [key: string]: string }; Querystring: { [key: string]: string | undefined } }>;

const JSON_TYPE = 'application/json';

// librdkafka's error codes these routes tell apart.
const UNSUPPORTED_FEATURE = -165;
const GROUP_ID_NOT_FOUND = 69;
const SECURITY_DISABLED = 54;

/** A v3 answer: application/json, as every v3 route of Confluent's proxy. */
function send(reply: FastifyReply, status: number, body?: unknown) {
  reply.code(status).header('content-type', JSON_TYPE);
  return body === undefined ? reply.send() : reply.send(body);
}

/** A group state in Confluent's enum: Stable → STABLE, PreparingRebalance → PREPARING_REBALANCE. */
function stateName(state: string | undefined): string {
  const upper = (state ?? 'Unknown').replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
  return ['PREPARING_REBALANCE', 'COMPLETING_REBALANCE', 'STABLE', 'DEAD', 'EMPTY'].includes(upper) ? upper : 'UNKNOWN';
}

function partitionParam(value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new RestError(400, 400, `partition_id must be a partition number, not ${JSON.stringify(value)}`);
  return n;
}

function topicParam(name: string): string {
  const problem = topicNameProblem(name);
  if (problem !== undefined) throw invalidTopicName(name, problem);
  return name;
}

/** A Kafka failure of these routes as the REST error it is. */
function groupsError(error: unknown, what: string): RestError {
  if (error instanceof KafkaError) {
    if (error.code === UNSUPPORTED_FEATURE) {
      return new RestError(501, 501, `${what}: the embedded broker (librdkafka's mock cluster) cannot answer it (${error.message}); a Kafka broker can`);
    }
    if (error.code === SECURITY_DISABLED) {
      return new RestError(400, 40002, `${what}: the Kafka cluster has no authorizer (authorizer.class.name is not set), so it keeps no ACLs (SECURITY_DISABLED)`);
    }
  }
  return fromKafka(error);
}

// ACL enums: Confluent's names (TOPIC, CLUSTER_ACTION) to and from our Admin's (topic, cluster-action).
const RESOURCE_TYPES = ['TOPIC', 'GROUP', 'CLUSTER'];
const PATTERN_TYPES = ['LITERAL', 'PREFIXED'];
const OPERATIONS = ['ALL', 'READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE'];
const PERMISSIONS = ['ALLOW', 'DENY'];

/** One enum field of an ACL request: its value in our Admin's words, or a 400 naming the field and what it may be. */
function aclEnum(value: unknown, field: string, names: string[], filter: boolean): string | undefined {
  if (value === undefined && filter) return undefined;
  const allowed = filter ? ['ANY', ...names, ...(field.endsWith('pattern_type') ? ['MATCH'] : [])] : names;
  const upper = typeof value === 'string' ? value.toUpperCase() : undefined;
  if (field.endsWith('resource_type') && (upper === 'TRANSACTIONAL_ID' || upper === 'DELEGATION_TOKEN')) {
    throw new RestError(501, 501, `resource_type ${upper}: librdkafka 2.0.2's ACL API knows only TOPIC, GROUP and CLUSTER resources`);
  }
  if (upper === undefined || !allowed.includes(upper)) throw new RestError(400, 400, `${field} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
  return upper.toLowerCase().replace(/_/g, '-');
}

function aclText(value: unknown, field: string, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value === '') throw new RestError(400, 400, `${field} must be a non-empty string, not ${JSON.stringify(value)}`);
  return noNul(value, field);
}

/** A name librdkafka takes as a C string: a NUL inside would cut it, so it is refused naming the field. */
function noNul(value: string, field: string): string {
  if (value.includes('\0')) throw new RestError(400, 400, `${field} must not contain a NUL character: ${JSON.stringify(value)}`);
  return value;
}

/** An ACL to create, from a CreateAclRequestData. */
function aclBinding(body: unknown, where: string): AclBinding {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RestError(400, 400, `${where} must be a JSON object`);
  const b = body as { [key: string]: unknown };
  const at = where === 'The request' ? '' : `${where}.`;
  return {
    resourceType: aclEnum(b.resource_type, `${at}resource_type`, RESOURCE_TYPES, false) as AclBinding['resourceType'],
    resourceName: aclText(b.resource_name, `${at}resource_name`, true)!,
    patternType: aclEnum(b.pattern_type, `${at}pattern_type`, PATTERN_TYPES, false) as AclBinding['patternType'],
    principal: aclText(b.principal, `${at}principal`, true)!,
    host: aclText(b.host, `${at}host`, true)!,
    operation: aclEnum(b.operation, `${at}operation`, OPERATIONS, false) as AclBinding['operation'],
    permission: aclEnum(b.permission, `${at}permission`, PERMISSIONS, false) as AclBinding['permission'],
  };
}

/** A search or delete filter from the query string; `required` fields must be given (DELETE). */
function aclFilter(query: { [key: string]: string | undefined }, required: boolean): AclFilter {
  const need = (field: string) => {
    if (required && query[field] === undefined) throw new RestError(400, 400, `${field} is required to delete ACLs`);
  };
  ['resource_type', 'pattern_type', 'operation', 'permission'].forEach(need);
  return {
    resourceType: aclEnum(query.resource_type, 'resource_type', RESOURCE_TYPES, true) as AclFilter['resourceType'],
    resourceName: aclText(query.resource_name, 'resource_name', false),
    patternType: aclEnum(query.pattern_type, 'pattern_type', PATTERN_TYPES, true) as AclFilter['patternType'],
    principal: aclText(query.principal, 'principal', false),
    host: aclText(query.host, 'host', false),
    operation: aclEnum(query.operation, 'operation', OPERATIONS, true) as AclFilter['operation'],
    permission: aclEnum(query.permission, 'permission', PERMISSIONS, true) as AclFilter['permission'],
  };
}

const enumName = (name: string) => name.toUpperCase().replace(/-/g, '_');

export function registerV3GroupRoutes(app: FastifyInstance, options: V3GroupsOptions): void {
  const { cluster } = options;

  /** The cluster id (404 for another) and the Admin behind the routes. */
  const context = async (req: Req): Promise<{ id: string; admin: Admin; base: string }> => {
    const id = await cluster.clusterId();
    if (req.params.cluster !== id) throw new RestError(404, 404, `Cluster ${req.params.cluster} not found`);
    return { id, admin: cluster.admin, base: `${options.advertisedUrl()}/v3/clusters/${id}` };
  };

  // ------------------------------------------------------------------ consumer groups
  /** A group as described by the broker; a group Kafka does not know (Dead, no offsets) is 404. */
  const describe = async (admin: Admin, group: string): Promise<GroupDescription> => {
    noNul(group, 'consumer_group_id');
    let description: GroupDescription;
    try {
      [description] = await admin.describeGroups(group);
    } catch (error) {
      if (error instanceof KafkaError && error.code === GROUP_ID_NOT_FOUND) throw new RestError(404, 404, `Consumer group ${group} not found`);
      throw groupsError(error, `Describing consumer group ${group}`);
    }
    if (description.state === 'Dead') throw new RestError(404, 404, `Consumer group ${group} not found`);
    return description;
  };

  const groupBody = (id: string, base: string, g: { groupId: string; simple: boolean; partitionAssignor: string; state: string; coordinator: { id: number } | null }) => {
    const self = `${base}/consumer-groups/${encodeURIComponent(g.groupId)}`;
    return {
      kind: 'KafkaConsumerGroup',
      metadata: { self, resource_name: `crn:///kafka=${id}/consumer-group=${g.groupId}` },
      cluster_id: id,
      consumer_group_id: g.groupId,
      is_simple: g.simple,
      partition_assignor: g.partitionAssignor,
      state: stateName(g.state),
      coordinator: { related: `${base}/brokers/${g.coordinator?.id ?? -1}` },
      consumers: { related: `${self}/consumers` },
      lag_summary: { related: `${self}/lag-summary` },
    };
  };

  const consumerBody = (id: string, base: string, group: string, m: GroupMember) => {
    const self = `${base}/consumer-groups/${encodeURIComponent(group)}/consumers/${encodeURIComponent(m.memberId)}`;
    return {
      kind: 'KafkaConsumer',
      metadata: { self, resource_name: `crn:///kafka=${id}/consumer-group=${group}/consumer=${m.memberId}` },
      cluster_id: id,
      consumer_group_id: group,
      consumer_id: m.memberId,
      instance_id: m.groupInstanceId,
      client_id: m.clientId,
      assignments: { related: `${self}/assignments` },
    };
  };

  const assignmentBody = (id: string, base: string, group: string, member: string, topic: string, partition: number) => ({
    kind: 'KafkaConsumerAssignment',
    metadata: {
      self: `${base}/consumer-groups/${encodeURIComponent(group)}/consumers/${encodeURIComponent(member)}/assignments/${topic}/partitions/${partition}`,
      resource_name: `crn:///kafka=${id}/consumer-group=${group}/consumer=${member}/assignment=${topic}/partition=${partition}`,
    },
    cluster_id: id,
    consumer_group_id: group,
    consumer_id: member,
    topic_name: topic,
    partition_id: partition,
    partition: { related: `${base}/topics/${topic}/partitions/${partition}` },
    lag: { related: `${base}/consumer-groups/${encodeURIComponent(group)}/lags/${topic}/partitions/${partition}` },
  });

  const lagBody = (id: string, base: string, group: string, row: GroupPartitionLag & { currentOffset: number; logEndOffset: number; lag: number }, instances: Map<string, string | null>) => ({
    kind: 'KafkaConsumerLag',
    metadata: {
      self: `${base}/consumer-groups/${encodeURIComponent(group)}/lags/${row.topic}/partitions/${row.partition}`,
      resource_name: `crn:///kafka=${id}/consumer-group=${group}/lag=${row.topic}/partition=${row.partition}`,
    },
    cluster_id: id,
    consumer_group_id: group,
    topic_name: row.topic,
    partition_id: row.partition,
    current_offset: row.currentOffset,
    log_end_offset: row.logEndOffset,
    lag: row.lag,
    // A committed partition no member holds now has no consumer: empty, as Confluent's proxy answers.
    consumer_id: row.consumerId ?? '',
    instance_id: row.consumerId === undefined ? null : (instances.get(row.consumerId) ?? null),
    client_id: row.clientId ?? '',
  });

  app.get('/v3/clusters/:cluster/consumer-groups', async (req: Req, reply) => {
    const { id, admin, base } = await context(req);
    let data;
    try {
      const groups = await admin.listGroups();
      const described = groups.length === 0 ? [] : await admin.describeGroups(groups.map((g) => g.groupId));
      data = described.filter((g) => g.state !== 'Dead').map((g) => groupBody(id, base, g));
    } catch (error) {
      throw groupsError(error, 'Listing consumer groups');
    }
    return send(reply, 200, { kind: 'KafkaConsumerGroupList', metadata: { self: `${base}/consumer-groups`, next: null }, data });
  });

  app.get('/v3/clusters/:cluster/consumer-groups/:group', async (req: Req, reply) => {
    const { id, admin, base } = await context(req);
    return send(reply, 200, groupBody(id, base, await describe(admin, req.params.group)));
  });

  app.get('/v3/clusters/:cluster/consumer-groups/:group/consumers', async (req: Req, reply) => {
    const { id, admin, base } = await context(req);
    const { group } = req.params;
    const members = (await describe(admin, group)).members;
    return send(reply, 200, {
      kind: 'KafkaConsumerList',
      metadata: { self: `${base}/consumer-groups/${encodeURIComponent(group)}/consumers`, next: null },
      data: members.map((m) => consumerBody(id, base, group, m)),
    });
  });

  const member = async (admin: Admin, group: string, consumer: string): Promise<GroupMember> => {
    const found = (await describe(admin, group)).members.find((m) => m.memberId === consumer);
    if (found === undefined) throw new RestError(404, 404, `Consumer ${consumer} not found in consumer group ${group}`);
    return found;
  };

  app.get('/v3/clusters/:cluster/consumer-groups/:group/consumers/:consumer', async (req: Req, reply) => {
    const { id, admin, base } = await context(req);
    return send(reply, 200, consumerBody(id, base, req.params.group, await member(admin, req.params.group, req.params.consumer)));
  });

  app.get('/v3/clusters/:cluster/consumer-groups/:group/consumers/:consumer/assignments', async (req: Req, reply) => {
    const { id, admin, base } = await context(req);
    const { group, consumer } = req.params;
    const m = await member(admin, group, consumer);
    return send(reply, 200, {
      kind: 'KafkaConsumerAssignmentList',
      metadata: { self: `${base}/consumer-groups/${encodeURIComponent(group)}/consumers/${encodeURIComponent(consumer)}/assignments`, next: null },
      data: m.assignment.map((tp) => assignmentBody(id, base, group, consumer, tp.topic, tp.partition)),
    });
  });

  app.get('/v3/clusters/:cluster/consumer-groups/:group/consumers/:consumer/assignments/:topic/partitions/:partition', async (req: Req, reply) => {
    const { id, admin, base } = await context(req);
    const { group, consumer } = req.params;
    const topic = topicParam(req.params.topic);
    const partition = partitionParam(req.params.partition);
    const m = await member(admin, group, consumer);
    if (!m.assignment.some((tp) => tp.topic === topic && tp.partition === partition)) {
      throw new RestError(404, 404, `Partition ${partition} of topic ${topic} is not assigned to consumer ${consumer} of group ${group}`);
    }
    return send(reply, 200, assignmentBody(id, base, group, consumer, topic, partition));
  });

  // ------------------------------------------------------------------ lags
  /** The group's committed partitions with their lag (end offset − committed), sorted by topic and partition. */
  const lags = async (admin: Admin, group: string) => {
    noNul(group, 'consumer_group_id');
    try {
      const result = await admin.groupLag(group);
      const instances = new Map((result.members ?? []).map((m) => [m.memberId, m.groupInstanceId]));
      const rows = result.partitions.filter((r): r is GroupPartitionLag & { currentOffset: number; logEndOffset: number; lag: number } => r.currentOffset !== undefined && r.logEndOffset !== undefined && r.lag !== undefined);
      return { rows, instances };
    } catch (error) {
      if (error instanceof KafkaError && error.code === GROUP_ID_NOT_FOUND) throw new RestError(404, 404, `Consumer group ${group} not found`);
      throw groupsError(error, `The lags of consumer group ${group}`);
    }
  };

  app.get('/v3/clusters/:cluster/consumer-groups/:group/lags', async (req: Req, reply) => {
    const { id, admin, base } = await context(req);
    const { group } = req.params;
    const { rows, instances } = await lags(admin, group);
    return send(reply, 200, {
      kind: 'KafkaConsumerLagList',
      metadata: { self: `${base}/consumer-groups/${encodeURIComponent(group)}/lags`, next: null },
      data: rows.map((r) => lagBody(id, base, group, r, instances)),
    });
  });

  app.get('/v3/clusters/:cluster/consumer-groups/:group/lags/:topic/partitions/:partition', async (req: Req, reply) => {
    const { id, admin, base } = await context(req);
    const { group } = req.params;
    const topic = topicParam(req.params.topic);
    const partition = partitionParam(req.params.partition);
    const { rows, instances } = await lags(admin, group);
    const row = rows.find((r) => r.topic === topic && r.partition === partition);
    if (row === undefined) throw new RestError(404, 404, `Consumer group ${group} has no committed offset for partition ${partition} of topic ${topic}`);
    return send(reply, 200, lagBody(id, base, group, row, instances));
  });

  app.get('/v3/clusters/:cluster/consumer-groups/:group/lag-summary', async (req: Req, reply) => {
    const { id, admin, base } = await context(req);
    const { group } = req.params;
    const { rows, instances } = await lags(admin, group);
    if (rows.length === 0) throw new RestError(404, 404, `Consumer group ${group} has no committed offsets: it has no lag to summarize`);
    const max = rows.reduce((a, b) => (b.lag > a.lag ? b : a));
    return send(reply, 200, {
      kind: 'KafkaConsumerGroupLagSummary',
      metadata: { self: `${base}/consumer-groups/${encodeURIComponent(group)}/lag-summary`, resource_name: `crn:///kafka=${id}/consumer-group=${group}/lag-summary` },
      cluster_id: id,
      consumer_group_id: group,
      max_lag_consumer_id: max.consumerId ?? '',
      max_lag_instance_id: max.consumerId === undefined ? null : (instances.get(max.consumerId) ?? null),
      max_lag_client_id: max.clientId ?? '',
      max_lag_topic_name: max.topic,
      max_lag_partition_id: max.partition,
      max_lag: max.lag,
      total_lag: rows.reduce((sum, r) => sum + r.lag, 0),
      max_lag_consumer: { related: `${base}/consumer-groups/${encodeURIComponent(group)}/consumers/${encodeURIComponent(max.consumerId ?? '')}` },
      max_lag_partition: { related: `${base}/topics/${max.topic}/partitions/${max.partition}` },
    });
  });

  // ------------------------------------------------------------------ ACLs
  const aclBody = (id: string, base: string, acl: Required<AclBinding>) => {
    const fields = {
      resource_type: enumName(acl.resourceType),
      resource_name: acl.resourceName,
      pattern_type: enumName(acl.patternType),
      principal: acl.principal,
      host: acl.host,
      operation: enumName(acl.operation),
      permission: enumName(acl.permission),
    };
    return { kind: 'KafkaAcl', metadata: { self: `${base}/acls?${new URLSearchParams(fields).toString()}` }, cluster_id: id, ...fields };
  };

  const create = async (admin: Admin, bindings: AclBinding[]) => {
    try {
      await admin.createAcls(bindings);
    } catch (error) {
      // The broker's refusal of a binding (e.g. an invalid principal) is the request's.
      if (error instanceof KafkaError && error.code > 0 && error.code !== SECURITY_DISABLED && !error.retriable) throw new RestError(400, 40002, error.message);
      throw groupsError(error, 'Creating ACLs');
    }
  };

  app.get('/v3/clusters/:cluster/acls', async (req: Req, reply) => {
    const { id, admin, base } = await context(req);
    const filter = aclFilter(req.query, false);
    let found: Required<AclBinding>[];
    try {
      found = await admin.describeAcls(filter);
    } catch (error) {
      throw groupsError(error, 'Searching ACLs');
    }
    const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
    return send(reply, 200, { kind: 'KafkaAclList', metadata: { self: `${base}/acls${query}` }, data: found.map((acl) => aclBody(id, base, acl)) });
  });

  app.post('/v3/clusters/:cluster/acls', async (req: Req, reply) => {
    const { admin } = await context(req);
    await create(admin, [aclBinding(req.body, 'The request')]);
    return send(reply, 201);
  });

  // `::` is Fastify's escape for a literal colon in a path.
  app.post('/v3/clusters/:cluster/acls::batch', async (req: Req, reply) => {
    const { admin } = await context(req);
    const body = req.body as { data?: unknown } | undefined;
    if (typeof body !== 'object' || body === null || !Array.isArray(body.data) || body.data.length === 0) throw new RestError(400, 400, 'The request needs a non-empty data array of ACLs');
    await create(admin, body.data.map((item, i) => aclBinding(item, `data[${i}]`)));
    return send(reply, 201);
  });

  app.delete('/v3/clusters/:cluster/acls', async (req: Req, reply) => {
    const { id, admin, base } = await context(req);
    const filter = aclFilter(req.query, true);
    let deleted: Required<AclBinding>[];
    try {
      deleted = await admin.deleteAcls(filter);
    } catch (error) {
      throw groupsError(error, 'Deleting ACLs');
    }
    return send(reply, 200, { data: deleted.map((acl) => aclBody(id, base, acl)) });
  });
}
