// kafkajs's consumer protocol encoders and assigners, and @confluentinc/kafka-javascript's ErrorCodes
// (librdkafka's names). The resource, ACL and config types are in enums.ts.
import { capi } from '../native';
import { KafkaJSNotImplemented } from './errors';


/**
 * librdkafka's error codes by name (`ERR__QUEUE_FULL: -184`, `ERR_UNKNOWN_TOPIC_OR_PART: 3`), as
 * @confluentinc/kafka-javascript's ErrorCodes: compare them with `error.code`.
 */
export const ErrorCodes: { readonly [name: string]: number } = Object.freeze(
  Object.fromEntries(
    [...Array.from({ length: 200 }, (_, i) => -200 + i), ...Array.from({ length: 200 }, (_, i) => i)]
      .map((code) => [`ERR_${capi.ErrorName(code)}`, code] as const)
      .filter(([name]) => !/^ERR_(ERR_)?-?\d+\??$/.test(name) && !name.startsWith('ERR__BEGIN') && !name.startsWith('ERR__END')),
  ),
);

export type MemberMetadata = { version: number; topics: string[]; userData: Buffer };
export type MemberAssignment = { version: number; assignment: { [topic: string]: number[] }; userData: Buffer };

/** Kafka's consumer protocol structures (big-endian, int16-length strings, int32-length arrays and bytes). */
class Writer {
  readonly #parts: Buffer[] = [];
  int16(n: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    this.#parts.push(b);
    return this;
  }
  int32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    this.#parts.push(b);
    return this;
  }
  string(s: string): this {
    const bytes = Buffer.from(s, 'utf8');
    this.int16(bytes.length);
    this.#parts.push(bytes);
    return this;
  }
  bytes(b: Buffer): this {
    this.int32(b.length);
    this.#parts.push(b);
    return this;
  }
  get buffer(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

class Reader {
  #at = 0;
  constructor(readonly buffer: Buffer) {}
  canRead(bytes: number): boolean {
    return this.#at + bytes <= this.buffer.length;
  }
  int16(): number {
    const n = this.buffer.readInt16BE(this.#at);
    this.#at += 2;
    return n;
  }
  int32(): number {
    const n = this.buffer.readInt32BE(this.#at);
    this.#at += 4;
    return n;
  }
  string(): string {
    const length = this.int16();
    const s = this.buffer.toString('utf8', this.#at, this.#at + length);
    this.#at += length;
    return s;
  }
  bytes(): Buffer {
    const length = this.int32();
    if (length < 0) return Buffer.alloc(0);
    const b = this.buffer.subarray(this.#at, this.#at + length);
    this.#at += length;
    return Buffer.from(b);
  }
  array<T>(item: (r: Reader) => T): T[] {
    const length = this.int32();
    return Array.from({ length: Math.max(0, length) }, () => item(this));
  }
}

export const AssignerProtocol = {
  MemberMetadata: {
    encode({ version, topics, userData = Buffer.alloc(0) }: MemberMetadata): Buffer {
      const w = new Writer().int16(version).int32(topics.length);
      for (const topic of topics) w.string(topic);
      return w.bytes(userData).buffer;
    },
    decode(buffer: Buffer): MemberMetadata {
      const r = new Reader(buffer);
      return { version: r.int16(), topics: r.array((x) => x.string()), userData: r.bytes() };
    },
  },
  MemberAssignment: {
    encode({ version, assignment, userData = Buffer.alloc(0) }: MemberAssignment): Buffer {
      const topics = Object.keys(assignment);
      const w = new Writer().int16(version).int32(topics.length);
      for (const topic of topics) {
        w.string(topic).int32(assignment[topic].length);
        for (const partition of assignment[topic]) w.int32(partition);
      }
      return w.bytes(userData).buffer;
    },
    decode(buffer: Buffer): MemberAssignment | null {
      const r = new Reader(buffer);
      if (!r.canRead(2)) return null;
      const version = r.int16();
      const assignment: { [topic: string]: number[] } = {};
      for (const { topic, partitions } of r.array((x) => ({ topic: x.string(), partitions: x.array((y) => y.int32()) }))) assignment[topic] = partitions;
      return { version, assignment, userData: r.bytes() };
    },
  },
};

/** A partition assigner: librdkafka assigns, with the strategy named in `librdkafkaName`. */
export interface PartitionAssigner {
  (config: { cluster?: unknown; groupId?: string; logger?: unknown }): { name: string; version: number; assign(): Promise<never>; protocol(): never };
  readonly librdkafkaName: string;
}

function assigner(name: string, librdkafkaName: string): PartitionAssigner {
  const notHere = (): never => {
    throw new KafkaJSNotImplemented(`${name} runs inside librdkafka (partition.assignment.strategy=${librdkafkaName}); it cannot be called from JavaScript`);
  };
  const create = () => ({ name, version: 0, assign: async () => notHere(), protocol: notHere });
  return Object.assign(create, { librdkafkaName });
}

/** kafkajs's roundRobin, and @confluentinc/kafka-javascript's range and cooperativeSticky. */
export const PartitionAssigners = {
  roundRobin: assigner('RoundRobinAssigner', 'roundrobin'),
  range: assigner('RangeAssigner', 'range'),
  cooperativeSticky: assigner('CooperativeStickyAssigner', 'cooperative-sticky'),
};
