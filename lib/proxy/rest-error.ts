// Errors as the Confluent REST Proxy words them: an HTTP status and a body
// {"error_code": int, "message": str}.
import { KafkaError } from '../errors';

export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'RestError';
  }
}

export const notFoundInstance = (group: string, name: string) => new RestError(404, 40403, `Consumer instance ${name} in group ${group} not found`);
export const notFoundTopic = (topic: string) => new RestError(404, 40401, `Topic ${topic} not found`);
export const notFoundPartition = (topic: string, partition: number) => new RestError(404, 40402, `Partition ${partition} of topic ${topic} not found`);
export const invalid = (message: string) => new RestError(422, 422, message);

/** A topic name Kafka would refuse: 40002 with the rule it breaks (the name shown escaped, cut at 60 characters). */
export const invalidTopicName = (name: string, problem: string) =>
  new RestError(400, 40002, `Invalid topic name ${JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}...` : name)}: ${problem}`);

/** A Kafka failure as the REST status it maps to: 50003 retriable, 50002 otherwise. */
export function fromKafka(error: unknown): RestError {
  if (error instanceof RestError) return error;
  if (error instanceof KafkaError) {
    if (error.code === 3 || error.code === -188) return new RestError(404, 40401, error.message); // the broker's or librdkafka's unknown topic
    if (error.code === -165) return new RestError(501, 501, error.message); // what the embedded broker cannot do
    if (error.code === 17) return new RestError(400, 400, error.message); // the broker refuses the topic's name
    if (error.code === -190) return new RestError(404, 40402, error.message); // a partition the topic does not have
    if (error.code === -187 || error.code === -195) return new RestError(503, 50302, error.message);
    // Kafka's ACLs refused the proxy's principal: Confluent's proxy answers 403 / 40301.
    if (error.code === 29 || error.code === 30 || error.code === 31) return new RestError(403, 40301, error.message);
    return error.retriable ? new RestError(500, 50003, error.message) : new RestError(500, 50002, error.message);
  }
  if (error instanceof TypeError) return new RestError(422, 422, error.message);
  return new RestError(500, 500, error instanceof Error ? error.message : String(error));
}
