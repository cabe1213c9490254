// The rest-proxy scenarios' load generator: HTTP clients (node:http, keep-alive) against the REST
// proxy, which runs in a child process of its own (proxy-server.ts), never on this event loop.
//   proxy-confluent, produce: POST /topics/{t}, job.batchSize records per request, N (-c<N>)
//                             connections, until job.count records are acknowledged.
//   proxy-confluent, latency: single-record requests at job.rate per second, open loop (each
//                             request's latency from its scheduled start, so a stall is counted),
//                             measured after 2 s of the same requests at the same rate.
//   proxy-pixy[-sync], produce: POST /topics/{t}/messages, one message per request, 64 clients;
//                             -sync adds ?sync (the reply waits for the broker's ack).
//   proxy-confluent-memory:   the proxy process's RSS while 4 clients send the largest requests it
//                             accepts, after 4 sent requests it refuses (confluentMemory).
//   proxy-confluent-avro, produce: as proxy-confluent, in Avro (avro.v2, value_schema_id; the
//                             warm-up registers the schema with value_schema in the proxy's
//                             embedded registry): records {payload: string} of job.messageSize bytes
//                             encoded, job.batchSize per request.
// The Confluent throughput scenario's id ends in -c<N>: its N connections (default 16).
// Every driver sends one untimed warm-up request of one record first (warmupMessages: 1).
// The CPU and peak-RSS columns are the harness's rusage of this process and its reaped children:
// CPU is load generator + proxy; peak RSS is the larger of the two processes.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { LatencyHistogram } from '../histogram';
import { DEFAULTS } from '../../proxy/config';
import { payloadOf, Progress, runDriver, sleep, type DriverResult, type Job } from '../job';

interface Proxy {
  child: ChildProcessWithoutNullStreams;
  url: string;
  pixyUrl: string;
  lines: AsyncIterator<string>;
}

