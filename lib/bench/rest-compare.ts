// The REST proxy side by side with the real Kafka-Pixy (v0.18.0, Go) in one run: the same
// ZooKeeper-mode Kafka 3.9.1 broker (Kafka-Pixy needs ZooKeeper), the same compiled load
// generator (bench/loadgen, Go: closed loop, keep-alive), one server at a time. Each row has the
// server's CPU per 1,000 requests (from /proc over the measured period) next to the generator's.
// `npm run bench:rest -- [--duration S] [--warmup S] [--clients N] [--out DIR] [--only LIST] [--before DIR] [--set KEY=VALUE] [--loadgen PATH]`.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSec: number;
  okPerSec: number;
  statuses: { [status: string]: number };
  errors: number;
  firstError?: string;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  clientCpuMs: number;
  clientCpuMsPer1000: number;
  serverCpuMs?: number;
  serverCpuMsPer1000?: number;
  /** With -broker-pid: the broker's CPU over the same period. */
  brokerCpuMs?: number;
  brokerCpuMsPer1000?: number;
}

export interface CompareRow {
  scenario: string;
  server: string;
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  /** Messages per request (the Confluent 100-record scenario: 100). */
  perRequest: number;
  /** Keep-alive clients of the generator (the scenario's own count, or --clients). */
  clients: number;
  result?: LoadResult;
}

interface Server {
  id: string;
  label: string;
  /** The Kafka-Pixy API's base URL (and the Confluent API's, for ours). */
  pixyUrl: string;
  confluentUrl?: string;
  pid: number;
  stop(): Promise<void>;
}

interface Scenario {
  id: string;
  title: string;
  servers: string[];
  perRequest: number;
  /** Its own client count (default: the run's, 64); --clients overrides it too. */
  clients?: number;
  /** loadgen arguments for a server; `prepare` runs first (e.g. the consume scenarios' offsets). */
  args(server: Server, topic: string): string[];
  prepare?(server: Server, topic: string): Promise<void>;
}

const MESSAGE = 100;
const KEYS = Array.from({ length: 16 }, (_, i) => `key-${i}`);
const base64Value = Buffer.alloc(MESSAGE, 'x').toString('base64');

/** The loadgen flags of a 100-byte Kafka-Pixy produce to `url`s. */
const pixyProduce = (urls: string[]) => ['-url', urls.join(' '), '-body-size', String(MESSAGE), '-H', 'Content-Type: text/plain'];
const confluentProduce = (url: string, records: number) => [
  '-url', url,
  '-body', JSON.stringify({ records: Array.from({ length: records }, () => ({ value: base64Value })) }),
  '-H', 'Content-Type: application/vnd.kafka.binary.v2+json',
];

