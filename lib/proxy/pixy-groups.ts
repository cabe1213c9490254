// Kafka-Pixy's consumer side: one core Consumer per (group, topic), joined on first use and left
// after an idle period; acks decide what is committed. By default a message is acked as it is
// handed out (at-most-once); with noAck the committed offset is the lowest unacked one, and a
// message unacked past the ack timeout is offered again.
import { Consumer } from '../consumer';
import type { Logger } from '../logger';
import { KafkaError } from '../errors';
import type { Record } from '../record';
import { IdleClock } from './idle-clock';
import { GROUP_HAS_MEMBERS, PixyError, type PixyClusterView } from './pixy';

/** What a (group, topic) consumer needs of the cluster before it joins the group. */
export type GroupOffsetsView = Pick<PixyClusterView, 'partitions' | 'committedOffsets' | 'watermarks' | 'setOffsets'>;

export interface PixyGroupOptions {
  consumerConfig: { [key: string]: string | number | boolean };
  /** The proxy's logger: the consumers' librdkafka lines and errors go there. */
  logger?: Logger;
  /** Leave the group after this long without consume requests (Kafka-Pixy: 15 s). */
  idleTimeoutMs: number;
  /** Offer an unacked message again after this long (Kafka-Pixy: 5 min). */
  ackTimeoutMs: number;
  /** At most this many (group, topic) consumers at once (pixy.max.consumers). */
  maxConsumers: number;
  /** Where a new group's initial offsets are read and stored. */
  cluster: GroupOffsetsView;
  /** Called with each message handed out (for /metrics). */
  onConsumed?: (records: Record[]) => void;
}

interface Offered {
  record: Record;
  offeredAt: number;
}

export class PixyGroupConsumer {
  #consumer: Consumer | undefined;
  /** Settles once the group's initial offsets are fixed and the consumer has subscribed. */
  readonly ready: Promise<void>;
  readonly idleClock = new IdleClock();
  /** partition -> offset -> the message handed out and not yet acked. */
  readonly #unacked = new Map<number, Map<number, Offered>>();
  /** partition -> the offset to commit (the next one not yet acked). */
  readonly #position = new Map<number, number>();
  /** partition -> the initial offset, when Kafka would not store it (the group had members elsewhere). */
  readonly #startAt = new Map<number, number>();
  #committed = '';
  #closed = false;
  readonly #timer: NodeJS.Timeout;
  /** Partitions this process has handed out messages from. */
  readonly handedOut = new Set<number>();

  constructor(
    readonly group: string,
    readonly topic: string,
    readonly options: PixyGroupOptions,
  ) {
    // The first request waits for this: no message produced after its answer can precede the start.
    const over = this.idleClock.use();
    this.ready = this.#start().finally(over);
    this.ready.catch(() => undefined); // the requests waiting on it report the failure
    this.#timer = setInterval(() => void this.commit().catch(() => undefined), 1000);
    this.#timer.unref();
  }