async function startProxyProcess(job: Job): Promise<Proxy> {
  const producer: { [key: string]: string } = {};
  for (const [key, value] of Object.entries(job.producerConfig)) if (key !== 'bootstrap.servers') producer[key] = value;
  const script = path.join(__dirname, 'proxy-server.js');
  const child = spawn(process.execPath, [script, JSON.stringify({ bootstrapServers: job.bootstrapServers, producer })], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error('the proxy process ended before it listened');
  const { url, pixyUrl } = JSON.parse(first.value) as { url: string; pixyUrl: string };
  return { child, url, pixyUrl, lines };
}

interface Stopped {
  /** The proxy process's own CPU time (the load generator's is the rest of the CPU column). */
  cpuSeconds: number;
  flushMs: number;
  produceRequests?: number;
  txmsgs?: number;
}

async function stopProxyProcess(proxy: Proxy): Promise<Stopped | undefined> {
  proxy.child.stdin.write('stop\n');
  for (;;) {
    const next = await proxy.lines.next();
    if (next.done) return undefined;
    if (!next.value.startsWith('{"stopped"')) continue;
    const stopped = (JSON.parse(next.value) as { stopped: Stopped }).stopped;
    // Reaped before this process ends, so the harness's rusage counts the proxy's CPU too.
    if (proxy.child.exitCode === null) await new Promise((resolve) => proxy.child.once('exit', resolve));
    return stopped;
  }
}

function post(agent: http.Agent, url: string, contentType: string, body: Buffer | string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

const CONFLUENT_TYPE = 'application/vnd.kafka.binary.v2+json';

function confluentBody(records: number, value: string): string {
  const record = `{"value":"${value}"}`;
  return `{"records":[${new Array<string>(records).fill(record).join(',')}]}`;
}

/** Records of a Confluent produce reply that carry an error. */
function confluentErrors(reply: { status: number; body: string }, records: number): number {
  if (reply.status !== 200) return records;
  const parsed = JSON.parse(reply.body) as { offsets?: Array<{ error_code: number | null }> };
  return (parsed.offsets ?? []).filter((o) => o.error_code !== null).length + Math.max(0, records - (parsed.offsets?.length ?? 0));
}

const AVRO_TYPE = 'application/vnd.kafka.avro.v2+json';
const AVRO_SCHEMA = JSON.stringify({ type: 'record', name: 'Bench', fields: [{ name: 'payload', type: 'string' }] });

/** The text of a {payload} record whose Avro wire format (5-byte prefix, length varint, text) is `size` bytes. */
function avroPayload(size: number): string {
  let text = 0;
  const varint = (n: number) => (n < 128 ? 1 : n < 16384 ? 2 : 3);
  while (5 + varint(2 * (text + 1)) + text + 1 <= size) text++;
  return 'x'.repeat(text);
}

/** Request bodies of `records` records: binary (base64 values), or Avro with the registered schema's id. */
interface Bodies {
  contentType: string;
  body(records: number): string;
}

async function confluentBodies(job: Job, agent: http.Agent, url: string, avro: boolean): Promise<Bodies> {
  if (!avro) {
    const value = payloadOf(job.messageSize).toString('base64');
    // Warm-up (metadata, connections): one record, untimed.
    if (confluentErrors(await post(agent, url, CONFLUENT_TYPE, confluentBody(1, value)), 1) > 0) throw new Error('the warm-up request failed');
    return { contentType: CONFLUENT_TYPE, body: (records) => confluentBody(records, value) };
  }
  const record = `{"value":{"payload":"${avroPayload(job.messageSize)}"}}`;
  const warmup = await post(agent, url, AVRO_TYPE, JSON.stringify({ value_schema: AVRO_SCHEMA, records: [JSON.parse(record)] }));
  if (confluentErrors(warmup, 1) > 0) throw new Error(`the warm-up request failed: ${warmup.body}`);
  const id = (JSON.parse(warmup.body) as { value_schema_id: number }).value_schema_id;
  return { contentType: AVRO_TYPE, body: (records) => `{"value_schema_id":${id},"records":[${new Array<string>(records).fill(record).join(',')}]}` };
}

async function confluentThroughput(job: Job, proxy: Proxy, concurrency: number, avro = false): Promise<DriverResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const url = `${proxy.url}/topics/${job.topic}`;
  const perRequest = Math.max(1, job.batchSize);
  const bodies = await confluentBodies(job, agent, url, avro);
  const full = bodies.body(perRequest);
  const progress = new Progress(job.count);
  let assigned = 0;
  let delivered = 0;
  let failed = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (assigned < job.count) {
      const records = Math.min(perRequest, job.count - assigned);
      assigned += records;
      const reply = await post(agent, url, bodies.contentType, records === perRequest ? full : bodies.body(records));
      const errors = confluentErrors(reply, records);
      failed += errors;
      delivered += records - errors;
      progress.update(delivered);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const stopped = await stopProxyProcess(proxy);
  return {
    messages: delivered,
    failed,
    bytes: delivered * job.messageSize,
    seconds,
    warmupMessages: 1,
    note: `${avro ? 'Avro (value_schema_id), ' : ''}${concurrency} keep-alive connections, ${perRequest} records/request (${Math.round(delivered / perRequest / seconds).toLocaleString('en-US')} requests/s); replies wait for delivery${produceNote(stopped)}`,
  };
}

function produceNote(stopped: Stopped | undefined): string {
  if (!stopped) return '';
  const cpu = `; proxy process CPU ${stopped.cpuSeconds.toFixed(1)} s`;
  if (stopped.produceRequests === undefined) return cpu;
  return `${cpu}; ${stopped.produceRequests.toLocaleString('en-US')} Kafka Produce requests (proxy producer statistics)`;
}

/** Seconds of requests at the scenario's rate before the measured ones (JIT, pools, batches). */
const LATENCY_WARMUP_SECONDS = 2;

async function confluentLatency(job: Job, proxy: Proxy): Promise<DriverResult> {
  // Enough sockets that a slow reply never holds back the next scheduled request.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const url = `${proxy.url}/topics/${job.topic}`;
  const body = confluentBody(1, payloadOf(job.messageSize).toString('base64'));
  if (confluentErrors(await post(agent, url, CONFLUENT_TYPE, body), 1) > 0) throw new Error('the warm-up request failed');
  const warmup = Math.round(job.rate * LATENCY_WARMUP_SECONDS);
  const total = warmup + job.count;
  const histogram = new LatencyHistogram();
  const progress = new Progress(job.count);
  let delivered = 0;
  let failed = 0;
  const pending: Array<Promise<void>> = [];
  const intervalMs = 1000 / job.rate;
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    // Send every request that is due (open loop: the schedule does not wait for replies).
    while (sent < total && started + sent * intervalMs <= now) {
      const scheduled = started + sent * intervalMs;
      const measured = sent >= warmup;
      sent++;
      pending.push(
        post(agent, url, CONFLUENT_TYPE, body).then(
          (reply) => {
            const errors = confluentErrors(reply, 1);
            failed += errors;
            if (!measured) return;
            delivered += 1 - errors;
            histogram.record(Math.round((performance.now() - scheduled) * 1000));
            progress.update(delivered);
          },
          () => void failed++,
        ),
      );
    }
    const next = started + sent * intervalMs - performance.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.floor(next))));
  }
  await Promise.all(pending);
  const seconds = (performance.now() - (started + warmup * intervalMs)) / 1000; // from the first measured request
  agent.destroy();
  const stopped = await stopProxyProcess(proxy);
  return {
    messages: delivered,
    failed,
    bytes: delivered * job.messageSize,
    seconds,
    latency: histogram.summary(),
    warmupMessages: 1 + warmup,
    note: `HTTP request latency (scheduled send to reply, open loop at ${job.rate}/s, after ${LATENCY_WARMUP_SECONDS} s of warm-up requests at that rate); the reply waits for delivery${produceNote(stopped)}`,
  };
}

