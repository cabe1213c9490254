// What every client class starts with: a librdkafka handle with the client's logger, its
// configuration and, when given, its OAUTHBEARER token provider.
import { applyConfig, type Config } from './config';
import { attachLogger, type ClientOptions, type Logger } from './logger';
import { capi, type KafkaHandle } from './native';
import { useOAuthBearerProvider } from './oauth';

/** `logger`: the client's checked `options.logger` (undefined: the default logger). */
export function newClientHandle(config: Config | undefined, options: ClientOptions, logger: Logger | undefined): KafkaHandle {
  const handle = capi.InitKafka();
  attachLogger(handle, logger);
  applyConfig(handle, config);
  if (options.oauthBearerProvider !== undefined) useOAuthBearerProvider(handle, options.oauthBearerProvider, options.oauthBearerProviderTimeoutMs);
  return handle;
}
