// A real three-node Kafka cluster (KRaft, scripts/kafka/broker.mjs) for the fault tests that start
// their own: the cluster and an Admin on it, from beforeAll until afterAll.
import { afterAll, beforeAll } from 'vitest';
import { Admin, capi } from '../lib';
import { startKafka, type RunningKafka } from '../scripts/kafka/broker.mjs';

export interface ThreeNodes {
  kafka: RunningKafka;
  admin: Admin;
}

const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** Starts the cluster before the enclosing describe's tests and stops it after them; its fields are valid from beforeAll on. */
export function useThreeNodeCluster(): ThreeNodes {
  const cluster = {} as ThreeNodes;
  const started = performance.now();
  beforeAll(async () => {
    cluster.kafka = await startKafka({ nodes: 3 });
    cluster.admin = new Admin({ 'bootstrap.servers': cluster.kafka.bootstrapServers });
    console.log(`three-node cluster at ${cluster.kafka.bootstrapServers} ready in ${seconds(started)}`);
  }, 240_000);
  afterAll(async () => {
    await cluster.admin?.close();
    await cluster.kafka?.stop();
    console.log(`the file took ${seconds(started)}`);
  });
  return cluster;
}

/**
 * Creates a topic replicated on all three nodes and waits until every node describes it with all
 * its partitions led: brokers apply the metadata log one after another, and a client asking one
 * still behind would see the topic without partitions. Resolves to each partition's leader.
 */
export async function createReplicatedTopic(cluster: ThreeNodes, name: string, partitions: number, configs: { [key: string]: string } = {}): Promise<Map<number, number>> {
  await cluster.admin.createTopics({ name, partitions, replicationFactor: 3, configs });
  let leaders = new Map<number, number>();
  for (const node of cluster.kafka.nodes) {
    const h = capi.InitKafka();
    capi.SetKafkaConf(h, 'bootstrap.servers', `127.0.0.1:${node.port}`);
    try {
      const deadline = performance.now() + 30_000;
      for (;;) {
        const metadata = await capi.Metadata(h, [name], 5000);
        const topic = metadata[0] === 0 ? (metadata[2] ?? []).find(([topicName]) => topicName === name) : undefined;
        if (topic !== undefined && topic[1] === 0 && topic[2].length === partitions && topic[2].every(([, error, leader]) => error === 0 && leader >= 0)) {
          leaders = new Map(topic[2].map(([partition, , leader]) => [partition, leader]));
          break;
        }
        if (performance.now() > deadline) throw new Error(`broker ${node.id} does not describe ${name} with ${partitions} led partitions after 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await capi.UninitProducerAsync(h, 0);
    }
  }
  return leaders;
}
