// A benchmark run: for each scenario, each driver in a process of its own against one broker, on
// a fresh topic, with progress as it goes; then the count on the broker, the ratios to the C
// reference, and the reports (JSON, markdown, SVG; BENCHMARKS.md for a full run).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { capi } from '../index';
import { committedRecords, endOffsets, openBroker, type BenchBroker } from './broker';
import { DRIVER_ID_WIDTH, DRIVERS, findDriver, type Driver, type DriverRun, type HarnessContext } from './drivers';
import type { DriverResult, Job } from './job';
import { installPeers, PEERS, peerVersion, readPeerStatus } from './peers';
import { chartSvg, describeMachine, reportMarkdown, updateMarkedSection, type BenchReport, type Row, type RssSummary, type ScenarioReport } from './report';
import { REFERENCE_DRIVER, SCENARIOS, type Scenario } from './scenarios';
import { buildNativeTools, commandVersion } from './tools';

export interface BenchOptions {
  /** The project root (default: two levels above this file). */
  root?: string;
  /** Scenario ids, or prefixes of them ('produce' = every produce-*). Default: all. */
  scenarios?: string[];
  /** Driver ids. Default: every driver of each scenario. */
  drivers?: string[];
  /** Messages per scenario instead of its own count. */
  count?: number;
  /** Multiplies every scenario's count. */
  scale?: number;
  /** Runs per driver; the table shows the median. Default 1. */
  repeat?: number;
  bootstrapServers?: string;
  /** Start a real Kafka 3.9.1 broker (scripts/kafka/broker.mjs). */
  kafka?: boolean;
  replicationFactor?: number;
  /** 'auto' (default): install the peers when they never were; 'always'; 'never'. */
  installPeers?: 'auto' | 'always' | 'never';
  /** Default: <root>/bench-results. */
  outDir?: string;
  /** Update BENCHMARKS.md and bench/chart-<broker>.svg. Default: only for a full default run. */
  docs?: boolean;
  /** Per driver run. Default: from the scenario's size, at least 3 minutes. */
  timeoutMs?: number;
  /** The command line, for the report. */
  command?: string;
  log?: (line: string) => void;
}

export interface BenchOutcome {
  report: BenchReport;
  files: { json: string; markdown: string; svg: string; docs?: string };
}

const RSS_SAMPLE_MS = 500;