async function pixyThroughput(job: Job, proxy: Proxy, concurrency: number, sync: boolean): Promise<DriverResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const url = `${proxy.pixyUrl}/topics/${job.topic}/messages${sync ? '?sync' : ''}`;
  const body = payloadOf(job.messageSize);
  const warm = await post(agent, `${proxy.pixyUrl}/topics/${job.topic}/messages?sync`, 'text/plain', body);
  if (warm.status !== 200) throw new Error(`the warm-up request failed: ${warm.status} ${warm.body}`);
  const progress = new Progress(job.count);
  let assigned = 0;
  let accepted = 0;
  let failed = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (assigned < job.count) {
      assigned++;
      const reply = await post(agent, url, 'text/plain', body);
      if (reply.status === 200) accepted++;
      else failed++;
      progress.update(accepted);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const repliedSeconds = (performance.now() - started) / 1000;
  agent.destroy();
  // Async replies come before delivery: the timed phase ends when the proxy's producer has flushed.
  const stopped = await stopProxyProcess(proxy);
  const flushSeconds = (stopped?.flushMs ?? 0) / 1000;
  const seconds = sync ? repliedSeconds : repliedSeconds + flushSeconds;
  const what = sync ? '?sync: each reply waits for the ack' : `async replies; time includes the proxy's flush (${stopped ? `${stopped.flushMs} ms` : 'unknown'}) — ${Math.round(accepted / repliedSeconds).toLocaleString('en-US')} replies/s`;
  return {
    messages: accepted,
    failed,
    bytes: accepted * job.messageSize,
    seconds,
    warmupMessages: 1,
    note: `${concurrency} clients, 1 message/request; ${what}${produceNote(stopped)}`,
  };
}

/** The proxy process's resident memory now (VmRSS) and its highest so far (VmHWM), in MB. */
function proxyMemory(proxy: Proxy): { rssMb: number; highestMb: number } {
  const status = fs.readFileSync(`/proc/${proxy.child.pid}/status`, 'utf8');
  const megabytes = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) / 1024;
  return { rssMb: megabytes('VmRSS'), highestMb: megabytes('VmHWM') };
}

interface Watched {
  /** The proxy's highest RSS while `work` ran, sampled every 20 ms from this process. */
  peakMb: number;
  /** The longest wait of another client meanwhile: GET / one after the other, 20 ms apart. */
  longestWaitMs: number;
}

async function watch(proxy: Proxy, work: () => Promise<void>): Promise<Watched> {
  let peakMb = proxyMemory(proxy).rssMb;
  const sampler = setInterval(() => (peakMb = Math.max(peakMb, proxyMemory(proxy).rssMb)), 20);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let longestWaitMs = 0;
  let running = true;
  const other = (async () => {
    while (running) {
      const started = performance.now();
      await new Promise<void>((resolve, reject) => http.get(`${proxy.url}/`, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject));
      longestWaitMs = Math.max(longestWaitMs, performance.now() - started);
      await sleep(20);
    }
  })();
  try {
    await work();
  } finally {
    running = false;
    clearInterval(sampler);
    await other;
    agent.destroy();
  }
  return { peakMb: Math.max(peakMb, proxyMemory(proxy).rssMb), longestWaitMs };
}

const MEMORY_CLIENTS = 4;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * The proxy's memory while 4 clients send the largest requests it accepts (job.batchSize records
 * of job.messageSize bytes, binary format), after 4 clients sent requests it refuses: issue 11's
 * 800,000 records of {"value":1} (9.6 MB), or a body one byte over max.request.bytes.
 */
