// A Schema Registry client (Confluent's @confluentinc/schemaregistry) from Confluent-style
// properties: schema.registry.url (comma-separated), basic auth user info, TLS.
import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import type { ClientConfig } from '@confluentinc/schemaregistry/dist/rest-service';
import type { SchemaRegistryClient } from '@confluentinc/schemaregistry/dist/schemaregistry-client';
import { registryClientModule } from './libraries';

export interface RegistryOptions {
  /** One or more base URLs, comma-separated (schema.registry.url). */
  url: string;
  /** "user:password" (schema.registry.basic.auth.user.info). */
  basicAuthUserInfo?: string;
  /** PEM files for TLS to the registry (schema.registry.ssl.*). */
  sslCaLocation?: string;
  sslCertificateLocation?: string;
  sslKeyLocation?: string;
  /** Schemas kept per cache of the client (ids, subjects, versions); default 1000. */
  cacheCapacity?: number;
  /** Milliseconds a request may take before it counts as a failure; default 10000. */
  requestTimeoutMs?: number;
}

/** The registry's base URLs, each checked: http(s) only. */
export function registryUrls(url: string): string[] {
  const urls = url.split(',').map((u) => u.trim()).filter((u) => u !== '');
  if (urls.length === 0) throw new TypeError('schema.registry.url must name at least one URL');
  for (const u of urls) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      throw new TypeError(`schema.registry.url: ${JSON.stringify(u)} is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`schema.registry.url: ${JSON.stringify(u)} must be http:// or https://`);
  }
  return urls.map((u) => u.replace(/\/+$/, ''));
}

export function registryClient(options: RegistryOptions): SchemaRegistryClient {
  const config: ClientConfig = {
    baseURLs: registryUrls(options.url),
    cacheCapacity: options.cacheCapacity ?? 1000,
    // One try per URL: a registry that is down is an answer for the caller, not a wait.
    maxRetries: 0,
    createAxiosDefaults: { timeout: options.requestTimeoutMs ?? 10_000 },
  };
  if (options.basicAuthUserInfo !== undefined && options.basicAuthUserInfo !== '') {
    const at = options.basicAuthUserInfo.indexOf(':');
    if (at < 0) throw new TypeError('schema.registry.basic.auth.user.info must be "user:password"');
    config.basicAuthCredentials = { credentialsSource: 'USER_INFO', userInfo: options.basicAuthUserInfo };
  }
  if (options.sslCaLocation !== undefined || options.sslCertificateLocation !== undefined || options.sslKeyLocation !== undefined) {
    const read = (path: string | undefined) => (path === undefined ? undefined : readFileSync(path));
    config.createAxiosDefaults = {
      ...config.createAxiosDefaults,
      httpsAgent: new HttpsAgent({ ca: read(options.sslCaLocation), cert: read(options.sslCertificateLocation), key: read(options.sslKeyLocation) }),
    };
  }
  return new (registryClientModule().SchemaRegistryClient)(config);
}
