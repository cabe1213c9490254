// What /metrics costs a request: the proxy's HTTP app (createApp: body limit, timeouts, the
// hooks every route has) with one route answering {}: without the metrics, with an empty
// onResponse hook, and with the metrics, alternating, each driven by bench/loadgen (Go,
// keep-alive, closed loop). The differences in this process's CPU per 1,000 requests (µs per
// request) are the costs.
// `node dist/bench/metrics-cost.js [--rounds N] [--duration S] [--clients N]`.
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULTS } from '../proxy/config';
import { ProxyMetrics } from '../proxy/metrics';
import { createApp } from '../proxy/server';
import { runLoadgen } from './rest-compare';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
  const rounds = option('--rounds', 3);
  const durationS = option('--duration', 8);
  const clients = option('--clients', 16);
  const root = path.resolve(__dirname, '..', '..');
  const tools = (await import(pathToFileURL(path.join(root, 'scripts', 'bench', 'go-tools.mjs')).href)) as { buildGoTools(o: object): { loadgen: { path?: string; error?: string } } };
  const { loadgen } = tools.buildGoTools({});
  if (loadgen.path === undefined) throw new Error(`the load generator cannot be built: ${loadgen.error}`);
  const results: { [variant: string]: number[] } = { without: [], 'empty hook': [], with: [] };
  for (let round = 0; round < rounds; round++) {
    for (const variant of ['without', 'empty hook', 'with'] as const) {
      const app = createApp({ ...DEFAULTS }, false);
      if (variant === 'with') new ProxyMetrics({ producer: () => undefined, consumerInstances: () => 0, pixyConsumers: () => 0, clusterReachable: async () => undefined }).install(app, 'confluent');
      // An onResponse hook that does nothing: what Fastify's hook itself costs.
      if (variant === 'empty hook') app.addHook('onResponse', (_req, _reply, done) => done());
      app.post('/topics/:topic', async (_req, reply) => reply.code(200).send({}));
      await app.listen({ host: '127.0.0.1', port: 0 });
      const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/topics/t`;
      const result = await runLoadgen(loadgen.path, ['-url', url, '-body', '{}', '-H', 'Content-Type: application/json', '-c', String(clients), '-duration', `${durationS}s`, '-warmup', '2s', '-pid', String(process.pid)]);
      await app.close();
      results[variant].push(result.serverCpuMsPer1000 ?? NaN);
      process.stderr.write(`${variant} metrics: ${Math.round(result.requestsPerSec)} requests/s, ${result.serverCpuMsPer1000?.toFixed(1)} ms CPU / 1,000 requests (load ${os.loadavg()[0].toFixed(2)})\n`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const without = median(results.without);
  const withMetrics = median(results.with);
  const emptyHook = median(results['empty hook']);
  process.stdout.write(`${JSON.stringify({ msPer1000: results, medianWithout: without, medianEmptyHook: emptyHook, medianWith: withMetrics, costMicrosecondsPerRequest: withMetrics - without, hookItselfMicroseconds: emptyHook - without })}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
