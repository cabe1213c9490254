// The REST proxy in a process of its own for the rest-proxy scenarios (started by rest-proxy.ts,
// so that the proxy never shares the load generator's event loop). argv[2]: JSON
// { bootstrapServers, producer: { librdkafka properties } }. Prints one line
// {"url", "pixyUrl"} once listening; on "stop" on stdin: flushes the producer, waits for the next
// statistics, prints {"stopped": {flushMs, produceRequests, ...}}, closes and exits.
import * as readline from 'node:readline';
import { applyProperties, DEFAULTS, startProxy } from '../../proxy';

interface ServerArgs {
  bootstrapServers: string;
  producer: { [key: string]: string };
  /** Proxy properties beyond these (e.g. pixy.native.front.end). */
  properties?: { [key: string]: string };
}

/** Produce requests sent, summed over the brokers of a librdkafka statistics object. */
function produceRequests(stats: { [key: string]: unknown } | undefined): number | undefined {
  const brokers = stats?.brokers as { [name: string]: { req?: { [api: string]: number }; nodeid?: number } } | undefined;
  if (!brokers) return undefined;
  let total = 0;
  for (const broker of Object.values(brokers)) total += broker.req?.Produce ?? 0;
  return total;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as ServerArgs;
  const flags = new Map<string, string>([
    ['bootstrap.servers', args.bootstrapServers],
    ['listeners', 'http://127.0.0.1:0'],
    ['pixy.listeners', 'http://127.0.0.1:0'],
  ]);
  for (const [key, value] of Object.entries(args.producer)) flags.set(`producer.${key}`, value);
  flags.set('producer.statistics.interval.ms', '500');
  for (const [key, value] of Object.entries(args.properties ?? {})) flags.set(key, value);
  const proxy = await startProxy(applyProperties(DEFAULTS, flags));
  process.stdout.write(`${JSON.stringify({ url: proxy.url, pixyUrl: proxy.pixyUrl })}\n`);
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() !== 'stop') continue;
    const started = Date.now();
    await proxy.producer.flush(60_000);
    const flushMs = Date.now() - started;
    // The next statistics (every 500 ms) count every request the flush waited for.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const stats = proxy.producer.statistics();
    const cpu = process.cpuUsage();
    const stopped = { cpuSeconds: (cpu.user + cpu.system) / 1e6, flushMs, produceRequests: produceRequests(stats), txmsgs: stats?.txmsgs as number | undefined };
    await proxy.close();
    process.stdout.write(`${JSON.stringify({ stopped })}\n`, () => process.exit(0));
    return;
  }
  // stdin closed without "stop": the driver is gone.
  await proxy.close();
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
