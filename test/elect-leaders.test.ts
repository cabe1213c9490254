// Admin.electLeaders (KIP-460, librdkafka >= 2.6.0) on a real three-node Kafka cluster started by
// this file: after a broker restarts, its partitions are led by another replica until a preferred
// election gives them back. Runs when the loaded librdkafka has ElectLeaders (`npm run
// test:librdkafka-latest`); under an older one (`npm test`) it starts nothing, and
// test/admin-newer.test.ts checks the error naming the version needed.
import { describe, expect, it } from 'vitest';
import { type KafkaError, librdkafkaVersion } from '../lib';
import { uniqueTopic } from './helpers';
import { useThreeNodeCluster } from './three-nodes';

const hasElectLeaders = librdkafkaVersion().hex >= 0x020600ff;
const UNKNOWN_TOPIC_OR_PART = 3;


describe.runIf(hasElectLeaders)('Admin.electLeaders on a three-node Kafka cluster', () => {
  const cluster = useThreeNodeCluster();

  type Partition = { partition: number; leader: number; replicas: number[]; isr: number[] };

  /**
   * The topic's partitions as the cluster describes them now; none while the broker asked has not
   * learnt of the new topic yet (brokers apply the metadata log one after another).
   */
  async function partitions(topic: string): Promise<Partition[]> {
    try {
      return (await cluster.admin.describeTopics([topic]))[0].partitions;
    } catch (error) {
      if ((error as KafkaError).code === UNKNOWN_TOPIC_OR_PART) return [];
      throw error;
    }
  }
  const partitionZero = async (topic: string): Promise<Partition> => (await partitions(topic))[0] ?? { partition: 0, leader: -1, replicas: [], isr: [] };

  /** Asks until `check` holds, as an operator watching the cluster would; the last answer otherwise. */
  async function watch<T>(ask: () => Promise<T>, check: (answer: T) => boolean, timeoutMs = 60_000): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const answer = await ask();
      if (check(answer) || performance.now() > deadline) return answer;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  it('after the preferred leader restarts, a preferred election makes it the leader again; a second one is not needed', async () => {
    const topic = uniqueTopic('elect');
    await cluster.admin.createTopics({ name: topic, partitions: 1, replicationFactor: 3 });
    const before = await watch(() => partitionZero(topic), (p) => p.leader >= 0 && p.leader === p.replicas[0]);
    const preferred = before.replicas[0];
    expect(before.leader).toBe(preferred);

    // A restart hands the leadership to another replica; the broker comes back as a follower.
    await cluster.kafka.restart(preferred);
    const back = await watch(() => partitionZero(topic), (p) => p.isr.includes(preferred));
    expect(back.isr).toContain(preferred);
    expect(back.leader).not.toBe(preferred);

    expect(await cluster.admin.electLeaders('preferred', [{ topic, partition: 0 }])).toEqual([{ topic, partition: 0, elected: true }]);
    expect((await watch(() => partitionZero(topic), (p) => p.leader === preferred)).leader).toBe(preferred);
    expect(await cluster.admin.electLeaders('preferred', [{ topic, partition: 0 }])).toEqual([{ topic, partition: 0, elected: false }]);
    // Every in-sync replica is alive: an unclean election has nothing to do either.
    expect(await cluster.admin.electLeaders('unclean', [{ topic, partition: 0 }])).toEqual([{ topic, partition: 0, elected: false }]);
  });

  it('without partitions, every partition led by another than its preferred replica gets it back, and only those are listed', async () => {
    const topic = uniqueTopic('elect-all');
    await cluster.admin.createTopics({ name: topic, partitions: 3, replicationFactor: 3 });
    const led = () => partitions(topic);
    await watch(led, (all) => all.length === 3 && all.every((p) => p.leader === p.replicas[0]));
    const restarted = cluster.kafka.nodes[1].id;
    await cluster.kafka.restart(restarted);
    const moved = await watch(led, (all) => all.length === 3 && all.every((p) => p.isr.length === 3));
    const movedAway = moved.filter((p) => p.leader !== p.replicas[0]).map((p) => ({ topic, partition: p.partition }));
    expect(movedAway.length).toBeGreaterThan(0);

    const elections = await cluster.admin.electLeaders('preferred');
    // Other topics' partitions (__consumer_offsets...) may be listed too; this topic's are exactly those that moved.
    expect(elections.filter((e) => e.topic === topic)).toEqual(movedAway.map((p) => ({ ...p, elected: true })));
    const after = await watch(led, (all) => all.every((p) => p.leader === p.replicas[0]));
    expect(after.map((p) => p.leader)).toEqual(after.map((p) => p.replicas[0]));
  });
});
