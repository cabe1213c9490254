// Which route a request counts under in rest_proxy_requests_total, over real HTTP on both
// brokers: its route's pattern (also for routes in plugin scopes and for the HEAD that Fastify adds
// to a GET route), 'unmatched' for what no route matched, and one entry per method.
import { describe, expect, it } from 'vitest';
import { testBrokers, useBroker } from './brokers';
import { uniqueTopic, useProxy } from './helpers';
import { httpRequest } from './http';

const BINARY = { 'Content-Type': 'application/vnd.kafka.binary.v2+json' };

/** rest_proxy_requests_total's samples as `method route status` → count. */
async function requestCounts(url: string): Promise<Map<string, number>> {
  const text = (await httpRequest(`${url}/metrics`)).text;
  const counts = new Map<string, number>();
  for (const match of text.matchAll(/^rest_proxy_requests_total\{api="(\w+)",method="(\w+)",route="([^"]*)",status="(\d+)"\} (\d+)$/gm)) {
    counts.set(`${match[1]} ${match[2]} ${match[3]} ${match[4]}`, Number(match[5]));
  }
  return counts;
}

describe.each(testBrokers())('$name broker', (broker) => {
  useBroker(broker);
  const proxy = useProxy(() => ({ bootstrapServers: broker.bootstrapServers, schemaRegistryListeners: '' }));

  it('each request counts once under its route pattern and method, HEAD under the GET route, unmatched paths as "unmatched"', async () => {
    const topic = uniqueTopic('routes');
    await broker.createTopic(topic, 2);
    const id = ((await httpRequest(`${proxy.url}/v3/clusters`)).body as { data: Array<{ cluster_id: string }> }).data[0].cluster_id;
    const before = await requestCounts(proxy.url);
    const requests: Array<[string, string, string?, { [name: string]: string }?]> = [
      ['POST', `/topics/${topic}`, '{"records":[{"value":"eA=="}]}', BINARY],
      ['POST', `/topics/${topic}`, '{"records":[{"value":"eA=="}]}', BINARY],
      ['POST', `/topics/${topic}/partitions/1`, '{"records":[{"value":"eA=="}]}', BINARY],
      ['POST', `/topics/${topic}`, '{"records":[{"value":"not base64!"}]}', BINARY],
      ['HEAD', '/topics'],
      ['GET', '/topics'],
      ['GET', '/no/such/path'],
      ['PUT', `/topics/${topic}`],
      // A route of the v3 records scope (a plugin of its own).
      ['POST', `/v3/clusters/${id}/topics/${topic}/records`, '{"value":{"type":"STRING","data":"x"}}', { 'Content-Type': 'application/json' }],
    ];
    const statuses: number[] = [];
    for (const [method, path, body, headers] of requests) statuses.push((await httpRequest(`${proxy.url}${path}`, { method, body, headers })).status);
    expect(statuses).toEqual([200, 200, 200, 422, 200, 200, 404, 404, 200]);
    const after = await requestCounts(proxy.url);
    const grown = [...after].filter(([key, n]) => n !== (before.get(key) ?? 0) && !key.includes('/metrics')).map(([key, n]) => [key, n - (before.get(key) ?? 0)]);
    expect(Object.fromEntries(grown)).toEqual({
      'confluent POST /topics/:topic 200': 2,
      'confluent POST /topics/:topic 422': 1,
      'confluent POST /topics/:topic/partitions/:partition 200': 1,
      'confluent HEAD /topics 200': 1,
      'confluent GET /topics 200': 1,
      'confluent GET unmatched 404': 1,
      'confluent PUT unmatched 404': 1,
      'confluent POST /v3/clusters/:cluster/topics/:topic/records 200': 1,
    });
  });
});
