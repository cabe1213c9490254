// Transactions: a transactional Producer (initTransactions, beginTransaction, sendOffsets,
// commitTransaction, abortTransaction, runTransaction), read_committed and read_uncommitted
// readers, and misuse. On both brokers; what librdkafka 2.0.2's embedded broker does not do
// (hide aborted records, fence an older producer) runs on the real one only, and the faults that
// need its controls (a slow coordinator, a refused produce) on the embedded one only.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { capi, Consumer, ErrorCode, KafkaError, Producer, type Record } from '../lib';
import { testBrokers, useBroker, type TestBroker } from './brokers';
import { consumeCount, consumerConfig, longestTimerGap, uniqueTopic } from './helpers';

const ADD_PARTITIONS_TO_TXN = 24; // the API key librdkafka's mock takes request errors by
const TOPIC_AUTHORIZATION_FAILED = 29;
const END_TXN = 26;
const PRODUCER_FENCED = 90;

function transactionalConfig(broker: TestBroker, extra: { [key: string]: string | number | boolean } = {}) {
  return { 'bootstrap.servers': broker.bootstrapServers, 'transactional.id': uniqueTopic('txn'), ...extra };
}

/** The records of single-partition `topics` up to `count`, as a reader with this isolation level sees them (assigned, no group). */
async function readAll(broker: TestBroker, topics: string[], count: number, isolation?: 'read_committed' | 'read_uncommitted'): Promise<Record[]> {
  const extra: { [key: string]: string } = isolation === undefined ? {} : { 'isolation.level': isolation };
  const consumer = new Consumer(consumerConfig(broker.bootstrapServers, uniqueTopic('reader'), extra));
  consumer.assign(topics.map((topic) => ({ topic, partition: 0 })));
  try {
    return await consumeCount(consumer, count, 60_000);
  } finally {
    await consumer.close();
  }
}

const values = (records: Record[]) => records.map((r) => r.value()?.toString());

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<KafkaError> {
  const outcome = await promise.then(
    () => new Error('expected a rejection'),
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(KafkaError);
  return outcome as KafkaError;
}

function thrown(call: () => unknown): KafkaError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(KafkaError);
    return error as KafkaError;
  }
  throw new Error('expected a KafkaError to be thrown');
}

/** kcat's view of a topic with this isolation level (an independent reader): the payloads, per partition in order. */
function readWithKcat(bootstrapServers: string, topic: string, isolation: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-b', bootstrapServers, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-X', `isolation.level=${isolation}`, '-f', '%s\\n']);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (err += text));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out.split('\n').filter((line) => line.length > 0)) : reject(new Error(`kcat exited with ${code}: ${err}`))));
  });
}

