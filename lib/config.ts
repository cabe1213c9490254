// Client configuration: librdkafka's properties, given as an object or as [key, value] pairs
// (the APL classes take an n×2 matrix).
import { KafkaError } from './errors';
import { capi, type KafkaHandle } from './native';
import { describe, invalidParameter } from './validate';

export type ConfigValue = string | number | boolean;
export type Config = { [key: string]: ConfigValue } | ReadonlyArray<readonly [string, ConfigValue]>;

const CONF_INVALID = -1;
const CONF_UNKNOWN = -2;

/** Sets one property; unknown keys and invalid values throw a KafkaError naming the key. */
export function setConfig(handle: KafkaHandle, key: unknown, value: unknown): void {
  if (typeof key !== 'string' || key.length === 0) throw invalidParameter('a configuration key (string)', 'key', key);
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw invalidParameter('a string, number or boolean', `configuration property '${key}'`, value);
  }
  const [code, message] = capi.SetKafkaConf(handle, key, String(value));
  if (code === 0) return;
  if (code === CONF_UNKNOWN) {
    // The native layer ends the message with the version that adds a property of a newer librdkafka.
    const newer = / \([^(]* needs librdkafka .*\)$/.exec(message)?.[0] ?? '';
    throw new KafkaError(-186, `Unknown configuration property '${key}'${newer}`);
  }
  if (code === CONF_INVALID) {
    throw new KafkaError(-186, `Invalid value ${describe(value)} for configuration property '${key}': ${message}`);
  }
  throw new KafkaError(code, message);
}

/** Applies a whole configuration, in order. */
export function applyConfig(handle: KafkaHandle, config: Config | undefined): void {
  if (config === undefined) return;
  if (Array.isArray(config)) {
    config.forEach((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw invalidParameter('a [key, value] pair', `config[${i}]`, pair);
      setConfig(handle, pair[0], pair[1]);
    });
    return;
  }
  if (typeof config !== 'object' || config === null) throw invalidParameter('an object or [key, value] pairs', 'config', config);
  for (const [key, value] of Object.entries(config)) setConfig(handle, key, value);
}
