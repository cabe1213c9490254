// The Schema Registries every schema test runs against: the embedded in-memory one (what
// `npm start` serves) and Apicurio Registry, a real one, started by the global setup.
// Use as `describe.each(testRegistries())('$name registry', (registry) => { useRegistry(registry); ... })`.
import { afterAll, beforeAll, inject } from 'vitest';
import { startEmbeddedRegistry, type RunningRegistry } from '../lib/schema';

export interface TestRegistry {
  readonly name: 'embedded' | 'apicurio';
  /** The Confluent-compatible base URL; valid inside tests and hooks. */
  url: string;
}

class EmbeddedRegistry implements TestRegistry {
  readonly name = 'embedded';
  url = '';
  #running: RunningRegistry | undefined;

  async start(): Promise<void> {
    this.#running = await startEmbeddedRegistry('http://127.0.0.1:0');
    this.url = this.#running.url;
  }

  async stop(): Promise<void> {
    await this.#running?.close();
  }
}

class ApicurioRegistry implements TestRegistry {
  readonly name = 'apicurio';
  url = '';

  async start(): Promise<void> {
    this.url = inject('schemaRegistryUrl');
  }

  async stop(): Promise<void> {}
}

/** Embedded always; Apicurio unless RDKAFKA_TEST_BROKERS=mock (the quick mode starts no JVM). */
export function testRegistries(): TestRegistry[] {
  const fixtures: TestRegistry[] = [new EmbeddedRegistry()];
  if (process.env.RDKAFKA_TEST_BROKERS !== 'mock') fixtures.push(new ApicurioRegistry());
  return fixtures;
}

export function useRegistry(registry: TestRegistry): void {
  const fixture = registry as EmbeddedRegistry | ApicurioRegistry;
  beforeAll(() => fixture.start());
  afterAll(() => fixture.stop());
}
