// `rdkafka-napi bench` / `npm run bench -- [options]`: the command line of the harness.
// `main(argv)` is what the rdkafka-napi CLI calls; run directly, this file is the entry point.
import { DRIVER_ID_WIDTH, DRIVERS } from './drivers';
import { installPeers } from './peers';
import { renderReport, runBench, type BenchOptions } from './run';
import { SCENARIOS } from './scenarios';
import * as path from 'node:path';

const USAGE = `Usage: rdkafka-napi bench [options]      (or: npm run bench -- [options])

Runs each client ("driver") in a process of its own against one broker, checks every count on
the broker, and writes bench-results/ (JSON, markdown, SVG). A full default run also updates
BENCHMARKS.md and bench/chart-<broker>.svg.

Broker (default: the embedded mock cluster, in this process):
  --bootstrap-servers LIST  a running cluster (topics are created with --replication-factor, 1)
  --kafka                   start a real Kafka 3.9.1 broker (scripts/kafka/broker.mjs)

What to run:
  --scenarios LIST          scenario ids or prefixes, comma-separated (default: all)
  --drivers LIST            driver ids, comma-separated (default: each scenario's drivers)
  --count N                 messages per scenario instead of its default
  --scale F                 multiply every scenario's count (e.g. 0.1 for a quick look)
  --repeat N                run each driver N times; the table shows the median
  --timeout SECONDS         per driver run (default: from the scenario's size, >= 180)

Peers and output:
  --install-peers           (re)install node-rdkafka, @confluentinc/kafka-javascript (system and bundled librdkafka) and kafkajs
                            into bench/peers/ first (otherwise: once, on the first run needing them)
  --no-install              never install peers
  --out DIR                 where reports go (default: bench-results/)
  --docs / --no-docs        update (or not) BENCHMARKS.md and the chart in bench/
  --render FILE             write the reports of an earlier run's JSON again (no measuring)
  --list                    list the scenarios and drivers
  -h, --help`;

export async function main(argv: string[]): Promise<number> {
  const options: BenchOptions = {};
  let installOnly = false;
  let render: string | undefined;
  const value = (i: number, name: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
    return v;
  };
  const number = (i: number, name: string): number => {
    const n = Number(value(i, name));
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} needs a positive number, not ${argv[i + 1]}`);
    return n;
  };
  try {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i];
      switch (arg) {
        case '-h':
        case '--help':
          process.stdout.write(`${USAGE}\n`);
          return 0;
        case '--list':
          process.stdout.write(listing());
          return 0;
        case '--bootstrap-servers':
          options.bootstrapServers = value(i++, arg);
          break;
        case '--kafka':
          options.kafka = true;
          break;
        case '--replication-factor':
          options.replicationFactor = number(i++, arg);
          break;
        case '--scenarios':
          options.scenarios = value(i++, arg).split(',').filter(Boolean);
          break;
        case '--drivers':
          options.drivers = value(i++, arg).split(',').filter(Boolean);
          break;
        case '--count':
          options.count = Math.round(number(i++, arg));
          break;
        case '--scale':
          options.scale = number(i++, arg);
          break;
        case '--repeat':
          options.repeat = Math.round(number(i++, arg));
          break;
        case '--timeout':
          options.timeoutMs = number(i++, arg) * 1000;
          break;
        case '--install-peers':
          options.installPeers = 'always';
          installOnly = argv.length === 1;
          break;
        case '--no-install':
          options.installPeers = 'never';
          break;
        case '--out':
          options.outDir = path.resolve(value(i++, arg));
          break;
        case '--docs':
          options.docs = true;
          break;
        case '--render':
          render = path.resolve(value(i++, arg));
          break;
        case '--no-docs':
          options.docs = false;
          break;
        default:
          throw new Error(`unknown option ${arg}`);
      }
    }
    if (options.kafka && options.bootstrapServers) throw new Error('--kafka and --bootstrap-servers exclude each other');
  } catch (error) {
    process.stderr.write(`rdkafka-napi bench: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const invokedAs = process.env.npm_lifecycle_event === 'bench' ? 'npm run bench' : 'rdkafka-napi bench';
  options.command = `${invokedAs}${argv.length > 0 ? `${invokedAs.startsWith('npm') ? ' --' : ''} ${argv.join(' ')}` : ''}`;
  try {
    if (installOnly) {
      const root = path.resolve(__dirname, '..', '..');
      const status = await installPeers(root, (line) => process.stderr.write(`${line}\n`));
      return Object.values(status).some((s) => s.ok) ? 0 : 1;
    }
    if (render !== undefined) {
      const { files } = renderReport(render, { outDir: options.outDir, docs: options.docs });
      process.stdout.write(`${files.markdown}\n`);
      return 0;
    }
    const { report, files } = await runBench(options);
    const failed = report.scenarios.flatMap((s) => s.rows).filter((row) => row.status === 'failed' || row.status === 'unverified');
    process.stdout.write(`${files.markdown}\n`);
    if (failed.length > 0) process.stderr.write(`${failed.length} driver run(s) failed or did not verify: ${failed.map((row) => row.driver).join(', ')}\n`);
    return failed.length > 0 ? 1 : 0;
  } catch (error) {
    process.stderr.write(`rdkafka-napi bench: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

function listing(): string {
  const scenarioWidth = Math.max(...SCENARIOS.map((s) => s.id.length));
  const lines = ['Scenarios:'];
  for (const s of SCENARIOS) lines.push(`  ${s.id.padEnd(scenarioWidth)} ${s.title} (${s.count.toLocaleString('en-US')} messages)`);
  lines.push('', 'Drivers:');
  for (const d of DRIVERS) lines.push(`  ${d.id.padEnd(DRIVER_ID_WIDTH)} ${d.label} [${d.kinds.join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
