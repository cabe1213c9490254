// The embedded broker: librdkafka's mock cluster, for running anywhere and for fault injection.
// It handles produce, fetch, offsets, consumer groups and transactions; not the admin APIs.
import { check } from './errors';
import { capi, type MockClusterHandle } from './native';
import { expectInteger, expectString, INT32_MAX } from './validate';

export interface MockClusterOptions {
  /** Number of brokers, ids 1..n. Default 3. */
  brokers?: number;
}

/** Kafka protocol request types, for `pushRequestErrors`. */
export const ApiKey = { Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, OffsetCommit: 8, OffsetFetch: 9, FindCoordinator: 10, JoinGroup: 11, Heartbeat: 12, SyncGroup: 14 } as const;

export class MockCluster {
  readonly #handle: MockClusterHandle;
  /** `host:port,...` to use as `bootstrap.servers`. */
  readonly bootstrapServers: string;
  readonly brokers: number;

  constructor(options: MockClusterOptions = {}) {
    this.brokers = expectInteger(options.brokers ?? 3, 'brokers', 1, 64);
    this.#handle = capi.MockClusterNew(this.brokers);
    this.bootstrapServers = capi.MockClusterBootstraps(this.#handle);
  }

  createTopic(name: string, partitions = 1, replicationFactor = 1): void {
    check(capi.MockTopicCreate(this.#handle, expectString(name, 'name'), expectInteger(partitions, 'partitions', 1, 100000), expectInteger(replicationFactor, 'replicationFactor', 1, this.brokers)));
  }

  /** Takes a broker down: its connections close and it refuses new ones. */
  setBrokerDown(brokerId: number): void {
    check(capi.MockBrokerSetDown(this.#handle, expectInteger(brokerId, 'brokerId', 1, INT32_MAX)));
  }

  setBrokerUp(brokerId: number): void {
    check(capi.MockBrokerSetUp(this.#handle, expectInteger(brokerId, 'brokerId', 1, INT32_MAX)));
  }

  /** Adds round-trip latency to a broker. */
  setBrokerRtt(brokerId: number, rttMs: number): void {
    check(capi.MockBrokerSetRtt(this.#handle, expectInteger(brokerId, 'brokerId', 1, INT32_MAX), expectInteger(rttMs, 'rttMs', 0, 3600000)));
  }

  setPartitionLeader(topic: string, partition: number, brokerId: number): void {
    check(capi.MockPartitionSetLeader(this.#handle, expectString(topic, 'topic'), expectInteger(partition, 'partition', 0, INT32_MAX), expectInteger(brokerId, 'brokerId', -1, INT32_MAX)));
  }

  /** The next requests of type `apiKey` fail with these error codes, in order. */
  pushRequestErrors(apiKey: number, errors: number[]): void {
    capi.MockPushRequestErrors(this.#handle, expectInteger(apiKey, 'apiKey', 0, 32767), errors);
  }

  clearRequestErrors(apiKey: number): void {
    capi.MockClearRequestErrors(this.#handle, expectInteger(apiKey, 'apiKey', 0, 32767));
  }

  /** Stops the brokers (synchronous: joins the cluster's threads). Safe to call twice. */
  close(): void {
    capi.MockClusterDestroy(this.#handle);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
