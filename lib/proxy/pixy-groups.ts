// Kafka-Pixy's consumer side: one core Consumer per (group, topic), joined on first use and left
// after an idle period; acks decide what is committed. By default a message is acked as it is
// handed out (at-most-once); with noAck the committed offset is the lowest unacked one, and a
// message unacked past the ack timeout is offered again. Where the native front end serves the
// requests, a consumer leases its buffered records to it (HandOutDesk): the front end answers
// consume requests from them without JavaScript, and the consumer does the bookkeeping of what it
// handed out and acked, in order, as if it had answered those requests itself.
import { Consumer, type RebalanceEvent } from '../consumer';
import type { Logger } from '../logger';
import { KafkaError } from '../errors';
import { Fifo } from '../fifo';
import type { Record } from '../record';
import type { Cancellation } from './cancellation';
import { IdleClock } from './idle-clock';
import { GROUP_HAS_MEMBERS, PixyError, recordBody, type PixyClusterView } from './pixy';

/** What a (group, topic) consumer needs of the cluster before it joins the group. */
export type GroupOffsetsView = Pick<PixyClusterView, 'partitions' | 'committedOffsets' | 'watermarks' | 'setOffsets'>;

/**
 * Where a consumer's records are handed out without JavaScript: the native front end
 * (HttpFrontLease and HttpFrontTake in native/http_front.cc).
 */
export interface HandOutDesk {
  /**
   * Records for (group, topic)'s consume requests, after those the desk holds: `partitions` theirs,
   * `bodies` their answers, a line each; `handedOut` the partitions an ack may name; from `until`
   * (Date.now()) on, the desk leaves the requests to the consumer.
   */
  lease(group: string, topic: string, partitions: Int32Array, bodies: string, handedOut: Int32Array, until: number): void;
  /**
   * What the desk did since the last call, in order, DESK_ENTRY numbers each: [HANDED_OUT_ACKED or
   * 1 (handed out, not acked), partition, -, Date.now()] for the lease's next record, [ACKED,
   * partition, offset, Date.now()] for an ack. `reclaim`: the desk hands out no more.
   */
  take(group: string, topic: string, reclaim: boolean): Float64Array;
}
const DESK_ENTRY = 4;
const HANDED_OUT_ACKED = 0;
const ACKED = 2;

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
  /** Called with the messages handed out (for /metrics). */
  onConsumed?: (records: Record[]) => void;
  /** Where the consumers lease their records, while the native front end runs. */
  desk?: HandOutDesk;
}

interface Offered {
  record: Record;
  offeredAt: number;
}

/** A partition's messages handed out and not yet acked, in the order offered (see #overdue). */
class Unacked {
  readonly offered = new Map<number, Offered>();
  /** Offered in ascending offsets since the map was last empty: its first entry is the lowest. */
  #ascending = true;
  #last = -1;

