// Admin, metadata and offsets, and the consumer's own partition controls (assign, seek, position,
// pause, resume, rebalance events). Every test runs against the embedded broker and a real Kafka
// broker; what the embedded broker cannot do must fail saying so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, ApiKey, capi, Consumer, KafkaError, Producer, SpecialOffset, type RebalanceEvent, type Record } from '../lib';
import { testBrokers, useBroker } from './brokers';
import { consumeAll, consumeCount, consumerConfig, uniqueTopic } from './helpers';

const UNSUPPORTED_FEATURE = -165;

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  let producer: Producer;
  let admin: Admin;
  beforeAll(() => {
    producer = new Producer({ 'bootstrap.servers': broker.bootstrapServers });
    admin = new Admin({ 'bootstrap.servers': broker.bootstrapServers });
  });
  afterAll(async () => {
    await producer.close();
    await admin.close();
  });

  /** Sends `count` messages to each listed partition, payload "<partition>:<i>". */
  async function fill(topic: string, partitions: number[], count: number): Promise<void> {
    await producer.sendBatch(partitions.flatMap((partition) => Array.from({ length: count }, (_, i) => ({ topic, partition, payload: `${partition}:${i}` }))));
  }

  /** A consumer; without `topics` it joins no group (for assign). */
  function consumer(group = uniqueTopic('g'), topics?: string[], extra: { [key: string]: string | number | boolean } = {}): Consumer {
    return new Consumer(consumerConfig(broker.bootstrapServers, group, extra), topics);
  }

  describe('metadata and offsets', () => {
    it('metadata shows every broker, and each partition of a 3-partition topic with a live leader among its replicas and ISR', async () => {
      const topic = uniqueTopic('md');
      await broker.createTopic(topic, 3);
      const md = await admin.metadata({ topics: [topic] });
      const brokerIds = md.brokers.map((b) => b.id).sort();
      expect(brokerIds).toEqual(broker.name === 'mock' ? [1, 2, 3] : [1]);
      for (const b of md.brokers) expect(b.port).toBeGreaterThan(0);
      expect(md.clusterId.startsWith('mockCluster')).toBe(broker.name === 'mock');
      expect(await admin.isEmbeddedBroker()).toBe(broker.name === 'mock');
      expect(md.topics).toHaveLength(1);
      const [t] = md.topics;
      expect(t.name).toBe(topic);
      expect(t.error).toBe(0);
      expect(t.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
      for (const p of t.partitions) {
        expect(brokerIds).toContain(p.leader);
        expect(p.replicas).toContain(p.leader);
        expect(p.isr).toContain(p.leader);
      }
      expect(await admin.listTopics()).toContain(topic);
    });

    it('a topic asked for by name that does not exist comes back with error 3 and is not created', async () => {
      const topic = uniqueTopic('missing');
      const md = await admin.metadata({ topics: [topic] });
      expect(md.topics).toEqual([{ name: topic, error: 3, partitions: [] }]);
      expect(await admin.listTopics()).not.toContain(topic);
    });

    it('watermarks: 7 messages on partition 0 and none on 1 give [0, 7] and [0, 0]', async () => {
      const topic = uniqueTopic('wm');
      await broker.createTopic(topic, 2);
      await fill(topic, [0], 7);
      expect(await admin.watermarkOffsets(topic, 0)).toEqual({ low: 0, high: 7 });
      expect(await admin.watermarkOffsets(topic, 1)).toEqual({ low: 0, high: 0 });
      await expect(admin.watermarkOffsets(topic, -1)).rejects.toThrow(TypeError);
    });

    it('offsetsForTimes finds the first message at or after a timestamp (real broker), -1 past the end; -1 and -2 give the end and the beginning', async () => {
      const topic = uniqueTopic('oft');
      await broker.createTopic(topic, 1);
      const base = Date.now() - 60_000;
      for (let i = 0; i < 5; i++) await producer.send({ topic, partition: 0, payload: `m${i}`, timestamp: base + i * 1000 });
      const at = async (timestamp: number) => (await admin.offsetsForTimes([{ topic, partition: 0, timestamp }]))[0].offset;
      if (broker.name === 'kafka') {
        expect(await at(base)).toBe(0);
        expect(await at(base + 2500)).toBe(3); // the first with timestamp >= base + 2.5 s
        expect(await at(base + 4000)).toBe(4);
        expect(await at(Date.now() + 60_000)).toBe(-1);
      } else {
        // The embedded broker answers every timestamp with -1: refused, saying so.
        await expect(at(base)).rejects.toMatchObject({ code: UNSUPPORTED_FEATURE, message: expect.stringContaining('embedded broker') });
      }
      expect(await at(-1)).toBe(5);
      expect(await at(-2)).toBe(0);
    });

    it("a group's committed offsets and lag: 10 of 15 messages read and committed leave a lag of 5", async () => {
      const topic = uniqueTopic('lag');
      await broker.createTopic(topic, 3);
      await fill(topic, [0, 1, 2], 5);
      const group = uniqueTopic('g');
      const c = consumer(group, [topic], { 'enable.auto.commit': false });
      const read = await consumeCount(c, 10);
      expect(read).toHaveLength(10);
      await c.commit();
      const perPartition = [0, 1, 2].map((p) => read.filter((r) => r.partition === p).length);

      const offsets = await admin.groupOffsets(group);
      expect(offsets.filter((o) => o.offset !== undefined)).toEqual(
        [0, 1, 2].filter((p) => perPartition[p] > 0).map((p) => ({ topic, partition: p, offset: perPartition[p] })),
      );
      const lag = await admin.groupLag(group);
      const rows = lag.partitions.filter((r) => r.topic === topic);
      expect(rows.map((r) => r.partition)).toEqual(broker.name === 'mock' ? [0, 1, 2].filter((p) => perPartition[p] > 0) : [0, 1, 2]);
      for (const r of rows) {
        expect(r.logEndOffset).toBe(5);
        expect(r.currentOffset).toBe(perPartition[r.partition] || undefined);
        expect(r.lag).toBe(r.currentOffset === undefined ? undefined : 5 - perPartition[r.partition]);
      }
      const unread = rows.reduce((sum, r) => sum + (r.lag ?? 5), 0) + 5 * (3 - rows.length); // a partition never read: all 5
      expect(unread).toBe(5);
      if (broker.name === 'kafka') {
        // The member still holds the partitions: its id, host and client id are on each row.
        expect(lag.state).toBe('Stable');
        expect(lag.members).toHaveLength(1);
        for (const r of rows) {
          expect(r.consumerId).toBe(lag.members![0].memberId);
          expect(r.clientId).toBe('rdkafka');
          expect(r.host).toMatch(/127\.0\.0\.1/);
        }
      } else {
        expect(lag.state).toBeUndefined(); // the embedded broker cannot describe groups
        expect(rows.every((r) => r.consumerId === undefined)).toBe(true);
      }
      await c.close();
    });

    it('a group that never committed has no committed offsets', async () => {
      expect(await admin.groupOffsets(uniqueTopic('nobody'))).toEqual([]);
    });

    // Before, "not coordinator" and "coordinator not available" killed the process on groupOffsets
    // (a null pointer in librdkafka's answer handling), and every one of them failed the call.
    it.runIf(broker.name === 'mock')('a group coordinator that is moving or still loading: groupOffsets and alterGroupOffsets ask again and answer', async () => {
      const topic = uniqueTopic('coord');
      await broker.createTopic(topic, 1);
      const group = uniqueTopic('g');
      let offset = 3;
      for (const code of [16, 15, 14]) { // NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS
        broker.mock!.pushRequestErrors(ApiKey.OffsetCommit, [code, code]);
        await admin.alterGroupOffsets(group, [{ topic, partition: 0, offset: ++offset }]);
        broker.mock!.pushRequestErrors(ApiKey.OffsetFetch, [code, code]);
        expect(await admin.groupOffsets(group, [{ topic, partition: 0 }])).toEqual([{ topic, partition: 0, offset }]);
      }
    });
  });

  describe('createTopics does what was asked, or refuses', () => {
    it('a spec librdkafka refuses (partitions or replication factor out of its range) rejects with ERR__INVALID_ARG and its reason, and nothing is created in its place', async () => {
      const refused: Array<[{ partitions: number; replicationFactor?: number }, RegExp]> = [
        [{ partitions: 200_000 }, /num_partitions out of expected range 1\.\.100000/],
        [{ partitions: 1, replicationFactor: 20_000 }, /replication_factor out of expected range -1\.\.10000/],
      ];
      for (const [spec, reason] of refused) {
        const name = uniqueTopic('refused');
        await expect(admin.createTopics({ name, ...spec }, { timeoutMs: 10_000 })).rejects.toMatchObject({ code: -186, message: expect.stringMatching(reason) });
        expect((await admin.metadata({ topics: [name] })).topics).toEqual([{ name, error: 3, partitions: [] }]);
      }
    });
  });

  describe.runIf(broker.name === 'kafka')('administration (real broker)', () => {
    it('createTopics with configs, then the metadata and describeConfigs show the partition count and the configs', async () => {
      const topic = uniqueTopic('created');
      await admin.createTopics({ name: topic, partitions: 4, replicationFactor: 1, configs: { 'retention.ms': 3_600_000, 'cleanup.policy': 'delete' } });
      const [t] = (await admin.metadata({ topics: [topic] })).topics;
      expect(t.partitions).toHaveLength(4);
      const configs = await admin.describeConfigs('topic', topic);
      const byName = new Map(configs.map((c) => [c.name, c]));
      expect(byName.get('retention.ms')).toMatchObject({ value: '3600000', source: 'dynamic-topic', isDefault: false });
      expect(byName.get('segment.bytes')?.source).not.toBe('dynamic-topic');
      await expect(admin.createTopics({ name: topic, partitions: 1 })).rejects.toMatchObject({ code: 36, message: expect.stringContaining(topic) }); // TOPIC_ALREADY_EXISTS
    });

    it('alterConfigs changes one property and keeps the others set on the topic; replace: true drops them', async () => {
      const topic = uniqueTopic('alter');
      await admin.createTopics({ name: topic, partitions: 1, configs: { 'retention.ms': 3_600_000 } });
      await admin.alterConfigs('topic', topic, { 'max.message.bytes': 200_000 });
      const dynamic = async () =>
        Object.fromEntries((await admin.describeConfigs('topic', topic)).filter((c) => c.source === 'dynamic-topic').map((c) => [c.name, c.value]));
      // alterConfigs resolves once the broker shows the change (it applies it after the controller answered).
      expect(await dynamic()).toEqual({ 'retention.ms': '3600000', 'max.message.bytes': '200000' });
      await admin.alterConfigs('topic', topic, { 'retention.ms': null });
      expect(await dynamic()).toEqual({ 'max.message.bytes': '200000' });
      await admin.alterConfigs('topic', topic, { 'retention.ms': 1000 }, { replace: true });
      expect(await dynamic()).toEqual({ 'retention.ms': '1000' });
    });

    it('createPartitions grows a topic from 2 to 5 partitions', async () => {
      const topic = uniqueTopic('grow');
      await admin.createTopics({ name: topic, partitions: 2 });
      await admin.createPartitions(topic, 5);
      expect((await admin.metadata({ topics: [topic] })).topics[0].partitions).toHaveLength(5);
      await expect(admin.createPartitions(topic, 3)).rejects.toBeInstanceOf(KafkaError); // cannot shrink
    });

    it('deleteRecords moves the first offset: after deleting before offset 4, the partition starts at 4 and a consumer reads 4..9', async () => {
      const topic = uniqueTopic('trim');
      await admin.createTopics({ name: topic, partitions: 1 });
      await fill(topic, [0], 10);
      expect(await admin.deleteRecords([{ topic, partition: 0, offset: 4 }])).toEqual([{ topic, partition: 0, lowWatermark: 4 }]);
      expect(await admin.watermarkOffsets(topic, 0)).toEqual({ low: 4, high: 10 });
      const c = consumer();
      c.assign([{ topic, partition: 0, offset: SpecialOffset.BEGINNING }]);
      expect((await consumeCount(c, 6)).map((r) => r.offset)).toEqual([4, 5, 6, 7, 8, 9]);
      await c.close();
    });

    it('listGroups and describeGroups show a live group with its member and assignment; deleteGroups removes it once empty', async () => {
      const topic = uniqueTopic('grp');
      await admin.createTopics({ name: topic, partitions: 2 });
      await fill(topic, [0, 1], 2);
      const group = uniqueTopic('g');
      const c = consumer(group, [topic]);
      expect(await consumeCount(c, 4)).toHaveLength(4);
      await c.commit();
      expect((await admin.listGroups()).find((g) => g.groupId === group)).toEqual({ groupId: group, simple: false, state: 'Stable' });
      const [description] = await admin.describeGroups(group);
      expect(description).toMatchObject({ groupId: group, state: 'Stable', partitionAssignor: 'range' });
      expect(description.coordinator?.id).toBe(1);
      expect(description.members).toHaveLength(1);
      expect(description.members[0].assignment).toEqual([{ topic, partition: 0 }, { topic, partition: 1 }]);
      await expect(admin.deleteGroups(group)).rejects.toMatchObject({ code: 68 }); // NON_EMPTY_GROUP
      await c.close();
      await admin.deleteGroups(group);
      expect((await admin.listGroups()).map((g) => g.groupId)).not.toContain(group);
      await expect(admin.groupLag(group)).rejects.toMatchObject({ code: 69, message: `Consumer group '${group}' does not exist` });
    });

    it('validateOnly: the broker checks the request and creates nothing; a refused spec among good ones fails alone', async () => {
      const topic = uniqueTopic('dry');
      await admin.createTopics({ name: topic, partitions: 3, replicationFactor: 1 }, { validateOnly: true });
      expect((await admin.metadata({ topics: [topic] })).topics[0].error).toBe(3);
      await expect(admin.createTopics({ name: topic, partitions: 1, replicationFactor: 2 }, { validateOnly: true })).rejects.toMatchObject({ code: 38 }); // INVALID_REPLICATION_FACTOR
      const refused = uniqueTopic('refused');
      await expect(admin.createTopics([{ name: topic, partitions: 3 }, { name: refused, partitions: 200_000 }])).rejects.toMatchObject({ code: -186, message: expect.stringContaining(refused) });
      const md = await admin.metadata({ topics: [topic, refused] });
      expect(md.topics.map((t) => [t.name, t.error, t.partitions.length])).toEqual([
        [topic, 0, 3],
        [refused, 3, 0],
      ]);
    });

    it('deleteTopics removes the topic from listTopics', async () => {
      const topic = uniqueTopic('doomed');
      await admin.createTopics({ name: topic, partitions: 1 });
      expect(await admin.listTopics()).toContain(topic);
      await admin.deleteTopics(topic);
      expect(await admin.listTopics()).not.toContain(topic);
      await expect(admin.deleteTopics(topic)).rejects.toMatchObject({ code: 3 });
    });
  });

  describe.runIf(broker.name === 'mock')('what the embedded broker cannot do', () => {
    it('every admin request it lacks fails at once with ERR__UNSUPPORTED_FEATURE, saying the embedded broker does not support it', async () => {
      const topic = uniqueTopic('mockadmin');
      await broker.createTopic(topic, 1);
      const attempts: [string, () => Promise<unknown>][] = [
        ['CreateTopics', () => admin.createTopics({ name: uniqueTopic(), partitions: 1 })],
        ['DeleteTopics', () => admin.deleteTopics(topic)],
        ['CreatePartitions', () => admin.createPartitions(topic, 2)],
        ['DescribeConfigs', () => admin.describeConfigs('topic', topic)],
        ['AlterConfigs', () => admin.alterConfigs('topic', topic, { 'retention.ms': 1000 }, { replace: true })],
        ['DeleteRecords', () => admin.deleteRecords([{ topic, partition: 0, offset: 0 }])],
        ['ListConsumerGroups', () => admin.listGroups()],
        ['DescribeConsumerGroups', () => admin.describeGroups('g')],
        ['DeleteGroups', () => admin.deleteGroups('g')], // would abort the process if it were sent
      ];
      for (const [request, attempt] of attempts) {
        const started = Date.now();
        const error = await attempt().then(() => undefined, (e: unknown) => e);
        expect(error, request).toBeInstanceOf(KafkaError);
        expect((error as KafkaError).code, request).toBe(UNSUPPORTED_FEATURE);
        expect((error as KafkaError).message, request).toContain(`The embedded broker (librdkafka's mock cluster) does not support ${request}`);
        expect(Date.now() - started, request).toBeLessThan(2000);
      }
      // The topic is still there, and the client still works.
      expect(await admin.listTopics()).toContain(topic);
    });

    it('the C-style DeleteGroups is refused too, and the process lives on', async () => {
      const h = capi.InitKafka();
      capi.SetKafkaConf(h, 'bootstrap.servers', broker.bootstrapServers);
      expect(await capi.DeleteGroups(h, ['g'], 5000)).toEqual([UNSUPPORTED_FEATURE, "The embedded broker (librdkafka's mock cluster) does not support DeleteGroups"]);
      expect((await capi.Metadata(h, [], 5000))[0]).toBe(0);
      capi.UninitProducer(h, 0);
    });
  });

  describe('consumer: assign, seek, position, pause, resume', () => {
    it('assign (no group join) reads exactly the assigned partition from the beginning; assignment and position follow', async () => {
      const topic = uniqueTopic('assign');
      await broker.createTopic(topic, 3);
      await fill(topic, [0, 1, 2], 4);
      const c = consumer();
      expect(c.assignment()).toEqual([]);
      c.assign([{ topic, partition: 1, offset: SpecialOffset.BEGINNING }]);
      expect(c.assignment()).toEqual([{ topic, partition: 1 }]);
      const got = await consumeCount(c, 4);
      expect(got.map((r) => r.value())).toEqual(['1:0', '1:1', '1:2', '1:3']);
      expect(c.position(topic, 1)).toBe(4);
      expect(await c.consumeRecord(300)).toBeUndefined(); // nothing from 0 or 2
      expect(await c.watermarkOffsets(topic, 1)).toEqual({ low: 0, high: 4 });
      c.unassign();
      expect(c.assignment()).toEqual([]);
      await c.close();
    });

    it('assign at a given offset, and at the end: only what is produced afterwards', async () => {
      const topic = uniqueTopic('assignat');
      await broker.createTopic(topic, 2);
      await fill(topic, [0, 1], 5);
      const c = consumer();
      c.assign([{ topic, partition: 0, offset: 3 }, { topic, partition: 1, offset: SpecialOffset.END }]);
      const first = await consumeCount(c, 2);
      expect(first.map((r) => r.value())).toEqual(['0:3', '0:4']);
      expect(await c.consumeRecord(500)).toBeUndefined();
      // librdkafka turns END into an offset with a lookup of its own, at a moment we cannot see:
      // a record produced before that lookup answers is behind the end it finds. So new records
      // are produced until one arrives; the first one read must be one of them, never an old one.
      let got: Record | undefined;
      for (let i = 0; got === undefined && i < 20; i++) {
        await producer.send({ topic, partition: 1, payload: `new-${i}` });
        got = await c.consumeRecord(1_000);
      }
      expect(got?.value()).toMatch(/^new-\d+$/);
      expect(got!.offset).toBeGreaterThanOrEqual(5);
      await c.close();
    });

    it('seek goes back to offset 2 and forward to the end', async () => {
      const topic = uniqueTopic('seek');
      await broker.createTopic(topic, 1);
      await fill(topic, [0], 6);
      const c = consumer();
      c.assign([{ topic, partition: 0, offset: 0 }]);
      expect((await consumeCount(c, 6)).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5]);
      c.seek(topic, 0, 2);
      expect((await consumeCount(c, 4)).map((r) => r.offset)).toEqual([2, 3, 4, 5]);
      c.seek(topic, 0, SpecialOffset.BEGINNING);
      expect((await c.consumeRecord(10_000))?.offset).toBe(0);
      expect(() => c.seek(topic, 7, 0)).toThrow(/not assigned to this consumer/);
      expect(() => c.seek(topic, 0, -7)).toThrow(TypeError);
      await c.close();
    });

    it('pause holds back one partition while the other flows; resume lets it through', async () => {
      const topic = uniqueTopic('pause');
      await broker.createTopic(topic, 2);
      const c = consumer();
      c.assign([{ topic, partition: 0, offset: SpecialOffset.BEGINNING }, { topic, partition: 1, offset: SpecialOffset.BEGINNING }]);
      c.pause([{ topic, partition: 1 }]);
      await fill(topic, [0, 1], 3);
      const flowing = await consumeCount(c, 3);
      expect(flowing.map((r) => r.partition)).toEqual([0, 0, 0]);
      expect(await c.consumeRecord(1000)).toBeUndefined();
      c.resume([{ topic, partition: 1 }]);
      expect((await consumeCount(c, 3)).map((r) => r.value())).toEqual(['1:0', '1:1', '1:2']);
      expect(() => c.pause([{ topic: uniqueTopic(), partition: 0 }])).toThrow(KafkaError);
      await c.close();
    });

    it('the partition controls need a started consumer and say so', async () => {
      const c = consumer(uniqueTopic('g'));
      expect(() => c.seek('t', 0, 0)).toThrow(/subscribe\(\) or assign\(\) first/);
      expect(() => c.position('t', 0)).toThrow(/subscribe\(\) or assign\(\) first/);
      await expect(c.watermarkOffsets('t', 0)).rejects.toThrow(/subscribe\(\) or assign\(\) first/);
      expect(() => c.assign([{ topic: '', partition: 0 }])).toThrow(TypeError);
      await c.close();
    });
  });

  describe('consumer: rebalance events', () => {
    /** Skips when this build's KafkaHandle::Start lacks the rebalance hook (see PrepareConsumerConf). */
    function skipWithoutHook(c: Consumer, skip: (note: string) => void): void {
      if (capi.ConsumerEvents(c.handle, 1)[0] === -170) skip('the rebalance hook is not installed in KafkaHandle::Start');
    }

    async function readUntil(members: Consumer[], done: () => boolean, deadlineMs = 40_000): Promise<Record[]> {
      const got: Record[] = [];
      const deadline = Date.now() + deadlineMs;
      while (!done() && Date.now() < deadline) got.push(...(await consumeAll(members, 1, 300)).flat());
      return got;
    }

    it.for(['range', 'cooperative-sticky'])('%s: the first member is assigned every partition, and a second member takes some of them over', async (strategy, context) => {
      const topic = uniqueTopic('rebalance');
      await broker.createTopic(topic, 4);
      const group = uniqueTopic('g');
      const events: [string, RebalanceEvent][] = [];
      const member = (name: string) =>
        new Consumer(consumerConfig(broker.bootstrapServers, group, { 'partition.assignment.strategy': strategy }), [topic], {
          onRebalance: (event) => events.push([name, event]),
        });
      const a = member('a');
      skipWithoutHook(a, context.skip);
      await readUntil([a], () => events.length > 0);
      const protocol = strategy === 'range' ? 'EAGER' : 'COOPERATIVE';
      expect(events).toEqual([['a', { type: 'assign', partitions: [0, 1, 2, 3].map((partition) => ({ topic, partition })), lost: false, protocol }]]);
      expect(a.assignment()).toHaveLength(4);

      const b = member('b');
      await readUntil([a, b], () => a.assignment().length === 2 && b.assignment().length === 2);
      const ofA = events.filter(([who]) => who === 'a').map(([, e]) => e);
      const ofB = events.filter(([who]) => who === 'b').map(([, e]) => e);
      const held = (list: RebalanceEvent[]) => {
        const now = new Set<number>();
        for (const e of list) for (const p of e.partitions) e.type === 'assign' ? now.add(p.partition) : now.delete(p.partition);
        return [...now].sort();
      };
      expect(ofA[1].type).toBe('revoke');
      if (protocol === 'EAGER') expect(ofA[1].partitions).toHaveLength(4); // everything goes back
      else expect(ofA[1].partitions).toHaveLength(2); // only what moves
      expect(held(ofA)).toEqual(a.assignment().map((p) => p.partition).sort());
      expect(held(ofB)).toEqual(b.assignment().map((p) => p.partition).sort());
      expect([...held(ofA), ...held(ofB)].sort()).toEqual([0, 1, 2, 3]);
      expect(events.every(([, e]) => e.protocol === protocol && !e.lost)).toBe(true);
      await Promise.all([a.close(), b.close()]);
    });

    it('onRebalance after the consumer started is refused', async () => {
      const topic = uniqueTopic();
      await broker.createTopic(topic, 1);
      const c = consumer(uniqueTopic('g'), [topic]);
      expect(() => c.onRebalance(() => {})).toThrow(/before the consumer starts/);
      expect(() => new Consumer({}, undefined, { onRebalance: 42 as never })).toThrow(TypeError);
      await c.close();
    });
  });
});

