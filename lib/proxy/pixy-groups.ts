// Kafka-Pixy's consumer side: one core Consumer per (group, topic), joined on first use and left
// after an idle period; acks decide what is committed. By default a message is acked as it is
// handed out (at-most-once); with noAck the committed offset is the lowest unacked one, and a
// message unacked past the ack timeout is offered again.
import { Consumer } from '../consumer';
import type { Record } from '../record';
import { IdleClock } from './idle-clock';

export interface PixyGroupOptions {
  consumerConfig: { [key: string]: string | number | boolean };
  /** Leave the group after this long without consume requests (Kafka-Pixy: 15 s). */
  idleTimeoutMs: number;
  /** Offer an unacked message again after this long (Kafka-Pixy: 5 min). */
  ackTimeoutMs: number;
}

interface Offered {
  record: Record;
  offeredAt: number;
}

export class PixyGroupConsumer {
  readonly consumer: Consumer;
  readonly idleClock = new IdleClock();
  /** partition -> offset -> the message handed out and not yet acked. */
  readonly #unacked = new Map<number, Map<number, Offered>>();
  /** partition -> the offset to commit (the next one not yet acked). */
  readonly #position = new Map<number, number>();
  #committed = '';
  readonly #timer: NodeJS.Timeout;
  /** Partitions this process has handed out messages from. */
  readonly handedOut = new Set<number>();

  constructor(
    readonly group: string,
    readonly topic: string,
    readonly options: PixyGroupOptions,
  ) {
    this.consumer = new Consumer({
      ...options.consumerConfig,
      'group.id': group,
      // A new group starts from the newest offset; commits follow acks, not librdkafka's timer.
      'auto.offset.reset': 'latest',
      'enable.auto.commit': false,
    }, [topic]);
    this.#timer = setInterval(() => void this.commit().catch(() => undefined), 1000);
    this.#timer.unref();
  }

  /** The next message: one whose ack timed out, or a new one (waits up to `timeoutMs`). */
  async next(timeoutMs: number, autoAck: boolean): Promise<Record | undefined> {
    const over = this.idleClock.use();
    let record: Record | undefined;
    try {
      record = this.#overdue() ?? (await this.consumer.consumeRecord(timeoutMs));
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
    return record;
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
    if (offsets.length === 0 || key === this.#committed) return;
    await this.consumer.commit(offsets);
    this.#committed = key;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.commit().catch(() => undefined);
    await this.consumer.close();
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

  get(group: string, topic: string): PixyGroupConsumer {
    const key = `${group}\0${topic}`;
    let consumer = this.#consumers.get(key);
    if (consumer === undefined) this.#consumers.set(key, (consumer = new PixyGroupConsumer(group, topic, this.options)));
    return consumer;
  }

  find(group: string, topic: string): PixyGroupConsumer | undefined {
    return this.#consumers.get(`${group}\0${topic}`);
  }

  all(): PixyGroupConsumer[] {
    return [...this.#consumers.values()];
  }

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
