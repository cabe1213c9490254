// Exactly-once under faults on a real three-node Kafka cluster (scripts/kafka/broker.mjs), started
// by this file: test/eos-service.mjs, a consume-transform-produce service using only the package's
// public API, moves 100,000 numbered records from a 6-partition input topic to a 6-partition
// output topic in transactions that also commit its input offsets. It is SIGKILLed at random
// moments at least three times and restarted, and a broker leading output partitions is SIGKILLed
// mid-run; at the end a read_committed reader (kcat, independent of this package) must find every
// input record in the output exactly once, in input order per partition. Needs dist/ (npm run
// build:ts; npm test builds it). It runs in every mode, RDKAFKA_TEST_BROKERS=mock included.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Producer } from '../lib';
import { uniqueTopic } from './helpers';
import { createReplicatedTopic, useThreeNodeCluster } from './three-nodes';

const SERVICE = path.join(__dirname, 'eos-service.mjs');
const RECORDS = 100_000;
const PARTITIONS = 6;
const SERVICE_KILLS = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Every record of a topic as kcat reads it with read_committed, to the end of each partition: [partition, payload, key]. */
function readCommittedWithKcat(bootstrapServers: string, topic: string): Promise<Array<[number, string, string]>> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-b', bootstrapServers, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%p %s %k\\n']);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (err += text));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`kcat exited with ${code}: ${err}`));
      resolve(out.split('\n').filter((line) => line.length > 0).map((line) => {
        const [partition, payload, key] = line.split(' ');
        return [Number(partition), payload, key];
      }));
    });
  });
}