describe('C-style argument checks', () => {
  it('every new function names the parameter it refuses', async () => {
    const h = capi.InitKafka();
    expect(() => capi.Metadata(h, 'topic' as never)).toThrow(/Expected an array of strings for topics but received 'topic' of type string/);
    expect(() => capi.Metadata(h, ['ok', 7] as never)).toThrow(/for topics\[1\]/);
    expect(() => capi.CreatePartitions(h, [['t', 0]])).toThrow(/Expected an integer between 1 and 1000000 for topics\[0\]\[1\]/);
    expect(() => capi.DescribeConfigs(h, [[9 as never, 't']])).toThrow(/for resources\[0\]\[0\]/);
    expect(() => capi.AlterConfigs(h, [[2, 't', [['k', 5 as never]]]])).toThrow(/Expected a string or null for resources\[0\]\[2\]\[0\]\[1\]/);
    expect(() => capi.QueryWatermarkOffsets(h, 't', -1)).toThrow(/for partition/);
    expect(() => capi.OffsetsForTimes(h, {} as never)).toThrow(/Expected a list from NewTopicPartitionList\(\) for list/);
    // @ts-expect-error -- the empty groupId is refused before the missing list is looked at
    expect(() => capi.ListConsumerGroupOffsets(h, '')).toThrow(/for groupId/);
    expect(() => capi.DeleteGroups(h, [''])).toThrow(/for groups\[0\]/);
    expect(() => capi.Seek(h, capi.NewTopicPartitionList(), -1)).toThrow(/for timeoutMs/);
    expect(() => capi.Assign(h, 'all' as never)).toThrow(TypeError);
    expect(() => capi.ConsumerEvents({} as never)).toThrow(/Kafka handle/);
    // Before the consumer starts: codes, not crashes.
    const fresh = capi.InitKafka();
    const list = capi.NewTopicPartitionList();
    capi.SetTopicPartitionList(list, 't', 0);
    expect(capi.Position(fresh, list)[0]).toBe(-172);
    expect(capi.Pause(fresh, list)[0]).toBe(-172);
    expect(capi.Seek(fresh, list)[0]).toBe(-172);
    expect(capi.Assignment(fresh)).toEqual([-172, []]);
    expect(capi.Unsubscribe(fresh)).toBe(-172);
    expect(capi.ConsumerEvents(fresh)).toEqual([0, []]);
    expect(capi.GetWatermarkOffsets(fresh, 't', 0)).toEqual([-172, -1001, -1001]);
    capi.UninitProducer(h, 0);
    capi.UninitConsumer(fresh);
  });

  it('ListConsumerGroupOffsets on a handle without a consumer group is refused, not sent (librdkafka would crash on a "not coordinator" answer)', async () => {
    const h = capi.InitKafka();
    capi.SetKafkaConf(h, 'bootstrap.servers', '127.0.0.1:1');
    const list = capi.NewTopicPartitionList();
    capi.SetTopicPartitionList(list, 't', 0);
    expect(await capi.ListConsumerGroupOffsets(h, 'g', list, 1000)).toEqual([-186, expect.stringMatching(/runs on a consumer's handle with a group\.id/)]);
    capi.UninitProducer(h, 0);
  });
});