describe.each(testBrokers())('transactions ($name)', (broker) => {
  useBroker(broker);

  it('a committed transaction writes records to two topics at once; read_committed and read_uncommitted readers both see them in order', async () => {
    const [orders, audit] = [uniqueTopic('orders'), uniqueTopic('audit')];
    await broker.createTopic(orders, 1);
    await broker.createTopic(audit, 1);
    const producer = new Producer(transactionalConfig(broker));
    await producer.initTransactions();
    producer.beginTransaction();
    const sends = [producer.send({ topic: orders, payload: 'order-1' }), producer.send({ topic: audit, payload: 'audit-1' }), producer.send({ topic: orders, payload: 'order-2' })];
    await producer.commitTransaction();
    const delivered = await Promise.all(sends); // the commit delivered them first
    expect(delivered.map((d) => d.topic)).toEqual([orders, audit, orders]);
    await producer.close();

    for (const isolation of ['read_committed', 'read_uncommitted'] as const) {
      expect(values(await readAll(broker, [orders], 2, isolation))).toEqual(['order-1', 'order-2']);
      expect(values(await readAll(broker, [audit], 1, isolation))).toEqual(['audit-1']);
    }
  });

  it.skipIf(broker.name === 'mock')(
    "an aborted transaction's records are invisible to read_committed (our consumer, the default, and kcat) and visible to read_uncommitted",
    async () => {
      // librdkafka 2.0.2's embedded broker writes no transaction markers: its readers see aborted records.
      const topic = uniqueTopic('aborted');
      await broker.createTopic(topic, 1);
      const producer = new Producer(transactionalConfig(broker));
      await producer.initTransactions();
      await producer.runTransaction(() => producer.send({ topic, payload: 'committed-1' }));
      producer.beginTransaction();
      await producer.send({ topic, payload: 'aborted-1' });
      await producer.send({ topic, payload: 'aborted-2' });
      await producer.abortTransaction();
      await producer.runTransaction(() => producer.send({ topic, payload: 'committed-2' }));
      await producer.close();

      expect(values(await readAll(broker, [topic], 2, 'read_committed'))).toEqual(['committed-1', 'committed-2']);
      expect(values(await readAll(broker, [topic], 2))).toEqual(['committed-1', 'committed-2']); // librdkafka's default
      expect(values(await readAll(broker, [topic], 4, 'read_uncommitted'))).toEqual(['committed-1', 'aborted-1', 'aborted-2', 'committed-2']);
      expect(await readWithKcat(broker.bootstrapServers, topic, 'read_committed')).toEqual(['committed-1', 'committed-2']);
      expect(await readWithKcat(broker.bootstrapServers, topic, 'read_uncommitted')).toEqual(['committed-1', 'aborted-1', 'aborted-2', 'committed-2']);
    },
  );

  it('consume-transform-produce: sendOffsets commits the input offsets (by default the positions read so far) with the output', async () => {
    const [input, output] = [uniqueTopic('input'), uniqueTopic('output')];
    await broker.createTopic(input, 1);
    await broker.createTopic(output, 1);
    const seed = new Producer({ 'bootstrap.servers': broker.bootstrapServers });
    await seed.sendBatch(['a', 'b', 'c', 'd'].map((payload) => ({ topic: input, payload })));
    await seed.close();

    const group = uniqueTopic('service');
    const consumer = new Consumer(consumerConfig(broker.bootstrapServers, group, { 'enable.auto.commit': false }), [input]);
    const producer = new Producer(transactionalConfig(broker));
    await producer.initTransactions();
    const firstTwo = await consumeCount(consumer, 2);
    expect(values(firstTwo)).toEqual(['a', 'b']);
    await producer.runTransaction(async () => {
      await producer.sendBatch(firstTwo.map((r) => ({ topic: output, payload: r.value()!.toString().toUpperCase() })));
      await producer.sendOffsets(consumer);
    });
    // librdkafka 2.0.2's embedded broker answers TxnOffsetCommit without storing the offsets.
    if (broker.name === 'kafka') expect(await consumer.committed(input, 0)).toBe(2);

    const lastTwo = await consumeCount(consumer, 2);
    await producer.runTransaction(async () => {
      await producer.sendBatch(lastTwo.map((r) => ({ topic: output, payload: r.value()!.toString().toUpperCase() })));
      await producer.sendOffsets(consumer, lastTwo); // records: offset + 1
    });
    if (broker.name === 'kafka') expect(await consumer.committed(input, 0)).toBe(4);
    await producer.close();
    await consumer.close();
    expect(values(await readAll(broker, [output], 4, 'read_committed'))).toEqual(['A', 'B', 'C', 'D']);
  });

  it('runTransaction returns what the function returns, and after a throw aborts, rethrows the same error and leaves the producer ready for the next', async () => {
    const topic = uniqueTopic('helper');
    await broker.createTopic(topic, 1);
    const producer = new Producer(transactionalConfig(broker));
    await producer.initTransactions();
    expect(await producer.runTransaction(async () => (await producer.send({ topic, payload: 'first' })).topic)).toBe(topic);
    const failure = new Error('transform failed');
    let pending: Promise<unknown> | undefined;
    const error = await producer
      .runTransaction(() => {
        pending = producer.send({ topic, payload: 'never' }).catch((e: unknown) => e);
        throw failure;
      })
      .catch((e: unknown) => e);
    expect(error).toBe(failure);
    const outcome = await pending;
    // Delivered before the abort, or purged by it: either way never committed.
    if (outcome instanceof KafkaError) expect(outcome.codeName).toBe('ERR__PURGE_QUEUE');
    await producer.runTransaction(() => producer.send({ topic, payload: 'second' }));
    await producer.close();
    if (broker.name === 'kafka') expect(values(await readAll(broker, [topic], 2, 'read_committed'))).toEqual(['first', 'second']);
  });

  describe('misuse is a clear KafkaError, never a crash or a hang', () => {
    it('beginTransaction before initTransactions, and a second beginTransaction', async () => {
      const producer = new Producer(transactionalConfig(broker));
      const early = thrown(() => producer.beginTransaction());
      expect(early.codeName).toBe('ERR__STATE');
      expect(early.message).toMatch(/^beginTransaction: .*state Init.*initTransactions\(\) once/);
      expect(early.fatal).toBe(false);
      await producer.initTransactions();
      producer.beginTransaction();
      const twice = thrown(() => producer.beginTransaction());
      expect(twice.codeName).toBe('ERR__STATE');
      expect(twice.message).toMatch(/state InTransaction/);
      await producer.abortTransaction();
      await producer.close();
    });

    it('sending outside a transaction on a transactional producer: produce throws, send rejects, both saying why', async () => {
      const topic = uniqueTopic('outside');
      await broker.createTopic(topic, 1);
      const producer = new Producer(transactionalConfig(broker));
      await producer.initTransactions();
      const produced = thrown(() => producer.produce(topic, 'x'));
      expect(produced.codeName).toBe('ERR__STATE');
      expect(produced.message).toMatch(/only inside a transaction: call beginTransaction\(\) first/);
      const sent = await rejection(producer.send({ topic, payload: 'x' }));
      expect(sent.message).toBe(produced.message);
      expect(producer.produceBatch.bind(producer, topic, ['x'])).toThrow(/only inside a transaction/);
      const batch = await rejection(producer.sendBatch([{ topic, payload: 'x' }, { topic, payload: 'y' }]));
      expect(batch.codeName).toBe('ERR__STATE');
      expect(batch.message).toBe(produced.message);
      const [settled] = await producer.sendBatchSettled([{ topic, payload: 'x' }]);
      expect(settled.error?.message).toBe(produced.message);
      // After a commit the producer is outside a transaction again.
      await producer.runTransaction(() => producer.send({ topic, payload: 'inside' }));
      expect(() => producer.produce(topic, 'after')).toThrow(/only inside a transaction/);
      await producer.close();
    });

    it('commit or abort with no transaction open, and transactions on a producer without transactional.id', async () => {
      const producer = new Producer(transactionalConfig(broker));
      await producer.initTransactions();
      expect((await rejection(producer.commitTransaction())).codeName).toBe('ERR__STATE');
      await producer.close();

      const plain = new Producer({ 'bootstrap.servers': broker.bootstrapServers });
      const init = await rejection(plain.initTransactions());
      expect(init.codeName).toBe('ERR__NOT_CONFIGURED');
      expect(init.message).toMatch(/transactional\.id/);
      expect(thrown(() => plain.beginTransaction()).codeName).toBe('ERR__NOT_CONFIGURED');
      await plain.close();
    });

    it('bad arguments are TypeErrors naming the parameter; a closed producer is ERR__STATE', async () => {
      const producer = new Producer(transactionalConfig(broker));
      await expect(producer.sendOffsets({} as Consumer)).rejects.toThrow(/Expected a Consumer for consumer but received an object/);
      await expect(producer.initTransactions(-1)).rejects.toThrow(/Expected an integer between 0 and 2147483647 for timeoutMs but received -1/);
      await expect(producer.runTransaction('work' as unknown as () => void)).rejects.toThrow(/Expected a function for work/);
      // A consumer that has not started has no group metadata to send.
      const idle = new Consumer(consumerConfig(broker.bootstrapServers, uniqueTopic('idle')));
      await producer.initTransactions();
      producer.beginTransaction();
      const notStarted = await rejection(producer.sendOffsets(idle, [{ topic: 't', partition: 0, offset: 1 }]));
      expect(notStarted.message).toMatch(/consumerHandle is not a consumer that has started/);
      await producer.abortTransaction();
      await idle.close();
      await producer.close();
      await expect(producer.initTransactions()).rejects.toMatchObject({ codeName: 'ERR__STATE', message: 'The producer is closed' });
      expect(() => producer.beginTransaction()).toThrow('The producer is closed');
    });
  });

  it.skipIf(broker.name === 'mock')(
    'fencing: a second instance with the same transactional.id fences the first, whose next operations fail fatally; the second carries on and nothing is duplicated',
    async () => {
      // librdkafka 2.0.2's embedded broker does not bump the producer epoch: nothing is fenced there.
      const topic = uniqueTopic('fenced');
      await broker.createTopic(topic, 1);
      const config = transactionalConfig(broker);
      const first = new Producer(config);
      await first.initTransactions();
      await first.runTransaction(() => first.send({ topic, payload: 'first-committed' }));
      first.beginTransaction();
      await first.send({ topic, payload: 'first-open' });

      const second = new Producer(config);
      await second.initTransactions(); // aborts the first's open transaction and fences it
      const fenced = await rejection(first.commitTransaction());
      expect(fenced.fatal).toBe(true);
      expect(fenced.retriable).toBe(false);
      expect(fenced.codeName).toBe('ERR__FENCED');
      // Commit after a fatal error, and every later call: the same fatal error, at once.
      const again = await rejection(first.commitTransaction());
      expect(again).toMatchObject({ fatal: true, codeName: 'ERR__FENCED' });
      expect(thrown(() => first.beginTransaction())).toMatchObject({ fatal: true, codeName: 'ERR__FENCED' });
      await expect(first.runTransaction(() => undefined)).rejects.toMatchObject({ fatal: true });
      await first.close();

      await second.runTransaction(() => second.send({ topic, payload: 'second-committed' }));
      await second.close();
      expect(values(await readAll(broker, [topic], 2, 'read_committed'))).toEqual(['first-committed', 'second-committed']);
      // To the end of the partition: nothing else, nothing twice.
      expect(await readWithKcat(broker.bootstrapServers, topic, 'read_committed')).toEqual(['first-committed', 'second-committed']);
    },
  );

  it.skipIf(broker.name === 'kafka')(
    'a refusal that dooms the transaction makes the commit abortable: runTransaction aborts and rethrows it, and the next transaction commits',
    async () => {
      const topic = uniqueTopic('refused');
      await broker.createTopic(topic, 1);
      const producer = new Producer(transactionalConfig(broker));
      await producer.initTransactions();
      // The coordinator refuses to add the partition to the transaction.
      broker.mock!.pushRequestErrors(ADD_PARTITIONS_TO_TXN, [TOPIC_AUTHORIZATION_FAILED]);
      const error = await rejection(producer.runTransaction(() => void producer.produce(topic, 'refused')));
      expect(error.message).toMatch(/^commitTransaction: .*Topic authorization failed/);
      expect(error).toMatchObject({ codeName: 'ERR_TOPIC_AUTHORIZATION_FAILED', abortable: true, fatal: false, retriable: false });
      expect(producer.deliveryReport(10).map((r) => r.error)).toEqual([ErrorCode._PURGE_QUEUE]); // the abort purged it
      await producer.runTransaction(() => producer.send({ topic, payload: 'accepted' }));
      await producer.close();
      expect(values(await readAll(broker, [topic], 1, 'read_committed'))).toEqual(['accepted']);
    },
  );

  it.skipIf(broker.name === 'kafka')(
    'commit after a fatal error (the coordinator says the producer was fenced): the same fatal KafkaError at once, never a hang',
    async () => {
      const topic = uniqueTopic('fatal');
      await broker.createTopic(topic, 1);
      const producer = new Producer(transactionalConfig(broker));
      await producer.initTransactions();
      producer.beginTransaction();
      await producer.send({ topic, payload: 'doomed' });
      broker.mock!.pushRequestErrors(END_TXN, [PRODUCER_FENCED]);
      const fatal = await rejection(producer.commitTransaction());
      expect(fatal).toMatchObject({ fatal: true, retriable: false, abortable: false });
      const again = await rejection(producer.commitTransaction());
      expect(again).toMatchObject({ code: fatal.code, fatal: true });
      await expect(producer.abortTransaction()).rejects.toMatchObject({ fatal: true });
      await producer.close();
    },
  );

  it.skipIf(broker.name === 'kafka')(
    'a commit that runs out of time is retriable and the event loop keeps running meanwhile; committing again succeeds',
    async () => {
      const topic = uniqueTopic('slow');
      await broker.createTopic(topic, 1);
      const producer = new Producer(transactionalConfig(broker));
      await producer.initTransactions();
      producer.beginTransaction();
      const sent = producer.send({ topic, payload: 'late' });
      await sent;
      for (const id of [1, 2, 3]) broker.mock!.setBrokerRtt(id, 4000); // the coordinator answers after the commit's timeout
      let error: KafkaError | undefined;
      const { longestGapMs } = await longestTimerGap(async () => {
        error = await rejection(producer.commitTransaction(1500));
      });
      expect(error).toMatchObject({ retriable: true, fatal: false, abortable: false });
      expect(longestGapMs).toBeLessThan(1000);
      for (const id of [1, 2, 3]) broker.mock!.setBrokerRtt(id, 0);
      await producer.commitTransaction();
      await producer.close();
      expect(values(await readAll(broker, [topic], 1, 'read_committed'))).toEqual(['late']);
    },
  );

  it('the C-style functions resolve [code, message, fatal, retriable, abortable]', async () => {
    const topic = uniqueTopic('capi');
    await broker.createTopic(topic, 1);
    const h = capi.InitKafka();
    capi.SetKafkaConf(h, 'bootstrap.servers', broker.bootstrapServers);
    capi.SetKafkaConf(h, 'transactional.id', uniqueTopic('capi-txn'));
    expect(capi.BeginTransaction(h)).toEqual([ErrorCode._STATE, expect.stringMatching(/state Init/), false, false, false]);
    expect(await capi.InitTransactions(h, 30000)).toEqual([0, '', false, false, false]);
    expect(capi.BeginTransaction(h)).toEqual([0, '', false, false, false]);
    expect(capi.Produce(h, topic, 'capi', null)[0]).toBe(0);
    expect(await capi.CommitTransaction(h, 30000)).toEqual([0, '', false, false, false]);
    expect(capi.BeginTransaction(h)).toEqual([0, '', false, false, false]);
    expect(await capi.AbortTransaction(h, 30000)).toEqual([0, '', false, false, false]);
    expect(() => capi.CommitTransaction(h, -5)).toThrow(/Expected an integer between 0 and 2147483647 for timeoutMs but received -5/);
    expect(() => capi.SendOffsetsToTransaction(h, null, {} as never)).toThrow(/Expected a Kafka handle from InitKafka\(\) for handle/);
    expect(await capi.UninitProducerAsync(h, 5000)).toBe(0);
  });
});
