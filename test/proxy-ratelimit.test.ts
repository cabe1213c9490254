// The proxy's per-client limits over real HTTP: a token bucket of requests per client (its user
// when the proxy checks users, else its address) answered with 429, Retry-After and a JSON error
// in the API's shape; consumer instances per user. Off by default.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyProperties, DEFAULTS, startProxy, type RunningProxy } from '../lib/proxy';
import { RateLimiter } from '../lib/proxy/limits';
import { testBrokers, useBroker } from './brokers';
import { uniqueTopic } from './helpers';
import { httpRequest, type HttpReply } from './http';

/** A GET from a chosen loopback address (another client, as the proxy sees it). */
function getFrom(localAddress: string, url: string): Promise<HttpReply & { retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined; // /metrics is text
        }
        resolve({ status: res.statusCode ?? 0, text, body, retryAfter: res.headers['retry-after'] });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const basic = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:pw`).toString('base64')}` });
const V2 = { 'Content-Type': 'application/vnd.kafka.v2+json' };

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  let proxy: RunningProxy;
  beforeAll(async () => {
    // One request every 10 s after a burst of 3: a slow machine does not refill a token mid-test.
    const config = applyProperties(DEFAULTS, new Map([
      ['listeners', 'http://127.0.0.1:0'],
      ['pixy.listeners', 'http://127.0.0.1:0'],
      ['schema.registry.listeners', ''],
      ['bootstrap.servers', broker.bootstrapServers],
      ['rate.limit.requests.per.second', '0.1'],
      ['rate.limit.burst', '3'],
    ]));
    proxy = await startProxy(config);
  });
  afterAll(() => proxy.close());

  it('past its burst a client gets 429 with Retry-After and a JSON error naming the limit; another address is not limited', async () => {
    for (let i = 0; i < 3; i++) expect((await getFrom('127.0.0.1', `${proxy.url}/topics`)).status).toBe(200);
    const refused = await getFrom('127.0.0.1', `${proxy.url}/topics`);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(10);
    expect(refused.body).toMatchObject({ error_code: 429, message: expect.stringMatching(/address 127\.0\.0\.1.*rate\.limit\.requests\.per\.second.*rate\.limit\.burst/) });
    // The Kafka-Pixy API shares the client's bucket, its error in its own shape.
    const pixy = await getFrom('127.0.0.1', `${proxy.pixyUrl}/topics`);
    expect(pixy.status).toBe(429);
    expect(pixy.body).toEqual({ error: expect.stringMatching(/rate\.limit\.requests\.per\.second/) });
    // The load balancer's checks are never limited.
    expect((await getFrom('127.0.0.1', `${proxy.url}/health`)).status).toBe(200);
    expect((await getFrom('127.0.0.1', `${proxy.url}/ready`)).status).toBe(200);
    // Another client (address) has its own bucket.
    expect((await getFrom('127.0.0.2', `${proxy.url}/topics`)).status).toBe(200);
    const metrics = await getFrom('127.0.0.3', `${proxy.url}/metrics`);
    expect(metrics.text).toMatch(/^rest_proxy_rate_limited_total [2-9]\d*$/m);
  });
});

describe('limits by user (basic.auth.users)', () => {
  let proxy: RunningProxy;
  beforeAll(async () => {
    const config = applyProperties(DEFAULTS, new Map([
      ['listeners', 'http://127.0.0.1:0'],
      ['pixy.listeners', ''],
      ['schema.registry.listeners', ''],
      ['basic.auth.users', 'alice:pw,bob:pw'],
      ['rate.limit.requests.per.second', '0.1'],
      ['rate.limit.burst', '10'],
      ['consumer.max.instances.per.user', '2'],
    ]));
    proxy = await startProxy(config);
  });
  afterAll(() => proxy.close());

  it("a user's requests share one bucket whatever their address; another user has their own", async () => {
    for (let i = 0; i < 10; i++) expect((await httpRequest(`${proxy.url}/`, { headers: basic('alice') })).status).toBe(200);
    const refused = await httpRequest(`${proxy.url}/`, { headers: basic('alice') });
    expect(refused).toMatchObject({ status: 429, body: { error_code: 429, message: expect.stringMatching(/^Too many requests from user alice/) } });
    expect((await httpRequest(`${proxy.url}/`, { headers: basic('bob') })).status).toBe(200);
    // A name the proxy did not accept does not get a bucket of its own: it is refused as unauthenticated.
    expect((await httpRequest(`${proxy.url}/`, { headers: basic('mallory') })).status).toBe(401);
  });

  it('consumer.max.instances.per.user: the next instance is 429 (42902) naming the limit, until one is deleted', async () => {
    const group = uniqueTopic('per-user');
    const create = (user: string) => httpRequest(`${proxy.url}/consumers/${group}`, { method: 'POST', headers: { ...V2, ...basic(user) }, body: '{}' });
    const first = await create('bob');
    expect(first.status).toBe(200);
    expect((await create('bob')).status).toBe(200);
    const third = await create('bob');
    expect(third).toMatchObject({ status: 429, body: { error_code: 42902, message: expect.stringMatching(/user bob: at most 2 \(consumer\.max\.instances\.per\.user\)/) } });
    expect((await httpRequest(first.body.base_uri, { method: 'DELETE', headers: basic('bob') })).status).toBe(204);
    expect((await create('bob')).status).toBe(200);
  });
});

describe('the limits are off by default, and their settings are checked', () => {
  it('DEFAULTS limit nothing', () => {
    expect(DEFAULTS.rateLimitRequestsPerSecond).toBe(0);
    expect(DEFAULTS.consumerMaxInstancesPerUser).toBe(0);
  });

  it('a value that is not a rate or a count is an error naming the property', () => {
    expect(() => applyProperties(DEFAULTS, new Map([['rate.limit.requests.per.second', 'fast']]))).toThrow(/rate\.limit\.requests\.per\.second must be a non-negative number, not "fast"/);
    expect(() => applyProperties(DEFAULTS, new Map([['rate.limit.burst', '0']]))).toThrow(/rate\.limit\.burst must be a positive integer/);
    expect(() => applyProperties(DEFAULTS, new Map([['consumer.max.instances.per.user', '-1']]))).toThrow(/consumer\.max\.instances\.per\.user must be a non-negative integer/);
  });

  it('the token bucket: a burst, then one token per 1/rate seconds; the wait it answers is the time to the next token', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 3, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBeCloseTo(0.5);
    now += 250;
    expect(limiter.take('a')).toBeCloseTo(0.25);
    now += 250;
    expect(limiter.take('a')).toBe(0);
    now += 10_000; // a long pause saves up no more than the burst
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a'), limiter.take('a') > 0]).toEqual([0, 0, 0, true]);
  });
});
