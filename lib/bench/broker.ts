// The broker a run measures against, and the count check on it: the embedded mock cluster (in
// the harness's own process: its threads are native, so the harness's JavaScript does not slow
// it), a real Kafka 3.9.1 started from scripts/kafka/broker.mjs, or any cluster by address.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { capi, MockCluster, type KafkaHandle } from '../index';
import type { BrokerKind } from './drivers';

export interface BenchBroker {
  kind: BrokerKind;
  /** For the report, e.g. "embedded mock cluster (librdkafka 2.0.2, 1 broker)". */
  description: string;
  bootstrapServers: string;
  /** A secured broker's SASL_SSL client properties (bootstrap.servers included), with --kafka and a TLS scenario. */
  secured?: { [key: string]: string };
  createTopic(name: string, partitions: number): Promise<void>;
  /** Deletes a topic the run created once it is counted, so a long run does not fill the disk. */
  deleteTopic(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function openBroker(
  options: { bootstrapServers?: string; kafka?: boolean; secured?: boolean; replicationFactor?: number; root: string },
  log: (line: string) => void,
): Promise<BenchBroker> {
  if (options.bootstrapServers) {
    return adminBroker('external', `the cluster at ${options.bootstrapServers}`, options.bootstrapServers, options.replicationFactor ?? 1, async () => {});
  }
  if (options.kafka) {
    log('starting a real Kafka 3.9.1 broker (scripts/kafka/broker.mjs) ...');
    const url = pathToFileURL(path.join(options.root, 'scripts', 'kafka', 'broker.mjs')).href;
    type Started = { bootstrapServers: string; secured?: { saslSsl: string; certDir: string; users: { admin: string } }; stop(): Promise<void> };
    const { startKafka } = (await import(url)) as { startKafka(options: { nodes: number; secured?: boolean }): Promise<Started> };
    const started = Date.now();
    const kafka = await startKafka({ nodes: 1, secured: options.secured === true });
    log(`  Kafka at ${kafka.bootstrapServers} (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    const broker = adminBroker('kafka', `Apache Kafka 3.9.1, one KRaft node on this machine (scripts/kafka/broker.mjs${kafka.secured ? ', secured: ACLs on, TLS and SASL listeners' : ''})`, kafka.bootstrapServers, 1, () => kafka.stop());
    if (kafka.secured) {
      // The super user, so that no ACL stands between the drivers and their topics.
      broker.secured = {
        'bootstrap.servers': kafka.secured.saslSsl,
        'security.protocol': 'SASL_SSL',
        'sasl.mechanism': 'SCRAM-SHA-512',
        'sasl.username': 'admin',
        'sasl.password': kafka.secured.users.admin,
        'ssl.ca.location': path.join(kafka.secured.certDir, 'ca.pem'),
      };
    }
    return broker;
  }
  const mock = new MockCluster({ brokers: 1 });
  return {
    kind: 'mock',
    description: `librdkafka ${capi.Version()[1]}'s embedded mock cluster, 1 broker, in the harness process`,
    bootstrapServers: mock.bootstrapServers,
    createTopic: async (name, partitions) => mock.createTopic(name, partitions),
    deleteTopic: async () => {}, // the mock keeps only a few MB per partition, in memory
    close: async () => mock.close(),
  };
}

/** Throws unless a CreateTopics / DeleteTopics result says the one topic was done. */
function expectTopicDone(what: string, name: string, result: unknown[]): void {
  const first = result[0];
  if (typeof first === 'number' || (Array.isArray(first) && first[1] !== 0)) throw new Error(`could not ${what} topic ${name}: ${JSON.stringify(result)}`);
}

function adminBroker(kind: BrokerKind, description: string, bootstrapServers: string, replicationFactor: number, stop: () => Promise<void>): BenchBroker {
  let admin: KafkaHandle | undefined;
  const adminHandle = (): KafkaHandle => {
    if (admin === undefined) {
      admin = capi.InitKafka();
      capi.SetKafkaConf(admin, 'bootstrap.servers', bootstrapServers);
    }
    return admin;
  };
  return {
    kind,
    description,
    bootstrapServers,
    async createTopic(name, partitions) {
      expectTopicDone('create', name, await capi.CreateTopics(adminHandle(), [[name, partitions, replicationFactor]], 30_000));
    },
    async deleteTopic(name) {
      expectTopicDone('delete', name, await capi.DeleteTopics(adminHandle(), [name], 30_000));
    },
    async close() {
      if (admin !== undefined) capi.UninitProducer(admin, 0);
      await stop();
    },
  };
}

/**
 * The topic's end offsets summed over its partitions (kcat -Q with timestamp -1 = latest): on a
 * fresh topic, the number of messages that landed. 'earliest' (-2) sums the start offsets: 0
 * while the broker still keeps every message.
 */
export function endOffsets(bootstrapServers: string, topic: string, partitions: number, which: 'latest' | 'earliest' = 'latest'): Promise<number> {
  const args = ['-b', bootstrapServers, '-Q'];
  for (let p = 0; p < partitions; p++) args.push('-t', `${topic}:${p}:${which === 'latest' ? -1 : -2}`);
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', (error) => reject(new Error(`kcat: ${error.message}`)));
    child.on('close', (code) => {
      clearTimeout(timer);
      const offsets = [...out.matchAll(/\[(\d+)\] offset (-?\d+)/g)];
      if (code !== 0 || offsets.length !== partitions) {
        reject(new Error(`kcat -Q ${topic} failed (exit ${code}): ${(err || out).trim().split('\n').slice(-2).join(' | ')}`));
        return;
      }
      resolve(offsets.reduce((sum, m) => sum + Math.max(0, Number(m[2])), 0));
    });
  });
}

/**
 * The records a read_committed reader finds in the topic (kcat -C -e with isolation.level=
 * read_committed, one byte of output per record): what a transactional producer committed. End
 * offsets would also count the transaction markers.
 */
export function committedRecords(bootstrapServers: string, topic: string): Promise<number> {
  const args = ['-C', '-b', bootstrapServers, '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '.'];
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let count = 0;
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (count += chunk.length));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('error', (error) => reject(new Error(`kcat: ${error.message}`)));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`kcat -C ${topic} failed (exit ${code}): ${err.trim().split('\n').slice(-2).join(' | ')}`));
      else resolve(count);
    });
  });
}
