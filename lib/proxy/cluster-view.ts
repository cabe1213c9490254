// Cluster metadata for both REST APIs, from the Admin class. Concurrent requests share one
// metadata request in flight; metadata is always fetched for all topics, so that asking about
// an unknown topic never creates it.
import { Admin, type ClusterMetadata } from '../admin';
import { Consumer } from '../consumer';
import { ErrorCode, KafkaError } from '../errors';
import type { ClientOptions, Logger } from '../logger';
import type { MockCluster } from '../mock-cluster';
import type { PartitionView, TopicShape } from './confluent';
import type { PixyClusterView } from './pixy';
import { RestError } from './rest-error';

export class AdminClusterView implements PixyClusterView {
  readonly #admin: Admin;
  #inFlight: Promise<ClusterMetadata> | undefined;
  /** Topics known to exist on the embedded broker (see autoCreate). */
  readonly #known = new Set<string>();

  constructor(
    readonly bootstrapServers: string,
    readonly clientConfig: { [key: string]: string },
    /** The embedded broker, when the proxy runs one: topics are created on it directly. */
    readonly mock?: MockCluster,
    /** Where the clients' librdkafka lines go. */
    readonly logger?: Logger,
    /** Other options of its clients (an OAUTHBEARER token provider, for a user's view). */
    readonly clientOptions: ClientOptions = {},
  ) {
    this.#admin = new Admin({ ...clientConfig, 'bootstrap.servers': bootstrapServers, 'allow.auto.create.topics': false }, { ...clientOptions, logger });
  }