/** Sets a new group's offsets to the topic's start (every server has POST /topics/{t}/offsets). */
async function fromStart(server: Server, topic: string, group: string): Promise<void> {
  const res = await fetch(`${server.pixyUrl}/topics/${topic}/offsets?group=${group}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ partition: 0, offset: 0 }]),
  });
  if (!res.ok) throw new Error(`setting ${group}'s offsets on ${server.label}: ${res.status} ${await res.text()}`);
}

/**
 * Waits (up to 60 s) until the group's first consume answers a message: a new group joins first
 * (Kafka-Pixy's takes seconds, through ZooKeeper), which is not what the scenario measures.
 */
async function joined(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await fetch(url);
    await res.arrayBuffer();
    if (res.status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url}: no message within 60 s (last answer ${res.status})`);
  }
}

const PIXY_SERVERS = ['ours', 'kafka-pixy'];
/** The produce scenarios also run ours with the JS route only (pixy.native.front.end=false). */
const PIXY_PRODUCE_SERVERS = ['ours', 'ours-js', 'kafka-pixy'];
const SCENARIOS: Scenario[] = [
  { id: 'pixy-async', title: 'Kafka-Pixy API: async produce, 100 B', servers: PIXY_PRODUCE_SERVERS, perRequest: 1, args: (s, t) => pixyProduce([`${s.pixyUrl}/topics/${t}/messages`]) },
  {
    id: 'pixy-sync',
    title: 'Kafka-Pixy API: sync produce (?sync), 100 B',
    servers: [...PIXY_PRODUCE_SERVERS, 'kafka-pixy-flush1ms'],
    perRequest: 1,
    args: (s, t) => pixyProduce([`${s.pixyUrl}/topics/${t}/messages?sync`]),
  },
  {
    id: 'pixy-keyed',
    title: 'Kafka-Pixy API: keyed async produce (16 keys), 100 B',
    servers: PIXY_PRODUCE_SERVERS,
    perRequest: 1,
    args: (s, t) => pixyProduce(KEYS.map((k) => `${s.pixyUrl}/topics/${t}/messages?key=${k}`)),
  },
  {
    id: 'pixy-consume',
    title: 'Kafka-Pixy API: consume with auto-ack (a new group from the start of the async scenario’s topic)',
    servers: PIXY_SERVERS,
    perRequest: 1,
    prepare: async (s, t) => {
      await fromStart(s, t, `bench-${s.id}`);
      await joined(`${s.pixyUrl}/topics/${t}/messages?group=bench-${s.id}`);
    },
    args: (s, t) => ['-method', 'GET', '-url', `${s.pixyUrl}/topics/${t}/messages?group=bench-${s.id}`],
  },
  {
    id: 'pixy-consume-acks',
    title: 'Kafka-Pixy API: consume with explicit acks (noAck first, then each request acks the previous message with ackPartition/ackOffset)',
    servers: PIXY_SERVERS,
    perRequest: 1,
    prepare: async (s, t) => {
      await fromStart(s, t, `bench-acks-${s.id}`);
      await joined(`${s.pixyUrl}/topics/${t}/messages?group=bench-acks-${s.id}`); // auto-acked: the generator starts on the next one
    },
    args: (s, t) => ['-method', 'GET', '-pixy-ack', '-url', `${s.pixyUrl}/topics/${t}/messages?group=bench-acks-${s.id}`],
  },
  { id: 'confluent-1', title: 'Confluent API: single-record produce (binary v2), 100 B', servers: ['ours'], perRequest: 1, args: (s, t) => confluentProduce(`${s.confluentUrl}/topics/${t}`, 1) },
  // A closed loop of 64 clients on a route that answers after Kafka's ack is bounded by 64 ÷ latency.
  { id: 'confluent-1-256', title: 'Confluent API: single-record produce (binary v2), 100 B', clients: 256, servers: ['ours'], perRequest: 1, args: (s, t) => confluentProduce(`${s.confluentUrl}/topics/${t}`, 1) },
  { id: 'confluent-100', title: 'Confluent API: 100-record produce (binary v2), 100 B each', servers: ['ours'], perRequest: 100, args: (s, t) => confluentProduce(`${s.confluentUrl}/topics/${t}`, 100) },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Our proxy in its own process (lib/bench/drivers/proxy-server.ts), on the broker. */
async function startOurs(root: string, bootstrapServers: string, jsOnly = false, before = false, extra: { [key: string]: string } = {}): Promise<Server> {
  const properties = { ...extra, ...(jsOnly ? { 'pixy.native.front.end': 'false' } : {}) };
  const child = spawn(process.execPath, [path.join(root, 'dist', 'bench', 'drivers', 'proxy-server.js'), JSON.stringify({ bootstrapServers, producer: {}, properties })], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) resolve(text.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`our proxy exited (code ${code}) before listening`)));
  });
  const { url, pixyUrl } = JSON.parse(line) as { url: string; pixyUrl: string };
  return {
    id: before ? 'ours-before' : jsOnly ? 'ours-js' : 'ours',
    label: before ? `ours, the build at ${root}` : jsOnly ? 'ours, JS route only (pixy.native.front.end=false)' : 'ours (rdkafka-napi REST proxy)',
    pixyUrl,
    confluentUrl: url,
    pid: child.pid!,
    stop: async () => {
      child.stdin!.end('stop\n');
      await Promise.race([new Promise((resolve) => child.once('exit', resolve)), sleep(90_000)]);
      await stopChild(child);
    },
  };
}

/** The real Kafka-Pixy, with its defaults but for the broker, compression and flush timer. */
async function startKafkaPixy(binary: string, bootstrapServers: string, zookeeper: string, flushFrequency: string, dir: string): Promise<Server> {
  const [tcp, grpc] = [await freePort(), await freePort()];
  const config = path.join(dir, `kafka-pixy-${flushFrequency}.yaml`);
  fs.writeFileSync(
    config,
    [
      `grpc_addr: 127.0.0.1:${grpc}`,
      `tcp_addr: 127.0.0.1:${tcp}`,
      'proxies:',
      '  default:',
      '    kafka:',
      `      seed_peers: [${bootstrapServers}]`,
      '    zoo_keeper:',
      `      seed_peers: [${zookeeper}]`,
      '    producer:',
      // Ours sends uncompressed (librdkafka's default); Pixy's default is snappy.
      '      compression: none',
      `      flush_frequency: ${flushFrequency}`,
      'logging:',
      '  - name: console',
      '    severity: warning',
      '',
    ].join('\n'),
  );
  const log = fs.openSync(path.join(dir, `kafka-pixy-${flushFrequency}.log`), 'a');
  const child = spawn(binary, ['--config', config], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const pixyUrl = `http://127.0.0.1:${tcp}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Kafka-Pixy exited (code ${child.exitCode}); see ${dir}`);
    const ok = await fetch(`${pixyUrl}/_ping`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error('Kafka-Pixy did not answer /_ping within 60 s');
    }
    await sleep(200);
  }
  const flushNote = flushFrequency === '500ms' ? 'default flush_frequency 500 ms' : `flush_frequency ${flushFrequency}`;
  return { id: flushFrequency === '500ms' ? 'kafka-pixy' : 'kafka-pixy-flush1ms', label: `Kafka-Pixy ${'0.18.0'} (Go; ${flushNote})`, pixyUrl, pid: child.pid!, stop: () => stopChild(child) };
}

