// The Confluent API's 100-record produce through HAProxy with 1, 2 and 3 proxy processes, and
// against one proxy directly, on a real Kafka 3.9.1 (KRaft, one node on this machine). The
// generator is bench/loadgen (Go, closed loop, keep-alive); each row has the CPU of every proxy
// process and of HAProxy over the run (from /proc), and the load average before it.
// `npm run bench:rest:lb -- [--duration S] [--warmup S] [--clients N] [--proxies 1,2,3]`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Admin } from '../admin';
import { startBalanced, startProxyProcess, freePort } from './balanced';
import { runLoadgen, type LoadResult } from './rest-compare';

const RECORDS = 100;
const VALUE = Buffer.alloc(100, 'x').toString('base64');

/** CPU time (user + system, ms) a process has used so far; 0 once it is gone. */
function cpuMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return 0;
  }
}

interface Row {
  label: string;
  proxies: number;
  balanced: boolean;
  load: string;
  result: LoadResult;
  proxyCpuMs: number;
  haproxyCpuMs: number;
}

function parseArgs(argv: string[]): { durationS: number; warmupS: number; clients: number; proxies: number[] } {
  const options = { durationS: 15, warmupS: 3, clients: 16, proxies: [1, 2, 3] };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--duration') options.durationS = Number(value);
    else if (flag === '--warmup') options.warmupS = Number(value);
    else if (flag === '--clients') options.clients = Number(value);
    else if (flag === '--proxies') options.proxies = value.split(',').map(Number);
    else throw new Error(`unknown option ${flag} (--duration S, --warmup S, --clients N, --proxies 1,2,3)`);
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const root = path.resolve(__dirname, '..', '..');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const tools = (await import(pathToFileURL(path.join(root, 'scripts', 'bench', 'go-tools.mjs')).href)) as {
    buildGoTools(options: object): { loadgen: { path?: string; error?: string } };
  };
  const { loadgen } = tools.buildGoTools({});
  if (loadgen.path === undefined) throw new Error(`the load generator cannot be built: ${loadgen.error}`);
  const { startKafka } = (await import(pathToFileURL(path.join(root, 'scripts', 'kafka', 'broker.mjs')).href)) as {
    startKafka(options: object): Promise<{ bootstrapServers: string; stop(): Promise<void> }>;
  };
  log('starting Kafka 3.9.1 (one KRaft node) ...');
  const kafka = await startKafka({ nodes: 1 });
  const rows: Row[] = [];
  try {
    const admin = new Admin({ 'bootstrap.servers': kafka.bootstrapServers });
    const topic = 'bench-rest-balanced';
    await admin.createTopics({ name: topic, partitions: 8, replicationFactor: 1 });
    await admin.close();
    const body = JSON.stringify({ records: Array.from({ length: RECORDS }, () => ({ value: VALUE })) });
    const run = async (label: string, target: string, proxyPids: number[], haproxyPid: number | undefined, proxies: number, balanced: boolean) => {
      const load = `uptime load ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`;
      log(`${label}: ${load}`);
      const before = proxyPids.map(cpuMs);
      const haproxyBefore = haproxyPid === undefined ? 0 : cpuMs(haproxyPid);
      const result = await runLoadgen(loadgen.path!, ['-url', `${target}/topics/${topic}`, '-body', body, '-H', 'Content-Type: application/vnd.kafka.binary.v2+json', '-c', String(options.clients), '-duration', `${options.durationS}s`, '-warmup', `${options.warmupS}s`, '-pid', String(proxyPids[0])]);
      const proxyCpuMs = proxyPids.reduce((sum, pid, i) => sum + cpuMs(pid) - before[i], 0);
      const haproxyCpuMs = haproxyPid === undefined ? 0 : cpuMs(haproxyPid) - haproxyBefore;
      rows.push({ label, proxies, balanced, load, result, proxyCpuMs, haproxyCpuMs });
      log(`  ${Math.round(result.okPerSec * RECORDS).toLocaleString('en-US')} records/s, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms`);
    };
    const properties = ['schema.registry.listeners=', 'pixy.listeners='];
    {
      const port = await freePort();
      const proxy = await startProxyProcess(kafka.bootstrapServers, port, properties);
      try {
        await run('one proxy, no balancer', proxy.url, [proxy.child.pid!], undefined, 1, false);
      } finally {
        proxy.child.kill('SIGTERM');
        await proxy.exited;
      }
    }
    for (const count of options.proxies) {
      const lb = await startBalanced(kafka.bootstrapServers, count, properties, { registry: false });
      try {
        await run(`HAProxy, ${count} prox${count === 1 ? 'y' : 'ies'}`, lb.url, lb.proxies.map((p) => p.child.pid!), lb.haproxyPid, count, true);
      } finally {
        await lb.stop();
      }
    }
  } finally {
    await kafka.stop();
  }
  const base = rows.find((r) => r.balanced && r.proxies === 1)?.result.okPerSec;
  const lines = [
    `Run of ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: Apache Kafka 3.9.1, one KRaft node on this machine; a topic of 8 partitions; ${options.clients} keep-alive clients of bench/loadgen (Go), ${RECORDS} records of 100 B per request (binary v2), ${options.warmupS} s warm-up then ${options.durationS} s measured; ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}.`,
    '',
    '| setup | records/s | requests/s | p50 ms | p99 ms | proxies CPU ms / 1,000 requests | HAProxy CPU ms / 1,000 | generator CPU ms / 1,000 | ÷ 1 proxy behind HAProxy | load average before | statuses |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|',
    ...rows.map((r) => {
      const requests = r.result.okPerSec * r.result.seconds;
      const per1000 = (ms: number) => (requests > 0 ? ((ms / (r.result.seconds + options.warmupS)) * r.result.seconds * 1000) / requests : 0).toFixed(1);
      return `| ${r.label} | ${Math.round(r.result.okPerSec * RECORDS).toLocaleString('en-US')} | ${Math.round(r.result.okPerSec).toLocaleString('en-US')} | ${r.result.p50Ms.toFixed(1)} | ${r.result.p99Ms.toFixed(1)} | ${per1000(r.proxyCpuMs)} | ${r.balanced ? per1000(r.haproxyCpuMs) : '—'} | ${r.result.clientCpuMsPer1000.toFixed(1)} | ${r.balanced && base ? `${(r.result.okPerSec / base).toFixed(2)}×` : ''} | ${r.load.replace('uptime load ', '')} | ${Object.entries(r.result.statuses).map(([s, n]) => `${s}: ${n}`).join(', ')} |`;
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
