// The OAUTHBEARER token provider: a JavaScript function librdkafka asks for a token when it
// first connects and again before the token expires (at 80% of its lifetime).
import { ErrorCode } from './errors';
import { capi, type KafkaHandle } from './native';
import { expectTimeout, invalidParameter } from './validate';

/** What a provider answers, as kafkajs and @confluentinc/kafka-javascript take it. */
export interface OAuthBearerToken {
  /** The token (for Kafka's unsecured validator and most identity providers, a JWT). */
  value: string;
  /** When it expires, in ms since the epoch; default: the JWT's `exp` claim. */
  lifetime?: number;
  /** The principal it names; default: the JWT's `sub` claim. */
  principal?: string;
  /** SASL extensions sent with the token (e.g. `logicalCluster` on Confluent Cloud). */
  extensions?: { [key: string]: string };
}

/** Called with librdkafka's `sasl.oauthbearer.config`; may be async. */
export type OAuthBearerProvider = (oauthbearerConfig: string) => OAuthBearerToken | Promise<OAuthBearerToken>;

export const DEFAULT_PROVIDER_TIMEOUT_MS = 10_000;

class TimeoutError extends Error {}

/** The claims of a JWT, or undefined when the value is not one. */
function jwtClaims(value: string): { exp?: unknown; sub?: unknown } | undefined {
  const parts = value.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** The arguments of OAuthBearerSetToken for a provider's answer, or the reason it cannot be used. */
function tokenArguments(token: unknown): [value: string, lifetimeMs: number, principal: string, extensions: string[]] | string {
  if (typeof token !== 'object' || token === null) return `the provider returned ${token === null ? 'null' : typeof token}, not { value, lifetime, principal }`;
  const { value, lifetime, principal, extensions } = token as OAuthBearerToken;
  if (typeof value !== 'string' || value === '') return 'the provider returned no token value (a non-empty string)';
  const claims = jwtClaims(value);
  const expires = lifetime ?? (typeof claims?.exp === 'number' ? claims.exp * 1000 : undefined);
  if (typeof expires !== 'number' || !Number.isFinite(expires)) return "the provider's token has no lifetime (ms since the epoch) and is not a JWT with an exp claim";
  const name = principal ?? (typeof claims?.sub === 'string' ? claims.sub : undefined);
  if (typeof name !== 'string' || name === '') return "the provider's token has no principal and is not a JWT with a sub claim";
  const pairs: string[] = [];
  for (const [k, v] of Object.entries(extensions ?? {})) {
    if (typeof v !== 'string') return `the provider's extension '${k}' is not a string`;
    pairs.push(k, v);
  }
  return [value, Math.floor(expires), name, pairs];
}

/**
 * Has librdkafka ask `provider` for OAUTHBEARER tokens (before the client starts). A provider
 * that throws, answers something unusable or takes longer than `timeoutMs` sets a token failure:
 * librdkafka reports it as an _AUTHENTICATION client error naming the reason and asks again.
 */
export function useOAuthBearerProvider(handle: KafkaHandle, provider: unknown, timeoutMs: unknown = DEFAULT_PROVIDER_TIMEOUT_MS): void {
  if (typeof provider !== 'function') throw invalidParameter('a function', 'options.oauthBearerProvider', provider);
  const limitMs = expectTimeout(timeoutMs, 'options.oauthBearerProviderTimeoutMs') || 1;
  let inFlight = false; // a request while one is answered is that one
  // The handle keeps this callback alive: holding the handle only weakly here lets an unclosed
  // client be collected (its finaliser then closes it).
  const weakHandle = new WeakRef(handle);
  capi.SetOAuthBearerRefresh(handle, (config) => {
    const handle = weakHandle.deref();
    if (handle === undefined || inFlight) return;
    inFlight = true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`the OAUTHBEARER token provider did not answer within ${limitMs} ms`)), limitMs);
      timer.unref(); // a pending token never keeps the process alive
    });
    Promise.race([Promise.resolve().then(() => (provider as OAuthBearerProvider)(config)), timedOut])
      .then(
        (token) => {
          const args = tokenArguments(token);
          if (typeof args === 'string') return void capi.OAuthBearerSetTokenFailure(handle, args);
          const [code, message] = capi.OAuthBearerSetToken(handle, ...args);
          if (code !== 0 && code !== ErrorCode._STATE) capi.OAuthBearerSetTokenFailure(handle, `librdkafka refused the provider's token: ${message}`);
        },
        (error: unknown) => {
          const reason = error instanceof Error ? error.message : String(error);
          capi.OAuthBearerSetTokenFailure(handle, error instanceof TimeoutError ? reason : `the OAUTHBEARER token provider failed: ${reason}`);
        },
      )
      .catch(() => {}) // the handle was closed meanwhile: nobody waits for the token
      .finally(() => {
        clearTimeout(timer);
        inFlight = false;
      });
  });
}