export function selectScenarios(names: string[] | undefined): Scenario[] {
  if (names === undefined || names.length === 0 || names.includes('all')) return SCENARIOS.filter((s) => !s.optional);
  const chosen = SCENARIOS.filter((s) => names.some((name) => s.id === name || s.id.startsWith(`${name}-`) || s.id.startsWith(name)));
  const unknown = names.filter((name) => !SCENARIOS.some((s) => s.id.startsWith(name)));
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(', ')} (known: ${SCENARIOS.map((s) => s.id).join(', ')})`);
  return chosen;
}

export async function runBench(options: BenchOptions = {}): Promise<BenchOutcome> {
  const root = options.root ?? path.resolve(__dirname, '..', '..');
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const scenarios = selectScenarios(options.scenarios).map((s) => scaled(s, options));
  if (options.drivers) {
    const unknown = options.drivers.filter((id) => !findDriver(id));
    if (unknown.length > 0) throw new Error(`unknown driver(s): ${unknown.join(', ')} (known: ${DRIVERS.map((d) => d.id).join(', ')})`);
  }
  const wanted = (scenario: Scenario): Driver[] =>
    scenario.drivers
      .filter((id) => !options.drivers || options.drivers.includes(id))
      .map((id) => findDriver(id) as Driver)
      .filter((driver) => driver.kinds.includes(scenario.kind));
  const fullRun = !options.scenarios && !options.drivers && options.count === undefined && options.scale === undefined;
  const startedAt = new Date();
  const runId = randomBytes(3).toString('hex');
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdkafka-napi-bench-'));

  // Peers: installed once, on the first run that wants them (never from the tests).
  const peerDirs = new Set(scenarios.flatMap((s) => wanted(s)).map((d) => d.peer ?? d.id).filter((id) => PEERS.some((p) => p.dir === id)));
  const peerStatus = readPeerStatus(root);
  const missing = [...peerDirs].filter((dir) => peerStatus[dir] === undefined);
  if (options.installPeers === 'always') await installPeers(root, log);
  else if (options.installPeers !== 'never' && missing.length > 0) await installPeers(root, log, missing);

  log('building bench/.build (rusage, rdkafka_performance) if needed ...');
  const tools = buildNativeTools(root);
  if (tools.rusage.reason) log(`  no rusage helper (${tools.rusage.reason}): CPU and RSS are the drivers' own figures`);
  const secured = scenarios.some((s) => s.security !== undefined);
  if (secured && !options.kafka) throw new Error(`the TLS scenarios (${scenarios.filter((s) => s.security).map((s) => s.id).join(', ')}) need the secured broker --kafka starts`);
  const broker = await openBroker({ bootstrapServers: options.bootstrapServers, kafka: options.kafka, secured, replicationFactor: options.replicationFactor, root }, log);
  log(`broker: ${broker.description} at ${broker.bootstrapServers}`);
  const ctx: HarnessContext = { root, tools, broker: broker.kind, tmpDir };

  // Which drivers can run here, asked once each.
  const unavailable = new Map<string, string | undefined>();
  for (const driver of new Set(scenarios.flatMap((s) => wanted(s)))) {
    unavailable.set(driver.id, await driver.unavailable(ctx));
    const reason = unavailable.get(driver.id);
    if (reason) log(`  ${driver.id}: skipped: ${reason}`);
  }

  const reports: ScenarioReport[] = [];
  try {
    for (const scenario of scenarios) {
      reports.push(await runScenario(scenario, wanted(scenario), { ctx, broker, unavailable, runId, options, log }));
    }
  } finally {
    await broker.close();
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }

  const peers: { [name: string]: string } = {};
  for (const peer of PEERS) {
    const version = peerVersion(root, peer);
    if (version) peers[peer.dir] = version;
  }
  const javaLine = options.kafka || options.bootstrapServers ? commandVersion('java', ['-version']) : undefined;
  const report: BenchReport = {
    version: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: options.command ?? 'rdkafka-napi bench',
    machine: describeMachine(capi.Version()[1], { java: javaLine?.replace(/^openjdk version "([^"]+)".*/, 'OpenJDK $1'), kcat: findDriver('kcat')?.version?.(ctx), peers }),
    broker: { kind: broker.kind, description: broker.description },
    scenarios: reports,
  };
  return { report, files: writeReports(report, root, options.outDir ?? path.join(root, 'bench-results'), options.docs ?? fullRun, log) };
}

/**
 * Writes the reports of an earlier run again from its JSON (labels from today's registry), e.g.
 * to refresh BENCHMARKS.md after a change to the report's layout without measuring again.
 */
export function renderReport(jsonFile: string, options: Pick<BenchOptions, 'root' | 'outDir' | 'docs' | 'log'> = {}): BenchOutcome {
  const root = options.root ?? path.resolve(__dirname, '..', '..');
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const report = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as BenchReport;
  for (const scenario of report.scenarios) {
    for (const row of scenario.rows) {
      const driver = findDriver(row.driver);
      if (driver) row.label = driver.labels?.[scenario.kind] ?? driver.label;
    }
  }
  return { report, files: writeReports(report, root, options.outDir ?? path.join(root, 'bench-results'), options.docs ?? false, log) };
}

function scaled(scenario: Scenario, options: BenchOptions): Scenario {
  let count = options.count ?? scenario.count;
  if (options.scale !== undefined) count = Math.max(1, Math.round(count * options.scale));
  return { ...scenario, count };
}

