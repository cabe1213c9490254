// A tiny run of the benchmark harness on the embedded broker, so that it cannot rot: our drivers
// and librdkafka's C rdkafka_performance each in a process of their own, every count checked on
// the broker, and the reports written. (The full run is `npm run bench`, never part of the tests.)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as http from 'node:http';
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { runBench, type BenchOutcome } from '../lib/bench/run';
import { renderMarkdown, runRestCompare, type LoadResult } from '../lib/bench/rest-compare';

describe('the benchmark harness', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rdkafka-napi-bench-test-'));
  const log: string[] = [];
  let outcome: BenchOutcome | undefined;
  const run = async (): Promise<BenchOutcome> =>
    (outcome ??= await runBench({
      scenarios: ['produce-100B-acks1', 'consume-100B'],
      drivers: ['rdkafka_performance', 'napi-produce', 'napi-capi', 'napi-capi-batch', 'napi-kafkajs', 'java'],
      count: 20_000,
      installPeers: 'never',
      outDir: out,
      docs: false,
      log: (line) => log.push(line),
    }));

  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('measures each driver and finds every produced message on the broker', async () => {
    const { report } = await run();
    const produce = report.scenarios.find((s) => s.id === 'produce-100B-acks1')!;
    const byDriver = new Map(produce.rows.map((row) => [row.driver, row]));
    for (const id of ['rdkafka_performance', 'napi-produce', 'napi-capi']) {
      const row = byDriver.get(id)!;
      expect(row.status, `${id}: ${row.reason}`).toBe('ok');
      expect(row.verification).toMatchObject({ expected: 20_000, found: 20_000, ok: true });
      expect(row.msgsPerSec).toBeGreaterThan(1000);
      expect(row.mbPerSec).toBeCloseTo((row.msgsPerSec! * 100) / 1e6, 3);
      expect(row.cpuSeconds).toBeGreaterThan(0);
      expect(row.maxRssMb).toBeGreaterThan(1);
    }
    // Ratios are to the C figure, which is 1 against itself.
    expect(byDriver.get('rdkafka_performance')!.ratio).toBe(1);
    expect(byDriver.get('napi-produce')!.ratio).toBeGreaterThan(0);
    // The batch driver runs, or says why it cannot (an addon without the batch functions).
    const batch = byDriver.get('napi-capi-batch')!;
    expect(['ok', 'skipped']).toContain(batch.status);
    if (batch.status === 'ok') expect(batch.verification?.ok).toBe(true);
  }, 60_000);

  it('has every consumer read the whole pre-filled topic', async () => {
    const { report } = await run();
    const consume = report.scenarios.find((s) => s.id === 'consume-100B')!;
    // napi-kafkajs: the kafkajs program's eachBatch on our facade, next to kafkajs's own figure.
    for (const id of ['rdkafka_performance', 'napi-produce', 'napi-capi', 'napi-kafkajs']) {
      const row = consume.rows.find((r) => r.driver === id)!;
      expect(row.status, `${id}: ${row.reason}`).toBe('ok');
      expect(row.result!.messages).toBe(20_000);
      expect(row.result!.seconds).toBeGreaterThan(0);
    }
  }, 60_000);

  it('reports a driver that cannot run here as skipped, with the reason', async () => {
    const { report } = await run();
    const java = report.scenarios[0].rows.find((row) => row.driver === 'java')!;
    expect(java.status).toBe('skipped');
    expect(java.reason).toMatch(/mock broker/);
    expect(log.some((line) => line.includes('java') && line.includes('skipped'))).toBe(true);
  }, 60_000);

  it('writes the JSON, the markdown table and the SVG chart', async () => {
    const { files } = await run();
    const json = JSON.parse(fs.readFileSync(files.json, 'utf8'));
    expect(json.version).toBe(1);
    expect(json.machine.librdkafka).toMatch(/^\d+\.\d+\.\d+/);
    expect(json.scenarios.map((s: { id: string }) => s.id)).toEqual(['produce-100B-acks1', 'consume-100B']);
    const markdown = fs.readFileSync(files.markdown, 'utf8');
    expect(markdown).toContain('| Driver | msgs/s | MB/s | vs C |');
    expect(markdown).toMatch(/\| librdkafka rdkafka_performance \(C\) \| [\d,]+ \| [\d.,]+ \| 1\.00× \|/);
    expect(markdown).toContain('skipped: the Java client');
    const svg = fs.readFileSync(files.svg, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('rdkafka-napi producer.produce()');
    expect(files.docs).toBeUndefined();
  }, 60_000);

  it('drives the REST proxy (in a process of its own) and finds every record on the broker', async () => {
    const { report } = await runBench({ scenarios: ['rest-proxy'], count: 2000, installPeers: 'never', outDir: out, docs: false, log: () => undefined });
    const rows = report.scenarios.flatMap((s) => s.rows.map((row) => ({ scenario: s.id, kind: s.kind, row })));
    expect(rows.map(({ row }) => row.driver).sort()).toEqual(['proxy-confluent', 'proxy-confluent', 'proxy-confluent', 'proxy-confluent-memory', 'proxy-confluent-memory', 'proxy-pixy', 'proxy-pixy-sync']);
    for (const { scenario, kind, row } of rows) {
      expect(row.status, `${scenario} ${row.driver}: ${row.reason}`).toBe('ok');
      // + the warm-up record; the latency scenario also sends 2 s of warm-up requests at 1,000/s.
      const warmup = kind === 'latency' ? 1 + 2000 : 1;
      expect(row.verification).toMatchObject({ expected: 2000 + warmup, found: 2000, ok: true });
    }
    const latency = report.scenarios.find((s) => s.kind === 'latency')!.rows[0].result!.latency!;
    expect(latency.samples).toBe(2000);
    expect(latency.p99).toBeGreaterThan(0);
  }, 60_000);

  it('runs the transactional drivers in transactions of the scenario size, every record counted', async () => {
    const { report } = await runBench({ scenarios: ['produce-100B-txn-1k'], drivers: ['c-txn', 'napi-batch', 'napi-txn-batch', 'napi-txn-send-batch'], count: 5000, installPeers: 'never', outDir: out, docs: false, log: () => undefined });
    const rows = report.scenarios[0].rows;
    expect(rows.map((row) => row.driver)).toEqual(['c-txn', 'napi-batch', 'napi-txn-batch', 'napi-txn-send-batch']);
    for (const row of rows) {
      expect(row.status, `${row.driver}: ${row.reason}`).toBe('ok');
      expect(row.verification).toMatchObject({ expected: 5000, ok: true });
      // End offsets on the embedded broker: librdkafka 2.15.1's mock (not 2.0.2's) also writes one
      // marker per transaction (5 here, on one partition).
      const markers = row.driver === 'napi-batch' ? 0 : 5;
      expect(row.verification!.found).toBeGreaterThanOrEqual(5000);
      expect(row.verification!.found).toBeLessThanOrEqual(5000 + markers);
    }
    expect(rows[0].result!.note).toMatch(/^5 transactions of 1,000 \(produce_batch/);
    expect(rows[2].result!.note).toMatch(/^5 transactions of 1,000/);
    expect(rows[3].result!.note).toMatch(/^5 runTransaction\(\) calls of 1,000/);
  }, 60_000);
});

describe('the Go load generator of the REST proxy comparison (bench/loadgen)', () => {
  const goTools = () => import(pathToFileURL(path.join(__dirname, '..', 'scripts', 'bench', 'go-tools.mjs')).href) as Promise<{
    buildLoadgen(options?: { go?: string; dir?: string }): { path?: string; error?: string };
  }>;

  it('measures a server: requests/s, latency percentiles, and the server CPU next to its own', async () => {
    const built = (await goTools()).buildLoadgen();
    expect(built.error).toBeUndefined();
    // A server in this process: loadgen reads this process's CPU from /proc (-pid).
    const bodies: number[] = [];
    const server = http.createServer((req, res) => {
      let size = 0;
      req.on('data', (chunk: Buffer) => (size += chunk.length));
      req.on('end', () => {
        bodies.push(size);
        res.writeHead(req.headers['content-type'] === 'text/plain' ? 200 : 415).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/topics/t/messages`;
      const args = ['-url', url, '-body-size', '100', '-H', 'Content-Type: text/plain', '-c', '4', '-warmup', '200ms', '-duration', '1s', '-pid', String(process.pid), '-broker-pid', String(process.pid)];
      const out = await new Promise<string>((resolve, reject) => execFile(built.path!, args, (error, stdout) => (error ? reject(error) : resolve(stdout))));
      const result = JSON.parse(out) as LoadResult;
      expect(result.requests).toBeGreaterThan(0);
      expect(result.statuses).toEqual({ 200: result.requests });
      expect(result.errors).toBe(0);
      expect(result.requestsPerSec).toBeCloseTo(result.requests / result.seconds, 6);
      expect(result.p50Ms).toBeLessThanOrEqual(result.p99Ms);
      expect(result.p99Ms).toBeLessThanOrEqual(result.maxMs);
      expect(result.serverCpuMs).toBeGreaterThan(0);
      expect(result.clientCpuMs).toBeGreaterThan(0);
      expect(result.brokerCpuMs).toBeGreaterThan(0); // -broker-pid: here the same process
      expect(result.brokerCpuMsPer1000).toBeCloseTo((result.brokerCpuMs! * 1000) / result.requests, 6);
      expect(bodies.every((size) => size === 100)).toBe(true);
    } finally {
      server.close();
    }
  }, 180_000);

  it('acks each Kafka-Pixy message with the next request (-pixy-ack)', async () => {
    const built = (await goTools()).buildLoadgen();
    expect(built.error).toBeUndefined();
    let next = 0;
    const served = new Set<number>();
    const acked: number[] = [];
    let noAcks = 0;
    const server = http.createServer((req, res) => {
      const query = new URL(req.url!, 'http://x').searchParams;
      if (query.has('ackOffset')) acked.push(Number(query.get('ackOffset')));
      else if (query.has('noAck')) noAcks++;
      const offset = next++;
      served.add(offset);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ key: null, value: 'eA==', partition: 0, offset, headers: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/topics/t/messages?group=g`;
      const args = ['-method', 'GET', '-pixy-ack', '-url', url, '-c', '2', '-warmup', '100ms', '-duration', '500ms'];
      await new Promise<string>((resolve, reject) => execFile(built.path!, args, (error, stdout) => (error ? reject(error) : resolve(stdout))));
      // Each client's first request says noAck; every later one acks a message that was handed out.
      expect(noAcks).toBe(2);
      expect(acked.length).toBe(next - 2);
      expect(acked.every((offset) => served.has(offset))).toBe(true);
      expect(new Set(acked).size).toBe(acked.length);
    } finally {
      server.close();
    }
  }, 180_000);

  it('takes the -url list in turn, sends each URL as given, and reconnects to a server that closes every connection', async () => {
    const built = (await goTools()).buildLoadgen();
    expect(built.error).toBeUndefined();
    const seen: string[] = [];
    const connections = new Set<unknown>();
    const server = http.createServer((req, res) => {
      seen.push(req.url!);
      connections.add(req.socket);
      req.resume();
      req.on('end', () => res.writeHead(200, { connection: 'close' }).end('{}'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const args = ['-url', `${base}/topics/t/messages?key=a ${base}/topics/t/messages?sync`, '-c', '2', '-warmup', '100ms', '-duration', '1s'];
      const result = JSON.parse(await new Promise<string>((resolve, reject) => execFile(built.path!, args, (error, stdout) => (error ? reject(error) : resolve(stdout))))) as LoadResult;
      expect(result.errors).toBe(0);
      expect(result.statuses).toEqual({ 200: result.requests });
      expect(new Set(seen)).toEqual(new Set(['/topics/t/messages?key=a', '/topics/t/messages?sync']));
      // Alternating per client: each URL gets about half (a client may stop between the two).
      const keyed = seen.filter((u) => u.endsWith('key=a')).length;
      expect(Math.abs(2 * keyed - seen.length)).toBeLessThanOrEqual(2);
      expect(connections.size).toBe(seen.length); // a new connection after each Connection: close
    } finally {
      server.close();
    }
  }, 180_000);

  it('connects through a Unix socket with -unix', async () => {
    const built = (await goTools()).buildLoadgen();
    expect(built.error).toBeUndefined();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdkafka-napi-loadgen-'));
    const socket = path.join(dir, 'proxy.sock');
    const methods = new Set<string>();
    const server = http.createServer((req, res) => {
      methods.add(`${req.method} ${req.headers.host} ${req.url}`);
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const args = ['-unix', socket, '-method', 'GET', '-url', 'http://proxy.local/topics', '-c', '2', '-warmup', '100ms', '-duration', '500ms'];
      const result = JSON.parse(await new Promise<string>((resolve, reject) => execFile(built.path!, args, (error, stdout) => (error ? reject(error) : resolve(stdout))))) as LoadResult;
      expect(result.errors).toBe(0);
      expect(result.requests).toBeGreaterThan(0);
      expect(result.statuses).toEqual({ 204: result.requests });
      expect([...methods]).toEqual(['GET proxy.local /topics']);
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('runs the Confluent single-record produce at 64 and at 256 clients, and --clients sets every scenario\'s count', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdkafka-napi-go-tools-'));
    try {
      const missing = path.join(dir, 'no-such-go'); // every row skipped: the scenario list, without a broker
      const clientsOf = (report: { rows: { scenario: string; clients: number }[] }) => Object.fromEntries(report.rows.map((r) => [r.scenario, r.clients]));
      const defaults = await runRestCompare({ go: missing, toolsDir: dir, only: ['confluent-1', 'confluent-1-256', 'pixy-async'], log: () => undefined });
      expect(clientsOf(defaults)).toEqual({ 'pixy-async': 64, 'confluent-1': 64, 'confluent-1-256': 256 });
      const eight = await runRestCompare({ go: missing, toolsDir: dir, clients: 8, only: ['confluent-1', 'confluent-1-256'], log: () => undefined });
      expect(clientsOf(eight)).toEqual({ 'confluent-1': 8, 'confluent-1-256': 8 });
      expect(renderMarkdown(defaults)).toMatch(/^#### Confluent API: single-record produce \(binary v2\), 100 B, 256 clients$/m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('reports every server of the comparison as skipped, with the reason, when the generator cannot be built', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdkafka-napi-go-tools-'));
    try {
      const missing = path.join(dir, 'no-such-go');
      expect((await goTools()).buildLoadgen({ go: missing, dir }).error).toMatch(/go is not installed/);
      const report = await runRestCompare({ go: missing, toolsDir: dir, log: () => undefined });
      expect(report.rows.length).toBeGreaterThan(0);
      for (const row of report.rows) {
        expect(row.status).toBe('skipped');
        expect(row.reason).toMatch(/^the load generator could not be built: go is not installed/);
      }
      expect(report.rows.map((r) => r.server)).toContain('kafka-pixy');
      // A consume scenario alone brings the async one, whose topic it reads, before it.
      const consumeOnly = await runRestCompare({ go: missing, toolsDir: dir, only: ['pixy-consume'], log: () => undefined });
      expect([...new Set(consumeOnly.rows.map((r) => r.scenario))]).toEqual(['pixy-async', 'pixy-consume']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('runs our proxy on a ZooKeeper-mode broker and reports Kafka-Pixy as skipped, with the reason, when it cannot be built', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdkafka-napi-go-tools-'));
    try {
      expect((await goTools()).buildLoadgen({ dir }).error).toBeUndefined(); // with go; Kafka-Pixy then without it
      const report = await runRestCompare({ go: path.join(dir, 'no-such-go'), toolsDir: dir, only: ['pixy-async'], clients: 4, warmupS: 0.5, durationS: 1, log: () => undefined });
      expect(report.broker).toMatch(/ZooKeeper-mode/);
      const [ours, oursJs, pixy] = report.rows;
      expect(ours).toMatchObject({ server: 'ours', status: 'ok' });
      expect(oursJs).toMatchObject({ server: 'ours-js', status: 'ok' }); // pixy.native.front.end=false
      expect(ours.result!.statuses['200']).toBe(ours.result!.requests);
      expect(ours.result!.serverCpuMsPer1000).toBeGreaterThan(0);
      expect(ours.result!.brokerCpuMsPer1000).toBeGreaterThan(0); // the broker's CPU over the same period
      expect(report.load).toMatch(/^load average at start .*, at end /);
      expect(pixy).toMatchObject({ server: 'kafka-pixy', status: 'skipped' });
      expect(pixy.reason).toMatch(/^Kafka-Pixy 0\.18\.0 could not be downloaded: go is not installed/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 360_000); // builds the load generator and starts ZooKeeper, a broker and a proxy: minutes on a loaded machine
});