async function confluentMemory(job: Job, proxy: Proxy): Promise<DriverResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: MEMORY_CLIENTS });
  const url = `${proxy.url}/topics/${job.topic}`;
  const value = payloadOf(job.messageSize).toString('base64');
  const body = Buffer.from(confluentBody(job.batchSize, value));
  if (body.length > DEFAULTS.maxRequestBytes || job.batchSize > DEFAULTS.maxRequestRecords) throw new Error(`a request of ${body.length} bytes and ${job.batchSize} records is past the proxy's limits`);
  if (confluentErrors(await post(agent, url, CONFLUENT_TYPE, confluentBody(1, value)), 1) > 0) throw new Error('the warm-up request failed');
  const idle = proxyMemory(proxy).rssMb;

  // Refused requests first: each is answered 413 without being kept.
  const bytesScenario = job.scenario.endsWith('-bytes');
  const refusedBody = bytesScenario ? Buffer.alloc(DEFAULTS.maxRequestBytes + 1, ' ') : Buffer.from(`{"records":[${new Array<string>(800_000).fill('{"value":1}').join(',')}]}`);
  const refusedWhat = bytesScenario ? `a body of max.request.bytes + 1 (${mb(refusedBody.length)})` : `issue 11's 800,000 records of {"value":1} (${mb(refusedBody.length)})`;
  const refusedAgent = new http.Agent({ keepAlive: false, maxSockets: MEMORY_CLIENTS });
  let slowestRefusalMs = 0;
  const refused = await watch(proxy, async () => {
    await Promise.all(
      Array.from({ length: MEMORY_CLIENTS }, async () => {
        const started = performance.now();
        const reply = await post(refusedAgent, url, 'application/vnd.kafka.json.v2+json', refusedBody);
        if (reply.status !== 413) throw new Error(`a refused request was answered ${reply.status}: ${reply.body.slice(0, 200)}`);
        slowestRefusalMs = Math.max(slowestRefusalMs, performance.now() - started);
      }),
    );
  });
  refusedAgent.destroy();

  const progress = new Progress(job.count);
  let delivered = 0;
  let failed = 0;
  const started = performance.now();
  let assigned = 0;
  const accepted = await watch(proxy, async () => {
    await Promise.all(
      Array.from({ length: MEMORY_CLIENTS }, async () => {
        while (assigned < job.count) {
          const records = Math.min(job.batchSize, job.count - assigned);
          assigned += records;
          const errors = confluentErrors(await post(agent, url, CONFLUENT_TYPE, records === job.batchSize ? body : confluentBody(records, value)), records);
          failed += errors;
          delivered += records - errors;
          progress.update(delivered);
        }
      }),
    );
  });
  const seconds = (performance.now() - started) / 1000;
  const { highestMb } = proxyMemory(proxy);
  agent.destroy();
  const stopped = await stopProxyProcess(proxy);
  const ms = (value: number) => `${Math.round(value)} ms`;
  return {
    messages: delivered,
    failed,
    bytes: delivered * job.messageSize,
    seconds,
    warmupMessages: 1,
    note:
      `${MEMORY_CLIENTS} clients, ${Math.ceil(job.count / job.batchSize)} requests of up to ${job.batchSize.toLocaleString('en-US')} records (${mb(body.length)} bodies); ` +
      `proxy RSS ${Math.round(idle)} MB before, peak ${Math.round(accepted.peakMb)} MB (+${Math.round(accepted.peakMb - idle)} MB for ${MEMORY_CLIENTS} requests in flight; VmHWM ${Math.round(highestMb)} MB); ` +
      `another client's GET / waited at most ${ms(accepted.longestWaitMs)}. ` +
      `Before: ${MEMORY_CLIENTS} × ${refusedWhat} refused with 413 in at most ${ms(slowestRefusalMs)}, proxy RSS peak +${Math.round(refused.peakMb - idle)} MB, GET / waited at most ${ms(refused.longestWaitMs)}` +
      produceNote(stopped),
  };
}

function connections(job: Job): number {
  const match = /-c(\d+)$/.exec(job.scenario);
  return match ? Number(match[1]) : 16;
}

runDriver(async (job) => {
  const proxy = await startProxyProcess(job);
  try {
    if (job.driver === 'proxy-confluent') return job.kind === 'latency' ? await confluentLatency(job, proxy) : await confluentThroughput(job, proxy, connections(job));
    if (job.driver === 'proxy-confluent-avro') return await confluentThroughput(job, proxy, connections(job), true);
    if (job.driver === 'proxy-confluent-memory') return await confluentMemory(job, proxy);
    if (job.driver === 'proxy-pixy') return await pixyThroughput(job, proxy, 64, false);
    if (job.driver === 'proxy-pixy-sync') return await pixyThroughput(job, proxy, 64, true);
    throw new Error(`rest-proxy.ts does not drive ${job.driver}`);
  } finally {
    if (proxy.child.exitCode === null) proxy.child.kill('SIGTERM');
  }
});
