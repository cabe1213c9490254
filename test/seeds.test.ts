// The Confluent REST Proxy flows of the documents the project was created from, replayed request
// by request exactly as they are written (../shared/seeds/): the REST Proxy README's JSON and
// binary quickstarts and its metadata calls, and the kdb+/q session. Kafka-Pixy's quickstart is
// in proxy-pixy.test.ts. Each runs on both brokers, against a proxy over real HTTP.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULTS, startProxy, type RunningProxy } from '../lib/proxy';
import { testBrokers, useBroker } from './brokers';
import { avroQuickstart, binaryQuickstart, curl, jsonQuickstart, kdbSession } from './seed-flows';

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  let proxy: RunningProxy;
  let base: string;
  beforeAll(async () => {
    // On the embedded broker as `npm start` runs it (the proxy starts its own), or on the real one.
    proxy = await startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '', bootstrapServers: broker.name === 'mock' ? '' : broker.bootstrapServers });
    base = proxy.url;
  });
  afterAll(() => proxy.close());

  describe('the REST Proxy README (seed 001)', () => {
    it('Produce and Consume Avro Messages (the embedded Schema Registry)', () => avroQuickstart(base, proxy.schemaRegistryUrl!));

    it('Produce and Consume JSON Messages', () => jsonQuickstart(base));

    it('Produce and Consume Binary Messages', () => binaryQuickstart(base));

    it('Inspect Topic Metadata (after the three quickstarts)', async () => {
      const topics = await curl('GET', `${base}/topics`);
      expect(topics.body).toEqual(expect.arrayContaining(['avrotest', 'binarytest', 'jsontest']));
      const topic = await curl('GET', `${base}/topics/jsontest`);
      expect(topic.body).toMatchObject({ name: 'jsontest', configs: expect.any(Object), partitions: [{ partition: 0, leader: expect.any(Number), replicas: [expect.objectContaining({ leader: true, in_sync: true })] }] });
      const partitions = await curl('GET', `${base}/topics/jsontest/partitions`);
      expect(partitions.body).toEqual(topic.body.partitions);
    });
  });

  describe('the kdb+/q session (seed 000)', () => {
    it('publish, consume, the committed offsets as the consumer goes, seek to the beginning, delete', () => kdbSession(base));
  });
});

describe.runIf(process.env.RDKAFKA_TEST_BROKERS !== 'mock')('the Avro quickstart (seed 001) with a real Schema Registry (Apicurio)', () => {
  let proxy: RunningProxy;
  beforeAll(async () => {
    // The proxy's own embedded broker (the README's offsets start at 0), the run's Apicurio.
    proxy = await startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '', bootstrapServers: '', schemaRegistryUrl: inject('schemaRegistryUrl') });
  });
  afterAll(() => proxy.close());

  it('Produce and Consume Avro Messages', () => avroQuickstart(proxy.url, inject('schemaRegistryUrl')));
});
