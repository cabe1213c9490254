// Interop with real peers on the real Kafka broker: kcat (Debian's, over its own librdkafka) and
// Kafka's Java tools (console producer and consumer, consumer-group command, the Java producer's
// default partitioner). Records cross in both directions byte for byte. The broker is the run's
// own, or (with RDKAFKA_TEST_BROKERS=mock) one this file starts.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Consumer, Producer, type Record } from '../lib';
import { runKafkaTool as runKafkaToolUntyped } from '../scripts/kafka/broker.mjs';
import { useRealKafka } from './brokers';
import { consumeCount, consumerConfig, uniqueTopic } from './helpers';

interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}
const runKafkaTool = runKafkaToolUntyped as (mainClass: string, args: string[], options?: { input?: string; timeoutMs?: number }) => Promise<ToolResult>;

const KCAT = '/usr/bin/kcat';
const CONSOLE_PRODUCER = 'kafka.tools.ConsoleProducer';
const CONSOLE_CONSUMER = 'org.apache.kafka.tools.consumer.ConsoleConsumer';
const CONSUMER_GROUP_COMMAND = 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand';
const BYTES_DESERIALIZER = 'org.apache.kafka.common.serialization.BytesDeserializer';

/** The real broker's address, set by the suite's first hook. */
let bootstrap = '';

