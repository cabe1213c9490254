// Starts a real single-node Kafka broker and a real Schema Registry (Apicurio) for the whole run
// (unless RDKAFKA_TEST_BROKERS=mock) and tells the test files where they are.
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBootstrap: string;
    /** Apicurio's Confluent-compatible base URL; '' in the mock-only mode. */
    schemaRegistryUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.RDKAFKA_TEST_BROKERS === 'mock') {
    project.provide('kafkaBootstrap', '');
    project.provide('schemaRegistryUrl', '');
    return undefined;
  }
  const { startKafka } = await import('../scripts/kafka/broker.mjs');
  const { startRegistry } = await import('../scripts/registry/registry.mjs');
  const started = Date.now();
  const [kafka, registry] = await Promise.all([startKafka({ nodes: 1 }), startRegistry()]);
  console.log(`real Kafka broker at ${kafka.bootstrapServers}, Apicurio Registry ${registry.version} at ${registry.url} (${registry.java}; started in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  project.provide('kafkaBootstrap', kafka.bootstrapServers);
  project.provide('schemaRegistryUrl', registry.url);
  return async () => {
    await Promise.all([kafka.stop(), registry.stop()]);
  };
}
