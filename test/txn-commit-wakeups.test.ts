// What the JavaScript thread does while a transaction's commit runs on its own thread: the commit
// serves the delivery reports, so the event loop waits (no busy wake-ups), and every record's
// report still reaches JavaScript once, after the commit.
import { describe, expect, it } from 'vitest';
import { Producer } from '../lib';
import { testBrokers, useBroker, type TestBroker } from './brokers';
import { uniqueTopic } from './helpers';

function transactionalConfig(broker: TestBroker, extra: { [key: string]: string | number | boolean } = {}) {
  return { 'bootstrap.servers': broker.bootstrapServers, 'transactional.id': uniqueTopic('txn'), ...extra };
}

describe.each(testBrokers())('transaction commit wake-ups ($name)', (broker) => {
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
});