  /**
   * Fixes the group's initial offsets (the end offsets now) for partitions it has no committed
   * offset for, stores them in Kafka, then joins the group.
   */
  async #start(): Promise<void> {
    const { cluster } = this.options;
    const partitions = await cluster.partitions(this.topic);
    if (partitions === undefined) throw new PixyError(404, `Unknown topic ${this.topic}`);
    const committed = await cluster.committedOffsets(this.group, this.topic);
    const missing = partitions.filter(({ partition }) => !committed.has(partition));
    const initial = await Promise.all(missing.map(async ({ partition }) => ({ partition, offset: (await cluster.watermarks(this.topic, partition)).high })));
    if (initial.length > 0) {
      try {
        await cluster.setOffsets(this.group, this.topic, initial);
      } catch (error) {
        if (!(error instanceof KafkaError && GROUP_HAS_MEMBERS.has(error.code))) throw error;
        for (const { partition, offset } of initial) this.#startAt.set(partition, offset);
      }
    }
    if (this.#closed) return;
    this.#consumer = new Consumer({
      ...this.options.consumerConfig,
      'group.id': this.group,
      // Without stored offsets, read from the beginning and skip to the initial offsets (see next);
      // with them, a partition added to the topic later starts at its end.
      'auto.offset.reset': this.#startAt.size > 0 ? 'earliest' : 'latest',
      // Commits follow acks, not librdkafka's timer.
      'enable.auto.commit': false,
    }, [this.topic], { logger: this.options.logger });
  }

  /** The next message: one whose ack timed out, or a new one (waits up to `timeoutMs`). */
  async next(timeoutMs: number, autoAck: boolean): Promise<Record | undefined> {
    const over = this.idleClock.use();
    let record: Record | undefined;
    try {
      const deadline = Date.now() + timeoutMs;
      await this.ready;
      record = this.#overdue();
      while (record === undefined) {
        record = await this.#take(Math.max(0, deadline - Date.now()));
        if (record === undefined) break;
        const start = this.#startAt.get(record.partition);
        if (start === undefined || record.offset >= start) {
          this.#startAt.delete(record.partition);
          break;
        }
        // Older than the group's initial offset: skip to it (records read ahead are dropped).
        try {
          this.#consumer?.seek(this.topic, record.partition, start);
        } catch {
          // The partition was revoked meanwhile: its next owner reads it, and this record is not ours.
        }
        record = undefined;
      }
    } finally {
      over();
    }
    if (record === undefined) return undefined;
    this.handedOut.add(record.partition);
    if (!this.#position.has(record.partition)) this.#position.set(record.partition, record.offset);
    if (autoAck) {
      this.ack(record.partition, record.offset);
    } else {
      let offered = this.#unacked.get(record.partition);
      if (offered === undefined) this.#unacked.set(record.partition, (offered = new Map()));
      offered.set(record.offset, { record, offeredAt: Date.now() });
    }
    this.options.onConsumed?.([record]);
    return record;
  }

  #take(timeoutMs: number): Promise<Record | undefined> {
    if (this.#consumer === undefined) return Promise.resolve(undefined); // closed while starting
    return this.#consumer.consumeRecord(timeoutMs);
  }

  /** Acks one message; false when this process never handed out that partition. */
  ack(partition: number, offset: number): boolean {
    if (!this.handedOut.has(partition)) return false;
    this.#unacked.get(partition)?.delete(offset);
    const unacked = this.#unacked.get(partition);
    const lowest = unacked !== undefined && unacked.size > 0 ? Math.min(...unacked.keys()) : undefined;
    const position = this.#position.get(partition) ?? 0;
    // Committed = the lowest unacked offset, or just past everything acked.
    this.#position.set(partition, lowest ?? Math.max(position, offset + 1));
    return true;
  }

  #overdue(): Record | undefined {
    const now = Date.now();
    for (const offered of this.#unacked.values()) {
      for (const entry of offered.values()) {
        if (now - entry.offeredAt >= this.options.ackTimeoutMs) {
          entry.offeredAt = now;
          return entry.record;
        }
      }
    }
    return undefined;
  }

  async commit(): Promise<void> {
    const offsets = [...this.#position].map(([partition, offset]) => ({ topic: this.topic, partition, offset }));
    const key = JSON.stringify(offsets);
    if (this.#consumer === undefined || offsets.length === 0 || key === this.#committed) return;
    await this.#consumer.commit(offsets);
    this.#committed = key;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.ready.catch(() => undefined);
    if (this.#consumer === undefined) return;
    await this.commit().catch(() => undefined);
    await this.#consumer.close();
  }
}

/** Every (group, topic) consumer of this process, each left after its idle timeout. */
export class PixyGroups {
  readonly #consumers = new Map<string, PixyGroupConsumer>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(readonly options: PixyGroupOptions) {
    this.#sweeper = setInterval(() => void this.expire(), Math.max(100, Math.min(1000, options.idleTimeoutMs / 4)));
    this.#sweeper.unref();
  }

  /**
   * The (group, topic) consumer, created on first use: it answers once the group's initial
   * offsets are stored. 404 for an unknown topic, 429 when pixy.max.consumers are in use.
   */
  async get(group: string, topic: string): Promise<PixyGroupConsumer> {
    const key = `${group}\0${topic}`;
    let consumer = this.#consumers.get(key);
    if (consumer === undefined) {
      if (this.#consumers.size >= this.options.maxConsumers) void this.expire(); // frees the idle ones' slots at once
      if (this.#consumers.size >= this.options.maxConsumers) {
        throw new PixyError(429, `Too many group consumers: this proxy serves at most ${this.options.maxConsumers} (group, topic) pairs at once (pixy.max.consumers); one leaves after ${this.options.idleTimeoutMs} ms without consume requests`);
      }
      this.#consumers.set(key, (consumer = new PixyGroupConsumer(group, topic, this.options)));
      const created = consumer;
      // A consumer that could not start keeps no slot: the next request tries again.
      created.ready.catch(() => {
        if (this.#consumers.get(key) === created) this.#consumers.delete(key);
        void created.close();
      });
    }
    try {
      await consumer.ready;
    } catch (error) {
      if (error instanceof PixyError) throw error;
      throw new PixyError(error instanceof KafkaError && error.retriable ? 503 : 500, `Group ${group} could not start on ${topic}: ${(error as Error).message}`);
    }
    return consumer;
  }

  find(group: string, topic: string): PixyGroupConsumer | undefined {
    return this.#consumers.get(`${group}\0${topic}`);
  }

  all(): PixyGroupConsumer[] {
    return [...this.#consumers.values()];
  }

  /** Closes the consumers idle longer than the idle timeout (their slots are free at once). */
  async expire(now = Date.now()): Promise<void> {
    const idle = [...this.#consumers].filter(([, c]) => c.idleClock.idle(now, this.options.idleTimeoutMs));
    for (const [key] of idle) this.#consumers.delete(key);
    await Promise.all(idle.map(([, c]) => c.close().catch(() => undefined)));
  }

  async closeAll(): Promise<void> {
    clearInterval(this.#sweeper);
    const all = [...this.#consumers.values()];
    this.#consumers.clear();
    await Promise.all(all.map((c) => c.close().catch(() => undefined)));
  }
}