interface ScenarioContext {
  ctx: HarnessContext;
  broker: BenchBroker;
  unavailable: Map<string, string | undefined>;
  runId: string;
  options: BenchOptions;
  log: (line: string) => void;
}

async function runScenario(scenario: Scenario, drivers: Driver[], sc: ScenarioContext): Promise<ScenarioReport> {
  const { log } = sc;
  log('');
  log(`== ${scenario.id}: ${scenario.title} (${scenario.count.toLocaleString('en-US')} messages of ${scenario.messageSize} B)`);
  const report: ScenarioReport = {
    id: scenario.id,
    title: scenario.title,
    kind: scenario.kind,
    messageSize: scenario.messageSize,
    count: scenario.count,
    acks: scenario.acks,
    partitions: scenario.partitions,
    memory: scenario.sampleRss,
    producerConfig: scenario.producerConfig,
    consumerConfig: scenario.consumerConfig,
    rows: [],
  };
  const timeoutMs = sc.options.timeoutMs ?? Math.max(180_000, (scenario.count * scenario.messageSize) / 5000);

  // Consumers all read one topic, filled (and counted) once.
  let sharedTopic: string | undefined;
  let prefillError: string | undefined;
  if (scenario.kind === 'consume' && drivers.some((d) => !sc.unavailable.get(d.id))) {
    sharedTopic = `bench-${scenario.id}-${sc.runId}`;
    prefillError = await prefill(scenario, sharedTopic, sc, timeoutMs);
    if (prefillError) log(`  filling the topic failed: ${prefillError}`);
  }

  for (const driver of drivers) {
    const row: Row = { driver: driver.id, label: driver.labels?.[scenario.kind] ?? driver.label, family: driver.family, status: 'skipped' };
    report.rows.push(row);
    const reason = sc.unavailable.get(driver.id);
    if (reason) {
      row.reason = reason;
      log(`  ${driver.id.padEnd(DRIVER_ID_WIDTH)} skipped: ${reason}`);
      continue;
    }
    if (prefillError) {
      Object.assign(row, { status: 'failed', reason: `the topic could not be filled: ${prefillError}` });
      continue;
    }
    const runs: Array<{ run: DriverRun; verification?: Row['verification'] }> = [];
    for (let repeat = 0; repeat < (sc.options.repeat ?? 1); repeat++) {
      const outcome = await runOnce(scenario, driver, repeat, sharedTopic, timeoutMs, sc);
      runs.push(outcome);
      if (!outcome.run.result) break;
    }
    fillRow(row, scenario, runs);
    log(`  ${summaryLine(row)}`);
  }
  if (sharedTopic) await dropTopic(sharedTopic, sc);

  // Ratios to the C reference.
  const reference = report.rows.find((row) => row.driver === REFERENCE_DRIVER && row.result);
  for (const row of report.rows) {
    if (!row.result || !reference?.result) continue;
    if (scenario.kind === 'latency') {
      const p99 = row.result.latency?.p99;
      const referenceP99 = reference.result.latency?.p99;
      if (p99 !== undefined && referenceP99) row.ratio = p99 / referenceP99;
    } else if (reference.msgsPerSec) {
      row.ratio = (row.msgsPerSec ?? 0) / reference.msgsPerSec;
    }
  }
  return report;
}

