// rdkafka-napi mock: runs librdkafka's embedded broker until Ctrl-C.
import { MockCluster } from '../mock-cluster';
import { UsageError, type CliCommand } from './command';

export const mockCommand: CliCommand = {
  summary: "run the embedded broker (librdkafka's mock cluster) and print its bootstrap servers",
  connects: false,
  logLevel: 'info',
  details:
    'Prints the bootstrap servers as the first line of standard output (--json: {"bootstrapServers": ...}),\n' +
    'then runs until Ctrl-C (SIGINT) or SIGTERM. Topics are created on first use (4 partitions) or\n' +
    'with --topic. The embedded broker handles producing, consuming, offsets and consumer groups, not\n' +
    'the admin requests (topics create, groups list, ...); its data lives in memory only.',
  options: {
    brokers: { type: 'string', value: 'N', help: 'number of brokers, ids 1..N (default 1)' },
    topic: { type: 'string', short: 't', multiple: true, value: 'NAME[:PARTITIONS]', help: 'create this topic at the start (default 1 partition; repeatable)' },
  },
  async run(context) {
    const brokers = context.integer('brokers', 1, 64, 1);
    if (context.positionals.length > 0) throw new UsageError(`unexpected argument '${context.positionals[0]}'`);
    const topics = ((context.options.topic as string[] | undefined) ?? []).map((spec) => {
      const match = /^([^:]+)(?::(\d+))?$/.exec(spec);
      if (!match || (match[2] !== undefined && Number(match[2]) < 1)) throw new UsageError(`--topic takes NAME or NAME:PARTITIONS, not '${spec}'`);
      return { name: match[1], partitions: match[2] === undefined ? 1 : Number(match[2]) };
    });
    const stop = context.io.interrupted();
    const cluster = new MockCluster({ brokers });
    try {
      for (const { name, partitions } of topics) cluster.createTopic(name, partitions, Math.min(brokers, 3));
      if (context.json) context.print(JSON.stringify({ bootstrapServers: cluster.bootstrapServers, brokers, topics }));
      else context.print(cluster.bootstrapServers);
      context.note(`Embedded broker running (${brokers} broker${brokers === 1 ? '' : 's'}${topics.length ? `, topics ${topics.map((t) => `${t.name}:${t.partitions}`).join(', ')}` : ''}); Ctrl-C stops it.`);
      // The brokers run on librdkafka's threads, which do not keep Node's event loop alive.
      await new Promise<void>((resolve) => {
        if (stop.aborted) return resolve();
        const keepAlive = setInterval(() => {}, 1 << 30);
        stop.addEventListener('abort', () => {
          clearInterval(keepAlive);
          resolve();
        });
      });
    } finally {
      cluster.close();
    }
    context.note('Embedded broker stopped.');
  },
};
