// rdkafka-napi proxy: the Confluent-compatible REST API (port 8082) and the Kafka-Pixy API
// (port 19092), until SIGTERM or Ctrl-C; then producers flushed and consumers closed.
import { applyProperties, DEFAULTS, loadConfigFile, startProxy } from '../proxy';
import { UsageError, type CliCommand } from './command';

export const proxyCommand: CliCommand = {
  summary: 'run the REST proxy: the Confluent REST Proxy API and the Kafka-Pixy API',
  connects: false,
  logLevel: 'info',
  details:
    'Without --bootstrap-servers (or $KAFKA_BOOTSTRAP_SERVERS, or bootstrap.servers in the config\n' +
    'file) an embedded broker is started. The config file takes Confluent-style properties:\n' +
    'listeners, advertised.listeners, bootstrap.servers, id, consumer.instance.timeout.ms,\n' +
    'consumer.request.timeout.ms, consumer.max.instances, max.request.bytes, max.request.records,\n' +
    'max.request.json.values, http.headers.timeout.ms, http.request.timeout.ms,\n' +
    'http.keepalive.timeout.ms, http.max.connections, basic.auth.users,\n' +
    'ssl.key.location, ssl.certificate.location, pixy.listeners, pixy.unix.socket,\n' +
    'pixy.long.poll.timeout.ms, pixy.ack.timeout.ms, pixy.consumer.idle.timeout.ms,\n' +
    'pixy.max.consumers, schema.registry.url, schema.registry.listeners,\n' +
    'peers, peer.url (proxies behind one load balancer), rate.limit.requests.per.second,\n' +
    'rate.limit.burst, consumer.max.instances.per.user,\n' +
    'schema.registry.basic.auth.user.info, schema.registry.ssl.{ca,certificate,key}.location,\n' +
    'and client.*, producer.*, consumer.* passed to librdkafka. Without schema.registry.url the\n' +
    'avro, jsonschema and protobuf formats use an embedded in-memory Schema Registry, served on\n' +
    'schema.registry.listeners (default http://127.0.0.1:8081). Binds 127.0.0.1 unless told otherwise.',
  options: {
    config: { type: 'string', short: 'c', value: 'FILE', help: 'a properties file' },
    'bootstrap-servers': { type: 'string', short: 'b', value: 'HOST:PORT,...', help: 'Kafka (default: $KAFKA_BOOTSTRAP_SERVERS, else an embedded broker)' },
    listeners: { type: 'string', value: 'URL', help: 'the Confluent API listener (default http://127.0.0.1:8082)' },
    'pixy-listeners': { type: 'string', value: 'URL', help: "the Kafka-Pixy API listener (default http://127.0.0.1:19092; '' turns it off)" },
    'pixy-unix-socket': { type: 'string', value: 'PATH', help: 'also serve the Kafka-Pixy API on this Unix socket' },
    set: { type: 'string', short: 's', multiple: true, value: 'KEY=VALUE', help: 'a proxy property, as in the config file (repeatable)' },
  },
  async run(context) {
    if (context.positionals.length > 0) throw new UsageError(`unexpected argument '${context.positionals[0]}'`);
    let config = typeof context.options.config === 'string' ? loadConfigFile(context.options.config) : DEFAULTS;
    const flags = new Map<string, string>();
    for (const pair of (context.options.set as string[] | undefined) ?? []) {
      const at = pair.indexOf('=');
      if (at <= 0) throw new UsageError(`--set takes KEY=VALUE, not '${pair}'`);
      flags.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const bootstrap = (context.options['bootstrap-servers'] as string | undefined) ?? context.io.env.KAFKA_BOOTSTRAP_SERVERS;
    if (bootstrap) flags.set('bootstrap.servers', bootstrap);
    if (typeof context.options.listeners === 'string') flags.set('listeners', context.options.listeners);
    if (typeof context.options['pixy-listeners'] === 'string') flags.set('pixy.listeners', context.options['pixy-listeners']);
    if (typeof context.options['pixy-unix-socket'] === 'string') flags.set('pixy.unix.socket', context.options['pixy-unix-socket']);
    config = applyProperties(config, flags);
    const stop = context.io.interrupted();
    const proxy = await startProxy(config, undefined, context.logger);
    const where = config.bootstrapServers === '' ? `the embedded broker at ${proxy.bootstrapServers}` : proxy.bootstrapServers;
    if (context.json) context.print(JSON.stringify({ url: proxy.url, pixyUrl: proxy.pixyUrl ?? null, pixySocket: proxy.pixySocket ?? null, bootstrapServers: proxy.bootstrapServers, schemaRegistryUrl: proxy.schemaRegistryUrl ?? null }));
    else context.print(`Confluent REST API on ${proxy.url}${proxy.pixyUrl ? `, Kafka-Pixy API on ${proxy.pixyUrl}` : ''}${proxy.pixySocket ? ` and ${proxy.pixySocket}` : ''}, Kafka: ${where}`);
    if (!context.json && proxy.schemaRegistryUrl !== undefined) {
      context.print(`Schema Registry: ${config.schemaRegistryUrl === undefined ? `embedded (in memory) on ${proxy.schemaRegistryUrl}` : config.schemaRegistryUrl}`);
    }
    await new Promise<void>((resolve) => {
      if (stop.aborted) return resolve();
      stop.addEventListener('abort', () => resolve());
    });
    context.note('Stopping: flushing the producer and closing consumer instances...');
    await proxy.close();
    context.note('Proxy stopped.');
  },
};
