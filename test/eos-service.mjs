// A consume-transform-produce service with exactly-once results, written against the package's
// public API only (test/eos.test.ts runs it as a process and SIGKILLs it). It reads the input
// topic as a member of a consumer group and writes each record to the same partition of the
// output topic, with its input offsets committed inside the same transaction. After a failed
// transaction it rewinds to the last committed offsets and goes on; it exits 0 once every input
// partition is committed up to its end.
//
//   node test/eos-service.mjs <bootstrap.servers> <input> <output> <group> <transactional.id>
//
// stdout: one line per committed transaction, "committed <records committed in total>". Each output
// record's key is "<pid>:<transaction number>".
import { Consumer, KafkaError, Producer, SpecialOffset } from '../dist/index.mjs';

const [bootstrapServers, input, output, group, transactionalId] = process.argv.slice(2);

const producer = new Producer({ 'bootstrap.servers': bootstrapServers, 'transactional.id': transactionalId, 'linger.ms': 5 });
// Registering the transactional.id first aborts what a killed predecessor left open, so the group's
// offsets are stable before the consumer asks for them. Until the coordinator has finished that
// abort (longer while a broker is down) it is a retriable failure: call it again.
for (;;) {
  try {
    await producer.initTransactions();
    break;
  } catch (error) {
    if (!(error instanceof KafkaError && error.retriable)) throw error;
    console.error(`initTransactions again: ${error.message}`);
  }
}

/** The next offset to read per input partition, as of the last commit (read at each assignment). */
const committed = new Map();
// A rebalance hands the partitions out again, each from the group's committed offset: whatever was
// read before it is read again, so the batch it interrupted is dropped (Java's onPartitionsRevoked).
// With a listener, librdkafka applies a rebalance only inside a read, never in mid-transaction.
let rebalanced = false;
const consumer = new Consumer(
  {
    'bootstrap.servers': bootstrapServers,
    'group.id': group,
    // Dynamic membership: a restarted instance joins once its killed predecessor's session (6 s)
    // has expired. (A static member, group.instance.id, was fenced as a whole, a fatal error, when
    // its own rejoin after a coordinator's kill took its place: FENCED_INSTANCE_ID.)
    'session.timeout.ms': 6000,
    'heartbeat.interval.ms': 1000,
    'enable.auto.commit': false,
    'auto.offset.reset': 'earliest',
    'isolation.level': 'read_committed',
  },
  [input],
  { onRebalance: () => (rebalanced = true) },
);

/** High watermarks of the input, read once: the producer of the input finished before we started. */
let ends;
async function inputEnds() {
  if (ends === undefined) {
    const found = new Map();
    for (const { partition } of consumer.assignment()) found.set(partition, (await consumer.watermarkOffsets(input, partition)).high);
    ends = found;
  }
  return ends;
}

async function rewind() {
  for (const { topic, partition } of consumer.assignment()) {
    const offset = await consumer.committed(topic, partition);
    committed.set(partition, offset ?? 0);
    consumer.seek(topic, partition, offset ?? SpecialOffset.BEGINNING);
  }
}

let total = 0;
let transactions = 0;
for (;;) {
  const records = await consumer.consumeBatch(2000, 1000);
  if (rebalanced) {
    rebalanced = false;
    await rewind(); // a new assignment: start from what the group committed
    continue;
  }
  if (records.length === 0) {
    if (consumer.assignment().length === 0) continue;
    const known = await inputEnds();
    if (known.size === 6 && [...known].every(([partition, end]) => committed.get(partition) === end)) break;
    continue;
  }
  transactions++;
  try {
    await producer.runTransaction(async () => {
      const byPartition = new Map();
      for (const r of records) {
        if (!byPartition.has(r.partition)) byPartition.set(r.partition, []);
        byPartition.get(r.partition).push(r);
      }
      // The key says which process and transaction wrote a record: the test names them when a record shows up twice.
      const key = `${process.pid}:${transactions}`;
      await Promise.all([...byPartition].map(([partition, rs]) => producer.sendBatch(rs.map((r) => ({ topic: output, partition, key, payload: r.payload })))));
      await producer.sendOffsets(consumer, records);
    });
  } catch (error) {
    if (error instanceof KafkaError && error.fatal) throw error;
    console.error(`transaction failed, rewinding: ${error instanceof Error ? error.message : String(error)}`);
    await rewind();
    continue;
  }
  for (const r of records) committed.set(r.partition, Math.max(committed.get(r.partition) ?? 0, r.offset + 1));
  total = [...committed.values()].reduce((sum, next) => sum + next, 0);
  console.log(`committed ${total}`);
}
await producer.close();
await consumer.close();
console.log('done');
