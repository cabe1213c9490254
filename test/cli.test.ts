// The rdkafka-napi command: run in-process through main() (stdin, stdout, stderr and Ctrl-C are
// the test's), against the embedded broker and a real Kafka broker; on the real one, `groups
// describe` is compared with Kafka's own ConsumerGroupCommand. The installed bin (dist/cli.js,
// built by `npm test`'s setup) is run as a process at the end.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer, Producer } from '../lib';
import { main, type CliIo } from '../lib/cli';
import { testBrokers, useBroker } from './brokers';
import { consumeCount, consumerConfig, uniqueTopic } from './helpers';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  stdin?: string;
  env?: { [name: string]: string | undefined };
  /** Stands in for Ctrl-C. */
  interrupt?: AbortSignal;
  /** Called with each piece of stdout as it is written. */
  onStdout?: (text: string) => void;
}

/** Runs the tool in this process. */
async function cli(args: string[], options: RunOptions = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdin: Readable.from(options.stdin ? [options.stdin] : []),
    stdout: {
      write: (text: string) => {
        stdout += text;
        options.onStdout?.(text);
        return true;
      },
    },
    stderr: { write: (text: string) => (stderr += text) },
    env: options.env ?? {},
    interrupted: () => options.interrupt ?? new AbortController().signal,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

const lines = (text: string) => text.split('\n').filter((line) => line.length > 0);

/** Rows of a GROUP TOPIC PARTITION ... table (ours or Kafka's), cells split on blanks, sorted. */
function tableRows(text: string): string[][] {
  const all = lines(text).map((l) => l.trim());
  const header = all.findIndex((l) => l.startsWith('GROUP '));
  expect(all[header].split(/\s+/)).toEqual(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']);
  return all
    .slice(header + 1)
    .filter((l) => l.length > 0)
    .map((l) => l.split(/\s+/))
    .sort((a, b) => (a.join(' ') < b.join(' ') ? -1 : 1));
}

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  let producer: Producer;
  beforeAll(() => {
    producer = new Producer({ 'bootstrap.servers': broker.bootstrapServers });
  });
  afterAll(() => producer.close());

  /** The tool with --bootstrap-servers set through the environment, as users would. */
  const run = (args: string[], options: RunOptions = {}) => cli(args, { ...options, env: { KAFKA_BOOTSTRAP_SERVERS: broker.bootstrapServers, ...options.env } });

  describe('topics', () => {
    it('topics list shows a topic, one name a line; --json gives an array', async () => {
      const topic = uniqueTopic('listed');
      await broker.createTopic(topic, 2);
      const text = await run(['topics', 'list']);
      expect(text.code).toBe(0);
      expect(lines(text.stdout)).toContain(topic);
      const json = await run(['topics', 'list', '--json']);
      expect(JSON.parse(json.stdout)).toContain(topic);
      expect(JSON.parse(json.stdout)).toEqual(lines(text.stdout));
    });

    it('topics describe of an unknown topic fails in one line with exit code 1', async () => {
      const result = await run(['topics', 'describe', 'no-such-topic-here']);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe("rdkafka-napi topics describe: Topic 'no-such-topic-here' does not exist (ERR_UNKNOWN_TOPIC_OR_PART)\n");
    });

    it.runIf(broker.name === 'kafka')('topics create, then describe shows the partition count and the configs', async () => {
      const topic = uniqueTopic('created');
      const created = await run(['topics', 'create', topic, '--partitions', '3', '--replication-factor', '1', '--config', 'retention.ms=120000', '--config', 'cleanup.policy=compact']);
      expect(created).toEqual({ code: 0, stdout: `Created topic ${topic}.\n`, stderr: '' });
      const described = await run(['topics', 'describe', topic]);
      expect(described.code).toBe(0);
      const [head, ...partitions] = lines(described.stdout);
      expect(head).toBe(`Topic: ${topic}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: cleanup.policy=compact,retention.ms=120000`);
      expect(partitions).toEqual([0, 1, 2].map((p) => `\tTopic: ${topic}\tPartition: ${p}\tLeader: 1\tReplicas: 1\tIsr: 1`));
      const [json] = JSON.parse((await run(['topics', 'describe', topic, '--json'])).stdout);
      expect(json).toMatchObject({ name: topic, partitionCount: 3, replicationFactor: 1, configs: { 'retention.ms': '120000', 'cleanup.policy': 'compact' } });
      // A second create fails, unless --if-not-exists.
      const again = await run(['topics', 'create', topic, '--partitions', '3']);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/^rdkafka-napi topics create: Topic '.*' already exists.*\(ERR_TOPIC_ALREADY_EXISTS\)\n$/);
      expect((await run(['topics', 'create', topic, '--if-not-exists'])).stdout).toBe(`Topic ${topic} exists already.\n`);
    });

    it.runIf(broker.name === 'kafka')('topics delete removes the topic from topics list', async () => {
      const topic = uniqueTopic('deleted');
      expect((await run(['topics', 'create', topic, '--partitions', '1'])).code).toBe(0);
      expect(lines((await run(['topics', 'list'])).stdout)).toContain(topic);
      expect(await run(['topics', 'delete', topic])).toEqual({ code: 0, stdout: `Deleted topic ${topic}.\n`, stderr: '' });
      expect(lines((await run(['topics', 'list'])).stdout)).not.toContain(topic);
    });

    it.runIf(broker.name === 'mock')('topics create and delete say plainly that the embedded broker does not support them; describe shows partitions without configs', async () => {
      const topic = uniqueTopic('mocked');
      await broker.createTopic(topic, 2);
      const created = await run(['topics', 'create', uniqueTopic(), '--partitions', '1']);
      expect(created.code).toBe(1);
      expect(created.stderr).toBe("rdkafka-napi topics create: The embedded broker (librdkafka's mock cluster) does not support CreateTopics (ERR__UNSUPPORTED_FEATURE)\n");
      const deleted = await run(['topics', 'delete', topic]);
      expect(deleted.stderr).toContain('does not support DeleteTopics');
      const described = await run(['topics', 'describe', topic]);
      expect(described.code).toBe(0);
      expect(lines(described.stdout)[0]).toMatch(new RegExp(`^Topic: ${topic}\tPartitionCount: 2\tReplicationFactor: \\d\tConfigs: -$`));
      expect(described.stderr).toContain('does not support DescribeConfigs');
    });
  });

  describe('produce and consume', () => {
    it('produce sends each line of stdin, split at the key separator; consume --from-beginning prints them in each format', async () => {
      const topic = uniqueTopic('lines');
      await broker.createTopic(topic, 1);
      const produced = await run(['produce', '--topic', topic, '--key-separator', ':'], { stdin: 'k1:v1\nk2:v2:with colon\n:empty key\nk4:\n' });
      expect(produced).toEqual({ code: 0, stdout: '', stderr: `Produced 4 messages to ${topic}.\n` });
      const values = await run(['consume', '--topic', topic, '--from-beginning', '--max-messages', '4']);
      expect(values.stdout).toBe('v1\nv2:with colon\nempty key\n\n');
      expect(values.stderr).toBe('Processed a total of 4 messages\n');
      const pairs = await run(['consume', '-t', topic, '--from-beginning', '-n', '4', '--format', 'key-value', '--key-separator', '=']);
      expect(lines(pairs.stdout)).toEqual(['k1=v1', 'k2=v2:with colon', '=empty key', 'k4=']);
      const json = await run(['consume', '-t', topic, '--from-beginning', '-n', '2', '--json']);
      expect(lines(json.stdout).map((l) => JSON.parse(l))).toEqual([
        expect.objectContaining({ topic, partition: 0, offset: 0, key: 'k1', value: 'v1', headers: [] }),
        expect.objectContaining({ topic, partition: 0, offset: 1, key: 'k2', value: 'v2:with colon' }),
      ]);
      // --json output reports too: where the messages went.
      const more = await run(['produce', '-t', topic, '--json'], { stdin: 'plain\n' });
      expect(JSON.parse(more.stdout)).toEqual({ topic, produced: 1, partitions: { 0: 1 } });
    });

    it('a line without the key separator stops produce with a one-line error, after the lines before it', async () => {
      const topic = uniqueTopic('badline');
      await broker.createTopic(topic, 1);
      const result = await run(['produce', '-t', topic, '-K', '|'], { stdin: 'a|1\nb|2\nno separator\nc|3\n' });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe("rdkafka-napi produce: line 3 has no key separator '|' (the 2 lines before it were produced) (ERR__INVALID_ARG)\n");
      const got = await run(['consume', '-t', topic, '--from-beginning', '--timeout-ms', '5000']);
      expect(got.stdout).toBe('1\n2\n');
    });

    it('consume --group commits: a second run of the same group goes on where the first stopped', async () => {
      const topic = uniqueTopic('resume');
      await broker.createTopic(topic, 1);
      await producer.sendBatch(Array.from({ length: 5 }, (_, i) => ({ topic, payload: `m${i}` })));
      const group = uniqueTopic('g');
      const session = ['-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=500'];
      const first = await run(['consume', '-t', topic, '-g', group, '--from-beginning', '-n', '2', ...session]);
      expect(first.stdout).toBe('m0\nm1\n');
      const second = await run(['consume', '-t', topic, '-g', group, '--from-beginning', '-n', '3', ...session]);
      expect(second.stdout).toBe('m2\nm3\nm4\n');
    });

    it('without --max-messages, consume runs until Ctrl-C, then closes and exits 0', async () => {
      const topic = uniqueTopic('interrupt');
      await broker.createTopic(topic, 2);
      await producer.send({ topic, partition: 1, payload: 'old' });
      const stop = new AbortController();
      const running = run(['consume', '-t', topic], {
        interrupt: stop.signal,
        onStdout: (text) => {
          if (text.includes('late')) stop.abort();
        },
      });
      // Without --from-beginning it reads from the end, which librdkafka looks up at a moment of
      // its own: records are produced until one comes out (those before the lookup are behind it).
      for (let i = 0; !stop.signal.aborted && i < 30; i++) {
        await producer.send({ topic, partition: 1, payload: `late-${i}` });
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      const result = await running;
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^(late-\d+\n)+$/); // never 'old'
      const lines = result.stdout.split('\n').length - 1;
      expect(result.stderr).toBe(`Processed a total of ${lines} message${lines === 1 ? '' : 's'}\n`);
    });

    it('--timeout-ms ends consume when nothing arrives; --partition reads one partition', async () => {
      const topic = uniqueTopic('idle');
      await broker.createTopic(topic, 2);
      await producer.sendBatch([0, 1, 0].map((partition, i) => ({ topic, partition, payload: `p${partition}-${i}` })));
      const started = Date.now();
      const result = await run(['consume', '-t', topic, '--from-beginning', '--partition', '0', '--timeout-ms', '5000']);
      expect(result.stdout).toBe('p0-0\np0-2\n');
      expect(Date.now() - started).toBeLessThan(20_000);
      const wrong = await run(['consume', '-t', topic, '--partition', '5', '--timeout-ms', '100']);
      expect(wrong.stderr).toBe(`rdkafka-napi consume: Topic '${topic}' has no partition 5 (it has 2) (ERR__UNKNOWN_PARTITION)\n`);
    });
  });

  describe('groups', () => {
    /** A group that read 17 of 30 messages (10 per partition) and committed, its member still in. */
    async function groupAt17(): Promise<{ topic: string; group: string; member: Consumer }> {
      const topic = uniqueTopic('lagging');
      await broker.createTopic(topic, 3);
      await producer.sendBatch([0, 1, 2].flatMap((partition) => Array.from({ length: 10 }, (_, i) => ({ topic, partition, payload: `${partition}:${i}` }))));
      const group = uniqueTopic('g');
      const member = new Consumer(consumerConfig(broker.bootstrapServers, group, { 'enable.auto.commit': false }), [topic]);
      expect(await consumeCount(member, 17)).toHaveLength(17);
      await member.commit();
      return { topic, group, member };
    }

    it.runIf(broker.name === 'kafka')("groups describe prints the same rows as Kafka's ConsumerGroupCommand, with the member and after it left", async () => {
      const { runKafkaTool } = await import('../scripts/kafka/broker.mjs');
      const kafkaTool = async (group: string) => {
        const result = await runKafkaTool('org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', ['--bootstrap-server', broker.bootstrapServers, '--describe', '--group', group]);
        expect(result.code, result.stderr).toBe(0);
        return tableRows(result.stdout);
      };
      const { topic, group, member } = await groupAt17();
      const live = await run(['groups', 'describe', group]);
      expect(live.code).toBe(0);
      const ours = tableRows(live.stdout);
      expect(ours).toEqual(await kafkaTool(group));
      expect(ours).toHaveLength(3);
      expect(ours.reduce((sum, row) => sum + (row[5] === '-' ? 10 : Number(row[5])), 0)).toBe(13); // '-': nothing committed, all 10 unread
      expect(ours.every((row) => row[1] === topic && row[6].startsWith('rdkafka-') && row[7] === '/127.0.0.1' && row[8] === 'rdkafka')).toBe(true);

      await member.close();
      const left = await run(['groups', 'describe', group]);
      expect(left.stderr).toBe(`Consumer group '${group}' has no active members.\n`);
      expect(tableRows(left.stdout)).toEqual(await kafkaTool(group));
      expect(tableRows(left.stdout).every((row) => row.slice(6).join(' ') === '- - -')).toBe(true);

      const json = JSON.parse((await run(['groups', 'describe', group, '--json'])).stdout);
      expect(json).toMatchObject({ groupId: group, state: 'Empty', members: [] });
      expect(json.partitions.reduce((sum: number, p: { lag: number }) => sum + p.lag, 0) + 10 * (3 - json.partitions.length)).toBe(13);
    });

    it.runIf(broker.name === 'kafka')('groups list shows the group, --state with its state', async () => {
      const { group, member } = await groupAt17();
      expect(lines((await run(['groups', 'list'])).stdout)).toContain(group);
      const withState = lines((await run(['groups', 'list', '--state'])).stdout);
      expect(withState[0].split(/\s+/)).toEqual(['GROUP', 'STATE']);
      expect(withState.find((l) => l.startsWith(`${group} `))?.split(/\s+/)).toEqual([group, 'Stable']);
      await member.close();
      const missing = await run(['groups', 'describe', uniqueTopic('never')]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^rdkafka-napi groups describe: Consumer group '.*' does not exist \(ERR_GROUP_ID_NOT_FOUND\)\n$/);
    });

    it.runIf(broker.name === 'mock')('on the embedded broker, groups describe shows committed offsets and lag (members unknown), and groups list says it is unsupported', async () => {
      const { topic, group, member } = await groupAt17();
      const result = await run(['groups', 'describe', group]);
      expect(result.code).toBe(0);
      expect(result.stderr).toContain(`The embedded broker cannot describe group '${group}'`);
      const rows = tableRows(result.stdout);
      expect(rows.every((row) => row[0] === group && row[1] === topic && row[4] === '10' && row.slice(6).join(' ') === '- - -')).toBe(true);
      expect(rows.reduce((sum, row) => sum + Number(row[5]), 0) + 10 * (3 - rows.length)).toBe(13); // a partition never read: all 10
      await member.close();
      const listed = await run(['groups', 'list']);
      expect(listed.code).toBe(1);
      expect(listed.stderr).toBe("rdkafka-napi groups list: The embedded broker (librdkafka's mock cluster) does not support ListConsumerGroups (ERR__UNSUPPORTED_FEATURE)\n");
    });
  });
});