  add(record: Record, offeredAt: number): void {
    // Deleted first, so that the map stays in the order offered.
    this.offered.delete(record.offset);
    if (record.offset <= this.#last) this.#ascending = false;
    this.#last = record.offset;
    this.offered.set(record.offset, { record, offeredAt });
  }

  delete(offset: number): void {
    this.offered.delete(offset);
    if (this.offered.size > 0) return;
    this.#ascending = true;
    this.#last = -1;
  }

  /** The message offered longest ago (the first: the map is in the order offered). */
  oldest(): Offered | undefined {
    return this.offered.values().next().value;
  }

  /** The lowest offset not acked: without a scan while they were offered in order (most acks). */
  lowest(): number | undefined {
    if (this.#ascending) return this.offered.keys().next().value;
    let lowest: number | undefined;
    for (const offset of this.offered.keys()) if (lowest === undefined || offset < lowest) lowest = offset;
    return lowest;
  }
}

/** A consume request waiting for a record while none is buffered. */
interface Waiter {
  resolve: (record: Record | undefined) => void;
  reject: (error: unknown) => void;
  deadline: number;
  timer: NodeJS.Timeout;
  done: boolean;
}

/**
 * At most this many records are taken from the consumer in one native call and handed out one
 * per request: a call, a promise and a commit per batch instead of per request.
 */
const BATCH = 256;
/** ... and at most about this many bytes of them (keys and values), judged by the last batch. */
const BATCH_BYTES = 1024 * 1024;
/**
 * While requests are answered from the buffer, a read of what fits is made at least this often:
 * the group's rebalances come with reads, and a member joining would otherwise wait for the
 * buffer to drain.
 */
const POLL_MS = 50;

export class PixyGroupConsumer {
  #consumer: Consumer | undefined;
  /** Settles once the group's initial offsets are fixed and the consumer has subscribed. */
  readonly ready: Promise<void>;
  /** `ready` resolved: requests need not wait for it (a promise turn less per request). */
  started = false;
  readonly idleClock = new IdleClock();
  /** partition -> its messages handed out and not yet acked. */
  readonly #unacked = new Map<number, Unacked>();
  /** partition -> the offset to commit (the next one not yet acked). */
  readonly #position = new Map<number, number>();
  /** partition -> the offset after the highest one handed out. */
  readonly #handedUpTo = new Map<number, number>();
  /** partition -> the initial offset, when Kafka would not store it (the group had members elsewhere). */
  readonly #startAt = new Map<number, number>();
  /** Records taken from the consumer and not yet handed out, in order (at most #batchSize). */
  readonly #buffer = new Fifo<Record>();
  #batchSize = BATCH;
  /** Requests waiting while the buffer is empty, oldest first. */
  readonly #waiting = new Fifo<Waiter>();
  /** The latest deadline of a waiting request: the batch read waits no longer. */
  #latestDeadline = 0;
  #reading = false;
  #lastRead = 0;
  /** The last read got all it asked for: the consumer likely has more records at hand. */
  #moreAtHand = false;
  /** Partitions the group assigns to this consumer now (from its rebalance events). */
  readonly #owned = new Set<number>();
  #committed = '';
  #closed = false;
  readonly #timer: NodeJS.Timeout;
  /** Records leased to the desk that it has not reported handed out, in order (before the buffer's). */
  readonly #leased = new Fifo<Record>();
  /** The desk holds a lease of this consumer (possibly emptied). */
  #leaseOpen = false;
  #offerQueued = false;
  /** While a lease is open: what the desk handed out is taken every POLL_MS (its reads come with it). */
  #deskTimer: NodeJS.Timeout | undefined;
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
    this.ready.then(() => (this.started = true), () => undefined); // the requests waiting on it report a failure
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
    }, [this.topic], { logger: this.options.logger, onRebalance: (event) => this.#rebalanced(event) });
  }

  /** Buffered records of a revoked partition are dropped: its next owner reads them. */
  #rebalanced(event: RebalanceEvent): void {
    if (event.type === 'revoke') this.#fromDesk(true);
    const partitions = event.partitions.filter((p) => p.topic === this.topic).map((p) => p.partition);
    if (event.type === 'assign') {
      for (const partition of partitions) this.#owned.add(partition);
    } else if (event.type === 'revoke') {
      for (const partition of partitions) {
        this.#owned.delete(partition);
        // Committed before the read that served this revoke; from now on its owner commits it.
        this.#position.delete(partition);
        this.#handedUpTo.delete(partition);
        this.#unacked.delete(partition);
      }
      const kept = this.#buffer.drain().filter((record) => this.#owned.has(record.partition));
      for (const record of kept) this.#buffer.push(record);
    }
  }

  /**
   * The next message: one whose ack timed out, or a new one (waits up to `timeoutMs`).
   * Undefined once `cancel` fires (its client went away): no message is handed out then.
   */
  async next(timeoutMs: number, autoAck: boolean, cancel?: Cancellation): Promise<Record | undefined> {
    const over = this.idleClock.use();
    let record: Record | undefined;
    try {
      const deadline = Date.now() + timeoutMs;
      if (!this.started) await this.ready;
      if (cancel?.cancelled) return undefined;
      this.#fromDesk(true); // the desk's records come before the buffer's
      record = this.#overdue() ?? this.#buffer.shift() ?? (await this.#wait(deadline, cancel));
    } finally {
      over();
    }
    return record === undefined ? undefined : this.#handOut(record, autoAck);
  }

  /**
   * next() when a message is at hand (overdue or buffered) on a started consumer, without a
   * promise: the consume route answers it in the same turn. Undefined: call next(), which waits.
   */
  nextAtHand(autoAck: boolean): Record | undefined {
    if (!this.started) return undefined;
    this.#fromDesk(true); // the desk's records come before the buffer's
    const record = this.#overdue() ?? this.#buffer.shift();
    if (record === undefined) return undefined;
    this.idleClock.touch();
    return this.#handOut(record, autoAck);
  }