/** Runs the generator; its one JSON line. */
export function runLoadgen(loadgen: string, args: string[]): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(loadgen, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`loadgen exited ${code}: ${err.trim()}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as LoadResult);
      } catch {
        reject(new Error(`loadgen printed no result: ${out} ${err}`));
      }
    });
  });
}

export interface CompareOptions {
  root?: string;
  durationS?: number;
  warmupS?: number;
  /** Clients for every scenario (default: 64, or a scenario's own count). */
  clients?: number;
  /** Scenario ids to run (default: all). */
  only?: string[];
  /** Another build of the project (its root, built): the consume scenarios run it too, first, for a before/after in one run. */
  beforeRoot?: string;
  /** Proxy properties for our servers (--set KEY=VALUE), e.g. producer.linger.ms. */
  properties?: { [key: string]: string };
  log?: (line: string) => void;
  /** The go command and the directory the tools are built into (default: go on PATH, ~/.cache/rdkafka-napi/go-tools). */
  go?: string;
  toolsDir?: string;
  /** A load generator binary to run instead of building bench/loadgen (e.g. an older build, for a before/after of the generator). */
  loadgen?: string;
}

export interface CompareReport {
  date: string;
  machine: string;
  load: string;
  /** The load generator that ran: bench/loadgen, or the --loadgen binary. */
  generator: string;
  clients: number;
  durationS: number;
  warmupS: number;
  broker: string;
  skipped: { [server: string]: string };
  rows: CompareRow[];
}

/** Runs the scenarios; a server that cannot run here is reported as skipped with the reason. */
export async function runRestCompare(options: CompareOptions = {}): Promise<CompareReport> {
  const root = options.root ?? path.resolve(__dirname, '..', '..');
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const clients = options.clients ?? 64;
  const clientsOf = (s: Scenario) => options.clients ?? s.clients ?? clients;
  const durationS = options.durationS ?? 15;
  const warmupS = options.warmupS ?? 2;
  const wanted = new Set(options.only ?? SCENARIOS.map((s) => s.id));
  // The consume scenarios read the topic the async one writes: it runs whenever they do.
  if ([...wanted].some((id) => id.startsWith('pixy-consume'))) wanted.add('pixy-async');
  const scenarios = SCENARIOS.filter((s) => wanted.has(s.id));
  const report: CompareReport = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}`,
    load: `load average at start ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`,
    generator: options.loadgen === undefined ? 'bench/loadgen (Go, fasthttp)' : `the load generator ${options.loadgen} (--loadgen)`,
    clients,
    durationS,
    warmupS,
    broker: '',
    skipped: {},
    rows: [],
  };
  const tools = (await import(pathToFileURL(path.join(root, 'scripts', 'bench', 'go-tools.mjs')).href)) as {
    buildGoTools(options: { go?: string; dir?: string }): { loadgen: { path?: string; error?: string }; kafkaPixy: { path?: string; error?: string } };
  };
  log('building the load generator and Kafka-Pixy (scripts/bench/go-tools.mjs) ...');
  const built = tools.buildGoTools({ go: options.go, dir: options.toolsDir });
  const kafkaPixy = built.kafkaPixy;
  const loadgen = options.loadgen !== undefined ? { path: options.loadgen } : built.loadgen;
  if (loadgen.path === undefined) {
    for (const s of scenarios) for (const server of s.servers) report.rows.push({ scenario: s.id, server, status: 'skipped', reason: loadgen.error, perRequest: s.perRequest, clients: clientsOf(s) });
    report.skipped.loadgen = loadgen.error ?? '';
    return report;
  }
  if (kafkaPixy.path === undefined) {
    report.skipped['kafka-pixy'] = kafkaPixy.error ?? '';
    log(`Kafka-Pixy skipped: ${kafkaPixy.error}`);
  }

  const broker = (await import(pathToFileURL(path.join(root, 'scripts', 'kafka', 'broker.mjs')).href)) as {
    startKafka(o: { nodes: number; zookeeper: boolean }): Promise<{ bootstrapServers: string; zookeeperConnect: string; nodes: { pid: number | null }[]; stop(): Promise<void> }>;
  };
  log('starting ZooKeeper and a ZooKeeper-mode Kafka 3.9.1 broker (scripts/kafka/broker.mjs) ...');
  const kafka = await broker.startKafka({ nodes: 1, zookeeper: true });
  report.broker = `Apache Kafka 3.9.1, one ZooKeeper-mode broker (ZooKeeper 3.8.4) on this machine, at ${kafka.bootstrapServers}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdkafka-napi-rest-compare-'));
  const run = Date.now().toString(36);
  try {
    for (const scenario of scenarios) {
      // One topic per scenario and run: the consume scenario reads what the async one wrote.
      const topic = scenario.id.startsWith('pixy-consume') ? `bench-${run}-pixy-async` : `bench-${run}-${scenario.id}`;
      const servers = options.beforeRoot !== undefined && (scenario.id.startsWith('pixy-consume') || scenario.id.startsWith('confluent-')) ? ['ours-before', ...scenario.servers] : scenario.servers;
      for (const serverId of servers) {
        const row: CompareRow = { scenario: scenario.id, server: serverId, status: 'ok', perRequest: scenario.perRequest, clients: clientsOf(scenario) };
        report.rows.push(row);
        if (!serverId.startsWith('ours') && kafkaPixy.path === undefined) {
          Object.assign(row, { status: 'skipped', reason: kafkaPixy.error });
          continue;
        }
        let server: Server | undefined;
        try {
          server =
            serverId.startsWith('ours')
              ? await startOurs(serverId === 'ours-before' ? options.beforeRoot! : root, kafka.bootstrapServers, serverId === 'ours-js', serverId === 'ours-before', options.properties)
              : await startKafkaPixy(kafkaPixy.path!, kafka.bootstrapServers, kafka.zookeeperConnect, serverId === 'kafka-pixy' ? '500ms' : '1ms', dir);
          await scenario.prepare?.(server, topic);
          log(`${scenario.id}: ${server.label} ...`);
          row.result = await runLoadgen(loadgen.path, [...scenario.args(server, topic), '-c', String(row.clients), '-duration', `${durationS}s`, '-warmup', `${warmupS}s`, '-pid', String(server.pid), '-broker-pid', String(kafka.nodes[0].pid ?? 0)]);
          const r = row.result;
          log(`  ${((r.statuses['200'] ?? 0) * scenario.perRequest / r.seconds).toFixed(0)} msgs/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, server CPU ${r.serverCpuMsPer1000?.toFixed(1)} ms / 1,000 requests, generator ${r.clientCpuMsPer1000.toFixed(1)}, broker ${r.brokerCpuMsPer1000?.toFixed(1)}; ${JSON.stringify(r.statuses)}`);
        } catch (error) {
          Object.assign(row, { status: 'failed', reason: (error as Error).message });
          log(`  failed: ${(error as Error).message}`);
        } finally {
          await server?.stop();
        }
      }
    }
  } finally {
    report.load += `, at end ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`;
    await kafka.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return report;
}

const SERVER_LABELS: { [id: string]: string } = {
  ours: 'ours',
  'ours-js': 'ours, JS route only (pixy.native.front.end=false)',
  'ours-before': 'ours, before (--before)',
  'kafka-pixy': 'Kafka-Pixy 0.18.0 (flush 500 ms, its default)',
  'kafka-pixy-flush1ms': 'Kafka-Pixy 0.18.0 (flush 1 ms)',
};

const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const msgsPerSec = (row: CompareRow) => (row.result === undefined ? undefined : ((row.result.statuses['200'] ?? 0) * row.perRequest) / row.result.seconds);

/** A scenario's title, with its client count when it has its own. */
const titleOf = (scenario: Scenario, row: CompareRow) => (scenario.clients === undefined ? scenario.title : `${scenario.title}, ${row.clients} clients`);

/** One markdown table per scenario, with ours ÷ Kafka-Pixy where both ran. */
export function renderMarkdown(report: CompareReport): string {
  const lines = [
    `Run of ${report.date.slice(0, 16).replace('T', ' ')} UTC: ${report.broker}; ${report.clients} keep-alive clients of ${report.generator} unless a scenario's title says otherwise, ${report.warmupS} s warm-up then ${report.durationS} s measured, one server at a time; ${report.machine}; ${report.load}.`,
    '',
  ];
  for (const scenario of SCENARIOS) {
    const rows = report.rows.filter((r) => r.scenario === scenario.id);
    if (rows.length === 0) continue;
    const pixy = rows.find((r) => r.server === 'kafka-pixy');
    lines.push(`#### ${titleOf(scenario, rows[0])}`, '', '| server | msgs/s | requests/s | p50 ms | p99 ms | server CPU ms / 1,000 requests | generator CPU ms / 1,000 | broker CPU ms / 1,000 | msgs/s ÷ Kafka-Pixy | CPU/request ÷ Kafka-Pixy | statuses |', '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|');
    for (const row of rows) {
      const r = row.result;
      if (r === undefined) {
        lines.push(`| ${SERVER_LABELS[row.server]} | ${row.status}: ${row.reason ?? ''} | | | | | | | | | |`);
        continue;
      }
      const ratio = pixy?.result !== undefined && row !== pixy ? `${(msgsPerSec(row)! / msgsPerSec(pixy)!).toFixed(2)}×` : '';
      const cpuRatio = pixy?.result?.serverCpuMsPer1000 !== undefined && row !== pixy && r.serverCpuMsPer1000 !== undefined ? `${(r.serverCpuMsPer1000 / pixy.result.serverCpuMsPer1000).toFixed(2)}×` : '';
      lines.push(`| ${SERVER_LABELS[row.server]} | ${fmt(msgsPerSec(row))} | ${fmt(r.requestsPerSec)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 1)} | ${fmt(r.serverCpuMsPer1000, 1)} | ${fmt(r.clientCpuMsPer1000, 1)} | ${fmt(r.brokerCpuMsPer1000, 1)} | ${ratio} | ${cpuRatio} | ${Object.entries(r.statuses).map(([s, n]) => `${s}: ${n}`).join(', ')}${r.errors > 0 ? `; ${r.errors} errors` : ''} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** A bar chart: msgs/s per scenario and server, each scenario on its own scale (SVG, no dependencies). */
export function renderChart(report: CompareReport): string {
  const rows = report.rows.filter((r) => r.result !== undefined);
  const colors: { [id: string]: string } = { ours: '#2b6cb0', 'ours-before': '#90cdf4', 'kafka-pixy': '#c05621', 'kafka-pixy-flush1ms': '#dd6b20' };
  const barH = 18;
  const labelW = 330;
  const width = 900;
  let y = 40;
  const parts: string[] = [];
  for (const scenario of SCENARIOS) {
    const these = rows.filter((r) => r.scenario === scenario.id);
    if (these.length === 0) continue;
    parts.push(`<text x="10" y="${y + 12}" font-weight="bold">${titleOf(scenario, these[0]).replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`);
    y += 20;
    // Each scenario on its own scale: 100-record requests would flatten the others.
    const max = Math.max(1, ...these.map((r) => msgsPerSec(r)!));
    for (const row of these) {
      const w = ((width - labelW - 120) * msgsPerSec(row)!) / max;
      parts.push(`<text x="20" y="${y + 13}">${SERVER_LABELS[row.server]}</text>`);
      parts.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH - 4}" fill="${colors[row.server]}"/>`);
      parts.push(`<text x="${labelW + w + 6}" y="${y + 13}">${fmt(msgsPerSec(row))} msgs/s, ${fmt(row.result!.serverCpuMsPer1000, 1)} ms CPU/1k req</text>`);
      y += barH;
    }
    y += 10;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width + 100}" height="${y + 10}" font-family="sans-serif" font-size="12">\n<text x="10" y="20" font-size="14" font-weight="bold">REST proxies, msgs/s (${report.clients} clients unless a scenario says otherwise, one Kafka 3.9.1 broker): ours vs Kafka-Pixy 0.18.0</text>\n${parts.join('\n')}\n</svg>\n`;
}