describe('exactly-once under faults on a three-node Kafka cluster', () => {
  const cluster = useThreeNodeCluster();

  /** The partitions' leaders as each broker describes them, once every broker knows the topic in full. */
  const createTopic = (name: string) => createReplicatedTopic(cluster, name, PARTITIONS, { 'min.insync.replicas': '2' });

  it(`a consume-transform-produce service moves ${RECORDS.toLocaleString('en')} records exactly once, in order, though SIGKILLed ${SERVICE_KILLS} times and with a leader of the output SIGKILLed`, async () => {
    const [input, output, group] = [uniqueTopic('eos-in'), uniqueTopic('eos-out'), uniqueTopic('eos-group')];
    await createTopic(input);
    const outputLeaders = await createTopic(output);

    const t0 = Date.now();
    const seed = new Producer({ 'bootstrap.servers': cluster.kafka.bootstrapServers, acks: 'all', 'enable.idempotence': true, 'linger.ms': 20 });
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const payloads = [];
      for (let seq = partition; seq < RECORDS; seq += PARTITIONS) payloads.push({ topic: input, partition, payload: String(seq) });
      await seed.sendBatch(payloads);
    }
    await seed.close();
    console.log(`${RECORDS} input records written in ${seconds(t0)}`);

    // Kill points, as fractions of the records committed: three for the service, one for a broker.
    const killAt = Array.from({ length: SERVICE_KILLS }, (_, i) => Math.round(RECORDS * (0.1 + 0.25 * i + Math.random() * 0.15)));
    const brokerKillAt = Math.round(RECORDS * (0.45 + Math.random() * 0.1));
    const counts = new Map<number, number>();
    for (const leader of outputLeaders.values()) counts.set(leader, (counts.get(leader) ?? 0) + 1);
    const victim = [...counts].sort((a, b) => b[1] - a[1])[0][0];

    const t1 = Date.now();
    let progress = 0;
    let serviceKills = 0;
    let brokerRestart: Promise<unknown> | undefined;
    const log: string[] = [];
    for (let run = 1; ; run++) {
      expect(run, 'the service finished within 12 starts').toBeLessThanOrEqual(12);
      const child: ChildProcess = spawn(process.execPath, [SERVICE, cluster.kafka.bootstrapServers, input, output, group, 'eos-service'], { stdio: ['ignore', 'pipe', 'pipe'] });
      log.push(`service run ${run} is pid ${child.pid}`);
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
      let killedByUs = false;
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
      let buffered = '';
      child.stdout!.setEncoding('utf8').on('data', (text: string) => {
        buffered += text;
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          const match = /^committed (\d+)$/.exec(line);
          if (match === null) continue;
          progress = Number(match[1]);
          if (brokerRestart === undefined && progress >= brokerKillAt) {
            const killed = cluster.kafka.kill(victim, 'SIGKILL');
            const led = [...outputLeaders].filter(([, leader]) => leader === victim).map(([partition]) => partition);
            log.push(`broker ${victim} (leader of output partitions ${led.join(', ')}) ${killed ? 'killed' : 'NOT RUNNING'} at ${progress} committed`);
            brokerRestart = sleep(15_000).then(() => cluster.kafka.restart(victim));
          }
          if (!killedByUs && serviceKills < SERVICE_KILLS && progress >= killAt[serviceKills]) {
            killedByUs = true;
            // Somewhere inside the next transaction, not right at a commit.
            setTimeout(() => child.kill('SIGKILL'), Math.random() * 300);
          }
        }
      });
      const deadline = sleep(240_000).then(() => ({ code: null, signal: 'timeout' as const }));
      const outcome = await Promise.race([exited, deadline]);
      if (outcome.signal === 'timeout') {
        child.kill('SIGKILL');
        throw new Error(`the service made no end within 240 s (run ${run}, ${progress} committed); stderr:\n${stderr}`);
      }
      const failed = (stderr.match(/^transaction failed/gm) ?? []).length;
      const rewinds = failed === 0 ? '' : ` after ${failed} failed transaction(s) rewound`;
      if (killedByUs) {
        expect(outcome.signal).toBe('SIGKILL');
        serviceKills++;
        log.push(`service run ${run} SIGKILLed at ${progress} committed${rewinds}`);
        continue;
      }
      expect(outcome, `the service's run ${run} exits 0 (stderr: ${stderr})`).toEqual({ code: 0, signal: null });
      log.push(`service run ${run} finished at ${progress} committed${rewinds}`);
      break;
    }
    console.log(`${log.join('; ')}; ${seconds(t1)} from the first start to the end`);
    expect(serviceKills).toBe(SERVICE_KILLS);
    expect(log.some((line) => /^broker \d+ .* killed at/.test(line)), 'a broker was killed mid-run').toBe(true);
    await brokerRestart;

    const t2 = Date.now();
    const read = await readCommittedWithKcat(cluster.kafka.bootstrapServers, output);
    console.log(`read ${read.length} committed output records with kcat in ${seconds(t2)}`);
    const perPartition = Array.from({ length: PARTITIONS }, () => [] as number[]);
    const writers = Array.from({ length: PARTITIONS }, () => [] as string[]); // "<pid>:<transaction>" of each record
    for (const [partition, payload, key] of read) {
      perPartition[partition].push(Number(payload));
      writers[partition].push(key);
    }
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const expected = [];
      for (let seq = partition; seq < RECORDS; seq += PARTITIONS) expected.push(seq);
      // Where the sequence goes back or skips: the runs of records repeated or missing.
      const breaks: string[] = [];
      perPartition[partition].forEach((seq, i, all) => {
        if (i > 0 && seq !== all[i - 1] + PARTITIONS) breaks.push(`at output index ${i}: ${all[i - 1]} (written by ${writers[partition][i - 1]}) then ${seq} (by ${writers[partition][i]})`);
      });
      // Every input record once, in input order: compare the whole sequence.
      expect(perPartition[partition], `output partition ${partition} (${perPartition[partition].length} records; ${breaks.slice(0, 10).join('; ') || 'no breaks'})`).toEqual(expected);
    }
    expect(read.length).toBe(RECORDS);
  }, 600_000);
});
