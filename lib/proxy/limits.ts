// Per-client limits: a token bucket of requests per client (rate.limit.*), answered with 429,
// Retry-After and the API's JSON error, and at most consumer.max.instances.per.user consumer
// instances per client. A client is its authenticated user when the proxy checks users
// (basic.auth.users or kafka.credentials.passthrough), else its address: a user name nobody
// checked would let a client pick a fresh bucket with every request.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ProxyConfig } from './config';
import { credentialsOf } from './credentials';
import { isProbe } from './metrics';
import type { ErrorBody } from './server';

/** At most this many clients' buckets are kept; past it the longest unused one is dropped (it was full, or nearly). */
const MAX_BUCKETS = 100_000;

/** Who a request counts against: `user <name>` or `address <ip>`. */
export function clientOf(req: FastifyRequest, usersChecked: boolean): string {
  if (usersChecked && req.headers.authorization !== undefined) {
    try {
      return `user ${credentialsOf(req.headers.authorization).user}`;
    } catch {
      // not readable credentials: the auth check refuses it anyway
    }
  }
  return `address ${req.socket.remoteAddress ?? 'unknown'}`;
}

/** Whether the proxy verifies who each request's user is. */
export const usersChecked = (config: ProxyConfig): boolean => config.basicAuthUsers.length > 0 || config.credentialsPassthrough;

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms, monotonic). */
  at: number;
}

/** Token buckets by client: `rate` tokens a second, at most `burst` saved up. */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    readonly rate: number,
    readonly burst: number,
    readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes a token for `client`: 0 when there was one, else the seconds until there is. */
  take(client: string): number {
    const now = this.now();
    let bucket = this.#buckets.get(client);
    if (bucket === undefined) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#buckets.delete(this.#buckets.keys().next().value as string);
      bucket = { tokens: this.burst, at: now };
    } else {
      this.#buckets.delete(client); // re-inserted below: the Map's order is least recently used first
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.rate);
      bucket.at = now;
    }
    this.#buckets.set(client, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / this.rate;
  }

  get size(): number {
    return this.#buckets.size;
  }
}

/** The proxy's rate limiter (one for both APIs: a client has one bucket), or undefined when it is off. */
export function rateLimiter(config: ProxyConfig): RateLimiter | undefined {
  if (config.rateLimitRequestsPerSecond === 0) return undefined;
  return new RateLimiter(config.rateLimitRequestsPerSecond, config.rateLimitBurst ?? Math.max(1, Math.ceil(config.rateLimitRequestsPerSecond)));
}

/**
 * Refuses a client's requests past rate.limit.requests.per.second with 429 (install after the
 * auth checks, so that the user is known). /health, /ready and the peers' lookups are never limited.
 */
export function installRateLimit(app: FastifyInstance, limiter: RateLimiter | undefined, config: ProxyConfig, errorBody: ErrorBody, onLimited: () => void): void {
  if (limiter === undefined) return;
  const burst = limiter.burst;
  const checked = usersChecked(config);
  app.addHook('onRequest', (req, reply, done) => {
    // The peers' instance lookups are part of another request, already counted where it arrived.
    if (isProbe(req) || req.url.startsWith('/_peers/')) return done();
    const client = clientOf(req, checked);
    const wait = limiter.take(client);
    if (wait === 0) return done();
    onLimited();
    const seconds = Math.max(1, Math.ceil(wait));
    const message =
      `Too many requests from ${client}: at most ${config.rateLimitRequestsPerSecond} a second (rate.limit.requests.per.second), ` +
      `bursts of ${burst} (rate.limit.burst); retry after ${seconds} s`;
    void reply.code(429).header('retry-after', String(seconds)).type('application/json').send(errorBody(429, message));
  });
}
