// Placeholder: the kafkajs consumer facade is built on its own branch (KafkaJSConsumer).
import type { ClientContext } from './context';
import { KafkaJSNotImplemented } from './errors';

export class KafkaJSConsumer {
  constructor(
    readonly context: ClientContext,
    readonly config: unknown,
  ) {}

  async connect(): Promise<void> {
    throw new KafkaJSNotImplemented('The kafkajs consumer is not in this build');
  }
}
