// Consumer instances of the Confluent REST API: core Consumers keyed by (group, name), closed
// when idle past consumer.instance.timeout.ms. The proxy, not librdkafka, commits: it knows which
// records it has returned, so an auto-commit never covers a record still buffered here.
import { randomUUID } from 'node:crypto';
import { Consumer } from '../consumer';
import type { Config } from '../config';
import type { ClientOptions, Logger } from '../logger';
import type { Record } from '../record';
import { RestError, fromKafka, notFoundInstance } from './rest-error';
import { IdleClock } from './idle-clock';

/** The only keys a client may set when creating an instance (anything else could load code). */
export const CLIENT_KEYS = new Set(['name', 'id', 'format', 'auto.offset.reset', 'auto.commit.enable', 'fetch.min.bytes', 'consumer.request.timeout.ms']);

export type RecordFormat = 'binary' | 'json' | 'avro' | 'jsonschema' | 'protobuf';

export interface InstanceOptions {
  /** Properties for every consumer (bootstrap.servers, consumer.* from the proxy's config). */
  consumerConfig: { [key: string]: string | number | boolean };
  /** The proxy's logger: the consumers' librdkafka lines and errors go there. */
  logger?: Logger;
  /** Other options of every consumer (an OAUTHBEARER token provider, for a user's instances). */
  clientOptions?: ClientOptions;
  instanceTimeoutMs: number;
  requestTimeoutMs: number;
  maxInstances: number;
  /** At most this many instances per client (see create's `owner`); 0: no such limit. */
  maxInstancesPerOwner?: number;
  /** Whether a Schema Registry serves the avro, jsonschema and protobuf formats. */
  schemaFormats?: boolean;
  /** The id of an instance the client does not name (behind a load balancer: one naming this proxy). */
  generateName?: () => string;
  /** Called with the records each request returns (for /metrics). */
  onReturned?: (records: Record[]) => void;
}

export class ConsumerInstance {
  readonly consumer: Consumer;
  readonly idleClock = new IdleClock();
  /**
   * Records taken from the consumer but not yet returned: they did not fit max_bytes, or (v1) a
   * read of another topic met them. Their partitions are paused meanwhile (see setAside).
   */
  readonly buffered: Record[] = [];
  /** `topic\0partition` of the partitions paused while their records wait in `buffered`. */
  readonly #pausedForBuffer = new Set<string>();
  /** topic -> partition -> next offset after the last returned record. */
  readonly returned = new Map<string, Map<number, number>>();
  #committedReturned = '';
  subscription: string[] = [];
  pattern: string | undefined;
  /** The group has handed this instance its partitions since it last subscribed (or the wait for it is over). */
  joined = false;
  /** Called with the records each request returns (for /metrics). */
  onReturned?: (records: Record[]) => void;
  /** The client that created it (consumer.max.instances.per.user counts by it). */
  owner?: string;

  constructor(
    readonly group: string,
    readonly name: string,
    readonly format: RecordFormat,
    readonly autoCommit: boolean,
    readonly fetchMinBytes: number,
    readonly requestTimeoutMs: number,
    config: Config,
    logger?: Logger,
    clientOptions: ClientOptions = {},
  ) {
    this.consumer = new Consumer(config, undefined, { ...clientOptions, logger });
  }

  /**
   * Replaces the subscription (no topics: unsubscribes); the next records request waits for the
   * group's answer. With auto-commit, what was returned is committed first, while this instance is
   * still a member of the group's generation, as a Kafka consumer commits when its partitions are
   * revoked: the change revokes them all, and their next owner (this instance too) reads from the
   * committed offsets. A commit made after the change carries the old generation; the broker
   * refuses it (unknown member), and librdkafka's rejoin on that refusal leaves the group waiting a
   * whole session timeout for the member id it had just handed out.
   */
  async subscribe(topics: string[]): Promise<void> {
    if (this.autoCommit && this.subscribed) await this.commitReturned().catch(() => undefined);
    if (topics.length === 0) this.consumer.unsubscribe();
    else this.consumer.subscribe(topics);
    this.joined = false;
  }

  /** Whether a commit now would be in the group's current generation (not between a subscription change and the group's answer). */
  get mayCommit(): boolean {
    return !this.subscribed || this.joined;
  }

  get subscribed(): boolean {
    return this.subscription.length > 0 || this.pattern !== undefined;
  }

