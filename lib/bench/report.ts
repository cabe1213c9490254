// What a run produces: the JSON report, a markdown table per scenario, an SVG bar chart, and the
// results section of BENCHMARKS.md (between markers, one section per kind of broker).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { DriverFamily } from './drivers';
import type { DriverResult, JobKind } from './job';

export interface Verification {
  /** Messages the broker should hold (or the consumer should have read). */
  expected: number;
  found: number;
  ok: boolean;
  /** How it was counted, in words. */
  how: string;
}

export interface RssSummary {
  earlyMb: number;
  lateMb: number;
  growthMb: number;
  samples: Array<[number, number]>;
}

export interface Row {
  driver: string;
  label: string;
  family: DriverFamily;
  status: 'ok' | 'skipped' | 'failed' | 'unverified';
  reason?: string;
  result?: DriverResult;
  msgsPerSec?: number;
  mbPerSec?: number;
  maxRssMb?: number;
  cpuSeconds?: number;
  /** Throughput: msgs/s ÷ the C driver's. Latency: p99 ÷ the C driver's p99. */
  ratio?: number;
  verification?: Verification;
  rss?: RssSummary;
  /** msgs/s of each repeat (the row shows the median run). */
  runs?: number[];
  /** Latency scenarios with --repeat: each run's p99 in ms (the row shows the median run). */
  runP99s?: number[];
}

export interface ScenarioReport {
  id: string;
  title: string;
  kind: JobKind;
  messageSize: number;
  count: number;
  acks: string;
  partitions: number;
  memory: boolean;
  producerConfig: { [key: string]: string };
  consumerConfig: { [key: string]: string };
  rows: Row[];
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  os: string;
  node: string;
  librdkafka: string;
  java?: string;
  kcat?: string;
  peers: { [name: string]: string };
}

export interface BenchReport {
  version: 1;
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: Machine;
  broker: { kind: string; description: string };
  scenarios: ScenarioReport[];
}

export function describeMachine(librdkafka: string, extra: { java?: string; kcat?: string; peers: { [name: string]: string } }): Machine {
  let osName = `${os.type()} ${os.release()}`;
  try {
    const release = fs.readFileSync('/etc/os-release', 'utf8');
    osName = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(release)?.[1] ?? osName;
  } catch {
    // keep the kernel's name
  }
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /^Model name:\s+(.+)$/m.exec(execFileSync('lscpu', { encoding: 'utf8' }))?.[1]?.trim() ?? cpuModel;
  } catch {
    // os.cpus() it is
  }
  return {
    cpus: os.cpus().length,
    cpuModel,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: os.release(),
    os: osName,
    node: process.version,
    librdkafka,
    ...extra,
  };
}

// ---------------------------------------------------------------------------------------------
// Numbers as people read them

function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fixed(n: number, digits: number): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ms(n: number | undefined): string {
  if (n === undefined) return '—';
  return n >= 100 ? fixed(n, 0) : n >= 10 ? fixed(n, 1) : fixed(n, 2);
}

function ratio(n: number | undefined): string {
  return n === undefined ? '—' : `${fixed(n, 2)}×`;
}