  #fresh(): Promise<ClusterMetadata> {
    this.#inFlight ??= this.#admin.metadata().finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
  }

  /** The Admin client behind the view (the v3 admin routes use it directly). */
  get admin(): Admin {
    return this.#admin;
  }

  metadata(): Promise<ClusterMetadata> {
    return this.#fresh();
  }

  async clusterId(): Promise<string> {
    return (await this.#fresh()).clusterId;
  }

  async brokers(): Promise<number[]> {
    return (await this.#fresh()).brokers.map((b) => b.id).sort((a, b) => a - b);
  }

  async topics(): Promise<string[]> {
    return (await this.#fresh()).topics.map((t) => t.name).filter((name) => !name.startsWith('__')).sort();
  }

  async partitions(topic: string): Promise<PartitionView[] | undefined> {
    const found = (await this.#fresh()).topics.find((t) => t.name === topic && t.error === 0);
    return found?.partitions.map(({ partition, leader, replicas, isr }) => ({ partition, leader, replicas, isr }));
  }

  async configs(topic: string): Promise<{ [key: string]: string }> {
    try {
      const entries = await this.#admin.describeConfigs('topic', topic);
      return Object.fromEntries(entries.filter((e) => e.value !== null).map((e) => [e.name, e.value as string]));
    } catch {
      return {}; // the embedded broker cannot describe configs
    }
  }

  watermarks(topic: string, partition: number): Promise<{ low: number; high: number }> {
    return this.#admin.watermarkOffsets(topic, partition);
  }

  async createTopic(name: string, partitions: number, replicationFactor: number, configs: { [key: string]: string }, validateOnly: boolean, replicaAssignment?: number[][]): Promise<TopicShape> {
    if (this.mock !== undefined) {
      if (replicaAssignment !== undefined) {
        throw new RestError(501, 501, "The embedded broker (librdkafka's mock cluster) cannot place replicas: create the topic with partitions_count and replication_factor");
      }
      return this.#createOnEmbedded(this.mock, name, partitions, replicationFactor, configs, validateOnly);
    }
    // A placement gives the counts itself (Admin: replicationFactor left out, partitions its length).
    const counts = replicaAssignment === undefined ? { partitions, replicationFactor } : { replicaAssignment };
    try {
      await this.#admin.createTopics({ name, ...counts, configs }, { validateOnly });
    } catch (error) {
      // The broker's refusals (positive codes) and librdkafka's (out of range) are the request's.
      if (error instanceof TypeError || (error instanceof KafkaError && (error.code > 0 || error.code === ErrorCode._INVALID_ARG))) {
        throw new RestError(400, 40002, error.message);
      }
      throw error;
    }
    if (!validateOnly) {
      const created = (await this.partitions(name)) ?? [];
      return { partitionsCount: created.length, replicationFactor: created[0]?.replicas.length ?? 0 };
    }
    if (replicaAssignment !== undefined) return { partitionsCount: replicaAssignment.length, replicationFactor: replicaAssignment[0].length };
    return {
      partitionsCount: partitions > 0 ? partitions : await this.#brokerDefault('num.partitions'),
      replicationFactor: replicationFactor > 0 ? replicationFactor : await this.#brokerDefault('default.replication.factor'),
    };
  }

  /** A broker's setting (they are alike in a cluster): what a topic gets when it asks for -1. */
  async #brokerDefault(key: string): Promise<number> {
    const [broker] = (await this.#fresh()).brokers;
    const entries = await this.#admin.describeConfigs('broker', String(broker.id));
    return Number(entries.find((e) => e.name === key)?.value);
  }

  /**
   * The embedded broker creates whatever it is given: it refuses here what a real broker (or
   * librdkafka, before sending) would, in their words. Its defaults are Kafka's: 1 partition, 1 replica.
   */
  async #createOnEmbedded(mock: MockCluster, name: string, partitions: number, replicationFactor: number, configs: { [key: string]: string }, validateOnly: boolean): Promise<TopicShape> {
    let problem: string | undefined;
    if (partitions < -1 || partitions > 100_000) problem = 'num_partitions out of expected range 1..100000 or -1 for broker default';
    else if (replicationFactor < -1 || replicationFactor > 10_000) problem = 'replication_factor out of expected range -1..10000';
    else if ((await this.partitions(name)) !== undefined) problem = `Topic '${name}' already exists`;
    else if (partitions === 0) problem = 'Number of partitions was set to an invalid non-positive value.';
    else if (partitions > 10_000) problem = 'Excessively large number of partitions per request.';
    else if (replicationFactor === 0) problem = 'Replication factor must be larger than 0, or -1 to use the default value.';
    else if (replicationFactor > mock.brokers) {
      problem = `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${mock.brokers} broker(s) are registered.`;
    } else if (Object.keys(configs).length > 0) problem = "The embedded broker (librdkafka's mock cluster) cannot keep topic configs: create the topic without them";
    if (problem !== undefined) throw new RestError(400, 40002, problem.includes(name) ? problem : `Topic '${name}': ${problem}`);
    const shape = { partitionsCount: partitions > 0 ? partitions : 1, replicationFactor: replicationFactor > 0 ? replicationFactor : 1 };
    if (!validateOnly) mock.createTopic(name, shape.partitionsCount, shape.replicationFactor);
    return shape;
  }

  /**
   * The embedded broker would create a missing topic with 4 partitions on the first request that
   * names it; a Kafka broker with its defaults (num.partitions=1) creates it with 1, and the
   * documented flows rely on that (their records are at partition 0). So the proxy creates it first.
   */
  async autoCreate(topic: string): Promise<void> {
    if (this.mock === undefined || this.#known.has(topic)) return;
    if ((await this.partitions(topic)) === undefined) {
      try {
        this.mock.createTopic(topic, 1, 1);
      } catch {
        // created meanwhile by another request
      }
    }
    this.#known.add(topic);
  }

  async committedOffsets(group: string, topic: string): Promise<Map<number, { offset: number; metadata: string }>> {
    const partitions = (await this.partitions(topic)) ?? [];
    const offsets = await this.#admin.groupOffsets(group, partitions.map((p) => ({ topic, partition: p.partition })));
    const committed = new Map<number, { offset: number; metadata: string }>();
    for (const o of offsets) if (o.offset !== undefined) committed.set(o.partition, { offset: o.offset, metadata: '' });
    return committed;
  }

  /** Commits for the group from a consumer that only assigns (it never joins the group). */
  async setOffsets(group: string, topic: string, offsets: Array<{ partition: number; offset: number }>): Promise<void> {
    const consumer = new Consumer({ ...this.clientConfig, 'bootstrap.servers': this.bootstrapServers, 'group.id': group, 'enable.auto.commit': false }, undefined, { ...this.clientOptions, logger: this.logger });
    try {
      consumer.assign(offsets.map(({ partition }) => ({ topic, partition })));
      await consumer.commit(offsets.map(({ partition, offset }) => ({ topic, partition, offset })));
    } finally {
      await consumer.close();
    }
  }

  async members(topic: string, group?: string): Promise<{ [group: string]: { [member: string]: number[] } }> {
    const groups = group !== undefined ? [group] : (await this.#admin.listGroups()).filter((g) => !g.simple).map((g) => g.groupId);
    const out: { [group: string]: { [member: string]: number[] } } = {};
    if (groups.length === 0) return out;
    for (const description of await this.#admin.describeGroups(groups)) {
      const members: { [member: string]: number[] } = {};
      for (const m of description.members) {
        const mine = m.assignment.filter((tp) => tp.topic === topic).map((tp) => tp.partition).sort((a, b) => a - b);
        if (mine.length > 0) members[m.clientId || m.memberId] = mine;
      }
      if (Object.keys(members).length > 0) out[description.groupId] = members;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.#admin.close();
  }
}
