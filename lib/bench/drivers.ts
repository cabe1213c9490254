// The driver registry: every client the harness can measure, how to start it for a job, and
// why it cannot run here when it cannot. Two shapes:
//   - a Node script (ours in lib/bench/drivers/, the peers' in bench/drivers/): it gets the Job as
//     JSON and prints one result line (see job.ts). Adding a client = a script + one entry below.
//   - a command-line tool (rdkafka_performance, kcat, Kafka's Java tools): an entry that builds its
//     command line from the Job and reads the tool's own summary.
// Every process runs through the rusage helper, so CPU seconds and peak RSS are counted alike.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LatencyHistogram } from './histogram';
import type { DriverResult, Job, JobKind } from './job';
import { peerUnavailable } from './peers';
import { runProcess, tail, type ProcessRun, type Usage } from './process';
import { commandVersion, type NativeTools } from './tools';

export type BrokerKind = 'mock' | 'kafka' | 'external';

export interface HarnessContext {
  root: string;
  tools: NativeTools;
  broker: BrokerKind;
  /** Scratch files (kcat's input, latency logs); removed after the run. */
  tmpDir: string;
}

export interface RunHooks {
  /** Progress as the driver reports it. */
  progress(done: number, total: number): void;
  /** Sample RSS every this many ms (0: never). */
  sampleRssMs: number;
  timeoutMs: number;
}

export interface DriverRun {
  result?: DriverResult;
  skipped?: string;
  error?: string;
  /** What the kernel counted (summed over the driver's processes). */
  usage?: Usage;
  rssSamplesKb?: Array<[number, number]>;
}

export type DriverFamily = 'rdkafka-napi' | 'C' | 'Node peer' | 'Java' | 'CLI';

export interface Driver {
  id: string;
  /** What the table shows. */
  label: string;
  /** A better label for one kind of scenario (e.g. the consumer API in consume tables). */
  labels?: Partial<{ [kind in JobKind]: string }>;
  family: DriverFamily;
  kinds: JobKind[];
  /** The bench/peers/ folder it loads its client from, when not its own id. */
  peer?: string;
  /** Why it cannot run here (checked once per run), or undefined when it can. */
  unavailable(ctx: HarnessContext): Promise<string | undefined>;
  run(job: Job, ctx: HarnessContext, hooks: RunHooks): Promise<DriverRun>;
  /** Its version, for the report. */
  version?(ctx: HarnessContext): string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Node script drivers

interface NodeDriverSpec {
  id: string;
  label: string;
  labels?: Partial<{ [kind in JobKind]: string }>;
  family: DriverFamily;
  kinds: JobKind[];
  /** The script, relative to the project root. */
  script: string;
  /** bench/peers/<dir> must be installed. */
  peer?: string;
  /** The module the script loads from that peer (job.module), for scripts that run one program on several. */
  module?: string;
}

function nodeDriver(spec: NodeDriverSpec): Driver {
  return {
    ...spec,
    unavailable: async (ctx) => {
      if (!fs.existsSync(path.join(ctx.root, spec.script))) return `${spec.script} is missing (npm run build:ts)`;
      if (!fs.existsSync(path.join(ctx.root, 'build', 'Release', 'rdkafka_napi.node')) && spec.family === 'rdkafka-napi') return 'the addon is not built (npm run build)';
      return spec.peer ? peerUnavailable(ctx.root, spec.peer) : undefined;
    },
    run: async (job, ctx, hooks) => {
      // Memory runs start V8's young generation at its full size (16 MB per semi-space, Node's
      // default maximum here): otherwise it grows there at some moment of the first seconds, a
      // one-time step of +16 MB in RSS (heapTotal 21 -> 37 MB, heapUsed unchanged) that lands in
      // or after the early window and reads as growth. Warm-up, not a leak.
      const v8Flags = hooks.sampleRssMs > 0 ? ['--min-semi-space-size=16'] : [];
      const jobText = JSON.stringify(spec.module === undefined ? job : { ...job, module: spec.module, peer: spec.peer });
      const run = await runProcess([process.execPath, ...v8Flags, path.join(ctx.root, spec.script), jobText], {
        rusage: ctx.tools.rusage.path,
        cwd: ctx.root,
        timeoutMs: hooks.timeoutMs,
        sampleRssMs: hooks.sampleRssMs,
        onLine: (line, stream) => {
          if (stream !== 'stderr' || !line.startsWith('progress ')) return;
          try {
            const { done, total } = JSON.parse(line.slice(9)) as { done: number; total: number };
            hooks.progress(done, total);
          } catch {
            // not a progress line after all
          }
        },
      });
      return scriptOutcome(run);
    },
  };
}

/** A script's result line, or the failure. */
function scriptOutcome(run: ProcessRun): DriverRun {
  const base = { usage: run.usage, rssSamplesKb: run.rssSamplesKb };
  const lines = run.stdout.trim().split('\n').reverse();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line) as { result?: DriverResult; skipped?: string };
      if (parsed.skipped !== undefined) return { ...base, skipped: parsed.skipped };
      if (parsed.result !== undefined && run.code === 0) return { ...base, result: parsed.result };
    } catch {
      // keep looking
    }
  }
  return { ...base, error: failure(run) };
}

