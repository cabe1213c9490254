// The proxy's Schema Registry configuration as Confluent's: schema.registry.url with several URLs,
// basic auth user info, TLS to the registry; the embedded registry `npm start` serves and says so.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryApp, SchemaStore, startEmbeddedRegistry } from '../lib';
import { applyProperties, DEFAULTS, startProxy } from '../lib/proxy';
import { httpRequest } from './http';

const root = resolve(__dirname, '..');
const AVRO_V2 = 'application/vnd.kafka.avro.v2+json';
const SCHEMA = JSON.stringify({ type: 'record', name: 'User', fields: [{ name: 'name', type: 'string' }] });
const produce = (base: string, topic: string) =>
  httpRequest(`${base}/topics/${topic}`, { method: 'POST', headers: { 'Content-Type': AVRO_V2 }, body: JSON.stringify({ value_schema: SCHEMA, records: [{ value: { name: 'ada' } }] }) });

describe('a registry behind HTTPS and basic auth, reached through schema.registry.* properties', () => {
  const dir = mkdtempSync(join(tmpdir(), 'registry-tls-'));
  let server: Server;
  let url = '';
  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    // The embedded registry's API behind TLS and basic auth, as a secured registry is deployed.
    const registry = registryApp(new SchemaStore());
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        if (req.headers.authorization !== `Basic ${Buffer.from('sr-user:sr-secret').toString('base64')}`) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"error_code":401,"message":"Unauthorized"}');
          return;
        }
        const answer = await registry.inject({ method: req.method as 'GET', url: req.url!, headers: { 'content-type': req.headers['content-type'] ?? 'application/json' }, payload: Buffer.concat(chunks) });
        res.writeHead(answer.statusCode, { 'content-type': 'application/vnd.schemaregistry.v1+json' }).end(answer.body);
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  const proxyWith = (properties: { [key: string]: string }) =>
    startProxy(applyProperties({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '' }, new Map(Object.entries(properties))));

  it('with the user info and the CA, an Avro produce registers and writes; a first URL that is down is skipped', async () => {
    const gone = await startEmbeddedRegistry('http://127.0.0.1:0');
    await gone.close();
    const proxy = await proxyWith({
      'schema.registry.url': `${gone.url},${url}`,
      'schema.registry.basic.auth.credentials.source': 'USER_INFO',
      'schema.registry.basic.auth.user.info': 'sr-user:sr-secret',
      'schema.registry.ssl.ca.location': join(dir, 'cert.pem'),
    });
    try {
      const produced = await produce(proxy.url, 'secured');
      expect(produced).toMatchObject({ status: 200, body: { offsets: [{ partition: 0, offset: 0 }], value_schema_id: 1 } });
    } finally {
      await proxy.close();
    }
  });

  it('without the credentials the registry refuses: a 503 that says so, and nothing is written', async () => {
    const proxy = await proxyWith({ 'schema.registry.url': url, 'schema.registry.ssl.ca.location': join(dir, 'cert.pem') });
    try {
      const refused = await produce(proxy.url, 'refused');
      expect(refused).toMatchObject({ status: 503, body: { error_code: 50301, message: expect.stringMatching(/refused.*401/) } });
      expect((await httpRequest(`${proxy.url}/topics/refused`)).status).toBe(404);
    } finally {
      await proxy.close();
    }
  });

  it('without the CA the TLS handshake fails: a 503 naming the registry', async () => {
    const proxy = await proxyWith({ 'schema.registry.url': url, 'schema.registry.basic.auth.user.info': 'sr-user:sr-secret' });
    try {
      expect(await produce(proxy.url, 'untrusted')).toMatchObject({ status: 503, body: { error_code: 50301, message: expect.stringContaining(url) } });
    } finally {
      await proxy.close();
    }
  });

  it('bad schema.registry.* values are refused at start naming the property', () => {
    const apply = (key: string, value: string) => () => applyProperties(DEFAULTS, new Map([[key, value]]));
    expect(apply('schema.registry.basic.auth.credentials.source', 'SASL_INHERIT')).toThrow(/only USER_INFO/);
    expect(apply('schema.registry.ssl.truststore.location', '/x.jks')).toThrow(/Unknown proxy property 'schema.registry.ssl.truststore.location'/);
    return expect(proxyWith({ 'schema.registry.url': 'ftp://registry' })).rejects.toThrow(/schema.registry.url.*http:\/\/ or https:\/\//);
  });
});

describe('the embedded registry\'s port', () => {
  it('taken by another process: the start fails naming the port and what to set, and nothing is left running', async () => {
    const other = await startEmbeddedRegistry('http://127.0.0.1:0');
    try {
      const start = startProxy({ ...DEFAULTS, listeners: 'http://127.0.0.1:0', pixyListeners: '', schemaRegistryListeners: other.url });
      await expect(start).rejects.toThrow(`The embedded Schema Registry cannot listen on ${other.url}: the port is in use (another registry?). Set schema.registry.url to use that registry`);
    } finally {
      await other.close();
    }
  });
});

describe('npm start', () => {
  it('serves the schema formats from an embedded registry, says so, and serves it on its own listener', async () => {
    // As `npm start` runs it, on free ports (8082 and 8081 may be taken on a shared machine).
    const child = spawn(process.execPath, ['dist/cli.js', 'proxy', '--listeners', 'http://127.0.0.1:0', '--pixy-listeners', ''], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const lines = createInterface({ input: child.stdout! });
      const banner: string[] = [];
      await new Promise<void>((done) =>
        lines.on('line', (line) => {
          banner.push(line);
          if (line.startsWith('Schema Registry')) done();
        }),
      );
      const registryUrl = /embedded \(in memory\) on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner.join('\n'))?.[1];
      const proxyUrl = /Confluent REST API on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner.join('\n'))?.[1];
      expect(registryUrl).toBeDefined();
      expect((await produce(proxyUrl!, 'started')).body).toMatchObject({ offsets: [{ partition: 0, offset: 0 }], value_schema_id: 1 });
      // Other clients use the same registry on Confluent's API.
      expect((await httpRequest(`${registryUrl}/subjects`)).body).toEqual(['started-value']);
      expect((await httpRequest(`${registryUrl}/schemas/ids/1`)).body).toEqual({ schema: SCHEMA });
    } finally {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('with --json, the start-up line names the registry too', async () => {
    const child = spawn(process.execPath, ['dist/cli.js', 'proxy', '--json', '--listeners', 'http://127.0.0.1:0', '--pixy-listeners', ''], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const first = await new Promise<string>((done) => createInterface({ input: child.stdout! }).once('line', done));
      const { schemaRegistryUrl } = JSON.parse(first) as { schemaRegistryUrl: string };
      expect((await httpRequest(`${schemaRegistryUrl}/subjects`)).body).toEqual([]);
    } finally {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
