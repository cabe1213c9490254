// Placeholder: the kafkajs admin facade is built on its own branch (KafkaJSAdmin).
import type { ClientContext } from './context';
import { KafkaJSNotImplemented } from './errors';

export class KafkaJSAdmin {
  constructor(
    readonly context: ClientContext,
    readonly config: unknown,
  ) {}

  async connect(): Promise<void> {
    throw new KafkaJSNotImplemented('The kafkajs admin is not in this build');
  }
}