/** Fills the consume scenario's topic with our C-style per-message producer, round-robin. */
async function prefill(scenario: Scenario, topic: string, sc: ScenarioContext, timeoutMs: number): Promise<string | undefined> {
  const { broker, log } = sc;
  const filler = findDriver('napi-capi') as Driver;
  await broker.createTopic(topic, scenario.partitions);
  log(`  filling ${topic} (${scenario.partitions} partitions) with ${scenario.count.toLocaleString('en-US')} messages ...`);
  const job = jobFor(scenario, filler, topic, sc, 'fill');
  job.roundRobin = true;
  job.partition = -1;
  job.kind = 'produce';
  const run = await filler.run(job, sc.ctx, { progress: progressLogger('filling', sc.log), sampleRssMs: 0, timeoutMs });
  if (!run.result) return run.error ?? run.skipped ?? 'no result';
  const landed = await endOffsets(broker.bootstrapServers, topic, scenario.partitions);
  const kept = await endOffsets(broker.bootstrapServers, topic, scenario.partitions, 'earliest');
  if (landed !== scenario.count) return `${landed} of ${scenario.count} messages landed`;
  if (kept !== 0) return `the broker dropped the oldest ${kept} messages (the embedded broker keeps ~5 MB per partition: use more partitions or fewer messages)`;
  return undefined;
}

function jobFor(scenario: Scenario, driver: Driver, topic: string, sc: ScenarioContext, suffix: string): Job {
  const bootstrap = scenario.security !== undefined && sc.broker.secured ? sc.broker.secured : { 'bootstrap.servers': sc.broker.bootstrapServers };
  return {
    driver: driver.id,
    scenario: scenario.id,
    kind: scenario.kind,
    bootstrapServers: bootstrap['bootstrap.servers'],
    topic,
    partition: scenario.partition,
    partitions: scenario.partitions,
    count: scenario.count,
    messageSize: scenario.messageSize,
    producerConfig: { ...bootstrap, ...scenario.producerConfig },
    consumerConfig: { ...bootstrap, 'group.id': `bench-${scenario.id}-${driver.id}-${sc.runId}-${suffix}`, ...scenario.consumerConfig },
    batchSize: scenario.batchSize,
    rate: scenario.rate,
    ...(scenario.transactionSize === undefined ? {} : { transactionSize: scenario.transactionSize }),
    timeoutMs: sc.options.timeoutMs ?? Math.max(180_000, (scenario.count * scenario.messageSize) / 5000),
  };
}

function progressLogger(label: string, log: (line: string) => void): (done: number, total: number) => void {
  const started = Date.now();
  let last = started;
  return (done, total) => {
    const now = Date.now();
    if (now - last < 2000) return;
    last = now;
    log(`    ${label}: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} (${((now - started) / 1000).toFixed(0)} s)`);
  };
}

async function runOnce(
  scenario: Scenario,
  driver: Driver,
  repeat: number,
  sharedTopic: string | undefined,
  timeoutMs: number,
  sc: ScenarioContext,
): Promise<{ run: DriverRun; verification?: Row['verification'] }> {
  const { broker } = sc;
  const topic = sharedTopic ?? `bench-${scenario.id}-${driver.id.replace(/[^A-Za-z0-9._-]/g, '_')}-${sc.runId}-${repeat}`;
  let before = 0;
  if (!sharedTopic) {
    await broker.createTopic(topic, scenario.partitions);
    before = await endOffsets(broker.bootstrapServers, topic, scenario.partitions).catch(() => 0);
  }
  const job = jobFor(scenario, driver, topic, sc, String(repeat));
  sc.log(`  ${driver.id} ...`);
  let run: DriverRun;
  try {
    run = await driver.run(job, sc.ctx, { progress: progressLogger(driver.id, sc.log), sampleRssMs: scenario.sampleRss ? RSS_SAMPLE_MS : 0, timeoutMs: timeoutMs + 15_000 });
  } catch (error) {
    run = { error: (error as Error).message };
  }
  try {
    return { run, verification: run.result ? await verify(scenario, topic, before, run.result, sc, driver.id.includes('txn')) : undefined };
  } finally {
    if (!sharedTopic) await dropTopic(topic, sc);
  }
}

/** Deletes a counted topic; a failure only costs disk space, so it is logged, not thrown. */
async function dropTopic(topic: string, sc: ScenarioContext): Promise<void> {
  await sc.broker.deleteTopic(topic).catch((error: Error) => sc.log(`  (could not delete ${topic}: ${error.message})`));
}

