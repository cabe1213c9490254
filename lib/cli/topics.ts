// rdkafka-napi topics list | describe | create | delete
import { Admin, type ConfigEntry, type TopicMetadata } from '../admin';
import { KafkaError } from '../errors';
import { splitPair, UsageError, type CliCommand, type CommandContext } from './command';

const UNSUPPORTED_FEATURE = -165;
const UNKNOWN_TOPIC_OR_PART = 3;

const timeoutOption = { type: 'string', value: 'MS', help: 'how long the request may take (default 30000)' } as const;

/** Runs `work` with an Admin client of the command's configuration, and closes it. */
export async function withAdmin<T>(context: CommandContext, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin(context.clientConfig(), { logger: context.logger });
  try {
    return await work(admin);
  } finally {
    await admin.close();
  }
}

function isInternal(name: string): boolean {
  return name.startsWith('__');
}

const list: CliCommand = {
  summary: 'list the topics, one a line',
  options: {
    'exclude-internal': { type: 'boolean', help: 'leave out internal topics (__consumer_offsets, ...)' },
    'timeout-ms': timeoutOption,
  },
  async run(context) {
    const timeoutMs = context.integer('timeout-ms', 1, 3_600_000, 30_000);
    let names = await withAdmin(context, (admin) => admin.listTopics({ timeoutMs }));
    if (context.options['exclude-internal'] === true) names = names.filter((n) => !isInternal(n));
    if (context.json) context.printJson(names);
    else for (const name of names) context.print(name);
  },
};

interface TopicDescription {
  name: string;
  partitionCount: number;
  replicationFactor: number;
  /** The properties set on the topic itself; null when the broker cannot tell (the embedded one). */
  configs: { [key: string]: string | null } | null;
  partitions: { partition: number; leader: number; replicas: number[]; isr: number[] }[];
}

const describe: CliCommand = {
  summary: 'describe topics: partitions (leader, replicas, in-sync replicas) and the configs set on them',
  usage: '[TOPIC...]',
  details: 'Without a topic, describes every topic. Configs lists the properties set on the topic (not the defaults).',
  options: {
    'exclude-internal': { type: 'boolean', help: 'without TOPIC: leave out internal topics' },
    'timeout-ms': timeoutOption,
  },
  async run(context) {
    const timeoutMs = context.integer('timeout-ms', 1, 3_600_000, 30_000);
    const descriptions = await withAdmin(context, async (admin) => {
      const named = context.positionals.length > 0;
      const md = await admin.metadata({ topics: named ? context.positionals : undefined, timeoutMs });
      const missing = md.topics.filter((t) => t.error === UNKNOWN_TOPIC_OR_PART);
      if (missing.length > 0) throw new KafkaError(UNKNOWN_TOPIC_OR_PART, `Topic${missing.length > 1 ? 's' : ''} ${missing.map((t) => `'${t.name}'`).join(', ')} do${missing.length > 1 ? '' : 'es'} not exist`);
      let topics = md.topics;
      if (!named) topics = topics.filter((t) => context.options['exclude-internal'] !== true || !isInternal(t.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
      const out: TopicDescription[] = [];
      let configsUnavailable = false;
      for (const topic of topics) {
        let configs: ConfigEntry[] | null = null;
        if (!configsUnavailable) {
          try {
            configs = await admin.describeConfigs('topic', topic.name, { timeoutMs });
          } catch (error) {
            if (!(error instanceof KafkaError && error.code === UNSUPPORTED_FEATURE)) throw error;
            configsUnavailable = true;
            context.note(`(${error.message}: no configs shown.)`);
          }
        }
        out.push(describeTopic(topic, configs));
      }
      return out;
    });
    if (context.json) {
      context.printJson(descriptions);
      return;
    }
    for (const t of descriptions) {
      const configs = t.configs === null ? '-' : Object.entries(t.configs).map(([k, v]) => `${k}=${v ?? '(sensitive)'}`).join(',');
      context.print(`Topic: ${t.name}\tPartitionCount: ${t.partitionCount}\tReplicationFactor: ${t.replicationFactor}\tConfigs: ${configs}`);
      for (const p of t.partitions) {
        context.print(`\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${p.leader < 0 ? 'none' : p.leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}`);
      }
    }
  },
};

function describeTopic(topic: TopicMetadata, configs: ConfigEntry[] | null): TopicDescription {
  return {
    name: topic.name,
    partitionCount: topic.partitions.length,
    replicationFactor: topic.partitions.reduce((n, p) => Math.max(n, p.replicas.length), 0),
    configs: configs === null ? null : Object.fromEntries(configs.filter((c) => c.source === 'dynamic-topic').map((c) => [c.name, c.value])),
    partitions: topic.partitions.map(({ partition, leader, replicas, isr }) => ({ partition, leader, replicas, isr })),
  };
}

const create: CliCommand = {
  summary: 'create a topic and wait until it is ready',
  usage: 'TOPIC',
  options: {
    partitions: { type: 'string', short: 'p', value: 'N', help: "partitions (default: the broker's num.partitions)" },
    'replication-factor': { type: 'string', short: 'r', value: 'N', help: "replicas of each partition (default: the broker's default)" },
    config: { type: 'string', short: 'c', multiple: true, value: 'KEY=VALUE', help: 'a topic property, e.g. --config retention.ms=60000 (repeatable)' },
    'if-not-exists': { type: 'boolean', help: 'succeed when the topic exists already' },
    'timeout-ms': timeoutOption,
  },
  async run(context) {
    const [name, ...extra] = context.positionals;
    if (name === undefined) throw new UsageError('which topic? (rdkafka-napi topics create TOPIC)');
    if (extra.length > 0) throw new UsageError(`one topic at a time (also got ${extra.join(' ')})`);
    const partitions = context.integer('partitions', 1, 1_000_000, -1);
    const replicationFactor = context.integer('replication-factor', 1, 32767, -1);
    const configs = Object.fromEntries(((context.options.config as string[] | undefined) ?? []).map((pair) => splitPair(pair, '--config')));
    const timeoutMs = context.integer('timeout-ms', 1, 3_600_000, 30_000);
    let created = true;
    await withAdmin(context, async (admin) => {
      try {
        await admin.createTopics({ name, partitions, replicationFactor, configs }, { timeoutMs });
      } catch (error) {
        if (!(context.options['if-not-exists'] === true && error instanceof KafkaError && error.code === 36)) throw error; // TOPIC_ALREADY_EXISTS
        created = false;
      }
    });
    if (context.json) context.printJson({ topic: name, created });
    else context.print(created ? `Created topic ${name}.` : `Topic ${name} exists already.`);
  },
};

const remove: CliCommand = {
  summary: 'delete topics and wait until they are gone',
  usage: 'TOPIC [TOPIC...]',
  options: { 'timeout-ms': timeoutOption },
  async run(context) {
    if (context.positionals.length === 0) throw new UsageError('which topic? (rdkafka-napi topics delete TOPIC...)');
    const timeoutMs = context.integer('timeout-ms', 1, 3_600_000, 30_000);
    await withAdmin(context, (admin) => admin.deleteTopics(context.positionals, { timeoutMs }));
    if (context.json) context.printJson({ deleted: context.positionals });
    else for (const name of context.positionals) context.print(`Deleted topic ${name}.`);
  },
};

export const topicsCommand: CliCommand = {
  summary: 'list, describe, create and delete topics',
  subcommands: { list, describe, create, delete: remove },
};
