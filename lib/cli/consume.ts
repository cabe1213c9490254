// rdkafka-napi consume --topic T [--group G | --from-beginning]: prints messages, one a line.
import { randomUUID } from 'node:crypto';
import { Admin } from '../admin';
import { Consumer, SpecialOffset } from '../consumer';
import { KafkaError } from '../errors';
import type { Record } from '../record';
import { UsageError, type CliCommand, type CommandContext } from './command';

const FORMATS = ['value', 'key-value', 'json'] as const;
type Format = (typeof FORMATS)[number];

export const consumeCommand: CliCommand = {
  summary: 'print the messages of topics, one a line',
  details:
    'With --group, joins that consumer group (offsets are committed as usual, so a second run goes on\n' +
    'where this one stopped); without, reads every partition (or --partition) on its own and commits\n' +
    'nothing. It starts at the end (new messages only), or at the beginning with --from-beginning\n' +
    "(with a group: where the group has no committed offset). Runs until --max-messages, until\n" +
    'nothing arrived for --timeout-ms, or until Ctrl-C; then reports how many it printed.\n' +
    'Formats: value (the default: the value as text, "null" for none), key-value (key SEP value),\n' +
    'json (one object a line: topic, partition, offset, timestamp, key, value, headers).',
  options: {
    topic: { type: 'string', short: 't', multiple: true, value: 'TOPIC', help: 'the topic (required; repeatable with --group)' },
    group: { type: 'string', short: 'g', value: 'GROUP', help: 'consume as a member of this group' },
    'from-beginning': { type: 'boolean', help: 'start at the first message rather than the end' },
    partition: { type: 'string', short: 'p', value: 'N', help: 'without --group: only this partition' },
    'max-messages': { type: 'string', short: 'n', value: 'N', help: 'stop after N messages' },
    'timeout-ms': { type: 'string', value: 'MS', help: 'stop when no message arrived for MS milliseconds' },
    format: { type: 'string', short: 'f', value: 'FORMAT', help: 'value, key-value or json (--json: json)' },
    'key-separator': { type: 'string', value: 'SEP', help: 'between key and value in the key-value format (default: a tab)' },
  },
  async run(context) {
    const topics = (context.options.topic as string[] | undefined) ?? [];
    if (topics.length === 0) throw new UsageError('--topic is required');
    if (context.positionals.length > 0) throw new UsageError(`unexpected argument '${context.positionals[0]}' (name topics with --topic)`);
    const group = context.string('group');
    const fromBeginning = context.options['from-beginning'] === true;
    const partition = context.integer('partition', 0, 2147483647);
    if (group !== undefined && partition !== undefined) throw new UsageError('--partition goes without --group (a group assigns the partitions)');
    if (group === undefined && topics.length > 1) throw new UsageError('one --topic without --group');
    const maxMessages = context.integer('max-messages', 1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const idleMs = context.integer('timeout-ms', 1, 2147483647);
    const format = formatOf(context);
    const separator = context.string('key-separator') ?? '\t';

    const consumer = group !== undefined ? joinGroup(context, group, topics, fromBeginning) : await assignAll(context, topics[0], partition, fromBeginning);
    const stop = context.io.interrupted();
    let count = 0;
    try {
      let lastMessageAt = Date.now();
      while (count < maxMessages && !stop.aborted) {
        const idleLeft = idleMs === undefined ? 500 : idleMs - (Date.now() - lastMessageAt);
        if (idleLeft <= 0) break;
        const record = await consumer.consumeRecord(Math.min(500, idleLeft));
        if (record === undefined) continue;
        lastMessageAt = Date.now();
        context.print(formatRecord(record, format, separator));
        count++;
      }
    } finally {
      await consumer.close();
    }
    context.note(`Processed a total of ${count} message${count === 1 ? '' : 's'}`);
  },
};

function formatOf(context: CommandContext): Format {
  const format = context.string('format') ?? (context.json ? 'json' : 'value');
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format is one of ${FORMATS.join(', ')}, not '${format}'`);
  if (context.json && format !== 'json') throw new UsageError('--json prints the json format: leave out --format, or use --format json');
  return format as Format;
}

function joinGroup(context: CommandContext, group: string, topics: string[], fromBeginning: boolean): Consumer {
  const config = context.clientConfig({ 'group.id': group, 'auto.offset.reset': fromBeginning ? 'earliest' : 'latest' });
  return new Consumer(config, topics, { logger: context.logger });
}

/** Without a group: every partition of the topic (or one), assigned at the beginning or the end. */
async function assignAll(context: CommandContext, topic: string, partition: number | undefined, fromBeginning: boolean): Promise<Consumer> {
  const admin = new Admin(context.clientConfig(), { logger: context.logger });
  let partitions: number[];
  try {
    const [md] = (await admin.metadata({ topics: [topic] })).topics;
    if (md.error !== 0) throw new KafkaError(md.error, `Topic '${topic}' ${md.error === 3 ? 'does not exist' : `cannot be read: ${md.error}`}`);
    partitions = md.partitions.map((p) => p.partition);
  } finally {
    await admin.close();
  }
  if (partition !== undefined) {
    if (!partitions.includes(partition)) throw new KafkaError(-190, `Topic '${topic}' has no partition ${partition} (it has ${partitions.length})`);
    partitions = [partition];
  }
  // librdkafka wants a group.id even for assign; this one joins nothing and commits nothing.
  const consumer = new Consumer(context.clientConfig({ 'group.id': `rdkafka-napi-cli-${randomUUID()}`, 'enable.auto.commit': 'false' }), undefined, { logger: context.logger });
  const offset = fromBeginning ? SpecialOffset.BEGINNING : SpecialOffset.END;
  consumer.assign(partitions.map((p) => ({ topic, partition: p, offset })));
  return consumer;
}

function formatRecord(record: Record, format: Format, separator: string): string {
  const value = record.value();
  if (format === 'value') return value ?? 'null';
  const key = record.keyString();
  if (format === 'key-value') return `${key ?? 'null'}${separator}${value ?? 'null'}`;
  return JSON.stringify({
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key,
    value,
    headers: record.headers.map(([name, v]) => [name, v === null ? null : v.toString('utf8')]),
  });
}