describe('the command line itself', () => {
  it('--help works at every level and exits 0; no command prints the help on stderr and exits 2', async () => {
    for (const args of [['--help'], ['topics', '--help'], ['topics', 'create', '--help'], ['groups', 'describe', '-h'], ['produce', '--help'], ['consume', '--help'], ['mock', '--help'], ['bench', '--help']]) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout, args.join(' ')).toMatch(/^Usage: rdkafka-napi/);
    }
    expect((await cli(['topics', 'create', '--help'])).stdout).toContain('--bootstrap-servers HOST:PORT,...');
    expect((await cli(['mock', '--help'])).stdout).not.toContain('--bootstrap-servers');
    const bare = await cli([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Commands:');
  });

  it('wrong command lines fail in one line with exit code 2', async () => {
    const cases: [string[], string][] = [
      [['nope'], "rdkafka-napi: unknown command 'nope' (see rdkafka-napi --help)"],
      [['topics', 'nope'], "rdkafka-napi topics: unknown command 'nope' (see rdkafka-napi topics --help)"],
      [['topics', 'list'], 'rdkafka-napi topics list: no brokers: pass --bootstrap-servers HOST:PORT or set KAFKA_BOOTSTRAP_SERVERS (see rdkafka-napi topics list --help)'],
      [['topics', 'list', '-b', 'x', '--bogus'], "rdkafka-napi topics list: Unknown option '--bogus' (see rdkafka-napi topics list --help)"],
      [['topics', 'create', '-b', 'x', 't', '--partitions', 'three'], "rdkafka-napi topics create: --partitions must be an integer from 1 to 1000000, not 'three' (see rdkafka-napi topics create --help)"],
      [['consume', '-b', 'x'], 'rdkafka-napi consume: --topic is required (see rdkafka-napi consume --help)'],
      [['consume', '-b', 'x', '-t', 't', '--format', 'xml'], "rdkafka-napi consume: --format is one of value, key-value, json, not 'xml' (see rdkafka-napi consume --help)"],
      [['mock', '-b', 'x'], 'rdkafka-napi mock: this command starts no client: it takes no --bootstrap-servers (see rdkafka-napi mock --help)'],
      [['topics', 'list', '-b', 'x', '-X', 'nokey'], "rdkafka-napi topics list: --property takes KEY=VALUE, not 'nokey' (see rdkafka-napi topics list --help)"],
    ];
    for (const [args, message] of cases) expect(await cli(args), args.join(' ')).toEqual({ code: 2, stdout: '', stderr: `${message}\n` });
  });

  it('bench --list names the scenarios and drivers; an unknown option is a usage error', () => {
    const run = (args: string[]) => spawnSync(process.execPath, ['dist/cli.js', 'bench', ...args], { cwd: path.join(__dirname, '..'), encoding: 'utf8' });
    const listed = run(['--list']);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/produce-100B-acks1/);
    expect(listed.stdout).toMatch(/rdkafka_performance/);
    const wrong = run(['--no-such-option']);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/unknown option --no-such-option/);
  });

  it('an unreachable cluster is one line naming the brokers tried, within the timeout', async () => {
    const started = Date.now();
    const result = await cli(['topics', 'create', 't', '--timeout-ms', '1500'], { env: { KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:1' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('rdkafka-napi topics create: CreateTopics: No broker answered within 1500 ms (check bootstrap.servers) (ERR__TIMED_OUT) [bootstrap servers: 127.0.0.1:1]\n');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("--log-level shows librdkafka's lines through the tool's logger, as JSON lines on stderr; a wrong level is a usage error", async () => {
    const env = { KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:1' };
    const result = await cli(['topics', 'create', 't', '--timeout-ms', '1500', '--log-level', 'error'], { env });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^rdkafka-napi topics create: CreateTopics: No broker answered within 1500 ms/);
    const logged = lines.slice(0, -1).map((line) => JSON.parse(line));
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.some((entry) => entry.level === 50 && entry.name === 'rdkafka-napi' && /^rdkafka#producer-\d+$/.test(entry.client) && /Connect to ipv4#127\.0\.0\.1:1 failed/.test(entry.msg))).toBe(true);
    const wrong = await cli(['topics', 'list', '--log-level', 'loud'], { env });
    expect(wrong).toMatchObject({ code: 2, stderr: expect.stringContaining("--log-level must be one of silent, error, warn, info, debug, not 'loud'") });
  });

  it('mock runs the embedded broker until Ctrl-C: its first line is the bootstrap servers, which the other commands use', async () => {
    const stop = new AbortController();
    let first: (servers: string) => void;
    const servers = new Promise<string>((resolve) => (first = resolve));
    const running = cli(['mock', '--brokers', '2', '--topic', 'orders:3'], { onStdout: (text) => first(text.trim()), interrupt: stop.signal });
    const bootstrap = await servers;
    expect(bootstrap).toMatch(/^127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/);
    const env = { KAFKA_BOOTSTRAP_SERVERS: bootstrap };
    expect((await cli(['topics', 'describe', 'orders'], { env })).stdout).toContain('PartitionCount: 3\tReplicationFactor: 2');
    expect((await cli(['produce', '-t', 'orders', '-p', '2'], { stdin: 'x\ny\n', env })).code).toBe(0);
    expect((await cli(['consume', '-t', 'orders', '-p', '2', '--from-beginning', '-n', '2'], { env })).stdout).toBe('x\ny\n');
    stop.abort();
    expect(await running).toEqual({ code: 0, stdout: `${bootstrap}\n`, stderr: 'Embedded broker running (2 brokers, topics orders:3); Ctrl-C stops it.\nEmbedded broker stopped.\n' });
  });

  describe('the installed program (dist/cli.js)', () => {
    const root = path.join(__dirname, '..');
    const bin = path.join(root, 'dist', 'cli.js');

    it('package.json names it as the rdkafka-napi bin, and it starts with a node shebang', () => {
      const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
      expect(pkg.bin).toEqual({ 'rdkafka-napi': 'dist/cli.js' });
      expect(fs.readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    });

    it('mock in a process of its own prints its servers, serves topics list, and stops on SIGTERM with exit code 0', async () => {
      const child = spawn(process.execPath, [bin, 'mock', '--json', '--topic', 'from-bin:2'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const firstLine = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (out.includes('\n')) resolve(out.split('\n')[0]);
        });
        child.once('exit', (code) => reject(new Error(`mock exited with ${code}: ${stderr}`)));
      });
      const { bootstrapServers } = JSON.parse(firstLine);
      const listed = spawnSync(process.execPath, [bin, 'topics', 'list', '--bootstrap-servers', bootstrapServers], { encoding: 'utf8', timeout: 30_000 });
      expect(listed.status).toBe(0);
      expect(listed.stdout).toBe('from-bin\n');
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toContain('Embedded broker stopped.');
    });
  });
});
