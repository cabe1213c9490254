// What the harness and its drivers exchange. A driver is a process: it reads one Job (JSON, as
// its first argument or in BENCH_JOB), runs it, may print `progress {...}` lines on stderr, and
// prints one result line on stdout: {"result": DriverResult} or {"skipped": "reason"}.
// Node drivers (ours in lib/bench/drivers/, the peers' in bench/drivers/) use the helpers below.

/** What a scenario asks a driver to do. */
export type JobKind = 'produce' | 'consume' | 'latency';

export interface Job {
  /** Driver id from the registry (lib/bench/drivers.ts), e.g. 'napi-batch'. */
  driver: string;
  /** Scenario id, e.g. 'produce-100B-acks1'. */
  scenario: string;
  kind: JobKind;
  bootstrapServers: string;
  topic: string;
  /** produce: the partition to write to (-1: the partitioner picks). */
  partition: number;
  /** produce: spread messages evenly, message i to partition i % partitions (filling a topic). */
  roundRobin?: boolean;
  /** Partitions of the topic. */
  partitions: number;
  /** produce and latency: messages to send; consume: messages to read. */
  count: number;
  /** Payload bytes per message. */
  messageSize: number;
  /** librdkafka properties of every producer in this scenario (acks, linger.ms, batching). */
  producerConfig: { [key: string]: string };
  /** librdkafka properties of every consumer in this scenario (group.id included). */
  consumerConfig: { [key: string]: string };
  /** Messages per call for batch APIs. */
  batchSize: number;
  /** latency: messages per second. */
  rate: number;
  /** Transactional scenarios: records per transaction (the transactional drivers commit after each that many). */
  transactionSize?: number;
  /** The driver gives up after this long (the harness kills it a little later). */
  timeoutMs: number;
  /** Drivers that run one program on several modules (bench/drivers/kafkajs.mjs): the module to load. */
  module?: string;
  /** ...and the bench/peers/ folder it is installed in. */
  peer?: string;
}

/** Latency percentiles in milliseconds. */
export interface Latency {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  samples: number;
}

export interface DriverResult {
  /** Messages delivered (produce) or received (consume, latency). */
  messages: number;
  /** Messages whose delivery report was an error. */
  failed: number;
  /** Payload bytes of those messages. */
  bytes: number;
  /** Length of the measured phase: first produce call to last delivery report, or first to last message received. */
  seconds: number;
  /** End-to-end latency (latency scenarios), produce call to consumer receipt. */
  latency?: Latency;
  /** The driver's own view of its peak RSS and CPU (the harness prefers what the kernel counted). */
  maxRssKb?: number;
  cpuSeconds?: number;
  /** Untimed messages the driver wrote to the topic besides `count` (latency warm-up). */
  warmupMessages?: number;
  /** Anything a reader of the table should know about this figure. */
  note?: string;
}

/** The job this driver process was given. */
export function readJob(): Job {
  const text = process.argv[2] ?? process.env.BENCH_JOB;
  if (text === undefined) throw new Error('no job: pass it as JSON in the first argument or in BENCH_JOB');
  return JSON.parse(text) as Job;
}

/** Prints the result line (with the process's own usage figures) and ends the process. */
export function emitResult(result: DriverResult): never {
  const usage = process.resourceUsage();
  const line = { result: { maxRssKb: usage.maxRSS, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, ...result } };
  process.stdout.write(`${JSON.stringify(line)}\n`, () => process.exit(0));
  // The write callback exits; this keeps the type `never` for callers.
  throw new ExitSignal();
}

/** Prints the "cannot run here" line and ends the process. */
export function emitSkipped(reason: string): never {
  process.stdout.write(`${JSON.stringify({ skipped: reason })}\n`, () => process.exit(0));
  throw new ExitSignal();
}

/** Thrown by emitResult/emitSkipped so nothing after them runs while stdout drains. */
export class ExitSignal extends Error {
  constructor() {
    super('exiting');
  }
}

/** Runs a driver's main function: a failure becomes a message on stderr and exit code 1. */
export function runDriver(main: (job: Job) => Promise<DriverResult>): void {
  let job: Job;
  try {
    job = readJob();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  const timer = setTimeout(() => {
    process.stderr.write(`driver timed out after ${job.timeoutMs} ms\n`);
    process.exit(3);
  }, job.timeoutMs);
  timer.unref();
  // A synchronous throw (emitSkipped included) takes the same path as a rejection.
  Promise.resolve()
    .then(() => main(job))
    .then(emitResult, (error: unknown) => {
    if (error instanceof ExitSignal) return;
    // The stack, then the message once more as the last line: the harness quotes the tail.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${error instanceof Error ? (error.stack ?? message) : message}\nerror: ${message}\n`);
    process.exit(1);
  });
}

/** Reports progress on stderr, at most twice a second. */
export class Progress {
  #last = 0;
  constructor(readonly total: number) {}

  update(done: number): void {
    const now = Date.now();
    if (now - this.#last < 500) return;
    this.#last = now;
    process.stderr.write(`progress ${JSON.stringify({ done, total: this.total })}\n`);
  }
}

/** A payload of `size` bytes ('x' repeated). */
export function payloadOf(size: number): Buffer {
  return Buffer.alloc(size, 'x');
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Wall-clock microseconds, comparable across processes on this machine (as gettimeofday). */
export function wallClockMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/**
 * A latency payload as librdkafka's rdkafka_performance writes and reads it in -l mode:
 * "LATENCY:<wall-clock µs>" padded to `size` bytes, so C and Node ends can be mixed.
 */
export function latencyPayload(size: number, micros = wallClockMicros()): Buffer {
  const buffer = Buffer.alloc(Math.max(size, 32), ' ');
  buffer.write(`LATENCY:${micros}`, 0, 'latin1');
  return buffer;
}

/** The send time in a latency payload, or undefined if it is not one. */
export function latencySentMicros(payload: Buffer | Uint8Array | null | undefined): number | undefined {
  if (!payload || payload.length < 9 || payload[0] !== 0x4c /* L */) return undefined;
  let value = 0;
  for (let i = 8; i < payload.length; i++) {
    const digit = payload[i] - 0x30;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  return value > 0 ? value : undefined;
}

/** `result` for a throughput job from its counts and measured seconds. */
export function throughput(messages: number, failed: number, messageSize: number, seconds: number, note?: string): DriverResult {
  return { messages, failed, bytes: messages * messageSize, seconds, ...(note ? { note } : {}) };
}
