// `npm start`: produces keyed messages to a 3-partition topic, reads them back with a group of
// three consumers, and shows which partition each key went to and which consumer got it.
// Runs on the embedded broker, or on the cluster named by KAFKA_BOOTSTRAP_SERVERS.
import { randomUUID } from 'node:crypto';
import { Consumer, KafkaError, MockCluster, Producer, type Record } from './index';

const KEYS = ['red', 'green', 'blue', 'amber', 'violet'];
const PER_KEY = 4;
const CONSUMERS = 3;
const DEADLINE_MS = 30_000;

async function main(): Promise<void> {
  const started = performance.now();
  const seconds = (): string => ((performance.now() - started) / 1000).toFixed(1);
  const run = randomUUID().slice(0, 8);
  const external = process.env.KAFKA_BOOTSTRAP_SERVERS?.trim() || undefined;
  const topic = process.env.KAFKA_TOPIC?.trim() || `rdkafka-napi-demo-${run}`;

  let cluster: MockCluster | undefined;
  let bootstrap: string;
  if (external !== undefined) {
    bootstrap = external;
    console.log(`Cluster: ${bootstrap} (KAFKA_BOOTSTRAP_SERVERS); topic ${topic} must exist or be auto-created.`);
  } else {
    cluster = new MockCluster({ brokers: 3 });
    cluster.createTopic(topic, 3);
    bootstrap = cluster.bootstrapServers;
    console.log(`Cluster: the embedded broker (3 brokers at ${bootstrap}); topic ${topic}, 3 partitions.`);
  }

  let producer: Producer | undefined;
  const consumers: Consumer[] = [];
  try {
    // A bounded delivery timeout, so a wrong address fails in seconds rather than minutes.
    producer = new Producer({ 'bootstrap.servers': bootstrap, 'message.timeout.ms': DEADLINE_MS });
    const records = KEYS.flatMap((key) => Array.from({ length: PER_KEY }, (_, n) => ({ topic, key, payload: `${run} ${key} #${n + 1}` })));
    const sent = await producer.sendBatch(records);
    const partitionsOf = new Map<string, Set<number>>(KEYS.map((key) => [key, new Set<number>()]));
    sent.forEach((result, i) => partitionsOf.get(records[i].key)?.add(result.partition));
    console.log(`Produced ${sent.length} messages (${KEYS.length} keys × ${PER_KEY}) with producer.send, all delivered (${seconds()} s).`);

    const group = `rdkafka-napi-demo-${run}`;
    for (let i = 0; i < CONSUMERS; i++) {
      consumers.push(new Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': group,
        'session.timeout.ms': 6000,
        'heartbeat.interval.ms': 500,
        'auto.offset.reset': 'earliest',
        // Committed explicitly below, once everything is read.
        'enable.auto.commit': false,
      }, topic));
    }

    // Read from all three at once until every message of this run arrived or the deadline passed.
    const wanted = new Set(records.map((record) => record.payload));
    const seen = new Set<string>();
    const received: Record[][] = consumers.map(() => []);
    const deadline = Date.now() + DEADLINE_MS;
    await Promise.all(consumers.map(async (consumer, i) => {
      while (seen.size < wanted.size && Date.now() < deadline) {
        const record = await consumer.consumeRecord(200);
        const value = record?.value() ?? '';
        if (record === undefined || !wanted.has(value)) continue; // nothing yet, or not from this run
        received[i].push(record);
        seen.add(value);
      }
    }));
    // Commit now, while the group is stable: closing one consumer rebalances the others.
    await Promise.all(consumers.map((consumer) => consumer.commit()));
    console.log(`Consumed and committed with ${CONSUMERS} consumers in group ${group} (${seconds()} s, including the group join).\n`);

    const rows = [['key', 'partition', 'consumer', 'received']];
    for (const key of KEYS) {
      const by = received.flatMap((list, i) => (list.some((r) => r.keyString() === key) ? [String(i + 1)] : []));
      const count = new Set(received.flat().filter((r) => r.keyString() === key).map((r) => r.value())).size;
      rows.push([key, [...(partitionsOf.get(key) ?? [])].join(','), by.join(',') || '-', `${count}/${PER_KEY}`]);
    }
    console.log(table(rows));
    console.log('');
    received.forEach((list, i) => {
      const partitions = [...new Set(list.map((r) => r.partition))].sort((a, b) => a - b);
      console.log(`consumer ${i + 1}: ${list.length} messages from partition(s) ${partitions.join(',') || 'none'}`);
    });

    const consumed = received.reduce((n, list) => n + list.length, 0);
    const repeats = consumed - seen.size;
    const once = repeats === 0 ? 'each exactly once' : `${repeats} redelivered after a rebalance (Kafka delivers at least once)`;
    console.log(`\nTotals: produced ${sent.length}, consumed ${consumed}, ${once}.`);
    if (seen.size < wanted.size) throw new Error(`only ${seen.size} of ${wanted.size} messages arrived within ${DEADLINE_MS / 1000} s`);
  } finally {
    await producer?.close();
    await Promise.all(consumers.map((consumer) => consumer.close()));
    cluster?.close();
  }
  console.log(`Closed the producer${cluster ? ', the consumers and the embedded broker' : ' and the consumers'} (${seconds()} s in all).`);
}

/** Left-aligned columns, two spaces apart. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}

main().then(
  () => {
    process.exitCode = 0;
  },
  (error: unknown) => {
    const detail = error instanceof KafkaError ? ` (${error.codeName})` : '';
    console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}${detail}`);
    process.exitCode = 1;
  },
);
