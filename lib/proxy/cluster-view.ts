// Cluster metadata for both REST APIs, from the Admin class. Concurrent requests share one
// metadata request in flight; metadata is always fetched for all topics, so that asking about
// an unknown topic never creates it.
import { Admin, type ClusterMetadata } from '../admin';
import { Consumer } from '../consumer';
import { KafkaError } from '../errors';
import type { MockCluster } from '../mock-cluster';
import type { PartitionView } from './confluent';
import type { PixyClusterView } from './pixy';
import { RestError } from './rest-error';

export class AdminClusterView implements PixyClusterView {
  readonly #admin: Admin;
  #inFlight: Promise<ClusterMetadata> | undefined;

  constructor(
    readonly bootstrapServers: string,
    readonly clientConfig: { [key: string]: string },
    /** The embedded broker, when the proxy runs one: topics are created on it directly. */
    readonly mock?: MockCluster,
  ) {
    this.#admin = new Admin({ ...clientConfig, 'bootstrap.servers': bootstrapServers, 'allow.auto.create.topics': false });
  }

  #fresh(): Promise<ClusterMetadata> {
    this.#inFlight ??= this.#admin.metadata().finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
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

  async createTopic(name: string, partitions: number, replicationFactor: number, configs: { [key: string]: string }): Promise<void> {
    if (this.mock !== undefined) {
      if ((await this.partitions(name)) !== undefined) throw new RestError(400, 40002, `Topic '${name}' already exists.`);
      this.mock.createTopic(name, partitions > 0 ? partitions : 1, replicationFactor > 0 ? replicationFactor : 1);
    } else {
      try {
        await this.#admin.createTopics({ name, partitions, replicationFactor, configs });
      } catch (error) {
        if (error instanceof KafkaError && error.code > 0) throw new RestError(400, 40002, error.message);
        throw error;
      }
    }
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
    const consumer = new Consumer({ ...this.clientConfig, 'bootstrap.servers': this.bootstrapServers, 'group.id': group, 'enable.auto.commit': false });
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
