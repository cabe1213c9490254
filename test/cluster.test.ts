// Faults on a real three-node Kafka cluster (KRaft, from scripts/kafka/broker.mjs), started by
// this file: a partition leader killed with SIGKILL under an idempotent producer, and a group
// member killed with SIGKILL mid-stream. About 1.5 minutes on the 2-core machine; it runs in every
// mode, RDKAFKA_TEST_BROKERS=mock included, since it starts its own cluster.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { capi, Consumer, KafkaError, Producer, type Record } from '../lib';
import { runKafkaTool } from '../scripts/kafka/broker.mjs';
import { consumerConfig, uniqueTopic } from './helpers';
import { createReplicatedTopic, useThreeNodeCluster } from './three-nodes';

const KCAT = '/usr/bin/kcat';
const DIST = path.join(__dirname, '..', 'dist', 'index.js');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

async function until(what: string, condition: () => boolean, timeoutMs: number, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail()}`);
    await sleep(20);
  }
}

describe('faults on a three-node Kafka cluster', () => {
  const cluster = useThreeNodeCluster();

  const createTopic = (name: string, partitions: number, configs: Array<[string, string]> = []) => createReplicatedTopic(cluster, name, partitions, Object.fromEntries(configs));

  /** A replicated topic holding `perPartition` records "m<i>" in each partition (record i in partition i % partitions). */
  async function createFilledTopic(topic: string, partitions: number, perPartition: number): Promise<void> {
    await createTopic(topic, partitions);
    const producer = new Producer({ 'bootstrap.servers': cluster.kafka.bootstrapServers, acks: 'all' });
    await producer.sendBatch(Array.from({ length: partitions * perPartition }, (_, i) => ({ topic, partition: i % partitions, payload: `m${i}` })));
    await producer.close();
  }

  /** The leader of each partition, from Kafka's own TopicCommand --describe ("Partition: 0 Leader: 2 ..."). */
  async function leaders(topic: string): Promise<Map<number, number>> {
    const { code, stdout, stderr } = await runKafkaTool('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', cluster.kafka.bootstrapServers, '--describe', '--topic', topic]);
    if (code !== 0) throw new Error(`TopicCommand --describe failed (${code}): ${stderr}`);
    return new Map([...stdout.matchAll(/Partition:\s*(\d+)\s+Leader:\s*(-?\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]));
  }

  /** Every record of a topic as kcat reads it (an independent reader), up to the end of each partition. */
  function readAllWithKcat(topic: string): Promise<Array<{ partition: number; offset: number; value: string }>> {
    return new Promise((resolve, reject) => {
      const child = spawn(KCAT, ['-b', cluster.kafka.bootstrapServers, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p %o %s\\n']);
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
      child.stderr.setEncoding('utf8').on('data', (text: string) => (err += text));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code !== 0) return reject(new Error(`kcat exited with ${code}: ${err}`));
        const lines = out.split('\n').filter((line) => line.length > 0);
        resolve(
          lines.map((line) => {
            const [partition, offset, value] = line.split(' ');
            return { partition: Number(partition), offset: Number(offset), value };
          }),
        );
      });
    });
  }

  /** What an idempotent-producer run under a leader kill left behind. */
  interface IdempotentRun {
    total: number;
    delivered: Map<number, { partition: number; offset: number }>;
    failed: Map<number, number>;
    settledTwice: number;
    deliveredAtKill: number;
    /** Every record on the broker afterwards, as kcat read it: payload = the message's seq. */
    onBroker: Array<{ partition: number; offset: number; value: string }>;
  }

  const PARTITIONS = 3;

  /**
   * Sends 200,000 numbered messages (seq -> partition seq % 3, payload "seq") with acks=all and
   * enable.idempotence=true, 1,000 every 100 ms (about 20 s), and SIGKILLs the leader of partition
   * 0 once 50,000 are sent and 20,000 delivered. Waits for every send to settle, reads the topic
   * back with kcat, and restarts the killed node so that the cluster is whole again.
   */
  async function idempotentRunWithLeaderKill(messageTimeoutMs: number): Promise<IdempotentRun> {
    const topic = uniqueTopic('idempotent');
    const total = 200_000;
    await createTopic(topic, PARTITIONS, [['min.insync.replicas', '2']]);
    const victim = (await leaders(topic)).get(0)!;
    expect([1, 2, 3]).toContain(victim);

    const producer = new Producer({
      'bootstrap.servers': cluster.kafka.bootstrapServers,
      acks: 'all',
      'enable.idempotence': true,
      'linger.ms': 10,
      'message.timeout.ms': messageTimeoutMs,
    });
    const run: IdempotentRun = { total, delivered: new Map(), failed: new Map(), settledTwice: 0, deliveredAtKill: 0, onBroker: [] };
    const settle = (seq: number) => {
      if (run.delivered.has(seq) || run.failed.has(seq)) run.settledTwice++;
    };
    const sends: Promise<void>[] = [];
    const t0 = Date.now();
    let killedAt = 0;
    for (let seq = 0; seq < total; seq++) {
      sends.push(
        producer.send({ topic, partition: seq % PARTITIONS, payload: String(seq) }).then(
          (result) => {
            settle(seq);
            run.delivered.set(seq, { partition: result.partition, offset: result.offset });
          },
          (error: unknown) => {
            settle(seq);
            run.failed.set(seq, error instanceof KafkaError ? error.code : Number.NaN);
          },
        ),
      );
      if (seq % 1000 !== 999) continue;
      if (killedAt === 0 && seq >= 50_000 && run.delivered.size >= 20_000) {
        expect(cluster.kafka.kill(victim, 'SIGKILL')).toBe(true);
        killedAt = Date.now();
        run.deliveredAtKill = run.delivered.size;
      }
      await sleep(100);
    }
    await Promise.race([Promise.all(sends), sleep(messageTimeoutMs + 120_000)]);
    const errors = [...new Set(run.failed.values())].map((code) => capi.ErrorName(code));
    console.log(
      `idempotent producer, message.timeout.ms ${messageTimeoutMs}: leader ${victim} of partition 0 killed ${((killedAt - t0) / 1000).toFixed(1)} s in, ` +
        `after ${run.deliveredAtKill} deliveries; ${run.delivered.size} delivered, ${run.failed.size} failed (${errors.join(', ') || 'none'}), ` +
        `${total - run.delivered.size - run.failed.size} unsettled; all settled ${seconds(t0)} after the first send`,
    );
    await producer.close();
    expect(killedAt, 'the leader was killed').toBeGreaterThan(0);

    const t1 = Date.now();
    run.onBroker = await readAllWithKcat(topic);
    console.log(`read back ${run.onBroker.length} records with kcat in ${seconds(t1)}`);
    const t2 = Date.now();
    await cluster.kafka.restart(victim);
    console.log(`node ${victim} restarted in ${seconds(t2)}`);
    return run;
  }

  /** Nothing silently lost: one report per message, and every success report is true. */
  function expectEveryMessageAccountedFor(run: IdempotentRun): Map<number, Array<{ partition: number; offset: number }>> {
    const { total, delivered, failed } = run;
    expect(run.deliveredAtKill).toBeLessThan(total / 2); // the kill came mid-stream
    expect(total - delivered.size - failed.size, 'messages without any delivery report').toBe(0);
    expect(run.settledTwice, 'messages with two delivery reports').toBe(0);
    const errors = [...new Set(failed.values())].map((code) => capi.ErrorName(code));
    expect(errors.filter((name) => name !== '_MSG_TIMED_OUT'), 'unexpected delivery errors').toEqual([]);
    const strangers = run.onBroker.filter((r) => !(/^\d+$/.test(r.value) && Number(r.value) < total && Number(r.value) % PARTITIONS === r.partition));
    expect(strangers.slice(0, 10), 'records we never sent, or on the wrong partition').toEqual([]);
    const copies = new Map<number, Array<{ partition: number; offset: number }>>();
    for (const r of run.onBroker) {
      const seq = Number(r.value);
      copies.set(seq, [...(copies.get(seq) ?? []), { partition: r.partition, offset: r.offset }]);
    }
    // Every successful delivery report is true: the message is on the broker, where the report said.
    const missing = [...delivered.keys()].filter((seq) => !copies.has(seq));
    expect(missing.slice(0, 10), `${missing.length} delivered messages missing from the broker`).toEqual([]);
    const misplaced = [...delivered].filter(([seq, at]) => !copies.get(seq)!.some((c) => c.partition === at.partition && c.offset === at.offset));
    expect(misplaced.slice(0, 10), `${misplaced.length} delivered messages not where their report said`).toEqual([]);
    return copies;
  }

  /** Records written twice, and the places where a partition goes back in send order. */
  function duplicatesAndReorderings(run: IdempotentRun, copies: Map<number, unknown[]>): { duplicates: number[]; reorderings: string[] } {
    const duplicates = [...copies].filter(([, at]) => at.length > 1).map(([seq]) => seq);
    const reorderings: string[] = [];
    for (let p = 0; p < PARTITIONS; p++) {
      const log = run.onBroker.filter((r) => r.partition === p).sort((a, b) => a.offset - b.offset);
      for (let i = 1; i < log.length; i++) {
        if (Number(log[i].value) <= Number(log[i - 1].value)) reorderings.push(`partition ${p} offset ${log[i].offset}: ${log[i - 1].value} then ${log[i].value}`);
      }
    }
    return { duplicates, reorderings };
  }

  // Killing a leader stalls acks=all writes on every partition whose ISR held it until the
  // controller fences the dead node (about 7-10 s here); a 60 s message timeout rides that out.
  it(
    'idempotent producer (acks=all): while a partition leader is SIGKILLed, every delivered message is on the broker exactly once and in order, every other one got an error report',
    async () => {
      const run = await idempotentRunWithLeaderKill(60_000);
      const copies = expectEveryMessageAccountedFor(run);
      const { duplicates, reorderings } = duplicatesAndReorderings(run, copies);
      expect(duplicates.slice(0, 10), `${duplicates.length} messages on the broker twice`).toEqual([]);
      expect(reorderings.slice(0, 10), 'records out of send order').toEqual([]);
    },
    300_000,
  );

  // With a message timeout shorter than the fail-over, messages fail with _MSG_TIMED_OUT, some
  // after the broker had written them (librdkafka's "possibly persisted"). librdkafka 2.0.2 then
  // bumps the idempotent producer's epoch and re-sends what was in flight on the *other*
  // partitions under the new epoch, which the broker cannot de-duplicate: tens of thousands of
  // duplicates and out-of-order records, including messages whose delivery report said success.
  // A plain C program over the same librdkafka does the same (see librdkafka issue #4953), so it
  // is not this binding's doing. Exactly-once is therefore asserted here only with
  // RDKAFKA_TEST_KNOWN_FAILURES=1; what must hold regardless is asserted always.
  it(
    'idempotent producer with message.timeout.ms below the fail-over time: every message gets exactly one report, failures are reported, successes are on the broker',
    async () => {
      const run = await idempotentRunWithLeaderKill(5_000);
      const copies = expectEveryMessageAccountedFor(run);
      const { duplicates, reorderings } = duplicatesAndReorderings(run, copies);
      const deliveredTwice = duplicates.filter((seq) => run.delivered.has(seq)).length;
      const failedButWritten = [...run.failed.keys()].filter((seq) => copies.has(seq)).length;
      console.log(
        `message.timeout.ms 5000: ${failedButWritten} of ${run.failed.size} failed messages were written anyway; ` +
          `${duplicates.length} messages on the broker twice (${deliveredTwice} with a success report), ${reorderings.length} out-of-order records` +
          (reorderings.length > 0 ? ` (first: ${reorderings[0]})` : ''),
      );
      if (process.env.RDKAFKA_TEST_KNOWN_FAILURES === '1') {
        expect(duplicates.slice(0, 10), `${duplicates.length} messages on the broker twice`).toEqual([]);
        expect(reorderings.slice(0, 10), 'records out of send order').toEqual([]);
      }
    },
    300_000,
  );

  it(
    'two consumers in a group, one SIGKILLed mid-stream: the other takes over its partitions and, committing after processing, skips no message',
    async () => {
      const topic = uniqueTopic('handover');
      const group = uniqueTopic('handover');
      const partitions = 4;
      const perPartition = 2500;
      await createFilledTopic(topic, partitions, perPartition);
      const config = consumerConfig(cluster.kafka.bootstrapServers, group, { 'enable.auto.commit': false });
      expect(existsSync(DIST), `the member to kill runs the built package: ${DIST} is missing (npm run build:ts)`).toBe(true);

      // The member to kill runs in a process of its own: it processes (prints) each record,
      // slowly, and commits each batch after processing it, printing what it commits.
      const childCode = `
        const { Consumer } = require(${JSON.stringify(DIST)});
        const [config, topic] = [JSON.parse(process.argv[1]), process.argv[2]];
        const consumer = new Consumer(config, [topic]);
        const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
        (async () => {
          for (;;) {
            const batch = await consumer.consumeBatch(20, 200);
            for (const r of batch) { process.stdout.write('processed ' + r.partition + ' ' + r.offset + '\\n'); await sleep(2); }
            if (batch.length === 0) continue;
            const next = new Map();
            for (const r of batch) next.set(r.partition, r.offset + 1);
            const offsets = [...next].map(([partition, offset]) => ({ topic, partition, offset }));
            process.stdout.write(offsets.map((o) => 'committing ' + o.partition + ' ' + o.offset + '\\n').join(''));
            try {
              await consumer.commit(offsets);
              process.stdout.write(offsets.map((o) => 'committed ' + o.partition + ' ' + o.offset + '\\n').join(''));
            } catch (e) {
              process.stdout.write('commit failed ' + e.code + '\\n');
            }
          }
        })().catch((e) => { process.stderr.write(String(e.stack) + '\\n'); process.exit(1); });
      `;
      const child: ChildProcess = spawn(process.execPath, ['-e', childCode, JSON.stringify(config), topic], { stdio: ['ignore', 'pipe', 'pipe'] });
      let childOut = '';
      let childErr = '';
      child.stdout!.setEncoding('utf8').on('data', (text: string) => (childOut += text));
      child.stderr!.setEncoding('utf8').on('data', (text: string) => (childErr += text));
      const childExit = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
      const childLines = (kind: string) =>
        childOut
          .split('\n')
          .filter((line) => line.startsWith(`${kind} `))
          .map((line) => line.split(' ').slice(-2).map(Number) as [number, number]);
      const detail = () => `\nchild stderr: ${childErr}\nchild stdout tail: ${childOut.slice(-500)}`;

      const survivor = new Consumer(config, [topic]);
      const processed: Array<{ partition: number; offset: number; at: number }> = [];
      try {
        const t0 = Date.now();
        await until('the first member to process records', () => childLines('processed').length > 0, 60_000, detail);
        const joinedAlone = Date.now();

        // The survivor joins and processes the same way (quickly), committing after each batch.
        let running = true;
        const loop = (async () => {
          while (running) {
            const batch: Record[] = await survivor.consumeBatch(100, 100);
            for (const r of batch) processed.push({ partition: r.partition, offset: r.offset, at: Date.now() });
            if (batch.length > 0) await survivor.commit(batch).catch(() => undefined); // a failed commit only means re-reading
          }
        })();
        await until('the survivor to get its share', () => processed.length > 0, 60_000, detail);
        const childBeforeKill = childLines('processed').length;
        await until('the first member to go on with its share', () => childLines('processed').length >= childBeforeKill + 200, 60_000, detail);
        // The survivor's share since its join; the partitions it gets after the kill are taken over.
        const ownedBeforeKill = new Set(survivor.assignment().map((tp) => tp.partition));
        expect(ownedBeforeKill.size).toBeGreaterThan(0);
        expect(ownedBeforeKill.size).toBeLessThan(partitions);
        expect(child.kill('SIGKILL')).toBe(true);
        const killedAt = Date.now();
        expect(await childExit).toBe('SIGKILL');

        const done = () => {
          const last = new Map<number, number>();
          for (const r of processed) last.set(r.partition, Math.max(last.get(r.partition) ?? -1, r.offset));
          return [...Array(partitions).keys()].every((p) => last.get(p) === perPartition - 1);
        };
        await until('the survivor to reach the end of every partition', done, 90_000, detail);
        running = false;
        await loop;

        const childProcessed = childLines('processed');
        const confirmed = childLines('committed');
        const takenOver: number[] = [];
        for (let p = 0; p < partitions; p++) {
          const mine = processed.filter((r) => r.partition === p);
          const theirs = childProcessed.filter(([partition]) => partition === p).map(([, offset]) => offset);
          // No message skipped: every offset was processed by one member or the other (or both).
          const covered = new Set([...theirs, ...mine.map((r) => r.offset)]);
          const skipped = [...Array(perPartition).keys()].filter((offset) => !covered.has(offset));
          expect(skipped.slice(0, 10), `partition ${p}: ${skipped.length} offsets processed by nobody`).toEqual([]);
          // The survivor's own records are gap-free from its first to the end.
          const first = mine[0].offset;
          const own = [...new Set(mine.map((r) => r.offset))].sort((a, b) => a - b);
          expect(own).toEqual(Array.from({ length: perPartition - first }, (_, i) => first + i));
          // A partition taken over after the kill is read on from where the group's commits say:
          // never before a commit the killed member had confirmed. (A partition handed over when the
          // survivor joined can start earlier: the first member's commit for a batch it was still
          // processing may land after the hand-over, since the broker does not check who owns a
          // partition it commits. That means re-reading, never skipping, which is checked above.)
          if (!ownedBeforeKill.has(p)) {
            takenOver.push(p);
            const lastConfirmed = Math.max(0, ...confirmed.filter(([partition]) => partition === p).map(([, offset]) => offset));
            expect(first, `partition ${p}`).toBeGreaterThanOrEqual(lastConfirmed);
          }
        }
        // The killed member held partitions when it died (it was working through at least one of
        // them), and the survivor took them over.
        expect(takenOver.length).toBeGreaterThan(0);
        expect(takenOver.some((p) => childProcessed.some(([partition]) => partition === p))).toBe(true);
        const takeover = Math.min(...processed.filter((r) => takenOver.includes(r.partition)).map((r) => r.at));
        console.log(
          `consumer kill: first member alone after ${((joinedAlone - t0) / 1000).toFixed(1)} s, killed after processing ${childProcessed.length} records; ` +
            `survivor took over partitions ${takenOver.join(', ')} ${((takeover - killedAt) / 1000).toFixed(1)} s after the kill; ` +
            `${processed.length} records processed by the survivor (${processed.length + childProcessed.length - partitions * perPartition} duplicates in all); done ${seconds(t0)}`,
        );
      } finally {
        child.kill('SIGKILL');
        await survivor.close();
      }
    },
    300_000,
  );

  it(
    "the group's coordinator SIGKILLed while two members read and commit: both go on through its move, a member joining after it gets its share, and no message is skipped",
    async () => {
      const topic = uniqueTopic('coordinator');
      const group = uniqueTopic('coordinator');
      const partitions = 6;
      const perPartition = 2000;
      await createFilledTopic(topic, partitions, perPartition);
      const config = consumerConfig(cluster.kafka.bootstrapServers, group, { 'enable.auto.commit': false });
      const seen = new Set<string>();
      const errors: KafkaError[] = [];
      let running = true;
      // What a service does: read a batch, process it (slowly), commit it; a failed commit only means reading again.
      const member = (consumer: Consumer) => {
        consumer.on('error', (error) => errors.push(error));
        return (async () => {
          while (running) {
            const batch: Record[] = await consumer.consumeBatch(50, 100);
            for (const r of batch) seen.add(`${r.partition}:${r.offset}`);
            await sleep(5);
            if (batch.length > 0) await consumer.commit(batch).catch(() => undefined);
          }
        })();
      };
      const first = new Consumer(config, [topic]);
      const second = new Consumer(config, [topic]);
      const third = new Consumer(config);
      const loops = [member(first), member(second)];
      let killed: number | undefined;
      try {
        const t0 = Date.now();
        await until('both members to read', () => first.assignment().length > 0 && second.assignment().length > 0 && seen.size > 1000, 90_000);
        const [described] = await cluster.admin.describeGroups(group);
        expect(described.coordinator).not.toBeNull();
        killed = described.coordinator!.id;
        expect(cluster.kafka.kill(killed)).toBe(true);
        const killedAt = Date.now();
        const atKill = seen.size;
        await until('both members to read on after the kill', () => seen.size > atKill + 1000, 90_000, () => `: ${seen.size} read`);
        // A member joining now fetches its partitions' committed offsets from the moved coordinator.
        third.subscribe(topic);
        loops.push(member(third));
        await until('the third member to get its share', () => third.assignment().length > 0, 90_000);
        await until('every message to be read', () => seen.size === partitions * perPartition, 120_000, () => `: ${seen.size} of ${partitions * perPartition} read`);
        const [after] = await cluster.admin.describeGroups(group);
        expect(after.coordinator?.id).not.toBe(killed);
        expect(after.members.length).toBe(3);
        expect(errors.every((e) => !e.fatal)).toBe(true);
        console.log(
          `coordinator kill: node ${killed} killed ${((killedAt - t0) / 1000).toFixed(1)} s in, after ${atKill} records; coordinator now node ${after.coordinator?.id}; ` +
            `${errors.length} retriable errors reported (${[...new Set(errors.map((e) => e.codeName))].join(', ')}); every record read after ${seconds(t0)}`,
        );
      } finally {
        running = false;
        await Promise.all(loops);
        await Promise.all([first.close(), second.close(), third.close()]);
        if (killed !== undefined) await cluster.kafka.restart(killed);
      }
    },
    300_000,
  );
});
