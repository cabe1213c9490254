// Configs through the Admin class on a real broker: what describeConfigs reports (synonyms
// included), alterConfigs' validateOnly and read-after-write, and incrementalAlterConfigs, which
// needs librdkafka 2.2.0 (on 2.0.2 it is refused naming the version; test:librdkafka-latest runs
// it for real). The embedded broker cannot describe or alter configs (test/admin.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, librdkafkaVersion } from '../lib';
import { testBrokers, useBroker } from './brokers';
import { uniqueTopic } from './helpers';

/** librdkafka's version as a number, e.g. 0x020002ff for 2.0.2. */
const VERSION = librdkafkaVersion().hex;
const INCREMENTAL = VERSION >= 0x020200ff;

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  let admin: Admin;
  beforeAll(() => {
    admin = new Admin({ 'bootstrap.servers': broker.bootstrapServers });
  });
  afterAll(() => admin?.close());

  describe.runIf(broker.name === 'kafka')('configs (real broker)', () => {
    const dynamic = async (topic: string) =>
      Object.fromEntries((await admin.describeConfigs('topic', topic)).filter((c) => c.source === 'dynamic-topic').map((c) => [c.name, c.value]));

    it("each property comes with its synonyms: where else its value could come from, highest precedence first", async () => {
      const topic = uniqueTopic('synonyms');
      await admin.createTopics({ name: topic, partitions: 1, configs: { 'retention.ms': 3_600_000 } });
      const retention = (await admin.describeConfigs('topic', topic)).find((c) => c.name === 'retention.ms');
      expect(retention?.synonyms).toEqual([{ name: 'retention.ms', value: '3600000', source: 'dynamic-topic' }]);
      const id = String((await admin.metadata({ topics: [] })).brokers[0].id);
      const backoff = (await admin.describeConfigs('broker', id)).find((c) => c.name === 'log.cleaner.backoff.ms');
      expect(backoff?.synonyms).toEqual([{ name: 'log.cleaner.backoff.ms', value: '15000', source: 'default' }]);
    });

    it('changes made one right after another are all kept: each alterConfigs reads what the one before it wrote', async () => {
      const topic = uniqueTopic('sequence');
      await admin.createTopics({ name: topic, partitions: 1 });
      await admin.alterConfigs('topic', topic, { 'retention.ms': 1000 });
      await admin.alterConfigs('topic', topic, { 'max.message.bytes': 200_000 });
      await admin.alterConfigs('topic', topic, { 'cleanup.policy': 'compact' });
      expect(await dynamic(topic)).toEqual({ 'retention.ms': '1000', 'max.message.bytes': '200000', 'cleanup.policy': 'compact' });
    });

    it('validateOnly has the broker check a change and changes nothing; a change it refuses is refused', async () => {
      const topic = uniqueTopic('validate');
      await admin.createTopics({ name: topic, partitions: 1 });
      await admin.alterConfigs('topic', topic, { 'retention.ms': 1000 }, { validateOnly: true });
      expect(await dynamic(topic)).toEqual({});
      await expect(admin.alterConfigs('topic', topic, { 'retention.ms': 'soon' }, { validateOnly: true })).rejects.toMatchObject({ message: expect.stringContaining('retention.ms') });
    });

    it.runIf(!INCREMENTAL)('incrementalAlterConfigs on librdkafka before 2.2.0 is refused with ERR__NOT_IMPLEMENTED naming the version', async () => {
      const topic = uniqueTopic('incremental');
      await admin.createTopics({ name: topic, partitions: 1 });
      await expect(admin.incrementalAlterConfigs('topic', topic, [{ name: 'retention.ms', op: 'set', value: '1000' }])).rejects.toMatchObject({
        code: -170,
        message: expect.stringMatching(/IncrementalAlterConfigs needs librdkafka 2\.2\.0 or newer/),
      });
      expect(await dynamic(topic)).toEqual({});
    });

    it.runIf(INCREMENTAL)('incrementalAlterConfigs sets, deletes, appends and subtracts only the properties named', async () => {
      const topic = uniqueTopic('incremental');
      await admin.createTopics({ name: topic, partitions: 1, configs: { 'retention.ms': 3_600_000 } });
      await admin.incrementalAlterConfigs('topic', topic, [
        { name: 'max.message.bytes', op: 'set', value: '200000' },
        { name: 'cleanup.policy', op: 'append', value: 'compact' },
      ]);
      expect(await dynamic(topic)).toEqual({ 'retention.ms': '3600000', 'max.message.bytes': '200000', 'cleanup.policy': 'delete,compact' });
      await admin.incrementalAlterConfigs('topic', topic, [
        { name: 'retention.ms', op: 'delete' },
        { name: 'cleanup.policy', op: 'subtract', value: 'delete' },
      ]);
      expect(await dynamic(topic)).toEqual({ 'max.message.bytes': '200000', 'cleanup.policy': 'compact' });
      await admin.incrementalAlterConfigs('topic', topic, [{ name: 'max.message.bytes', op: 'set', value: '1' }], { validateOnly: true });
      expect((await dynamic(topic))['max.message.bytes']).toBe('200000');
    });

    it('incrementalAlterConfigs checks its arguments before anything is sent', async () => {
      const topic = uniqueTopic('incremental-args');
      await expect(admin.incrementalAlterConfigs('topic', topic, [])).rejects.toThrow(/Expected a non-empty array of \{ name, op, value\? \} for changes/);
      await expect(admin.incrementalAlterConfigs('topic', topic, [{ name: 'retention.ms', op: 'upsert' as never, value: '1' }])).rejects.toThrow(/for changes\[0\]\.op but received 'upsert'/);
      await expect(admin.incrementalAlterConfigs('topic', topic, [{ name: 'retention.ms', op: 'constructor' as never, value: '1' }])).rejects.toThrow(/for changes\[0\]\.op/);
      await expect(admin.incrementalAlterConfigs('topic', topic, [{ name: 'retention.ms', op: 'set' }])).rejects.toThrow(/Expected a string for changes\[0\]\.value/);
    });
  });
});
