// A Kafka client properties file (what kafka-*.sh take as --command-config) as librdkafka
// properties. librdkafka's own names pass through; the Java client's security settings that
// have a librdkafka equivalent are translated; those with none are an error naming them.
import { readFileSync } from 'node:fs';
import { parse } from 'dot-properties';
import { UsageError } from './command';

// Java-only settings that need nothing on our side (key store types librdkafka infers).
const IGNORED = new Set(['ssl.truststore.type', 'ssl.keystore.type', 'ssl.truststore.password']);

/** The librdkafka properties of the file at `file` (Java .properties syntax). */
export function readCommandConfig(file: string): { [key: string]: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--command-config: cannot read ${file}: ${(error as Error).message}`);
  }
  const java = parse(text) as { [key: string]: string };
  const config: { [key: string]: string } = {};
  for (const [key, value] of Object.entries(java)) {
    if (key === 'sasl.jaas.config') {
      Object.assign(config, jaasCredentials(value, file));
    } else if (key === 'ssl.truststore.location') {
      // librdkafka reads CA certificates from PEM files only.
      if ((java['ssl.truststore.type'] ?? 'JKS').toUpperCase() !== 'PEM') {
        throw new UsageError(`--command-config ${file}: ssl.truststore.location must be a PEM file (ssl.truststore.type=PEM); librdkafka cannot read ${java['ssl.truststore.type'] ?? 'JKS'} trust stores`);
      }
      config['ssl.ca.location'] = value;
    } else if (key === 'ssl.keystore.location' && (java['ssl.keystore.type'] ?? 'JKS').toUpperCase() !== 'PKCS12') {
      throw new UsageError(`--command-config ${file}: ssl.keystore.location must be a PKCS#12 file (ssl.keystore.type=PKCS12); librdkafka cannot read ${java['ssl.keystore.type'] ?? 'JKS'} key stores`);
    } else if (!IGNORED.has(key)) {
      config[key] = value;
    }
  }
  return config;
}

/** username and password of a PlainLoginModule or ScramLoginModule sasl.jaas.config. */
function jaasCredentials(jaas: string, file: string): { [key: string]: string } {
  if (!/(PlainLoginModule|ScramLoginModule)\s+required/.test(jaas)) {
    throw new UsageError(`--command-config ${file}: only PlainLoginModule and ScramLoginModule sasl.jaas.config entries can be used (set sasl.username and sasl.password, or use sasl.oauthbearer.* for OAUTHBEARER)`);
  }
  const option = (name: string) => new RegExp(`\\b${name}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(jaas)?.[1]?.replace(/\\(.)/g, '$1');
  const username = option('username');
  const password = option('password');
  if (username === undefined || password === undefined) throw new UsageError(`--command-config ${file}: sasl.jaas.config names no username="..." and password="..."`);
  return { 'sasl.username': username, 'sasl.password': password };
}
