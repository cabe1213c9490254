// What the JavaScript thread does around a transaction's commit, which runs on its own thread:
// the commit serves the delivery reports, so the event loop waits (no busy wake-ups), and every
// record's report still reaches JavaScript once, after the commit; a loop of produceBatch() and
// commit reuses the memory of the last transaction's records instead of faulting in new pages;
// and produceBatch() reusing its arrays stays right when reading an element runs JavaScript.
import { describe, expect, it } from 'vitest';
import { Consumer, Producer } from '../lib';
import { testBrokers, useBroker, type TestBroker } from './brokers';
import { consumeCount, consumerConfig, uniqueTopic } from './helpers';

function transactionalConfig(broker: TestBroker, extra: { [key: string]: string | number | boolean } = {}) {
  return { 'bootstrap.servers': broker.bootstrapServers, 'transactional.id': uniqueTopic('txn'), ...extra };
}

describe.each(testBrokers())('produceBatch() and transaction commits ($name)', (broker) => {
  useBroker(broker);

  it.skipIf(broker.name === 'kafka')(
    'while a commit waits on a slow coordinator the event loop idles, even when librdkafka queues events (statistics) meanwhile',
    async () => {
      const topic = uniqueTopic('idle-commit');
      await broker.createTopic(topic, 1);
      const producer = new Producer(transactionalConfig(broker, { 'statistics.interval.ms': 50 }));
      await producer.initTransactions();
      producer.beginTransaction();
      await producer.send({ topic, payload: 'one' });
      for (const id of [1, 2, 3]) broker.mock!.setBrokerRtt(id, 1000); // EndTxn takes a second or more
      const before = performance.eventLoopUtilization();
      await producer.commitTransaction();
      const { utilization } = performance.eventLoopUtilization(before);
      for (const id of [1, 2, 3]) broker.mock!.setBrokerRtt(id, 0);
      expect(producer.statistics()).toBeDefined(); // the statistics events did arrive
      // Busy wake-ups would keep the loop running for the whole commit (utilization near 1).
      expect(utilization).toBeLessThan(0.5);
      await producer.close();
    },
  );

  it("every record of a produceBatch() in a transaction has its delivery report once, after the commit, and none is lost", async () => {
    const topic = uniqueTopic('reports-commit');
    await broker.createTopic(topic, 1);
    const producer = new Producer(transactionalConfig(broker, { 'statistics.interval.ms': 20 }));
    await producer.initTransactions();
    const payloads = Array.from({ length: 10_000 }, (_, i) => Buffer.from(`record-${i}`));
    const seen = new Set<number>();
    for (let t = 0; t < 5; t++) {
      producer.beginTransaction();
      const { firstMsgid, count } = producer.produceBatch(topic, payloads, null, 0);
      expect(count).toBe(payloads.length);
      await producer.commitTransaction();
      const reports = producer.deliveryReport(Number.MAX_SAFE_INTEGER);
      expect(reports.length).toBe(payloads.length);
      for (const report of reports) {
        expect(report.error).toBe(0);
        expect(report.msgid).toBeGreaterThanOrEqual(firstMsgid);
        expect(report.msgid).toBeLessThan(firstMsgid + count);
        expect(seen.has(report.msgid)).toBe(false);
        seen.add(report.msgid);
      }
    }
    expect(producer.updateOutstanding()).toEqual([]);
    await producer.close();
  });

  it('a loop of produceBatch() of 10,000 and commit reuses its memory: no new pages for each transaction', async () => {
    const topic = uniqueTopic('reuse-memory');
    await broker.createTopic(topic, 1);
    const producer = new Producer(transactionalConfig(broker));
    await producer.initTransactions();
    const payloads = new Array(10_000).fill(Buffer.alloc(100, 'x'));
    const transaction = async () => {
      producer.beginTransaction();
      expect(producer.produceBatch(topic, payloads, null, 0).count).toBe(payloads.length);
      await producer.commitTransaction();
      expect(producer.deliveryReport(Number.MAX_SAFE_INTEGER).filter((r) => r.error === 0).length).toBe(payloads.length);
    };
    for (let t = 0; t < 3; t++) await transaction(); // warm-up: the client's buffers and the heap settle
    const before = process.resourceUsage().minorPageFault;
    const transactions = 20;
    for (let t = 0; t < transactions; t++) await transaction();
    const faultsPerTransaction = (process.resourceUsage().minorPageFault - before) / transactions;
    // 10,000 records take about 1,000 pages (4 MB); reusing them, a transaction faults a few dozen.
    expect(faultsPerTransaction).toBeLessThan(500);
    await producer.close();
  });

  it('produceBatch() of an array whose elements are getters (fresh Buffers, garbage, a nested produceBatch) sends each payload as given', async () => {
    const topic = uniqueTopic('getters');
    await broker.createTopic(topic, 1);
    const producer = new Producer({ 'bootstrap.servers': broker.bootstrapServers });
    const count = 300;
    const payloads: Buffer[] = [];
    let nested = false;
    for (let i = 0; i < count; i++) {
      Object.defineProperty(payloads, i, {
        enumerable: true,
        get: () => {
          const garbage = Array.from({ length: 2000 }, (_, j) => ({ j, text: `garbage-${j}` })); // young-generation collections meanwhile
          if (i === count / 2 && !nested) {
            nested = true; // a batch queued from inside another's reading: its arrays must not be the outer one's
            producer.produceBatch(topic, [Buffer.from('nested')], null, 0);
          }
          return Buffer.from(`getter-${i}-${garbage.length}`); // referenced only by the batch being read
        },
      });
    }
    expect(producer.produceBatch(topic, payloads, null, 0).count).toBe(count);
    await producer.flush();
    expect(producer.updateOutstanding()).toEqual([]);
    await producer.close();
    const consumer = new Consumer(consumerConfig(broker.bootstrapServers, uniqueTopic('getters-reader')));
    consumer.assign([{ topic, partition: 0 }]);
    const records = await consumeCount(consumer, count + 1, 60_000);
    await consumer.close();
    const values = records.map((r) => r.value()?.toString());
    expect(values).toEqual(['nested', ...Array.from({ length: count }, (_, i) => `getter-${i}-2000`)]);
  });
});
