// kafkajs's partitioners: the default one (the Java client's murmur2 placement, which librdkafka's
// `murmur2_random` partitioner also has, so the producer leaves keyed messages to librdkafka) and
// the legacy one (kafkajs 1.x's murmur2, whose arithmetic on doubles gives other placements).
import { randomBytes } from 'node:crypto';

export interface PartitionMetadata {
  partitionErrorCode: number;
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas?: number[];
}

export interface IHeaders {
  [key: string]: Buffer | string | (Buffer | string)[] | undefined;
}

/** A message to send, as kafkajs takes it (and a partitioner sees it). */
export interface Message {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  headers?: IHeaders;
  timestamp?: string;
}

export interface PartitionerArgs {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  message: Message;
}

export type ICustomPartitioner = () => (args: PartitionerArgs) => number;

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

function keyBytes(key: unknown): Buffer {
  return Buffer.isBuffer(key) ? key : Buffer.from(String(key));
}

/** The Java client's murmur2 (32-bit integer arithmetic), as a signed 32-bit integer. */
export function murmur2(key: Buffer | string): number {
  const data = keyBytes(key);
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & 3;
  if (tail === 3) h ^= data[whole + 2] << 16;
  if (tail >= 2) h ^= data[whole + 1] << 8;
  if (tail >= 1) h = Math.imul(h ^ data[whole], M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * kafkajs 1.x's murmur2: the same steps on JavaScript numbers, whose products lose bits past
 * 2^53, and a loop that reads past the last whole word. Kept step for step: its placements are
 * what LegacyPartitioner users have in their topics.
 */
export function legacyMurmur2(key: Buffer | string): number {
  const data = keyBytes(key);
  const length = data.length;
  const byte = (i: number): number => (i < length ? data[i] : 0); // past the end reads as 0
  let h = SEED ^ length;
  for (let i = 0; i < length / 4; i++) {
    const at = i * 4;
    let k = byte(at) + (byte(at + 1) << 8) + (byte(at + 2) << 16) + (byte(at + 3) << 24);
    k *= M;
    k ^= k >>> 24;
    k *= M;
    h *= M;
    h ^= k;
  }
  const tail = length % 4;
  const whole = length & ~3;
  if (tail === 3) h ^= data[whole + 2] << 16;
  if (tail >= 2) h ^= data[whole + 1] << 8;
  if (tail >= 1) {
    h ^= data[whole];
    h *= M;
  }
  h ^= h >>> 13;
  h *= M;
  h ^= h >>> 15;
  return h;
}

const toPositive = (x: number): number => x & 0x7fffffff;

/** kafkajs's placement: the given partition, else the key's hash, else round robin over partitions with a leader. */
function partitionerFor(hash: (key: Buffer | string) => number): ICustomPartitioner {
  return () => {
    const counters = new Map<string, number>();
    return ({ topic, partitionMetadata, message }) => {
      let counter = counters.get(topic) ?? randomBytes(4).readUInt32BE(0);
      if (message.partition !== null && message.partition !== undefined) return message.partition;
      if (message.key !== null && message.key !== undefined) return toPositive(hash(message.key)) % partitionMetadata.length;
      counters.set(topic, ++counter);
      const available = partitionMetadata.filter((p) => p.leader >= 0);
      if (available.length > 0) return available[toPositive(counter) % available.length].partitionId;
      return toPositive(counter) % partitionMetadata.length;
    };
  };
}

export const DefaultPartitioner: ICustomPartitioner = partitionerFor(murmur2);
export const LegacyPartitioner: ICustomPartitioner = partitionerFor(legacyMurmur2);

export const Partitioners = {
  DefaultPartitioner,
  LegacyPartitioner,
  /** @deprecated kafkajs 2 renamed it DefaultPartitioner. */
  JavaCompatiblePartitioner: DefaultPartitioner,
};
