// rdkafka-napi produce --topic T: one message per line of standard input.
import { createInterface } from 'node:readline';
import { KafkaError, ErrorCode } from '../errors';
import { Producer, type ProducerRecord } from '../producer';
import { UsageError, type CliCommand } from './command';

/** Lines sent per sendBatch: big enough to batch well, small enough to keep memory flat. */
const CHUNK = 1000;

export const produceCommand: CliCommand = {
  summary: 'produce the lines of standard input as messages, one a line',
  details:
    'Each line of standard input is a message (without its line break). With --key-separator, the\n' +
    'text before the first separator is the key and the rest the value; a line without it is an\n' +
    'error. Waits until every message is on the broker, then reports how many were produced.',
  options: {
    topic: { type: 'string', short: 't', value: 'TOPIC', help: 'the topic (required)' },
    'key-separator': { type: 'string', short: 'K', value: 'SEP', help: 'split each line into key SEP value' },
    partition: { type: 'string', short: 'p', value: 'N', help: 'produce to this partition (default: the partitioner picks by key)' },
  },
  async run(context) {
    const topic = context.required('topic');
    const separator = context.string('key-separator');
    if (separator === '') throw new UsageError('--key-separator must not be empty');
    const partition = context.integer('partition', 0, 2147483647, -1);
    if (context.positionals.length > 0) throw new UsageError(`unexpected argument '${context.positionals[0]}' (the messages come from standard input)`);
    const producer = new Producer(context.clientConfig(), { logger: context.logger });
    let produced = 0;
    const partitions = new Map<number, number>();
    const send = async (chunk: ProducerRecord[]) => {
      for (const result of await producer.sendBatch(chunk)) partitions.set(result.partition, (partitions.get(result.partition) ?? 0) + 1);
      produced += chunk.length;
    };
    try {
      let chunk: ProducerRecord[] = [];
      let lineNumber = 0;
      for await (const line of createInterface({ input: context.io.stdin, crlfDelay: Infinity })) {
        lineNumber++;
        let key: string | null = null;
        let value = line;
        if (separator !== undefined) {
          const at = line.indexOf(separator);
          if (at < 0) {
            await send(chunk); // the lines before it go out, as they would have one by one
            throw new KafkaError(ErrorCode._INVALID_ARG, `line ${lineNumber} has no key separator '${separator}' (the ${produced} line${produced === 1 ? '' : 's'} before it were produced)`);
          }
          key = line.slice(0, at);
          value = line.slice(at + separator.length);
        }
        chunk.push({ topic, key, payload: value, partition });
        if (chunk.length === CHUNK) {
          await send(chunk);
          chunk = [];
        }
      }
      if (chunk.length > 0) await send(chunk);
    } finally {
      await producer.close();
    }
    const perPartition = Object.fromEntries([...partitions.entries()].sort(([a], [b]) => a - b));
    if (context.json) context.printJson({ topic, produced, partitions: perPartition });
    else context.note(`Produced ${produced} message${produced === 1 ? '' : 's'} to ${topic}.`);
  },
};