const DOCS_START = '<!-- rest-compare:start -->';
const DOCS_END = '<!-- rest-compare:end -->';

/** The results in BENCHMARKS.md (between the markers) and the chart in bench/. */
function writeDocs(root: string, report: CompareReport): void {
  const file = path.join(root, 'BENCHMARKS.md');
  const text = fs.readFileSync(file, 'utf8');
  const start = text.indexOf(DOCS_START);
  const end = text.indexOf(DOCS_END);
  if (start < 0 || end < start) throw new Error(`BENCHMARKS.md has no ${DOCS_START} … ${DOCS_END} section`);
  fs.writeFileSync(file, `${text.slice(0, start + DOCS_START.length)}\n${renderMarkdown(report)}\n${text.slice(end)}`);
  fs.writeFileSync(path.join(root, 'bench', 'chart-rest-compare.svg'), renderChart(report));
}

async function main(argv: string[]): Promise<number> {
  const options: CompareOptions = {};
  let out = '';
  let docs = false;
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === '--duration') options.durationS = Number(v);
    else if (argv[i] === '--warmup') options.warmupS = Number(v);
    else if (argv[i] === '--clients') options.clients = Number(v);
    else if (argv[i] === '--only') options.only = v.split(',');
    else if (argv[i] === '--out') out = v;
    else if (argv[i] === '--before') options.beforeRoot = path.resolve(v);
    else if (argv[i] === '--loadgen') options.loadgen = path.resolve(v);
    else if (argv[i] === '--set') options.properties = { ...options.properties, [v.slice(0, v.indexOf('='))]: v.slice(v.indexOf('=') + 1) };
    else if (argv[i] === '--docs') {
      docs = true;
      continue;
    } else {
      process.stderr.write(`unknown option ${argv[i]}: --duration S --warmup S --clients N --only ${SCENARIOS.map((s) => s.id).join(',')} --out DIR --docs --before DIR --set KEY=VALUE --loadgen PATH\n`);
      return 2;
    }
    i++;
  }
  const root = path.resolve(__dirname, '..', '..');
  const outDir = out || path.join(root, 'bench-results');
  const report = await runRestCompare({ ...options, root });
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'rest-compare.json'), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(outDir, 'rest-compare.md'), renderMarkdown(report));
  fs.writeFileSync(path.join(outDir, 'rest-compare.svg'), renderChart(report));
  process.stdout.write(renderMarkdown(report));
  if (docs) writeDocs(root, report);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