/** The count check of one run: what the consumer read, or what landed on the topic. */
async function verify(scenario: Scenario, topic: string, before: number, result: DriverResult, sc: ScenarioContext, transactional = false): Promise<Row['verification']> {
  const { broker } = sc;
  if (scenario.kind === 'consume') {
    return { expected: scenario.count, found: result.messages, ok: result.messages === scenario.count, how: 'messages the consumer read, of a topic holding exactly that many' };
  }
  if (scenario.transactionSize !== undefined && broker.kind !== 'mock') {
    // Transaction markers take offsets too: count what a read_committed reader finds. (The
    // embedded broker writes no markers, and keeps only ~5 MB per partition: end offsets there.)
    let found: number;
    try {
      found = await committedRecords(broker.bootstrapServers, topic);
    } catch (error) {
      return { expected: scenario.count, found: -1, ok: false, how: `could not count: ${(error as Error).message}` };
    }
    const ok = found === scenario.count && result.messages === scenario.count && result.failed === 0;
    return { expected: scenario.count, found, ok, how: 'records a read_committed reader finds (kcat -C -e -X isolation.level=read_committed)' };
  }
  // Produce and latency: the topic's end offsets say what landed. In transactions on the embedded
  // broker, newer librdkafka versions' mock writes a marker per transaction and partition, which
  // takes an offset: up to that many more.
  const expected = scenario.count + (result.warmupMessages ?? 0);
  const markers = !transactional || scenario.transactionSize === undefined ? 0 : Math.ceil(scenario.count / scenario.transactionSize) * Math.max(1, scenario.partitions);
  let after: number;
  try {
    after = await endOffsets(broker.bootstrapServers, topic, scenario.partitions);
  } catch (error) {
    return { expected, found: -1, ok: false, how: `could not count: ${(error as Error).message}` };
  }
  const found = after - before;
  const driverCount = scenario.kind === 'latency' ? result.messages === scenario.count : result.messages === scenario.count && result.failed === 0;
  return {
    expected,
    found: found - (result.warmupMessages ?? 0),
    ok: found >= expected && found <= expected + markers && driverCount,
    how: `end offsets of the topic before and after (kcat -Q)${result.warmupMessages ? `, less ${result.warmupMessages} warm-up message(s)` : ''}${markers > 0 ? `, with at most ${markers} transaction markers` : ''}`,
  };
}

function fillRow(row: Row, scenario: Scenario, runs: Array<{ run: DriverRun; verification?: Row['verification'] }>): void {
  const last = runs[runs.length - 1];
  if (!last.run.result) {
    row.status = last.run.skipped ? 'skipped' : 'failed';
    row.reason = last.run.skipped ?? last.run.error ?? 'no result';
    return;
  }
  const rate = (r: DriverRun): number => (r.result && r.result.seconds > 0 ? r.result.messages / r.result.seconds : 0);
  const key = (r: DriverRun): number => (scenario.kind === 'latency' ? -(r.result?.latency?.p99 ?? Infinity) : rate(r));
  const sorted = [...runs].sort((a, b) => key(a.run) - key(b.run));
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  const { run } = median;
  const result = run.result as NonNullable<DriverRun['result']>;
  row.result = result;
  row.msgsPerSec = rate(run);
  row.mbPerSec = result.seconds > 0 ? result.bytes / result.seconds / 1e6 : 0;
  row.maxRssMb = (run.usage?.maxRssKb ?? result.maxRssKb ?? 0) / 1024;
  row.cpuSeconds = run.usage?.cpuSeconds ?? result.cpuSeconds;
  row.verification = median.verification;
  if (runs.length > 1) row.runs = runs.map((r) => rate(r.run));
  if (runs.length > 1 && scenario.kind === 'latency') row.runP99s = runs.map((r) => r.run.result?.latency?.p99 ?? NaN);
  if (run.rssSamplesKb && run.rssSamplesKb.length > 0) row.rss = rssSummary(run.rssSamplesKb);
  const bad = runs.find((r) => r.verification && !r.verification.ok);
  row.status = bad ? 'unverified' : 'ok';
  if (bad?.verification) row.reason = `expected ${bad.verification.expected}, counted ${bad.verification.found} (${bad.verification.how})`;
}