function failure(run: ProcessRun): string {
  const why = run.timedOut ? 'timed out' : `exited with code ${run.code}`;
  // librdkafka's configuration warnings (consumer keys given to a producer) come first and say nothing.
  const stderr = run.stderr
    .split('\n')
    .filter((line) => !line.includes('|CONFWARN|'))
    .join('\n');
  const text = tail(stderr, 6) || tail(run.stdout, 6);
  return `${why}${text ? `: ${text.replace(/\s*\n\s*/g, ' | ').slice(0, 600)}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// librdkafka's rdkafka_performance (C): the reference

/** The last match of a global pattern: rdkafka_performance prints interim lines, then the summary. */
function lastMatch(pattern: RegExp, text: string): RegExpMatchArray | undefined {
  let last: RegExpMatchArray | undefined;
  for (const match of text.matchAll(pattern)) last = match;
  return last;
}

/** -X property=value for each librdkafka property. */
function xProps(config: { [key: string]: string }, without: string[] = []): string[] {
  return Object.entries(config).flatMap(([key, value]) => (without.includes(key) ? [] : ['-X', `${key}=${value}`]));
}

/**
 * rdkafka_performance as the reference: `copy` runs its producer with -D, so that it copies each
 * payload as every binding must (the caller may reuse its Buffer once produce returns); without it, the tool's default,
 * librdkafka points at one shared buffer and nothing is copied (the absolute ceiling).
 */
function rdkafkaPerformance(id: string, label: string, copy: boolean, kinds: JobKind[]): Driver {
  return {
  id,
  label,
  family: 'C',
  kinds,
  unavailable: async (ctx) => ctx.tools.rdkafkaPerformance.reason,
  async run(job, ctx, hooks) {
    const program = ctx.tools.rdkafkaPerformance.path as string;
    const progressLine = (line: string): void => {
      // "% 500000 messages produced (...), 480000 delivered ..." / "% 123 messages (...) consumed"
      const delivered = /(\d+) delivered/.exec(line) ?? /^% (\d+) messages \(\d+ bytes\) consumed/.exec(line);
      if (delivered) hooks.progress(Number(delivered[1]), job.count);
    };
    const options = { rusage: ctx.tools.rusage.path, timeoutMs: hooks.timeoutMs, sampleRssMs: hooks.sampleRssMs, onLine: progressLine };
    if (job.kind === 'produce') {
      const run = await runProcess(
        [program, '-P', '-t', job.topic, '-p', String(job.partition), '-s', String(job.messageSize), '-c', String(job.count), ...(copy ? ['-D'] : []), ...xProps(job.producerConfig)],
        options,
      );
      const summary = lastMatch(/% (\d+) messages produced \((\d+) bytes\), (\d+) delivered \(offset -?\d+, (\d+) failed\) in (\d+)ms/g, run.stdout);
      if (!summary || run.code !== 0) return { error: failure(run), usage: run.usage, rssSamplesKb: run.rssSamplesKb };
      const delivered = Number(summary[3]);
      return {
        result: { messages: delivered, failed: Number(summary[4]), bytes: delivered * job.messageSize, seconds: Math.max(1, Number(summary[5])) / 1000, note: copy ? 'each payload copied (-D), as a binding must' : 'payload not copied (the tool\'s default): the ceiling' },
        usage: run.usage,
        rssSamplesKb: run.rssSamplesKb,
      };
    }
    if (job.kind === 'consume') {
      const run = await runProcess(
        [program, '-G', job.consumerConfig['group.id'], '-t', job.topic, '-c', String(job.count), ...xProps(job.consumerConfig, ['group.id'])],
        options,
      );
      const summary = lastMatch(/% (\d+) messages \((\d+) bytes\) consumed in (\d+)ms/g, run.stdout);
      if (!summary || run.code !== 0) return { error: failure(run), usage: run.usage };
      return {
        result: { messages: Number(summary[1]), failed: 0, bytes: Number(summary[2]), seconds: Math.max(1, Number(summary[3])) / 1000 },
        usage: run.usage,
      };
    }
    return rdkafkaPerformanceLatency(program, job, ctx, hooks);
  },
  };
}

/**
 * Latency with rdkafka_performance's -l mode: a consumer that logs each message's latency (-A),
 * and once it has its partitions (and a second more), a producer at the job's rate (-r).
 */
async function rdkafkaPerformanceLatency(program: string, job: Job, ctx: HarnessContext, hooks: RunHooks): Promise<DriverRun> {
  const latencyFile = path.join(ctx.tmpDir, `latency-${job.topic}.txt`);
  let assigned: () => void = () => {};
  const whenAssigned = new Promise<void>((resolve) => (assigned = resolve));
  let received = 0;
  const consumer = runProcess(
    [program, '-G', job.consumerConfig['group.id'], '-t', job.topic, '-c', String(job.count), '-l', '-A', latencyFile, ...xProps(job.consumerConfig, ['group.id'])],
    {
      rusage: ctx.tools.rusage.path,
      timeoutMs: hooks.timeoutMs,
      onLine: (line) => {
        if (/Group rebalanced .* [1-9]\d* new partition\(s\) assigned/.test(line)) assigned();
        const consumed = /^% (\d+) messages \(\d+ bytes\) consumed/.exec(line);
        if (consumed) hooks.progress((received = Number(consumed[1])), job.count);
      },
    },
  );
  const first = await Promise.race([whenAssigned.then(() => 'assigned' as const), consumer]);
  if (first !== 'assigned') return { error: `the consumer ended before it was assigned partitions: ${failure(first)}`, usage: first.usage };
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const producer = await runProcess(
    [program, '-P', '-t', job.topic, '-p', String(job.partition), '-s', String(job.messageSize), '-c', String(job.count), '-l', '-r', String(job.rate), ...xProps(job.producerConfig)],
    { rusage: ctx.tools.rusage.path, timeoutMs: hooks.timeoutMs },
  );
  const consumed = await consumer;
  const usage = producer.usage && consumed.usage ? { maxRssKb: producer.usage.maxRssKb + consumed.usage.maxRssKb, cpuSeconds: producer.usage.cpuSeconds + consumed.usage.cpuSeconds } : undefined;
  if (producer.code !== 0) return { error: `producer ${failure(producer)}`, usage };
  if (consumed.code !== 0) return { error: `consumer ${failure(consumed)}`, usage };
  const histogram = new LatencyHistogram();
  for (const line of fs.readFileSync(latencyFile, 'utf8').split('\n')) if (line) histogram.record(Number(line));
  const seconds = lastMatch(/consumed in (\d+)ms/g, consumed.stdout);
  return {
    result: {
      messages: histogram.count || received,
      failed: 0,
      bytes: histogram.count * job.messageSize,
      seconds: seconds ? Number(seconds[1]) / 1000 : 0,
      latency: histogram.summary(),
      note: `two processes (-P -l -r ${job.rate} and -G -l); RSS and CPU are their sums`,
    },
    usage,
  };
}

// ---------------------------------------------------------------------------------------------
// kcat: whole-process wall time (it reports no throughput of its own)

async function kcatInput(ctx: HarnessContext, job: Job): Promise<string> {
  // One message per line: the payload is messageSize 'x's.
  const file = path.join(ctx.tmpDir, `kcat-${job.messageSize}x${job.count}.txt`);
  if (fs.existsSync(file)) return file;
  const line = Buffer.alloc(job.messageSize + 1, 'x');
  line[job.messageSize] = 0x0a;
  const perChunk = Math.max(1, Math.floor((4 << 20) / line.length));
  const chunk = Buffer.concat(new Array(perChunk).fill(line));
  const fd = fs.openSync(`${file}.tmp`, 'w');
  for (let written = 0; written < job.count; written += perChunk) {
    const n = Math.min(perChunk, job.count - written);
    fs.writeSync(fd, chunk, 0, n * line.length);
  }
  fs.closeSync(fd);
  fs.renameSync(`${file}.tmp`, file);
  return file;
}

const kcat: Driver = {
  id: 'kcat',
  label: 'kcat (C, librdkafka)',
  family: 'CLI',
  kinds: ['produce', 'consume'],
  unavailable: async () => (commandVersion('kcat', ['-V']) ? undefined : 'kcat is not installed (Debian package kcat)'),
  version: () => {
    const line = commandVersion('kcat', ['-V'], /^Version /);
    return line ? `kcat ${/^Version (\S+)/.exec(line)?.[1]}` : undefined;
  },
  async run(job, ctx, hooks) {
    const options = { rusage: ctx.tools.rusage.path, timeoutMs: hooks.timeoutMs, sampleRssMs: hooks.sampleRssMs };
    if (job.kind === 'produce') {
      if (job.messageSize < 1) return { skipped: 'kcat reads messages as lines: no empty payloads' };
      const input = await kcatInput(ctx, job);
      const run = await runProcess(['kcat', '-P', '-b', job.bootstrapServers, '-t', job.topic, '-p', String(job.partition), ...xProps(job.producerConfig), '-l', input], options);
      if (run.code !== 0) return { error: failure(run), usage: run.usage };
      return { result: { messages: job.count, failed: 0, bytes: job.count * job.messageSize, seconds: run.wallSeconds, note: 'whole process (start, metadata, flush); count as checked on the broker' }, usage: run.usage };
    }
    // Partition consumer from the beginning (kcat's group mode would add the group join to its time).
    const run = await runProcess(
      ['kcat', '-C', '-b', job.bootstrapServers, '-t', job.topic, '-o', 'beginning', '-e', '-q', '-c', String(job.count), ...xProps(job.consumerConfig, ['group.id', 'auto.offset.reset'])],
      { ...options, discardStdout: true },
    );
    if (run.code !== 0) return { error: failure(run), usage: run.usage };
    return { result: { messages: job.count, failed: 0, bytes: job.count * job.messageSize, seconds: run.wallSeconds, note: 'whole process; partition consumer (-C -e), not a group' }, usage: run.usage };
  },
};

// ---------------------------------------------------------------------------------------------
// Apache Kafka's Java ProducerPerformance / ConsumerPerformance (3.9.1, from scripts/kafka)

let classpath: Promise<string> | undefined;

async function kafkaClasspath(root: string): Promise<string> {
  classpath ??= (async () => {
    const url = pathToFileURL(path.join(root, 'scripts', 'kafka', 'broker.mjs')).href;
    const broker = (await import(url)) as { kafkaClasspath(): Promise<string> };
    return broker.kafkaClasspath();
  })();
  return classpath;
}

/** librdkafka producer properties in the Java client's words. */
function javaProducerProps(config: { [key: string]: string }, bootstrap: string): string[] {
  return [
    `bootstrap.servers=${bootstrap}`,
    `acks=${config.acks ?? '1'}`,
    `linger.ms=${config['linger.ms'] ?? '5'}`,
    'batch.size=1000000', // librdkafka's batch.size default
    'buffer.memory=536870912',
    `enable.idempotence=${config['enable.idempotence'] ?? 'false'}`, // librdkafka's default: false
    'max.request.size=10485760',
  ];
}

const java: Driver = {
  id: 'java',
  label: 'Apache Kafka Java client 3.9.1 (Producer/ConsumerPerformance)',
  labels: { produce: 'Java client 3.9.1 ProducerPerformance', consume: 'Java client 3.9.1 ConsumerPerformance' },
  family: 'Java',
  kinds: ['produce', 'consume'],
  async unavailable(ctx) {
    if (ctx.broker === 'mock') return "the Java client never gets past connection setup with librdkafka 2.0.2's mock broker (ApiVersions v4 is refused; after the v0 retry no node becomes usable): run with --kafka or --bootstrap-servers";
    if (!commandVersion('java', ['-version'])) return 'java is not installed';
    try {
      await kafkaClasspath(ctx.root);
      return undefined;
    } catch (error) {
      return `Kafka's jars are not available: ${(error as Error).message.split('\n')[0]}`;
    }
  },
  version: () => commandVersion('java', ['-version']),
  async run(job, ctx, hooks) {
    const cp = await kafkaClasspath(ctx.root);
    const jvm = ['java', '-Xmx1536m', `-Dlog4j.configuration=${pathToFileURL(path.join(ctx.root, 'scripts', 'kafka', 'log4j.properties')).href}`, '-cp', cp];
    const options = { rusage: ctx.tools.rusage.path, timeoutMs: hooks.timeoutMs, sampleRssMs: hooks.sampleRssMs };
    if (job.kind === 'produce') return producerPerformance(job, ctx, hooks, jvm, []);
    const configFile = path.join(ctx.tmpDir, `consumer-${job.topic}.properties`);
    fs.writeFileSync(configFile, `auto.offset.reset=earliest\n`);
    const run = await runProcess(
      [...jvm, 'org.apache.kafka.tools.ConsumerPerformance', '--bootstrap-server', job.bootstrapServers, '--topic', job.topic, '--messages', String(job.count), '--group', job.consumerConfig['group.id'], '--timeout', '60000', '--consumer.config', configFile],
      options,
    );
    // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, ...
    const row = run.stdout.trim().split('\n').reverse().find((line) => /^\d{4}-/.test(line.trim()));
    if (!row || run.code !== 0) return { error: failure(run), usage: run.usage };
    const cells = row.split(',').map((cell) => cell.trim());
    const messages = Number(cells[4]);
    return { result: { messages, failed: 0, bytes: Number(cells[2]) * 1024 * 1024, seconds: Number(cells[7]) / 1000, note: 'fetch time (after the group join)' }, usage: run.usage };
  },
};

/** ProducerPerformance with `extraArgs`; `note` adds to the result's note (given the measured rate). */
async function producerPerformance(job: Job, ctx: HarnessContext, hooks: RunHooks, jvm: string[], extraArgs: string[], note = (_rate: number) => ''): Promise<DriverRun> {
  const options = { rusage: ctx.tools.rusage.path, timeoutMs: hooks.timeoutMs, sampleRssMs: hooks.sampleRssMs };
  const run = await runProcess(
    [...jvm, 'org.apache.kafka.tools.ProducerPerformance', '--topic', job.topic, '--num-records', String(job.count), '--record-size', String(job.messageSize), '--throughput', '-1', ...extraArgs, '--producer-props', ...javaProducerProps(job.producerConfig, job.bootstrapServers)],
    options,
  );
  const summary = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th/.exec(run.stdout);
  if (!summary || run.code !== 0) return { error: failure(run), usage: run.usage };
  const sent = Number(summary[1]);
  return { result: { messages: sent, failed: 0, bytes: sent * job.messageSize, seconds: sent / Number(summary[2]), note: `random payloads; JVM start not timed${note(Number(summary[2]))}` }, usage: run.usage };
}

/**
 * ProducerPerformance --transactional-id commits by time (--transaction-duration-ms), not by
 * count. The durations are those that gave about the scenario's records per transaction at the
 * rates measured here (one broker, 2 cores); the note says how many a transaction held in the run.
 */
const JAVA_TRANSACTION_MS: { [records: number]: number } = { 1000: 4, 10000: 20 };

const javaTransactional: Driver = {
  id: 'java-txn',
  label: 'Apache Kafka Java client 3.9.1 (ProducerPerformance --transactional-id)',
  family: 'Java',
  kinds: ['produce'],
  unavailable: (ctx) => java.unavailable(ctx),
  version: () => commandVersion('java', ['-version']),
  async run(job, ctx, hooks) {
    if (job.transactionSize === undefined) return { skipped: 'java-txn runs only in the transactional scenarios' };
    const cp = await kafkaClasspath(ctx.root);
    const jvm = ['java', '-Xmx1536m', `-Dlog4j.configuration=${pathToFileURL(path.join(ctx.root, 'scripts', 'kafka', 'log4j.properties')).href}`, '-cp', cp];
    const durationMs = JAVA_TRANSACTION_MS[job.transactionSize] ?? Math.max(1, Math.round(job.transactionSize / 250));
    return producerPerformance(job, ctx, hooks, jvm, ['--transactional-id', `bench-${job.topic}`, '--transaction-duration-ms', String(durationMs)], (rate) =>
      `; commits every ${durationMs} ms: about ${Math.round((rate * durationMs) / 1000).toLocaleString('en-US')} records per transaction`,
    );
  },
};

/**
 * The napi-txn-batch loop in C on librdkafka directly (bench/c/txn-loop.c): what the library
 * allows a transaction, next to rdkafka_performance's plain produce in the same run.
 */
const cTransactional: Driver = {
  id: 'c-txn',
  label: 'librdkafka produce_batch in transactions (C, bench/c/txn-loop.c)',
  family: 'C',
  kinds: ['produce'],
  unavailable: async (ctx) => ctx.tools.txnLoop.reason,
  async run(job, ctx, hooks) {
    if (job.transactionSize === undefined) return { skipped: 'c-txn runs only in the transactional scenarios' };
    const size = job.transactionSize;
    const properties = Object.entries(job.producerConfig).map(([key, value]) => `${key}=${value}`);
    const run = await runProcess(
      [ctx.tools.txnLoop.path as string, '-t', job.topic, '-p', String(job.partition), '-s', String(job.messageSize), job.bootstrapServers, String(size), String(job.count), ...properties],
      { rusage: ctx.tools.rusage.path, timeoutMs: hooks.timeoutMs, sampleRssMs: hooks.sampleRssMs },
    );
    const summary = lastMatch(/(\d+) transactions, (\d+) delivered, (\d+) failed in ([\d.]+) s/g, run.stdout);
    if (!summary || run.code !== 0) return { error: failure(run), usage: run.usage, rssSamplesKb: run.rssSamplesKb };
    const delivered = Number(summary[2]);
    return {
      result: { messages: delivered, failed: Number(summary[3]), bytes: delivered * job.messageSize, seconds: Number(summary[4]), note: `${Number(summary[1]).toLocaleString('en-US')} transactions of ${size.toLocaleString('en-US')} (produce_batch, each payload copied); init_transactions not timed` },
      usage: run.usage,
      rssSamplesKb: run.rssSamplesKb,
    };
  },
};

// ---------------------------------------------------------------------------------------------

const OURS = 'dist/bench/drivers/rdkafka-napi.js';
/** The REST proxy's load generator (it starts the proxy in a process of its own). */
const PROXY = 'dist/bench/drivers/rest-proxy.js';

export const DRIVERS: Driver[] = [
  rdkafkaPerformance('rdkafka_performance', 'librdkafka rdkafka_performance (C)', true, ['produce', 'consume', 'latency']),
  rdkafkaPerformance('rdkafka_performance-zerocopy', 'librdkafka rdkafka_performance, zero-copy (C)', false, ['produce']),
  nodeDriver({ id: 'napi-capi-batch', label: 'rdkafka-napi capi.ProduceBatch / ConsumeBatchPacked', labels: { produce: 'rdkafka-napi capi.ProduceBatch + DeliveryReportInto', consume: 'rdkafka-napi capi.ConsumeBatchPacked', latency: 'rdkafka-napi capi.Produce + ConsumeBatch' }, family: 'rdkafka-napi', kinds: ['produce', 'consume', 'latency'], script: OURS }),
  nodeDriver({ id: 'napi-batch-avro', label: 'rdkafka-napi producer.produceBatch() with an Avro valueSerializer', family: 'rdkafka-napi', kinds: ['produce'], script: OURS }),
  nodeDriver({ id: 'napi-batch', label: 'rdkafka-napi producer.produceBatch() / consumer.consumeBatch()', labels: { produce: 'rdkafka-napi producer.produceBatch()', consume: 'rdkafka-napi consumer.consumeBatch()', latency: 'rdkafka-napi producer.produce() + consumer.consumeBatch()' }, family: 'rdkafka-napi', kinds: ['produce', 'consume', 'latency'], script: OURS }),
  nodeDriver({ id: 'napi-send-batch', label: 'rdkafka-napi producer.sendBatch() (promises)', family: 'rdkafka-napi', kinds: ['produce'], script: OURS }),
  nodeDriver({ id: 'napi-capi', label: 'rdkafka-napi capi.Produce / Consume (per message)', labels: { produce: 'rdkafka-napi capi.Produce + DeliveryReport', consume: 'rdkafka-napi capi.Consume (per message)' }, family: 'rdkafka-napi', kinds: ['produce', 'consume'], script: OURS }),
  nodeDriver({ id: 'napi-produce', label: 'rdkafka-napi producer.produce() / consumer.consumeRecord()', labels: { produce: 'rdkafka-napi producer.produce()', consume: 'rdkafka-napi consumer.consumeRecord()' }, family: 'rdkafka-napi', kinds: ['produce', 'consume'], script: OURS }),
  nodeDriver({ id: 'napi-send', label: 'rdkafka-napi producer.send() (a promise per message)', family: 'rdkafka-napi', kinds: ['produce'], script: OURS }),
  nodeDriver({ id: 'node-rdkafka', label: 'node-rdkafka (system librdkafka)', family: 'Node peer', kinds: ['produce', 'consume', 'latency'], script: 'bench/drivers/node-rdkafka.mjs', peer: 'node-rdkafka' }),
  nodeDriver({
    id: 'confluent-kafka-javascript',
    label: '@confluentinc/kafka-javascript (system librdkafka)',
    family: 'Node peer',
    kinds: ['produce', 'consume', 'latency'],
    script: 'bench/drivers/node-rdkafka.mjs',
    peer: 'confluent-kafka-javascript',
  }),
  nodeDriver({
    id: 'confluent-kafka-javascript-bundled',
    label: '@confluentinc/kafka-javascript (its bundled librdkafka)',
    family: 'Node peer',
    kinds: ['produce', 'consume', 'latency'],
    script: 'bench/drivers/node-rdkafka.mjs',
    peer: 'confluent-kafka-javascript-bundled',
  }),
  nodeDriver({ id: 'kafkajs', label: 'kafkajs (pure JavaScript)', family: 'Node peer', kinds: ['produce', 'consume', 'latency'], script: 'bench/drivers/kafkajs.mjs', peer: 'kafkajs', module: 'kafkajs' }),
  // The same kafkajs program on @confluentinc/kafka-javascript's KafkaJS API (issue 16's "Speed").
  nodeDriver({
    id: 'confluent-kafkajs-api',
    label: '@confluentinc/kafka-javascript KafkaJS API (its bundled librdkafka)',
    family: 'Node peer',
    kinds: ['produce', 'consume', 'latency'],
    script: 'bench/drivers/kafkajs.mjs',
    peer: 'confluent-kafka-javascript-bundled',
    module: '@confluentinc/kafka-javascript',
  }),
  // The same program on our facade (only the import differs).
  nodeDriver({ id: 'napi-kafkajs', label: 'rdkafka-napi/kafkajs (the kafkajs program)', family: 'rdkafka-napi', kinds: ['produce', 'consume', 'latency'], script: 'bench/drivers/kafkajs.mjs', module: 'rdkafka-napi/kafkajs' }),
  java,
  javaTransactional,
  cTransactional,
  nodeDriver({ id: 'napi-txn-batch', label: 'rdkafka-napi producer.produceBatch() in transactions', family: 'rdkafka-napi', kinds: ['produce'], script: OURS }),
  nodeDriver({ id: 'napi-txn-send-batch', label: 'rdkafka-napi producer.sendBatch() in runTransaction()', family: 'rdkafka-napi', kinds: ['produce'], script: OURS }),
  kcat,
  nodeDriver({ id: 'proxy-confluent', label: 'REST proxy, Confluent API (POST /topics/{t}, binary v2)', family: 'rdkafka-napi', kinds: ['produce', 'latency'], script: PROXY }),
  nodeDriver({ id: 'proxy-confluent-avro', label: 'REST proxy, Confluent API (POST /topics/{t}, avro v2, value_schema_id)', family: 'rdkafka-napi', kinds: ['produce'], script: PROXY }),
  nodeDriver({ id: 'proxy-confluent-memory', label: 'REST proxy, Confluent API: 4 clients, largest requests (POST /topics/{t}, binary v2)', family: 'rdkafka-napi', kinds: ['produce'], script: PROXY }),
  nodeDriver({ id: 'proxy-pixy', label: 'REST proxy, Kafka-Pixy API (POST .../messages, async)', family: 'rdkafka-napi', kinds: ['produce'], script: PROXY }),
  nodeDriver({ id: 'proxy-pixy-sync', label: 'REST proxy, Kafka-Pixy API (POST .../messages?sync)', family: 'rdkafka-napi', kinds: ['produce'], script: PROXY }),
];

/** Width of the driver-id column in the harness's text output. */
export const DRIVER_ID_WIDTH = Math.max(...DRIVERS.map((driver) => driver.id.length));

export function findDriver(id: string): Driver | undefined {
  return DRIVERS.find((driver) => driver.id === id);
}
