// The loop of bench/c/txn-loop.c on our Producer, with the same arguments and output, for running
// the two alternately (BENCHMARKS.md, Transactions): init once (not timed), then begin,
// produceBatch() of <size> 100-byte messages to partition 0, commitTransaction(). Not run by the
// harness; needs `npm run build:ts`.
//
//   node bench/txn-loop.mjs <bootstrap.servers> <records per transaction> <records in all> [name=value ...]
import { createRequire } from 'node:module';

const { Producer, librdkafkaVersion } = createRequire(import.meta.url)('../dist');

const [bootstrap, sizeArg, totalArg, ...properties] = process.argv.slice(2);
if (totalArg === undefined) {
  console.error('usage: node bench/txn-loop.mjs <bootstrap.servers> <records per transaction> <records in all> [name=value ...]');
  process.exit(2);
}
const size = Number(sizeArg);
const total = Number(totalArg);
const config = { 'bootstrap.servers': bootstrap, 'transactional.id': `txn-loop-${Date.now()}`, 'linger.ms': '5', 'batch.num.messages': '10000' };
for (const property of properties) {
  const eq = property.indexOf('=');
  if (eq < 0) {
    console.error(`${property}: expected name=value`);
    process.exit(2);
  }
  config[property.slice(0, eq)] = property.slice(eq + 1);
}

// librdkafka logs each CONCURRENT_TRANSACTIONS refusal of AddPartitionsToTxn at debug level (debug=eos).
let refusals = 0;
const print = (fields, message) => console.error(`${fields.facility}: ${message}`);
const logger = { error: print, warn: print, info: print, debug: (fields, message) => { if (/concurrent operation/.test(message)) refusals++; } };

const producer = new Producer(config, { logger });
await producer.initTransactions();
const topic = config['transactional.id'];
const payloads = new Array(size).fill(Buffer.alloc(100, 'x'));
const transactions = Math.floor(total / size);
let started = 0;
for (let i = -1; i < transactions; i++) { // transaction -1 creates the topic: not timed
  if (i === 0) started = performance.now();
  producer.beginTransaction();
  if (producer.produceBatch(topic, payloads, null, 0).count !== size) console.error('produceBatch: not all queued');
  await producer.commitTransaction();
  producer.deliveryReport(size);
}
const seconds = (performance.now() - started) / 1000;
console.log(`rdkafka-napi on librdkafka ${librdkafkaVersion().text}, transactions of ${size}: ${Math.round((transactions * size) / seconds)} records/s (${((seconds * 1000) / transactions).toFixed(2)} ms per transaction), ${refusals} CONCURRENT_TRANSACTIONS refusals`);
await producer.close();