  /** The bookkeeping of a message handed out to a request: its position, unacked entry, metrics. */
  #handOut(record: Record, autoAck: boolean): Record {
    this.#handedOut(record, autoAck, Date.now());
    this.options.onConsumed?.([record]);
    this.#poll(); // after the record's position is set: the poll's commit must cover it
    this.#offerSoon(); // what is left in the buffer
    return record;
  }

  /** A message's position and unacked entry, `at` when it was handed out. */
  #handedOut(record: Record, autoAck: boolean, at: number): void {
    this.handedOut.add(record.partition);
    if (!this.#position.has(record.partition)) this.#position.set(record.partition, record.offset);
    if (record.offset >= (this.#handedUpTo.get(record.partition) ?? 0)) this.#handedUpTo.set(record.partition, record.offset + 1);
    if (autoAck) {
      this.#ack(record.partition, record.offset);
    } else {
      let unacked = this.#unacked.get(record.partition);
      if (unacked === undefined) this.#unacked.set(record.partition, (unacked = new Unacked()));
      unacked.add(record, at);
    }
  }

  /**
   * Leases the buffer's records to the desk once this turn's requests are served (the requests
   * of one turn then take from the buffer, not from a lease each of them would take back).
   */
  #offerSoon(): void {
    if (this.options.desk === undefined || this.#offerQueued) return;
    this.#offerQueued = true;
    queueMicrotask(() => {
      this.#offerQueued = false;
      this.#offer();
    });
  }

  /** Leases buffered records to the desk, up to #batchSize records leased (requests waiting here take them first). */
  #offer(): void {
    const desk = this.options.desk;
    if (desk === undefined || this.#closed || !this.started || this.#buffer.length === 0 || this.#hasWaiters()) return;
    this.#fromDesk(false);
    const records = this.#buffer.take(Math.max(0, this.#batchSize - this.#leased.length));
    if (records.length === 0) return;
    const partitions = new Int32Array(records.length);
    let bodies = '';
    for (let i = 0; i < records.length; i++) {
      partitions[i] = records[i].partition;
      bodies += `${recordBody(records[i])}\n`;
      this.#leased.push(records[i]);
    }
    // The desk hands out nothing once a message's ack times out (#overdue goes first), nor once one
    // it hands out unacked from now on could.
    const now = Date.now();
    let until = now + this.options.ackTimeoutMs;
    for (const unacked of this.#unacked.values()) {
      const oldest = unacked.oldest();
      if (oldest !== undefined) until = Math.min(until, oldest.offeredAt + this.options.ackTimeoutMs);
    }
    desk.lease(this.group, this.topic, partitions, bodies, Int32Array.from(this.handedOut), until);
    this.#leaseOpen = true;
    this.#deskTimer ??= setInterval(() => {
      if (this.#leased.length > 0 && this.#fromDesk(false) > 0) this.#poll();
    }, POLL_MS).unref();
  }

  /**
   * Does the bookkeeping of what the desk handed out and acked since the last call, in its order.
   * `reclaim`: the lease ends, and the records the desk did not hand out go back to the buffer's
   * front. Returns how many records the desk handed out.
   */
  #fromDesk(reclaim: boolean): number {
    const desk = this.options.desk;
    if (desk === undefined || this.#leased.length === 0) return 0;
    const log = desk.take(this.group, this.topic, reclaim);
    const handed: Record[] = [];
    for (let i = 0; i < log.length; i += DESK_ENTRY) {
      if (log[i] === ACKED) {
        this.#ack(log[i + 1], log[i + 2]);
      } else {
        const record = this.#leased.shift()!;
        this.#handedOut(record, log[i] === HANDED_OUT_ACKED, log[i + 3]);
        handed.push(record);
      }
    }
    if (handed.length > 0) {
      this.idleClock.touch();
      this.options.onConsumed?.(handed);
    }
    if (reclaim) {
      this.#buffer.unshift(this.#leased.drain());
      this.#leaseOpen = false;
    }
    return handed.length;
  }

  /** The desk's lease runs low: takes what it handed out (a read ahead may follow) and leases more. */
  refill(): void {
    if (this.#fromDesk(false) > 0) this.#poll();
    this.#offer();
  }

  /** Brings the bookkeeping (commits, idle time, /metrics) up to what the desk handed out. */
  catchUp(): void {
    this.#fromDesk(false);
  }

  /** Takes back what is leased to the desk: it is going away. */
  leaveDesk(): void {
    this.#fromDesk(true);
    if (this.#leaseOpen) this.options.desk?.take(this.group, this.topic, true);
    this.#leaseOpen = false;
    clearInterval(this.#deskTimer);
    this.#deskTimer = undefined;
  }

  /** Waits for the next batch read (or the deadline: undefined). */
  #wait(deadline: number, cancel: Cancellation | undefined): Promise<Record | undefined> {
    if (this.#consumer === undefined || this.#closed) return Promise.resolve(undefined); // closed while starting
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, deadline, done: false, timer: setTimeout(() => this.#settle(waiter, undefined), Math.max(0, deadline - Date.now())) };
      // A cancelled waiter is done: the reads skip it, and its record goes to the next one.
      cancel?.onCancel(() => this.#settle(waiter, undefined));
      this.#waiting.push(waiter);
      this.#latestDeadline = Math.max(this.#latestDeadline, deadline);
      void this.#read();
    });
  }

  #settle(waiter: Waiter, outcome: Record | undefined, error?: unknown): void {
    if (waiter.done) return;
    waiter.done = true;
    clearTimeout(waiter.timer);
    if (error !== undefined) waiter.reject(error);
    else waiter.resolve(outcome);
  }

  /** Reads batches while requests wait; one read at a time, so records stay in order. */
  async #read(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    this.#lastRead = Date.now();
    try {
      while (!this.#closed && this.#hasWaiters()) {
        // Queued before the read, so before any revoke that read applies: librdkafka sends it
        // before it rejoins, and the partition's next owner starts after what was handed out.
        this.commit().catch(() => undefined);
        let batch: Record[];
        try {
          batch = await this.#consumer!.consumeBatch(this.#batchSize, Math.max(0, this.#latestDeadline - Date.now()));
          this.#moreAtHand = batch.length === this.#batchSize;
        } catch (error) {
          for (const waiter of this.#waiting.drain()) this.#settle(waiter, undefined, error);
          return;
        }
        if (this.#closed) return;
        this.#accept(batch);
        while (this.#hasWaiters() && this.#buffer.length > 0) this.#settle(this.#waiting.shift()!, this.#buffer.shift());
        this.#offerSoon();
        // A read that found nothing may end before the waiters' timers run: answer those due now,
        // or this loop would spin on reads of 0 ms without letting the timers run.
        if (batch.length === 0) {
          const now = Date.now();
          while (this.#waiting.peek() !== undefined && this.#waiting.peek()!.deadline <= now) this.#settle(this.#waiting.shift()!, undefined);
        }
      }
    } finally {
      this.#reading = false;
    }
  }

  /**
   * A read of what fits in the buffer, without waiting: once 3/4 of the buffer is handed out while
   * the consumer has more at hand (requests then seldom find it empty and wait for a read), and
   * when none ran for POLL_MS (see there).
   */
  #poll(): void {
    if (this.#reading || this.#closed || this.#consumer === undefined) return;
    const readAhead = this.#moreAtHand && this.#buffer.length + this.#leased.length <= this.#batchSize / 4;
    if (!readAhead && Date.now() - this.#lastRead < POLL_MS) return;
    this.#reading = true;
    this.#lastRead = Date.now();
    this.commit().catch(() => undefined); // before any revoke this read applies, as in #read
    const wanted = Math.max(1, this.#batchSize - this.#buffer.length - this.#leased.length);
    this.#consumer
      .consumeBatch(wanted, 0)
      .then((batch) => {
        this.#moreAtHand = batch.length === wanted;
        if (this.#closed) return;
        this.#accept(batch);
        this.#offerSoon();
      }, () => undefined) // a fatal error surfaces with the next read's requests
      .finally(() => {
        this.#reading = false;
        if (this.#hasWaiters()) void this.#read();
      });
  }

  #hasWaiters(): boolean {
    for (let waiter = this.#waiting.peek(); waiter !== undefined; waiter = this.#waiting.peek()) {
      if (!waiter.done) return true;
      this.#waiting.shift();
    }
    return false;
  }

  /**
   * Buffers a batch's records of partitions this consumer still owns. A partition's records
   * older than the group's initial offset make it skip there: librdkafka then reads it again from
   * that offset, so none of its records of this batch is kept.
   */
  #accept(batch: Record[]): void {
    let sought: Set<number> | undefined;
    let bytes = 0;
    for (const record of batch) {
      bytes += (record.payload?.length ?? 0) + (record.key?.length ?? 0);
      const { partition } = record;
      if (!this.#owned.has(partition) || sought?.has(partition)) continue;
      const start = this.#startAt.get(partition);
      if (start !== undefined) {
        if (record.offset < start) {
          (sought ??= new Set()).add(partition);
          try {
            this.#consumer?.seek(this.topic, partition, start);
          } catch {
            // The partition was revoked meanwhile: its next owner reads it, and this record is not ours.
          }
          continue;
        }
        this.#startAt.delete(partition);
      }
      this.#buffer.push(record);
    }
    if (batch.length > 0) this.#batchSize = Math.max(1, Math.min(BATCH, Math.floor((BATCH_BYTES * batch.length) / Math.max(1, bytes))));
  }

  /** Acks one message; false when this process never handed out that partition. */
  ack(partition: number, offset: number): boolean {
    this.#fromDesk(false);
    return this.#ack(partition, offset);
  }

  #ack(partition: number, offset: number): boolean {
    if (!this.handedOut.has(partition)) return false;
    if (!this.#owned.has(partition)) return true; // revoked: its new owner reads from the committed offset
    const unacked = this.#unacked.get(partition);
    unacked?.delete(offset);
    const lowest = unacked?.lowest();
    const position = this.#position.get(partition) ?? 0;
    // Committed = the lowest unacked offset, or, all acked, just past the last one handed out
    // (not past the acked one: acks come in any order, and an offset never handed out commits nothing).
    this.#position.set(partition, lowest ?? Math.max(position, this.#handedUpTo.get(partition) ?? position));
    return true;
  }

  #overdue(): Record | undefined {
    const now = Date.now();
    for (const unacked of this.#unacked.values()) {
      // The partition has nothing overdue unless the message offered longest ago is.
      const oldest = unacked.oldest();
      if (oldest !== undefined && now - oldest.offeredAt >= this.options.ackTimeoutMs) {
        oldest.offeredAt = now;
        return oldest.record;
      }
    }
    return undefined;
  }

  async commit(): Promise<void> {
    this.#fromDesk(false);
    const offsets = [...this.#position].map(([partition, offset]) => ({ topic: this.topic, partition, offset }));
    const key = JSON.stringify(offsets);
    if (this.#consumer === undefined || offsets.length === 0 || key === this.#committed) return;
    await this.#consumer.commit(offsets);
    this.#committed = key;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.leaveDesk();
    // Records read but not handed out are not committed: the group's next reader gets them.
    this.#buffer.drain();
    for (const waiter of this.#waiting.drain()) this.#settle(waiter, undefined);
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

  /**
   * Where the consumers lease their records from now on (the native front end started), or, with
   * undefined, no longer (it stops): what they leased comes back first.
   */
  useDesk(desk: HandOutDesk | undefined): void {
    if (desk === undefined) for (const consumer of this.#consumers.values()) consumer.leaveDesk();
    this.options.desk = desk;
  }

  /** Brings every consumer's bookkeeping up to what the desk handed out (for /metrics). */
  catchUp(): void {
    for (const consumer of this.#consumers.values()) consumer.catchUp();
  }

  /** The (group, topic) consumer if it has started (get without waiting), else undefined. */
  started(group: string, topic: string): PixyGroupConsumer | undefined {
    const consumer = this.#consumers.get(`${group}\0${topic}`);
    return consumer?.started ? consumer : undefined;
  }

  find(group: string, topic: string): PixyGroupConsumer | undefined {
    return this.#consumers.get(`${group}\0${topic}`);
  }

  all(): PixyGroupConsumer[] {
    return [...this.#consumers.values()];
  }

  /** Closes the consumers idle longer than the idle timeout (their slots are free at once). */
  async expire(now = Date.now()): Promise<void> {
    this.catchUp(); // what the desk handed out counts as use
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