/** Runs a Kafka Java tool and insists on exit code 0. */
async function javaTool(mainClass: string, args: string[], input?: string): Promise<string> {
  const result = await runKafkaTool(mainClass, ['--bootstrap-server', bootstrap, ...args], { input, timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`${mainClass} exited with ${result.code}:\n${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

/** Runs kcat to completion with `input` on stdin; stdout stays bytes. */
function kcat(args: string[], input?: Buffer, timeoutMs = 30_000): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(KCAT, ['-b', bootstrap, ...args]);
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? Buffer.alloc(0));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kcat ${args.join(' ')} timed out after ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr });
    });
  });
}

/** A record as a peer printed it, for comparing with what we sent. */
interface PeerRecord {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  /** kcat: its `%h` text (`name=value,...`); Java: [name, value] pairs. */
  headers: string | Array<[string, Buffer | null]>;
}

// kcat's format: a text line with partition, offset and the key and value lengths (-1 = null),
// then the raw key and value bytes, then the headers as kcat prints them, then a newline.
const KCAT_FORMAT = '@@%p %o %K %S\\n%k%s%h\\n';

function parseKcat(out: Buffer): PeerRecord[] {
  const records: PeerRecord[] = [];
  let at = 0;
  while (at < out.length) {
    const lineEnd = out.indexOf(0x0a, at);
    const line = out.subarray(at, lineEnd).toString('latin1');
    const match = /^@@(\d+) (\d+) (-?\d+) (-?\d+)$/.exec(line);
    if (!match) throw new Error(`unexpected kcat output at byte ${at}: ${JSON.stringify(line)}`);
    const [partition, offset, keyLength, valueLength] = match.slice(1).map(Number);
    at = lineEnd + 1;
    const key = keyLength < 0 ? null : out.subarray(at, at + keyLength);
    at += Math.max(keyLength, 0);
    const value = valueLength < 0 ? null : out.subarray(at, at + valueLength);
    at += Math.max(valueLength, 0);
    const headersEnd = out.indexOf(0x0a, at);
    records.push({ partition, offset, key, value, headers: out.subarray(at, headersEnd).toString('utf8') });
    at = headersEnd + 1;
  }
  return records;
}

/** Java's Bytes.toString: printable ASCII as is, everything else (and `\`) as \xHH. */
function unescapeJava(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && text[i + 1] === 'x') {
      bytes.push(parseInt(text.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      bytes.push(text.charCodeAt(i));
    }
  }
  return Buffer.from(bytes);
}

// The console consumer's lines with print.partition, print.offset, print.headers, print.key and
// BytesDeserializer for key, value and headers: "Partition:P\tOffset:O\tHEADERS\tKEY\tVALUE".
// Escaped bytes never contain a tab or \x1d, so those separate the fields unambiguously.
const JAVA_HEADER_SEPARATOR = '\x1d';

function parseJavaConsole(out: string): PeerRecord[] {
  return out
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const fields = line.split('\t');
      if (fields.length !== 5) throw new Error(`unexpected console consumer line: ${JSON.stringify(line)}`);
      const [partition, offset, headers, key, value] = fields;
      const bytesOrNull = (text: string) => (text === 'null' ? null : unescapeJava(text));
      return {
        partition: Number(partition.replace('Partition:', '')),
        offset: Number(offset.replace('Offset:', '')),
        key: bytesOrNull(key),
        value: bytesOrNull(value),
        headers:
          headers === 'NO_HEADERS'
            ? []
            : headers.split(JAVA_HEADER_SEPARATOR).map((pair): [string, Buffer | null] => {
                const colon = pair.indexOf(':');
                return [pair.slice(0, colon), bytesOrNull(pair.slice(colon + 1))];
              }),
      };
    });
}

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), as the Java producer hashes keys. */
function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ data.length;
  const whole = data.length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = data.length & 3; // Java's switch falls through: 3 takes in bytes 2, 1 and 0
  if (tail >= 3) h ^= data[whole + 2] << 16;
  if (tail >= 2) h ^= data[whole + 1] << 8;
  if (tail >= 1) h = Math.imul(h ^ data[whole], m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}

/** The partition the Java producer's default partitioner picks for a key. */
function javaPartition(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;
}

/** Random bytes that never contain `excluded` (to keep them clear of a peer's delimiters). */
function bytesWithout(length: number, excluded: number): Buffer {
  const bytes = randomBytes(length);
  for (let i = 0; i < length; i++) if (bytes[i] === excluded) bytes[i] = excluded ^ 0x01;
  return bytes;
}

/** Every byte value once, shuffled: the hardest payload for a text-minded peer. */
function allByteValues(): Buffer {
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  for (let i = 255; i > 0; i--) {
    const j = randomBytes(1)[0] % (i + 1);
    [bytes[i], bytes[j]] = [bytes[j], bytes[i]];
  }
  return bytes;
}

const buf = (value: string | Buffer | null): Buffer | null => (value === null ? null : Buffer.from(value));

describe('interop with real peers on the real Kafka broker', () => {
  const kafka = useRealKafka();
  let admin: Admin;
  const consumers: Consumer[] = [];

  beforeAll(() => {
    bootstrap = kafka.bootstrapServers;
    admin = new Admin({ 'bootstrap.servers': bootstrap });
  });

  afterAll(async () => {
    for (const c of consumers) await c.close();
    await admin?.close();
  });

  /** Waits until the metadata shows every partition led, as every createTopics does. */
  const createTopic = (name: string, partitions: number) => admin.createTopics({ name, partitions, replicationFactor: 1 });

  function consumer(group: string, topics: string[], extra: { [key: string]: string | number | boolean } = {}): Consumer {
    const c = new Consumer(consumerConfig(bootstrap, group, { 'enable.auto.commit': false, ...extra }), topics);
    consumers.push(c);
    return c;
  }

  async function closeConsumer(c: Consumer): Promise<void> {
    consumers.splice(consumers.indexOf(c), 1);
    await c.close();
  }

  /** What our Consumer read, in the peers' terms. */
  function asPeerRecord(r: Record): PeerRecord {
    return { partition: r.partition, offset: r.offset, key: r.key, value: r.payload, headers: r.headers };
  }

  const byPosition = (a: { partition: number; offset: number }, b: { partition: number; offset: number }) => a.partition - b.partition || a.offset - b.offset;

  describe('records our Producer writes', () => {
    // Binary keys and values, null versus empty, repeated and null headers, explicit partitions
    // and the partitioner's choice. Header values are text for kcat, which prints them raw.
    const topic = uniqueTopic('ours-to-peers');
    interface Sent {
      key: Buffer | null;
      value: Buffer | null;
      headers: Array<[string, Buffer | null]>;
      partition: number;
      offset: number;
    }
    const sent: Sent[] = [];

    beforeAll(async () => {
      await createTopic(topic, 3);
      const records = Array.from({ length: 48 }, (_, i) => {
        const key = [bytesWithout(1 + (i % 13), 0x0a), null, Buffer.alloc(0), Buffer.from(`ключ-${i}`)][i % 4];
        const value = [allByteValues(), bytesWithout(i * 37, 0x0a), null, Buffer.alloc(0), Buffer.from(`значение ${i} ✓`)][i % 5];
        const headers: Array<[string, Buffer | null]> = [
          [],
          [['trace', Buffer.from(`t-${i}`)]],
          [['dup', Buffer.from('first')], ['dup', Buffer.from('second')], ['empty', Buffer.alloc(0)]],
          [['nullable', null], ['utf8', Buffer.from('ü€😀')]],
        ][i % 4] as Array<[string, Buffer | null]>;
        return { topic, key, payload: value, headers, partition: i % 4 === 3 ? -1 : i % 3 };
      });
      const producer = new Producer({ 'bootstrap.servers': bootstrap });
      const results = await producer.sendBatch(records);
      await producer.close();
      records.forEach((r, i) => {
        expect(results[i].partition).toBe(r.partition === -1 ? results[i].partition : r.partition);
        sent.push({ key: r.key, value: r.payload, headers: r.headers, partition: results[i].partition, offset: results[i].offset });
      });
      sent.sort(byPosition);
    });

    it('are read back byte for byte by kcat: keys, values, null versus empty, headers, partitions, offsets', async () => {
      const { code, stdout, stderr } = await kcat(['-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', KCAT_FORMAT]);
      expect(code, stderr).toBe(0);
      const read = parseKcat(stdout).sort(byPosition);
      // kcat prints headers as name=value joined by commas, a null value as NULL.
      const kcatHeaders = (headers: Array<[string, Buffer | null]>) =>
        headers.map(([name, value]) => `${name}=${value === null ? 'NULL' : value.toString('utf8')}`).join(',');
      expect(read).toEqual(sent.map((s) => ({ partition: s.partition, offset: s.offset, key: s.key, value: s.value, headers: kcatHeaders(s.headers) })));
    });

    it("are read back byte for byte by Kafka's Java console consumer, headers included", async () => {
      const out = await javaTool(CONSOLE_CONSUMER, [
        '--topic', topic, '--from-beginning', '--max-messages', String(sent.length), '--timeout-ms', '30000',
        '--property', 'print.partition=true', '--property', 'print.offset=true',
        '--property', 'print.headers=true', '--property', 'print.key=true',
        '--property', `key.deserializer=${BYTES_DESERIALIZER}`, '--property', `value.deserializer=${BYTES_DESERIALIZER}`,
        '--property', `headers.deserializer=${BYTES_DESERIALIZER}`, '--property', `headers.separator=${JAVA_HEADER_SEPARATOR}`,
      ]);
      const read = parseJavaConsole(out).sort(byPosition);
      expect(read).toEqual(sent.map((s) => ({ partition: s.partition, offset: s.offset, key: s.key, value: s.value, headers: s.headers })));
    });
  });

  it('records kcat writes (binary keys and values, nulls, headers) are read back identically by our Consumer', async () => {
    const topic = uniqueTopic('kcat-to-ours');
    await createTopic(topic, 3);
    // kcat splits stdin on delimiters; no record contains '~', so '~K~' and '~M~' are safe.
    // With -Z an empty key or value is sent as null.
    const tilde = '~'.charCodeAt(0);
    const records = Array.from({ length: 40 }, (_, i) => ({
      key: [bytesWithout(1 + (i % 9), tilde), null, Buffer.from(`ключ ${i}`)][i % 3],
      value: [bytesWithout(200 + i, tilde), Buffer.from(`значение ${i}`), null, Buffer.from(allByteValues().filter((b) => b !== tilde))][i % 4],
    }));
    const input = Buffer.concat(records.flatMap((r) => [r.key ?? Buffer.alloc(0), Buffer.from('~K~'), r.value ?? Buffer.alloc(0), Buffer.from('~M~')]));
    const headers: Array<[string, string]> = [['source', 'kcat'], ['dup', '1'], ['dup', '2'], ['utf8', 'ü€']];
    const { code, stderr } = await kcat(['-P', '-t', topic, '-p', '1', '-K', '~K~', '-D', '~M~', '-Z', ...headers.flatMap(([n, v]) => ['-H', `${n}=${v}`])], input);
    expect(code, stderr).toBe(0);

    const c = consumer(uniqueTopic('g'), [topic]);
    const read = await consumeCount(c, records.length);
    expect(read.map(asPeerRecord)).toEqual(
      records.map((r, i) => ({ partition: 1, offset: i, key: r.key, value: r.value, headers: headers.map(([n, v]) => [n, Buffer.from(v)]) })),
    );
    expect(await c.consumeRecord(300)).toBeUndefined();
    await closeConsumer(c);
  });

  it("records Kafka's Java console producer writes (UTF-8 keys, values, headers, nulls) are read back identically by our Consumer", async () => {
    const topic = uniqueTopic('java-to-ours');
    const partitions = 5;
    await createTopic(topic, partitions);
    // Lines "headers<TAB>key<TAB>value"; headers "name:value,..."; "<null>" is a null key, value or header value.
    const lines = Array.from({ length: 60 }, (_, i) => {
      const key = i % 6 === 5 ? null : [`key-${i % 10}`, `ключ-${i % 7}`, `🔑${i % 4}`][i % 3];
      const value = i % 10 === 9 ? null : i % 10 === 8 ? '' : `value ${i}: ü€😀 "quoted" \\ back`;
      const headers: Array<[string, string | null]> = [
        [['seq', String(i)]],
        [['seq', String(i)], ['dup', 'a'], ['dup', 'b']],
        [['seq', String(i)], ['nothing', null], ['empty', ''], ['utf8', 'ñandú']],
      ][i % 3] as Array<[string, string | null]>;
      return { key, value, headers };
    });
    const text = (s: string | null) => s ?? '<null>';
    const input = lines.map((l) => `${l.headers.map(([n, v]) => `${n}:${text(v)}`).join(',')}\t${text(l.key)}\t${text(l.value)}\n`).join('');
    await javaTool(CONSOLE_PRODUCER, ['--topic', topic, '--property', 'parse.key=true', '--property', 'parse.headers=true', '--property', 'null.marker=<null>'], input);

    const c = consumer(uniqueTopic('g'), [topic]);
    const read = await consumeCount(c, lines.length);
    expect(read.length).toBe(lines.length);
    const seqOf = (r: Record) => Number(r.headers.find(([name]) => name === 'seq')![1]!.toString());
    const bySeq = [...read].sort((a, b) => seqOf(a) - seqOf(b));
    expect(bySeq.map((r) => ({ key: r.key, value: r.payload, headers: r.headers }))).toEqual(
      lines.map((l) => ({ key: buf(l.key), value: buf(l.value), headers: l.headers.map(([n, v]) => [n, buf(v)]) })),
    );
    // A keyed record lands where the Java producer's murmur2 partitioner says.
    for (const [i, r] of bySeq.entries()) if (lines[i].key !== null) expect(r.partition, `key ${lines[i].key}`).toBe(javaPartition(lines[i].key!, partitions));
    // And within each partition the records are in the order they were written.
    for (let p = 0; p < partitions; p++) {
      const seqs = read.filter((r) => r.partition === p).sort((a, b) => a.offset - b.offset).map(seqOf);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    await closeConsumer(c);
  });

  it('with partitioner=murmur2_random, 1,000 keys land on the same partitions of a 7-partition topic as with the Java producer', async () => {
    const topic = uniqueTopic('murmur2');
    const partitions = 7;
    await createTopic(topic, partitions);
    // Keys of every length from 0 (empty, not null) to 40 bytes (murmur2's tail handles length % 4), ASCII and UTF-8.
    const keys = Array.from({ length: 1000 }, (_, i) => {
      if (i === 0) return '';
      const stem = [`k${i}`, `user-${i * 7919}`, `ключ-${i}`, `${i}🔑`, `order/${i}/line/${i % 13}`][i % 5];
      return (stem + '#'.repeat(40)).slice(0, Math.max(stem.length, 1 + (i % 40)));
    });
    expect(new Set(keys).size).toBe(1000);
    await javaTool(CONSOLE_PRODUCER, ['--topic', topic, '--property', 'parse.key=true'], keys.map((k) => `${k}\tjava\n`).join(''));
    const producer = new Producer({ 'bootstrap.servers': bootstrap, partitioner: 'murmur2_random' });
    const ours = await producer.sendBatch(keys.map((key) => ({ topic, key, payload: 'ours' })));
    await producer.close();

    const c = consumer(uniqueTopic('g'), [topic]);
    const read = await consumeCount(c, 2 * keys.length, 60_000);
    expect(read.length).toBe(2 * keys.length);
    const javaPartitions = new Map(read.filter((r) => r.value() === 'java').map((r) => [r.keyString(), r.partition]));
    const ourPartitions = new Map(read.filter((r) => r.value() === 'ours').map((r) => [r.keyString(), r.partition]));
    const expected = keys.map((k) => javaPartition(k, partitions));
    expect(keys.map((k) => javaPartitions.get(k))).toEqual(expected); // the oracle agrees with Java
    expect(keys.map((k) => ourPartitions.get(k))).toEqual(expected);
    expect(ours.map((r) => r.partition)).toEqual(expected); // and the delivery reports say so too
    expect(new Set(expected).size).toBe(partitions); // every partition is used
    await closeConsumer(c);
  });

  it('a consumer group shared by our Consumer and kcat splits the partitions between them', async () => {
    const topic = uniqueTopic('shared-group');
    const group = uniqueTopic('shared');
    const partitions = 4;
    await createTopic(topic, partitions);
    const kcatRun = spawn(KCAT, [
      '-b', bootstrap, '-G', group, '-u', '-f', '%p %o %k %s\\n',
      '-X', 'auto.offset.reset=earliest', '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=500', '-X', 'enable.auto.commit=false',
      topic,
    ]);
    let kcatOut = '';
    let kcatErr = '';
    kcatRun.stdout.setEncoding('utf8').on('data', (text: string) => (kcatOut += text));
    kcatRun.stderr.setEncoding('utf8').on('data', (text: string) => (kcatErr += text));
    const kcatExited = new Promise<number | null>((resolve) => kcatRun.on('close', resolve));
    try {
      const assignments = () => [...kcatErr.matchAll(/rebalanced \(memberid [^)]*\): assigned: (.*)/g)].map((m) => m[1]);
      const until = async (what: string, condition: () => boolean, timeoutMs = 30_000) => {
        const deadline = Date.now() + timeoutMs;
        while (!condition()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; kcat said:\n${kcatErr}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await until('kcat to join the group', () => assignments().length >= 1);
      expect(assignments()[0].match(/\[\d+\]/g)).toHaveLength(partitions); // alone: all of them

      // Our Consumer joins; reading keeps it polling through the rebalance.
      const ours = consumer(group, [topic]);
      const ourRecords: Record[] = [];
      let reading = true;
      const reader = (async () => {
        while (reading) {
          const r = await ours.consumeRecord(100);
          if (r) ourRecords.push(r);
        }
      })();
      await until('the rebalance that gives kcat a share', () => assignments().length >= 2);
      const kcatPartitions = [...assignments()[1].matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])).sort();

      // Only now write: 10 records to each partition.
      const producer = new Producer({ 'bootstrap.servers': bootstrap });
      await producer.sendBatch(Array.from({ length: 10 * partitions }, (_, i) => ({ topic, partition: i % partitions, key: `p${i % partitions}`, payload: `m${i}` })));
      await producer.close();
      const kcatLines = () => kcatOut.split('\n').filter((l) => l.length > 0);
      await until('all 40 records', () => kcatLines().length + ourRecords.length >= 10 * partitions);
      await new Promise((r) => setTimeout(r, 500)); // anything extra would show up now
      reading = false;
      await reader;

      const kcatRecords = kcatLines().map((line) => {
        const [partition, offset, key, value] = line.split(' ');
        return { partition: Number(partition), offset: Number(offset), key, value };
      });
      const ourPartitions = [...new Set(ourRecords.map((r) => r.partition))].sort();
      expect(kcatPartitions.length).toBeGreaterThan(0);
      expect(ourPartitions.length).toBeGreaterThan(0);
      expect([...kcatPartitions, ...ourPartitions].sort()).toEqual([0, 1, 2, 3]); // a split, no overlap
      expect([...new Set(kcatRecords.map((r) => r.partition))].sort()).toEqual(kcatPartitions);
      const all = [...kcatRecords, ...ourRecords.map((r) => ({ partition: r.partition, offset: r.offset, key: r.keyString(), value: r.value() }))];
      expect(all.sort(byPosition)).toEqual(
        Array.from({ length: 10 * partitions }, (_, i) => ({ partition: i % partitions, offset: Math.floor(i / partitions), key: `p${i % partitions}`, value: `m${i}` })).sort(byPosition),
      );
      await closeConsumer(ours);
    } finally {
      kcatRun.kill('SIGTERM');
      await kcatExited;
    }
  });

  it("Kafka's ConsumerGroupCommand --describe shows the offsets our commits made, and our member", async () => {
    const topic = uniqueTopic('described');
    const group = uniqueTopic('described');
    const clientId = uniqueTopic('rdkafka-napi-interop');
    await createTopic(topic, 3);
    const counts = [10, 6, 4];
    const producer = new Producer({ 'bootstrap.servers': bootstrap });
    await producer.sendBatch(counts.flatMap((n, partition) => Array.from({ length: n }, (_, i) => ({ topic, partition, payload: `p${partition}-${i}` }))));
    await producer.close();

    const c = consumer(group, [topic], { 'client.id': clientId });
    const read = await consumeCount(c, 20);
    expect(read.length).toBe(20);
    // Partition 0: processed up to offset 6 (commits 7); partition 1: all 6; partition 2: nothing.
    await c.commit(read.find((r) => r.partition === 0 && r.offset === 6)!);
    await c.commit([{ topic, partition: 1, offset: 6 }]);
    expect([await c.committed(topic, 0), await c.committed(topic, 1), await c.committed(topic, 2)]).toEqual([7, 6, undefined]);

    const out = await javaTool(CONSUMER_GROUP_COMMAND, ['--describe', '--group', group]);
    // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
    const rows = out
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols[0] === group && cols[1] === topic)
      .map(([, , partition, current, end, lag, consumerId, , client]) => ({ partition: Number(partition), current, end, lag, consumerId, client }))
      .sort((a, b) => a.partition - b.partition);
    expect(rows.map(({ partition, current, end, lag, client }) => ({ partition, current, end, lag, client }))).toEqual([
      { partition: 0, current: '7', end: '10', lag: '3', client: clientId },
      { partition: 1, current: '6', end: '6', lag: '0', client: clientId },
      { partition: 2, current: '-', end: '4', lag: '-', client: clientId },
    ]);
    expect(rows[0].consumerId.startsWith(`${clientId}-`)).toBe(true); // our member holds all three
    expect(new Set(rows.map((r) => r.consumerId)).size).toBe(1);
    await closeConsumer(c);
  });
});
