// Starts a real single-node Kafka broker for the whole run (unless RDKAFKA_TEST_BROKERS=mock)
// and tells the test files where it is.
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBootstrap: string;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.RDKAFKA_TEST_BROKERS === 'mock') {
    project.provide('kafkaBootstrap', '');
    return undefined;
  }
  const { startKafka } = await import('../scripts/kafka/broker.mjs');
  const started = Date.now();
  const kafka = await startKafka({ nodes: 1 });
  console.log(`real Kafka broker at ${kafka.bootstrapServers} (started in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  project.provide('kafkaBootstrap', kafka.bootstrapServers);
  return async () => kafka.stop();
}