  /** The first buffered record (of `topic`, when given), taken out of the buffer. */
  takeBuffered(topic?: string): Record | undefined {
    const at = topic === undefined ? (this.buffered.length > 0 ? 0 : -1) : this.buffered.findIndex((r) => r.topic === topic);
    if (at < 0) return undefined;
    const [record] = this.buffered.splice(at, 1);
    const key = `${record.topic}\0${record.partition}`;
    if (this.#pausedForBuffer.has(key) && !this.buffered.some((r) => r.topic === record.topic && r.partition === record.partition)) this.#resume([key]);
    return record;
  }

  /**
   * Keeps a record that a read of another topic met (v1) for a read of its own topic, and pauses
   * its partition until then, so that what waits here is bounded by what was already fetched.
   */
  setAside(record: Record): void {
    this.buffered.push(record);
    const key = `${record.topic}\0${record.partition}`;
    if (this.#pausedForBuffer.has(key)) return;
    try {
      this.consumer.pause([{ topic: record.topic, partition: record.partition }]);
      this.#pausedForBuffer.add(key);
    } catch {
      // no longer assigned: its next owner reads it from the committed offset
    }
  }

  /** Drops what is buffered (for these partitions, or all): they will be read again from where the consumer now is. */
  dropBuffered(partitions?: Array<{ topic: string; partition: number }>): void {
    const keys = partitions === undefined ? undefined : new Set(partitions.map((p) => `${p.topic}\0${p.partition}`));
    const keep = keys === undefined ? [] : this.buffered.filter((r) => !keys.has(`${r.topic}\0${r.partition}`));
    this.buffered.splice(0, this.buffered.length, ...keep);
    this.#resume([...this.#pausedForBuffer].filter((key) => keys === undefined || keys.has(key)));
  }

  #resume(keys: string[]): void {
    for (const key of keys) {
      this.#pausedForBuffer.delete(key);
      const at = key.lastIndexOf('\0');
      try {
        this.consumer.resume([{ topic: key.slice(0, at), partition: Number(key.slice(at + 1)) }]);
      } catch {
        // no longer assigned
      }
    }
  }

  markReturned(records: Record[]): void {
    this.onReturned?.(records);
    for (const r of records) {
      let partitions = this.returned.get(r.topic);
      if (partitions === undefined) this.returned.set(r.topic, (partitions = new Map()));
      partitions.set(r.partition, r.offset + 1);
    }
  }

  /** Commits the positions of every record returned so far (if any changed). */
  async commitReturned(): Promise<void> {
    const offsets = [...this.returned].flatMap(([topic, partitions]) => [...partitions].map(([partition, offset]) => ({ topic, partition, offset })));
    const key = JSON.stringify(offsets);
    if (offsets.length === 0 || key === this.#committedReturned) return;
    await this.consumer.commit(offsets);
    this.#committedReturned = key;
  }

  async close(): Promise<void> {
    if (this.autoCommit) await this.commitReturned().catch(() => undefined);
    await this.consumer.close();
  }
}

export class ConsumerInstances {
  readonly #instances = new Map<string, ConsumerInstance>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(readonly options: InstanceOptions) {
    // Expiry is checked a few times per timeout; the timer does not keep the process alive.
    this.#sweeper = setInterval(() => void this.expire(), Math.max(50, Math.min(5000, options.instanceTimeoutMs / 4)));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#instances.size;
  }

  /** Creates an instance from a client's request body (already parsed JSON or undefined), for the client `owner`. */
  create(group: string, body: unknown, owner?: string): ConsumerInstance {
    const request = (body ?? {}) as { [key: string]: unknown };
    if (typeof request !== 'object' || Array.isArray(request)) throw new RestError(422, 42204, 'The consumer request must be a JSON object');
    for (const key of Object.keys(request)) {
      if (!CLIENT_KEYS.has(key)) throw new RestError(422, 42204, `Invalid consumer configuration: '${key}' cannot be set by a client`);
    }
    const name = request.name ?? request.id ?? this.options.generateName?.() ?? `rest-consumer-${randomUUID()}`;
    if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,200}$/.test(name)) throw new RestError(422, 42204, 'Invalid consumer configuration: name must be 1-200 letters, digits, ".", "_" or "-"');
    const format = String(request.format ?? 'binary').toLowerCase();
    if ((format === 'avro' || format === 'jsonschema' || format === 'protobuf') && this.options.schemaFormats !== true) {
      throw new RestError(422, 42204, `Invalid consumer configuration: the ${format} format needs a Schema Registry: set schema.registry.url`);
    }
    if (!['binary', 'json', 'avro', 'jsonschema', 'protobuf'].includes(format)) throw new RestError(422, 42204, `Invalid consumer configuration: unknown format '${format}'`);
    const reset = request['auto.offset.reset'] === undefined ? undefined : String(request['auto.offset.reset']).toLowerCase();
    const resets: { [k: string]: string } = { earliest: 'earliest', smallest: 'earliest', latest: 'latest', largest: 'latest', none: 'error' };
    if (reset !== undefined && resets[reset] === undefined) throw new RestError(422, 42204, `Invalid consumer configuration: auto.offset.reset must be earliest, latest or none`);
    const autoCommitValue = request['auto.commit.enable'];
    if (autoCommitValue !== undefined && !['true', 'false', true, false].includes(autoCommitValue as string | boolean)) {
      throw new RestError(422, 42204, 'Invalid consumer configuration: auto.commit.enable must be true or false');
    }
    const fetchMinBytes = request['fetch.min.bytes'] === undefined ? -1 : Number(request['fetch.min.bytes']);
    if (!Number.isInteger(fetchMinBytes) || fetchMinBytes < -1 || fetchMinBytes > 10_000_000) {
      throw new RestError(422, 40001, 'fetch.min.bytes must be an integer between -1 and 10000000');
    }
    const requestTimeout = request['consumer.request.timeout.ms'] === undefined ? this.options.requestTimeoutMs : Number(request['consumer.request.timeout.ms']);
    if (!Number.isInteger(requestTimeout) || requestTimeout < 0 || requestTimeout > 3_600_000) {
      throw new RestError(422, 42204, 'Invalid consumer configuration: consumer.request.timeout.ms must be an integer of milliseconds');
    }
    const key = `${group}\0${name}`;
    if (this.#instances.has(key)) throw new RestError(409, 40902, `Consumer instance with the specified name ${name} already exists`);
    if (this.#instances.size >= this.options.maxInstances) throw new RestError(429, 42901, `Too many consumer instances (at most ${this.options.maxInstances})`);
    const perOwner = this.options.maxInstancesPerOwner ?? 0;
    if (perOwner > 0 && owner !== undefined) {
      let owned = 0;
      for (const i of this.#instances.values()) if (i.owner === owner) owned++;
      if (owned >= perOwner) {
        throw new RestError(429, 42902, `Too many consumer instances for ${owner}: at most ${perOwner} (consumer.max.instances.per.user); delete one (DELETE …/instances/{name}) first`);
      }
    }
    const config: { [key: string]: string | number | boolean } = {
      ...this.options.consumerConfig,
      'group.id': group,
      'client.id': name,
      // The proxy commits what it returned (see commitReturned); librdkafka never commits alone.
      'enable.auto.commit': false,
    };
    if (reset !== undefined) config['auto.offset.reset'] = resets[reset];
    try {
      const instance = new ConsumerInstance(group, name, format as RecordFormat, autoCommitValue === undefined || String(autoCommitValue) === 'true', fetchMinBytes, requestTimeout, config, this.options.logger, this.options.clientOptions);
      instance.onReturned = this.options.onReturned;
      instance.owner = owner;
      this.#instances.set(key, instance);
      return instance;
    } catch (error) {
      throw fromKafka(error);
    }
  }

  /** The instance; 40403 when it does not exist (or expired). */
  get(group: string, name: string): ConsumerInstance {
    const instance = this.#instances.get(`${group}\0${name}`);
    if (instance === undefined) throw notFoundInstance(group, name);
    return instance;
  }

  has(group: string, name: string): boolean {
    return this.#instances.has(`${group}\0${name}`);
  }

  async delete(group: string, name: string): Promise<void> {
    const instance = this.get(group, name);
    this.#instances.delete(`${group}\0${name}`);
    await instance.close();
  }

  /** Closes instances idle longer than the timeout. */
  async expire(now = Date.now()): Promise<void> {
    const idle = [...this.#instances].filter(([, i]) => i.idleClock.idle(now, this.options.instanceTimeoutMs));
    for (const [key] of idle) this.#instances.delete(key);
    await Promise.all(idle.map(([, i]) => i.close().catch(() => undefined)));
  }

  /** Closes every instance (they leave their groups). */
  async closeAll(): Promise<void> {
    clearInterval(this.#sweeper);
    const all = [...this.#instances.values()];
    this.#instances.clear();
    await Promise.all(all.map((i) => i.close().catch(() => undefined)));
  }
}