function mb(n: number | undefined): string {
  return n === undefined ? '—' : fixed(n, 0);
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function verified(row: Row): string {
  const v = row.verification;
  if (!v) return '—';
  return v.ok ? `✓ ${int(v.found)}` : `✗ ${int(v.found)} of ${int(v.expected)}`;
}

function notRun(row: Row, columns: number): string {
  const what = row.status === 'skipped' ? 'skipped' : 'failed';
  return `| ${cell(row.label)} | ${what}: ${cell(row.reason ?? '')} ${'| '.repeat(columns - 2)}|`;
}

// ---------------------------------------------------------------------------------------------
// Markdown

export function scenarioMarkdown(scenario: ScenarioReport): string {
  const lines = [`### ${scenario.title}`, '', scenarioSettings(scenario), ''];
  if (scenario.kind === 'latency') {
    lines.push('| Driver | p50 ms | p99 ms | p99.9 ms | max ms | p99 vs C | peak RSS MB | CPU s | on the broker | notes |', '|---|--:|--:|--:|--:|--:|--:|--:|---|---|');
    for (const row of scenario.rows) {
      if (!row.result) {
        lines.push(notRun(row, 10));
        continue;
      }
      const l = row.result.latency;
      const runs = row.runP99s && row.runP99s.length > 1 ? `median p99 of ${row.runP99s.length} runs (${row.runP99s.map((p) => ms(p)).join(', ')} ms)` : '';
      lines.push(
        `| ${cell(row.label)} | ${ms(l?.p50)} | ${ms(l?.p99)} | ${ms(l?.p999)} | ${ms(l?.max)} | ${ratio(row.ratio)} | ${mb(row.maxRssMb)} | ${row.cpuSeconds === undefined ? '—' : fixed(row.cpuSeconds, 1)} | ${verified(row)} | ${cell([runs, row.result.note].filter(Boolean).join('; '))} |`,
      );
    }
  } else if (scenario.memory) {
    lines.push('| Driver | msgs/s | RSS early MB | RSS late MB | growth MB | growth | peak RSS MB | CPU s | on the broker |', '|---|--:|--:|--:|--:|--:|--:|--:|---|');
    for (const row of scenario.rows) {
      if (!row.result) {
        lines.push(notRun(row, 9));
        continue;
      }
      const percent = row.rss && row.rss.earlyMb > 0 ? `${fixed((100 * row.rss.growthMb) / row.rss.earlyMb, 0)} %` : '—';
      lines.push(
        `| ${cell(row.label)} | ${int(row.msgsPerSec ?? 0)} | ${mb(row.rss?.earlyMb)} | ${mb(row.rss?.lateMb)} | ${row.rss ? fixed(row.rss.growthMb, 0) : '—'} | ${percent} | ${mb(row.maxRssMb)} | ${row.cpuSeconds === undefined ? '—' : fixed(row.cpuSeconds, 1)} | ${verified(row)} |`,
      );
    }
    lines.push('', 'RSS early: the highest sample between 10 % and 25 % of the run; late: the highest in its last 25 % (sampled every 500 ms from /proc). The Node drivers run with `--min-semi-space-size=16`: the young generation of the V8 heap starts at the size it would otherwise grow to in the first seconds.');
  } else {
    lines.push('| Driver | msgs/s | MB/s | vs C | peak RSS MB | CPU s | on the broker | notes |', '|---|--:|--:|--:|--:|--:|---|---|');
    for (const row of scenario.rows) {
      if (!row.result) {
        lines.push(notRun(row, 8));
        continue;
      }
      const runs = row.runs && row.runs.length > 1 ? `median of ${row.runs.length} runs (${row.runs.map((r) => int(r)).join(', ')})` : '';
      lines.push(
        `| ${cell(row.label)} | ${int(row.msgsPerSec ?? 0)} | ${fixed(row.mbPerSec ?? 0, 1)} | ${ratio(row.ratio)} | ${mb(row.maxRssMb)} | ${row.cpuSeconds === undefined ? '—' : fixed(row.cpuSeconds, 1)} | ${verified(row)} | ${cell([runs, row.result.note].filter(Boolean).join('; '))} |`,
      );
    }
  }
  const unverified = scenario.rows.filter((row) => row.status === 'unverified');
  if (unverified.length > 0) lines.push('', `**Count mismatch** (not to be trusted): ${unverified.map((row) => `${row.label} (${row.reason})`).join('; ')}.`);
  return lines.join('\n');
}

function scenarioSettings(scenario: ScenarioReport): string {
  const config = scenario.kind === 'consume' ? scenario.consumerConfig : scenario.producerConfig;
  const props = Object.entries(config)
    .filter(([key]) => key !== 'bootstrap.servers' && key !== 'group.id')
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
  const what = scenario.kind === 'latency' ? `${int(scenario.count)} messages` : `${int(scenario.count)} × ${scenario.messageSize} B`;
  const consumerProps =
    scenario.kind === 'latency'
      ? `; consumers: ${Object.entries(scenario.consumerConfig)
          .filter(([key]) => key !== 'bootstrap.servers' && key !== 'group.id')
          .map(([key, value]) => `${key}=${value}`)
          .join(', ')}`
      : '';
  return `${what}, ${scenario.partitions} partition(s); ${scenario.kind === 'consume' ? 'consumers' : 'producers'}: ${props}${consumerProps}.`;
}

export function reportMarkdown(report: BenchReport, chartPath?: string): string {
  const m = report.machine;
  const peers = Object.entries(m.peers)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  const lines = [
    `Run of ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC against ${report.broker.description}.`,
    '',
    `Command: \`${report.command}\``,
    '',
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.os}, kernel ${m.kernel}; Node ${m.node}; librdkafka ${m.librdkafka} (system)` +
      `${m.java ? `; ${m.java}` : ''}${m.kcat ? `; ${m.kcat}` : ''}${peers ? `; peers: ${peers}` : ''}.`,
    '',
  ];
  if (chartPath) lines.push(`![msgs/s relative to the fastest driver of each scenario](${chartPath})`, '');
  for (const scenario of report.scenarios) lines.push(scenarioMarkdown(scenario), '');
  return lines.join('\n');
}

/** Replaces the text between `<!-- bench:KEY:start -->` and `<!-- bench:KEY:end -->`, or appends it. */
export function updateMarkedSection(document: string, key: string, body: string): string {
  const start = `<!-- bench:${key}:start -->`;
  const end = `<!-- bench:${key}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const from = document.indexOf(start);
  const to = document.indexOf(end);
  if (from >= 0 && to > from) return document.slice(0, from) + block + document.slice(to + end.length);
  return `${document.trimEnd()}\n\n${block}\n`;
}

// ---------------------------------------------------------------------------------------------
// SVG: a horizontal bar per driver, one block per scenario

const COLORS: { [family in DriverFamily]: string } = {
  'rdkafka-napi': '#2f6fd6',
  C: '#555555',
  'Node peer': '#e08a1e',
  Java: '#3a9b4f',
  CLI: '#8a5bbf',
};

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function chartSvg(report: BenchReport): string {
  const width = 980;
  const labelWidth = 400;
  const barWidth = 380;
  const rowHeight = 18;
  const parts: string[] = [];
  let y = 34;
  parts.push(`<text x="10" y="20" font-size="15" font-weight="bold">rdkafka-napi benchmarks: ${escapeXml(report.broker.kind === 'mock' ? 'embedded mock broker' : 'real Kafka broker')}, ${escapeXml(report.startedAt.slice(0, 10))}</text>`);
  for (const scenario of report.scenarios) {
    if (scenario.memory) continue;
    const rows = scenario.rows.filter((row) => row.result);
    if (rows.length === 0) continue;
    const latency = scenario.kind === 'latency';
    const value = (row: Row): number => (latency ? (row.result?.latency?.p99 ?? 0) : (row.msgsPerSec ?? 0));
    const max = Math.max(...rows.map(value), 1e-9);
    y += 10;
    parts.push(`<text x="10" y="${y + 12}" font-size="13" font-weight="bold">${escapeXml(scenario.title)}${latency ? ' — p99 ms, shorter is better' : ' — msgs/s'}</text>`);
    y += 20;
    for (const row of rows) {
      const w = Math.max(1, (value(row) / max) * barWidth);
      const text = latency ? `${ms(value(row))} ms${row.ratio !== undefined ? ` (${ratio(row.ratio)} C)` : ''}` : `${int(value(row))}${row.ratio !== undefined ? ` (${ratio(row.ratio)} C)` : ''}`;
      parts.push(
        `<text x="${labelWidth - 6}" y="${y + 13}" font-size="11" text-anchor="end">${escapeXml(row.label)}</text>`,
        `<rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 5}" fill="${COLORS[row.family]}"/>`,
        `<text x="${(labelWidth + w + 5).toFixed(1)}" y="${y + 13}" font-size="11">${escapeXml(text)}${row.status === 'unverified' ? ' ✗ count mismatch' : ''}</text>`,
      );
      y += rowHeight;
    }
  }
  y += 10;
  let x = 10;
  for (const [family, color] of Object.entries(COLORS)) {
    parts.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${color}"/>`, `<text x="${x + 16}" y="${y + 10}" font-size="11">${escapeXml(family)}</text>`);
    x += 30 + family.length * 7;
  }
  y += 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
