// What `new Kafka(config)` hands to each client it makes: the librdkafka properties its
// configuration maps to, the logger kafkajs's logLevel/logCreator ask for, and the retry policy.
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { OAuthBearerProvider } from '../oauth';

/** kafkajs's retry options (`retry` of the Kafka config, of a producer, of a consumer). */
export interface RetryOptions {
  maxRetryTime?: number;
  initialRetryTime?: number;
  factor?: number;
  multiplier?: number;
  retries?: number;
  restartOnFailure?: (error: Error) => Promise<boolean>;
}

export interface ClientContext {
  /** librdkafka properties from the Kafka config: bootstrap.servers, client.id, security, timeouts (and, in the @confluentinc/kafka-javascript shape, the properties given next to its `kafkaJS` block). */
  config: { [key: string]: string | number | boolean };
  /** Where librdkafka's lines and the facade's own go, at the level the Kafka config asked for. */
  logger: Logger;
  /** The Kafka config's retry policy (each client may override it). */
  retry: RetryOptions;
  /** `sasl: { mechanism: 'oauthbearer', oauthBearerProvider }`, adapted to the clients' provider. */
  oauthBearerProvider?: OAuthBearerProvider;
  /** The @confluentinc/kafka-javascript configuration shape was used (`{ kafkaJS: {...}, ... }`). */
  confluentShape: boolean;
}

export type { Config };
