// A secured Kafka broker (TLS, SASL, OAUTHBEARER, ACLs on) for the files that need one: started
// by the file itself (~10 s), in both test modes, since the embedded broker has no TLS or SASL.
// See scripts/kafka/README.md for its listeners, users and certificates.
import { afterAll, beforeAll } from 'vitest';
import type { Config } from '../lib';

export interface SecuredKafka {
  /** The internal plaintext listener: a super user, for setup only. */
  bootstrapServers: string;
  certDir: string;
  users: { admin: string; alice: string; bob: string };
  ssl: string;
  saslSsl: string;
  oauth: string;
  wrongHost: string;
}

/** Starts the secured broker before the file's tests; its fields are valid from beforeAll on. */
export function useSecuredKafka(): SecuredKafka {
  const kafka = {} as SecuredKafka;
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const { startKafka } = await import('../scripts/kafka/broker.mjs');
    const started = await startKafka({ secured: true });
    Object.assign(kafka, started.secured, { bootstrapServers: started.bootstrapServers });
    stop = () => started.stop();
  }, 240_000);
  afterAll(async () => {
    await stop?.();
  });
  return kafka;
}

/** SASL_SSL with a mechanism and a user (password `<user>-secret` unless given). */
export function saslConfig(kafka: SecuredKafka, mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512', user: keyof SecuredKafka['users'], password = kafka.users[user]): Config {
  return {
    'bootstrap.servers': kafka.saslSsl,
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': mechanism,
    'sasl.username': user,
    'sasl.password': password,
    'ssl.ca.location': `${kafka.certDir}/ca.pem`,
  };
}

/** SSL with a client certificate (`cert`.pem/.key in the certificate dir). */
export function sslConfig(kafka: SecuredKafka, cert: string, extra: { [key: string]: string } = {}): Config {
  return {
    'bootstrap.servers': kafka.ssl,
    'security.protocol': 'SSL',
    'ssl.ca.location': `${kafka.certDir}/ca.pem`,
    'ssl.certificate.location': `${kafka.certDir}/${cert}.pem`,
    'ssl.key.location': `${kafka.certDir}/${cert}.key`,
    ...extra,
  };
}

/** SASL_SSL with OAUTHBEARER; tokens come from a provider or `extra`'s settings. */
export function oauthConfig(kafka: SecuredKafka, extra: { [key: string]: string | boolean } = {}): Config {
  return {
    'bootstrap.servers': kafka.oauth,
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': 'OAUTHBEARER',
    'ssl.ca.location': `${kafka.certDir}/ca.pem`,
    ...extra,
  };
}

/** An unsecured JWT (alg none) as Kafka's unsecured validator takes it, for `sub`, valid `seconds`. */
export function unsecuredJwt(sub: string, seconds = 3600): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none' })}.${part({ sub, iat: now, exp: now + seconds })}.`;
}