function rssSummary(samples: Array<[number, number]>): RssSummary {
  const end = samples[samples.length - 1][0];
  const highest = (from: number, to: number): number => {
    const inRange = samples.filter(([t]) => t >= from * end && t <= to * end).map(([, kb]) => kb);
    return (inRange.length > 0 ? Math.max(...inRange) : samples[0][1]) / 1024;
  };
  const earlyMb = highest(0.1, 0.25);
  const lateMb = highest(0.75, 1);
  return { earlyMb, lateMb, growthMb: lateMb - earlyMb, samples };
}

function summaryLine(row: Row): string {
  const name = row.driver.padEnd(DRIVER_ID_WIDTH);
  if (!row.result) return `${name} ${row.status}: ${row.reason}`;
  const r = row.result;
  const parts = [`${Math.round(row.msgsPerSec ?? 0).toLocaleString('en-US').padStart(11)} msgs/s`, `${(row.mbPerSec ?? 0).toFixed(1).padStart(7)} MB/s`];
  if (r.latency) parts.push(`p50 ${r.latency.p50} ms p99 ${r.latency.p99} ms p99.9 ${r.latency.p999} ms`);
  parts.push(`rss ${Math.round(row.maxRssMb ?? 0)} MB`, `cpu ${(row.cpuSeconds ?? 0).toFixed(2)} s`);
  if (row.rss) parts.push(`rss ${row.rss.earlyMb.toFixed(0)} -> ${row.rss.lateMb.toFixed(0)} MB`);
  const v = row.verification;
  if (v) parts.push(v.ok ? `verified ${v.found.toLocaleString('en-US')}` : `COUNT MISMATCH: ${row.reason}`);
  return `${name} ${parts.join('  ')}`;
}

function writeReports(report: BenchReport, root: string, outDir: string, docs: boolean, log: (line: string) => void): BenchOutcome['files'] {
  fs.mkdirSync(outDir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-').slice(0, 19);
  const base = path.join(outDir, `bench-${report.broker.kind}-${stamp}`);
  const files: BenchOutcome['files'] = { json: `${base}.json`, markdown: `${base}.md`, svg: `${base}.svg` };
  const svg = chartSvg(report);
  fs.writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(files.svg, svg);
  fs.writeFileSync(files.markdown, `# Benchmarks\n\n${reportMarkdown(report, path.basename(files.svg))}`);
  for (const ext of ['json', 'md', 'svg'] as const) {
    fs.copyFileSync(ext === 'json' ? files.json : ext === 'md' ? files.markdown : files.svg, path.join(outDir, `latest-${report.broker.kind}.${ext}`));
  }
  log('');
  log(`wrote ${path.relative(root, files.json)}, .md and .svg (and latest-${report.broker.kind}.*)`);
  if (docs) {
    const chart = path.join('bench', `chart-${report.broker.kind}.svg`);
    fs.writeFileSync(path.join(root, chart), svg);
    const docsFile = path.join(root, 'BENCHMARKS.md');
    const current = fs.existsSync(docsFile) ? fs.readFileSync(docsFile, 'utf8') : '# Benchmarks\n';
    const heading = report.broker.kind === 'mock' ? '## Latest run: the embedded mock broker' : `## Latest run: ${report.broker.kind === 'kafka' ? 'a real Kafka broker' : 'an external cluster'}`;
    fs.writeFileSync(docsFile, updateMarkedSection(current, report.broker.kind, `${heading}\n\n${reportMarkdown(report, chart)}`));
    files.docs = docsFile;
    log(`updated BENCHMARKS.md (${report.broker.kind} section) and ${chart}`);
  }
  return files;
}
