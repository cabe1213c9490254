// The brokers every behavioural test runs against: the embedded mock and a real Kafka broker.
// Use as `describe.each(testBrokers())('$name', (broker) => { ... })`.
import { afterAll, beforeAll, inject } from 'vitest';
import { Admin, MockCluster } from '../lib';

export interface TestBroker {
  readonly name: 'mock' | 'kafka';
  /** Valid inside tests and hooks (after the fixture's beforeAll). */
  bootstrapServers: string;
  /** Creates a topic and waits until it is usable. */
  createTopic(name: string, partitions: number): Promise<void>;
  /** The mock cluster, for the mock fixture only. */
  mock?: MockCluster;
}

class MockBroker implements TestBroker {
  readonly name = 'mock';
  bootstrapServers = '';
  mock?: MockCluster;

  start(): void {
    this.mock = new MockCluster({ brokers: 3 });
    this.bootstrapServers = this.mock.bootstrapServers;
  }

  async createTopic(name: string, partitions: number): Promise<void> {
    this.mock!.createTopic(name, partitions);
  }

  stop(): void {
    this.mock?.close();
  }
}

class KafkaBroker implements TestBroker {
  readonly name = 'kafka';
  bootstrapServers = '';
  #admin: Admin | undefined;

  start(): void {
    this.bootstrapServers = inject('kafkaBootstrap');
    this.#admin = new Admin({ 'bootstrap.servers': this.bootstrapServers });
  }

  /** Waits until the metadata shows every partition led (a KRaft broker applies a new topic after the controller answered). */
  createTopic(name: string, partitions: number): Promise<void> {
    return this.#admin!.createTopics({ name, partitions, replicationFactor: 1 });
  }

  async stop(): Promise<void> {
    await this.#admin?.close();
  }
}

/** The fixtures for this run: mock always, the real broker unless RDKAFKA_TEST_BROKERS=mock. */
export function testBrokers(): TestBroker[] {
  const fixtures: (MockBroker | KafkaBroker)[] = [new MockBroker()];
  if (process.env.RDKAFKA_TEST_BROKERS !== 'mock') fixtures.push(new KafkaBroker());
  return fixtures;
}

/** Starts the fixture before the suite's tests and stops it after. Call inside describe.each. */
export function useBroker(broker: TestBroker): void {
  const fixture = broker as MockBroker | KafkaBroker;
  beforeAll(() => fixture.start());
  afterAll(() => fixture.stop());
}

/**
 * A real Kafka broker for a file that needs one whatever the mode: the run's own, or, in the
 * mock-only mode (RDKAFKA_TEST_BROKERS=mock), a single node started for this file. Call inside a
 * describe; `bootstrapServers` is valid from its beforeAll on.
 */
export function useRealKafka(): { bootstrapServers: string } {
  const kafka = { bootstrapServers: '' };
  let own: { bootstrapServers: string; stop(): Promise<void> } | undefined;
  beforeAll(async () => {
    kafka.bootstrapServers = inject('kafkaBootstrap');
    if (kafka.bootstrapServers !== '') return;
    const { startKafka } = await import('../scripts/kafka/broker.mjs');
    const started: { bootstrapServers: string; stop(): Promise<void> } = await startKafka({ nodes: 1 });
    own = started;
    kafka.bootstrapServers = started.bootstrapServers;
  }, 240_000);
  afterAll(async () => {
    await own?.stop();
  });
  return kafka;
}
