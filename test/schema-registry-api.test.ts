// The Schema Registry API as clients call it (Confluent's REST API), on the embedded registry and
// on Apicurio: the embedded one answers as the real one does. Then the embedded one's bounds.
import { describe, expect, it } from 'vitest';
import { startEmbeddedRegistry } from '../lib';
import { uniqueTopic } from './helpers';
import { httpRequest } from './http';
import { testRegistries, useRegistry } from './registries';

const JSON_TYPE = { 'Content-Type': 'application/vnd.schemaregistry.v1+json' };
const V1 = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] });
const V2 = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }, { name: 'b', type: 'int', default: 0 }] });
const BREAKING = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'c', type: 'int' }] });

describe.each(testRegistries())('$name registry', (registry) => {
  useRegistry(registry);
  const call = (method: string, path: string, body?: unknown) => httpRequest(`${registry.url}${path}`, { method, headers: JSON_TYPE, body: body === undefined ? undefined : JSON.stringify(body) });

  it('register, register again (same id), look up, versions, latest, by id', async () => {
    const subject = uniqueTopic('api');
    const first = await call('POST', `/subjects/${subject}/versions`, { schema: V1 });
    expect(first).toMatchObject({ status: 200, body: { id: expect.any(Number) } });
    expect((await call('POST', `/subjects/${subject}/versions`, { schema: V1 })).body.id).toBe(first.body.id);
    expect((await call('POST', `/subjects/${subject}`, { schema: V1 })).body).toMatchObject({ subject, id: first.body.id, version: 1 });
    expect((await call('GET', `/subjects/${subject}/versions`)).body).toEqual([1]);
    expect((await call('GET', `/subjects/${subject}/versions/latest`)).body).toMatchObject({ subject, version: 1, id: first.body.id });
    expect(JSON.parse((await call('GET', `/schemas/ids/${first.body.id}`)).body.schema)).toEqual(JSON.parse(V1));
    expect((await call('GET', '/subjects')).body).toContain(subject);
  });

  it('BACKWARD compatibility: a field with a default is a new version, one without is 409; the compatibility endpoint says the same', async () => {
    const subject = uniqueTopic('compat');
    await call('POST', `/subjects/${subject}/versions`, { schema: V1 });
    expect((await call('PUT', `/config/${subject}`, { compatibility: 'BACKWARD' })).body).toMatchObject({ compatibility: 'BACKWARD' });
    expect((await call('POST', `/compatibility/subjects/${subject}/versions/latest`, { schema: BREAKING })).body).toMatchObject({ is_compatible: false });
    expect((await call('POST', `/compatibility/subjects/${subject}/versions/latest`, { schema: V2 })).body).toMatchObject({ is_compatible: true });
    expect((await call('POST', `/subjects/${subject}/versions`, { schema: BREAKING })).status).toBe(409);
    expect((await call('POST', `/subjects/${subject}/versions`, { schema: V2 })).status).toBe(200);
    expect((await call('GET', `/subjects/${subject}/versions`)).body).toEqual([1, 2]);
  });

  it('not found: a subject, a version, a schema id, a schema under a subject (40401, 40402, 40403)', async () => {
    const subject = uniqueTopic('missing');
    expect((await call('GET', `/subjects/${subject}/versions`)).body).toMatchObject({ error_code: 40401 });
    await call('POST', `/subjects/${subject}/versions`, { schema: V1 });
    expect((await call('GET', `/subjects/${subject}/versions/9`)).body).toMatchObject({ error_code: 40402 });
    expect((await call('GET', '/schemas/ids/987654321')).body).toMatchObject({ error_code: 40403 });
    expect((await call('POST', `/subjects/${subject}`, { schema: V2 })).body).toMatchObject({ error_code: 40403 });
  });

  it('an invalid schema is 422 (42201), and a soft-deleted subject is gone from the list', async () => {
    const subject = uniqueTopic('invalid');
    expect(await call('POST', `/subjects/${subject}/versions`, { schema: '{"type": "record", "name": "X", "fields": [{"name": "a", "type": "nope"}]}' })).toMatchObject({ status: 422, body: { error_code: 42201 } });
    await call('POST', `/subjects/${subject}/versions`, { schema: V1 });
    expect((await call('DELETE', `/subjects/${subject}`)).body).toEqual([1]);
    expect((await call('GET', '/subjects')).body).not.toContain(subject);
  });
});

describe('the embedded registry under hostile input', () => {
  it('malformed JSON is 400, a huge body 413, and the number of schemas it holds is bounded', async () => {
    const registry = await startEmbeddedRegistry('http://127.0.0.1:0', { maxSchemas: 3, maxRequestBytes: 10_000 });
    try {
      const post = (path: string, body: string) => httpRequest(`${registry.url}${path}`, { method: 'POST', headers: JSON_TYPE, body });
      expect(await post('/subjects/s/versions', '{"schema": ')).toMatchObject({ status: 400, body: { error_code: 400 } });
      expect(await post('/subjects/s/versions', JSON.stringify({ schema: `"${'x'.repeat(20_000)}"` }))).toMatchObject({ status: 413 });
      expect(await post('/subjects/s/versions', '[1, 2]')).toMatchObject({ status: 422, body: { error_code: 42201 } });
      for (let i = 0; i < 3; i++) expect((await post(`/subjects/s${i}/versions`, JSON.stringify({ schema: JSON.stringify({ type: 'fixed', name: `F${i}`, size: 1 }) }))).status).toBe(200);
      const fourth = await post('/subjects/s9/versions', JSON.stringify({ schema: JSON.stringify({ type: 'fixed', name: 'F9', size: 1 }) }));
      expect(fourth).toMatchObject({ status: 422, body: { message: expect.stringContaining('at most 3 schemas') } });
      expect((await httpRequest(`${registry.url}/schemas/ids/abc`)).body).toMatchObject({ error_code: 40403 });
      const small = await startEmbeddedRegistry('http://127.0.0.1:0', { maxSchemaBytes: 1000 });
      try {
        const doc = (n: number) => JSON.stringify({ schema: JSON.stringify({ type: 'fixed', name: `F${n}`, size: 1, doc: 'd'.repeat(600) }) });
        expect((await httpRequest(`${small.url}/subjects/a/versions`, { method: 'POST', headers: JSON_TYPE, body: doc(1) })).status).toBe(200);
        expect(await httpRequest(`${small.url}/subjects/b/versions`, { method: 'POST', headers: JSON_TYPE, body: doc(2) })).toMatchObject({ status: 422, body: { message: expect.stringContaining('at most 1000 bytes') } });
      } finally {
        await small.close();
      }
      expect((await httpRequest(`${registry.url}/subjects/s0/versions/0`)).body).toMatchObject({ error_code: 42202 });
    } finally {
      await registry.close();
    }
  });
});
